package assertion

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestRegistryAcceptsTypes(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(types()...)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	for _, typ := range reg.Types() {
		if typ.NeedsReference {
			t.Errorf("%s: NeedsReference = true, want false", typ.Name)
		}
	}
}

func TestBadParamsAreRejected(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		typ    string
		params string
		fields []string
		msgHas string // a substring of the first message, when set
	}{
		{"contains without values", "contains", `{}`, []string{"[0].params"}, "values"},
		{"contains empty list", "contains", `{"values":[]}`, []string{"[0].params.values"}, ""},
		{"contains empty value", "contains", `{"values":["a",""]}`, []string{"[0].params.values.1"}, ""},
		{"contains value not string", "contains", `{"values":["a",3]}`, []string{"[0].params.values.1"}, ""},
		{"contains bad mode", "contains", `{"values":["a"],"mode":"most"}`, []string{"[0].params.mode"}, ""},
		{"contains unknown param", "contains", `{"values":["a"],"value":"b"}`, []string{"[0].params"}, "value"},
		{"contains case_sensitive not bool", "contains", `{"values":["a"],"case_sensitive":"no"}`, []string{"[0].params.case_sensitive"}, ""},
		{"regex without pattern", "regex", `{}`, []string{"[0].params"}, "pattern"},
		{"regex does not compile", "regex", `{"pattern":"(abc"}`, []string{"[0].params.pattern"}, "missing closing )"},
		{"regex backreference", "regex", `{"pattern":"(a)\\1"}`, []string{"[0].params.pattern"}, "invalid escape"},
		{"regex lookahead", "regex", `{"pattern":"a(?=b)"}`, []string{"[0].params.pattern"}, "invalid or unsupported Perl syntax"},
		{"regex repeat too large", "regex", `{"pattern":"a{1001}"}`, []string{"[0].params.pattern"}, "invalid repeat count"},
		{"regex bad flags", "regex", `{"pattern":"a","flags":"x"}`, []string{"[0].params.flags"}, ""},
		{"regex empty pattern", "regex", `{"pattern":""}`, []string{"[0].params.pattern"}, ""},
		{"equals needs value or reference", "equals", `{}`, []string{"[0].params.value"}, "use_reference"},
		{"equals value and reference", "equals", `{"value":"a","use_reference":true}`, []string{"[0].params.use_reference"}, ""},
		{"equals trim not bool", "equals", `{"value":"a","trim":1}`, []string{"[0].params.trim"}, ""},
		{"starts_with empty value", "starts_with", `{"value":""}`, []string{"[0].params.value"}, ""},
		{"starts_with without value", "starts_with", `{"case_sensitive":false}`, []string{"[0].params"}, "value"},
		{"json bad extract", "json", `{"extract":"xml"}`, []string{"[0].params.extract"}, ""},
		{"json schema not object", "json", `{"schema":3}`, []string{"[0].params.schema"}, ""},
		// Meta-schema failures point into the schema; "type" fails both branches of its anyOf.
		{"json schema bad type", "json", `{"schema":{"type":"nope"}}`, []string{"[0].params.schema.type", "[0].params.schema.type"}, "value must be one of"},
		{"json schema bad regex", "json", `{"schema":{"type":"string","pattern":"("}}`, []string{"[0].params.schema.pattern"}, "missing closing )"},
		{"json schema bad keyword value", "json", `{"schema":{"properties":{"a":{"minimum":"x"}}}}`, []string{"[0].params.schema.properties.a.minimum"}, "want number"},
		{"json schema dangling ref", "json", `{"schema":{"$ref":"#/$defs/missing"}}`, []string{"[0].params.schema"}, "does not compile"},
		{"json schema file ref", "json", `{"schema":{"$ref":"file:///etc/passwd"}}`, []string{"[0].params.schema"}, "only references inside the schema"},
		{"json schema url ref", "json", `{"schema":{"$ref":"https://example.com/s.json"}}`, []string{"[0].params.schema"}, "only references inside the schema"},
		{"length takes no params", "length", `{"max":3}`, []string{"[0].params"}, ""},
	}
	reg, err := scoring.NewRegistry(types()...)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := reg.Build([]domain.ScorerConfig{{Type: tt.typ, Params: json.RawMessage(tt.params)}})
			if err == nil {
				t.Fatalf("Build(%s) succeeded, want a validation error", tt.params)
			}
			errs := domain.Fields(err)
			var fields []string
			for _, e := range errs {
				fields = append(fields, e.Field)
			}
			if !slices.Equal(fields, tt.fields) {
				t.Errorf("fields = %q, want %q (error: %v)", fields, tt.fields, err)
			}
			if tt.msgHas != "" && len(errs) > 0 && !strings.Contains(errs[0].Msg, tt.msgHas) {
				t.Errorf("message = %q, want it to contain %q", errs[0].Msg, tt.msgHas)
			}
		})
	}
}

func TestGoodParamsAreAccepted(t *testing.T) {
	t.Parallel()
	configs := []domain.ScorerConfig{
		{Name: "c", Type: "contains", Params: json.RawMessage(`{"values":["a"],"mode":"all","case_sensitive":false}`)},
		{Name: "r", Type: "regex", Params: json.RawMessage(`{"pattern":"^a","flags":"im","must_match":false}`)},
		{Name: "e1", Type: "equals", Params: json.RawMessage(`{"value":"","trim":false,"case_sensitive":false}`)},
		{Name: "e2", Type: "equals", Params: json.RawMessage(`{"use_reference":true}`)},
		{Name: "e3", Type: "equals", Params: json.RawMessage(`{"value":"x","use_reference":false}`)},
		{Name: "s", Type: "starts_with", Params: json.RawMessage(`{"value":"Sure","trim_leading_space":false}`)},
		{Name: "j1", Type: "json"},
		{Name: "j2", Type: "json", Params: json.RawMessage(`{"extract":"fenced","schema":{"$schema":"http://json-schema.org/draft-07/schema#","type":"object"}}`)},
	}
	reg, err := scoring.NewRegistry(types()...)
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	if _, err := reg.Build(configs); err != nil {
		t.Errorf("Build: %v", err)
	}
}
