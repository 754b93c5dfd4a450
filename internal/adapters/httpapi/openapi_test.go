package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// These tests keep openapi.json true to the server: the document is valid and
// consistent, it lists exactly the routes echo serves, each operation needs the
// scope it says, and every reply of a run through every route, successes and
// errors, is one the document describes.

// TestOpenAPIDocumentIsValid validates the document by the OpenAPI 3.1 rules (the
// loader already refuses references to other files: the document is served alone).
func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	if len(doc.Servers) == 0 || doc.Servers[0].URL != docBase {
		t.Errorf("servers = %v, want %s first", doc.Servers, docBase)
	}
}

// TestOpenAPIOperationsAreComplete holds every operation, present and future, to the
// same standard, so that a route added in a hurry cannot be half documented.
func TestOpenAPIOperationsAreComplete(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	tags := map[string]bool{}
	for _, tag := range doc.Tags {
		tags[tag.Name] = true
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			t.Run(method+" "+path, func(t *testing.T) {
				t.Parallel()
				if op.OperationID == "" || op.Summary == "" || op.Description == "" {
					t.Errorf("operationId %q, summary %q, description %q: all are required", op.OperationID, op.Summary, op.Description)
				}
				if len(op.Tags) != 1 || !tags[op.Tags[0]] {
					t.Errorf("tags = %v, want one of the document's tags", op.Tags)
				}
				statuses := map[string]bool{}
				for code := range op.Responses.Map() {
					statuses[code] = true
				}
				// Every route refuses unknown and repeated query parameters.
				need := []string{"400", "500"}
				switch scope, public, err := requiredScope(op); {
				case err != nil:
					t.Error(err)
				case !public:
					need = append(need, "401", "403", "429", "503")
					if !strings.Contains(op.Description, "`"+scope+"` scope") {
						t.Errorf("description does not say it needs the `%s` scope: %q", scope, op.Description)
					}
				}
				params := slices.Concat(item.Parameters, op.Parameters)
				if op.RequestBody != nil {
					need = append(need, "413", "415")
					if !hasParameter(params, "ContentEncoding") {
						t.Errorf("takes a body but not the Content-Encoding parameter")
					}
					// The server refuses unknown fields; the document must say so.
					for mt, content := range op.RequestBody.Value.Content {
						walkSchemas(content.Schema, func(s *openapi3.Schema) {
							if len(s.Properties) > 0 && (s.AdditionalProperties.Has == nil || *s.AdditionalProperties.Has) {
								t.Errorf("%s request: an object with properties %v does not set additionalProperties: false", mt, sortedKeys(s.Properties))
							}
						})
					}
				}
				if method == http.MethodPost && path != "/v1/keys" {
					// Every POST honours Idempotency-Key, except key creation, whose
					// reply carries a secret that is never stored.
					need = append(need, "409", "422")
					if !hasParameter(params, "IdempotencyKey") {
						t.Errorf("a POST without the Idempotency-Key parameter")
					}
					for code, ref := range op.Responses.Map() {
						if code[0] == '2' && ref.Value.Headers["Idempotent-Replayed"] == nil {
							t.Errorf("%s: no Idempotent-Replayed header", code)
						}
					}
				}
				if strings.Contains(path, "{") {
					need = append(need, "404")
				}
				for _, p := range params {
					if p.Value.Description == "" || p.Value.Schema == nil || p.Value.Schema.Value == nil || p.Value.Schema.Value.Type == nil {
						t.Errorf("parameter %s %q: a description and a schema with a type are required", p.Value.In, p.Value.Name)
					}
				}
				for _, code := range need {
					if !statuses[code] {
						t.Errorf("no %s response", code)
					}
				}
				for code, ref := range op.Responses.Map() {
					checkResponseShape(t, op.OperationID, code, ref.Value)
				}
			})
		}
	}
}

// hasParameter reports whether params include the document's shared parameter name.
func hasParameter(params openapi3.Parameters, name string) bool {
	return slices.ContainsFunc(params, func(p *openapi3.ParameterRef) bool {
		return p.Ref == "#/components/parameters/"+name
	})
}

// requiredScope returns the one key scope an operation's security requirement
// names, or public for an operation that needs no key. Operations must state their
// security themselves rather than inherit the document's default.
func requiredScope(op *openapi3.Operation) (scope string, public bool, err error) {
	if op.Security == nil {
		return "", false, errors.New("no security of its own: say which scope it needs, or [] for none")
	}
	reqs := *op.Security
	switch {
	case len(reqs) == 0:
		return "", true, nil
	case len(reqs) != 1 || len(reqs[0]) != 1 || len(reqs[0]["apiKey"]) != 1:
		return "", false, fmt.Errorf("security = %v, want [{apiKey: [scope]}]", reqs)
	}
	scope = reqs[0]["apiKey"][0]
	if !domain.Scope(scope).Valid() {
		return "", false, fmt.Errorf("security names scope %q, not read, write or admin", scope)
	}
	return scope, false, nil
}

// streamed lists the operations whose successes are not JSON, with the media types
// they may have.
var streamed = map[string][]string{
	"exportComparisons": {"application/x-ndjson", "text/csv"},
	"getMetrics":        {"text/plain"},
}

// checkResponseShape requires X-Request-Id on every reply, problem+json on every
// error and JSON on every success that has a body, except where streamed says
// otherwise.
func checkResponseShape(t *testing.T, opID, code string, r *openapi3.Response) {
	t.Helper()
	if h := r.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
		t.Errorf("%s: no required X-Request-Id header", code)
	}
	var want []string
	switch {
	case code[0] == '4' || code[0] == '5':
		want = []string{"application/problem+json"}
		if mt := r.Content.Get(want[0]); mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Problem" {
			t.Errorf("%s: content is not a Problem", code)
		}
	case len(r.Content) > 0 && streamed[opID] != nil:
		want = streamed[opID]
	case len(r.Content) > 0:
		want = []string{"application/json"}
	}
	for mt := range r.Content {
		if !slices.Contains(want, mt) {
			t.Errorf("%s: content type %s, want only %v", code, mt, want)
		}
	}
}

// TestOpenAPIListsEveryRoute compares the document's operations with the routes
// echo serves, both ways.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	s := fakeServer(t, fakeEvaluations{}, fakeKeys{}, fakePinger{})
	served := map[string]bool{}
	for _, r := range s.Echo().Routes() {
		served[r.Method+" "+docPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range sortedKeys(served) {
		if !documented[r] {
			t.Errorf("%s is served but not documented", r)
		}
	}
	for _, r := range sortedKeys(documented) {
		if !served[r] {
			t.Errorf("%s is documented but not served", r)
		}
	}
	if len(served) < 17 {
		t.Errorf("echo serves %d routes; the walk is broken", len(served))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestOpenAPIValidatorCatchesDrift shows that the checks applied to real replies
// can fail: each doctored reply breaks the document in one way, next to a control
// that does not.
func TestOpenAPIValidatorCatchesDrift(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	const id = "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f"
	evaluation := `{"id":"` + id + `","name":"e","description":"","scorers":[{"name":"length","type":"length","params":{}}],` +
		`"metadata":{},"created_at":"2026-01-02T03:04:05.123456Z","updated_at":"2026-01-02T03:04:05.123456Z"}`
	response := `{"id":"` + id + `","evaluation_id":"` + id + `","external_id":null,"prompt_id":"p","model":"m","prompt":"q",` +
		`"response":"","reference":null,"metadata":{},"scores":{"length":{"status":"ready","value":0,"passed":null,"details":{}}},"created_at":"2026-01-02T03:04:05Z"}`
	batch := `{"items":[` + response + `],"created":1,"existing":0}`
	problem := `{"type":"urn:rlhf-eval:problem:validation","title":"Invalid input","status":400,"errors":[{"field":"name","message":"is required"}]}`
	jsonCT, problemCT := "application/json", "application/problem+json"

	cases := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		noRequestID bool
		body        string
		valid       bool
	}{
		{"evaluation as documented", "GET", "/v1/evaluations/e", 200, jsonCT, false, evaluation, true},
		{"undocumented field", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { m["colour"] = "red" }), false},
		{"undocumented field in a nested schema", "GET", "/v1/evaluations/e", 200, jsonCT, false,
			edit(t, evaluation, func(m map[string]any) { m["scorers"].([]any)[0].(map[string]any)["weight"] = 1 }), false},
		{"required field missing", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { delete(m, "updated_at") }), false},
		{"wrong type", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { m["name"] = 7 }), false},
		{"null where none is allowed", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { m["metadata"] = nil }), false},
		{"bad date-time", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { m["created_at"] = "yesterday" }), false},
		{"bad uuid", "GET", "/v1/evaluations/e", 200, jsonCT, false, edit(t, evaluation, func(m map[string]any) { m["id"] = "42" }), false},
		{"undocumented status", "GET", "/v1/evaluations/e", 418, problemCT, false, problem, false},
		{"success as problem+json", "GET", "/v1/evaluations/e", 200, problemCT, false, evaluation, false},
		{"no X-Request-Id", "GET", "/v1/evaluations/e", 200, jsonCT, true, evaluation, false},
		{"problem as documented", "POST", "/v1/evaluations", 400, problemCT, false, problem, true},
		{"problem as plain JSON", "POST", "/v1/evaluations", 400, jsonCT, false, problem, false},
		{"problem field error without message", "POST", "/v1/evaluations", 400, problemCT, false,
			edit(t, problem, func(m map[string]any) { delete(m["errors"].([]any)[0].(map[string]any), "message") }), false},
		{"problem type not a URI", "POST", "/v1/evaluations", 400, problemCT, false, edit(t, problem, func(m map[string]any) { m["type"] = "validation" }), false},
		{"empty 204", "DELETE", "/v1/evaluations/e/responses/r", 204, "", false, "", true},
		{"204 with a body", "DELETE", "/v1/evaluations/e/responses/r", 204, jsonCT, false, "{}", false},
		{"single response as documented", "POST", "/v1/evaluations/e/responses", 201, jsonCT, false, response, true},
		{"batch as documented", "POST", "/v1/evaluations/e/responses", 201, jsonCT, false, batch, true},
		{"batch with a negative count", "POST", "/v1/evaluations/e/responses", 201, jsonCT, false, edit(t, batch, func(m map[string]any) { m["created"] = -1 }), false},
		{"score value not a number", "POST", "/v1/evaluations/e/responses", 201, jsonCT, false,
			strings.Replace(batch, `"value":0`, `"value":"high"`, 1), false},
		{"neither a response nor a batch", "POST", "/v1/evaluations/e/responses", 201, jsonCT, false, `{"items":[]}`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, docBase+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			route, params, err := c.router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			header := http.Header{}
			if tc.contentType != "" {
				header.Set("Content-Type", tc.contentType)
			}
			if !tc.noRequestID {
				header.Set("X-Request-Id", "r1")
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
			err = c.validateReply(in, served{status: tc.status, header: header, body: []byte(tc.body), route: route})
			if got := err == nil; got != tc.valid {
				t.Errorf("valid = %v, want %v (error: %v)", got, tc.valid, err)
			}
		})
	}
}

