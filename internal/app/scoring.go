package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Scoring is stateless scoring: items and scorer configs in, scores out, nothing
// stored. The API's POST /v1/score and the CLI's score command use it; it needs no
// database.
type Scoring struct {
	reg    *scoring.Registry
	limits Limits
}

// NewScoring returns the stateless scoring use case.
func NewScoring(reg *scoring.Registry, limits Limits) *Scoring {
	return &Scoring{reg: reg, limits: limits.orDefault()}
}

// Types lists the registry's scorer types.
func (u *Scoring) Types() []scoring.Type { return u.reg.Types() }

// Prepare validates scorer configs into a set; errors name "scorers[i]...".
func (u *Scoring) Prepare(cfgs []domain.ScorerConfig) (*scoring.Set, error) {
	if len(cfgs) == 0 {
		return nil, domain.Invalid("scorers", "give at least one scorer configuration")
	}
	set, err := u.reg.Build(cfgs)
	if err != nil {
		return nil, domain.PrefixField("scorers", err)
	}
	for i, b := range set.Scorers() {
		if b.Type.RunsLater {
			return nil, domain.Invalid(fmt.Sprintf("scorers[%d].type", i),
				"scorer type %q runs later, in a background job of an evaluation; configure it on an evaluation and ingest responses there", b.Type.Name)
		}
	}
	return set, nil
}

// ScoreItem is one item to score.
type ScoreItem struct {
	ID        string
	Prompt    string
	Response  *string
	Reference *string
	Context   []domain.Message
}

// Check validates one item for set: a response, sizes within limits, and a
// reference when a scorer needs one. Field names are relative to the item.
func (u *Scoring) Check(set *scoring.Set, it ScoreItem) error {
	if it.Response == nil {
		return domain.Invalid("response", "is required (an empty string is allowed)")
	}
	var errs []error
	for _, f := range []struct{ name, v string }{{"prompt", it.Prompt}, {"response", *it.Response}} {
		if len(f.v) > u.limits.MaxFieldBytes {
			errs = append(errs, domain.Invalid(f.name, "is %d bytes; at most %d allowed", len(f.v), u.limits.MaxFieldBytes))
		}
	}
	if need := set.NeedsReference(); it.Reference == nil && len(need) > 0 {
		errs = append(errs, domain.Invalid("reference", "is required by scorer %q", need[0]))
	}
	return errors.Join(errs...)
}

// Score validates items and scores them with set; results keep input order.
func (u *Scoring) Score(ctx context.Context, set *scoring.Set, items []ScoreItem) ([][]scoring.Outcome, error) {
	switch {
	case len(items) == 0:
		return nil, domain.Invalid("items", "give at least one item")
	case len(items) > u.limits.MaxBatchItems:
		return nil, domain.Invalid("items", "has %d items; at most %d per request", len(items), u.limits.MaxBatchItems)
	}
	var errs []error
	for i, it := range items {
		errs = append(errs, domain.PrefixField(fmt.Sprintf("items[%d]", i), u.Check(set, it)))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	conv := make([]scoring.Item, len(items))
	for i, it := range items {
		conv[i] = scoring.Item{Prompt: it.Prompt, Response: *it.Response, Context: it.Context}
		if it.Reference != nil {
			conv[i].Reference, conv[i].HasReference = *it.Reference, true
		}
	}
	return set.ScoreBatch(ctx, conv)
}
