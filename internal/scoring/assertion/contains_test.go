package assertion

import (
	"slices"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestContains(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("lorem ipsum dolor sit amet ", 40000) + "NEEDLE"
	tests := []struct {
		name      string
		params    string
		response  string
		pass      bool
		matched   []string
		unmatched []string
	}{
		{"any one present", `{"values":["Paris","London"]}`, "The capital of France is Paris.", true, []string{"Paris"}, []string{"London"}},
		{"any none present", `{"values":["Paris","London"]}`, "The capital of France is Lyon.", false, []string{}, []string{"Paris", "London"}},
		{"all present", `{"values":["Paris","France"],"mode":"all"}`, "The capital of France is Paris.", true, []string{"Paris", "France"}, []string{}},
		{"all one missing", `{"values":["Paris","Berlin"],"mode":"all"}`, "The capital of France is Paris.", false, []string{"Paris"}, []string{"Berlin"}},
		{"none absent", `{"values":["As an AI","I cannot"],"mode":"none"}`, "Here is the recipe.", true, []string{}, []string{"As an AI", "I cannot"}},
		{"none present", `{"values":["As an AI","I cannot"],"mode":"none"}`, "As an AI language model, I cannot help.", false, []string{"As an AI", "I cannot"}, []string{}},
		{"case sensitive by default", `{"values":["PARIS"]}`, "paris", false, []string{}, []string{"PARIS"}},
		{"case insensitive", `{"values":["PARIS"],"case_sensitive":false}`, "paris", true, []string{"PARIS"}, []string{}},
		{"full case folding", `{"values":["straße"],"case_sensitive":false}`, "STRASSE 5", true, []string{"straße"}, []string{}},
		{"greek final sigma folds", `{"values":["ΣΊΣΥΦΟΣ"],"case_sensitive":false}`, "ο σίσυφος", true, []string{"ΣΊΣΥΦΟΣ"}, []string{}},
		{"cjk", `{"values":["日本"]}`, "私は日本人です", true, []string{"日本"}, []string{}},
		{"substring not word", `{"values":["cat"]}`, "concatenate", true, []string{"cat"}, []string{}},
		{"empty response any", `{"values":["a"]}`, "", false, []string{}, []string{"a"}},
		{"empty response none", `{"values":["a"],"mode":"none"}`, "", true, []string{}, []string{"a"}},
		{"very long response", `{"values":["NEEDLE","needle"],"mode":"all"}`, long, false, []string{"NEEDLE"}, []string{"needle"}},
		{"very long response folded", `{"values":["NEEDLE","needle"],"mode":"all","case_sensitive":false}`, long, true, []string{"NEEDLE", "needle"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass, details := run(t, build(t, "contains", tt.params), scoring.Item{Response: tt.response})
			if pass != tt.pass {
				t.Errorf("passed = %v, want %v", pass, tt.pass)
			}
			if got := strs(details["matched"]); !slices.Equal(got, tt.matched) {
				t.Errorf("matched = %q, want %q", got, tt.matched)
			}
			if got := strs(details["unmatched"]); !slices.Equal(got, tt.unmatched) {
				t.Errorf("unmatched = %q, want %q", got, tt.unmatched)
			}
		})
	}
}

func TestContainsDefaultsInDetails(t *testing.T) {
	t.Parallel()
	_, details := run(t, build(t, "contains", `{"values":["x"]}`), scoring.Item{Response: "x"})
	if details["mode"] != "any" {
		t.Errorf("mode = %v, want any", details["mode"])
	}
}
