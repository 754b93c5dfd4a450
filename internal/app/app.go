// Package app holds rlhf-eval's use cases: validate input, score, store, aggregate.
// It is built on the ports only, so the same use cases serve the HTTP API and the CLI,
// and tests can run them against the real PostgreSQL adapter.
package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Deps are what every use case needs.
type Deps struct {
	Stores   ports.Stores
	Tx       ports.TxRunner
	Clock    ports.Clock
	IDs      ports.IDGenerator
	Registry *scoring.Registry
	Limits   Limits

	// bulk holds a token per bulk writer in a transaction (see Limits.BulkWriters);
	// nil is no limit. The use cases built by one NewServices share it.
	bulk chan struct{}
	// lookups keeps keys and evaluations for the request path; nil keeps none.
	// The use cases built by one NewServices share it.
	lookups *Lookups
}

// Limits bound what one request may carry.
type Limits struct {
	// MaxBatchItems is the most items one bulk call may carry.
	MaxBatchItems int
	// MaxFieldBytes is the largest prompt, response, reference or rationale text.
	MaxFieldBytes int
	// MaxPageBytes bounds (approximately) the text of one list page: a page that
	// would hold more is cut short, with a cursor to the rest.
	MaxPageBytes int
	// BulkWriters is how many bulk requests larger than one chunk may hold a
	// transaction (a database connection) at once; 0 is no limit. Keep it below
	// the pool's size, so other requests always find a connection.
	BulkWriters int
	// BulkStall is how long a bulk request holding a transaction may wait for the
	// next chunk of its body before it is refused (408); 0 is DefaultLimits'.
	BulkStall time.Duration
}

// DefaultLimits are the limits used where none are configured.
var DefaultLimits = Limits{MaxBatchItems: 100_000, MaxFieldBytes: 1 << 20, MaxPageBytes: 8 << 20, BulkStall: 10 * time.Second}

func (l Limits) orDefault() Limits {
	if l.MaxBatchItems <= 0 {
		l.MaxBatchItems = DefaultLimits.MaxBatchItems
	}
	if l.MaxFieldBytes <= 0 {
		l.MaxFieldBytes = DefaultLimits.MaxFieldBytes
	}
	if l.MaxPageBytes <= 0 {
		l.MaxPageBytes = DefaultLimits.MaxPageBytes
	}
	if l.BulkStall <= 0 {
		l.BulkStall = DefaultLimits.BulkStall
	}
	return l
}

func (d Deps) check() error {
	switch {
	case d.Stores.Evaluations == nil || d.Stores.Responses == nil || d.Stores.Comparisons == nil || d.Stores.APIKeys == nil || d.Stores.Analytics == nil || d.Stores.Preferences == nil ||
		d.Stores.Idempotency == nil || d.Stores.RateLimits == nil || d.Stores.Jobs == nil || d.Stores.Maintenance == nil:
		return errors.New("app: a store is missing")
	case d.Tx == nil:
		return errors.New("app: no transaction runner")
	case d.Clock == nil:
		return errors.New("app: no clock")
	case d.IDs == nil:
		return errors.New("app: no id generator")
	case d.Registry == nil:
		return errors.New("app: no scorer registry")
	}
	return nil
}

// withBulkGate gives d its bulk writers' semaphore, if it is to have one.
func (d Deps) withBulkGate() Deps {
	if d.bulk == nil && d.Limits.BulkWriters > 0 {
		d.bulk = make(chan struct{}, d.Limits.BulkWriters)
	}
	return d
}

// now returns the clock's time at the database's resolution (microseconds), so a
// value returned to a client equals the one read back later.
func (d Deps) now() time.Time { return d.Clock.Now().UTC().Truncate(time.Microsecond) }

// resolveEvaluation finds an evaluation by id or, failing the UUID form, by name.
func resolveEvaluation(ctx context.Context, s ports.EvaluationStore, ref string) (domain.Evaluation, error) {
	if id, err := domain.ParseID(ref); err == nil {
		e, err := s.GetEvaluation(ctx, id)
		if err != nil {
			return domain.Evaluation{}, wrapNotFound(err, "evaluation %q", ref)
		}
		return e, nil
	}
	e, err := s.GetEvaluationByName(ctx, ref)
	if err != nil {
		return domain.Evaluation{}, wrapNotFound(err, "evaluation %q", ref)
	}
	return e, nil
}

