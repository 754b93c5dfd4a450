package httpapi

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/labstack/echo/v4"
)

// Decoding rules, the same for every body:
//   - Content-Type application/json (a single object, or for bulk routes an array)
//     or application/x-ndjson (bulk routes: one object per line, blank lines skipped);
//     anything else is 415.
//   - Unknown fields are 400, and so are fields the server owns (id, created_at, ...):
//     a client that sends them has a wrong idea of the API, and silently ignoring them
//     would hide it.
//   - Syntax errors are 400 with line and column; type errors name the field.
//   - A body over the limit is 413.

// ownedFields are set by the server; request structs embed them to catch clients
// that send them.
type ownedFields struct {
	ID           json.RawMessage `json:"id,omitempty"`
	CreatedAt    json.RawMessage `json:"created_at,omitempty"`
	UpdatedAt    json.RawMessage `json:"updated_at,omitempty"`
	EvaluationID json.RawMessage `json:"evaluation_id,omitempty"`
	Scores       json.RawMessage `json:"scores,omitempty"`
}

func (o ownedFields) check() error {
	v := reflect.ValueOf(o)
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		if len(v.Field(i).Bytes()) > 0 {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			return badRequest(name, "is set by the server and cannot be sent")
		}
	}
	return nil
}

type ownedChecker interface{ owned() ownedFields }

func (o ownedFields) owned() ownedFields { return o }

const (
	mimeJSON   = "application/json"
	mimeNDJSON = "application/x-ndjson"
)

func mediaType(r *http.Request, bulk bool) (string, error) {
	want := "application/json"
	if bulk {
		want = "application/json or application/x-ndjson"
	}
	ct := r.Header.Get(echo.HeaderContentType)
	if ct == "" {
		return "", newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "set Content-Type: %s", want)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "cannot parse Content-Type %q", ct)
	}
	switch mt {
	case mimeJSON, mimeNDJSON, "application/jsonl", "application/x-jsonlines":
		return mt, nil
	}
	return "", newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "Content-Type %q is not supported; use %s", mt, want)
}

// decodeOne decodes a single JSON object body into dst strictly.
func decodeOne(c echo.Context, dst any) error {
	mt, err := mediaType(c.Request(), false)
	if err != nil {
		return err
	}
	if mt != mimeJSON {
		return newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "this route takes one JSON object with Content-Type application/json; got %s", mt)
	}
	body := c.Request().Body
	data, err := io.ReadAll(body)
	if err != nil {
		return readError(err, "")
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return badRequest("", "the request body is empty; send a JSON object")
	}
	if trimmed[0] != '{' {
		return badRequest("", "the request body must be a JSON object")
	}
	return decodeStrict(data, dst, "")
}

// decodeStrict decodes exactly one JSON value from data into dst, rejecting unknown
// and server-owned fields; field names in errors get prefix.
func decodeStrict(data []byte, dst any, prefix string) error {
	if pd, ok := dst.(plainDecoder); !ok || !pd.decodePlain(data) {
		if err := decodeWithJSON(data, dst, prefix); err != nil {
			return err
		}
	}
	if field, msg := findNUL(data); msg != "" {
		return badRequest(joinField(prefix, field), "%s", msg)
	}
	if oc, ok := dst.(ownedChecker); ok {
		if err := oc.owned().check(); err != nil {
			return prefixHTTPError(prefix, err)
		}
	}
	return nil
}

// decodeWithJSON is decodeStrict's decoding with encoding/json.
func decodeWithJSON(data []byte, dst any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, data, prefix)
	}
	if dec.More() {
		return badRequest(prefix, "unexpected data after the JSON value")
	}
	if tok, err := dec.Token(); err != io.EOF {
		_ = tok
		return badRequest(prefix, "unexpected data after the JSON value")
	}
	return nil
}

func prefixHTTPError(prefix string, err error) error {
	var he *httpError
	if prefix == "" || !errors.As(err, &he) {
		return err
	}
	out := *he
	out.errs = nil
	for _, fe := range he.errs {
		out.errs = append(out.errs, FieldError{Field: joinField(prefix, fe.Field), Message: fe.Message})
	}
	if len(out.errs) == 1 {
		out.detail = out.errs[0].Field + ": " + out.errs[0].Message
	}
	return &out
}

func joinField(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	case field[0] == '[':
		return prefix + field
	}
	return prefix + "." + field
}

// jsonError explains a decoding failure with a position or a field.
func jsonError(err error, data []byte, prefix string) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return readError(err, "")
	case errors.As(err, new(*corruptBody)):
		return readError(err, "")
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return badRequest(prefix, "malformed JSON at line %d, column %d: %v", line, col, syn)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return badRequest(prefix, "expected a JSON object, got %s", typ.Value)
		}
		return badRequest(joinField(prefix, field), "expected %s, got %s", jsonKind(typ.Type), typ.Value)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badRequest(prefix, "malformed JSON: the body ends early")
	}
	// encoding/json has no error type for unknown fields; its message is the only
	// way to tell them apart, so this is the one place that reads an error's text.
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest(joinField(prefix, strings.Trim(name, `"`)), "unknown field")
	}
	return badRequest(prefix, "malformed JSON: %v", err)
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a " + t.String()
}

