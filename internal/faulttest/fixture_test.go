package faulttest

import (
	"context"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

const (
	dbName   = "rlhf_eval"
	evalName = "faults"
	// scorers is how many scores each response of evalName gets.
	scorers = 1
	// clientTimeout bounds every request; "fast" failures are well under it.
	clientTimeout = 10 * time.Second
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// fixture is a private PostgreSQL, one service on it, an admin key and an
// evaluation with one scorer.
type fixture struct {
	cluster *Cluster
	svc     *Service
	key     string
	admin   *Client
}

func setUp(t testing.TB, env ...string) *fixture {
	t.Helper()
	f := &fixture{cluster: StartCluster(t)}
	f.svc = StartService(t, f.cluster.URL(dbName), env...)
	f.key = f.svc.CreateKey(t, "faulttest", "admin")
	f.admin = NewClient(f.svc.Base, f.key, clientTimeout)
	f.admin.JSON(t, http.MethodPost, "/v1/evaluations", map[string]any{
		"name": evalName, "scorers": []map[string]any{{"type": "length"}},
	}, http.StatusCreated, nil)
	return f
}

// pool opens a pool on the test database for auditing.
func (f *fixture) pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	return auditPool(t, f.cluster)
}

// auditPool opens a pool on c's test database, under its own application_name
// so that terminating the service's backends spares it.
func auditPool(t testing.TB, c *Cluster) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(c.URL(dbName))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["application_name"] = "faulttest"
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// probe polls a path every interval until stopped.
type probe struct {
	stop    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	replies []Reply
}

func startProbe(c *Client, path string, every time.Duration) *probe {
	p := &probe{stop: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			r := c.Do(http.MethodGet, path, "", nil)
			p.mu.Lock()
			p.replies = append(p.replies, r)
			p.mu.Unlock()
			select {
			case <-p.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return p
}

func (p *probe) snapshot() []Reply {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Reply(nil), p.replies...)
}

func (p *probe) Stop() []Reply {
	close(p.stop)
	p.wg.Wait()
	return p.snapshot()
}

// firstOK returns the first 2xx reply that started after t.
func firstOK(rs []Reply, after time.Time) (Reply, bool) {
	for _, r := range rs {
		if r.OK() && r.Start.After(after) {
			return r, true
		}
	}
	return Reply{}, false
}

func replies(posts []Post) []Reply {
	out := make([]Reply, len(posts))
	for i, p := range posts {
		out[i] = p.Reply
	}
	return out
}

// within returns the replies that started at or after from and ended by to.
func within(rs []Reply, from, to time.Time) []Reply {
	var out []Reply
	for _, r := range rs {
		if !r.Start.Before(from) && !r.End.After(to) {
			out = append(out, r)
		}
	}
	return out
}

// latencies summarises replies' latencies: median and maximum.
func latencies(rs []Reply) (median, maximum time.Duration) {
	if len(rs) == 0 {
		return 0, 0
	}
	d := make([]time.Duration, len(rs))
	for i, r := range rs {
		d[i] = r.Latency()
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2], d[len(d)-1]
}

// failedPosts returns the posts without a 2xx.
func failedPosts(posts []Post) []Post {
	var out []Post
	for _, p := range posts {
		if !p.OK() {
			out = append(out, p)
		}
	}
	return out
}

// retryFailed re-posts every failed batch once, as a client honouring
// Retry-After does, and checks the idempotent outcome: every retry succeeds,
// and it finds exactly the batches that were stored although their first reply
// was an error.
func retryFailed(t *testing.T, load *Load, posts []Post, a Audit) []Post {
	t.Helper()
	retries := load.Repost(failedPosts(posts))
	created, existing := 0, 0
	for _, r := range retries {
		if !r.OK() {
			t.Errorf("retry of %s = %s, want 2xx", r.Batch, r.Reply)
		}
		created += r.Created
		existing += r.Existing
	}
	// Each failed batch is stored in full or not at all (Partial = 0 is
	// checked by the caller), so the retries find FailedStored whole batches.
	if want := a.FailedStored * load.BatchSize; existing != want {
		t.Errorf("retries found %d existing responses, want %d (%d failed batches stored in full)", existing, want, a.FailedStored)
	}
	if want := (a.Failed - a.FailedStored) * load.BatchSize; created != want {
		t.Errorf("retries created %d responses, want %d", created, want)
	}
	t.Logf("retried %d failed batches: %d responses created, %d existing", len(retries), created, existing)
	return append(posts, retries...)
}
