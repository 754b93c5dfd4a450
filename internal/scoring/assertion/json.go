package assertion

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// maxViolations bounds how many schema violations the details list.
const maxViolations = 50

// JSON describes the json assertion. It takes a text from the response, per param
// extract:
//
//   - "none" (default): the whole response;
//   - "fenced": the body of the first fenced code block whose info string's first
//     word is "json" (any case), else of the first fenced code block, else the
//     whole response. A fence is a line that, after leading spaces and tabs, starts
//     with three or more backticks (the rest of the line is the info string); the
//     block ends at the next line holding only backticks, at least as many, or at
//     the end of the text.
//
// The text passes when, trimmed of white space, it is exactly one JSON value (RFC
// 8259; any type, so "42" is JSON) and, when param schema is given, the value
// conforms to that JSON Schema. The schema is an object (or boolean) in draft
// 2020-12 unless its "$schema" names another draft; "format" is asserted, and
// "$ref" may point only inside the schema or to the standard meta-schemas, never to
// files or URLs. It is compiled when the configuration is made, so a bad schema is a
// validation error on params.schema. A pass has value 1, a failure value 0.
//
// Details say where the text came from ("source": response, fenced json block,
// fenced block), whether it parsed ("valid_json", and "error" with the byte
// "offset" when it did not) and, with a schema, "violations": up to 50 of
// {"path": JSON Pointer into the value, "message"} sorted by path, with
// "violations_total".
func JSON() scoring.Type {
	return scoring.Type{
		Name:        "json",
		Description: "Passes when the response (or its first fenced code block) is valid JSON, optionally conforming to a JSON Schema.",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"properties": {
				"extract": {"enum": ["none", "fenced"], "default": "none"},
				"schema": {"type": ["object", "boolean"]}
			}
		}`),
		Better: scoring.HigherIsBetter,
		New:    newJSON,
	}
}

// Extraction modes.
const (
	extractNone   = "none"
	extractFenced = "fenced"
)

type jsonScorer struct {
	fenced bool
	schema *jsonschema.Schema // nil when none was given
}

// schemaURL names the user's schema inside its own compiler.
const schemaURL = "urn:rlhf-eval:assertion:json:schema"

// noExternalRefs refuses to load any document a schema refers to: a schema from a
// config must not read the server's files or reach the network.
type noExternalRefs struct{}

func (noExternalRefs) Load(url string) (any, error) {
	return nil, fmt.Errorf("schema refers to %s; only references inside the schema are allowed", url)
}

func newJSON(params json.RawMessage) (scoring.Scorer, error) {
	var p struct {
		Extract string          `json:"extract"`
		Schema  json.RawMessage `json:"schema"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	s := &jsonScorer{}
	switch p.Extract {
	case "", extractNone:
	case extractFenced:
		s.fenced = true
	default:
		return nil, domain.Invalid("extract", "must be none or fenced; got %q", p.Extract)
	}
	if raw := bytes.TrimSpace(p.Schema); len(raw) > 0 && !bytes.Equal(raw, []byte("null")) {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, domain.Invalid("schema", "is not valid JSON: %v", err)
		}
		switch doc.(type) {
		case map[string]any, bool:
		default:
			return nil, domain.Invalid("schema", "must be a JSON Schema object or boolean")
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		c.AssertFormat()
		c.UseLoader(noExternalRefs{})
		if err := c.AddResource(schemaURL, doc); err != nil {
			return nil, domain.Invalid("schema", "does not compile: %v", err)
		}
		if s.schema, err = c.Compile(schemaURL); err != nil {
			return nil, schemaCompileError(err)
		}
	}
	return s, nil
}

func (s *jsonScorer) Score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	text, source := it.Response, "response"
	if s.fenced {
		text, source = extractFencedBlock(it.Response)
	}
	details := map[string]any{"source": source}
	text = strings.TrimSpace(text)
	if text == "" {
		details["valid_json"] = false
		details["error"] = "empty text"
		return verdict(false, details), nil
	}
	doc, err := decodeJSON(text)
	if err != nil {
		details["valid_json"] = false
		details["error"] = excerpt(err.Error())
		var se *json.SyntaxError
		if errors.As(err, &se) {
			details["offset"] = se.Offset
		}
		var te *trailingDataError
		if errors.As(err, &te) {
			details["offset"] = te.offset
		}
		return verdict(false, details), nil
	}
	details["valid_json"] = true
	if s.schema == nil {
		return verdict(true, details), nil
	}
	err = s.schema.Validate(doc)
	if err == nil {
		details["violations"] = []map[string]any{}
		details["violations_total"] = 0
		return verdict(true, details), nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return scoring.Result{}, fmt.Errorf("validate against schema: %w", err)
	}
	all := violations(ve)
	details["violations_total"] = len(all)
	details["violations"] = all[:min(len(all), maxViolations)]
	return verdict(false, details), nil
}

