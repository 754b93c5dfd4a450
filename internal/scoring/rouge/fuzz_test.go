package rouge

import (
	"context"
	"math"
	"strings"
	"testing"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func notAlnum(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') }

// FuzzTokenizeDefault checks that tokens are non-empty runs of [a-z0-9]; that on
// ASCII input they are the runs of [a-z0-9] of the lowercased text; and that the
// unicode tokenizer agrees with the default one on ASCII input.
func FuzzTokenizeDefault(f *testing.F) {
	for _, s := range []string{"Hello, World!", "İstanbul Kelvin", "a_b c-d\n", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := tokenizeDefault(s, false)
		for _, tok := range toks {
			if tok == "" || strings.IndexFunc(tok, notAlnum) >= 0 {
				t.Fatalf("token %q of %q is not [a-z0-9]+", tok, s)
			}
		}
		if !isASCII(s) {
			return
		}
		want := strings.FieldsFunc(strings.ToLower(s), notAlnum)
		if !equalStrings(toks, want) {
			t.Fatalf("tokens of %q = %q, want %q", s, toks, want)
		}
		if u := tokenizeUnicode(s, false); !equalStrings(u, toks) {
			t.Fatalf("unicode tokens of %q = %q, want the default %q", s, u, toks)
		}
	})
}

// FuzzTokenizeUnicode checks that every token is non-empty and made of letters,
// marks and numbers only, and that stemming keeps the token count.
func FuzzTokenizeUnicode(f *testing.F) {
	for _, s := range []string{"Straße ΟΔΟΣ", "日本語のテキスト", "नमस्ते दुनिया", "\xffab\u0301c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		toks := tokenizeUnicode(s, false)
		for _, tok := range toks {
			if tok == "" || strings.IndexFunc(tok, func(r rune) bool {
				return !(unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r))
			}) >= 0 {
				t.Fatalf("token %q of %q has a character outside L, M, N", tok, s)
			}
		}
		if n := len(tokenizeUnicode(s, true)); n != len(toks) {
			t.Fatalf("stemming changed the token count of %q: %d, want %d", s, n, len(toks))
		}
	})
}

// FuzzScore checks that every reported number lies in [0,1] and that a text scored
// against itself gets rouge1 and rougeL F-measure 1 when it has a token.
func FuzzScore(f *testing.F) {
	f.Add("the cat sat on the mat", "the cat is on the mat", false, false)
	f.Add("Straße\nΟΔΟΣ", "strasse", true, true)
	f.Fuzz(func(t *testing.T, ref, resp string, stem, uni bool) {
		p := params{Variant: "rougeLsum", Stemmer: stem, Tokenizer: TokenizerDefault}
		tokenize := tokenizeDefault
		if uni {
			p.Tokenizer, tokenize = TokenizerUnicode, tokenizeUnicode
		}
		s, err := newScorer(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, pair := range [][2]string{{ref, resp}, {ref, ref}} {
			res, err := s.Score(context.Background(), scoring.Item{Reference: pair[0], HasReference: true, Response: pair[1]})
			if err != nil {
				t.Fatal(err)
			}
			for _, typ := range variants {
				d := res.Details[typ].(map[string]any)
				for k, v := range d {
					if x := v.(float64); !(x >= 0 && x <= 1) {
						t.Fatalf("%s %s = %v for %q, %q", typ, k, x, pair[0], pair[1])
					}
				}
			}
			if pair[0] == pair[1] && len(tokenize(pair[0], stem)) > 0 {
				for _, typ := range []string{"rouge1", "rougeL", "rougeLsum"} {
					if f := res.Details[typ].(map[string]any)["fmeasure"].(float64); math.Abs(f-1) > 1e-15 {
						t.Fatalf("%s of %q against itself = %v, want 1", typ, pair[0], f)
					}
				}
			}
		}
	})
}
