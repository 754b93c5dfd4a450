package repetition

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestTokenize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"punctuation only", " ... !? -- ", nil},
		{"lowercased", "Hello, WORLD!", []string{"hello", "world"}},
		{"apostrophes join inside words", "don't rock'n'roll it’s", []string{"don't", "rock'n'roll", "it’s"}},
		{"apostrophes at edges split", "'tis the dogs' 'quoted'", []string{"tis", "the", "dogs", "quoted"}},
		{"double apostrophe splits", "a''b", []string{"a", "b"}},
		{"hyphen splits", "well-known", []string{"well", "known"}},
		{"numbers are words", "in 2024, 3.14 ≈ π", []string{"in", "2024", "3", "14", "π"}},
		{"greek and accents", "ΑΘΗΝΑ Ÿes Élan", []string{"αθηνα", "ÿes", "élan"}},
		// A combining mark continues its word; no Unicode normalization is applied.
		{"combining mark", "cafe\u0301 café", []string{"cafe\u0301", "café"}},
		{"han characters are tokens", "我爱你", []string{"我", "爱", "你"}},
		{"kana characters are tokens", "ひらがなカタカナ", []string{"ひ", "ら", "が", "な", "カ", "タ", "カ", "ナ"}},
		{"han next to latin", "GPT模型abc", []string{"gpt", "模", "型", "abc"}},
		{"hangul keeps runs", "안녕하세요 세계", []string{"안녕하세요", "세계"}},
		{"underscore and emoji split", "snake_case 🙂ok", []string{"snake", "case", "ok"}},
		{"invalid utf-8 splits", "ab\xffcd", []string{"ab", "cd"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tokenize(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	t.Parallel()
	refusalLoop := strings.Repeat("I'm sorry, but I can't help with that. ", 3)
	stepLoop := "Step 1: Open the file.\nStep 2: Read the data.\nStep 2: Read the data.\n\n" +
		"Step 2: Read the data.\n  Step 2: Read the data.  \nStep 3: Close it."
	jack := strings.Repeat("All work and no play makes Jack a dull boy.\n", 10000)
	tests := []struct {
		name                 string
		text                 string
		tokens               int
		distinct1, distinct2 float64
		repeated4            float64
		top                  string
		topCount             int
		lineRun              int
		line                 string
	}{
		// Every count below is derived by hand in the comment above its row.
		{name: "empty"},
		{name: "blank lines only", text: "\n  \n\t\n"},
		// 1 token: distinct-1 = 1/1; no bigrams, so distinct-2 = 0; fewer than 4 tokens.
		{name: "one word", text: "Hello", tokens: 1, distinct1: 1, lineRun: 1},
		// a a a: 1 distinct of 3 tokens; bigrams (a a) twice: 1/2.
		{name: "three same", text: "a a a", tokens: 3, distinct1: 1.0 / 3, distinct2: 0.5, lineRun: 1},
		// 5 tokens "no": distinct-1 1/5; 4 bigrams, 1 distinct; 2 four-grams, both
		// "no no no no": 1 repeat of 2.
		{name: "no no no", text: "No, no, no, no, NO!", tokens: 5, distinct1: 0.2, distinct2: 0.25, repeated4: 0.5, top: "no no no no", topCount: 2, lineRun: 1},
		// the quick brown fox jumps over the lazy dog: 9 tokens, 8 distinct ("the"
		// twice); all 8 bigrams and all 6 four-grams distinct.
		{name: "pangram", text: "The quick brown fox jumps over the lazy dog.", tokens: 9, distinct1: 8.0 / 9, distinct2: 1, lineRun: 1},
		// Period-8 loop of distinct tokens (i'm sorry but i can't help with that),
		// 3 times: 24 tokens, 8 distinct; 23 bigrams, 8 distinct (7 inside the
		// sentence plus "that i'm"); 21 four-grams, 8 distinct (one per phase), so
		// 13/21 repeat; phases 0-4 occur 3 times, the first is "i'm sorry but i".
		{name: "refusal loop", text: refusalLoop, tokens: 24, distinct1: 8.0 / 24, distinct2: 8.0 / 23, repeated4: 13.0 / 21,
			top: "i'm sorry but i", topCount: 3, lineRun: 1},
		// Tokens: step 1 open the file | (step 2 read the data) x4 | step 3 close it
		// = 5 + 20 + 4 = 29, 11 distinct. 28 bigrams, 13 distinct: step-1 1-open
		// open-the the-file file-step step-2 2-read read-the the-data data-step
		// step-3 3-close close-it. 26 four-grams: 5 from the first line, the 5
		// phases of the loop, and 3 from the end are distinct, 13 of 26 repeat;
		// "step 2 read the" occurs at 5, 10, 15, 20 (4 times, first among ties).
		// Non-blank trimmed lines: one "Step 1", four "Step 2" (the blank line is
		// skipped), one "Step 3".
		{name: "line loop", text: stepLoop, tokens: 29, distinct1: 11.0 / 29, distinct2: 13.0 / 28, repeated4: 0.5,
			top: "step 2 read the", topCount: 4, lineRun: 4, line: "Step 2: Read the data."},
		// A code loop: def f x | (return f x) x3 = 12 tokens, 4 distinct (def f x
		// return); 11 bigrams: def-f f-x x-return return-f, 4 distinct; 9
		// four-grams: def-f-x-return then the 3 phases of (f x return), 4 distinct,
		// 5 repeat; "f x return f" at 1, 4, 7 and "x return f x" at 2, 5, 8 tie at
		// 3, and the first wins.
		{name: "code loop", text: "def f(x):\n    return f(x)\n    return f(x)\n    return f(x)\n", tokens: 12, distinct1: 4.0 / 12, distinct2: 4.0 / 11, repeated4: 5.0 / 9,
			top: "f x return f", topCount: 3, lineRun: 3, line: "return f(x)"},
		// 我爱你 twice: 6 tokens, 3 distinct; 5 bigrams, 3 distinct (我爱 爱你 你我);
		// 3 four-grams, all distinct.
		{name: "han loop", text: "我爱你我爱你", tokens: 6, distinct1: 0.5, distinct2: 0.6, lineRun: 1},
		// x x y y: runs of 2 and 2; the first wins.
		{name: "line run tie", text: "x\nx\ny\ny", tokens: 4, distinct1: 0.5, distinct2: 1, lineRun: 2, line: "x"},
		// Alternating lines never repeat consecutively.
		{name: "alternating lines", text: "a\nb\na\nb", tokens: 4, distinct1: 0.5, distinct2: 2.0 / 3, lineRun: 1},
		// 10 distinct tokens per line, 10000 lines: T = 100000, 10 distinct;
		// 99999 bigrams, 10 distinct (9 inside plus "boy all"); 99997 four-grams,
		// 10 distinct; phase 0 ("all work and no") starts at 0, 10, ..., 99990:
		// 10000 times.
		{name: "very long loop", text: jack, tokens: 100000, distinct1: 1e-4, distinct2: 10.0 / 99999, repeated4: 99987.0 / 99997,
			top: "all work and no", topCount: 10000, lineRun: 10000, line: "All work and no play makes Jack a dull boy."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := analyze(tt.text)
			if got.tokens != tt.tokens {
				t.Errorf("tokens = %d, want %d", got.tokens, tt.tokens)
			}
			check := func(name string, got, want float64) {
				if math.Abs(got-want) > 1e-12 {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			check("distinct_1", got.distinct1, tt.distinct1)
			check("distinct_2", got.distinct2, tt.distinct2)
			check("repeated_4gram_share", got.repeated4, tt.repeated4)
			if tt.topCount >= 2 && (got.top4gram != tt.top || got.topCount != tt.topCount) {
				t.Errorf("top 4-gram = %q x%d, want %q x%d", got.top4gram, got.topCount, tt.top, tt.topCount)
			}
			if tt.topCount < 2 && got.topCount >= 2 {
				t.Errorf("top 4-gram count = %d, want below 2", got.topCount)
			}
			if got.lineRun != tt.lineRun {
				t.Errorf("longest_line_run = %d, want %d", got.lineRun, tt.lineRun)
			}
			if tt.lineRun >= 2 && got.line != tt.line {
				t.Errorf("repeated line = %q, want %q", got.line, tt.line)
			}
		})
	}
}

func TestScoreDetails(t *testing.T) {
	t.Parallel()
	s := build(t)
	res, err := s.Score(context.Background(), scoring.Item{Response: "Step 2.\nStep 2.\n" + strings.Repeat("z", 300)})
	if err != nil {
		t.Fatalf("Score: %v", err)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var got struct {
		Value   float64        `json:"value"`
		Passed  *bool          `json:"passed"`
		Details map[string]any `json:"details"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	// Tokens: step 2 step 2 zzz...: 5 tokens, 4-grams "step 2 step 2", "2 step 2 z...": no repeat.
	if got.Value != 0 || got.Passed != nil {
		t.Errorf("value, passed = %v, %v, want 0, nil", got.Value, got.Passed)
	}
	if got.Details["repeated_line"] != "Step 2." || got.Details["longest_line_run"] != 2.0 {
		t.Errorf("repeated_line, longest_line_run = %v, %v, want Step 2., 2", got.Details["repeated_line"], got.Details["longest_line_run"])
	}
	if _, has := got.Details["top_4gram"]; has {
		t.Errorf("top_4gram = %v, want absent", got.Details["top_4gram"])
	}
	// A repeated long line is cut to 200 code points plus "…".
	res, _ = s.Score(context.Background(), scoring.Item{Response: strings.Repeat(strings.Repeat("é", 250)+"\n", 2)})
	if line := res.Details["repeated_line"].(string); line != strings.Repeat("é", 200)+"…" {
		t.Errorf("repeated_line = %q, want 200 é and …", line)
	}
}

// build returns a repetition scorer configured through a registry.
func build(tb testing.TB) scoring.Scorer {
	tb.Helper()
	reg, err := scoring.NewRegistry(Repetition())
	if err != nil {
		tb.Fatalf("NewRegistry: %v", err)
	}
	set, err := reg.Build([]domain.ScorerConfig{{Type: "repetition"}})
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	return set.Scorers()[0].Scorer
}

func TestBadParamsAreRejected(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Repetition())
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	for _, params := range []string{`{"n":4}`, `[]`, `"x"`} {
		_, err := reg.Build([]domain.ScorerConfig{{Type: "repetition", Params: json.RawMessage(params)}})
		fields := domain.Fields(err)
		if len(fields) != 1 || fields[0].Field != "[0].params" {
			t.Errorf("Build(%s) error = %v, want one on [0].params", params, err)
		}
	}
	if _, err := reg.Build([]domain.ScorerConfig{{Type: "repetition", Params: json.RawMessage(`{}`)}}); err != nil {
		t.Errorf("Build({}) = %v, want success", err)
	}
	if typ, _ := reg.Lookup("repetition"); typ.Better != scoring.LowerIsBetter {
		t.Errorf("Better = %q, want lower", typ.Better)
	}
}

func TestCharacterClassFastPaths(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		cjk := unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
		word := (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)) && !cjk
		if isCJK(r) != cjk || isWord(r) != word {
			t.Fatalf("U+%04X: isCJK, isWord = %v, %v, want %v, %v", r, isCJK(r), isWord(r), cjk, word)
		}
	}
}
