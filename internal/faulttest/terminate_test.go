package faulttest

import (
	"context"
	"testing"
	"time"
)

// TestTerminateBackendsUnderLoad kills every backend of the service with
// pg_terminate_backend, several times, while clients post batches. Only requests
// in flight at a kill may fail, each with a 503; the pool replaces the dead
// connections without handing one to a later request.
func TestTerminateBackendsUnderLoad(t *testing.T) {
	// The request path alone: job workers hold and re-open connections of their
	// own after a kill, which blurs the kill windows this test times; their
	// recovery is tested with the jobs (TestWorkerRetriesAJobTheDatabaseInterrupted in internal/adapters/postgres).
	f := setUp(t, "RLHF_WORKERS=0")
	pool := f.pool(t)
	// Busy workers keep connections checked out; paced ones leave connections
	// idle in the pool, where a kill goes unseen until one is acquired.
	busy := &Load{
		Client: NewClient(f.svc.Base, f.key, clientTimeout), Eval: evalName, Run: "terminate-busy",
		Workers: 4, BatchSize: 20, Backoff: 20 * time.Millisecond,
	}
	paced := &Load{
		Client: NewClient(f.svc.Base, f.key, clientTimeout), Eval: evalName, Run: "terminate-paced",
		Workers: 4, BatchSize: 20, Backoff: 20 * time.Millisecond, Pause: 150 * time.Millisecond,
	}
	runs := []*Running{busy.Start(), paced.Start()}
	time.Sleep(time.Second)

	// A kill window runs from the pg_terminate_backend call until every killed
	// backend has left pg_stat_activity: a request overlapping it may have had
	// its connection killed under it.
	type window struct {
		from, to time.Time
		killed   int
	}
	var windows []window
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for range 4 {
		w := window{from: time.Now()}
		// Select first, then terminate: in one WHERE clause the planner may
		// call pg_terminate_backend before the filters, on any backend.
		var pids []int32
		err := pool.QueryRow(ctx, `
			WITH service AS MATERIALIZED (
				SELECT pid FROM pg_stat_activity WHERE application_name = 'rlhf-eval' AND datname = $1
			)
			SELECT coalesce(array_agg(pid) FILTER (WHERE pg_terminate_backend(pid)), '{}') FROM service`, dbName).Scan(&pids)
		if err != nil {
			t.Fatalf("terminate backends: %v", err)
		}
		for {
			var left int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)`, pids).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		w.to, w.killed = time.Now(), len(pids)
		windows = append(windows, w)
		time.Sleep(700 * time.Millisecond)
	}
	byLoad := [][]Post{runs[0].Stop(), runs[1].Stop()}
	posts := append(append([]Post(nil), byLoad[0]...), byLoad[1]...)

	killed := 0
	for _, w := range windows {
		killed += w.killed
	}
	if killed == 0 {
		t.Fatal("no backend of the service was terminated; the test measured nothing")
	}
	overlaps := func(r Reply, w window) bool { return r.Start.Before(w.to) && r.End.After(w.from) }
	inFlight := make([]int, len(windows))
	failed := make([]int, len(windows))
	ok := 0
	for _, p := range posts {
		for i, w := range windows {
			if overlaps(p.Reply, w) {
				inFlight[i]++
			}
		}
		if p.OK() {
			ok++
			continue
		}
		if !p.Unavailable() {
			t.Errorf("post: %s, want 2xx or 503 problem+json", p.Reply)
		}
		hit := false
		for i, w := range windows {
			if overlaps(p.Reply, w) {
				failed[i]++
				hit = true
				break
			}
		}
		if !hit {
			t.Errorf("post failed outside every kill window: %s (started %s)", p.Reply, p.Start.Format(time.StampMicro))
		}
	}
	for i, w := range windows {
		t.Logf("kill %d: %d backends terminated in %v; %d posts in flight, %d failed",
			i+1, w.killed, w.to.Sub(w.from).Round(time.Microsecond), inFlight[i], failed[i])
		if failed[i] > inFlight[i] {
			t.Errorf("kill %d: %d posts failed, more than the %d in flight", i+1, failed[i], inFlight[i])
		}
	}
	t.Logf("%d posts of 20 responses: %d 2xx, %d failed", len(posts), ok, len(posts)-ok)
	for i, load := range []*Load{busy, paced} {
		a := Check(t, pool, evalName, load.Run, scorers, byLoad[i])
		t.Logf("%s audit: %+v", load.Run, a)
		checkAudit(t, a)
		retried := retryFailed(t, load, byLoad[i], a)
		a = Check(t, pool, evalName, load.Run, scorers, retried)
		checkAudit(t, a)
		if a.Failed != 0 || a.Rows != a.Batches*load.BatchSize {
			t.Errorf("%s after retries: %d batches failed and %d responses stored, want 0 and %d", load.Run, a.Failed, a.Rows, a.Batches*load.BatchSize)
		}
	}
}