// wrapNotFound names what was not found, keeping ErrNotFound matchable.
func wrapNotFound(err error, format string, args ...any) error {
	if errors.Is(err, domain.ErrNotFound) {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), domain.ErrNotFound)
	}
	return err
}

// pageLimit checks a requested page size; 0 means the default.
func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return domain.DefaultPageSize, nil
	case n < 0 || n > domain.MaxPageSize:
		return 0, domain.Invalid("limit", "must be between 1 and %d", domain.MaxPageSize)
	}
	return n, nil
}

// cursor is the opaque pagination token: which list and ordering it belongs to, and
// the keyset position. It is base64url JSON; clients must not build it.
type cursor struct {
	List string `json:"l"`
	Key  string `json:"k,omitempty"`
	ID   string `json:"i"`
}

// listKey identifies a list for its cursors: a hash of the list's kind, evaluation,
// ordering and filters, so a cursor cannot be replayed against another list.
func listKey(kind string, evalID domain.ID, sort string, filters ...*string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s", kind, evalID, sort)
	for _, f := range filters {
		if f == nil {
			h.Write([]byte{0, 0})
		} else {
			fmt.Fprintf(h, "\x00\x01%s", *f)
		}
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9])
}

func fmtBool(b *bool) *string {
	if b == nil {
		return nil
	}
	s := fmt.Sprint(*b)
	return &s
}

func encodeCursor(list, key string, id domain.ID) string {
	b, _ := json.Marshal(cursor{List: list, Key: key, ID: id.String()})
	return base64.RawURLEncoding.EncodeToString(b)
}

// storableText reports whether PostgreSQL can take s as text: valid UTF-8
// without NUL characters.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func decodeCursor(s, list string) (*cursor, domain.ID, error) {
	if s == "" {
		return nil, domain.ID{}, nil
	}
	bad := domain.Invalid("cursor", "is not a cursor of this list; pass next_cursor from the previous page unchanged")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, domain.ID{}, bad
	}
	var c cursor
	if err := json.Unmarshal(raw, &c); err != nil || c.List != list || !storableText(c.Key) {
		return nil, domain.ID{}, bad
	}
	id, err := domain.ParseID(c.ID)
	if err != nil {
		return nil, domain.ID{}, bad
	}
	return &c, id, nil
}

// Services are all the use cases, built on one set of dependencies.
type Services struct {
	Evaluations *Evaluations
	Responses   *Responses
	Comparisons *Comparisons
	Keys        *Keys
	Summaries   *Summaries
	Diffs       *Diffs
	Preferences *Preferences
	Scoring     *Scoring
	Idempotency *Idempotency
	Jobs        *Jobs
	// Judges, JudgeRuns and Judgments are nil when the stores lack judges or jobs.
	Judges    *Judges
	JudgeRuns *JudgeRuns
	Judgments *Judgments
	// Lookups serves keys and evaluations from memory once it is told that
	// changes are heard (see Lookups); until then it keeps nothing.
	Lookups *Lookups
}

// NewServices builds every use case on d.
func NewServices(d Deps) (Services, error) {
	if err := d.check(); err != nil {
		return Services{}, err
	}
	d = d.withBulkGate()
	if d.lookups == nil {
		d.lookups = newLookups(d.Clock.Now)
	}
	judges, runs, judgments := judgeServices(d)
	return Services{
		Evaluations: &Evaluations{d: d},
		Responses:   &Responses{d: d},
		Comparisons: &Comparisons{d: d},
		Keys:        &Keys{d: d, rand: rand.Reader},
		Summaries:   &Summaries{d: d},
		Diffs:       &Diffs{d: d},
		Preferences: &Preferences{d: d},
		Idempotency: &Idempotency{d: d},
		Jobs:        &Jobs{d: d},
		Scoring:     NewScoring(d.Registry, d.Limits),
		Judges:      judges,
		JudgeRuns:   runs,
		Judgments:   judgments,
		Lookups:     d.lookups,
	}, nil
}
