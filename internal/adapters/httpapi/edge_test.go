package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// problemField returns the first field a problem names.
func problemField(t *testing.T, r reply) string {
	t.Helper()
	p := decodeJSON[Problem](t, r)
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Field
}

// TestPathParametersDecodedOnce: a percent sign in an external_id survives the
// trip through the path; "x%2541" names "x%41", never "xA".
func TestPathParametersDecodedOnce(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"decode-once"}`), 201)
	path := "/v1/evaluations/decode-once/responses"
	wantStatus(t, a.post(path, `[{"external_id":"x%41","model":"m","prompt":"p","response":"percent"},
		{"external_id":"xA","model":"m","prompt":"p","response":"letter"},
		{"external_id":"a/b","model":"m","prompt":"p","response":"slash"}]`), 201)

	for _, tc := range []struct{ path, want string }{
		{path + "/x%2541", "percent"},
		{path + "/xA", "letter"},
		{path + "/x%41", "letter"}, // %41 is an escaped "A"
		{path + "/a%2Fb", "slash"},
	} {
		r := a.get(tc.path)
		wantStatus(t, r, 200)
		if got := decodeJSON[responseOut](t, r).Response; got != tc.want {
			t.Errorf("GET %s = %q, want %q", tc.path, got, tc.want)
		}
	}
	wantStatus(t, a.do("DELETE", path+"/x%2541", a.admin, "", ""), 204)
	wantStatus(t, a.get(path+"/x%2541"), 404)
	if got := decodeJSON[responseOut](t, a.get(path+"/xA")).Response; got != "letter" {
		t.Errorf("after deleting x%%41, xA = %q, want it untouched", got)
	}
	// The same rule for evaluations and comparisons.
	wantStatus(t, a.get("/v1/evaluations/decode%2Donce"), 200)
	c := a.post("/v1/evaluations/decode-once/comparisons", `{"external_id":"c%31","response_a":"xA","response_b":"a/b","winner":"a"}`)
	wantStatus(t, c, 201)
	wantStatus(t, a.get("/v1/evaluations/decode-once/comparisons/c%2531"), 200)
	wantStatus(t, a.get("/v1/evaluations/decode-once/comparisons/c1"), 404)
}

// TestMalformedQueryStrings: a query string that does not parse is 400 naming the
// parameter, never an unfiltered list.
func TestMalformedQueryStrings(t *testing.T) {
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"query"}`), 201)
	wantStatus(t, a.post("/v1/evaluations/query/responses", `[{"model":"m","prompt":"p","response":"x"},{"model":"n","prompt":"p","response":"y"}]`), 201)
	resp, cmp := "/v1/evaluations/query/responses", "/v1/evaluations/query/comparisons"
	for _, tc := range []struct{ path, field string }{
		{resp + "?model=%zz", "model"},
		{resp + "?model=m;x", "model"},
		{resp + "?limit=1;x=1", "limit"},
		{resp + "?model=m&x;y=1", "x;y"},
		{resp + "?model=%00", "model"},
		{resp + "?model=%ff", "model"},
		{resp + "?mo%zzdel=m", "mo%zzdel"},
		{cmp + "?annotator=%ff", "annotator"},
		{cmp + "?annotator=a%00b", "annotator"},
		{"/v1/evaluations?limit=%zz", "limit"},
		{"/v1/evaluations/query/summary?group_by=%ff", "group_by"},
		{"/v1/evaluations/query/diff/query?scorer=%00", "scorer"},
		{"/v1/evaluations/query?x=%zz", "x"},
	} {
		r := a.get(tc.path)
		if r.status != 400 {
			t.Errorf("GET %s = %d %s, want 400", tc.path, r.status, r.body)
			continue
		}
		if got := problemField(t, r); got != tc.field {
			t.Errorf("GET %s names %q, want %q", tc.path, got, tc.field)
		}
	}
	// A well-formed filter still filters.
	if n := len(decodeJSON[listOut[responseOut]](t, a.get(resp+"?model=m")).Items); n != 1 {
		t.Errorf("?model=m listed %d, want 1", n)
	}
}

