package app

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sync"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// A bulk write (responses or comparisons) is one request body, read, scored and
// stored a chunk at a time, all or nothing, under the external_id rule shared by
// both: an item whose external_id is stored (or repeats earlier in the request)
// is not created again, and the stored one stands in its place.
//
// Two goroutines share the work. chunkReader pulls the items, validates them,
// looks up their external ids and builds the new ones, a chunk at a time, and
// hands each chunk on before it finishes (scores) it, while chunkWriter stores
// the chunks in the database: what a chunk's items hold before finish (a
// response without its scores) while finish runs, the rest once it is done. A
// channel of one chunk between them bounds memory. No database connection is
// held while the client's bytes are awaited: a request of one chunk needs no
// transaction of its own, and a larger one begins its transaction only once
// the items of its second chunk are read; it then takes a bulk writer's token
// (Limits.BulkWriters) and may wait at most Limits.BulkStall for each later
// chunk's items. The wait for a chunk's finish is bounded by the scorers'
// budgets, not by BulkStall, which is about the client.

// ingestChunk is how many items a bulk request validates, scores and copies to the
// database at a time: memory holds a few chunks, not the whole body.
const ingestChunk = 1000

// IngestOptions says how a bulk request came and what it wants back.
type IngestOptions struct {
	// Single marks a request of one object: its field errors carry no "[i]" prefix.
	Single bool
	// Keep returns every stored item, in input order; without it only the counts
	// are returned. Either way memory stays flat in the size of the request: Keep
	// holds the first few thousand items and only the ids of the rest, which are
	// read back from the database a chunk at a time as they are pulled.
	Keep bool
}

// Items is the sequence of a slice's elements, for Ingest.
func Items[T any](in []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, x := range in {
			if !yield(x, nil) {
				return
			}
		}
	}
}

// stored is one item of a batch as the store holds it, and whether this call
// created it.
type stored[T any] struct {
	item    T
	created bool
}

// batchResult is a finished bulk write.
type batchResult[T any] struct {
	items             iter.Seq2[stored[T], error] // nil without Keep
	created, existing int
}

// ref is one item of a request as the writer keeps it with Keep: the id of the
// stored item that answers it, and whether this request created it.
type ref struct {
	id      domain.ID
	created bool
}

// ingestKind is what a bulk write needs to know of one kind of item.
type ingestKind[In, T any] struct {
	extOf  func(In) string
	extOfT func(T) string
	idOf   func(T) domain.ID
	// validate checks one input and returns it as build is to take it (with what
	// the check worked out, so that build need not do it again).
	validate func(x In) (In, error)
	// stored returns the stored items with the given external ids; byID those
	// with the given ids.
	stored func(ctx context.Context, externalIDs []string) ([]T, error)
	byID   func(ctx context.Context, ids []domain.ID) ([]T, error)
	// build makes the items to write from a chunk's new inputs (at holds their
	// indexes in the request): it resolves what they refer to.
	build func(ctx context.Context, in []In, at []int) ([]T, error)
	// finish, when set, completes built items (scores them) after they were
	// handed to the writer, which can start writing what build set meanwhile;
	// alone says the chunk is the whole request, so no write runs beside it.
	finish func(ctx context.Context, items []T, alone bool) error
	// insert writes a request of one chunk with one call on the pool; ingest
	// writes a larger one in a transaction's stores.
	insert func(ctx context.Context, items []T) ([]domain.ID, error)
	ingest func(ctx context.Context, s ports.Stores, chunks iter.Seq2[pending[T], error]) ([]domain.ID, error)
}

// pending is a chunk's items as the writer gets them: ready waits until finish
// has completed them (it is nil when there is nothing to wait for).
type pending[T any] struct {
	items []T
	ready func() error
}

// completed is the sequence of a kind without finish: its chunks' items.
func completed[T any](chunks iter.Seq2[pending[T], error]) iter.Seq2[[]T, error] {
	return func(yield func([]T, error) bool) {
		for p, err := range chunks {
			if err == nil && p.ready != nil {
				err = p.ready()
			}
			if !yield(p.items, err) || err != nil {
				return
			}
		}
	}
}

// completion is whether finish has completed a chunk's items.
type completion struct {
	done chan struct{}
	err  error
}

