package sacrebleu

import (
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

var fuzzSeeds = []string{
	"", " ", "Hello, world!", "It costs $1,000.50.", "&quot;Hi&quot; &amp;lt;", "line one-\nline two\n",
	"ΟΔΟΣ ΚΑΙ ΠΟΛΗ", "İstanbul", "日本語、テスト。", "x...y", "\x1c\u3000\u200b", "\xff\xfe bad utf8 \xc3",
	"(hi) there!", "1999.", "a+b=c €5",
}

// FuzzTokenize checks every tokenizer and the Python lowercasing: no panic, tokens are
// non-empty valid UTF-8 without Python whitespace, char tokens are single characters.
func FuzzTokenize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tok := range []Tokenizer{Tokenizer13a, TokenizerIntl, TokenizerChar, TokenizerNone} {
			toks, err := Tokenize(tok, s)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range toks {
				if w == "" || !utf8.ValidString(w) || strings.IndexFunc(w, isPySpace) >= 0 {
					t.Fatalf("Tokenize(%s, %q) gave token %q", tok, s, w)
				}
				if tok == TokenizerChar && utf8.RuneCountInString(w) != 1 {
					t.Fatalf("Tokenize(char, %q) gave token %q of more than one character", s, w)
				}
			}
		}
		valid := validUTF8(s)
		if got, want := pyFields(valid), strings.FieldsFunc(valid, isPySpace); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("pyFields(%q) = %q, want %q", valid, got, want)
		}
		lower := pyLower(valid)
		if !utf8.ValidString(lower) {
			t.Fatalf("pyLower(%q) = %q, not valid UTF-8", s, lower)
		}
	})
}

// checkResult fails unless the value is finite in [0,1] and the details marshal.
func checkResult(t *testing.T, name string, r scoring.Result) {
	t.Helper()
	if math.IsNaN(r.Value) || math.IsInf(r.Value, 0) || r.Value < 0 || r.Value > 1 {
		t.Fatalf("%s value = %v, want a finite number in [0,1]", name, r.Value)
	}
	if _, err := json.Marshal(r.Details); err != nil {
		t.Fatalf("%s details do not marshal: %v", name, err)
	}
}

// FuzzBLEU scores arbitrary pairs with each tokenizer and smoothing: no panic, a valid
// value, consistent statistics, and a text against itself scores 1.
func FuzzBLEU(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+3)%len(fuzzSeeds)], uint8(i))
	}
	reg, err := scoring.NewRegistry(BLEU())
	if err != nil {
		f.Fatal(err)
	}
	toks := []string{"13a", "intl", "char", "none"}
	smooth := []string{`"exp"`, `"floor"`, `"add-k"`, `"none"`}
	f.Fuzz(func(t *testing.T, hyp, ref string, mode uint8) {
		params := `{"tokenize":"` + toks[mode%4] + `","smooth_method":` + smooth[(mode/4)%4] + `,"lowercase":` + map[bool]string{true: "true", false: "false"}[mode&16 != 0] + `}`
		set, err := reg.Build([]domain.ScorerConfig{{Type: "bleu", Params: json.RawMessage(params)}})
		if err != nil {
			t.Fatal(err)
		}
		sc := set.Scorers()[0].Scorer
		r, err := sc.Score(context.Background(), scoring.Item{Response: hyp, Reference: ref, HasReference: true})
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, "bleu", r)
		counts, totals := r.Details["counts"].([]int), r.Details["totals"].([]int)
		sys := r.Details["sys_len"].(int)
		for n := range totals {
			if want := max(sys-n, 0); totals[n] != want {
				t.Fatalf("totals[%d] = %d, want %d for %d tokens", n, totals[n], want, sys)
			}
			if counts[n] > totals[n] {
				t.Fatalf("counts[%d] = %d exceeds totals %d", n, counts[n], totals[n])
			}
		}
		self, err := sc.Score(context.Background(), scoring.Item{Response: hyp, Reference: hyp, HasReference: true})
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, "bleu", self)
		if self.Details["sys_len"].(int) > 0 && self.Value != 1 {
			t.Fatalf("bleu of %q against itself = %v, want 1", hyp, self.Value)
		}
	})
}

// FuzzCHRF scores arbitrary pairs under chrF and chrF++ in both smoothing modes: no
// panic, a valid value, matches never above either count, and a text with any
// non-space character against itself scores 1.
func FuzzCHRF(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+5)%len(fuzzSeeds)], uint8(i))
	}
	f.Fuzz(func(t *testing.T, hyp, ref string, mode uint8) {
		opts := CHRFOptions{CharOrder: int(mode%MaxCharOrder) + 1, WordOrder: int(mode/16) % (MaxWordOrder + 1), Beta: 2,
			EpsSmoothing: mode&1 != 0, Whitespace: mode&2 != 0, Lowercase: mode&4 != 0}
		m, err := NewCHRFMetric(opts)
		if err != nil {
			t.Fatal(err)
		}
		s := m.Sentence(hyp, []string{ref})
		if math.IsNaN(s.Score) || s.Score < 0 || s.Score > 100 {
			t.Fatalf("chrf(%q, %q, %+v) = %v, want within [0,100]", hyp, ref, opts, s.Score)
		}
		for i := 0; i < len(s.Stats); i += 3 {
			h, r, mt := s.Stats[i], s.Stats[i+1], s.Stats[i+2]
			if mt > r || (h > 0 && mt > h) || h < 0 || r < 0 || mt < 0 {
				t.Fatalf("order %d stats (%d, %d, %d) inconsistent", i/3+1, h, r, mt)
			}
		}
		if strings.TrimFunc(validUTF8(hyp), isPySpace) != "" && !opts.EpsSmoothing {
			if self := m.Sentence(hyp, []string{hyp}); self.Score != 100 {
				t.Fatalf("chrf of %q against itself = %v, want 100", hyp, self.Score)
			}
		}
		reg, err := scoring.NewRegistry(CHRF())
		if err != nil {
			t.Fatal(err)
		}
		set, err := reg.Build([]domain.ScorerConfig{{Type: "chrf", Params: json.RawMessage(`{"word_order":2}`)}})
		if err != nil {
			t.Fatal(err)
		}
		r, err := set.Scorers()[0].Scorer.Score(context.Background(), scoring.Item{Response: hyp, Reference: ref, HasReference: true})
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, "chrf", r)
	})
}
