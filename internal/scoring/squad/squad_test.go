package squad

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// TestNormalize checks normalize_answer; every expected string is the output of the
// SQuAD v1.1 script's normalize_answer run under Python 3.11 (Unicode 14.0).
func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"The Cat!", "cat"},
		{"an apple a day", "apple day"},
		{"A-B", "ab"},
		{"the_end", "theend"},
		{"Theater", "theater"},
		{"  Hello,\tWorld\n", "hello world"},
		{"a\u0301", "\u0301"},
		{"\u039f\u0394\u039f\u03a3. \u0391\u03a3", "\u03bf\u03b4\u03bf\u03c2 \u03b1\u03c2"},
		{"\u0130stanbul", "i\u0307stanbul"},
		{"\uff54\uff48\uff45 \uff41", "\uff54\uff48\uff45 \uff41"},
		{"\u201cQuoted\u201d \u2014 text", "\u201cquoted\u201d \u2014 text"},
		{"x\u001cy\u001fz", "x y z"},
		{"1,000.5 %", "10005"},
		{"L'an", "lan"},
		{"\u01c5emal", "\u01c6emal"},
		{"\u01c5", "\u01c6"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestPyLowerFinalSigma checks final sigma where golang.org/x/text/cases.Lower gets
// it wrong (a sigma ending 124 to 126 bytes into the text). By Unicode's Final_Sigma
// condition the Σ of "ΑΣ" after any run of x's is final (a cased letter before it,
// none after), so it lowercases to ς; before a letter it is σ. Python 3.11's
// str.lower agrees on all of these.
func TestPyLowerFinalSigma(t *testing.T) {
	t.Parallel()
	for n := 120; n < 131; n++ {
		prefix := strings.Repeat("x", n)
		for _, tt := range []struct{ in, want string }{
			{prefix + "ΑΣ ", prefix + "ας "},
			{prefix + "ΑΣ", prefix + "ας"},
			{prefix + "ΑΣ.", prefix + "ας."},
			{prefix + "ΑΣΑ", prefix + "ασα"},
			{prefix + "ΑΣ'Α", prefix + "ασ'α"}, // the apostrophe is case-ignorable
			{prefix + " Σ ", prefix + " σ "},   // no cased letter before it
		} {
			if got := pyLower(tt.in); got != tt.want {
				t.Errorf("n=%d: pyLower(%q) = %q, want %q", n, tt.in[n:], got[n:], tt.want[n:])
			}
		}
	}
}

// TestScores checks exact_match_score and f1_score. Expected values are the SQuAD
// v1.1 script's outputs under Python 3.11; the first row by hand: tokens
// [eiffel tower in paris] against [eiffel tower] share 2, P = 2/4, R = 2/2,
// F1 = 2·0.5·1/1.5 = 2/3. The rows with empty normalized answers show v1.1's rule:
// exact match 1 but F1 0.
func TestScores(t *testing.T) {
	t.Parallel()
	tests := []struct {
		prediction, truth string
		em                bool
		f1                float64
	}{
		{"the Eiffel Tower in Paris", "Eiffel Tower", false, 0.6666666666666666},
		{"Eiffel Tower", "the Eiffel Tower.", true, 1.0},
		{"Denver Broncos", "Denver Broncos", true, 1.0},
		{"Broncos", "Denver Broncos", false, 0.6666666666666666},
		{"the the the", "the", true, 0.0},
		{"", "", true, 0.0},
		{"", "Paris", false, 0.0},
		{"a an the", "the", true, 0.0},
		{"cat cat dog", "cat dog dog", false, 0.6666666666666666},
		{"Saint-Bernard", "Saint Bernard", false, 0.0},
		{"1876", "in 1876", false, 0.6666666666666666},
		{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2", true, 1.0},
		{"\u00dcn\u00efc\u00f6d\u00e9 text", "\u00fcn\u00efc\u00f6d\u00e9 TEXT!", true, 1.0},
		{"New York City", "new york", false, 0.8},
	}
	for _, tt := range tests {
		t.Run(tt.prediction+"|"+tt.truth, func(t *testing.T) {
			t.Parallel()
			wantEM := 0.0
			if tt.em {
				wantEM = 1
			}
			if got := ExactMatchScore(tt.prediction, tt.truth); got != wantEM {
				t.Errorf("exact match = %v, want %v", got, wantEM)
			}
			if got := F1Score(tt.prediction, tt.truth).F1; got != tt.f1 {
				t.Errorf("f1 = %v, want %v", got, tt.f1)
			}
		})
	}
}

func score(t *testing.T, typ scoring.Type, params, reference, response string) scoring.Result {
	t.Helper()
	s, err := typ.New(json.RawMessage(params))
	if err != nil {
		t.Fatalf("New(%s): %v", params, err)
	}
	res, err := s.Score(context.Background(), scoring.Item{Reference: reference, HasReference: true, Response: response})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestScorers checks the two scorers, with and without several ground truths, whose
// value is the maximum over them as in metric_max_over_ground_truths. Values by hand:
// "Denver Broncos" against "Broncos" has P = 1/2, R = 1, F1 = 2/3; against "Denver
// Broncos" F1 = 1.
func TestScorers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		params      string
		reference   string
		response    string
		em, f1      float64
		best, match int
	}{
		{"single", `{}`, "Broncos", "Denver Broncos", 0, 2.0 / 3, 0, -1},
		{"separator picks the best", `{"separator":"|"}`, "Broncos|Denver Broncos|the Broncos", "Denver Broncos", 1, 1, 1, 1},
		{"first best wins", `{"separator":"|"}`, "Broncos|the Broncos", "Denver Broncos", 0, 2.0 / 3, 0, -1},
		{"empty pieces dropped", `{"separator":"||"}`, "||Broncos||||", "broncos", 1, 1, 0, 0},
		{"no piece left", `{"separator":"|"}`, "||", "", 1, 0, 0, 0},
		{"without separator the bar is text", `{}`, "Broncos|Denver", "Broncos Denver", 0, 0, 0, -1},
		{"both empty", `{}`, "", "the.", 1, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			em := score(t, ExactMatch(), tt.params, tt.reference, tt.response)
			if em.Value != tt.em || em.Details["match"] != tt.match {
				t.Errorf("exact_match = %v (match %v), want %v (match %v)", em.Value, em.Details["match"], tt.em, tt.match)
			}
			f1 := score(t, F1(), tt.params, tt.reference, tt.response)
			if math.Abs(f1.Value-tt.f1) > 1e-15 || f1.Details["best"] != tt.best {
				t.Errorf("f1 = %v (best %v), want %v (best %v)", f1.Value, f1.Details["best"], tt.f1, tt.best)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(ExactMatch(), F1())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []domain.ScorerConfig{
		{Type: "f1", Params: json.RawMessage(`{"separator":""}`)},
		{Type: "exact_match", Params: json.RawMessage(`{"lowercase":false}`)},
	} {
		if _, err := reg.Build([]domain.ScorerConfig{bad}); err == nil {
			t.Errorf("Build accepted %s %s", bad.Type, bad.Params)
		}
	}
	set, err := reg.Build([]domain.ScorerConfig{{Type: "exact_match"}, {Type: "f1", Params: json.RawMessage(`{"separator":"\n"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Score(context.Background(), scoring.Item{Reference: "Paris\nthe city of Paris", HasReference: true, Response: "Paris."})
	if err != nil {
		t.Fatal(err)
	}
	// exact_match sees the whole reference "paris city of paris"; f1 takes "Paris".
	if out[0].Result.Value != 0 || out[1].Result.Value != 1 {
		t.Errorf("values = %v, %v, want 0, 1", out[0].Result.Value, out[1].Result.Value)
	}
	for _, o := range out {
		if _, err := json.Marshal(o.Result); err != nil {
			t.Errorf("%s result does not marshal: %v", o.Name, err)
		}
	}
}

// FuzzNormalize checks invariants of normalize_answer's output: normalizing again
// changes nothing; no ASCII uppercase or punctuation remains; tokens are separated by
// single spaces and none is an article.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"The Cat!", "a\u0301", "ΟΔΟΣ. ΑΣ", "İ", "x\x1cy", "\xff\xfethe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := Normalize(s)
		if again := Normalize(n); again != n {
			t.Fatalf("Normalize(%q) = %q, normalized again %q", s, n, again)
		}
		if strings.ContainsAny(n, punctuation+"ABCDEFGHIJKLMNOPQRSTUVWXYZ") {
			t.Fatalf("Normalize(%q) = %q keeps uppercase or punctuation", s, n)
		}
		for _, tok := range strings.Split(n, " ") {
			if n != "" && (tok == "" || isArticle(tok)) {
				t.Fatalf("Normalize(%q) = %q has token %q", s, n, tok)
			}
		}
	})
}

// FuzzF1 checks that F1 lies in [0,1], is symmetric up to rounding, and is 1 for an
// answer against itself when it has a token.
func FuzzF1(f *testing.F) {
	f.Add("the Eiffel Tower in Paris", "Eiffel Tower")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ba := F1Score(a, b).F1, F1Score(b, a).F1
		if !(ab >= 0 && ab <= 1) || math.Abs(ab-ba) > 1e-15 {
			t.Fatalf("F1(%q, %q) = %v, reversed %v", a, b, ab, ba)
		}
		if self := F1Score(a, a); self.PredLen > 0 && self.F1 != 1 {
			t.Fatalf("F1(%q, itself) = %v, want 1", a, self.F1)
		}
		if ExactMatchScore(a, a) != 1 {
			t.Fatalf("exact match of %q with itself is not 1", a)
		}
	})
}

// TestIsPunct checks isPunct against Python's string.punctuation, spelled out.
func TestIsPunct(t *testing.T) {
	t.Parallel()
	for r := rune(0); r < 0x100; r++ {
		want := strings.ContainsRune(punctuation, r)
		if got := isPunct(r); got != want {
			t.Errorf("isPunct(%q) = %v, want %v", r, got, want)
		}
	}
}