// wait returns once the items are complete, or ctx is done.
func (c *completion) wait(ctx context.Context) error {
	if c == nil {
		return nil
	}
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// chunk is one prepared chunk of a request.
type chunk[T any] struct {
	err     error
	at, n   int      // index in the request of its first item; its number of items
	last    bool     // no chunk follows
	exts    []string // with Keep: each item's external id
	fresh   []T      // the items to write
	freshAt []int
	ids     []domain.ID // of fresh, read before the chunk is sent
	found   []T         // items whose external id is stored, with Keep
	foundAt []int
	// finished is closed by the reader once finish has completed fresh (nil
	// without finish).
	finished *completion
}

// ingest runs a bulk write of items. With Keep, the result's items are read
// back (where they must be) on ctx, after ingest has returned.
func ingest[In, T any](ctx context.Context, d Deps, k ingestKind[In, T], items iter.Seq2[In, error], opts IngestOptions) (batchResult[T], error) {
	work, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks, ahead := make(chan chunk[T], 1), make(chan struct{})
	r := chunkReader[In, T]{kind: k, opts: opts, max: d.Limits.orDefault().MaxBatchItems, out: chunks, ahead: ahead}
	go r.run(work, items)
	w := chunkWriter[In, T]{kind: k, d: d, opts: opts, in: chunks, ahead: ahead}
	res, err := w.run(work)
	if err == nil && opts.Keep {
		res.items = func(yield func(stored[T], error) bool) { w.items(ctx, yield) }
	}
	return res, err
}

// MapItems converts the items of a sequence (nil stays nil).
func MapItems[T, Out any](items iter.Seq2[T, error], f func(T) Out) iter.Seq2[Out, error] {
	if items == nil {
		return nil
	}
	return func(yield func(Out, error) bool) {
		for s, err := range items {
			var out Out
			if err == nil {
				out = f(s)
			}
			if !yield(out, err) {
				return
			}
		}
	}
}

// Collect returns the items of a sequence as a slice, or its first error.
func Collect[T any](items iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for x, err := range items {
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

// chunkReader turns the request's items into prepared chunks.
type chunkReader[In, T any] struct {
	kind ingestKind[In, T]
	opts IngestOptions
	max  int
	out  chan<- chunk[T]
	// ahead is closed once the second chunk's items are read (or the input
	// ended): from then on the client's bytes no longer hold the writer up.
	ahead chan<- struct{}
	seen  map[string]int // external id → index of its first occurrence
	// fresh is set once a lookup found none of its external ids stored: the
	// request is new data, and the chunks after it are not looked up.
	fresh bool
}

// run reads every item and sends its chunks, ending with one marked last or with
// an error; it gives up when ctx is done.
func (r *chunkReader[In, T]) run(ctx context.Context, items iter.Seq2[In, error]) {
	defer close(r.out)
	var once sync.Once
	readAhead := func() { once.Do(func() { close(r.ahead) }) }
	defer readAhead()
	r.seen = map[string]int{}
	var buf []In
	var errs []error
	at, n := 0, 0
	// Each chunk is sent before finish completes it, so that the writer can
	// write what it can of it meanwhile; the reader finishes it right after,
	// except the first of several: a goroutine finishes that one while the
	// reader reads the second's items, which the writer waits for before it
	// begins (see chunkWriter.run). The reader waits for that goroutine before
	// it hands on the second chunk.
	var first chan bool
	for x, err := range items {
		if err == nil && n >= r.max {
			err = domain.Invalid("", "the batch has more than %d items; at most %d are allowed per request", r.max, r.max)
		}
		if err != nil {
			r.send(ctx, chunk[T]{err: err})
			return
		}
		x, err = r.kind.validate(x)
		errs = append(errs, prefixItem(n, r.opts.Single, err))
		buf = append(buf, x)
		n++
		if len(buf) < ingestChunk {
			continue
		}
		if n == 2*ingestChunk {
			readAhead()
		}
		if first != nil {
			if !<-first {
				return
			}
			first = nil
		}
		c := r.prepare(ctx, buf, at, false, errors.Join(errs...))
		if !r.send(ctx, c) {
			return
		}
		if at == 0 {
			first = make(chan bool, 1)
			go func() { first <- r.finish(ctx, &c, false) }()
		} else if !r.finish(ctx, &c, false) {
			return
		}
		buf, errs, at = nil, nil, n
	}
	readAhead()
	if first != nil && !<-first {
		return
	}
	if n == 0 {
		r.send(ctx, chunk[T]{err: domain.Invalid("", "the batch is empty; send one object, a JSON array or NDJSON lines")})
		return
	}
	c := r.prepare(ctx, buf, at, true, errors.Join(errs...))
	if r.send(ctx, c) {
		r.finish(ctx, &c, at == 0)
	}
}

// finish completes a chunk sent unfinished, and reports whether reading should
// go on.
func (r *chunkReader[In, T]) finish(ctx context.Context, c *chunk[T], alone bool) bool {
	if c == nil || c.finished == nil {
		return true
	}
	c.finished.err = r.kind.finish(ctx, c.fresh, alone)
	close(c.finished.done)
	return c.finished.err == nil
}

// send hands c on, and reports whether reading should go on.
func (r *chunkReader[In, T]) send(ctx context.Context, c chunk[T]) bool {
	select {
	case r.out <- c:
		return c.err == nil
	case <-ctx.Done():
		return false
	}
}

// prepare checks a chunk against the stored external ids and builds its new items.
// A request of one chunk skips the lookup: its insert skips stored external ids
// itself (ON CONFLICT), and the writer reads back what it skipped. That saves a
// round trip on every single POST, at the cost of scoring an item again when it
// is re-posted. A larger request looks its chunks up until one lookup finds
// none of its ids stored: a request that repeats stored items (a retry) does so
// from its start, and new data then skips a query of about 1,000 index probes
// per chunk. An id stored all the same (by a concurrent request, or before the
// request by a client that mixes old and new items) is caught by the write, as
// for a single POST: the chunk goes through the staging tables, which skip it,
// and the reply reads back what was stored.
func (r *chunkReader[In, T]) prepare(ctx context.Context, buf []In, at int, last bool, invalid error) chunk[T] {
	c := chunk[T]{at: at, n: len(buf), last: last}
	if invalid != nil {
		c.err = invalid
		return c
	}
	if r.opts.Keep {
		c.exts = make([]string, len(buf))
		for k, x := range buf {
			c.exts[k] = r.kind.extOf(x)
		}
	}
	existing, err := r.lookup(ctx, buf, at, !(last && at == 0) && !r.fresh)
	if err != nil {
		c.err = err
		return c
	}
	var fresh []In
	for k, x := range buf {
		i := at + k
		if ext := r.kind.extOf(x); ext != "" {
			if t, ok := existing[ext]; ok {
				if r.opts.Keep {
					c.found, c.foundAt = append(c.found, t), append(c.foundAt, i)
				}
				continue
			}
			if r.seen[ext] != i {
				continue // a repeat: it gets what its first occurrence gets
			}
		}
		fresh, c.freshAt = append(fresh, x), append(c.freshAt, i)
	}
	if len(fresh) > 0 {
		c.fresh, c.err = r.kind.build(ctx, fresh, c.freshAt)
		c.ids = make([]domain.ID, len(c.fresh))
		for k, t := range c.fresh {
			c.ids[k] = r.kind.idOf(t)
		}
		if c.err == nil && r.kind.finish != nil {
			c.finished = &completion{done: make(chan struct{})}
		}
	}
	return c
}

// lookup notes the external ids new to the request and, with stored, returns the
// stored items among them.
func (r *chunkReader[In, T]) lookup(ctx context.Context, buf []In, at int, stored bool) (map[string]T, error) {
	var exts []string
	for k, x := range buf {
		if ext := r.kind.extOf(x); ext != "" {
			if _, ok := r.seen[ext]; !ok {
				r.seen[ext] = at + k
				exts = append(exts, ext)
			}
		}
	}
	existing := map[string]T{}
	if !stored || len(exts) == 0 {
		return existing, nil
	}
	items, err := r.kind.stored(ctx, exts)
	if err != nil {
		return nil, err
	}
	for _, t := range items {
		existing[r.kind.extOfT(t)] = t
	}
	r.fresh = len(existing) == 0
	return existing, nil
}

// chunkWriter stores the prepared chunks and assembles the result.
type chunkWriter[In, T any] struct {
	kind  ingestKind[In, T]
	d     Deps
	opts  IngestOptions
	in    <-chan chunk[T]
	ahead <-chan struct{} // see chunkReader.ahead

	n       int
	refs    []ref           // with Keep
	exts    []string        // with Keep
	pending []int           // with Keep: indexes of written items, created or not
	mem     map[domain.ID]T // with Keep: the first memItems stored items
	pulled  bool            // chunks was pulled once
	kept    []chunk[T]      // the chunks pulled so far, while they can be replayed
}

// run writes the chunks: a request of one chunk with one insert on the pool, a
// larger one in a transaction.
func (w *chunkWriter[In, T]) run(ctx context.Context) (batchResult[T], error) {
	first, err := w.receive(ctx, 0)
	if err != nil {
		return batchResult[T]{}, err
	}
	var inserted []domain.ID
	if first.last {
		if inserted, err = w.insertOne(ctx, first); err != nil {
			return batchResult[T]{}, err
		}
		return w.result(ctx, inserted)
	}
	// Read the next chunk's items before a connection is taken, so that a
	// client that stalls after its first chunk holds nothing; their scoring
	// overlaps the first chunk's copy.
	select {
	case <-w.ahead:
	case <-ctx.Done():
		return batchResult[T]{}, context.Cause(ctx)
	}
	release, err := w.takeBulkToken(ctx)
	if err != nil {
		return batchResult[T]{}, err
	}
	defer release()
	w.note(first)
	// One sequence for every run of the transaction: a run after a deadlock
	// replays the chunks the runs before it pulled.
	chunks := w.chunks(ctx, first)
	err = w.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		var err error
		inserted, err = w.kind.ingest(ctx, s, chunks)
		return err
	})
	if err != nil {
		return batchResult[T]{}, err
	}
	return w.result(ctx, inserted)
}

// insertOne writes a request of one chunk.
func (w *chunkWriter[In, T]) insertOne(ctx context.Context, c chunk[T]) ([]domain.ID, error) {
	w.note(c)
	if len(c.fresh) == 0 {
		return nil, nil
	}
	if err := c.finished.wait(ctx); err != nil {
		return nil, err
	}
	w.settle(c)
	return w.kind.insert(ctx, c.fresh)
}

// maxReplayChunks is how many chunks a transaction keeps so that it can be run
// again after a deadlock; a larger request fails with a 503 instead.
const maxReplayChunks = 4

// chunks is the sequence of the chunks to write: the first, then the rest as
// they come, each awaited for at most Limits.BulkStall. When TxRunner
// runs the transaction again after a deadlock, the sequence replays what it
// kept, if it could keep every chunk pulled so far.
func (w *chunkWriter[In, T]) chunks(ctx context.Context, first chunk[T]) iter.Seq2[pending[T], error] {
	w.kept = []chunk[T]{first}
	// give hands a chunk to the store and, once the store is done with it
	// (and so with waiting for its items), keeps what the reply needs of it.
	give := func(c chunk[T], yield func(pending[T], error) bool) bool {
		p := pending[T]{items: c.fresh}
		if c.finished != nil {
			p.ready = func() error { return c.finished.wait(ctx) }
		}
		if !yield(p, nil) {
			return false
		}
		w.settle(c)
		return true
	}
	return func(yield func(pending[T], error) bool) {
		if w.pulled && w.kept == nil {
			yield(pending[T]{}, fmt.Errorf("%w: the write met a deadlock with a concurrent one and is too large to run again inside the server; "+
				"send it again", domain.ErrUnavailable))
			return
		}
		w.pulled = true
		last := false
		for _, c := range w.kept {
			if !give(c, yield) {
				return
			}
			last = c.last
		}
		for !last {
			c, err := w.receive(ctx, w.d.Limits.orDefault().BulkStall)
			if err != nil {
				yield(pending[T]{}, err)
				return
			}
			w.note(c)
			if w.kept != nil && len(w.kept) < maxReplayChunks {
				w.kept = append(w.kept, c)
			} else {
				w.kept = nil
			}
			if !give(c, yield) {
				return
			}
			last = c.last
		}
	}
}

// receive waits for the next chunk, at most stall when stall is not 0.
func (w *chunkWriter[In, T]) receive(ctx context.Context, stall time.Duration) (chunk[T], error) {
	var timeout <-chan time.Time
	if stall > 0 {
		t := time.NewTimer(stall)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case c, ok := <-w.in:
		if !ok {
			// The reader ends with a chunk marked last or an error; a closed
			// channel without either means it gave up on a done context.
			if err := context.Cause(ctx); err != nil {
				return chunk[T]{}, err
			}
			return chunk[T]{}, errors.New("the request's items ended without their last chunk")
		}
		return c, c.err
	case <-timeout:
		return chunk[T]{}, fmt.Errorf("%w: the next %d items did not arrive within %v while the request held a database transaction; "+
			"send the body faster, or in smaller requests", domain.ErrTooSlow, ingestChunk, stall)
	case <-ctx.Done():
		return chunk[T]{}, context.Cause(ctx)
	}
}

// takeBulkToken waits for a bulk writer's token, if their number is limited.
func (w *chunkWriter[In, T]) takeBulkToken(ctx context.Context) (release func(), err error) {
	if w.d.bulk == nil {
		return func() {}, nil
	}
	select {
	case w.d.bulk <- struct{}{}:
		return func() { <-w.d.bulk }, nil
	case <-ctx.Done():
		return nil, context.Cause(ctx)
	}
}

// memItems is how many stored items a reply keeps in memory; the rest are read
// back. They are the first chunks', which a transaction keeps anyway for a
// replay (maxReplayChunks), so a request of up to that size needs no read back.
const memItems = maxReplayChunks * ingestChunk

// note counts a chunk and, with Keep, places its items.
func (w *chunkWriter[In, T]) note(c chunk[T]) {
	w.n += c.n
	if !w.opts.Keep {
		return
	}
	if w.mem == nil {
		w.mem = make(map[domain.ID]T, c.n)
	}
	w.refs = append(w.refs, make([]ref, c.n)...)
	w.exts = append(w.exts, c.exts...)
	for k, i := range c.foundAt {
		w.refs[i] = ref{id: w.remember(c.found[k])}
	}
	for k, i := range c.freshAt {
		w.refs[i] = ref{id: c.ids[k]}
		w.pending = append(w.pending, i)
	}
}

// settle keeps, with Keep, the items of a chunk whose write is done, and with
// it the wait for finish: they are complete now.
func (w *chunkWriter[In, T]) settle(c chunk[T]) {
	if !w.opts.Keep {
		return
	}
	if w.mem == nil {
		w.mem = make(map[domain.ID]T, c.n)
	}
	for _, t := range c.fresh {
		w.remember(t)
	}
}

// remember keeps t while fewer than memItems are kept, and returns its id.
func (w *chunkWriter[In, T]) remember(t T) domain.ID {
	id := w.kind.idOf(t)
	if len(w.mem) < memItems {
		w.mem[id] = t
	}
	return id
}

// result assembles the reply once the write committed: which written items were
// created, what a concurrent request stored first in place of the others, and
// what repeats within the request stand for.
func (w *chunkWriter[In, T]) result(ctx context.Context, inserted []domain.ID) (batchResult[T], error) {
	res := batchResult[T]{created: len(inserted), existing: w.n - len(inserted)}
	if !w.opts.Keep {
		return res, nil
	}
	created := make(map[domain.ID]bool, len(inserted))
	for _, id := range inserted {
		created[id] = true
	}
	var lost []int
	for _, i := range w.pending {
		if created[w.refs[i].id] {
			w.refs[i].created = true
		} else {
			lost = append(lost, i)
		}
	}
	if err := w.resolveLost(ctx, lost); err != nil {
		return batchResult[T]{}, err
	}
	first := map[string]int{}
	for i, ext := range w.exts {
		if ext == "" {
			continue
		}
		if f, ok := first[ext]; ok {
			w.refs[i] = ref{id: w.refs[f].id}
		} else {
			first[ext] = i
		}
	}
	w.exts, w.pending = nil, nil // the reply needs only the refs
	return res, nil
}

// resolveLost points the items a concurrent request stored first at what it
// stored, a chunk at a time.
func (w *chunkWriter[In, T]) resolveLost(ctx context.Context, lost []int) error {
	for from := 0; from < len(lost); from += ingestChunk {
		page := lost[from:min(from+ingestChunk, len(lost))]
		exts := make([]string, len(page))
		for k, i := range page {
			exts[k] = w.exts[i]
		}
		items, err := w.kind.stored(ctx, exts)
		if err != nil {
			return fmt.Errorf("read the items a concurrent request stored: %w", err)
		}
		won := map[string]domain.ID{}
		for _, t := range items {
			won[w.kind.extOfT(t)] = w.remember(t)
		}
		for _, i := range page {
			w.refs[i] = ref{id: won[w.exts[i]]}
		}
	}
	return nil
}

// items yields the stored items in input order, reading back a chunk at a time
// those not kept in memory.
func (w *chunkWriter[In, T]) items(ctx context.Context, yield func(stored[T], error) bool) {
	for from := 0; from < len(w.refs); from += ingestChunk {
		page := w.refs[from:min(from+ingestChunk, len(w.refs))]
		got, err := w.readBack(ctx, page)
		if err != nil {
			yield(stored[T]{}, err)
			return
		}
		for _, r := range page {
			if !yield(stored[T]{item: got[r.id], created: r.created}, nil) {
				return
			}
		}
	}
}

// readBack returns the items of a page of the reply: those kept in memory, and
// the others read from the store.
func (w *chunkWriter[In, T]) readBack(ctx context.Context, page []ref) (map[domain.ID]T, error) {
	var ids []domain.ID
	for _, r := range page {
		if _, ok := w.mem[r.id]; !ok {
			ids = append(ids, r.id)
		}
	}
	if len(ids) == 0 {
		return w.mem, nil
	}
	items, err := w.kind.byID(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("read back the stored items: %w", err)
	}
	got := make(map[domain.ID]T, len(page))
	for _, r := range page {
		if t, ok := w.mem[r.id]; ok {
			got[r.id] = t
		}
	}
	for _, t := range items {
		got[w.kind.idOf(t)] = t
	}
	return got, nil
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
