package assertion

import (
	"slices"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

const personSchema = `{"type":"object","required":["name","age"],"additionalProperties":false,
	"properties":{"name":{"type":"string","minLength":1},"age":{"type":"integer","minimum":0},
	"tags":{"type":"array","items":{"type":"string"}}}}`

func TestJSON(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	big := "[" + strings.Repeat(`{"k":"v","n":1.5},`, 50000) + "null]"
	tests := []struct {
		name     string
		params   string
		response string
		pass     bool
		valid    bool
		source   string
		errHas   string // substring of details.error when the text is not JSON
		offset   int    // details.offset when errHas is set, -1 for none
		paths    []string
	}{
		{"object", `{}`, `{"a": 1}`, true, true, "response", "", 0, nil},
		{"scalar is JSON", `{}`, `42`, true, true, "response", "", 0, nil},
		{"string is JSON", `{}`, `"hi"`, true, true, "response", "", 0, nil},
		{"surrounding space", `{}`, "\n  [1, 2]\n", true, true, "response", "", 0, nil},
		{"unicode", `{}`, `{"名前": "東京", "emoji": "\ud83d\ude00"}`, true, true, "response", "", 0, nil},
		// Running out of input is io.ErrUnexpectedEOF, which carries no offset.
		{"truncated", `{}`, `{"a": 1`, false, false, "response", "unexpected EOF", -1, nil},
		// `{"a": 1}` is 8 bytes and one space follows, so the prose starts at byte 9.
		{"trailing prose", `{}`, `{"a": 1} hope this helps`, false, false, "response", "after the JSON value", 9, nil},
		// encoding/json's SyntaxError.Offset counts the bytes read including the bad
		// one: "'" is byte 1 (0-based), so offset 2; "S" is byte 0, so offset 1.
		{"single quotes", `{}`, `{'a': 1}`, false, false, "response", "invalid character", 2, nil},
		{"prose", `{}`, `Sure! Here is the JSON.`, false, false, "response", "invalid character", 1, nil},
		{"empty", `{}`, ``, false, false, "response", "empty", -1, nil},
		{"blank", `{}`, " \n\t ", false, false, "response", "empty", -1, nil},
		{"deep nesting", `{}`, deep, true, true, "response", "", 0, nil},
		{"very long", `{}`, big, true, true, "response", "", 0, nil},
		{"fenced json not extracted", `{}`, "Here:\n```json\n{\"a\": 1}\n```\n", false, false, "response", "invalid character", 1, nil},
		{"fenced json", `{"extract":"fenced"}`, "Here:\n```json\n{\"a\": 1}\n```\nDone.", true, true, "fenced json block", "", 0, nil},
		{"fenced json tag any case", `{"extract":"fenced"}`, "```JSON title\n[1]\n```", true, true, "fenced json block", "", 0, nil},
		{"json block preferred", `{"extract":"fenced"}`, "```python\nprint(1)\n```\nthen\n```json\n{}\n```", true, true, "fenced json block", "", 0, nil},
		{"first untagged block", `{"extract":"fenced"}`, "```\n[1, 2]\n```\n```\nnot json\n```", true, true, "fenced block", "", 0, nil},
		{"indented longer fence", `{"extract":"fenced"}`, "  ````json\n{\"a\": \"```\"}\n  ````\n", true, true, "fenced json block", "", 0, nil},
		{"unclosed fence runs to end", `{"extract":"fenced"}`, "```json\n{\"a\": [1,\n2]}", true, true, "fenced json block", "", 0, nil},
		{"crlf fences", `{"extract":"fenced"}`, "```json\r\n{\"a\": 1}\r\n```\r\n", true, true, "fenced json block", "", 0, nil},
		{"no fence falls back", `{"extract":"fenced"}`, `{"a": 1}`, true, true, "response", "", 0, nil},
		{"empty fenced block", `{"extract":"fenced"}`, "```json\n```", false, false, "fenced json block", "empty", -1, nil},
		{"schema ok", `{"schema":` + personSchema + `}`, `{"name": "Ada", "age": 36, "tags": ["math"]}`, true, true, "response", "", 0, []string{}},
		{"schema violations", `{"schema":` + personSchema + `}`, `{"name": "", "age": -1, "tags": ["x", 2]}`, false, true, "response", "", 0, []string{"/age", "/name", "/tags/1"}},
		{"schema missing and extra", `{"schema":` + personSchema + `}`, `{"name": "Ada", "extra": true}`, false, true, "response", "", 0, []string{"", ""}},
		{"schema integer", `{"schema":` + personSchema + `}`, `{"name": "Ada", "age": 36.5}`, false, true, "response", "", 0, []string{"/age"}},
		{"schema not checked on bad JSON", `{"schema":` + personSchema + `}`, `{"name":`, false, false, "response", "unexpected EOF", -1, nil},
		{"schema format asserted", `{"schema":{"type":"string","format":"email"}}`, `"not an email"`, false, true, "response", "", 0, []string{""}},
		{"schema format ok", `{"schema":{"type":"string","format":"email"}}`, `"ada@example.org"`, true, true, "response", "", 0, []string{}},
		{"schema false", `{"schema":false}`, `{}`, false, true, "response", "", 0, []string{""}},
		{"schema true", `{"schema":true}`, `{}`, true, true, "response", "", 0, []string{}},
		{"schema internal ref", `{"schema":{"$defs":{"pos":{"type":"number","exclusiveMinimum":0}},"type":"array","items":{"$ref":"#/$defs/pos"}}}`, `[1, 0, 2, -3]`, false, true, "response", "", 0, []string{"/1", "/3"}},
		{"schema pointer escaping", `{"schema":{"properties":{"a/b":{"type":"string"},"c~d":{"type":"string"}}}}`, `{"a/b": 1, "c~d": 2}`, false, true, "response", "", 0, []string{"/a~1b", "/c~0d"}},
		{"schema on fenced block", `{"extract":"fenced","schema":{"type":"object","required":["answer"]}}`, "The answer:\n```json\n{\"answer\": 4}\n```", true, true, "fenced json block", "", 0, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass, details := run(t, build(t, "json", tt.params), scoring.Item{Response: tt.response})
			if pass != tt.pass {
				t.Errorf("passed = %v, want %v (details %v)", pass, tt.pass, details)
			}
			if details["valid_json"] != tt.valid {
				t.Errorf("valid_json = %v, want %v", details["valid_json"], tt.valid)
			}
			if details["source"] != tt.source {
				t.Errorf("source = %v, want %v", details["source"], tt.source)
			}
			if tt.errHas != "" {
				if msg, _ := details["error"].(string); !strings.Contains(msg, tt.errHas) {
					t.Errorf("error = %q, want it to contain %q", msg, tt.errHas)
				}
				off, has := details["offset"].(float64)
				if (tt.offset >= 0) != has || (has && int(off) != tt.offset) {
					t.Errorf("offset = %v (present %v), want %d", off, has, tt.offset)
				}
			}
			if tt.paths == nil {
				if v, has := details["violations"]; has {
					t.Errorf("violations = %v, want none reported", v)
				}
				return
			}
			var paths []string
			for _, v := range details["violations"].([]any) {
				m := v.(map[string]any)
				if msg, _ := m["message"].(string); msg == "" {
					t.Errorf("violation %v has no message", m)
				}
				paths = append(paths, m["path"].(string))
			}
			slices.Sort(paths)
			if paths == nil {
				paths = []string{}
			}
			if !slices.Equal(paths, tt.paths) {
				t.Errorf("violation paths = %q, want %q (details %v)", paths, tt.paths, details["violations"])
			}
			if n := int(details["violations_total"].(float64)); n != len(tt.paths) {
				t.Errorf("violations_total = %d, want %d", n, len(tt.paths))
			}
		})
	}
}

func TestJSONViolationsAreCapped(t *testing.T) {
	t.Parallel()
	s := build(t, "json", `{"schema":{"type":"array","items":{"type":"string"}}}`)
	_, details := run(t, s, scoring.Item{Response: "[" + strings.Repeat("1,", 120) + "1]"})
	if n := len(details["violations"].([]any)); n != maxViolations {
		t.Errorf("len(violations) = %d, want %d", n, maxViolations)
	}
	if n := details["violations_total"]; n != 121.0 {
		t.Errorf("violations_total = %v, want 121", n)
	}
}

func TestJSONViolationMessages(t *testing.T) {
	t.Parallel()
	s := build(t, "json", `{"schema":`+personSchema+`}`)
	_, details := run(t, s, scoring.Item{Response: `{"name": "Ada"}`})
	v := details["violations"].([]any)
	if len(v) != 1 {
		t.Fatalf("violations = %v, want 1", v)
	}
	if msg := v[0].(map[string]any)["message"].(string); !strings.Contains(msg, "age") {
		t.Errorf("message = %q, want it to name the missing property age", msg)
	}
}
