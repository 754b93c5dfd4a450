package faulttest

import (
	"testing"
	"time"
)

// TestPostgresRestartDuringIngest stops PostgreSQL for a few seconds while
// clients post batches, then starts it again: once with a fast shutdown (open
// transactions are rolled back, clients disconnected) and once with an
// immediate one (every server process killed; the restart recovers from the
// WAL, as after a crash).
func TestPostgresRestartDuringIngest(t *testing.T) {
	f := setUp(t)
	const down = 3 * time.Second
	for _, mode := range []string{"fast", "immediate"} {
		t.Run(mode, func(t *testing.T) {
			load := &Load{
				Client: NewClient(f.svc.Base, f.key, clientTimeout), Eval: evalName, Run: "restart-" + mode,
				Workers: 6, BatchSize: 20, Backoff: 50 * time.Millisecond,
			}
			ready := startProbe(NewClient(f.svc.Base, "", clientTimeout), "/readyz", 50*time.Millisecond)
			run := load.Start()
			time.Sleep(1500 * time.Millisecond)

			f.cluster.Stop(t, mode)
			stopped := time.Now()
			time.Sleep(down)
			restarting := time.Now()
			f.cluster.Start(t)
			started := time.Now()

			// Recovery: the service notices by itself; nobody restarts it.
			var readyAt, postAt time.Time
			for deadline := started.Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
				if r, ok := firstOK(ready.snapshot(), started); ok && readyAt.IsZero() {
					readyAt = r.End
				}
				if r, ok := firstOK(replies(run.Posts()), started); ok && postAt.IsZero() {
					postAt = r.End
				}
				if !readyAt.IsZero() && !postAt.IsZero() {
					break
				}
			}
			time.Sleep(1500 * time.Millisecond) // sustained ingest after recovery
			posts := run.Stop()
			probes := ready.Stop()
			if readyAt.IsZero() || postAt.IsZero() {
				t.Fatalf("no recovery within 10s of PostgreSQL's return: readyz 200 at %v, first 2xx post at %v", readyAt, postAt)
			}
			// Generous bounds for a shared 2-core machine; measured values are
			// logged below and are well under them.
			const recoverWithin = 5 * time.Second
			if d := readyAt.Sub(started); d > recoverWithin {
				t.Errorf("readyz took %v to return to 200 after PostgreSQL started, want at most %v", d, recoverWithin)
			}
			if d := postAt.Sub(started); d > recoverWithin {
				t.Errorf("posts took %v to succeed again after PostgreSQL started, want at most %v", d, recoverWithin)
			}

			all := replies(posts)
			// While PostgreSQL was away: every post and every readiness check is
			// a quick 503 problem with Retry-After.
			during := within(all, stopped, restarting)
			if len(during) == 0 {
				t.Fatalf("no post ran entirely while PostgreSQL was down; the test measured nothing")
			}
			const fast = 2 * time.Second // against a client timeout of 10s
			for _, r := range during {
				if !r.Unavailable() {
					t.Errorf("post while PostgreSQL was down: %s, want 503 problem+json with Retry-After", r)
				} else if r.Latency() > fast {
					t.Errorf("503 while PostgreSQL was down took %v, want under %v", r.Latency(), fast)
				}
			}
			readyDuring := within(probes, stopped, restarting)
			if len(readyDuring) == 0 {
				t.Fatalf("no readiness check ran while PostgreSQL was down")
			}
			for _, r := range readyDuring {
				if !r.Unavailable() || r.Latency() > fast {
					t.Errorf("readyz while PostgreSQL was down: %s, want a quick 503 problem", r)
				}
			}
			for _, r := range probes {
				if !r.OK() && !r.Unavailable() {
					t.Errorf("readyz: %s, want 200 or 503 problem+json", r)
				}
			}
			// At any time: a post succeeds or is a 503 problem; never a 500,
			// never a broken connection.
			ok, unavailable := 0, 0
			for _, r := range all {
				switch {
				case r.OK():
					ok++
				case r.Unavailable():
					unavailable++
				default:
					t.Errorf("post: %s, want 2xx or 503 problem+json", r)
				}
			}
			// After the first success everything succeeds: no stale connection
			// is left in the pool to fail a later request.
			for _, r := range all {
				if r.Start.After(postAt) && !r.OK() {
					t.Errorf("post after recovery at %v: %s, want 2xx", postAt.Format(time.StampMilli), r)
				}
			}

			pool := f.pool(t)
			a := Check(t, pool, evalName, load.Run, scorers, posts)
			med, maxLat := latencies(during)
			t.Logf("%s stop: %d posts of %d responses: %d 2xx, %d 503; %d ran wholly during the %v outage (503 latency median %v, max %v); %d readiness checks then, all 503",
				mode, len(all), load.BatchSize, ok, unavailable, len(during), down, med.Round(time.Microsecond), maxLat.Round(time.Microsecond), len(readyDuring))
			t.Logf("recovery after PostgreSQL was up: readyz 200 after %v, first 2xx post after %v",
				readyAt.Sub(started).Round(time.Millisecond), postAt.Sub(started).Round(time.Millisecond))
			t.Logf("audit: %+v", a)
			checkAudit(t, a)
			if a.Acked != ok {
				t.Errorf("audit counts %d acknowledged batches, the clients %d", a.Acked, ok)
			}

			posts = retryFailed(t, load, posts, a)
			a = Check(t, pool, evalName, load.Run, scorers, posts)
			checkAudit(t, a)
			if a.Failed != 0 || a.Rows != a.Batches*load.BatchSize {
				t.Errorf("after retries: %d batches failed and %d responses stored, want 0 and %d", a.Failed, a.Rows, a.Batches*load.BatchSize)
			}
		})
	}
}

// checkAudit requires exactly-once storage of acknowledged batches and
// all-or-nothing batches.
func checkAudit(t *testing.T, a Audit) {
	t.Helper()
	if a.AckedLost != 0 {
		t.Errorf("%d batches got a 2xx but are not stored in full", a.AckedLost)
	}
	if a.Partial != 0 {
		t.Errorf("%d batches are stored in part", a.Partial)
	}
	if a.Strays != 0 {
		t.Errorf("%d stored responses belong to no posted batch", a.Strays)
	}
	if a.Acked == 0 {
		t.Errorf("no batch was acknowledged; the test measured nothing")
	}
}
