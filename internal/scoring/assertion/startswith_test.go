package assertion

import (
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestStartsWith(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		params   string
		response string
		pass     bool
		start    string
	}{
		{"prefix", `{"value":"Sure"}`, "Sure, here is the code.", true, "Sure"},
		{"not a prefix", `{"value":"Sure"}`, "I'm sorry, I can't.", false, "I'm "},
		{"leading space trimmed by default", `{"value":"Sure"}`, "\n\n  Sure!", true, "Sure"},
		{"leading space kept", `{"value":"Sure","trim_leading_space":false}`, "\n Sure!", false, "\n Su"},
		{"value spaces are literal", `{"value":" Sure"}`, " Sure", false, "Sure"},
		{"case sensitive by default", `{"value":"sure"}`, "SURE thing", false, "SURE"},
		{"case insensitive", `{"value":"sure","case_sensitive":false}`, "SURE thing", true, "SURE"},
		// ß folds to "ss": the folded prefix "ss" needs only the first two code points.
		{"folding expands", `{"value":"SS","case_sensitive":false}`, "ßtraße", true, "ßt"},
		{"folding expands in value", `{"value":"ß","case_sensitive":false}`, "SStraße", true, "S"},
		{"cjk", `{"value":"答案"}`, "答案是 42", true, "答案"},
		{"value longer than response", `{"value":"Sure thing"}`, "Sure", false, "Sure"},
		{"empty response", `{"value":"A"}`, "", false, ""},
		{"very long response", `{"value":"Once"}`, "Once " + strings.Repeat("upon a time ", 100000), true, "Once"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass, details := run(t, build(t, "starts_with", tt.params), scoring.Item{Response: tt.response})
			if pass != tt.pass {
				t.Errorf("passed = %v, want %v", pass, tt.pass)
			}
			if details["start"] != tt.start {
				t.Errorf("start = %q, want %q", details["start"], tt.start)
			}
		})
	}
}
