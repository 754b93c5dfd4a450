package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Group commit of small writes. A small batch written on the pool (a single
// POST, or a request of up to smallBatch responses) is one autocommit statement,
// and every such statement is a commit of its own: its own WAL flush, its own
// round trip. Under concurrent writers to one evaluation most of the database's
// work is those commits. groupWriter lets the writes that arrive while one is in
// flight queue, and writes what has queued (at most smallBatch responses and
// maxGroupBytes of encoded rows) in one statement when the write before ends:
// one commit answers the whole group, and each request gets back its own rows.
// Up to groupWriters writes to one evaluation run at once; only the requests
// that find them all busy wait. There is no wait otherwise: a request
// that finds a writer free is written at once, by its own goroutine, as before.
//
// What each request sees does not change:
//   - It is answered only after the statement that holds its rows committed, or
//     with the statement's error. A reply lost with the connection leaves the
//     outcome unknown for every request of the group, and each is told so.
//   - The statement skips stored external ids (ON CONFLICT DO NOTHING); an
//     external id posted by two requests of one group is written for the first
//     only, and the second finds the first's row, as if it had come just after.
//   - A request whose rows cannot be encoded fails alone, before it queues. When
//     the database refuses a group's statement, nothing of it was stored, and
//     its requests are written again one by one, so that the error goes to the
//     request that caused it only.
//   - A request whose context ends while it is queued leaves the queue and is
//     not written. Once a write has taken it, the write goes on for the others
//     (it is cancelled only when every request in it is gone), so its rows may
//     be stored although it returned the context's error: the same as a client
//     that hangs up while its statement commits.
//
// Memory is bounded by the requests waiting, each of which holds its handler. No
// goroutine outlives the queue: a request that finds a writer free writes, and
// when its write ends with requests queued, one goroutine takes over that writer
// and writes groups until the queue is empty.
type groupWriter struct {
	pool    *pgxpool.Pool
	writers int // writes in flight per evaluation, at most

	mu     sync.Mutex
	queues map[domain.ID]*groupQueue // per evaluation, while writes are in flight
	wg     sync.WaitGroup            // the goroutines that drain queues

	statements atomic.Int64 // statements sent, for tests
}

// maxGroupBytes bounds the encoded rows of one grouped statement; a request
// larger than that is written alone.
const maxGroupBytes = 1 << 20

// groupWriters is how many writes to one evaluation may be in flight at once.
// One: with two, the database's work on one write overlapped the other's round
// trip, but each group was half as large (3.5–4 requests a commit at 16
// clients, against 6–7 with one), and the fewer, larger commits did more
// requests a second in every paired run of rlhf-bench's latency section
// (docs/benchmarks.md).
const groupWriters = 1

// groupQueue is one evaluation's queue; it exists while writes to the
// evaluation are in flight.
type groupQueue struct {
	writing int
	waiting []*groupRequest
}

// groupRequest is one request's batch, queued or being written.
type groupRequest struct {
	ctx   context.Context
	rs    []domain.Response
	rows  atOnceRows
	size  int
	taken bool              // a write has taken it (under groupWriter.mu)
	done  chan groupOutcome // buffered: the writer never blocks on it
}

type groupOutcome struct {
	ids []domain.ID
	err error
}

func newGroupWriter(pool *pgxpool.Pool, writers int) *groupWriter {
	return &groupWriter{pool: pool, writers: writers, queues: map[domain.ID]*groupQueue{}}
}

// insert writes rs (a small batch of one evaluation) alone when a writer of its
// evaluation is free, and otherwise with the next group.
func (g *groupWriter) insert(ctx context.Context, rs []domain.Response) ([]domain.ID, error) {
	rows, err := encodeAtOnce(rs)
	if err != nil {
		return nil, err
	}
	req := &groupRequest{ctx: ctx, rs: rs, rows: rows, size: rows.size(), done: make(chan groupOutcome, 1)}
	eval := rs[0].EvaluationID
	g.mu.Lock()
	q, ok := g.queues[eval]
	if !ok {
		q = &groupQueue{}
		g.queues[eval] = q
	}
	if q.writing < g.writers {
		q.writing++
		req.taken = true
		g.mu.Unlock()
		g.write(eval, []*groupRequest{req})
		g.next(eval)
		out := <-req.done
		return out.ids, out.err
	}
	q.waiting = append(q.waiting, req)
	g.mu.Unlock()
	select {
	case out := <-req.done:
		return out.ids, out.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	taken := req.taken
	if !taken {
		q.waiting = deleteRequest(q.waiting, req)
	}
	g.mu.Unlock()
	select {
	case out := <-req.done: // written meanwhile
		return out.ids, out.err
	default:
	}
	if !taken {
		return nil, context.Cause(ctx) // not written
	}
	// Its write goes on for the others and may commit.
	return nil, commitError(ctx.Err())
}

// next ends a write to eval: when requests queued meanwhile, a goroutine takes
// over the writer and writes them, a group at a time, until none is left.
func (g *groupWriter) next(eval domain.ID) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if q := g.queues[eval]; len(q.waiting) == 0 {
		g.done(eval, q)
		return
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			group := g.take(eval)
			if group == nil {
				return
			}
			g.write(eval, group)
		}
	}()
}

