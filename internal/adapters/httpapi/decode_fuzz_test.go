package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// decodeErrorOK reports whether err is one the decoders are allowed to return: an
// httpError with a 4xx status and a message.
func decodeErrorOK(err error) bool {
	var he *httpError
	return errors.As(err, &he) && he.status >= 400 && he.status < 500 && he.detail != ""
}

func fuzzContext(body, contentType string) echo.Context {
	e := echo.New()
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	req.Body = http.MaxBytesReader(rec, req.Body, 1<<20)
	return e.NewContext(req, rec)
}

var decodeSeeds = []string{
	`{"model":"m","prompt":"p","response":"r"}`,
	`[{"model":"m","prompt":"p","response":"r"},{"model":"m2","prompt":"p","response":""}]`,
	"{\"model\":\"m\",\"prompt\":\"p\",\"response\":\"r\"}\n\n{\"model\":\"m\"}\n",
	`[{"model":"m","context":[{"role":"user","content":"hi"}],"metadata":{"a":[1,2,{"b":null}]}}]`,
	`{"response_a":"a","response_b":"b","winner":"a","preference":0.5}`,
	`[`, `]`, `[,]`, `{"id":1}`, `{"scores":{}}`, `[1,"x",null]`, `{"model":"\ud800"}`, "\xef\xbb\xbf{}", `{} {}`, `[{}] x`,
}

// FuzzDecodeBatch feeds arbitrary bodies to the bulk decoder as JSON and as NDJSON:
// it must never panic, and must either decode every item or fail with a 4xx
// problem. Items decoded from a body must not exceed the item cap.
func FuzzDecodeBatch(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, body string, ndjson bool) {
		ct := "application/json"
		if ndjson {
			ct = "application/x-ndjson"
		}
		n := 0
		begin := func(bool) error { return nil }
		err := decodeBatch(fuzzContext(body, ct), 50, begin, func(responseIn) error { n++; return nil })
		if err != nil && !decodeErrorOK(err) {
			t.Fatalf("decodeBatch(%q) error %T %v is not a 4xx problem", body, err, err)
		}
		// An empty array decodes to no items (the use case refuses the empty batch
		// with its own message); any other success yields items.
		if err == nil && n == 0 && !emptyArray(body) {
			t.Fatalf("decodeBatch(%q) succeeded with no items", body)
		}
		if n > 50 {
			t.Fatalf("decodeBatch(%q) decoded %d items past the cap of 50", body, n)
		}
		var cmps int
		if err := decodeBatch(fuzzContext(body, ct), 50, begin, func(comparisonIn) error { cmps++; return nil }); err != nil && !decodeErrorOK(err) {
			t.Fatalf("decodeBatch[comparisonIn](%q) error %v is not a 4xx problem", body, err)
		}
	})
}

// FuzzDecodeOne does the same for single-object bodies (evaluations, keys, score).
func FuzzDecodeOne(f *testing.F) {
	for _, s := range append(decodeSeeds, `{"name":"x","scorers":[{"type":"bleu","params":{"tokenize":"13a"},"pass":{"min":0.1}}]}`,
		`{"name":"k","scopes":["read"],"expires_at":"2030-01-01T00:00:00Z"}`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, dst := range []any{new(evaluationIn), new(evaluationPatchIn), new(keyIn), new(scoreIn)} {
			if err := decodeOne(fuzzContext(body, "application/json"), dst); err != nil && !decodeErrorOK(err) {
				t.Fatalf("decodeOne(%q) into %T: error %v is not a 4xx problem", body, dst, err)
			}
		}
	})
}

func emptyArray(s string) bool {
	var v []any
	return json.Unmarshal([]byte(s), &v) == nil && len(v) == 0 && v != nil
}
