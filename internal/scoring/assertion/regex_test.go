package assertion

import (
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestRegex(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("no digits here. ", 60000) + "order #12345"
	type span struct {
		start, end int
		text       string
	}
	tests := []struct {
		name     string
		params   string
		response string
		pass     bool
		match    *span // nil when the pattern must not match
	}{
		// "call " is 5 code points, so the match covers [5, 13).
		{"match", `{"pattern":"\\d{3}-\\d{4}"}`, "call 555-1234 now", true, &span{5, 13, "555-1234"}},
		{"no match", `{"pattern":"\\d{3}-\\d{4}"}`, "call me", false, nil},
		{"must not match and does", `{"pattern":"(?i)as an ai","must_match":false}`, "As an AI, I think", false, &span{0, 8, "As an AI"}},
		{"must not match and does not", `{"pattern":"(?i)as an ai","must_match":false}`, "I think", true, nil},
		{"leftmost match", `{"pattern":"b+"}`, "abbcbbb", true, &span{1, 3, "bb"}},
		{"flag i", `{"pattern":"^hello","flags":"i"}`, "HELLO world", true, &span{0, 5, "HELLO"}},
		{"without flag i", `{"pattern":"^hello"}`, "HELLO world", false, nil},
		// With m, ^ and $ match at line breaks: "a\n" is 2 code points.
		{"flag m", `{"pattern":"^b$","flags":"m"}`, "a\nb\nc", true, &span{2, 3, "b"}},
		{"without flag m", `{"pattern":"^b$"}`, "a\nb\nc", false, nil},
		{"flag s", `{"pattern":"a.b","flags":"s"}`, "a\nb", true, &span{0, 3, "a\nb"}},
		{"without flag s", `{"pattern":"a.b"}`, "a\nb", false, nil},
		{"flags combined", `{"pattern":"^x.y$","flags":"ims"}`, "q\nX\nY", true, &span{2, 5, "X\nY"}},
		// こんにちは is 5 code points (15 bytes); offsets count code points.
		{"unicode offsets", `{"pattern":"世界"}`, "こんにちは世界", true, &span{5, 7, "世界"}},
		{"unicode class", `{"pattern":"\\p{Greek}+"}`, "alpha is α, beta β", true, &span{9, 10, "α"}},
		{"empty response matches empty pattern", `{"pattern":"^$"}`, "", true, &span{0, 0, ""}},
		{"empty response", `{"pattern":"\\w"}`, "", false, nil},
		// 60000 * 16 code points precede "#".
		{"very long response", `{"pattern":"#\\d+"}`, long, true, &span{960006, 960012, "#12345"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass, details := run(t, build(t, "regex", tt.params), scoring.Item{Response: tt.response})
			if pass != tt.pass {
				t.Errorf("passed = %v, want %v", pass, tt.pass)
			}
			m, has := details["match"].(map[string]any)
			if has != (tt.match != nil) || details["matched"] != (tt.match != nil) {
				t.Fatalf("match = %v (matched %v), want %+v", details["match"], details["matched"], tt.match)
			}
			if tt.match == nil {
				return
			}
			got := span{int(m["start"].(float64)), int(m["end"].(float64)), m["text"].(string)}
			if got != *tt.match {
				t.Errorf("match = %+v, want %+v", got, *tt.match)
			}
		})
	}
}

func TestRegexLongMatchIsCut(t *testing.T) {
	t.Parallel()
	resp := strings.Repeat("ab", 300)
	_, details := run(t, build(t, "regex", `{"pattern":"(ab)+"}`), scoring.Item{Response: resp})
	m := details["match"].(map[string]any)
	// 600 code points matched; the text is cut to 200 plus "…".
	if got, want := m["text"], strings.Repeat("ab", 100)+"…"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got := m["end"]; got != 600.0 {
		t.Errorf("end = %v, want 600", got)
	}
}
