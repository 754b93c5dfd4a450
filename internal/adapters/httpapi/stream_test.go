package httpapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestStreamingIngest posts bodies larger than one ingest chunk (1,000 items): the
// rule "all or nothing" must hold across chunks, external ids repeated in
// different chunks are stored once, and Prefer: return=minimal replies with counts.
func TestStreamingIngest(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"stream","scorers":[{"type":"length"}]}`), 201)
	body := func(n int, bad int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			ext := fmt.Sprintf("r%d", i%(n-5)) // the last five repeat the first five
			switch i {
			case bad:
				fmt.Fprintf(&b, `{"external_id":%q,"prompt":"p","response":"no model"}`+"\n", ext)
			default:
				fmt.Fprintf(&b, `{"external_id":%q,"model":"m%d","prompt":"p%d","response":"answer number %d"}`+"\n", ext, i%3, i%7, i)
			}
		}
		return b.String()
	}
	count := func() int {
		var n int
		if err := a.pool.QueryRow(t.Context(), `SELECT count(*) FROM responses r JOIN evaluations e ON e.id = r.evaluation_id WHERE e.name = 'stream'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	send := func(b string, minimal bool) reply {
		req, _ := http.NewRequest("POST", a.http.URL+"/v1/evaluations/stream/responses", strings.NewReader(b))
		req.Header.Set("Authorization", "Bearer "+a.write)
		req.Header.Set("Content-Type", "application/x-ndjson")
		if minimal {
			req.Header.Set("Prefer", "return=minimal")
		}
		return a.raw(req)
	}

	// A bad item in the third chunk: the two chunks staged before it roll back.
	r := send(body(2505, 2200), true)
	if r.status != 400 || !strings.Contains(string(r.body), "[2200].model") {
		t.Fatalf("bad third chunk = %d %s, want 400 naming [2200].model", r.status, r.body)
	}
	if n := count(); n != 0 {
		t.Fatalf("%d responses stored after a failed request, want 0", n)
	}

	r = send(body(2505, -1), true)
	wantStatus(t, r, 201)
	if got := decodeJSON[batchCounts](t, r); got.Created != 2500 || got.Existing != 5 || r.header.Get("Preference-Applied") != "return=minimal" {
		t.Errorf("minimal reply = %s (%v), want 2500 created, 5 existing", r.body, r.header)
	}
	if strings.Contains(string(r.body), "items") {
		t.Errorf("minimal reply carries items: %s", r.body)
	}
	if n := count(); n != 2500 {
		t.Errorf("%d responses stored, want 2500", n)
	}

	// The same body again, with the full reply: nothing new, every item the stored one.
	r = send(body(2505, -1), false)
	wantStatus(t, r, 200)
	full := decodeJSON[batchOut[responseOut]](t, r)
	if full.Created != 0 || full.Existing != 2505 || len(full.Items) != 2505 || full.Items[2504].ID != full.Items[4].ID {
		t.Errorf("re-post = created %d existing %d items %d", full.Created, full.Existing, len(full.Items))
	}
	if full.Items[0].Scores["length"].Value == nil {
		t.Errorf("re-posted items lack their stored scores")
	}
}
