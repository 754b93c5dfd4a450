package faulttest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// routedReads reads rlhf_db_routed_reads_total{target} from /metrics.
func routedReads(t *testing.T, c *Client, target string) float64 {
	t.Helper()
	r := c.Do(http.MethodGet, "/metrics", "", nil)
	if r.Status != 200 {
		t.Fatalf("metrics: %v", r)
	}
	sc := bufio.NewScanner(strings.NewReader(string(r.Body)))
	prefix := fmt.Sprintf(`rlhf_db_routed_reads_total{target=%q} `, target)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), prefix); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	return 0
}

// TestReadReplica runs the service on a primary with a streaming hot standby as
// its read replica: summaries, leaderboards and list pages are served by the
// standby; a read that sends back a write's consistency token sees that write;
// and when the standby restarts, reads fall back to the primary and then return
// to the standby.
func TestReadReplica(t *testing.T) {
	primary := StartCluster(t)
	standby := StartStandby(t, primary)
	svc := StartService(t, primary.URL("postgres"), "RLHF_READ_DATABASE_URL="+standby.URL("postgres"))
	key := svc.CreateKey(t, "replica", "admin")
	c := NewClient(svc.Base, key, 10*time.Second)

	c.JSON(t, http.MethodPost, "/v1/evaluations", map[string]any{"name": "rep", "scorers": []any{map[string]any{"type": "length"}}}, 201, nil)
	var body strings.Builder
	for i := 0; i < 200; i++ {
		fmt.Fprintf(&body, `{"external_id": "r%d", "model": "m%d", "prompt": "p%d", "response": "one two three"}`+"\n", i, i%2, i/2)
	}
	w := c.Do(http.MethodPost, "/v1/evaluations/rep/responses", "application/x-ndjson", []byte(body.String()))
	if w.Status != 201 && w.Status != 200 {
		t.Fatalf("post responses: %v", w)
	}
	token := w.Header.Get("RLHF-Consistency-Token")
	if token == "" {
		t.Fatalf("a write through a replicated service returned no consistency token: %v", w.Header)
	}

	// Reading one's own writes: with the token, the summary counts all 200.
	before := routedReads(t, c, "replica")
	h := http.Header{"RLHF-Read-After": {token}}
	var sum struct {
		Scorers []struct{ N int } `json:"scorers"`
	}
	r := c.DoHeader(http.MethodGet, "/v1/evaluations/rep/summary", "", nil, h)
	if r.Status != 200 || !decode(t, r, &sum) || len(sum.Scorers) != 1 || sum.Scorers[0].N != 200 {
		t.Fatalf("summary after the write with its token: %v", r)
	}
	// Once the standby has replayed the write, plain reads see it too, from the standby.
	deadline := time.Now().Add(10 * time.Second)
	for {
		r = c.Do(http.MethodGet, "/v1/evaluations/rep/responses?limit=500", "", nil)
		if r.Status == 200 && strings.Count(string(r.Body), `"external_id"`) == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the standby never served the 200 responses: %v", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, path := range []string{"/v1/evaluations/rep/leaderboard?method=winrate&baseline=m0", "/v1/evaluations/rep/export?format=jsonl"} {
		if r := c.Do(http.MethodGet, path, "", nil); r.Status != 200 && r.Status != 400 {
			t.Fatalf("%s: %v", path, r)
		}
	}
	if got := routedReads(t, c, "replica"); got <= before {
		t.Fatalf("no read was served by the replica (replica reads %v before, %v after)", before, got)
	}
	// The standby really is the one answering: it refuses writes, and its replay
	// position is where the primary's token says or later.
	conn, err := pgx.Connect(context.Background(), standby.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var inRecovery bool
	if err := conn.QueryRow(context.Background(), "SELECT pg_is_in_recovery()").Scan(&inRecovery); err != nil || !inRecovery {
		t.Fatalf("the standby is not in recovery: %v %v", inRecovery, err)
	}
	conn.Close(context.Background())

	// "primary" forces the primary.
	beforePrimary := routedReads(t, c, "primary")
	if r := c.DoHeader(http.MethodGet, "/v1/evaluations/rep/summary", "", nil, http.Header{"RLHF-Read-After": {"primary"}}); r.Status != 200 {
		t.Fatalf("summary from the primary: %v", r)
	}
	if got := routedReads(t, c, "primary"); got <= beforePrimary {
		t.Fatal("RLHF-Read-After: primary did not read the primary")
	}
	if r := c.DoHeader(http.MethodGet, "/v1/evaluations/rep/summary", "", nil, http.Header{"RLHF-Read-After": {"soon"}}); r.Status != 400 {
		t.Fatalf("a malformed token: %v", r)
	}

	// The standby goes away: reads keep answering, from the primary.
	standby.Stop(t, "fast")
	for i := 0; i < 5; i++ {
		if r := c.Do(http.MethodGet, "/v1/evaluations/rep/summary", "", nil); r.Status != 200 {
			t.Fatalf("summary with the standby down: %v\n%s", r, svc.Logs())
		}
		if r := c.Do(http.MethodGet, "/v1/evaluations/rep/responses?limit=10", "", nil); r.Status != 200 {
			t.Fatalf("list with the standby down: %v", r)
		}
	}
	// It comes back: after the back-off, reads return to it.
	standby.Start(t)
	back := routedReads(t, c, "replica")
	deadline = time.Now().Add(20 * time.Second)
	for routedReads(t, c, "replica") <= back {
		if r := c.Do(http.MethodGet, "/v1/evaluations/rep/summary", "", nil); r.Status != 200 {
			t.Fatalf("summary after the standby restarted: %v", r)
		}
		if time.Now().After(deadline) {
			t.Fatal("reads never returned to the restarted standby")
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func decode(t *testing.T, r Reply, v any) bool {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Errorf("decode %s: %v", r.Body, err)
		return false
	}
	return true
}