// TestOpenAPIValidatorCatchesStreamDrift does for the replies that are not one JSON
// value what TestOpenAPIValidatorCatchesDrift does for the others: exports (every
// NDJSON line is checked; CSV starts with its header row), metrics, and HEAD replies
// (GET's status and headers without a body).
func TestOpenAPIValidatorCatchesStreamDrift(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	const (
		export   = "/v1/evaluations/e/export"
		ndjsonCT = "application/x-ndjson"
		csvCT    = "text/csv; charset=utf-8"
		dpo      = `{"prompt":"p","chosen":"a","rejected":"b"}` + "\n"
		header   = "prompt_id,prompt,context,model_a,response_a,external_id_a,model_b,response_b,external_id_b,preference,min_preference,max_preference,judgements,annotators\n"
		row      = "q1,p,[],m1,a,,m2,b,,0.25,0,0.5,2,2\n"
	)
	dpoFile := `attachment; filename="e-dpo.jsonl"`
	cases := []struct {
		name        string
		method      string
		path        string
		status      int
		contentType string
		disposition string
		body        string
		valid       bool
	}{
		{"DPO lines as documented", "GET", export, 200, ndjsonCT, dpoFile, dpo + dpo, true},
		{"conversational KTO lines", "GET", export, 200, ndjsonCT, `attachment; filename="e-kto.jsonl"`,
			`{"prompt":[{"role":"user","content":"p"}],"completion":[{"role":"assistant","content":"a"}],"label":true}` + "\n", true},
		{"a line of no documented shape", "GET", export, 200, ndjsonCT, dpoFile, `{"prompt":"p","chosen":"a"}` + "\n", false},
		{"a bad second line", "GET", export, 200, ndjsonCT, dpoFile, dpo + `{"prompt":"p","chosen":"a","rejected":"b","score":1}` + "\n", false},
		{"a line that is not JSON", "GET", export, 200, ndjsonCT, dpoFile, dpo + "prompt=p\n", false},
		{"no lines", "GET", export, 200, ndjsonCT, dpoFile, "", true},
		{"no Content-Disposition", "GET", export, 200, ndjsonCT, "", dpo, false},
		{"a file name of another format", "GET", export, 200, ndjsonCT, `attachment; filename="e-csv.jsonl"`, dpo, false},
		{"an export as JSON", "GET", export, 200, "application/json", dpoFile, dpo, false},
		{"CSV as documented", "GET", export, 200, csvCT, `attachment; filename="e-csv.csv"`, header + row, true},
		{"CSV without its header row", "GET", export, 200, csvCT, `attachment; filename="e-csv.csv"`, row, false},
		{"metrics as text", "GET", "/metrics", 200, "text/plain; version=0.0.4; charset=utf-8", "", "# TYPE up gauge\nup 1\n", true},
		{"metrics as JSON", "GET", "/metrics", 200, "application/json", "", `{"up":1}`, false},
		{"HEAD as documented", "HEAD", export, 200, ndjsonCT, dpoFile, "", true},
		{"HEAD with a body", "HEAD", export, 200, ndjsonCT, dpoFile, dpo, false},
		{"HEAD without GET's headers", "HEAD", export, 200, ndjsonCT, "", "", false},
		{"HEAD of an undocumented status", "HEAD", export, 418, "application/problem+json", "", "", false},
		{"HEAD of an error as documented", "HEAD", export, 404, "application/problem+json", "", "", true},
		{"HEAD of an error as JSON", "HEAD", export, 404, "application/json", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			x := exchange{method: tc.method, path: tc.path}
			req := x.documented(t)
			route, params, err := c.router.FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			header := http.Header{"X-Request-Id": {"r1"}, "Content-Type": {tc.contentType}}
			if tc.disposition != "" {
				header.Set("Content-Disposition", tc.disposition)
			}
			in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: c.opts}
			check := c.validateReply
			if tc.method == http.MethodHead {
				check = c.validateHeadReply
			}
			err = check(in, served{status: tc.status, header: header, body: []byte(tc.body), route: route})
			if got := err == nil; got != tc.valid {
				t.Errorf("valid = %v, want %v (error: %v)", got, tc.valid, err)
			}
		})
	}
}

// edit returns the JSON object base changed by f.
func edit(t *testing.T, base string, f func(map[string]any)) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(base), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestOpenAPIScopesMatchServer sends every documented operation with no key, a
// malformed key, and a key of each scope, and checks that the server lets exactly
// the scopes the document names (and the ones above) through. Path parameters name
// things that do not exist, so nothing is changed; the replies are checked against
// the document like any other.
func TestOpenAPIScopesMatchServer(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	api := realServer(t, Config{}, 0)
	s, keys := api.server, api.keys
	byScope := map[domain.Scope]string{domain.ScopeRead: keys.read, domain.ScopeWrite: keys.write, domain.ScopeAdmin: keys.admin}
	level := map[domain.Scope]int{domain.ScopeRead: 1, domain.ScopeWrite: 2, domain.ScopeAdmin: 3}

	for _, path := range sortedKeys(c.doc.Paths.Map()) {
		item := c.doc.Paths.Value(path)
		for _, method := range sortedKeys(item.Operations()) {
			op := item.GetOperation(method)
			t.Run(method+" "+path, func(t *testing.T) {
				t.Parallel()
				scope, public, err := requiredScope(op)
				if err != nil {
					t.Fatal(err)
				}
				url := absentPath(path, slices.Concat(item.Parameters, op.Parameters))
				probe := func(name, key string, allowed bool) {
					t.Run(name, func(t *testing.T) {
						got := c.send(t, s, exchange{method: method, path: url, key: key, request: unchecked})
						switch denied := got.status == http.StatusUnauthorized || got.status == http.StatusForbidden; {
						case allowed && denied:
							t.Errorf("status = %d, want the key let through; body %s", got.status, got.body)
						case !allowed && !denied:
							t.Errorf("status = %d, want 401 or 403; body %s", got.status, got.body)
						}
					})
				}
				probe("no key", "", public)
				if public {
					return
				}
				probe("malformed key", "rlhf_not-a-key", false)
				for _, have := range []domain.Scope{domain.ScopeRead, domain.ScopeWrite, domain.ScopeAdmin} {
					probe(string(have)+" key", byScope[have], level[have] >= level[domain.Scope(scope)])
				}
			})
		}
	}
}

// absentPath fills a path template's parameters with references to nothing: a
// UUID where the parameter is one, a name otherwise.
func absentPath(path string, params openapi3.Parameters) string {
	for _, p := range params {
		if p.Value.In != "path" {
			continue
		}
		v := "openapi-absent"
		if sch := p.Value.Schema.Value; sch != nil && sch.Format == "uuid" {
			v = "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f"
		}
		path = strings.ReplaceAll(path, "{"+p.Value.Name+"}", v)
	}
	return path
}

// step is one exchange of TestOpenAPIConformance. Its path, key, body and request
// headers may name values saved by earlier steps as $name.
type step struct {
	name        string
	method      string
	path        string
	key         string
	contentType string
	body        string
	reqHeader   map[string]string // further request headers
	gzip        bool              // send the body gzip-compressed
	status      int
	request     requestCheck
	before      func(t *testing.T)              // prepares state the API cannot set up itself
	save        map[string]string               // variable → where its string is in the reply ("items.0.id")
	want        map[string]any                  // where in the reply → the value it must have, or notPresent
	header      map[string]string               // reply header → the value it must have ("": none)
	check       func(t *testing.T, body []byte) // a further check of the reply's body
}

// notPresent, as a wanted value, requires the reply not to have the field.
var notPresent = new(struct{ notPresent bool })

// lineCount checks that a streamed reply has n non-empty lines.
func lineCount(n int) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		got := 0
		for _, line := range strings.Split(string(body), "\n") {
			if strings.TrimSpace(line) != "" {
				got++
			}
		}
		if got != n {
			t.Errorf("the reply has %d lines, want %d:\n%s", got, n, body)
		}
	}
}

// bodyContains checks that the reply's body contains sub.
func bodyContains(sub string) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		t.Helper()
		if !strings.Contains(string(body), sub) {
			t.Errorf("the reply does not contain %q:\n%.2000s", sub, body)
		}
	}
}