// TestNULAndBadBytesAtTheEdge: NUL (PostgreSQL refuses it in text and jsonb) and
// invalid UTF-8 anywhere in a request are 400 naming where, and nothing is written.
// Serial: it counts every row in the database before and after.
func TestNULAndBadBytesAtTheEdge(t *testing.T) {
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"nul"}`), 201)
	wantStatus(t, a.post("/v1/evaluations/nul/responses", `[{"external_id":"a","model":"m","prompt":"p","response":"x"},{"external_id":"b","model":"n","prompt":"p","response":"y"}]`), 201)
	resp, cmp := "/v1/evaluations/nul/responses", "/v1/evaluations/nul/comparisons"
	before := a.rowCounts()
	for _, tc := range []struct {
		name, method, path, contentType, body, field string
	}{
		{"evaluation name", "POST", "/v1/evaluations", "", `{"name":"a\u0000"}`, "name"},
		{"evaluation description", "POST", "/v1/evaluations", "", `{"name":"d","description":"x\u0000y"}`, "description"},
		{"evaluation metadata value", "POST", "/v1/evaluations", "", `{"name":"d","metadata":{"a":{"b":["ok","\u0000"]}}}`, "metadata.a.b[1]"},
		{"evaluation metadata key", "POST", "/v1/evaluations", "", `{"name":"d","metadata":{"a":{"k\u0000":1}}}`, "metadata.a"},
		{"scorer params", "POST", "/v1/evaluations", "", `{"name":"d","scorers":[{"type":"regex","params":{"pattern":"a\u0000"}}]}`, "scorers[0].params.pattern"},
		{"patch description", "PATCH", "/v1/evaluations/nul", "", `{"description":"\u0000"}`, "description"},
		{"patch metadata", "PATCH", "/v1/evaluations/nul", "", `{"metadata":{"\u0000":"x"}}`, "metadata"},
		{"response metadata key", "POST", resp, "", `{"model":"m","prompt":"p","response":"r","metadata":{"x\u0000":1}}`, "metadata"},
		{"response metadata value", "POST", resp, "", `{"model":"m","prompt":"p","response":"r","metadata":{"x":[{"y":"\u0000"}]}}`, "metadata.x[0].y"},
		{"context role", "POST", resp, "", `{"model":"m","prompt":"p","response":"r","context":[{"role":"user","content":"c"},{"role":"u\u0000","content":"c"}]}`, "context[1].role"},
		{"in a batch", "POST", resp, "", `[{"model":"m","prompt":"p","response":"r"},{"model":"m","prompt":"p","response":"\u0000"}]`, "[1].response"},
		{"in NDJSON", "POST", resp, "application/x-ndjson", "{\"model\":\"m\",\"prompt\":\"p\",\"response\":\"r\"}\n{\"model\":\"m\\u0000\",\"prompt\":\"p\",\"response\":\"r\"}\n", "[1].model"},
		{"comparison metadata", "POST", cmp, "", `{"response_a":"a","response_b":"b","winner":"a","metadata":{"k":"\u0000"}}`, "metadata.k"},
		{"comparison reference", "POST", cmp, "", `{"response_a":"a\u0000","response_b":"b","winner":"a"}`, "response_a"},
		{"score params", "POST", "/v1/score", "", `{"scorers":[{"type":"regex","params":{"pattern":"\u0000"}}],"items":[{"response":"x"}]}`, "scorers[0].params.pattern"},
		{"score item", "POST", "/v1/score", "", `{"scorers":[{"type":"length"}],"items":[{"response":"x\u0000"}]}`, "items[0].response"},
	} {
		ct := tc.contentType
		if ct == "" {
			ct = "application/json"
		}
		r := a.do(tc.method, tc.path, a.write, ct, tc.body)
		if r.status != 400 {
			t.Errorf("%s: %d %s, want 400", tc.name, r.status, r.body)
			continue
		}
		if got := problemField(t, r); got != tc.field {
			t.Errorf("%s: names %q, want %q (%s)", tc.name, got, tc.field, r.body)
		}
	}
	// An escaped backslash followed by "u0000" is not a NUL.
	wantStatus(t, a.post(resp, `{"external_id":"bs","model":"m","prompt":"p","response":"\\u0000"}`), 201)
	wantStatus(t, a.do("DELETE", resp+"/bs", a.admin, "", ""), 204)

	// Path segments, cursors and headers.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"list":"responses","key":"a\u0000","id":"01900000-0000-7000-8000-000000000000"}`))
	for _, tc := range []struct {
		name, method, path string
		status             int
	}{
		{"evaluation %00", "GET", "/v1/evaluations/%00", 400},
		{"evaluation %ff", "GET", "/v1/evaluations/%ff", 400},
		{"delete evaluation %00", "DELETE", "/v1/evaluations/a%00", 400},
		{"response %00", "GET", resp + "/%00", 400},
		{"response %ff", "DELETE", resp + "/x%ff", 400},
		{"comparison %ff", "GET", cmp + "/%ff", 400},
		{"diff %00", "GET", "/v1/evaluations/nul/diff/%00", 400},
		{"summary %ff", "GET", "/v1/evaluations/%ff/summary", 400},
		{"forged cursor", "GET", resp + "?cursor=" + forged, 400},
	} {
		if r := a.do(tc.method, tc.path, a.admin, "", ""); r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
		}
	}
	for _, key := range []string{"k\xffey", "k\u00e9y", strings.Repeat("k", 256)} {
		req, _ := http.NewRequest("POST", a.http.URL+resp, strings.NewReader(`{"model":"m","prompt":"p","response":"r"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.write)
		req.Header.Set("Idempotency-Key", key)
		if r := a.raw(req); r.status != 400 || problemField(t, r) != "Idempotency-Key" {
			t.Errorf("Idempotency-Key %q: %d %s, want 400 naming the header", key, r.status, r.body)
		}
	}
	if after := a.rowCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows after bad requests = %v, want %v", after, before)
	}
}

// TestCancelledRequestReleasesIdempotencyKey: a bulk POST whose client goes away
// before anything is committed must not store its 499 under the key; a retry
// with the key does the write.
func TestCancelledRequestReleasesIdempotencyKey(t *testing.T) {
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"cancel"}`), 201)
	path := "/v1/evaluations/cancel/responses"
	body := `[{"external_id":"c1","model":"m","prompt":"p","response":"x"},{"external_id":"c2","model":"m","prompt":"p","response":"y"}]`
	post := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", a.http.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+a.write)
		req.Header.Set("Idempotency-Key", "cancel-1")
		return a.http.Client().Do(req)
	}

	// Hold the responses table so the ingest blocks, cancel the client while it
	// waits, then let go.
	bg := context.Background()
	tx, err := a.pool.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(bg)
	if _, err := tx.Exec(bg, "LOCK TABLE responses IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() {
		res, err := post(ctx)
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitFor(t, "the ingest to wait for the lock", func() bool {
		var n int
		err := a.pool.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return err == nil && n > 0
	})
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled post = %v, want context.Canceled", err)
	}
	// The server notices the cancellation and gives up its claim on the key.
	waitFor(t, "the server to release the key", func() bool {
		var n int
		err := a.pool.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		return err == nil && n == 0
	})
	if err := tx.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	var r reply
	waitFor(t, "a retry that is not 409 (the first request still finishing)", func() bool {
		res, err := post(bg)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		r = reply{status: res.StatusCode, header: res.Header, body: b}
		return r.status != http.StatusConflict
	})
	if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("retry after a cancelled request = %d (replayed %q) %s, want a fresh 201", r.status, r.header.Get("Idempotent-Replayed"), r.body)
	}
	if got := decodeJSON[batchOut[responseOut]](t, r); got.Created != 2 {
		t.Errorf("retry created %d, want 2", got.Created)
	}
	// Now the key holds a committed outcome, and replays it.
	res, err := post(bg)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 || res.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("second retry = %d replayed %q, want the stored 201", res.StatusCode, res.Header.Get("Idempotent-Replayed"))
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestExportFailureIsVisible: when the database fails after the export has begun,
// the client must see a failed transfer, not a shorter file that ends cleanly.
func TestExportFailureIsVisible(t *testing.T) {
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"cut"}`), 201)
	// 34 responses to one prompt make 561 pairs: more than one export page. Long
	// answers make the first page (about 20 MB) larger than the socket buffers, so
	// the server cannot reach the second page before the client reads.
	var rs, cs []string
	long := strings.Repeat("word ", 4000)
	for i := 0; i < 34; i++ {
		rs = append(rs, fmt.Sprintf(`{"external_id":"r%d","model":"m%d","prompt":"p","response":"%s%d"}`, i, i, long, i))
		for j := 0; j < i; j++ {
			cs = append(cs, fmt.Sprintf(`{"response_a":"r%d","response_b":"r%d","winner":"a"}`, i, j))
		}
	}
	wantStatus(t, a.post("/v1/evaluations/cut/responses", "["+strings.Join(rs, ",")+"]"), 201)
	wantStatus(t, a.post("/v1/evaluations/cut/comparisons", "["+strings.Join(cs, ",")+"]"), 201)

	get := func() (*http.Response, error) {
		req, _ := http.NewRequest("GET", a.http.URL+"/v1/evaluations/cut/export?format=dpo", nil)
		req.Header.Set("Authorization", "Bearer "+a.read)
		return a.http.Client().Do(req)
	}
	// The whole export ends cleanly.
	res, err := get()
	if err != nil {
		t.Fatal(err)
	}
	full, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || strings.Count(string(full), "\n") != len(cs) {
		t.Fatalf("full export: %d lines, err %v; want %d lines", strings.Count(string(full), "\n"), err, len(cs))
	}

	// The first page is read before the headers are sent; break the table before
	// the second.
	res, err = get()
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	bg := context.Background()
	if _, err := a.pool.Exec(bg, "SET lock_timeout = '5s'; ALTER TABLE comparisons RENAME TO comparisons_away"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := a.pool.Exec(bg, "ALTER TABLE comparisons_away RENAME TO comparisons"); err != nil {
			t.Error(err)
		}
	})
	got, err := io.ReadAll(res.Body)
	if res.StatusCode != 200 || err == nil {
		t.Errorf("export cut short: status %d, %d of %d bytes, read error %v; want a read error", res.StatusCode, len(got), len(full), err)
	}
}

// TestHEADEverywhere: HEAD on every GET route answers what GET would (status and
// headers) without a body.
func TestHEADEverywhere(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"head","scorers":[{"type":"length"}]}`), 201)
	wantStatus(t, a.post("/v1/evaluations", `{"name":"head-b","scorers":[{"type":"length"}]}`), 201)
	for _, ev := range []string{"head", "head-b"} {
		wantStatus(t, a.post("/v1/evaluations/"+ev+"/responses", `[{"external_id":"a","model":"m1","prompt":"p","response":"x"},{"external_id":"b","model":"m2","prompt":"p","response":"yy"}]`), 201)
	}
	wantStatus(t, a.post("/v1/evaluations/head/comparisons", `{"external_id":"c","response_a":"a","response_b":"b","winner":"a"}`), 201)
	wantStatus(t, a.post("/v1/judges", `{"name":"head-judge","kind":"pairwise","parser":{"type":"verdict"},
		"endpoint":{"base_url":"http://127.0.0.1:1/v1","model":"m","api_key_env":"HEAD_JUDGE_KEY"}}`), 201)
	// A job to read: deleting an evaluation starts its purge.
	wantStatus(t, a.post("/v1/evaluations", `{"name":"head-gone"}`), 201)
	gone := a.do("DELETE", "/v1/evaluations/head-gone", a.admin, "", "")
	wantStatus(t, gone, 202)
	jobPath := gone.header.Get("Location")
	fill := strings.NewReplacer(":eval", "head", ":candidate", "head-b", ":id", "c", ":name", "head-judge")
	seen := 0
	for _, rt := range a.server.Echo().Routes() {
		if rt.Method != http.MethodGet {
			continue
		}
		path := fill.Replace(rt.Path)
		switch {
		case strings.HasSuffix(rt.Path, "/responses/:id"):
			path = strings.TrimSuffix(path, "/c") + "/a"
		case rt.Path == "/v1/jobs/:id":
			path = jobPath
		}
		for _, q := range []string{"", "?bogus=1"} {
			get := a.do("GET", path+q, a.admin, "", "")
			head := a.do("HEAD", path+q, a.admin, "", "")
			seen++
			if head.status != get.status || head.header.Get("Content-Type") != get.header.Get("Content-Type") ||
				head.header.Get("Content-Disposition") != get.header.Get("Content-Disposition") || len(head.body) != 0 {
				t.Errorf("HEAD %s = %d %q body %d bytes; GET = %d %q", path+q, head.status, head.header.Get("Content-Type"),
					len(head.body), get.status, get.header.Get("Content-Type"))
			}
			if q == "" && get.status != 200 {
				t.Errorf("GET %s = %d %s, want 200", path, get.status, get.body)
			}
		}
	}
	if seen < 20 {
		t.Errorf("checked %d GET routes, want them all", seen/2)
	}
}

// TestDefiniteOutcome: which replies an Idempotency-Key keeps for replay.
func TestDefiniteOutcome(t *testing.T) {
	t.Parallel()
	live := context.Background()
	gone, cancel := context.WithCancel(live)
	cancel()
	for _, tc := range []struct {
		name   string
		ctx    context.Context
		err    error
		status int
		want   bool
	}{
		{"committed", live, nil, 201, true},
		{"committed, then the client left", gone, nil, 201, true},
		{"refused as invalid", live, badRequest("model", "is required"), 400, true},
		{"not found", live, errors.New("not found"), 404, true},
		{"cancelled by the client", gone, context.Canceled, 499, false},
		{"cut off by the deadline", live, context.DeadlineExceeded, 503, false},
		{"a stalled upload", live, errors.New("stalled"), 408, false},
		{"in progress elsewhere", live, errors.New("conflict"), 409, false},
		{"rate limited", live, errors.New("slow down"), 429, false},
		{"server error", live, errors.New("boom"), 500, false},
	} {
		if got := definiteOutcome(tc.ctx, tc.err, tc.status); got != tc.want {
			t.Errorf("%s: definiteOutcome = %v, want %v", tc.name, got, tc.want)
		}
	}
}
