package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func decodeJSON[T any](t *testing.T, r reply) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func wantStatus(t *testing.T, r reply, want int) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d, want %d; body %s", r.status, want, r.body)
	}
}

// rowCounts counts the rows of every table, to prove a failed request wrote nothing.
func (a *testAPI) rowCounts() map[string]int {
	a.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"evaluations", "responses", "scores", "comparisons", "api_keys"} {
		var n int
		if err := a.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			a.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestBadInput sends many kinds of bad input and checks the status, that the body
// is problem+json naming the bad field, and that nothing was written. It must not
// run in parallel with tests that write.
func TestBadInput(t *testing.T) {
	a := newTestAPI(t, Config{MaxBodyBytes: 64 << 10, MaxBatchItems: 5})
	ev := decodeJSON[evaluationOut](t, a.post("/v1/evaluations", `{"name":"bad-input"}`))
	other := decodeJSON[evaluationOut](t, a.post("/v1/evaluations", `{"name":"bad-input-other"}`))
	r1 := decodeJSON[responseOut](t, a.post("/v1/evaluations/bad-input/responses", `{"external_id":"r1","model":"m1","prompt":"p","response":"x"}`))
	a.post("/v1/evaluations/bad-input/responses", `{"external_id":"r2","model":"m2","prompt":"p","response":"y"}`)
	a.post("/v1/evaluations/bad-input-other/responses", `{"external_id":"o1","model":"m3","prompt":"p","response":"z"}`)
	a.post("/v1/evaluations/bad-input/responses", `{"external_id":"q1","model":"m3","prompt":"another prompt","response":"z"}`)
	revoked := a.key("write")
	keys := decodeJSON[listOut[keyOut]](t, a.do("GET", "/v1/keys", a.admin, "", ""))
	for _, k := range keys.Items {
		if strings.HasPrefix(revoked, k.Prefix) {
			wantStatus(t, a.do("DELETE", "/v1/keys/"+k.ID, a.admin, "", ""), 200)
		}
	}
	_ = other
	badChecksum := a.write[:len(a.write)-1] + map[bool]string{true: "A", false: "B"}[a.write[len(a.write)-1] != 'A']
	big := `{"name":"big","description":"` + strings.Repeat("x", 70<<10) + `"}`
	resp := "/v1/evaluations/bad-input/responses"
	cmp := "/v1/evaluations/bad-input/comparisons"

	cases := []struct {
		name        string
		method      string
		path        string
		key         string // "" → write key; "none" → no header
		contentType string // "" → application/json; "none" → no header
		body        string
		status      int
		field       string // a field the problem must name, if any
	}{
		{"malformed JSON", "POST", "/v1/evaluations", "", "", `{"name": "x",}`, 400, ""},
		{"truncated JSON", "POST", "/v1/evaluations", "", "", `{"name": "x"`, 400, ""},
		{"trailing data", "POST", "/v1/evaluations", "", "", `{"name":"x"} {}`, 400, ""},
		{"not an object", "POST", "/v1/evaluations", "", "", `"x"`, 400, ""},
		{"empty body", "POST", "/v1/evaluations", "", "", ``, 400, ""},
		{"wrong type", "POST", "/v1/evaluations", "", "", `{"name": 5}`, 400, "name"},
		{"unknown field", "POST", "/v1/evaluations", "", "", `{"name":"x","colour":"red"}`, 400, "colour"},
		{"server-owned id", "POST", "/v1/evaluations", "", "", `{"name":"x","id":"01900000-0000-7000-8000-000000000000"}`, 400, "id"},
		{"server-owned created_at", "POST", resp, "", "", `{"model":"m","prompt":"p","response":"r","created_at":"2024-01-01T00:00:00Z"}`, 400, "created_at"},
		{"server-owned scores", "POST", resp, "", "", `{"model":"m","prompt":"p","response":"r","scores":{}}`, 400, "scores"},
		{"missing name", "POST", "/v1/evaluations", "", "", `{"description":"d"}`, 400, "name"},
		{"bad name", "POST", "/v1/evaluations", "", "", `{"name":"Has Spaces"}`, 400, "name"},
		{"uuid-shaped name", "POST", "/v1/evaluations", "", "", `{"name":"01900000-0000-7000-8000-000000000000"}`, 400, "name"},
		{"unknown scorer type", "POST", "/v1/evaluations", "", "", `{"name":"x","scorers":[{"type":"nope"}]}`, 400, "scorers[0].type"},
		{"bad scorer params", "POST", "/v1/evaluations", "", "", `{"name":"x","scorers":[{"type":"length","params":{"unit":"x"}}]}`, 400, "scorers[0].params"},
		{"pass min above max", "POST", "/v1/evaluations", "", "", `{"name":"x","scorers":[{"type":"length","pass":{"min":5,"max":1}}]}`, 400, "scorers[0].pass"},
		{"duplicate scorer names", "POST", "/v1/evaluations", "", "", `{"name":"x","scorers":[{"type":"length"},{"type":"length"}]}`, 400, "scorers[1].name"},
		{"duplicate evaluation name", "POST", "/v1/evaluations", "", "", `{"name":"bad-input"}`, 409, ""},
		{"metadata not an object", "POST", "/v1/evaluations", "", "", `{"name":"x","metadata":[1]}`, 400, "metadata"},
		{"oversize body", "POST", "/v1/evaluations", "", "", big, 413, ""},
		{"wrong content type", "POST", "/v1/evaluations", "", "text/plain", `{"name":"x"}`, 415, ""},
		{"no content type", "POST", "/v1/evaluations", "", "none", `{"name":"x"}`, 415, ""},
		{"ndjson where one object is expected", "POST", "/v1/evaluations", "", "application/x-ndjson", `{"name":"x"}`, 415, ""},
		{"patch unknown field", "PATCH", "/v1/evaluations/bad-input", "", "", `{"nam":"x"}`, 400, "nam"},
		{"patch bad name", "PATCH", "/v1/evaluations/bad-input", "", "", `{"name":""}`, 400, "name"},
		{"unknown evaluation", "POST", "/v1/evaluations/no-such-eval/responses", "", "", `{"model":"m","prompt":"p","response":"r"}`, 404, ""},
		{"response without model", "POST", resp, "", "", `{"prompt":"p","response":"r"}`, 400, "model"},
		{"response without response", "POST", resp, "", "", `{"model":"m","prompt":"p"}`, 400, "response"},
		{"context without role", "POST", resp, "", "", `{"model":"m","prompt":"p","response":"r","context":[{"content":"c"}]}`, 400, "context[0].role"},
		{"one bad item fails the batch", "POST", resp, "", "", `[{"model":"m","prompt":"p","response":"ok"},{"prompt":"p","response":"r"}]`, 400, "[1].model"},
		{"bad NDJSON line", "POST", resp, "", "application/x-ndjson", "{\"model\":\"m\",\"prompt\":\"p\",\"response\":\"ok\"}\n{\"model\":\n", 400, "[1]"},
		{"empty array", "POST", resp, "", "", `[]`, 400, ""},
		{"batch over the item limit", "POST", resp, "", "", `[{},{},{},{},{},{}]`, 400, ""},
		{"array of non-objects", "POST", resp, "", "", `[1,2]`, 400, "[0]"},
		{"comparison across evaluations", "POST", cmp, "", "", `{"response_a":"r1","response_b":"o1","winner":"a"}`, 400, "response_b"},
		{"comparison of different prompts", "POST", cmp, "", "", `{"response_a":"r1","response_b":"q1","winner":"a"}`, 400, "response_b"},
		{"preference 1.5", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2","preference":1.5}`, 400, "preference"},
		{"negative preference", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2","preference":-0.1}`, 400, "preference"},
		{"preference and winner", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2","preference":1,"winner":"b"}`, 400, "winner"},
		{"neither preference nor winner", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2"}`, 400, "preference"},
		{"unknown winner", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2","winner":"c"}`, 400, "winner"},
		{"response compared with itself", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r1","winner":"a"}`, 400, "response_b"},
		{"same response by id and external id", "POST", cmp, "", "", `{"response_a":"r1","response_b":"` + r1.ID + `","winner":"a"}`, 400, "response_b"},
		{"unknown annotator kind", "POST", cmp, "", "", `{"response_a":"r1","response_b":"r2","winner":"a","annotator_kind":"robot"}`, 400, "annotator_kind"},
		{"unknown response", "POST", cmp, "", "", `{"response_a":"r1","response_b":"nope","winner":"a"}`, 400, "response_b"},
		{"bad UUID for a key", "DELETE", "/v1/keys/not-a-uuid", "admin", "none", ``, 400, "id"},
		{"unknown response id", "GET", resp + "/01900000-0000-7000-8000-000000000000", "", "none", ``, 404, ""},
		{"unknown query parameter", "GET", resp + "?modle=m1", "", "none", ``, 400, "modle"},
		{"limit too large", "GET", resp + "?limit=5000", "", "none", ``, 400, "limit"},
		{"limit not a number", "GET", resp + "?limit=ten", "", "none", ``, 400, "limit"},
		{"bad cursor", "GET", resp + "?cursor=abc", "", "none", ``, 400, "cursor"},
		{"unknown sort", "GET", "/v1/evaluations?sort=colour", "", "none", ``, 400, "sort"},
		{"passed without scorer", "GET", resp + "?passed=true", "", "none", ``, 400, "passed"},
		{"read key cannot write", "POST", "/v1/evaluations", "read", "", `{"name":"x"}`, 403, ""},
		{"write key cannot delete", "DELETE", "/v1/evaluations/bad-input", "", "none", ``, 403, ""},
		{"write key cannot manage keys", "POST", "/v1/keys", "", "", `{"name":"k","scopes":["read"]}`, 403, ""},
		{"no key", "POST", "/v1/evaluations", "none", "", `{"name":"x"}`, 401, ""},
		{"not a bearer token", "GET", "/v1/evaluations", "basic", "none", ``, 401, ""},
		{"key with a bad checksum", "POST", "/v1/evaluations", badChecksum, "", `{"name":"x"}`, 401, ""},
		{"revoked key", "POST", "/v1/evaluations", revoked, "", `{"name":"x"}`, 401, ""},
		{"key scope unknown", "POST", "/v1/keys", "admin", "", `{"name":"k","scopes":["root"]}`, 400, "scopes[0]"},
		{"unknown route", "GET", "/v1/nowhere", "", "none", ``, 404, ""},
		{"wrong method", "PUT", "/v1/evaluations", "", "", `{}`, 405, ""},
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := a.rowCounts()
			key := map[string]string{"": a.write, "none": "", "read": a.read, "admin": a.admin}[tc.key]
			if _, known := map[string]bool{"": true, "none": true, "read": true, "admin": true}[tc.key]; !known {
				key = tc.key
			}
			ct := map[string]string{"": "application/json", "none": ""}[tc.contentType]
			if tc.contentType != "" && tc.contentType != "none" {
				ct = tc.contentType
			}
			var r reply
			if tc.key == "basic" {
				req, _ := http.NewRequest(tc.method, a.http.URL+tc.path, nil)
				req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				r = reply{status: res.StatusCode, header: res.Header, body: b}
			} else {
				r = a.do(tc.method, tc.path, key, ct, tc.body)
			}
			if r.status != tc.status {
				t.Errorf("status = %d, want %d; body %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			var p Problem
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatalf("body is not a problem: %v: %s", err, r.body)
			}
			if p.Status != tc.status || p.Title == "" || p.Type == "" || p.RequestID == "" {
				t.Errorf("problem = %+v, want status %d with type, title and request id", p, tc.status)
			}
			if tc.field != "" {
				found := false
				for _, fe := range p.Errors {
					found = found || fe.Field == tc.field
				}
				if !found {
					t.Errorf("problem errors = %+v, want one for field %q", p.Errors, tc.field)
				}
			}
			for _, leak := range []string{"SQLSTATE", "pgx", "goroutine", ".go:", "panic"} {
				if strings.Contains(string(r.body), leak) {
					t.Errorf("body leaks %q: %s", leak, r.body)
				}
			}
			if after := a.rowCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows changed: before %v, after %v", before, after)
			}
		})
	}
	if r := a.get("/v1/evaluations/" + ev.ID); r.status != 200 {
		t.Errorf("evaluation gone after bad input: %d", r.status)
	}
}

// failingEvaluations returns a driver-looking error, to prove it never reaches a body.
type failingEvaluations struct{ EvaluationService }

func (failingEvaluations) Get(context.Context, string) (domain.Evaluation, error) {
	return domain.Evaluation{}, errors.New(`ERROR: relation "evaluations" does not exist (SQLSTATE 42P01)`)
}

func TestInternalErrorsAndPanicsAreGeneric(t *testing.T) {
	a := newTestAPI(t, Config{})
	svc := ServicesFrom(a.svc, pingerFunc(func(context.Context) error { return nil }))
	svc.Evaluations = failingEvaluations{}
	s, err := New(svc, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	s.Echo().GET("/test-panic", func(echo.Context) error { panic("kaboom at handler.go:12") }, s.auth(domain.ScopeRead))
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for _, path := range []string{"/v1/evaluations/x", "/test-panic"} {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+a.read)
		req.Header.Set("X-Request-Id", "trace-123")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 500 || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: status %d, type %q; want 500 problem+json", path, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, leak := range []string{"SQLSTATE", "relation", "kaboom", "handler.go"} {
			if strings.Contains(string(body), leak) {
				t.Errorf("%s: body leaks %q: %s", path, leak, body)
			}
		}
		if !strings.Contains(string(body), "trace-123") || res.Header.Get("X-Request-Id") != "trace-123" {
			t.Errorf("%s: request id not echoed: header %q body %s", path, res.Header.Get("X-Request-Id"), body)
		}
	}
}

type pingerFunc func(context.Context) error

func (f pingerFunc) Ping(ctx context.Context) error { return f(ctx) }

func TestHealth(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.do("GET", "/healthz", "", "", ""), 200)
	wantStatus(t, a.do("GET", "/readyz", "", "", ""), 200)

	down := newTestAPI(t, Config{})
	s, err := New(ServicesFrom(down.svc, pingerFunc(func(context.Context) error { return domain.ErrUnavailable })),
		Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	res, err := http.Get(hs.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 503 || res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("Retry-After") == "" {
		t.Errorf("readyz with the database down = %d %q, want 503 problem+json with Retry-After", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestEvaluationsAPI(t *testing.T) {
	a := newTestAPI(t, Config{})
	created := a.post("/v1/evaluations", `{"name":"crud-b","description":"first","scorers":[{"type":"length","name":"words","pass":{"max":3}}],"metadata":{"team":"x"}}`)
	wantStatus(t, created, 201)
	e := decodeJSON[evaluationOut](t, created)
	if created.header.Get("Location") != "/v1/evaluations/"+e.ID || e.Scorers[0].Name != "words" || string(e.Scorers[0].Params) != "{}" {
		t.Errorf("created = %+v, location %q", e, created.header.Get("Location"))
	}
	for _, ref := range []string{e.ID, "crud-b"} {
		got := decodeJSON[evaluationOut](t, a.get("/v1/evaluations/"+ref))
		if got.ID != e.ID || got.Metadata["team"] != "x" {
			t.Errorf("get %s = %+v", ref, got)
		}
	}
	a.post("/v1/evaluations", `{"name":"crud-a"}`)
	a.post("/v1/evaluations", `{"name":"crud-c"}`)
	patched := a.do("PATCH", "/v1/evaluations/crud-b", a.write, "application/json", `{"description":"second","scorers":[]}`)
	wantStatus(t, patched, 200)
	p := decodeJSON[evaluationOut](t, patched)
	if p.Description != "second" || len(p.Scorers) != 0 || p.Name != "crud-b" || !p.UpdatedAt.After(e.UpdatedAt) {
		t.Errorf("patched = %+v", p)
	}
	order := func(sort string) string {
		var names []string
		cursor := ""
		for {
			path := "/v1/evaluations?limit=1&sort=" + sort
			if cursor != "" {
				path += "&cursor=" + cursor
			}
			page := decodeJSON[listOut[evaluationOut]](t, a.get(path))
			for _, it := range page.Items {
				if strings.HasPrefix(it.Name, "crud-") {
					names = append(names, strings.TrimPrefix(it.Name, "crud-"))
				}
			}
			if page.NextCursor == nil {
				return strings.Join(names, "")
			}
			cursor = *page.NextCursor
		}
	}
	// Creation order is b, a, c; b was updated last.
	for sort, want := range map[string]string{"created_at": "bac", "-created_at": "cab", "name": "abc", "-name": "cba", "updated_at": "acb", "-updated_at": "bca"} {
		if got := order(sort); got != want {
			t.Errorf("order by %s = %q, want %q", sort, got, want)
		}
	}
	wantStatus(t, a.do("DELETE", "/v1/evaluations/crud-b", a.admin, "", ""), 202)
	wantStatus(t, a.get("/v1/evaluations/crud-b"), 404)
	// The name is free again at once, while the old one is purged in the background.
	wantStatus(t, a.post("/v1/evaluations", `{"name":"crud-b"}`), 201)
	wantStatus(t, a.do("PATCH", "/v1/evaluations/crud-a", a.write, "application/json", `{"name":"crud-c"}`), 409)
}

func TestResponsesAPI(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"resp","scorers":[{"type":"length","pass":{"max":3}}]}`), 201)
	path := "/v1/evaluations/resp/responses"

	first := a.post(path, `{"external_id":"e1","model":"m1","prompt":"What is 2+2?","response":"It is four","metadata":{"run":1}}`)
	wantStatus(t, first, 201)
	r1 := decodeJSON[responseOut](t, first)
	if sc := r1.Scores["length"]; sc.Value == nil || *sc.Value != 3 || sc.Passed == nil || !*sc.Passed || sc.Details["characters"] != 10.0 {
		t.Errorf("length score = %+v", sc)
	}
	if r1.PromptID != domain.PromptHash("What is 2+2?") {
		t.Errorf("prompt_id = %q, want the prompt hash", r1.PromptID)
	}
	again := a.post(path, `{"external_id":"e1","model":"other","prompt":"x","response":"changed"}`)
	wantStatus(t, again, 200)
	if got := decodeJSON[responseOut](t, again); got.ID != r1.ID || got.Model != "m1" || got.Response != "It is four" {
		t.Errorf("re-post returned %+v, want the stored response", got)
	}

	batch := a.post(path, `[{"external_id":"e2","model":"m2","prompt":"What is 2+2?","response":"four, obviously, my friend"},
		{"external_id":"e2","model":"m2","prompt":"What is 2+2?","response":"duplicate in batch"},
		{"external_id":"e1","model":"m1","prompt":"What is 2+2?","response":"dup of stored"},
		{"model":"m1","prompt":"Name a colour","prompt_id":"colour","response":"blue","reference":"red"}]`)
	wantStatus(t, batch, 201)
	b := decodeJSON[batchOut[responseOut]](t, batch)
	if b.Created != 2 || b.Existing != 2 || b.Items[0].ID != b.Items[1].ID || b.Items[2].ID != r1.ID || b.Items[3].PromptID != "colour" {
		t.Errorf("batch = created %d existing %d items %+v", b.Created, b.Existing, b.Items)
	}
	nd := a.do("POST", path, a.write, "application/x-ndjson", "{\"model\":\"m3\",\"prompt\":\"p\",\"response\":\"a b c d e\"}\n\n{\"model\":\"m3\",\"prompt\":\"p\",\"response\":\"\"}\n")
	wantStatus(t, nd, 201)
	if n := decodeJSON[batchOut[responseOut]](t, nd); n.Created != 2 || n.Items[1].Scores["length"].Value == nil || *n.Items[1].Scores["length"].Value != 0 {
		t.Errorf("ndjson batch = %+v", n)
	}

	ids := func(q string) []string {
		page := decodeJSON[listOut[responseOut]](t, a.get(path+q))
		var out []string
		for _, r := range page.Items {
			out = append(out, r.Model+":"+r.Response)
		}
		return out
	}
	for _, tc := range []struct{ q, want string }{
		{"?model=m1", "[m1:It is four m1:blue]"},
		{"?model=m3&sort=-created_at", "[m3: m3:a b c d e]"},
		{"?scorer=length&passed=false", "[m2:four, obviously, my friend m3:a b c d e]"},
		{"?prompt_id=colour", "[m1:blue]"},
		{"?scorer=nope", "[]"},
	} {
		if got := fmt.Sprint(ids(tc.q)); got != tc.want {
			t.Errorf("list %s = %s, want %s", tc.q, got, tc.want)
		}
	}
	var all []string
	cursor := ""
	for pages := 0; ; pages++ {
		q := path + "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		page := decodeJSON[listOut[responseOut]](t, a.get(q))
		for _, r := range page.Items {
			all = append(all, r.ID)
		}
		if page.NextCursor == nil {
			break
		}
		cursor = *page.NextCursor
	}
	if len(all) != 5 {
		t.Errorf("paged through %d responses, want 5", len(all))
	}
	wantStatus(t, a.get(path+"/e1"), 200)
	wantStatus(t, a.get(path+"/"+r1.ID), 200)
	wantStatus(t, a.do("DELETE", path+"/e1", a.admin, "", ""), 204)
	wantStatus(t, a.get(path+"/"+r1.ID), 404)
}

func TestComparisonsAPI(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	a.post("/v1/evaluations", `{"name":"cmp"}`)
	rs := decodeJSON[batchOut[responseOut]](t, a.post("/v1/evaluations/cmp/responses",
		`[{"external_id":"a","model":"m1","prompt":"p","response":"x"},{"external_id":"b","model":"m2","prompt":"p","response":"y"}]`))
	path := "/v1/evaluations/cmp/comparisons"
	c := a.post(path, `{"external_id":"c1","response_a":"a","response_b":"`+rs.Items[1].ID+`","winner":"b","annotator":"alice","rationale":"clearer"}`)
	wantStatus(t, c, 201)
	c1 := decodeJSON[comparisonOut](t, c)
	if c1.Preference != 1 || c1.Winner != "b" || c1.ModelA != "m1" || c1.ModelB != "m2" || c1.AnnotatorKind != "human" {
		t.Errorf("comparison = %+v", c1)
	}
	wantStatus(t, a.post(path, `{"external_id":"c1","response_a":"b","response_b":"a","winner":"a"}`), 200)
	batch := decodeJSON[batchOut[comparisonOut]](t, a.post(path, `[{"response_a":"a","response_b":"b","preference":0.5,"annotator":"gpt-judge","annotator_kind":"model"},
		{"response_a":"b","response_b":"a","preference":0.3,"annotator":"bob"}]`))
	if batch.Created != 2 || batch.Items[0].Winner != "tie" || batch.Items[1].Winner != "a" || batch.Items[1].ModelA != "m2" {
		t.Errorf("batch = %+v", batch)
	}
	list := func(q string) int { return len(decodeJSON[listOut[comparisonOut]](t, a.get(path+q)).Items) }
	for q, want := range map[string]int{"": 3, "?annotator=alice": 1, "?annotator_kind=model": 1, "?model=m2": 3, "?model=m9": 0} {
		if got := list(q); got != want {
			t.Errorf("list %q = %d, want %d", q, got, want)
		}
	}
	wantStatus(t, a.get(path+"/c1"), 200)
	wantStatus(t, a.do("DELETE", path+"/"+c1.ID, a.admin, "", ""), 204)
	wantStatus(t, a.get(path+"/c1"), 404)
}

func TestKeysAPI(t *testing.T) {
	a := newTestAPI(t, Config{})
	created := a.do("POST", "/v1/keys", a.admin, "application/json", `{"name":"ci","scopes":["write"]}`)
	wantStatus(t, created, 201)
	k := decodeJSON[keyOut](t, created)
	if !strings.HasPrefix(k.Key, domain.KeyTypePrefix) || !strings.HasPrefix(k.Key, k.Prefix) {
		t.Fatalf("created key = %+v", k)
	}
	wantStatus(t, a.do("POST", "/v1/evaluations", k.Key, "application/json", `{"name":"by-new-key"}`), 201)
	list := decodeJSON[listOut[keyOut]](t, a.do("GET", "/v1/keys", a.admin, "", ""))
	for _, it := range list.Items {
		if it.Key != "" {
			t.Errorf("list shows a secret: %+v", it)
		}
	}
	rev := a.do("DELETE", "/v1/keys/"+k.ID, a.admin, "", "")
	wantStatus(t, rev, 200)
	if decodeJSON[keyOut](t, rev).RevokedAt == nil {
		t.Errorf("revoked key has no revoked_at")
	}
	wantStatus(t, a.do("GET", "/v1/evaluations", k.Key, "", ""), 401)
}

// Sanity for the test harness itself: the route table has what the issue lists.
func TestRoutesExist(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	have := map[string]bool{}
	for _, r := range a.server.Echo().Routes() {
		have[r.Method+" "+r.Path] = true
	}
	for _, want := range []string{"GET /healthz", "GET /readyz", "GET /openapi.json", "POST /v1/evaluations", "GET /v1/evaluations",
		"GET /v1/evaluations/:eval", "PATCH /v1/evaluations/:eval", "DELETE /v1/evaluations/:eval",
		"POST /v1/evaluations/:eval/responses", "GET /v1/evaluations/:eval/responses", "GET /v1/evaluations/:eval/responses/:id",
		"DELETE /v1/evaluations/:eval/responses/:id", "POST /v1/evaluations/:eval/comparisons", "GET /v1/evaluations/:eval/comparisons",
		"GET /v1/evaluations/:eval/comparisons/:id", "DELETE /v1/evaluations/:eval/comparisons/:id",
		"POST /v1/keys", "GET /v1/keys", "DELETE /v1/keys/:id"} {
		if !have[want] {
			t.Errorf("route %s missing", want)
		}
	}
	_ = app.DefaultLimits
}