func position(data []byte, offset int64) (line, col int) {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	line = 1 + bytes.Count(data[:offset], []byte("\n"))
	col = int(offset) - bytes.LastIndexByte(data[:offset], '\n')
	return line, col
}

// readError explains a failure to read the body: too large (413), corrupt
// compression (400), or otherwise unreadable (400, with what).
func readError(err error, what string) error {
	var mbe *http.MaxBytesError
	var cb *corruptBody
	switch {
	case errors.As(err, &mbe):
		return newHTTPError(http.StatusRequestEntityTooLarge, "body-too-large", "the request body (decompressed) is larger than %d bytes; split the batch", mbe.Limit)
	case errors.As(err, &cb):
		return badRequest("", "%v", cb)
	case what != "":
		return badRequest("", "%s: %v", what, err)
	}
	return badRequest("", "cannot read the request body: %v", err)
}

// decodeBatch streams a bulk body: one object, a JSON array of objects, or NDJSON.
// Once the body's shape is known it calls begin (single: the body is one object);
// then it passes each decoded item to add as soon as it is read, so the consumer
// can process the body in chunks with flat memory. An error from begin or add
// stops decoding and is returned. Field errors inside an array or NDJSON body are
// prefixed with the item's index, "[3]".
func decodeBatch[T any](c echo.Context, maxItems int, begin func(single bool) error, add func(T) error) error {
	single, decode, err := openBatch[T](c, maxItems)
	if err != nil {
		return err
	}
	if err := begin(single); err != nil {
		return err
	}
	return decode(add)
}

// bodyBuffer is the read buffer for a body of n bytes (-1: unknown): 64 KiB,
// or the body and a byte more when it is smaller. A single POST is a few KiB,
// and a 64 KiB buffer for each was half of what its request allocated.
func bodyBuffer(n int64) int {
	const most = 64 << 10
	if n < 0 || n >= most {
		return most
	}
	return max(int(n)+1, 512)
}

// openBatch reads a bulk body's media type and first byte: whether it is a single
// object, and the decoder of its items, which reads the rest as it goes.
func openBatch[T any](c echo.Context, maxItems int) (single bool, decode func(add func(T) error) error, err error) {
	mt, err := mediaType(c.Request(), true)
	if err != nil {
		return false, nil, err
	}
	br := bufio.NewReaderSize(c.Request().Body, bodyBuffer(c.Request().ContentLength))
	if mt != mimeJSON {
		return false, func(add func(T) error) error { return decodeNDJSON(br, maxItems, add) }, nil
	}
	first, err := peekNonSpace(br)
	if err != nil {
		return false, nil, err
	}
	switch first {
	case '{':
		return true, func(add func(T) error) error {
			data, err := io.ReadAll(br)
			if err != nil {
				return readError(err, "")
			}
			var v T
			if err := decodeStrict(data, &v, ""); err != nil {
				return err
			}
			return add(v)
		}, nil
	case '[':
		return false, func(add func(T) error) error { return decodeArray(&arrayScanner{r: br}, maxItems, add) }, nil
	}
	return false, nil, badRequest("", "the body must be a JSON object or an array of objects (or NDJSON with Content-Type application/x-ndjson)")
}

func peekNonSpace(br *bufio.Reader) (byte, error) {
	for {
		b, err := br.ReadByte()
		if err == io.EOF {
			return 0, badRequest("", "the request body is empty")
		}
		if err != nil {
			return 0, readError(err, "")
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, br.UnreadByte()
	}
}

// MaxNDJSONLine bounds one NDJSON line.
const MaxNDJSONLine = 16 << 20

// decodeNDJSON reads one JSON object per line; blank lines are skipped. Errors name
// the item index and the line number.
func decodeNDJSON[T any](br *bufio.Reader, maxItems int, add func(T) error) error {
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 64<<10), MaxNDJSONLine)
	line, n := 0, 0
	for sc.Scan() {
		line++
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if n >= maxItems {
			return badRequest("", "the batch has more than %d items; split it", maxItems)
		}
		prefix := fmt.Sprintf("[%d]", n)
		if text[0] != '{' {
			return badRequest(prefix, "line %d: expected a JSON object", line)
		}
		var v T
		if err := decodeStrict(text, &v, prefix); err != nil {
			// A line cut short by a failed read (a body over the cap) is reported
			// as what happened to the body, not as bad JSON.
			if rerr := sc.Err(); rerr != nil {
				return readError(rerr, "")
			}
			var he *httpError
			if errors.As(err, &he) {
				he.detail = fmt.Sprintf("line %d: %s", line, he.detail)
			}
			return err
		}
		if err := add(v); err != nil {
			return err
		}
		n++
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return badRequest(fmt.Sprintf("[%d]", n), "line %d is longer than %d bytes", line+1, MaxNDJSONLine)
		}
		return readError(err, "")
	}
	if n == 0 {
		return badRequest("", "the request body has no NDJSON lines")
	}
	return nil
}
