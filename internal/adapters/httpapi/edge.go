package httpapi

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// The request line is checked once, at the edge, before any handler reads it:
//   - path parameters are percent-decoded exactly once (the router always sees the
//     escaped path, so "x%2541" names "x%41", never "xA");
//   - a query string that does not parse is 400 naming the parameter, never
//     silently dropped (Go's url.Query skips pairs it cannot decode, which would
//     turn a filter into an unfiltered list);
//   - NUL characters and invalid UTF-8 in path segments and query values are 400:
//     PostgreSQL refuses both in text.
// JSON bodies get the same NUL rule in decodeStrict.

// escapedPath makes the router match the escaped path. Go keeps URL.RawPath only
// when the escaping is not the default one, and echo routes on RawPath when it is
// set and on the decoded Path otherwise, so without this a parameter arrives
// decoded for some requests and escaped for others.
func escapedPath(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		u.RawPath = u.EscapedPath()
		return next(c)
	}
}

// checkRequestLine decodes the route's path parameters once and validates them and
// the query string.
func checkRequestLine(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := checkQuery(c.Request().URL.RawQuery); err != nil {
			return err
		}
		names := c.ParamNames()
		if len(names) == 0 {
			return next(c)
		}
		raw := c.ParamValues()
		values := make([]string, len(names))
		for i, name := range names {
			v, err := url.PathUnescape(raw[i])
			if err != nil {
				return badRequest(name, "the path segment %q is not valid percent-encoding", raw[i])
			}
			if msg := textProblem(v); msg != "" {
				return badRequest(name, "the path segment %s", msg)
			}
			values[i] = v
		}
		c.SetParamValues(values...)
		return next(c)
	}
}

// checkQuery parses a raw query string as url.ParseQuery does, but reports the
// first pair it cannot decode instead of dropping it.
func checkQuery(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return badRequest(printable(k), "the query parameter's name is not valid percent-encoding")
		}
		if msg := textProblem(name); msg != "" {
			return badRequest(printable(name), "the query parameter's name %s", msg)
		}
		if strings.Contains(pair, ";") {
			return badRequest(name, "contains ';', which does not separate query parameters; separate them with '&' or escape it as %%3B")
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return badRequest(name, "the value %q is not valid percent-encoding", v)
		}
		if msg := textProblem(value); msg != "" {
			return badRequest(name, "the value %s", msg)
		}
	}
	return nil
}

const nul = "contains a NUL character (\\u0000), which cannot be stored"

// textProblem says why s cannot be stored as PostgreSQL text, or "".
func textProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return nul
	}
	return ""
}

// printable makes a name safe to echo in a problem.
func printable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", `\u0000`)
}

// nulEscape is how a NUL character appears in JSON text; a raw NUL byte is not
// valid JSON, so a body without this sequence has no NUL in any string.
var nulEscape = []byte(`\u0000`)

// findNUL finds the first string in the JSON value data, a member name or a
// value, that holds a NUL character: it returns the string's path, e.g.
// "metadata.tags[2]" (for a member name, the object's path), and what is wrong,
// or msg "" when there is none. Callers pass data that decoded successfully.
func findNUL(data []byte) (field, msg string) {
	if !bytes.Contains(data, nulEscape) {
		return "", ""
	}
	type frame struct {
		object  bool
		wantKey bool
		key     string
		index   int // elements begun, for arrays
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			switch {
			case f.object && f.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			case !f.object && f.index > 0:
				b.WriteString("[" + strconv.Itoa(f.index-1) + "]")
			}
		}
		return b.String()
	}
	// begin and end keep each frame's position as values start and finish.
	begin := func() {
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
	}
	end := func() {
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey, stack[n-1].key = true, ""
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", ""
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				begin()
				stack = append(stack, frame{object: t == '{', wantKey: t == '{'})
			default:
				stack = stack[:len(stack)-1]
				end()
			}
		case string:
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
				if strings.IndexByte(t, 0) >= 0 {
					return path(), "a member name " + nul
				}
				stack[n-1].key, stack[n-1].wantKey = printable(t), false
				continue
			}
			begin()
			if strings.IndexByte(t, 0) >= 0 {
				return path(), nul
			}
			end()
		default:
			begin()
			end()
		}
	}
}