// TestOpenAPIConformance runs through every route, with successes and the typical
// errors, on the real use cases and database, and checks every request and reply
// against the document. The steps run in order: later ones use what earlier ones
// created.
func TestOpenAPIConformance(t *testing.T) {
	c := loadContract(t)
	api := realServer(t, Config{MaxBodyBytes: 64 << 10}, 0)
	s, keys := api.server, api.keys
	vars := map[string]string{"read": keys.read, "write": keys.write, "admin": keys.admin}

	const (
		jsonCT = "application/json"
		ndjson = "application/x-ndjson"
		evals  = "/v1/evaluations"
		resps  = "/v1/evaluations/oa-main/responses"
		cmps   = "/v1/evaluations/oa-main/comparisons"
		absent = "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f"
	)
	big := `{"name":"oa-big","description":"` + strings.Repeat("x", 70<<10) + `"}`
	idemBody := `{"model":"m-idem","prompt":"Say hi.","response":"Hi."}`
	prefs, next := evals+"/oa-prefs", evals+"/oa-next"
	scorers := `[{"type":"length"},{"name":"has4","type":"contains","params":{"values":["4"]}},{"type":"bleu"}]`
	prefsResponses := `{"external_id":"p1a","prompt_id":"q1","model":"m1","prompt":"What is 2+2?","response":"4","reference":"4","context":[{"role":"system","content":"Answer briefly."}]}
{"external_id":"p1b","prompt_id":"q1","model":"m2","prompt":"What is 2+2?","response":"Four.","reference":"4","context":[{"role":"system","content":"Answer briefly."}]}
{"external_id":"p2a","prompt_id":"q2","model":"m1","prompt":"What is 3+1?","response":"It is 4.","reference":"4"}
{"external_id":"p2b","prompt_id":"q2","model":"m2","prompt":"What is 3+1?","response":"5","reference":"4"}
{"external_id":"p3a","prompt_id":"q3","model":"m1","prompt":"Name a primary colour.","response":"Blue.","reference":"Blue."}
{"external_id":"p3b","prompt_id":"q3","model":"m2","prompt":"Name a primary colour.","response":"Red.","reference":"Blue."}
`
	judgements := `[{"response_a":"p1a","response_b":"p1b","winner":"a","annotator":"alice"},
{"response_a":"p2a","response_b":"p2b","winner":"a","annotator":"alice"},
{"response_a":"p3a","response_b":"p3b","winner":"a","annotator":"alice"},
{"response_a":"p1a","response_b":"p1b","winner":"a","annotator":"bob"},
{"response_a":"p2b","response_b":"p2a","winner":"b","annotator":"bob"},
{"response_a":"p3a","response_b":"p3b","winner":"b","annotator":"bob"},
{"response_a":"p1a","response_b":"p1b","preference":0.3,"annotator":"judge-1","annotator_kind":"model"}]`
	scoreBody := `{"scorers":[{"type":"length"},{"name":"has4","type":"contains","params":{"values":["4"]}}],` +
		`"items":[{"id":"a","prompt":"What is 2+2?","response":"4"},{"id":7,"response":"four","context":[{"role":"user","content":"Count."}]},{"response":""}]}`
	steps := []step{
		// System.
		{name: "liveness", method: "GET", path: "/healthz", status: 200, want: map[string]any{"status": "ok"}},
		{name: "readiness", method: "GET", path: "/readyz", status: 200, want: map[string]any{"status": "ready"}},
		{name: "the document", method: "GET", path: "/openapi.json", key: "$read", status: 200},
		{name: "the document needs a key", method: "GET", path: "/openapi.json", status: 401, request: violates,
			header: map[string]string{"WWW-Authenticate": `Bearer realm="rlhf-eval"`}},
		{name: "liveness by HEAD", method: "HEAD", path: "/healthz", status: 200},
		{name: "liveness with a query parameter", method: "GET", path: "/healthz?verbose=1", status: 400, request: unchecked},
		{name: "the document with a query parameter", method: "GET", path: "/openapi.json?format=yaml", key: "$read", status: 400, request: unchecked},
		// One request to /healthz so far was refused (the one just above).
		{name: "metrics", method: "GET", path: "/metrics", key: "$read", status: 200,
			check: bodyContains(`rlhf_http_requests_total{method="GET",route="/healthz",status="400"} 1` + "\n")},
		{name: "metrics by HEAD", method: "HEAD", path: "/metrics", key: "$read", status: 200},
		{name: "metrics need a key", method: "GET", path: "/metrics", status: 401, request: violates},
		{name: "metrics with a query parameter", method: "GET", path: "/metrics?name=x", key: "$read", status: 400, request: unchecked},

		// Evaluations.
		{name: "create an evaluation", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body:   `{"name":"oa-main","description":"contract test","scorers":[{"type":"length","pass":{"max":5}}],"metadata":{"suite":"openapi"}}`,
			status: 201, save: map[string]string{"eval_id": "id"}, want: map[string]any{"scorers.0.name": "length", "scorers.0.pass.max": 5.0},
			header: map[string]string{"Location": "/v1/evaluations/$eval_id"}},
		{name: "create a bare evaluation", method: "POST", path: evals, key: "$write", contentType: jsonCT + "; charset=utf-8",
			body: `{"name":"oa-spare"}`, status: 201, save: map[string]string{"spare_id": "id"}, want: map[string]any{"description": ""}},
		{name: "create with a taken name", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"name":"oa-main"}`, status: 409},
		{name: "create with a bad name", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"name":"OA Main"}`, status: 400, request: violates},
		{name: "create without a name", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"description":"d"}`, status: 400, request: violates},
		{name: "create with an unknown field", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"name":"oa-x","colour":"red"}`, status: 400, request: violates},
		{name: "create with a server-owned field", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-x","id":"` + absent + `"}`, status: 400, request: violates},
		{name: "create with a wrong type", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"name":5}`, status: 400, request: violates},
		{name: "create with an unknown scorer type", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-x","scorers":[{"type":"no-such-scorer"}]}`, status: 400},
		{name: "create with an unknown scorer field", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-x","scorers":[{"type":"length","weight":2}]}`, status: 400, request: violates},
		{name: "create with an empty pass band", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-x","scorers":[{"type":"length","pass":{}}]}`, status: 400, request: violates},
		{name: "create with an array", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `[{"name":"oa-x"}]`, status: 400, request: violates},
		{name: "create with malformed JSON", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: `{"name":`, status: 400, request: violates},
		{name: "create with text/plain", method: "POST", path: evals, key: "$write", contentType: "text/plain", body: `{"name":"oa-x"}`, status: 415, request: violates},
		{name: "create without a content type", method: "POST", path: evals, key: "$write", body: `{"name":"oa-x"}`, status: 415, request: violates},
		{name: "create with NDJSON", method: "POST", path: evals, key: "$write", contentType: ndjson, body: `{"name":"oa-x"}`, status: 415, request: violates},
		{name: "create with a body over the limit", method: "POST", path: evals, key: "$write", contentType: jsonCT, body: big, status: 413, request: violates},
		{name: "create with a gzip body", method: "POST", path: evals, key: "$write", contentType: jsonCT, gzip: true,
			body: `{"name":"oa-gzip","description":"sent compressed"}`, status: 201, want: map[string]any{"description": "sent compressed"}},
		// big compresses to far under the 64 KiB limit and decompresses to over it.
		{name: "create with a gzip body over the limit", method: "POST", path: evals, key: "$write", contentType: jsonCT, gzip: true,
			body: big, status: 413, request: violates},
		{name: "create with a corrupt gzip body", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Content-Encoding": "gzip"}, body: `{"name":"oa-x"}`, status: 400, request: unchecked},
		{name: "create with a brotli body", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Content-Encoding": "br"}, body: `{"name":"oa-x"}`, status: 415, request: violates},
		{name: "create with a read key", method: "POST", path: evals, key: "$read", contentType: jsonCT, body: `{"name":"oa-x"}`, status: 403},

		{name: "list evaluations", method: "GET", path: evals + "?limit=1&sort=-name", key: "$read", status: 200,
			save: map[string]string{"eval_cursor": "next_cursor"}},
		{name: "list the next page", method: "GET", path: evals + "?limit=1&sort=-name&cursor=$eval_cursor", key: "$read", status: 200},
		{name: "list with a cursor of another order", method: "GET", path: evals + "?sort=name&cursor=$eval_cursor", key: "$read", status: 400},
		{name: "list with a limit too large", method: "GET", path: evals + "?limit=5000", key: "$read", status: 400, request: violates},
		{name: "list with a limit not a number", method: "GET", path: evals + "?limit=ten", key: "$read", status: 400, request: violates},
		{name: "list with an unknown sort", method: "GET", path: evals + "?sort=colour", key: "$read", status: 400, request: violates},
		{name: "list with an unknown parameter", method: "GET", path: evals + "?colour=red", key: "$read", status: 400},

		{name: "get an evaluation by name", method: "GET", path: evals + "/oa-main", key: "$read", status: 200, want: map[string]any{"id": "$eval_id"}},
		{name: "get an evaluation by id", method: "GET", path: evals + "/$eval_id", key: "$read", status: 200, want: map[string]any{"name": "oa-main"}},
		{name: "get an unknown evaluation", method: "GET", path: evals + "/oa-absent", key: "$read", status: 404},
		{name: "get an evaluation by HEAD", method: "HEAD", path: evals + "/oa-main", key: "$read", status: 200},
		{name: "get an unknown evaluation by HEAD", method: "HEAD", path: evals + "/oa-absent", key: "$read", status: 404},
		{name: "get an evaluation with a query parameter", method: "GET", path: evals + "/oa-main?fields=name", key: "$read", status: 400, request: unchecked},
		{name: "list with a repeated parameter", method: "GET", path: evals + "?limit=1&limit=2", key: "$read", status: 400, request: unchecked},

		{name: "update an evaluation", method: "PATCH", path: evals + "/$spare_id", key: "$write", contentType: jsonCT,
			body:   `{"description":"patched","metadata":{"k":"v"},"scorers":[{"name":"words","type":"length","params":{}}]}`,
			status: 200, want: map[string]any{"description": "patched", "scorers.0.name": "words", "metadata.k": "v"}},
		{name: "update to a taken name", method: "PATCH", path: evals + "/oa-spare", key: "$write", contentType: jsonCT, body: `{"name":"oa-main"}`, status: 409},
		{name: "update with an unknown field", method: "PATCH", path: evals + "/oa-spare", key: "$write", contentType: jsonCT, body: `{"nmae":"x"}`, status: 400, request: violates},
		{name: "update with an inverted pass band", method: "PATCH", path: evals + "/oa-spare", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"length","pass":{"min":5,"max":1}}]}`, status: 400},
		{name: "update with text/plain", method: "PATCH", path: evals + "/oa-spare", key: "$write", contentType: "text/plain", body: `{}`, status: 415, request: violates},
		{name: "update an unknown evaluation", method: "PATCH", path: evals + "/oa-absent", key: "$write", contentType: jsonCT, body: `{"description":"x"}`, status: 404},

		// Jobs. The patch above changed the scorers, which started a rescore job; no
		// worker runs here, so it stays queued.
		{name: "list the rescore job", method: "GET", path: "/v1/jobs?evaluation=$spare_id&kind=rescore", key: "$read", status: 200,
			save: map[string]string{"rescore_id": "items.0.id"}, want: map[string]any{"items.0.status": "queued", "items.0.evaluation": "$spare_id", "next_cursor": nil}},
		{name: "list jobs by evaluation name and status", method: "GET", path: "/v1/jobs?evaluation=oa-spare&status=queued&limit=1", key: "$read", status: 200,
			want: map[string]any{"items.0.id": "$rescore_id"}},
		{name: "list jobs", method: "GET", path: "/v1/jobs", key: "$read", status: 200},
		{name: "list jobs with an unknown status", method: "GET", path: "/v1/jobs?status=paused", key: "$read", status: 400, request: violates},
		{name: "list jobs of an unknown evaluation", method: "GET", path: "/v1/jobs?evaluation=oa-absent", key: "$read", status: 404},
		{name: "list jobs with an unknown parameter", method: "GET", path: "/v1/jobs?colour=red", key: "$read", status: 400},
		{name: "get the job", method: "GET", path: "/v1/jobs/$rescore_id", key: "$read", status: 200,
			want: map[string]any{"kind": "rescore", "status": "queued", "report": nil, "started_at": nil}},
		{name: "get an unknown job", method: "GET", path: "/v1/jobs/" + absent, key: "$read", status: 404},
		{name: "get a job by a malformed id", method: "GET", path: "/v1/jobs/not-a-job", key: "$read", status: 404},
		{name: "cancel the job with a read key", method: "POST", path: "/v1/jobs/$rescore_id/cancel", key: "$read", status: 403},
		{name: "cancel the job", method: "POST", path: "/v1/jobs/$rescore_id/cancel", key: "$write", status: 200,
			want: map[string]any{"status": "cancelled"}},
		{name: "cancel it again", method: "POST", path: "/v1/jobs/$rescore_id/cancel", key: "$write", status: 200,
			want: map[string]any{"status": "cancelled"}},
		{name: "cancel an unknown job", method: "POST", path: "/v1/jobs/" + absent + "/cancel", key: "$write", status: 404},

		// Responses.
		{name: "ingest one response", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body:   `{"external_id":"r1","model":"m1","prompt":"What is 2+2?","response":"4","context":[{"role":"system","content":"Be brief."}],"metadata":{"seed":1}}`,
			status: 201, save: map[string]string{"r1_id": "id"}, want: map[string]any{"scores.length.value": 1.0, "scores.length.passed": true, "reference": nil},
			header: map[string]string{"Location": "/v1/evaluations/$eval_id/responses/$r1_id"}},
		{name: "ingest it again", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body: `{"external_id":"r1","model":"m1","prompt":"What is 2+2?","response":"4"}`, status: 200, want: map[string]any{"id": "$r1_id"},
			header: map[string]string{"Location": "/v1/evaluations/$eval_id/responses/$r1_id"}},
		{name: "ingest an array", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body: `[{"external_id":"r2","model":"m2","prompt":"What is 2+2?","response":"It is four, of course, my friend."},` +
				`{"model":"m3","prompt":"What is 2+2?","response":"","reference":"4"},` +
				`{"external_id":"r1","model":"m1","prompt":"What is 2+2?","response":"4"}]`,
			status: 201, want: map[string]any{"created": 2.0, "existing": 1.0, "items.0.scores.length.passed": false, "items.1.external_id": nil, "items.2.id": "$r1_id"},
			header: map[string]string{"Location": ""}},
		{name: "ingest NDJSON", method: "POST", path: resps, key: "$write", contentType: ndjson,
			body: "{\"external_id\":\"r4\",\"model\":\"m1\",\"prompt\":\"Name a colour.\",\"response\":\"Blue.\"}\n\n" +
				"{\"external_id\":\"r5\",\"model\":\"m2\",\"prompt\":\"Name a colour.\",\"response\":\"Red.\"}\n",
			status: 201, want: map[string]any{"created": 2.0, "existing": 0.0}},
		{name: "ingest JSON Lines that exist", method: "POST", path: resps, key: "$write", contentType: "application/jsonl",
			body: "{\"external_id\":\"r4\",\"model\":\"m1\",\"prompt\":\"Name a colour.\",\"response\":\"Blue.\"}\n", status: 200,
			want: map[string]any{"created": 0.0, "existing": 1.0}},
		{name: "ingest x-jsonlines", method: "POST", path: resps, key: "$write", contentType: "application/x-jsonlines",
			body: "{\"external_id\":\"r6\",\"prompt_id\":\"colour\",\"model\":\"m3\",\"prompt\":\"Name a colour.\",\"response\":\"Green.\"}", status: 201},
		{name: "ingest without response", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body: `{"model":"m","prompt":"p"}`, status: 400, request: violates},
		{name: "ingest with scores", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body: `{"model":"m","prompt":"p","response":"r","scores":{}}`, status: 400, request: violates},
		{name: "ingest a bad item in a batch", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			body: `[{"model":"m","prompt":"p","response":"r"},{"model":"m","response":"r"}]`, status: 400, request: violates},
		{name: "ingest a bad NDJSON line", method: "POST", path: resps, key: "$write", contentType: ndjson,
			body: "{\"model\":\"m\",\"prompt\":\"p\",\"response\":\"r\"}\n{\"model\":\"m\",\"prompt\":\"p\",\"response\":\"r\",\"colour\":1}\n", status: 400, request: violates},
		{name: "ingest an empty array", method: "POST", path: resps, key: "$write", contentType: jsonCT, body: `[]`, status: 400, request: violates},
		{name: "ingest text/csv", method: "POST", path: resps, key: "$write", contentType: "text/csv", body: "model,prompt\n", status: 415, request: violates},
		{name: "ingest into an unknown evaluation", method: "POST", path: "/v1/evaluations/oa-absent/responses", key: "$write", contentType: jsonCT,
			body: `{"model":"m","prompt":"p","response":"r"}`, status: 404},

		{name: "list responses", method: "GET", path: resps + "?limit=2", key: "$read", status: 200, save: map[string]string{"resp_cursor": "next_cursor"}},
		{name: "list the next page of responses", method: "GET", path: resps + "?limit=2&cursor=$resp_cursor", key: "$read", status: 200},
		{name: "list filtered responses", method: "GET", path: resps + "?model=m1&scorer=length&passed=true&sort=-created_at", key: "$read", status: 200,
			want: map[string]any{"items.0.external_id": "r4", "items.1.external_id": "r1", "next_cursor": nil}},
		{name: "list responses to a prompt", method: "GET", path: resps + "?prompt_id=colour", key: "$read", status: 200, want: map[string]any{"items.0.external_id": "r6"}},
		{name: "list passed without scorer", method: "GET", path: resps + "?passed=true", key: "$read", status: 400},
		{name: "list passed not a boolean", method: "GET", path: resps + "?scorer=length&passed=maybe", key: "$read", status: 400, request: violates},
		{name: "list responses with an unknown parameter", method: "GET", path: resps + "?modle=m1", key: "$read", status: 400},
		{name: "list responses of an unknown evaluation", method: "GET", path: "/v1/evaluations/oa-absent/responses", key: "$read", status: 404},
		{name: "get a response by id", method: "GET", path: resps + "/$r1_id", key: "$read", status: 200, want: map[string]any{"context.0.role": "system"}},
		{name: "get a response by external id", method: "GET", path: resps + "/r2", key: "$read", status: 200},
		{name: "get an unknown response", method: "GET", path: resps + "/r404", key: "$read", status: 404},

		// Comparisons.
		{name: "record a comparison", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body:   `{"external_id":"c1","response_a":"r1","response_b":"r2","winner":"a","annotator":"alice","rationale":"Shorter."}`,
			status: 201, save: map[string]string{"c1_id": "id"}, want: map[string]any{"preference": 0.0, "annotator_kind": "human", "model_b": "m2"},
			header: map[string]string{"Location": "/v1/evaluations/$eval_id/comparisons/$c1_id"}},
		{name: "record it again", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"external_id":"c1","response_a":"r1","response_b":"r2","winner":"a"}`, status: 200, want: map[string]any{"id": "$c1_id"}},
		{name: "record an array", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `[{"response_a":"r4","response_b":"r5","preference":0.7,"annotator":"judge-1","annotator_kind":"model","metadata":{"temperature":0}},` +
				`{"response_a":"$r1_id","response_b":"r2","winner":"tie"},` +
				`{"external_id":"c1","response_a":"r1","response_b":"r2","winner":"a"}]`,
			status: 201, want: map[string]any{"created": 2.0, "existing": 1.0, "items.0.winner": "b", "items.1.preference": 0.5}},
		{name: "record NDJSON that exists", method: "POST", path: cmps, key: "$write", contentType: ndjson,
			body: "{\"external_id\":\"c1\",\"response_a\":\"r1\",\"response_b\":\"r2\",\"winner\":\"a\"}\n", status: 200, want: map[string]any{"existing": 1.0}},
		{name: "record preference and winner", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r2","preference":1,"winner":"b"}`, status: 400, request: violates},
		{name: "record neither preference nor winner", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r2"}`, status: 400, request: violates},
		{name: "record preference 1.5", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r2","preference":1.5}`, status: 400, request: violates},
		{name: "record an unknown annotator kind", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r2","winner":"a","annotator_kind":"robot"}`, status: 400, request: violates},
		{name: "record responses to different prompts", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r4","winner":"a"}`, status: 400},
		{name: "record an unknown response", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r404","winner":"a"}`, status: 400},
		{name: "record in an unknown evaluation", method: "POST", path: "/v1/evaluations/oa-absent/comparisons", key: "$write", contentType: jsonCT,
			body: `{"response_a":"r1","response_b":"r2","winner":"a"}`, status: 404},

		{name: "list comparisons", method: "GET", path: cmps + "?limit=1", key: "$read", status: 200, save: map[string]string{"cmp_cursor": "next_cursor"}},
		{name: "list the next page of comparisons", method: "GET", path: cmps + "?limit=1&cursor=$cmp_cursor", key: "$read", status: 200},
		{name: "list filtered comparisons", method: "GET", path: cmps + "?annotator=judge-1&annotator_kind=model&model=m2&sort=-created_at", key: "$read", status: 200,
			want: map[string]any{"items.0.preference": 0.7, "next_cursor": nil}},
		{name: "list an unknown annotator kind", method: "GET", path: cmps + "?annotator_kind=robot", key: "$read", status: 400, request: violates},
		{name: "list comparisons with an unknown parameter", method: "GET", path: cmps + "?winner=a", key: "$read", status: 400},
		{name: "get a comparison by id", method: "GET", path: cmps + "/$c1_id", key: "$read", status: 200, want: map[string]any{"external_id": "c1"}},
		{name: "get a comparison by external id", method: "GET", path: cmps + "/c1", key: "$read", status: 200, want: map[string]any{"id": "$c1_id"}},
		{name: "get an unknown comparison", method: "GET", path: cmps + "/c404", key: "$read", status: 404},

		// Idempotency-Key.
		{name: "ingest with an idempotency key", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-1"}, body: idemBody, status: 201,
			save: map[string]string{"idem_id": "id"}, header: map[string]string{"Location": "/v1/evaluations/$eval_id/responses/$idem_id", "Idempotent-Replayed": ""}},
		// The response has no external_id: without the key, a retry would store it twice.
		{name: "retry with the key", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-1"}, body: idemBody, status: 201, want: map[string]any{"id": "$idem_id"},
			header: map[string]string{"Location": "/v1/evaluations/$eval_id/responses/$idem_id", "Idempotent-Replayed": "true"}},
		{name: "the retry stored nothing", method: "GET", path: resps + "?model=m-idem", key: "$read", status: 200,
			want: map[string]any{"items.0.id": "$idem_id", "items.1": notPresent}},
		{name: "reuse the key for another body", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-1"}, body: `{"model":"m-idem","prompt":"Say hi.","response":"Hello."}`, status: 422,
			want: map[string]any{"type": "urn:rlhf-eval:problem:idempotency-key-reused"}},
		{name: "reuse the key on another route", method: "POST", path: cmps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-1"}, body: `{"response_a":"r1","response_b":"r2","winner":"b"}`, status: 422},
		{name: "retry while the first request runs", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-running"}, body: idemBody, status: 409,
			before: claimKey(api, "oa-idem-running", "POST", resps, idemBody)},
		{name: "a refused request is replayed", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-2"}, body: `{"model":"m-idem"}`, status: 400, request: violates},
		{name: "and its retry gets the same refusal", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-idem-2"}, body: `{"model":"m-idem"}`, status: 400, request: violates,
			header: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "an idempotency key too long", method: "POST", path: resps, key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": strings.Repeat("k", 256)}, body: idemBody, status: 400, request: violates},

		// Reports and exports. oa-prefs has three prompts, each answered by models m1
		// and m2; the pairs are judged by alice and bob (human) and, for the first
		// prompt, by judge-1 (a model). Alice prefers m1 three times; bob prefers m1 on
		// the first two prompts (the second shown the other way round) and m2 on the
		// third; judge-1 prefers m1 at 0.3. The scorer has4 passes with value 1 when
		// the response contains "4". oa-next answers the same prompts with model m3,
		// and one prompt more.
		{name: "create an evaluation with scorers", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-prefs","scorers":` + scorers + `}`, status: 201, save: map[string]string{"prefs_id": "id"}},
		{name: "create a candidate evaluation", method: "POST", path: evals, key: "$write", contentType: jsonCT,
			body: `{"name":"oa-next","scorers":` + scorers + `}`, status: 201, save: map[string]string{"next_id": "id"}},
		{name: "ingest gzip-compressed NDJSON", method: "POST", path: prefs + "/responses", key: "$write", contentType: ndjson, gzip: true,
			body:   prefsResponses,
			status: 201, want: map[string]any{"created": 6.0, "items.0.scores.has4.passed": true, "items.1.scores.has4.value": 0.0}},
		{name: "ingest the candidate's responses", method: "POST", path: next + "/responses", key: "$write", contentType: jsonCT,
			body: `[{"prompt_id":"q1","model":"m3","prompt":"What is 2+2?","response":"4","reference":"4"},` +
				`{"prompt_id":"q2","model":"m3","prompt":"What is 3+1?","response":"4","reference":"4"},` +
				`{"prompt_id":"q3","model":"m3","prompt":"Name a primary colour.","response":"Green.","reference":"Blue."},` +
				`{"prompt_id":"q4","model":"m3","prompt":"What is 1+1?","response":"2","reference":"2"}]`,
			status: 201, want: map[string]any{"created": 4.0}},
		{name: "record the judgements idempotently", method: "POST", path: prefs + "/comparisons", key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-judgements"}, body: judgements,
			status: 201, want: map[string]any{"created": 7.0, "existing": 0.0}, header: map[string]string{"Location": ""}},
		{name: "retry the judgements", method: "POST", path: prefs + "/comparisons", key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-judgements"}, body: judgements,
			status: 201, want: map[string]any{"created": 7.0}, header: map[string]string{"Idempotent-Replayed": "true"}},
		{name: "the retry recorded nothing", method: "GET", path: prefs + "/comparisons?limit=100", key: "$read", status: 200,
			want: map[string]any{"items.6.evaluation_id": "$prefs_id", "items.7": notPresent}},

		{name: "summarize", method: "GET", path: prefs + "/summary", key: "$read", status: 200,
			want: map[string]any{"evaluation.name": "oa-prefs", "evaluation.id": "$prefs_id", "group_by": nil, "exact_percentiles": false, "confidence_level": 0.95,
				"scorers.0.scorer": "bleu", "scorers.1.scorer": "has4", "scorers.1.type": "contains", "scorers.1.better": "higher",
				"scorers.1.n_scores": 6.0, "scorers.1.n": 6.0, "scorers.1.errors": 0.0, "scorers.1.min": 0.0, "scorers.1.max": 1.0,
				"scorers.1.n_pass_known": 6.0, "scorers.1.model": notPresent, "scorers.1.corpus": notPresent,
				"scorers.2.scorer": "length", "scorers.2.better": "none", "scorers.3": notPresent}},
		{name: "summarize by model", method: "GET", path: prefs + "/summary?group_by=model", key: "$read", status: 200,
			want: map[string]any{"group_by": "model", "scorers.0.scorer": "bleu", "scorers.0.model": "m1", "scorers.1.model": "m2",
				"scorers.3.scorer": "has4", "scorers.3.n": 3.0, "scorers.6": notPresent}},
		{name: "summarize exactly", method: "GET", path: prefs + "/summary?exact=true&group_by=model", key: "$read", status: 200,
			want: map[string]any{"exact_percentiles": true, "scorers.3.scorer": "has4", "scorers.3.model": "m2", "scorers.3.p50": 0.0}},
		{name: "summarize with exact not a boolean", method: "GET", path: prefs + "/summary?exact=yes", key: "$read", status: 400, request: violates},
		{name: "summarize an evaluation without responses", method: "GET", path: evals + "/oa-spare/summary", key: "$read", status: 200,
			want: map[string]any{"scorers": []any{}}},
		{name: "summarize by prompt", method: "GET", path: prefs + "/summary?group_by=prompt", key: "$read", status: 400, request: violates},
		{name: "summarize with an unknown parameter", method: "GET", path: prefs + "/summary?model=m1", key: "$read", status: 400, request: unchecked},
		{name: "summarize an unknown evaluation", method: "GET", path: evals + "/oa-absent/summary", key: "$read", status: 404},

		// has4 per prompt: base (1+0)/2, (1+0)/2, 0; candidate 1, 1, 0. So the candidate
		// wins two prompts and ties one; the values are not all 0 or 1, so the Wilcoxon
		// test decides, and two non-zero differences cannot reach p < 0.05 (the
		// smallest two-sided exact p-value for two is 0.5).
		{name: "diff", method: "GET", path: prefs + "/diff/oa-next?bootstrap=0", key: "$read", status: 200,
			want: map[string]any{"base.name": "oa-prefs", "candidate.name": "oa-next", "alpha": 0.05, "bootstrap_rounds": 0.0, "seed": 0.0,
				"regressed": false, "regressions": []any{}, "scorers.1.scorer": "has4", "scorers.1.better": "higher", "scorers.1.n_pairs": 3.0,
				"scorers.1.base_only": 0.0, "scorers.1.candidate_only": 1.0, "scorers.1.wins": 2.0, "scorers.1.ties": 1.0, "scorers.1.losses": 0.0,
				"scorers.1.test": "wilcoxon", "scorers.1.significant": false, "scorers.1.mean_diff_ci_low": nil,
				"scorers.2.scorer": "length", "scorers.2.better": "none", "scorers.2.wins": nil, "scorers.2.regression": false}},
		{name: "diff one scorer with a bootstrap", method: "GET", path: prefs + "/diff/$next_id?scorer=has4&alpha=0.1&bootstrap=200&seed=7", key: "$read", status: 200,
			want: map[string]any{"alpha": 0.1, "bootstrap_rounds": 200.0, "seed": 7.0, "scorers.0.scorer": "has4", "scorers.1": notPresent}},
		{name: "diff an evaluation with itself", method: "GET", path: prefs + "/diff/oa-prefs?scorer=has4&bootstrap=0", key: "$read", status: 200,
			want: map[string]any{"scorers.0.n_pairs": 3.0, "scorers.0.wins": 0.0, "scorers.0.ties": 3.0, "scorers.0.wilcoxon_p": nil}},
		{name: "diff with alpha 1.5", method: "GET", path: prefs + "/diff/oa-next?alpha=1.5", key: "$read", status: 400, request: violates},
		{name: "diff with too many bootstrap rounds", method: "GET", path: prefs + "/diff/oa-next?bootstrap=100001", key: "$read", status: 400, request: violates},
		{name: "diff with a negative seed", method: "GET", path: prefs + "/diff/oa-next?seed=-1", key: "$read", status: 400, request: violates},
		{name: "diff a scorer without scores", method: "GET", path: prefs + "/diff/oa-next?scorer=rouge", key: "$read", status: 400},
		{name: "diff with a repeated parameter", method: "GET", path: prefs + "/diff/oa-next?seed=1&seed=2", key: "$read", status: 400, request: unchecked},
		{name: "diff with an unknown candidate", method: "GET", path: prefs + "/diff/oa-absent", key: "$read", status: 404},
		{name: "diff an unknown base", method: "GET", path: evals + "/oa-absent/diff/oa-next", key: "$read", status: 404},

		// m1 wins 5.7 of the 7 judgements against m2, so it is rated above m2; without
		// a bootstrap the intervals are points, so m2 ranks second. Each model won some
		// share, so the maximum-likelihood ratings exist.
		{name: "leaderboard", method: "GET", path: prefs + "/leaderboard?bootstrap=0", key: "$read", status: 200,
			want: map[string]any{"evaluation.name": "oa-prefs", "method": "bt", "comparisons": 7.0, "skipped": 0.0, "self_comparisons": 0.0,
				"bootstrap_rounds": 0.0, "mle_exists": true, "baseline": notPresent, "annotator_kind": notPresent,
				"ratings.0.model": "m1", "ratings.0.rank": 1.0, "ratings.0.battles": 7.0, "ratings.1.model": "m2", "ratings.1.rank": 2.0,
				"ratings.2": notPresent}},
		{name: "leaderboard with a bootstrap and an anchor", method: "GET", path: prefs + "/leaderboard?method=bt&bootstrap=50&seed=3&anchor=m2%3D1000", key: "$read", status: 200,
			want: map[string]any{"bootstrap_rounds": 50.0, "seed": 3.0, "ratings.0.model": "m1"}},
		{name: "online Elo", method: "GET", path: prefs + "/leaderboard?method=elo&k=16", key: "$read", status: 200,
			want: map[string]any{"method": "elo", "comparisons": 7.0, "bootstrap_rounds": 100.0, "mle_exists": notPresent, "ratings.0.model": "m1"}},
		// Against m2, m1 wins alice's three, bob's first two and judge-1's 0.3 (0.7 for
		// m1), and loses bob's third.
		{name: "win rates", method: "GET", path: prefs + "/leaderboard?method=winrate&baseline=m2", key: "$read", status: 200,
			want: map[string]any{"method": "winrate", "baseline": "m2", "comparisons": 7.0, "ratings.0.model": "m1", "ratings.0.battles": 7.0,
				"ratings.0.wins": 6.0, "ratings.0.ties": 0.0, "ratings.0.losses": 1.0, "ratings.1": notPresent}},
		{name: "leaderboard without judgements", method: "GET", path: evals + "/oa-spare/leaderboard", key: "$read", status: 200,
			want: map[string]any{"comparisons": 0.0, "ratings": []any{}}},
		{name: "online Elo without judgements", method: "GET", path: evals + "/oa-spare/leaderboard?method=elo", key: "$read", status: 200,
			want: map[string]any{"comparisons": 0.0, "ratings": []any{}}},
		{name: "model judgements only", method: "GET", path: prefs + "/leaderboard?annotator_kind=model&bootstrap=0", key: "$read", status: 200,
			want: map[string]any{"annotator_kind": "model", "comparisons": 1.0}},
		{name: "win rates without a baseline", method: "GET", path: prefs + "/leaderboard?method=winrate", key: "$read", status: 400},
		{name: "win rates against a model never judged", method: "GET", path: prefs + "/leaderboard?method=winrate&baseline=m9", key: "$read", status: 400},
		{name: "leaderboard by an unknown method", method: "GET", path: prefs + "/leaderboard?method=trueskill", key: "$read", status: 400, request: violates},
		{name: "leaderboard with too many rounds", method: "GET", path: prefs + "/leaderboard?bootstrap=10001", key: "$read", status: 400, request: violates},
		{name: "leaderboard with a negative k", method: "GET", path: prefs + "/leaderboard?method=elo&k=-1", key: "$read", status: 400, request: violates},
		{name: "leaderboard with a malformed anchor", method: "GET", path: prefs + "/leaderboard?anchor=m1", key: "$read", status: 400, request: violates},
		{name: "leaderboard anchored to a stranger", method: "GET", path: prefs + "/leaderboard?anchor=m9%3D1000", key: "$read", status: 400},
		{name: "leaderboard with an unknown annotator kind", method: "GET", path: prefs + "/leaderboard?annotator_kind=robot", key: "$read", status: 400, request: violates},
		{name: "leaderboard with an unknown parameter", method: "GET", path: prefs + "/leaderboard?metod=elo", key: "$read", status: 400, request: unchecked},
		{name: "leaderboard of an unknown evaluation", method: "GET", path: evals + "/oa-absent/leaderboard", key: "$read", status: 404},

		// All three pairs were judged by alice and bob, the first by judge-1 too: 7
		// labels. Two pairs have two labels and one has three, so Fleiss' kappa takes
		// the two with two.
		{name: "agreement", method: "GET", path: prefs + "/agreement", key: "$read", status: 200,
			want: map[string]any{"evaluation.id": "$prefs_id", "items": 3.0, "annotators": 3.0, "labels": 7.0, "annotator_kind": notPresent,
				"fleiss_raters": 2.0, "fleiss_items": 2.0, "fleiss_excluded": 1.0,
				"cohen_kappa.0.a": "alice", "cohen_kappa.0.b": "bob", "cohen_kappa.0.n": 3.0,
				"cohen_kappa.1.a": "alice", "cohen_kappa.1.b": "judge-1", "cohen_kappa.1.n": 1.0, "cohen_kappa.1.agreement": 1.0,
				"cohen_kappa.2.a": "bob", "cohen_kappa.2.b": "judge-1", "cohen_kappa.3": notPresent}},
		{name: "agreement of humans", method: "GET", path: prefs + "/agreement?annotator_kind=human", key: "$read", status: 200,
			want: map[string]any{"annotator_kind": "human", "items": 3.0, "annotators": 2.0, "labels": 6.0, "fleiss_items": 3.0, "cohen_kappa.1": notPresent}},
		{name: "agreement without judgements", method: "GET", path: evals + "/oa-spare/agreement", key: "$read", status: 200,
			want: map[string]any{"items": 0.0, "categories": []any{}, "percent_agreement": nil, "cohen_kappa": []any{}, "fleiss_kappa": nil, "krippendorff_alpha": nil}},
		{name: "agreement of an unknown annotator kind", method: "GET", path: prefs + "/agreement?annotator_kind=robot", key: "$read", status: 400, request: violates},
		{name: "agreement with an unknown parameter", method: "GET", path: prefs + "/agreement?annotator=alice", key: "$read", status: 400, request: unchecked},
		{name: "agreement of an unknown evaluation", method: "GET", path: evals + "/oa-absent/agreement", key: "$read", status: 404},

		// has4 scores the preferred response higher in five judgements (alice's first
		// two, bob's first two, judge-1's) and equal in two (the third prompt, where
		// neither response contains "4").
		{name: "scorer agreement", method: "GET", path: prefs + "/scorer-agreement", key: "$read", status: 200,
			want: map[string]any{"evaluation.name": "oa-prefs", "annotator_kind": notPresent, "scorers.0.scorer": "bleu",
				"scorers.1.scorer": "has4", "scorers.1.type": "contains", "scorers.1.better": "higher", "scorers.1.n": 7.0, "scorers.1.correct": 5.0,
				"scorers.1.equal_scores": 2.0, "scorers.1.ties": 0.0,
				"scorers.2.scorer": "length", "scorers.2.better": "none", "scorers.2.accuracy": nil, "scorers.2.correct": 0.0, "scorers.3": notPresent}},
		{name: "scorer agreement of humans", method: "GET", path: prefs + "/scorer-agreement?annotator_kind=human", key: "$read", status: 200,
			want: map[string]any{"annotator_kind": "human", "scorers.1.n": 6.0, "scorers.1.correct": 4.0}},
		{name: "scorer agreement without judgements", method: "GET", path: evals + "/oa-spare/scorer-agreement", key: "$read", status: 200,
			want: map[string]any{"scorers": []any{}}},
		{name: "scorer agreement of an unknown annotator kind", method: "GET", path: prefs + "/scorer-agreement?annotator_kind=robot", key: "$read", status: 400, request: violates},
		{name: "scorer agreement with an unknown parameter", method: "GET", path: prefs + "/scorer-agreement?scorer=has4", key: "$read", status: 400, request: unchecked},
		{name: "scorer agreement of an unknown evaluation", method: "GET", path: evals + "/oa-absent/scorer-agreement", key: "$read", status: 404},

		// Merged by pair: the first two pairs prefer m1's response (means 0.1 and 0 for
		// one side), the third is a tie (alice and bob disagree). DPO and KTO leave the
		// tie out: two pairs, one line each for DPO, two for KTO.
		{name: "export DPO", method: "GET", path: prefs + "/export", key: "$read", status: 200, check: lineCount(2),
			header: map[string]string{"Content-Type": "application/x-ndjson", "Content-Disposition": `attachment; filename="oa-prefs-dpo.jsonl"`}},
		{name: "export KTO", method: "GET", path: prefs + "/export?format=kto", key: "$read", status: 200, check: lineCount(4),
			header: map[string]string{"Content-Disposition": `attachment; filename="oa-prefs-kto.jsonl"`}},
		{name: "export conversational DPO", method: "GET", path: prefs + "/export?format=dpo&conversational=true", key: "$read", status: 200,
			check: lineCount(2)},
		{name: "export conversational KTO", method: "GET", path: prefs + "/export?format=kto&conversational=true", key: "$read", status: 200,
			check: lineCount(4)},
		{name: "export pairs", method: "GET", path: prefs + "/export?format=jsonl", key: "$read", status: 200, check: lineCount(3)},
		{name: "export CSV", method: "GET", path: prefs + "/export?format=csv", key: "$read", status: 200, check: lineCount(4),
			header: map[string]string{"Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="oa-prefs-csv.csv"`}},
		{name: "export agreed pairs", method: "GET", path: prefs + "/export?format=jsonl&agreed_only=true", key: "$read", status: 200, check: lineCount(2)},
		// Only the second pair is judged unanimously and firmly (margin 0.5).
		{name: "export firm pairs", method: "GET", path: prefs + "/export?format=jsonl&min_margin=0.5", key: "$read", status: 200, check: lineCount(1)},
		{name: "export the model's judgements", method: "GET", path: prefs + "/export?annotator_kind=model", key: "$read", status: 200, check: lineCount(1)},
		{name: "export nothing", method: "GET", path: evals + "/oa-spare/export", key: "$read", status: 200, check: lineCount(0)},
		{name: "export by HEAD", method: "HEAD", path: prefs + "/export?format=csv", key: "$read", status: 200,
			header: map[string]string{"Content-Disposition": `attachment; filename="oa-prefs-csv.csv"`}},
		{name: "export conversational CSV", method: "GET", path: prefs + "/export?format=csv&conversational=true", key: "$read", status: 400},
		{name: "export parquet", method: "GET", path: prefs + "/export?format=parquet", key: "$read", status: 400, request: violates},
		{name: "export with a margin over 0.5", method: "GET", path: prefs + "/export?min_margin=0.7", key: "$read", status: 400, request: violates},
		{name: "export with agreed_only not a boolean", method: "GET", path: prefs + "/export?agreed_only=maybe", key: "$read", status: 400, request: violates},
		{name: "export with an unknown annotator kind", method: "GET", path: prefs + "/export?annotator_kind=robot", key: "$read", status: 400, request: violates},
		{name: "export with an unknown parameter", method: "GET", path: prefs + "/export?fromat=csv", key: "$read", status: 400, request: unchecked},
		{name: "export an unknown evaluation", method: "GET", path: evals + "/oa-absent/export", key: "$read", status: 404},

		// Scoring.
		{name: "list scorer types", method: "GET", path: "/v1/scorers", key: "$read", status: 200,
			check: bodyContains(`"name":"length","description":`)},
		{name: "list scorer types by HEAD", method: "HEAD", path: "/v1/scorers", key: "$read", status: 200},
		{name: "list scorer types with a parameter", method: "GET", path: "/v1/scorers?type=bleu", key: "$read", status: 400, request: unchecked},
		{name: "score", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT, body: scoreBody, status: 200,
			want: map[string]any{"items.0.id": "a", "items.0.scores.has4.value": 1.0, "items.0.scores.has4.passed": true,
				"items.0.scores.length.passed": nil, "items.0.scores.length.error": notPresent,
				"items.1.id": 7.0, "items.1.scores.has4.passed": false, "items.2.id": nil, "items.3": notPresent}},
		{name: "score idempotently", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-score"}, body: scoreBody, status: 200, header: map[string]string{"Idempotent-Replayed": ""}},
		{name: "score again", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			reqHeader: map[string]string{"Idempotency-Key": "oa-score"}, body: scoreBody, status: 200, header: map[string]string{"Idempotent-Replayed": "true"},
			want: map[string]any{"items.1.id": 7.0}},
		{name: "score a gzip body", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT, gzip: true,
			body: `{"scorers":[{"type":"bleu"}],"items":[{"response":"the cat sat","reference":"the cat sat"}]}`, status: 200},
		{name: "score without a reference", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"bleu"}],"items":[{"response":"the cat sat"}]}`, status: 400, want: map[string]any{"errors.0.field": "items[0].reference"}},
		{name: "score without scorers", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[],"items":[{"response":"x"}]}`, status: 400, request: violates},
		{name: "score no items", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"length"}],"items":[]}`, status: 400, request: violates},
		{name: "score an item without a response", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"length"}],"items":[{"prompt":"p"}]}`, status: 400, request: violates},
		{name: "score with an unknown field", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"length"}],"items":[{"response":"x","score":1}]}`, status: 400, request: violates},
		{name: "score with an unknown scorer type", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"no-such-scorer"}],"items":[{"response":"x"}]}`, status: 400},
		{name: "score with bad params", method: "POST", path: "/v1/score", key: "$write", contentType: jsonCT,
			body: `{"scorers":[{"type":"contains","params":{}}],"items":[{"response":"x"}]}`, status: 400},
		{name: "score with text/plain", method: "POST", path: "/v1/score", key: "$write", contentType: "text/plain", body: scoreBody, status: 415, request: violates},
		{name: "score with a read key", method: "POST", path: "/v1/score", key: "$read", contentType: jsonCT, body: scoreBody, status: 403},
		{name: "score with a query parameter", method: "POST", path: "/v1/score?dry_run=true", key: "$write", contentType: jsonCT, body: scoreBody, status: 400, request: unchecked},

		// Keys.
		{name: "create a key", method: "POST", path: "/v1/keys", key: "$admin", contentType: jsonCT,
			body:   `{"name":"oa-temp","scopes":["read","write","read"],"expires_at":"2099-01-02T03:04:05+01:00"}`,
			status: 201, save: map[string]string{"key_id": "id", "temp": "key"},
			want: map[string]any{"scopes.1": "write", "expires_at": "2099-01-02T02:04:05Z", "last_used_at": nil, "revoked_at": nil}},
		{name: "use the new key", method: "GET", path: evals + "/oa-main", key: "$temp", status: 200},
		{name: "create a key without scopes", method: "POST", path: "/v1/keys", key: "$admin", contentType: jsonCT, body: `{"name":"oa-k","scopes":[]}`, status: 400, request: violates},
		{name: "create a key with an unknown scope", method: "POST", path: "/v1/keys", key: "$admin", contentType: jsonCT, body: `{"name":"oa-k","scopes":["root"]}`, status: 400, request: violates},
		{name: "create a key with a bad time", method: "POST", path: "/v1/keys", key: "$admin", contentType: jsonCT,
			body: `{"name":"oa-k","scopes":["read"],"expires_at":"tomorrow"}`, status: 400, request: violates},
		{name: "create an expired key", method: "POST", path: "/v1/keys", key: "$admin", contentType: jsonCT,
			body: `{"name":"oa-k","scopes":["read"],"expires_at":"2001-01-01T00:00:00Z"}`, status: 400},
		{name: "list keys", method: "GET", path: "/v1/keys?limit=1", key: "$admin", status: 200, save: map[string]string{"key_cursor": "next_cursor"}},
		{name: "list the next page of keys", method: "GET", path: "/v1/keys?limit=1&cursor=$key_cursor", key: "$admin", status: 200},
		{name: "list keys with a bad cursor", method: "GET", path: "/v1/keys?cursor=bogus", key: "$admin", status: 400},
		{name: "list keys with an unknown parameter", method: "GET", path: "/v1/keys?scope=read", key: "$admin", status: 400},
		{name: "revoke a key", method: "DELETE", path: "/v1/keys/$key_id", key: "$admin", status: 200, want: map[string]any{"id": "$key_id", "name": "oa-temp"}},
		{name: "revoke it again", method: "DELETE", path: "/v1/keys/$key_id", key: "$admin", status: 200},
		{name: "use the revoked key", method: "GET", path: evals + "/oa-main", key: "$temp", status: 401},
		{name: "revoke an unknown key", method: "DELETE", path: "/v1/keys/" + absent, key: "$admin", status: 404},
		{name: "revoke a key that is not a UUID", method: "DELETE", path: "/v1/keys/oa-temp", key: "$admin", status: 400, request: violates},

		// Deletions.
		{name: "delete a comparison", method: "DELETE", path: cmps + "/c1", key: "$admin", status: 204},
		{name: "delete it again", method: "DELETE", path: cmps + "/$c1_id", key: "$admin", status: 404},
		{name: "delete a response", method: "DELETE", path: resps + "/r1", key: "$admin", status: 204},
		{name: "delete the response again", method: "DELETE", path: resps + "/$r1_id", key: "$admin", status: 404},
		{name: "delete a response of an unknown evaluation", method: "DELETE", path: "/v1/evaluations/oa-absent/responses/r2", key: "$admin", status: 404},
		{name: "delete an evaluation", method: "DELETE", path: evals + "/oa-spare", key: "$admin", status: 202,
			save: map[string]string{"purge_id": "id"}, want: map[string]any{"kind": "purge_evaluation", "evaluation": "$spare_id", "status": "queued"},
			header: map[string]string{"Location": "/v1/jobs/$purge_id"}},
		{name: "a purge cannot be cancelled", method: "POST", path: "/v1/jobs/$purge_id/cancel", key: "$write", status: 409},
		{name: "delete the evaluation again", method: "DELETE", path: evals + "/$spare_id", key: "$admin", status: 404},
		{name: "delete the evaluation with a write key", method: "DELETE", path: evals + "/$eval_id", key: "$write", status: 403},
		{name: "delete the evaluation by id", method: "DELETE", path: evals + "/$eval_id", key: "$admin", status: 202},
		{name: "its responses are gone", method: "GET", path: resps, key: "$read", status: 404},
		// The walk leaves nothing behind, so it can run again on the same database.
		{name: "delete the reported evaluation", method: "DELETE", path: prefs, key: "$admin", status: 202},
		{name: "delete the candidate", method: "DELETE", path: next, key: "$admin", status: 202},
		{name: "delete the compressed one", method: "DELETE", path: evals + "/oa-gzip", key: "$admin", status: 202},
		{name: "its reports are gone", method: "GET", path: prefs + "/leaderboard", key: "$read", status: 404},
	}
	steps = append(steps, judgeSteps()...)

	covered := map[string]bool{}
	for _, st := range steps {
		ok := t.Run(st.name, func(t *testing.T) {
			expand := func(s string) string {
				return os.Expand(s, func(name string) string {
					v, ok := vars[name]
					if !ok {
						t.Fatalf("no variable $%s: an earlier step failed", name)
					}
					return v
				})
			}
			if st.before != nil {
				st.before(t)
			}
			header := map[string]string{}
			for k, v := range st.reqHeader {
				header[k] = expand(v)
			}
			got := c.do(t, s, exchange{
				method: st.method, path: expand(st.path), key: expand(st.key), contentType: st.contentType,
				body: expand(st.body), header: header, gzip: st.gzip, status: st.status, request: st.request,
			})
			covered[st.method+" "+got.route.Path] = true
			var body any
			if len(st.save)+len(st.want) > 0 {
				body = got.json(t)
			}
			for name, at := range st.save {
				v, _ := jsonAt(body, at)
				str, ok := v.(string)
				if !ok || str == "" {
					t.Fatalf("%s = %v, want a string to save as $%s", at, v, name)
				}
				vars[name] = str
			}
			for at, want := range st.want {
				v, found := jsonAt(body, at)
				if want == notPresent {
					if found {
						t.Errorf("%s = %#v, want it absent", at, v)
					}
					continue
				}
				if w, ok := want.(string); ok {
					want = expand(w)
				}
				if !found || !reflect.DeepEqual(v, want) {
					t.Errorf("%s = %#v (present %v), want %#v", at, v, found, want)
				}
			}
			if st.check != nil {
				st.check(t, got.body)
			}
			for h, want := range st.header {
				if v := got.header.Get(h); v != expand(want) {
					t.Errorf("%s = %q, want %q", h, v, expand(want))
				}
			}
		})
		if !ok && st.save != nil {
			t.Fatalf("step %q failed; the later steps depend on it", st.name)
		}
	}

	for _, path := range sortedKeys(c.doc.Paths.Map()) {
		for _, method := range sortedKeys(c.doc.Paths.Value(path).Operations()) {
			if !covered[method+" "+path] {
				t.Errorf("no step exercises %s %s", method, path)
			}
		}
	}
}

// claimKey starts a request under an Idempotency-Key through the use case, as if
// it were still running, for the write key.
func claimKey(api realAPI, key, method, path, body string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		k, err := api.svc.Keys.Authenticate(context.Background(), api.keys.write)
		if err != nil {
			t.Fatal(err)
		}
		proceed, _, err := api.svc.Idempotency.Begin(context.Background(),
			app.IdempotentRequest{APIKeyID: k.ID, Key: key, Method: method, Path: path, Body: []byte(body)})
		if err != nil || !proceed {
			t.Fatalf("claim %q = %v, %v; want it claimed", key, proceed, err)
		}
	}
}

// TestOpenAPIDocumentIsServed checks that GET /openapi.json returns the embedded
// document byte for byte.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	s := fakeServer(t, fakeEvaluations{}, fakeKeys{AuthenticateFunc: func(context.Context, string) (domain.APIKey, error) {
		return domain.APIKey{Prefix: "rlhf_test0000", Scopes: []domain.Scope{domain.ScopeRead}}, nil
	}}, fakePinger{})
	got := c.do(t, s, exchange{method: "GET", path: "/openapi.json", key: "rlhf_fake", status: 200, request: conforms})
	if !bytes.Equal(got.body, OpenAPIDocument()) {
		t.Errorf("GET /openapi.json = %d bytes that differ from the embedded %d", len(got.body), len(OpenAPIDocument()))
	}
	if ct := got.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
}

