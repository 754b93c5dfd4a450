package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// Judges is the judge-configuration use case: every configuration posted under a
// name is kept as a version of it.
type Judges struct{ d Deps }

// NewJudges returns the judge use case.
func NewJudges(d Deps) (*Judges, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if d.Stores.Judges == nil || d.Stores.Judgments == nil {
		return nil, fmt.Errorf("app: no judge store")
	}
	return &Judges{d: d}, nil
}

// Create validates a judge configuration (JSON) and stores it as the next version
// of its name; an identical configuration returns the version that has it, with
// created false.
func (u *Judges) Create(ctx context.Context, config []byte) (j domain.Judge, created bool, err error) {
	cfg, err := judging.DecodeConfig(config)
	if err != nil {
		return domain.Judge{}, false, err
	}
	canon, err := cfg.Canonical()
	if err != nil {
		return domain.Judge{}, false, fmt.Errorf("canonical form of judge %q: %w", cfg.Name, err)
	}
	sum := sha256.Sum256(canon)
	return u.d.Stores.Judges.PutJudge(ctx, domain.Judge{
		Name: cfg.Name, Kind: string(cfg.Kind), Config: canon, ConfigHash: hex.EncodeToString(sum[:]), CreatedAt: u.d.now(),
	})
}

// Get returns a judge's version, or its latest when version is 0.
func (u *Judges) Get(ctx context.Context, name string, version int) (domain.Judge, error) {
	if version < 0 {
		return domain.Judge{}, domain.Invalid("version", "must be a positive integer; got %d", version)
	}
	j, err := u.d.Stores.Judges.GetJudge(ctx, name, version)
	if err != nil {
		if version > 0 {
			return domain.Judge{}, wrapNotFound(err, "judge %q version %d", name, version)
		}
		return domain.Judge{}, wrapNotFound(err, "judge %q", name)
	}
	return j, nil
}

// List returns a page of judges (each at its latest version), by name.
func (u *Judges) List(ctx context.Context, cursorText string, limit int) (domain.Page[domain.Judge], error) {
	var page domain.Page[domain.Judge]
	limit, err := pageLimit(limit)
	if err != nil {
		return page, err
	}
	list := listKey("judges", domain.ID{}, "name")
	c, _, err := decodeCursor(cursorText, list)
	if err != nil {
		return page, err
	}
	var after *string
	if c != nil {
		after = &c.Key
	}
	items, err := u.d.Stores.Judges.ListJudges(ctx, after, limit+1)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = encodeCursor(list, items[limit-1].Name, domain.ID{})
	}
	page.Items = items
	return page, nil
}

// judgeConfig decodes a stored judge's configuration.
func judgeConfig(j domain.Judge) (judging.Config, error) {
	cfg, err := judging.DecodeConfig(j.Config)
	if err != nil {
		return judging.Config{}, fmt.Errorf("judge %q version %d has an invalid stored configuration: %w", j.Name, j.Version, err)
	}
	return cfg, nil
}
