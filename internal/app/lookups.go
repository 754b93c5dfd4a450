package app

import (
	"context"
	"sync"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Lookups keeps what nearly every request looks up first, the API key of its
// token and the evaluation a write names, so that a single POST does not spend
// two of its three database round trips finding rows that almost never change.
//
// It serves a row only while it can be sure to hear when that row changes:
//   - It is off until Listening(true): the service listens for the database's
//     notices of changed keys and evaluations (the lookup_changes migration raises one from a
//     trigger on every change that matters, whichever process or client made it),
//     and calls Changed for each. While it is not listening (at start, and from a
//     lost listening connection until it is back) every lookup goes to the
//     database.
//   - Changed, and any change of the listening state, drops every entry: keys
//     and evaluations change rarely, so there is no need to know which.
//   - A row read from the database is kept only if nothing changed while it was
//     being read (a generation counter taken before the read), so a read that
//     raced a change cannot bring the old row back.
//   - Changes made through this process's own use cases (revoking a key,
//     updating or deleting an evaluation) drop the entries at once, before the
//     reply; the notice reaches other processes a few milliseconds after the
//     commit, the same window a request in flight at that moment has without
//     any cache.
//   - An entry is dropped after lookupTTL in any case: a bound on staleness
//     should the listening connection hang without failing.
//
// Entries are values shared between requests: callers must not change an
// evaluation's Scorers or Metadata in place.
type Lookups struct {
	now func() time.Time

	mu        sync.Mutex
	listening bool
	gen       uint64
	keys      map[[32]byte]keyEntry
	evals     map[string]evalEntry
	hits      int64 // for tests
}

// lookupTTL bounds how long an entry is served.
const lookupTTL = time.Minute

// maxLookups bounds each map; when one is full it is emptied.
const maxLookups = 10_000

type keyEntry struct {
	key domain.APIKey
	at  time.Time
}

type evalEntry struct {
	eval domain.Evaluation
	at   time.Time
	set  *scoring.Set // its scorers, built on first use
}

var _ ports.ChangeListener = (*Lookups)(nil)

func newLookups(now func() time.Time) *Lookups {
	return &Lookups{now: now, keys: map[[32]byte]keyEntry{}, evals: map[string]evalEntry{}}
}

// Changed drops every entry: a key or an evaluation changed.
func (l *Lookups) Changed() {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.dropLocked()
}

// Listening says whether changes are being heard; entries are served only
// while they are.
func (l *Lookups) Listening(on bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.listening = on
	l.dropLocked()
}

func (l *Lookups) dropLocked() {
	l.gen++
	clear(l.keys)
	clear(l.evals)
}

// Hits reports how many lookups were served from memory.
func (l *Lookups) Hits() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits
}

// begin returns the generation a database read starts in, and whether entries
// are served at all.
func (l *Lookups) begin() (uint64, bool) {
	if l == nil {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen, l.listening
}

func (l *Lookups) fresh(at time.Time) bool {
	age := l.now().Sub(at)
	return age >= 0 && age < lookupTTL
}

// key returns the kept key of a token's hash.
func (l *Lookups) key(hash [32]byte) (domain.APIKey, bool) {
	if l == nil {
		return domain.APIKey{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[hash]
	if !ok || !l.listening || !l.fresh(e.at) {
		return domain.APIKey{}, false
	}
	l.hits++
	return e.key, true
}

// putKey keeps k, read in generation gen, unless something changed since.
func (l *Lookups) putKey(gen uint64, k domain.APIKey) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if gen != l.gen || !l.listening {
		return
	}
	if len(l.keys) >= maxLookups {
		clear(l.keys)
	}
	l.keys[k.Hash] = keyEntry{key: k, at: l.now()}
}

// touched records a key's last use in its entry, so that the next request does
// not record it again.
func (l *Lookups) touched(hash [32]byte, t time.Time) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.keys[hash]; ok {
		e.key.LastUsedAt = &t
		l.keys[hash] = e
	}
}

// evaluation resolves ref (an id or a name) as resolveEvaluation does, from
// memory when it can.
func (l *Lookups) evaluation(ctx context.Context, s ports.EvaluationStore, ref string) (domain.Evaluation, error) {
	e, _, err := l.evaluationWith(ctx, s, ref, nil)
	return e, err
}

// evaluationWith resolves ref as evaluation does, and with build (unless nil)
// the set of its scorers, which is kept with it: a set is never changed once
// built, and its scorers already serve concurrent calls. A configuration that
// does not build is returned as build's error, and nothing is kept of it.
func (l *Lookups) evaluationWith(ctx context.Context, s ports.EvaluationStore, ref string, build func([]domain.ScorerConfig) (*scoring.Set, error)) (domain.Evaluation, *scoring.Set, error) {
	var gen uint64
	var on bool
	if l != nil {
		l.mu.Lock()
		gen, on = l.gen, l.listening
		e, ok := l.evals[ref]
		if ok && on && l.fresh(e.at) && (e.set != nil || build == nil) {
			l.hits++
			l.mu.Unlock()
			return e.eval, e.set, nil
		}
		l.mu.Unlock()
	}
	e, err := resolveEvaluation(ctx, s, ref)
	if err != nil {
		return e, nil, err
	}
	var set *scoring.Set
	if build != nil {
		if set, err = build(e.Scorers); err != nil {
			return e, nil, err
		}
	}
	if !on {
		return e, set, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if gen == l.gen && l.listening {
		if len(l.evals) >= maxLookups {
			clear(l.evals)
		}
		l.evals[ref] = evalEntry{eval: e, at: l.now(), set: set}
	}
	return e, set, nil
}
