package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Client talks to a service with one API key and tags every request with its
// own X-Request-Id, so a reply can be matched with the service's log.
type Client struct {
	Base string
	Key  string
	HTTP *http.Client
	tag  string
	n    atomic.Int64
}

// NewClient returns a client of base with key; timeout bounds each request.
func NewClient(base, key string, timeout time.Duration) *Client {
	return &Client{
		Base: base, Key: key, tag: fmt.Sprintf("ft%d", time.Now().UnixNano()),
		HTTP: &http.Client{Timeout: timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
}

// Reply is one request as the client saw it.
type Reply struct {
	RequestID string
	Start     time.Time
	End       time.Time
	// Status is 0 when no reply arrived; Err says why.
	Status int
	Header http.Header
	Body   []byte
	Err    error
}

// Latency is how long the request took.
func (r Reply) Latency() time.Duration { return r.End.Sub(r.Start) }

// OK reports a 2xx reply.
func (r Reply) OK() bool { return r.Status >= 200 && r.Status < 300 }

// Problem reports whether the reply is an RFC 9457 problem whose body repeats the
// reply's status.
func (r Reply) Problem() bool {
	if r.Header.Get("Content-Type") != "application/problem+json" {
		return false
	}
	var p struct {
		Status int `json:"status"`
	}
	return json.Unmarshal(r.Body, &p) == nil && p.Status == r.Status
}

// Unavailable reports a 503 problem+json with Retry-After: what a client must
// get while the database is away.
func (r Reply) Unavailable() bool {
	return r.Status == http.StatusServiceUnavailable && r.Problem() && r.Header.Get("Retry-After") != ""
}

// Refused reports that the connection was refused: the request never reached a
// server.
func (r Reply) Refused() bool { return errors.Is(r.Err, syscall.ECONNREFUSED) }

// String describes the reply for failure messages.
func (r Reply) String() string {
	if r.Err != nil {
		return fmt.Sprintf("request %s: %v after %v", r.RequestID, r.Err, r.Latency())
	}
	return fmt.Sprintf("request %s: %d %s after %v: %.300s", r.RequestID, r.Status, r.Header.Get("Content-Type"), r.Latency(), r.Body)
}

// Do sends one request; body may be nil.
func (c *Client) Do(method, path, contentType string, body []byte) Reply {
	return c.DoHeader(method, path, contentType, body, nil)
}

// DoHeader sends one request with extra headers.
func (c *Client) DoHeader(method, path, contentType string, body []byte, h http.Header) Reply {
	r := Reply{RequestID: fmt.Sprintf("%s-%d", c.tag, c.n.Add(1))}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		r.Err = err
		return r
	}
	for k, vs := range h {
		req.Header[k] = vs
	}
	req.Header.Set("X-Request-Id", r.RequestID)
	if c.Key != "" {
		req.Header.Set("Authorization", "Bearer "+c.Key)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	r.Start = time.Now()
	res, err := c.HTTP.Do(req)
	if err != nil {
		r.End, r.Err = time.Now(), err
		return r
	}
	r.Body, r.Err = io.ReadAll(res.Body)
	res.Body.Close()
	r.End, r.Status, r.Header = time.Now(), res.StatusCode, res.Header
	return r
}

// JSON sends v as JSON (nil sends no body), requires status want and decodes
// the reply into out (when not nil).
func (c *Client) JSON(t testing.TB, method, path string, v any, want int, out any) Reply {
	t.Helper()
	var body []byte
	if v != nil {
		var err error
		if body, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	r := c.Do(method, path, "application/json", body)
	if r.Status != want {
		t.Fatalf("%s %s = %s, want status %d", method, path, r, want)
	}
	if out != nil {
		if err := json.Unmarshal(r.Body, out); err != nil {
			t.Fatalf("%s %s: decode %.300s: %v", method, path, r.Body, err)
		}
	}
	return r
}

// Load posts batches of new responses from several workers until stopped, the
// way a training loop streams its outputs. Every response has an external id
// unique to its batch, so the database shows which batches were stored.
type Load struct {
	Client    *Client
	Eval      string
	Run       string // prefix of every external id, unique to this load
	Workers   int
	BatchSize int
	// Backoff is how long a worker waits after a failed request. A client
	// should honour Retry-After (1s); the tests wait less to sample an outage
	// densely.
	Backoff time.Duration
	// Pause is how long a worker waits after a successful request; with a
	// pause the pool holds idle connections, which faults can kill unseen.
	Pause time.Duration
	// StopWhenRefused ends a worker at its first refused connection (the
	// service has exited).
	StopWhenRefused bool
}

// Post is one posted batch and what came back.
type Post struct {
	Reply
	Batch    string
	IDs      []string
	Created  int
	Existing int
	body     []byte
}

// Running is a load in progress.
type Running struct {
	stop  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	posts []Post
}

// Start starts the workers.
func (l *Load) Start() *Running {
	r := &Running{stop: make(chan struct{})}
	for w := range l.Workers {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for seq := 0; ; seq++ {
				select {
				case <-r.stop:
					return
				default:
				}
				p := l.post(l.batch(w, seq))
				r.mu.Lock()
				r.posts = append(r.posts, p)
				r.mu.Unlock()
				if l.StopWhenRefused && p.Refused() {
					return
				}
				wait := l.Pause
				if !p.OK() {
					wait = l.Backoff
				}
				if wait > 0 {
					select {
					case <-r.stop:
						return
					case <-time.After(wait):
					}
				}
			}
		}()
	}
	return r
}

// Stop stops the workers, waits for their last requests and returns every post
// in the order they started.
func (r *Running) Stop() []Post {
	close(r.stop)
	r.wg.Wait()
	return r.Posts()
}

// Wait waits for workers that stop by themselves (StopWhenRefused).
func (r *Running) Wait() []Post {
	r.wg.Wait()
	return r.Posts()
}

// Posts returns the posts so far, in the order they started.
func (r *Running) Posts() []Post {
	r.mu.Lock()
	out := append([]Post(nil), r.posts...)
	r.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// batch builds batch seq of worker w as NDJSON.
func (l *Load) batch(w, seq int) Post {
	p := Post{Batch: fmt.Sprintf("%s-w%02d-b%05d", l.Run, w, seq)}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	for k := range l.BatchSize {
		id := fmt.Sprintf("%s-%03d", p.Batch, k)
		p.IDs = append(p.IDs, id)
		_ = enc.Encode(map[string]any{
			"external_id": id,
			"model":       fmt.Sprintf("model-%d", k%3),
			"prompt":      fmt.Sprintf("Question %d of worker %d: why is the sky blue?", k, w),
			"response":    strings.Repeat("Rayleigh scattering. ", 1+(seq+k)%7),
			"metadata":    map[string]any{"batch": p.Batch},
		})
	}
	p.body = buf.Bytes()
	return p
}

// post sends p and reads the created/existing counts of a 2xx.
func (l *Load) post(p Post) Post {
	p.Reply = l.Client.Do(http.MethodPost, "/v1/evaluations/"+l.Eval+"/responses", "application/x-ndjson", p.body)
	if p.OK() {
		var out struct {
			Created  int `json:"created"`
			Existing int `json:"existing"`
		}
		if err := json.Unmarshal(p.Body, &out); err == nil {
			p.Created, p.Existing = out.Created, out.Existing
		}
	}
	p.Body = p.Body[:min(len(p.Body), 512)] // keep memory flat; errors are short
	return p
}

// Repost sends each batch again, once, as a client retrying after a failure
// would.
func (l *Load) Repost(posts []Post) []Post {
	out := make([]Post, len(posts))
	for i, p := range posts {
		out[i] = l.post(p)
	}
	return out
}

// Audit compares what the clients were told with what the database holds.
type Audit struct {
	Batches int // batches posted
	Acked   int // batches that got a 2xx
	// AckedLost counts 2xx batches not stored in full (with every score):
	// acknowledged writes that were lost.
	AckedLost int
	Failed    int // batches without a 2xx
	// FailedStored counts batches without a 2xx that are stored in full: a
	// commit whose reply was lost. A retry with the same external ids finds them.
	FailedStored int
	// Partial counts batches stored in part (some responses, or responses
	// without all their scores): a broken all-or-nothing.
	Partial int
	// Strays counts stored responses that belong to no posted batch.
	Strays int
	// Rows is the number of stored responses of the load.
	Rows int
}

// Check audits posts against evaluation eval, where every response should have
// scorers scores.
func Check(t testing.TB, pool *pgxpool.Pool, eval, run string, scorers int, posts []Post) Audit {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := pool.Query(ctx, `
		SELECT r.external_id, count(s.scorer)
		FROM responses r
		JOIN evaluations e ON e.id = r.evaluation_id
		LEFT JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id
		WHERE e.name = $1 AND r.external_id LIKE $2 || '-%'
		GROUP BY r.evaluation_id, r.id, r.external_id`, eval, run)
	if err != nil {
		t.Fatalf("read stored responses: %v", err)
	}
	stored := map[string]int{} // external id → scores
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		stored[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read stored responses: %v", err)
	}
	a := Audit{Rows: len(stored)}
	// A batch may have been posted more than once (Repost); judge each batch by
	// whether any of its posts got a 2xx.
	acked := map[string]bool{}
	ids := map[string][]string{}
	for _, p := range posts {
		acked[p.Batch] = acked[p.Batch] || p.OK()
		ids[p.Batch] = p.IDs
	}
	seen := 0
	for batch, batchIDs := range ids {
		present, whole := 0, 0
		for _, id := range batchIDs {
			if n, ok := stored[id]; ok {
				present++
				if n == scorers {
					whole++
				}
			}
		}
		seen += present
		a.Batches++
		complete := whole == len(batchIDs)
		if present > 0 && !complete {
			a.Partial++
		}
		if acked[batch] {
			a.Acked++
			if !complete {
				a.AckedLost++
			}
		} else {
			a.Failed++
			if complete {
				a.FailedStored++
			}
		}
	}
	a.Strays = len(stored) - seen
	return a
}
