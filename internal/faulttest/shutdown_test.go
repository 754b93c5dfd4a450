package faulttest

import (
	"testing"
	"time"
)

// TestGracefulShutdownUnderLoad sends SIGTERM while many posts are in flight.
// Every request the service accepted (it reached a handler) is answered and,
// when answered with a 2xx, stored; the process exits 0 within
// RLHF_SHUTDOWN_TIMEOUT.
//
// A request the service never accepted may fail at the connection: a post sent
// on a kept-alive connection just as the server closes it as idle is an
// unavoidable race of HTTP/1.1, and a client must treat it as not sent. The test
// tells the two apart by the service's request log and by the database.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	const shutdownTimeout = 10 * time.Second
	f := setUp(t, "RLHF_SHUTDOWN_TIMEOUT="+shutdownTimeout.String())
	load := &Load{
		Client: NewClient(f.svc.Base, f.key, clientTimeout), Eval: evalName, Run: "shutdown",
		Workers: 16, BatchSize: 200, Backoff: 10 * time.Millisecond, StopWhenRefused: true,
	}
	run := load.Start()
	time.Sleep(1500 * time.Millisecond)
	sigterm := time.Now()
	f.svc.Terminate(t)
	select {
	case <-f.svc.Exited():
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatalf("the service did not exit within %v of SIGTERM; its goroutines are in %s",
			shutdownTimeout+5*time.Second, f.svc.Dump(t))
	}
	exited, err := f.svc.ExitResult()
	posts := run.Stop()

	if err != nil {
		t.Errorf("exit: %v, want status 0", err)
	}
	if d := exited.Sub(sigterm); d > shutdownTimeout {
		t.Errorf("exited %v after SIGTERM, want within RLHF_SHUTDOWN_TIMEOUT=%v", d, shutdownTimeout)
	}
	logged := f.svc.LoggedRequests()
	var ok, inFlight, inFlightOK, refused, unaccepted int
	for _, p := range posts {
		l, accepted := logged[p.RequestID]
		if p.Start.Before(sigterm) && p.End.After(sigterm) {
			inFlight++
			if p.OK() {
				inFlightOK++
			}
		}
		switch {
		case p.OK():
			ok++
			if l.Status != p.Status {
				t.Errorf("%s: the service logged status %d", p.Reply, l.Status)
			}
		case p.Err != nil && accepted:
			t.Errorf("accepted request lost its reply: %s (the service logged %d)", p.Reply, l.Status)
		case p.Err != nil && p.Refused():
			refused++
		case p.Err != nil:
			unaccepted++
			t.Logf("not accepted: %s", p.Reply)
		default:
			t.Errorf("post: %s, want 2xx (the database is up)", p.Reply)
		}
	}
	if inFlightOK == 0 {
		t.Errorf("no post in flight at SIGTERM completed (%d in flight); the test measured nothing", inFlight)
	}

	a := Check(t, f.pool(t), evalName, load.Run, scorers, posts)
	t.Logf("SIGTERM with %d posts in flight, %d of them completed with 2xx; exit after %v (limit %v)",
		inFlight, inFlightOK, exited.Sub(sigterm).Round(time.Millisecond), shutdownTimeout)
	t.Logf("%d posts of %d responses: %d 2xx, %d refused after the listener closed, %d failed on a connection the server closed unread",
		len(posts), load.BatchSize, ok, refused, unaccepted)
	t.Logf("audit: %+v", a)
	checkAudit(t, a)
	// A request that failed at the connection never reached a handler, so
	// nothing of it may be stored.
	if a.FailedStored != 0 {
		t.Errorf("%d batches are stored although their request failed at the connection", a.FailedStored)
	}
	if a.Acked != ok {
		t.Errorf("audit counts %d acknowledged batches, the clients %d", a.Acked, ok)
	}
}
