package assertion

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/scoringtest"
)

func TestLength(t *testing.T) {
	t.Parallel()
	s := build(t, "length", `{}`)
	tests := []struct {
		name                          string
		in                            string
		chars, words, lines, byteSize int
	}{
		{"empty", "", 0, 0, 0, 0},
		{"one word", "hello", 5, 1, 1, 5},
		// By hand: a, space, b, two spaces, c, tab, d: 8 characters, 4 words.
		{"spaces and tabs", "a b  c\td", 8, 4, 1, 8},
		{"trailing newline opens no line", "one\ntwo\n", 8, 2, 2, 8},
		{"blank lines count", "one\n\nthree", 10, 2, 3, 10},
		// "héllo wörld" has 11 code points and 13 UTF-8 bytes (é and ö take two).
		{"unicode", "héllo wörld", 11, 2, 1, 13},
		// Ideographic space (U+3000) separates words; "日本" and "語" are 2 words.
		// Four code points of three UTF-8 bytes each: 12 bytes.
		{"cjk with ideographic space", "日本\u3000語", 4, 2, 1, 12},
		{"only whitespace", " \n \t", 4, 0, 2, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := s.Score(context.Background(), scoring.Item{Response: tt.in})
			if err != nil {
				t.Fatal(err)
			}
			d := r.Details
			if d["characters"] != tt.chars || d["words"] != tt.words || d["lines"] != tt.lines || d["bytes"] != tt.byteSize {
				t.Errorf("details = %v, want characters %d words %d lines %d bytes %d", d, tt.chars, tt.words, tt.lines, tt.byteSize)
			}
			if r.Value != float64(tt.words) {
				t.Errorf("value = %v, want the word count %d", r.Value, tt.words)
			}
			if r.Passed != nil {
				t.Errorf("passed = %v, want nil without a pass block", *r.Passed)
			}
		})
	}
	long := strings.Repeat("word ", 200_000)
	r, err := s.Score(context.Background(), scoring.Item{Response: long})
	if err != nil || r.Value != 200_000 {
		t.Errorf("long input: value %v, %v; want 200000", r.Value, err)
	}
	if _, err := Length().New([]byte(`{"unit":"words"}`)); err == nil {
		t.Errorf("length accepted an unknown param")
	}
}

func BenchmarkLength(b *testing.B) { benchScorer(b, "length", `{}`) }

// FuzzLength checks the counts against their plain definitions on any input.
func FuzzLength(f *testing.F) {
	for _, s := range []string{"", "a b", "x\n\ny\n", "日本\u3000語", "\xff\xfe", " \t\r\n", "a\u0085b\u00a0c\u2028d\u1680e\v\ff\x1cg", "\xe2\x80 x\xc2"} {
		f.Add(s)
	}
	s := build(f, "length", `{}`)
	f.Fuzz(func(t *testing.T, in string) {
		r, err := s.Score(context.Background(), scoring.Item{Response: in})
		if err != nil {
			t.Fatal(err)
		}
		words := len(strings.Fields(in))
		if r.Value != float64(words) || r.Details["words"] != words || r.Details["characters"] != utf8.RuneCountInString(in) ||
			r.Details["bytes"] != len(in) {
			t.Fatalf("length(%q) = %v %v", in, r.Value, r.Details)
		}
		if lines := r.Details["lines"].(int); (in == "") != (lines == 0) || lines > strings.Count(in, "\n")+1 {
			t.Fatalf("length(%q) lines = %d", in, lines)
		}
	})
}

// TestLongInput shows what Linear claims: counting takes time linear in the
// response, whatever its shape.
func TestLongInput(t *testing.T) {
	t.Parallel()
	for _, in := range []scoringtest.Input{
		{Unit: "The quick brown fox jumps over the lazy dog. ", N: 200_000},
		{Unit: " ", N: 5_000_000},
		{Unit: "日本語\u00a0", N: 1_000_000},
		{Unit: "\n", N: 5_000_000},
	} {
		res := scoringtest.LinearTime(t, in, func(s string) scoring.Result {
			r, err := scoreLength(context.Background(), scoring.Item{Response: s})
			if err != nil {
				t.Fatal(err)
			}
			return r
		})
		if got, want := res.Details["bytes"], len(in.Text()); got != want {
			t.Errorf("%q × %d: bytes = %v, want %d", in.Unit, in.N, got, want)
		}
	}
}