// TestOpenAPIServerFailures covers the replies a healthy database does not give on
// demand: 500 for an unexpected error and 503 for an unreachable database or a
// request that ran out of time.
func TestOpenAPIServerFailures(t *testing.T) {
	c := loadContract(t)
	admin := fakeKeys{AuthenticateFunc: func(context.Context, string) (domain.APIKey, error) {
		return domain.APIKey{Prefix: "rlhf_test0000", Scopes: []domain.Scope{domain.ScopeAdmin}}, nil
	}}
	listFails := func(err error) fakeEvaluations {
		return fakeEvaluations{ListFunc: func(context.Context, app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error) {
			return domain.Page[domain.Evaluation]{}, err
		}}
	}
	pingOK := fakePinger{PingFunc: func(context.Context) error { return nil }}
	cases := []struct {
		name       string
		server     *Server
		path       string
		status     int
		problem    string
		retryAfter bool
	}{
		{"unexpected error", fakeServer(t, listFails(errors.New("disk on fire")), admin, pingOK), "/v1/evaluations", 500, "urn:rlhf-eval:problem:internal", false},
		{"database unreachable", fakeServer(t, listFails(fmt.Errorf("list: %w", domain.ErrUnavailable)), admin, pingOK), "/v1/evaluations", 503, "urn:rlhf-eval:problem:unavailable", true},
		{"request timed out", fakeServer(t, listFails(fmt.Errorf("list: %w", context.DeadlineExceeded)), admin, pingOK), "/v1/evaluations", 503, "urn:rlhf-eval:problem:timeout", true},
		{"authentication hits a dead database", fakeServer(t, fakeEvaluations{}, fakeKeys{AuthenticateFunc: func(context.Context, string) (domain.APIKey, error) {
			return domain.APIKey{}, fmt.Errorf("get key: %w", domain.ErrUnavailable)
		}}, pingOK), "/v1/evaluations", 503, "urn:rlhf-eval:problem:unavailable", true},
		{"not ready", fakeServer(t, fakeEvaluations{}, admin, fakePinger{PingFunc: func(context.Context) error { return errors.New("connection refused") }}),
			"/readyz", 503, "urn:rlhf-eval:problem:not-ready", true},
		{"ready", fakeServer(t, fakeEvaluations{}, admin, pingOK), "/readyz", 200, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.do(t, tc.server, exchange{method: "GET", path: tc.path, key: "rlhf_fake", status: tc.status, request: conforms})
			if tc.problem != "" {
				if typ, _ := jsonAt(got.json(t), "type"); typ != tc.problem {
					t.Errorf("type = %v, want %s", typ, tc.problem)
				}
				if bytes.Contains(got.body, []byte("disk on fire")) || bytes.Contains(got.body, []byte("refused")) {
					t.Errorf("the reply leaks the internal error: %s", got.body)
				}
			}
			if has := got.header.Get("Retry-After") != ""; has != tc.retryAfter {
				t.Errorf("Retry-After present = %v, want %v", has, tc.retryAfter)
			}
		})
	}
}

