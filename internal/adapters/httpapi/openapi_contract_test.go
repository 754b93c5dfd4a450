package httpapi

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// The contract is openapi.json loaded for checking exchanges with the server: each
// request is matched to its documented operation, checked against the document,
// served, and the reply is checked against the document too.

// docBase is the server URL of the document; requests are addressed to it so the
// router matches them.
const docBase = "http://localhost:8080"

// ndjsonTypes are the media types the bulk routes read as one JSON object per line.
var ndjsonTypes = []string{"application/x-ndjson", "application/jsonl", "application/x-jsonlines"}

type contract struct {
	doc    *openapi3.T
	router routers.Router
	opts   *openapi3filter.Options
}

// loadContract loads and validates the embedded document, closes its response
// schemas (see closeResponseSchemas) and builds a router over it.
func loadContract(t *testing.T) *contract {
	t.Helper()
	doc := loadDocument(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	closeResponseSchemas(doc)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route openapi.json: %v", err)
	}
	for _, mt := range ndjsonTypes {
		openapi3filter.RegisterBodyDecoder(mt, ndjsonBodyDecoder)
	}
	opts := &openapi3filter.Options{
		IncludeResponseStatus: true, // a status the operation does not list is an error
		MultiError:            true,
		SkipSettingDefaults:   true,
		AuthenticationFunc:    checkBearer,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			// kin-openapi checks date and date-time itself; these two it leaves to us.
			openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
			openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
				u, err := url.Parse(s)
				if err != nil || u.Scheme == "" {
					return fmt.Errorf("%q is not an absolute URI", s)
				}
				return nil
			})),
		},
	}
	return &contract{doc: doc, router: router, opts: opts}
}

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(OpenAPIDocument())
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	return doc
}

// closeResponseSchemas sets additionalProperties to false on every schema of a
// reply that lists properties and says nothing about others. The document leaves
// reply objects open so that adding a field does not break clients; the tests
// close them so that a field the server sends but the document does not describe is
// caught. Request schemas are left as the document has them: they must be closed
// there (TestOpenAPIOperationsAreComplete checks it).
func closeResponseSchemas(doc *openapi3.T) {
	no := false
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			for _, r := range op.Responses.Map() {
				for _, mt := range r.Value.Content {
					walkSchemas(mt.Schema, func(s *openapi3.Schema) {
						if len(s.Properties) > 0 && s.AdditionalProperties.Has == nil && s.AdditionalProperties.Schema == nil {
							s.AdditionalProperties.Has = &no
						}
					})
				}
			}
		}
	}
}

// walkSchemas calls visit on ref's schema and every schema inside it, once each.
func walkSchemas(ref *openapi3.SchemaRef, visit func(*openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.SchemaRef)
	walk = func(ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		visit(s)
		for _, p := range s.Properties {
			walk(p)
		}
		for _, group := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf, s.AllOf} {
			for _, r := range group {
				walk(r)
			}
		}
		walk(s.Items)
		walk(s.AdditionalProperties.Schema)
		walk(s.Not)
	}
	walk(ref)
}

// checkBearer is the document's security scheme as a client sees it: a bearer
// token shaped like an API key. Whether the key exists and has the scope is the
// server's business.
func checkBearer(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	if in.SecurityScheme.Type != "http" || in.SecurityScheme.Scheme != "bearer" {
		return fmt.Errorf("unexpected security scheme %s %s", in.SecurityScheme.Type, in.SecurityScheme.Scheme)
	}
	scheme, token, ok := strings.Cut(in.RequestValidationInput.Request.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || !strings.HasPrefix(token, "rlhf_") {
		return errors.New("no bearer API key")
	}
	return nil
}

// ndjsonBodyDecoder reads an NDJSON body for the validator. The document gives the
// schema of one line, so every line is checked against it here; the first line is
// returned for the validator to check again.
func ndjsonBodyDecoder(body io.Reader, _ http.Header, schema *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), MaxNDJSONLine)
	var first any
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if err := schema.Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if n == 0 {
			first = v
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, errors.New("no NDJSON lines")
	}
	return first, nil
}

// requestCheck says what the document should make of a request.
type requestCheck int

const (
	// conforms: the document accepts the request (the server may still refuse it
	// on grounds a schema cannot state, such as a taken name or an unknown id).
	conforms requestCheck = iota
	// violates: the document rejects the request, as the server does.
	violates
	// unchecked: the document's verdict is not checked, because the server refuses
	// the request for a rule OpenAPI cannot express (an unknown query parameter), or
	// because the request only probes something else (authentication).
	unchecked
)

// exchange is one request to send and the status it must get.
type exchange struct {
	method      string
	path        string // with the query string
	key         string // the bearer token; "" sends no Authorization
	contentType string // "" sends no Content-Type
	body        string
	header      map[string]string // further request headers
	gzip        bool              // send body gzip-compressed, with Content-Encoding: gzip
	status      int
	request     requestCheck
}

// served is an exchange as the server answered it.
type served struct {
	status int
	header http.Header
	body   []byte
	route  *routers.Route
}

// json decodes the reply's body.
func (r served) json(t *testing.T) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("reply is not JSON: %v: %s", err, r.body)
	}
	return v
}

// newRequest returns the request as it is sent.
func (x exchange) newRequest(t *testing.T) *http.Request {
	t.Helper()
	body := []byte(x.body)
	if x.gzip {
		body = gzipped(t, x.body)
	}
	req := httptest.NewRequest(x.method, docBase+x.path, bytes.NewReader(body))
	x.setHeaders(req)
	return req
}

