package scoring

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// DefaultTimeout is the time budget of one scorer on one item.
const DefaultTimeout = 5 * time.Second

// Bound is a validated config with the scorer built from it.
type Bound struct {
	Config domain.ScorerConfig
	Type   Type
	Scorer Scorer
}

// Set is an ordered list of configured scorers, ready to apply. It is safe for
// concurrent use.
type Set struct {
	scorers []Bound
	observe Observer
	// Timeout is the budget of one scorer on one item; zero means DefaultTimeout.
	Timeout time.Duration
	// Workers bounds parallelism; zero means GOMAXPROCS.
	Workers int
}

// BesideWrite returns the set as it is to run beside a database write on the
// same machine: with one worker fewer than it would have (at least one), so
// that the write keeps a core.
func (s *Set) BesideWrite() *Set {
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := *s
	c.Workers = max(1, workers-1)
	return &c
}

// Len returns the number of scorers in the set.
func (s *Set) Len() int { return len(s.scorers) }

// Scorers returns the bound scorers in configuration order.
func (s *Set) Scorers() []Bound { return append([]Bound(nil), s.scorers...) }

// Configs returns the canonical configs of the set.
func (s *Set) Configs() []domain.ScorerConfig {
	out := make([]domain.ScorerConfig, len(s.scorers))
	for i, b := range s.scorers {
		out[i] = b.Config
	}
	return out
}

// Later returns the scorers of the set that run later, in configuration order.
func (s *Set) Later() []Bound {
	var out []Bound
	for _, b := range s.scorers {
		if b.Type.RunsLater {
			out = append(out, b)
		}
	}
	return out
}

// NeedsReference returns the names of scorers that need items to carry a reference.
func (s *Set) NeedsReference() []string {
	var out []string
	for _, b := range s.scorers {
		if b.needsReference() {
			out = append(out, b.Config.Name)
		}
	}
	return out
}

func (b Bound) needsReference() bool {
	if b.Type.NeedsReference {
		return true
	}
	rn, ok := b.Scorer.(ReferenceNeeder)
	return ok && rn.NeedsReference()
}

// ScoreBatch applies every scorer to every item, in parallel bounded by Workers, and
// returns out[i][j] = scorer j on item i: results keep input order. A scorer that
// errors, panics or exceeds its budget yields an Outcome with Err set for that item
// and scorer only. ScoreBatch returns an error only when ctx ends first.
func (s *Set) ScoreBatch(ctx context.Context, items []Item) ([][]Outcome, error) {
	out := make([][]Outcome, len(items))
	for i := range out {
		out[i] = make([]Outcome, len(s.scorers))
	}
	if len(items) == 0 || len(s.scorers) == 0 {
		return out, ctx.Err()
	}
	workers := s.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	total := len(items) * len(s.scorers)
	if workers > total {
		workers = total
	}
	// Workers take the next (item, scorer) pair from a shared counter; a
	// channel hand-off per pair cost more in scheduling than the cheap
	// scorers' own work.
	var next atomic.Int64
	work := func() {
		for ctx.Err() == nil {
			k := int(next.Add(1) - 1)
			if k >= total {
				return
			}
			i, j := k/len(s.scorers), k%len(s.scorers)
			out[i][j] = s.scoreOne(ctx, j, items[i])
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	// Scorers cut short by the caller's cancellation report timeouts; the
	// batch as a whole failed, not those scorers.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Score applies every scorer to one item.
func (s *Set) Score(ctx context.Context, item Item) ([]Outcome, error) {
	res, err := s.ScoreBatch(ctx, []Item{item})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

func (s *Set) scoreOne(ctx context.Context, j int, item Item) (o Outcome) {
	b := s.scorers[j]
	o = Outcome{Name: b.Config.Name}
	if b.Type.RunsLater {
		o.Later = true
		return o
	}
	if b.needsReference() && !item.HasReference {
		o.Err = fmt.Errorf("scorer %q needs a reference answer and the item has none", b.Config.Name)
		return o
	}
	if s.observe != nil {
		start := time.Now()
		defer func() { s.observe(b.Config.Name, b.Type.Name, time.Since(start), o.Err) }()
	}
	var a answer
	if b.Type.Linear {
		a = call(ctx, b.Scorer, item)
	} else {
		var timedOut bool
		if a, timedOut = s.callTimed(ctx, b.Scorer, item); timedOut {
			o.Err = ErrTimeout
			return o
		}
	}
	if a.err != nil {
		if errors.Is(a.err, context.DeadlineExceeded) {
			a.err = ErrTimeout
		}
		o.Err = a.err
		return o
	}
	o.Result = a.res
	if o.Result.Details == nil {
		o.Result.Details = map[string]any{}
	}
	if b.Config.Pass != nil {
		p := b.Config.Pass.Contains(o.Result.Value)
		o.Result.Passed = &p
	}
	return o
}

// answer is what one call of a scorer returned.
type answer struct {
	res Result
	err error
}

// call calls sc on the caller's goroutine, turning a panic into a PanicError.
func call(ctx context.Context, sc Scorer, item Item) (a answer) {
	defer func() {
		if v := recover(); v != nil {
			a = answer{err: &PanicError{Value: v}}
		}
	}()
	r, err := sc.Score(ctx, item)
	return answer{res: r, err: err}
}

// callTimed calls sc on a goroutine of its own with the set's time budget, and
// stops waiting for it (timedOut) once the budget is spent.
func (s *Set) callTimed(ctx context.Context, sc Scorer, item Item) (a answer, timedOut bool) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	done := make(chan answer, 1)
	go func() { done <- call(ctx, sc, item) }()
	select {
	case a := <-done:
		return a, false
	case <-ctx.Done():
		// The scorer's goroutine is abandoned; it sees ctx cancelled and its
		// answer lands in the buffered channel.
		return answer{}, true
	}
}
