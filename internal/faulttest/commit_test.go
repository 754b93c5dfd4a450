package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// TestCommitReplyLost loses the reply to an ingest's COMMIT: PostgreSQL
// commits, the connection drops, and the service cannot know the outcome. The
// service must say so with a 503 (not a 500, and not a 2xx: it does not know)
// and must not run the transaction again by itself, which would store the
// batch twice. A client that re-posts with the same external ids gets the
// stored batch back.
func TestCommitReplyLost(t *testing.T) {
	NeedSlow(t)
	proxy, svc, c, pool := setUpProxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A request of up to 64 responses is written by one autocommit statement; a
	// larger one in a transaction whose COMMIT is sent on its own. Both lose their
	// reply here.
	paths := []struct {
		name   string
		size   int
		marker string
	}{{"one statement", 10, "InsertResponsesAtOnce"}, {"transaction", 100, ""}}
	stored := func(t *testing.T, prefix string) (responses, scores int) {
		t.Helper()
		err := pool.QueryRow(ctx, `
			SELECT count(DISTINCT r.id), count(s.scorer)
			FROM responses r
			LEFT JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id
			WHERE r.prompt LIKE $1 || ' %'`, prefix).Scan(&responses, &scores)
		if err != nil {
			t.Fatal(err)
		}
		return responses, scores
	}
	batch := func(prefix string, externalIDs bool, size int) []byte {
		var b strings.Builder
		for i := range size {
			item := map[string]any{"model": "m", "prompt": fmt.Sprintf("%s %d", prefix, i), "response": "an answer"}
			if externalIDs {
				item["external_id"] = fmt.Sprintf("%s-%d", prefix, i)
			}
			line, _ := json.Marshal(item)
			b.Write(line)
			b.WriteByte('\n')
		}
		return []byte(b.String())
	}
	post := func(body []byte, h http.Header) Reply {
		return c.DoHeader(http.MethodPost, "/v1/evaluations/"+evalName+"/responses", "application/x-ndjson", body, h)
	}

	cases := []struct {
		name        string
		externalIDs bool
		header      http.Header
		// retry: the client re-posts, which it may do safely only with
		// external ids or an idempotency key.
		retry bool
	}{
		{name: "without external ids"},
		{name: "with external ids", externalIDs: true, retry: true},
		// With a key, the uncertain reply is stored and replayed: the retry gets
		// the same 503 rather than running the batch a second time.
		{name: "with an idempotency key", header: http.Header{"Idempotency-Key": {"lost-commit-1"}}, retry: true},
	}
	for _, path := range paths {
		size := path.size
		for _, tc := range cases {
			t.Run(path.name+"/"+tc.name, func(t *testing.T) {
				prefix := strings.ReplaceAll(path.name+" "+tc.name, " ", "-")
				body := batch(prefix, tc.externalIDs, size)
				header := tc.header
				if header != nil {
					// One key per path: the same key with another body is a 422.
					header = http.Header{"Idempotency-Key": {header.Get("Idempotency-Key") + "-" + prefix}}
				}
				cuts := proxy.Cuts()
				proxy.LoseNextReplyTo(path.marker)
				r := post(body, header)
				if proxy.Cuts() != cuts+1 {
					t.Fatalf("the proxy lost %d replies, want 1; reply %s", proxy.Cuts()-cuts, r)
				}
				var p struct{ Detail string }
				_ = json.Unmarshal(r.Body, &p)
				if !r.Unavailable() || !strings.Contains(p.Detail, "may or may not have been stored") {
					t.Errorf("post whose COMMIT reply was lost = %s, want a 503 problem saying the write may or may not be stored", r)
				}
				// The transaction did commit, once: a retry inside the service
				// would have stored the batch a second time.
				if n, s := stored(t, prefix); n != size || s != size {
					t.Errorf("stored %d responses with %d scores, want %d and %d (committed once)", n, s, size, size)
				}
				t.Logf("lost COMMIT reply: client got %d after %v (service logged %q); %d responses stored",
					r.Status, r.Latency().Round(time.Microsecond), svc.LoggedRequests()[r.RequestID].Error, size)
				if !tc.retry {
					return
				}
				r = post(body, header)
				var out struct{ Created, Existing int }
				_ = json.Unmarshal(r.Body, &out)
				if tc.externalIDs && (r.Status != http.StatusOK || out.Created != 0 || out.Existing != size) {
					t.Errorf("retry = %s, want 200 with 0 created and %d existing", r, size)
				}
				// The replay carries no Retry-After: retrying the same key gives the
				// same answer; the client must check what was stored.
				if header.Get("Idempotency-Key") != "" && (r.Status != http.StatusServiceUnavailable || !r.Problem() || r.Header.Get("Idempotent-Replayed") != "true") {
					t.Errorf("retry with the key = %s (replayed %q), want the stored 503 replayed", r, r.Header.Get("Idempotent-Replayed"))
				}
				if n, s := stored(t, prefix); n != size || s != size {
					t.Errorf("after the retry: %d responses with %d scores, want %d and %d", n, s, size, size)
				}
			})
		}
	}
	// The service carries on over new connections.
	if r := post(batch("after", true, 10), nil); r.Status != http.StatusCreated {
		t.Errorf("post after the lost replies = %s, want 201", r)
	}
}

// setUpProxied starts a private PostgreSQL behind a proxy that can lose
// replies, and one service on it with an admin client and evalName, and opens
// an audit pool. The service runs no job workers: River's own housekeeping
// commits through the same proxy, and the reply the proxy loses must be a
// request's.
func setUpProxied(t *testing.T) (*Proxy, *Service, *Client, *pgxpool.Pool) {
	t.Helper()
	cluster := StartCluster(t)
	proxy := StartProxy(t, fmt.Sprintf("127.0.0.1:%d", cluster.Port()))
	svc := StartService(t, proxy.URL(dbName), "RLHF_WORKERS=0")
	c := NewClient(svc.Base, svc.CreateKey(t, "proxied", "admin"), clientTimeout)
	c.JSON(t, http.MethodPost, "/v1/evaluations", map[string]any{
		"name": evalName, "scorers": []map[string]any{{"type": "length"}},
	}, http.StatusCreated, nil)
	return proxy, svc, c, auditPool(t, cluster)
}