// TestOpenAPILimits covers the limits a default server does not apply, on the real
// use cases: a rate limit (429 with Retry-After, per API key) and a request timeout
// (503), which exports are exempt from.
func TestOpenAPILimits(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	t.Run("rate limit", func(t *testing.T) {
		// One request in a burst, then one every 1000 s: the second request of a key
		// waits a whole token, 1000 s, rounded up from just under it.
		api := realServer(t, Config{}, 0.001)
		for _, x := range []exchange{
			{method: "GET", path: "/v1/evaluations", key: api.keys.read},
			{method: "POST", path: "/v1/score", key: api.keys.write, contentType: "application/json",
				body: `{"scorers":[{"type":"length"}],"items":[{"response":"x"}]}`},
			{method: "GET", path: "/metrics", key: api.keys.admin},
		} {
			x.status = 200
			c.do(t, api.server, x)
			x.status = 429
			got := c.do(t, api.server, x)
			if typ, _ := jsonAt(got.json(t), "type"); typ != "urn:rlhf-eval:problem:rate-limited" {
				t.Errorf("%s %s: type = %v, want urn:rlhf-eval:problem:rate-limited", x.method, x.path, typ)
			}
			if ra := got.header.Get("Retry-After"); ra != "1000" {
				t.Errorf("%s %s: Retry-After = %q, want 1000", x.method, x.path, ra)
			}
		}
		// Liveness needs no key and is never limited.
		c.do(t, api.server, exchange{method: "GET", path: "/healthz", status: 200})
	})
	t.Run("request timeout", func(t *testing.T) {
		// A timeout of 1ns has passed before the API key is looked up.
		api := realServer(t, Config{RequestTimeout: time.Nanosecond}, 0)
		got := c.do(t, api.server, exchange{method: "GET", path: "/v1/evaluations", key: api.keys.read, status: 503})
		if typ, _ := jsonAt(got.json(t), "type"); typ != "urn:rlhf-eval:problem:timeout" {
			t.Errorf("type = %v, want urn:rlhf-eval:problem:timeout", typ)
		}
		// An export runs without the timeout: the key is looked up and the evaluation
		// found missing.
		c.do(t, api.server, exchange{method: "GET", path: "/v1/evaluations/oa-absent/export", key: api.keys.read, status: 404})
	})
}

