package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// stored is one item of a batch as the store holds it, and whether this call
// created it.
type stored[T any] struct {
	item    T
	created bool
}

// ingestChunk is how many items a bulk request validates, scores and copies to the
// database at a time: memory holds one chunk, not the whole body.
const ingestChunk = 1000

// onceStream writes a bulk request chunk by chunk in one transaction, under the
// external_id rule shared by responses and comparisons: an item whose external_id
// is stored (or repeats earlier in the request) is not created again, and the
// stored one stands in its place.
//
// Items arrive through Add; each chunk is validated, checked against stored
// external ids, built, prepared (scored) and staged; Finish commits. With keep, the
// stored items are kept for the reply in input order; without, only counts are,
// and memory stays flat however large the request.
type onceStream[In, T any] struct {
	extOf        func(In) string
	extOfT       func(T) string
	idOf         func(T) domain.ID
	validate     func(i int, x In) error
	fetch        func(ctx context.Context, externalIDs []string) ([]T, error)
	prepareChunk func(ctx context.Context, chunk []In) error
	build        func(i int, x In) (T, error)
	prepare      func(ctx context.Context, fresh []T) error
	begin        func(ctx context.Context) (ports.StagedBatch[T], error)
	// insert writes a whole request that fits in one chunk with one call, which
	// the store may do in fewer round trips than a staged batch.
	insert   func(ctx context.Context, items []T) ([]domain.ID, error)
	maxItems int
	keep     bool

	batch   ports.StagedBatch[T]
	staging chan error  // the chunk being staged in the background, if any
	once    []domain.ID // ids inserted by insert, for a request of one chunk
	onceRan bool
	n       int
	chunk   []In
	chunkAt int // global index of chunk[0]
	errs    []error
	seen    map[string]int // external id → global index of its first occurrence
	out     []stored[T]    // with keep
	exts    []string       // with keep: each item's external id
	pending []int          // with keep: global indexes of staged (not yet confirmed) items
}

// Add takes the next item of the request.
func (s *onceStream[In, T]) Add(ctx context.Context, x In) error {
	if s.n >= s.maxItems {
		return domain.Invalid("", "the batch has more than %d items; at most %d are allowed per request", s.maxItems, s.maxItems)
	}
	if len(s.chunk) == 0 {
		s.chunkAt = s.n
	}
	if err := s.validate(s.n, x); err != nil {
		s.errs = append(s.errs, err)
	}
	s.chunk = append(s.chunk, x)
	s.n++
	if s.keep {
		s.out = append(s.out, stored[T]{})
		s.exts = append(s.exts, s.extOf(x))
	}
	if len(s.chunk) == ingestChunk {
		return s.flush(ctx)
	}
	return nil
}

func (s *onceStream[In, T]) flush(ctx context.Context) error { return s.flushChunk(ctx, false) }

