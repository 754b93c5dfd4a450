package porttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// testResponseCounts checks that the response count a store keeps (what
// MaintenanceStore.CountEvaluationRows reports) equals the responses that can be
// listed after every way of writing them: single and bulk inserts, a bulk whose
// external ids partly exist, chunked ingest, transactions rolled back, deletes,
// concurrent writers of one evaluation, and a purge batch by batch.
func testResponseCounts(t *testing.T, h Harness) {
	ctx := context.Background()
	e := mustEvaluation(t, h.Stores.Evaluations)
	var made int
	batch := func(n int) []domain.Response {
		rs := make([]domain.Response, n)
		for i := range rs {
			made++
			rs[i] = response(e, fmt.Sprint("r", made), fmt.Sprint("m", made%3), fmt.Sprint("prompt ", made%11))
		}
		return rs
	}
	check := func(t *testing.T, step string, want int64) {
		t.Helper()
		kept, _, err := h.Stores.Maintenance.CountEvaluationRows(ctx, e.ID)
		if err != nil {
			t.Fatalf("%s: CountEvaluationRows: %v", step, err)
		}
		listed := listedResponses(t, h.Stores.Responses, e.ID)
		if kept != listed || listed != want {
			t.Errorf("%s: kept count %d, %d responses listed, want %d", step, kept, listed, want)
		}
	}
	insert := func(t *testing.T, rs []domain.Response) int {
		t.Helper()
		ids, err := h.Stores.Responses.InsertResponses(ctx, rs)
		if err != nil {
			t.Fatalf("InsertResponses: %v", err)
		}
		return len(ids)
	}
	boom := errors.New("boom")
	var total int64

	total += int64(insert(t, batch(1)))
	check(t, "one response", total)
	total += int64(insert(t, batch(150)))
	check(t, "a bulk insert", total)
	// Half the external ids exist: the bulk path's first try fails on them and
	// writes the batch again skipping them.
	again := batch(100)
	for i := range 50 {
		again[i].ExternalID = fmt.Sprint("r", 2+i)
	}
	if n := insert(t, again); n != 50 {
		t.Errorf("a bulk insert of 50 new and 50 stored external ids inserted %d", n)
	}
	total += 50
	check(t, "a bulk insert of partly stored external ids", total)

	chunked := func(chunks ...[]domain.Response) func(yield func(ports.ResponseChunk, error) bool) {
		return func(yield func(ports.ResponseChunk, error) bool) {
			for _, c := range chunks {
				if !yield(ports.Scored(c), nil) {
					return
				}
			}
		}
	}
	err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		_, err := s.Responses.IngestResponses(ctx, chunked(batch(70), batch(3), batch(90)))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	total += 163
	check(t, "a chunked ingest", total)
	for _, rs := range [][]domain.Response{batch(2), batch(120)} {
		err = h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			if _, err := s.Responses.IngestResponses(ctx, chunked(rs)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		check(t, fmt.Sprintf("a rolled-back ingest of %d", len(rs)), total)
	}

	stored, err := h.Stores.Responses.ListResponses(ctx, ports.ResponseQuery{EvaluationID: e.ID, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range stored {
		if err := h.Stores.Responses.DeleteResponse(ctx, e.ID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	total -= int64(len(stored))
	check(t, "deletes", total)

	// Writers of one evaluation at once, small and bulk, committed and rolled
	// back, with deletes among them.
	const writers = 8
	work := make([][][]domain.Response, writers)
	for w := range work {
		work[w] = [][]domain.Response{batch(1), batch(5), batch(80), batch(1)}
	}
	victims, err := h.Stores.Responses.ListResponses(ctx, ports.ResponseQuery{EvaluationID: e.ID, Limit: writers})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i, rs := range work[w] {
				var err error
				if i == 2 && w%2 == 1 {
					err = h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
						if _, err := s.Responses.IngestResponses(ctx, chunked(rs)); err != nil {
							return err
						}
						return boom
					})
					if errors.Is(err, boom) {
						err = nil
					}
				} else {
					_, err = h.Stores.Responses.InsertResponses(ctx, rs)
				}
				if err != nil {
					errs <- err
					return
				}
			}
			if w < len(victims) {
				errs <- h.Stores.Responses.DeleteResponse(ctx, e.ID, victims[w].ID)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("a concurrent writer: %v", err)
		}
	}
	total += writers*(1+5+1) + writers/2*80 - int64(len(victims))
	check(t, "concurrent writers", total)

	if err := h.Stores.Maintenance.MarkEvaluationDeleted(ctx, e.ID, now()); err != nil {
		t.Fatal(err)
	}
	for batches := 0; ; batches++ {
		if batches > 20 {
			t.Fatal("the purge does not end")
		}
		n, done, err := h.Stores.Maintenance.PurgeEvaluation(ctx, e.ID, 97)
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		total -= n
		check(t, fmt.Sprintf("purge batch %d", batches+1), total)
	}
	if kept, _, err := h.Stores.Maintenance.CountEvaluationRows(ctx, e.ID); err != nil || kept != 0 {
		t.Errorf("after the purge: kept count %d, %v; want 0", kept, err)
	}
}

// listedResponses counts an evaluation's responses by listing them all.
func listedResponses(t *testing.T, s ports.ResponseStore, id domain.ID) int64 {
	t.Helper()
	var n int64
	var after *domain.ID
	for {
		rs, err := s.ListResponses(context.Background(), ports.ResponseQuery{EvaluationID: id, After: after, Limit: 500})
		if err != nil {
			t.Fatalf("ListResponses: %v", err)
		}
		n += int64(len(rs))
		if len(rs) < 500 {
			return n
		}
		after = &rs[len(rs)-1].ID
	}
}