// documented returns the request as the document describes it: a body sent
// compressed is given to the validator decompressed (with its Content-Encoding
// header, which the document describes too), and HEAD is checked as the GET it is
// served as.
func (x exchange) documented(t *testing.T) *http.Request {
	t.Helper()
	method := x.method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	req := httptest.NewRequest(method, docBase+x.path, strings.NewReader(x.body))
	x.setHeaders(req)
	return req
}

func (x exchange) setHeaders(req *http.Request) {
	if x.contentType != "" {
		req.Header.Set("Content-Type", x.contentType)
	}
	if x.key != "" {
		req.Header.Set("Authorization", "Bearer "+x.key)
	}
	if x.gzip {
		req.Header.Set("Content-Encoding", "gzip")
	}
	for k, v := range x.header {
		req.Header.Set(k, v)
	}
}

// gzipped compresses s.
func gzipped(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := io.WriteString(w, s); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// send sends x to s through the document: the request must match a documented
// operation that echo routes the same way, the document must judge the request as
// x.request says, and the reply must be one the document describes for that
// operation and its status. A HEAD request is matched to its GET operation, and its
// reply must be that of GET without a body. x.status is not checked; see do.
func (c *contract) send(t *testing.T, s *Server, x exchange) served {
	t.Helper()
	route, params, err := c.router.FindRoute(x.documented(t))
	if err != nil {
		t.Fatalf("%s %s is not a documented operation: %v", x.method, x.path, err)
	}
	if got := echoRoute(s, x.documented(t)); got != route.Path {
		t.Fatalf("%s %s: echo routes it to %q, the document to %q", x.method, x.path, got, route.Path)
	}

	in := &openapi3filter.RequestValidationInput{Request: x.documented(t), PathParams: params, Route: route, Options: c.opts}
	reqErr := openapi3filter.ValidateRequest(context.Background(), in)
	switch {
	case x.request == conforms && reqErr != nil:
		t.Errorf("the document rejects the request: %v", reqErr)
	case x.request == violates && reqErr == nil:
		t.Errorf("the document accepts the request, but the server refuses it")
	}

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, x.newRequest(t))
	got := served{status: rec.Code, header: rec.Header(), body: rec.Body.Bytes(), route: route}
	check := c.validateReply
	if x.method == http.MethodHead {
		check = c.validateHeadReply
	}
	if err := check(in, got); err != nil {
		t.Errorf("the %d reply does not match the document: %v\nbody: %s", got.status, err, got.body)
	}
	return got
}

// do is send that also requires the status x.status.
func (c *contract) do(t *testing.T, s *Server, x exchange) served {
	t.Helper()
	got := c.send(t, s, x)
	if got.status != x.status {
		t.Fatalf("status = %d, want %d; body %s", got.status, x.status, got.body)
	}
	return got
}

// validateReply checks a reply against the document's description of the
// request's operation and the reply's status.
func (c *contract) validateReply(in *openapi3filter.RequestValidationInput, got served) error {
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: got.status, Header: got.header, Options: c.opts}
	doc := in.Route.Operation.Responses.Status(got.status)
	if mt, _, _ := mime.ParseMediaType(got.header.Get("Content-Type")); len(got.body) == 0 && slices.Contains(ndjsonTypes, mt) &&
		doc != nil && doc.Value.Content.Get(mt) != nil {
		// An NDJSON stream of no lines (an export that selected nothing) is valid
		// whatever the line schema; the status and headers are still checked.
		opts := *c.opts
		opts.ExcludeResponseBody = true
		out.Options = &opts
	}
	out.SetBodyBytes(got.body)
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return err
	}
	// kin-openapi skips the body of a response the document gives no content;
	// such a reply must have none.
	if doc != nil && len(doc.Value.Content) == 0 && len(got.body) > 0 {
		return fmt.Errorf("status %d has no documented body, but the server sent one", got.status)
	}
	return nil
}

// validateHeadReply checks the reply to a HEAD request as the reply to GET without
// its body: a documented status, the documented headers, a Content-Type GET may
// have, and no body.
func (c *contract) validateHeadReply(in *openapi3filter.RequestValidationInput, got served) error {
	opts := *c.opts
	opts.ExcludeResponseBody = true
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: got.status, Header: got.header, Options: &opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		return err
	}
	if len(got.body) > 0 {
		return fmt.Errorf("HEAD reply has a %d-byte body", len(got.body))
	}
	doc := in.Route.Operation.Responses.Status(got.status)
	ct := got.header.Get("Content-Type")
	switch {
	case doc == nil:
		return fmt.Errorf("status %d is not documented", got.status)
	case len(doc.Value.Content) == 0 && ct != "":
		return fmt.Errorf("status %d has no documented body, but the reply has Content-Type %q", got.status, ct)
	case len(doc.Value.Content) > 0 && doc.Value.Content.Get(ct) == nil:
		return fmt.Errorf("Content-Type %q is not documented for status %d", ct, got.status)
	}
	return nil
}

var echoParam = regexp.MustCompile(`:([A-Za-z0-9_]+)`)

// docPath writes an echo route path in OpenAPI's template form: /a/:id → /a/{id}.
func docPath(echoPath string) string {
	return echoParam.ReplaceAllString(echoPath, "{$1}")
}

// echoRoute returns the document path of the echo route that serves req.
func echoRoute(s *Server, req *http.Request) string {
	c := s.echo.NewContext(req, httptest.NewRecorder())
	s.echo.Router().Find(req.Method, req.URL.Path, c)
	return docPath(c.Path())
}

// jsonAt returns the value at a dotted path ("items.0.id") of decoded JSON.
func jsonAt(v any, path string) (any, bool) {
	for _, part := range strings.Split(path, ".") {
		switch node := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = node[part]; !ok {
				return nil, false
			}
		case []any:
			var i int
			if _, err := fmt.Sscan(part, &i); err != nil || i < 0 || i >= len(node) {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, true
}