func (s *onceStream[In, T]) flushChunk(ctx context.Context, final bool) error {
	if err := errors.Join(s.errs...); err != nil {
		return err
	}
	chunk := s.chunk
	s.chunk = s.chunk[:0:0]
	if len(chunk) == 0 {
		return nil
	}
	if s.seen == nil {
		s.seen = map[string]int{}
	}
	// External ids new to this request, to look up in the store.
	var lookup []string
	for k, x := range chunk {
		if ext := s.extOf(x); ext != "" {
			if _, ok := s.seen[ext]; !ok {
				s.seen[ext] = s.chunkAt + k
				lookup = append(lookup, ext)
			}
		}
	}
	existing := map[string]T{}
	// A request that is a single small write skips the lookup: its insert skips
	// stored external ids itself (ON CONFLICT), and Finish reads back what it
	// skipped. That saves a round trip on every single POST, at the cost of
	// scoring an item again when it is re-posted.
	oneShot := final && s.batch == nil && s.insert != nil
	if len(lookup) > 0 && !oneShot {
		items, err := s.fetch(ctx, lookup)
		if err != nil {
			return err
		}
		for _, t := range items {
			existing[s.extOfT(t)] = t
		}
	}
	if s.prepareChunk != nil {
		if err := s.prepareChunk(ctx, chunk); err != nil {
			return err
		}
	}
	var fresh []T
	var freshAt []int
	var errs []error
	for k, x := range chunk {
		i := s.chunkAt + k
		if ext := s.extOf(x); ext != "" {
			if t, ok := existing[ext]; ok {
				if s.keep {
					s.out[i] = stored[T]{item: t}
				}
				continue
			}
			if s.seen[ext] != i {
				continue // a repeat: it gets what its first occurrence gets
			}
		}
		t, err := s.build(i, x)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fresh = append(fresh, t)
		freshAt = append(freshAt, i)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(fresh) == 0 {
		return nil
	}
	if s.prepare != nil {
		if err := s.prepare(ctx, fresh); err != nil {
			return err
		}
	}
	if oneShot {
		// The whole request is this chunk: one call writes it.
		ids, err := s.insert(ctx, fresh)
		if err != nil {
			return err
		}
		s.once, s.onceRan = ids, true
		if s.keep {
			for k, t := range fresh {
				s.out[freshAt[k]] = stored[T]{item: t}
				s.pending = append(s.pending, freshAt[k])
			}
		}
		return nil
	}
	// The chunk is written in the background while the next one is decoded and
	// scored: scoring runs in this process, the COPY in the database's, and on a
	// small machine overlapping them is most of the difference. Writes stay in
	// order: a chunk waits for the one before it.
	if err := s.wait(); err != nil {
		return err
	}
	if s.batch == nil {
		b, err := s.begin(ctx)
		if err != nil {
			return err
		}
		s.batch = b
	}
	done := make(chan error, 1)
	s.staging = done
	go func(b ports.StagedBatch[T]) { done <- b.Stage(ctx, fresh) }(s.batch)
	if s.keep {
		for k, t := range fresh {
			s.out[freshAt[k]] = stored[T]{item: t}
			s.pending = append(s.pending, freshAt[k])
		}
	}
	return nil
}

// wait waits for the chunk being written, if any, and returns its error.
func (s *onceStream[In, T]) wait() error {
	if s.staging == nil {
		return nil
	}
	err := <-s.staging
	s.staging = nil
	return err
}

// Abort rolls back whatever was staged.
func (s *onceStream[In, T]) Abort(ctx context.Context) {
	_ = s.wait()
	if s.batch != nil {
		s.batch.Abort(ctx)
	}
}

// batchResult is a finished bulk write.
type batchResult[T any] struct {
	items             []stored[T] // nil without keep
	created, existing int
}

// Finish stages the last chunk and commits. It refuses an empty request.
func (s *onceStream[In, T]) Finish(ctx context.Context) (batchResult[T], error) {
	if err := s.flushChunk(ctx, true); err != nil {
		s.Abort(ctx)
		return batchResult[T]{}, err
	}
	if err := s.wait(); err != nil {
		s.Abort(ctx)
		return batchResult[T]{}, err
	}
	if s.n == 0 {
		return batchResult[T]{}, domain.Invalid("", "the batch is empty; send one object, a JSON array or NDJSON lines")
	}
	inserted := s.once
	if s.batch != nil && !s.onceRan {
		var err error
		if inserted, err = s.batch.Commit(ctx); err != nil {
			return batchResult[T]{}, err
		}
	}
	res := batchResult[T]{created: len(inserted), existing: s.n - len(inserted)}
	if !s.keep {
		return res, nil
	}
	created := make(map[domain.ID]bool, len(inserted))
	for _, id := range inserted {
		created[id] = true
	}
	// A concurrent request may have stored some of the same external ids first:
	// what it stored is the answer.
	var lost []string
	for _, i := range s.pending {
		if created[s.idOf(s.out[i].item)] {
			s.out[i].created = true
		} else {
			lost = append(lost, s.extOfT(s.out[i].item))
		}
	}
	if len(lost) > 0 {
		items, err := s.fetch(ctx, lost)
		if err != nil {
			return batchResult[T]{}, fmt.Errorf("read the responses a concurrent request stored: %w", err)
		}
		won := map[string]T{}
		for _, t := range items {
			won[s.extOfT(t)] = t
		}
		for _, i := range s.pending {
			if !s.out[i].created {
				s.out[i] = stored[T]{item: won[s.extOfT(s.out[i].item)]}
			}
		}
	}
	// Repeats within the request get what their first occurrence got, not "created".
	for i, ext := range s.exts {
		if first := s.seen[ext]; ext != "" && first != i {
			s.out[i] = stored[T]{item: s.out[first].item}
		}
	}
	res.items = s.out
	return res, nil
}

// lookupByRef finds one item of an evaluation by id or, failing that, by external id.
func lookupByRef[T any](ctx context.Context, e domain.Evaluation, what, ref string,
	byID func(ctx context.Context, evalID domain.ID, ids []domain.ID) ([]T, error),
	byExternal func(ctx context.Context, evalID domain.ID, ids []string) ([]T, error)) (T, error) {
	var zero T
	if id, err := domain.ParseID(ref); err == nil {
		items, err := byID(ctx, e.ID, []domain.ID{id})
		if err != nil {
			return zero, err
		}
		if len(items) == 1 {
			return items[0], nil
		}
	}
	items, err := byExternal(ctx, e.ID, []string{ref})
	if err != nil {
		return zero, err
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return zero, fmt.Errorf("%s %q in evaluation %q: %w", what, ref, e.Name, domain.ErrNotFound)
}