// TestOpenAPIUndocumentedRequests checks the replies to requests outside the
// document, which no operation describes: an unknown path is a 404 problem, a
// method a path does not take is a 405 problem with Allow.
func TestOpenAPIUndocumentedRequests(t *testing.T) {
	t.Parallel()
	c := loadContract(t)
	s := fakeServer(t, fakeEvaluations{}, fakeKeys{}, fakePinger{})
	problem := c.doc.Components.Schemas["Problem"].Value
	cases := []struct {
		name   string
		method string
		path   string
		status int
		allow  []string
	}{
		{"unknown path", "GET", "/v1/nowhere", 404, nil},
		{"unknown version", "GET", "/v2/evaluations", 404, nil},
		{"method not taken", "PUT", "/v1/evaluations", 405, []string{"GET", "POST"}},
		{"method not taken on an item", "POST", "/v1/evaluations/e", 405, []string{"GET", "PATCH", "DELETE"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, docBase+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := c.router.FindRoute(req); err == nil {
				t.Fatalf("the document has %s %s", tc.method, tc.path)
			}
			x := exchange{method: tc.method, path: tc.path}
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, x.newRequest(t))
			if rec.Code != tc.status {
				t.Fatalf("status = %d, want %d", rec.Code, tc.status)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type = %q, want application/problem+json", ct)
			}
			var body any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if err := problem.VisitJSON(body, openapi3.EnableJSONSchema2020()); err != nil {
				t.Errorf("body is not a Problem: %v", err)
			}
			allow := rec.Header().Get("Allow")
			for _, m := range tc.allow {
				if !slices.Contains(strings.Split(allow, ", "), m) {
					t.Errorf("Allow = %q, want it to list %s", allow, m)
				}
			}
		})
	}
}