// schemaCompileError turns a compile failure into validation errors. A schema that
// breaks its meta-schema gets one error per problem, with the field pointing into
// the schema ("schema.properties.age.type").
func schemaCompileError(err error) error {
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if !errors.As(err, &sve) || !errors.As(sve.Err, &ve) {
		return domain.Invalid("schema", "does not compile: %s", strings.ReplaceAll(err.Error(), schemaURL, "schema"))
	}
	printer := message.NewPrinter(language.English)
	var out []error
	for _, v := range leaves(ve) {
		field := "schema"
		for _, tok := range v.InstanceLocation {
			field += "." + tok
		}
		out = append(out, domain.Invalid(field, "is not valid JSON Schema: %s", v.ErrorKind.LocalizedString(printer)))
	}
	return errors.Join(out...)
}

// decodeJSON parses exactly one JSON value, keeping numbers exact for the validator.
func decodeJSON(text string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	off := dec.InputOffset()
	if rest := strings.TrimLeftFunc(text[off:], unicode.IsSpace); rest != "" {
		return nil, &trailingDataError{offset: int64(len(text) - len(rest))}
	}
	return v, nil
}

// trailingDataError reports text after the JSON value, at a byte offset.
type trailingDataError struct{ offset int64 }

func (e *trailingDataError) Error() string {
	return fmt.Sprintf("unexpected text after the JSON value at offset %d", e.offset)
}

// leaves returns the errors at the tips of a validation error's tree, in order.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// violations flattens a validation error into its leaves, sorted by path.
func violations(ve *jsonschema.ValidationError) []map[string]any {
	printer := message.NewPrinter(language.English)
	var out []map[string]any
	for _, v := range leaves(ve) {
		out = append(out, map[string]any{
			"path":    jsonPointer(v.InstanceLocation),
			"message": excerpt(v.ErrorKind.LocalizedString(printer)),
		})
	}
	// The validator visits properties in map order; sort so details are stable.
	slices.SortStableFunc(out, func(a, b map[string]any) int {
		return strings.Compare(a["path"].(string), b["path"].(string))
	})
	return out
}

// jsonPointer renders tokens as an RFC 6901 JSON Pointer ("" is the whole value).
func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(t))
	}
	return excerpt(b.String())
}

// extractFencedBlock returns the body of the first fenced block tagged json, else of
// the first fenced block, else text itself, with the source it used.
func extractFencedBlock(text string) (string, string) {
	first, found := "", false
	rest := text
	for rest != "" {
		var line string
		line, rest = cutLine(rest)
		ticks, info := fenceOpen(line)
		if ticks == 0 {
			continue
		}
		var body strings.Builder
		for rest != "" {
			var l string
			l, rest = cutLine(rest)
			if t := strings.TrimSpace(l); len(t) >= ticks && strings.Trim(t, "`") == "" {
				break
			}
			body.WriteString(l)
			body.WriteByte('\n')
		}
		lang, _, _ := strings.Cut(info, " ")
		if strings.EqualFold(lang, "json") {
			return body.String(), "fenced json block"
		}
		if !found {
			first, found = body.String(), true
		}
	}
	if found {
		return first, "fenced block"
	}
	return text, "response"
}

// cutLine splits off the first line of s, without its "\n".
func cutLine(s string) (line, rest string) {
	line, rest, _ = strings.Cut(s, "\n")
	return line, rest
}

// fenceOpen reports the backtick count of an opening fence line (0 when it is not
// one) and its info string.
func fenceOpen(line string) (int, string) {
	t := strings.TrimLeft(line, " \t")
	n := len(t) - len(strings.TrimLeft(t, "`"))
	if n < 3 {
		return 0, ""
	}
	info := strings.TrimSpace(t[n:])
	info = strings.ReplaceAll(info, "\t", " ")
	return n, info
}