// done ends a writer of eval; the queue goes with the last.
func (g *groupWriter) done(eval domain.ID, q *groupQueue) {
	q.writing--
	if q.writing == 0 {
		delete(g.queues, eval)
	}
}

// take removes the next group from eval's queue, or ends the writer and
// returns nil when it is empty.
func (g *groupWriter) take(eval domain.ID) []*groupRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	q := g.queues[eval]
	if len(q.waiting) == 0 {
		g.done(eval, q)
		return nil
	}
	n, items, size := 0, 0, 0
	for _, r := range q.waiting {
		if n > 0 && (items+len(r.rs) > smallBatch || size+r.size > maxGroupBytes) {
			break
		}
		r.taken = true
		n, items, size = n+1, items+len(r.rs), size+r.size
	}
	group := q.waiting[:n:n]
	q.waiting = append([]*groupRequest(nil), q.waiting[n:]...)
	return group
}

// deleteRequest removes r from rs.
func deleteRequest(rs []*groupRequest, r *groupRequest) []*groupRequest {
	for i, x := range rs {
		if x == r {
			return append(rs[:i:i], rs[i+1:]...)
		}
	}
	return rs
}

// write writes a group and answers each of its requests.
func (g *groupWriter) write(eval domain.ID, group []*groupRequest) {
	ctx, cancel := groupContext(group)
	defer cancel()
	ids, err := g.statement(ctx, eval, group)
	if err != nil && len(group) > 1 && refused(err) {
		// Nothing of the group was stored; write each request on its own, so
		// that only the one at fault gets the error.
		for _, r := range group {
			ids, err := g.statement(ctx, eval, []*groupRequest{r})
			r.done <- groupOutcome{ids: ids, err: err}
		}
		return
	}
	if err != nil {
		for _, r := range group {
			r.done <- groupOutcome{err: err}
		}
		return
	}
	created := make(map[domain.ID]bool, len(ids))
	for _, id := range ids {
		created[id] = true
	}
	for _, r := range group {
		var mine []domain.ID
		for _, resp := range r.rs {
			if created[resp.ID] {
				mine = append(mine, resp.ID)
			}
		}
		r.done <- groupOutcome{ids: mine}
	}
}

// groupContext is the context of a group's write: it keeps the values of the
// first request's context, and is cancelled once every request's context is
// done, since no one is left to answer.
func groupContext(group []*groupRequest) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(group[0].ctx))
	left := atomic.Int64{}
	left.Store(int64(len(group)))
	stops := make([]func() bool, len(group))
	for i, r := range group {
		stops[i] = context.AfterFunc(r.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// statement writes the group's responses in one statement. An external id
// that an earlier request of the group posts too is left out: that request's
// row stands for it.
func (g *groupWriter) statement(ctx context.Context, eval domain.ID, group []*groupRequest) ([]domain.ID, error) {
	var rows atOnceRows
	if len(group) == 1 {
		rows = group[0].rows
	} else {
		seen := map[string]bool{}
		for _, r := range group {
			rows.appendDistinct(r.rows, seen)
		}
	}
	params, err := rows.params(eval)
	if err != nil {
		return nil, err
	}
	g.statements.Add(1)
	ids, err := runAtOnce(ctx, g.pool, params)
	if err != nil {
		return nil, err
	}
	return fromPgIDs(ids), nil
}

// refused reports an error that is the database's own answer to a statement
// (not a lost connection, a cancelled context or an unknown outcome): nothing
// of it was stored.
func refused(err error) bool {
	return !errors.Is(err, domain.ErrUnavailable) && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// runAtOnce runs InsertResponsesAtOnce on a connection of its own and returns
// the ids of the responses it inserted.
func runAtOnce(ctx context.Context, pool *pgxpool.Pool, params atOnceStatement) ([]pgtype.UUID, error) {
	var ids []pgtype.UUID
	err := retryConflicts(ctx, func() error {
		var err error
		ids, err = execAtOnce(ctx, pool, params)
		return err
	})
	return ids, err
}

// queued reports how many requests wait for a write to eval, for tests.
func (g *groupWriter) queued(eval domain.ID) int {
	g.mu.Lock()
	defer g.mu.Unlock()
	if q, ok := g.queues[eval]; ok {
		return len(q.waiting)
	}
	return 0
}

// idle waits for the goroutines that drain queues, for tests.
func (g *groupWriter) idle() error {
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	if n := len(g.queues); n != 0 {
		return fmt.Errorf("%d evaluations still have a queue", n)
	}
	return nil
}
