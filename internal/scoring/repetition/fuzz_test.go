package repetition

import (
	"context"
	"encoding/json"
	"math"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// tokenRE is the regular expression the Repetition doc gives for tokens, with W
// spelled out as letters, marks or numbers outside the Han, Hiragana and Katakana
// scripts.
var tokenRE = func() *regexp.Regexp {
	const cjk = `\p{Han}\p{Hiragana}\p{Katakana}`
	w := `(?:[^\PL` + cjk + `]|[^\PM` + cjk + `]|[^\PN` + cjk + `])`
	return regexp.MustCompile(`[` + cjk + `]|` + w + `+(?:['’]` + w + `+)*`)
}()

func FuzzAnalyze(f *testing.F) {
	for _, s := range []string{
		"", "I'm sorry, but I can't. I'm sorry, but I can't.", "a\na\n\na", "我爱你我爱你", "x'", "'x", "a''b",
		"e\u0301\u0301", "\xff\xfe'a", "İSTANBUL", "ǅ", "ﬁ", "a’b’c", "1,000.5", strings.Repeat("ab ", 50),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		want := tokenRE.FindAllString(text, -1)
		for i := range want {
			want[i] = strings.Map(unicode.ToLower, want[i])
		}
		if got := tokenize(text); !slices.Equal(got, want) {
			t.Fatalf("tokenize(%q) = %q, regexp gives %q", text, got, want)
		}
		st := analyze(text)
		for name, v := range map[string]float64{"distinct_1": st.distinct1, "distinct_2": st.distinct2, "repeated_4gram_share": st.repeated4} {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("%s(%q) = %v, want within [0,1]", name, text, v)
			}
		}
		if st.tokens != len(want) || (st.tokens < 4 && st.repeated4 != 0) || st.lineRun < 0 {
			t.Fatalf("analyze(%q) = %+v, inconsistent", text, st)
		}
		res, err := score(context.Background(), scoring.Item{Response: text})
		if err != nil {
			t.Fatalf("score: %v", err)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal result of %q: %v", text, err)
		}
	})
}
