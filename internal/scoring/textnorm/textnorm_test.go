package textnorm

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, folded, lower string
	}{
		{"ascii kept", "Hello there.\nNext line.", "Hello there.\nNext line.", "hello there.\nnext line."},
		{"typographic apostrophe", "I’m sorry, but I can’t", "I'm sorry, but I can't", "i'm sorry, but i can't"},
		{"typographic double quotes", "“Stop” and «go»", `"Stop" and "go"`, `"stop" and "go"`},
		{"acute accent as apostrophe", "don´t", "don't", "don't"},
		{"full-width letters", "ＡＢＣ ｄｅｆ", "ABC def", "abc def"},
		{"ligature and ellipsis", "ﬁne…", "fine...", "fine..."},
		{"composed accent", "cafe\u0301", "café", "café"},
		{"no-break and thin spaces", "a\u00a0b\u2009c", "a b c", "a b c"},
		{"space runs collapse", "a  \t b", "a b", "a b"},
		{"one line break", "a \r\n  b", "a\nb", "a\nb"},
		{"paragraph break", "a\n \n\n b", "a\n\nb", "a\n\nb"},
		{"zero-width dropped", "can\u200b't", "can't", "can't"},
		{"non-latin case", "ΑΘΗΝΑ Straße", "ΑΘΗΝΑ Straße", "αθηνα straße"},
		{"length-changing lower case kept", "İstanbul", "İstanbul", "İstanbul"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := New(tt.in)
			if got.Folded != tt.folded {
				t.Errorf("Folded = %q, want %q", got.Folded, tt.folded)
			}
			if got.Lower != tt.lower {
				t.Errorf("Lower = %q, want %q", got.Lower, tt.lower)
			}
		})
	}
}

func TestSpanPointsIntoOriginal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, find, want string
	}{
		{"after a typographic apostrophe", "Well…  I’m sorry, but I can’t do that.", "i can't", "I can’t"},
		{"across a collapsed space", "I\u00a0 cannot\n\n\n help", "cannot\n\nhelp", "cannot\n\n\n help"},
		{"full-width", "ｉ　ｃａｎｔ", "cant", "ｃａｎｔ"},
		{"composed", "re\u0301sume\u0301 ok", "résumé", "re\u0301sume\u0301"},
		{"plain ascii", "No, I won't.", "i won't", "I won't"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n := New(tt.in)
			i := strings.Index(n.Lower, tt.find)
			if i < 0 {
				t.Fatalf("%q not in %q", tt.find, n.Lower)
			}
			s, e := n.Span(i, i+len(tt.find))
			if got := tt.in[s:e]; got != tt.want {
				t.Errorf("span = %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzNew(f *testing.F) {
	for _, s := range []string{"", "I’m sorry", "a  b\r\n\r\nc", "ﬁ…\u200b´", "ＡＢＣ", "e\u0301\u0301x", "İ\u2028\u2029"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		n := New(s)
		if len(n.Lower) != len(n.Folded) {
			t.Fatalf("len(Lower) = %d, len(Folded) = %d", len(n.Lower), len(n.Folded))
		}
		if again := New(n.Folded); again.Folded != n.Folded {
			t.Fatalf("not idempotent: %q then %q", n.Folded, again.Folded)
		}
		prev := 0
		for i := 0; i <= len(n.Folded); i++ {
			st, en := n.Start(i), n.End(i)
			if st < prev || st > len(s) || en < st || en > len(s) {
				t.Fatalf("offset %d: start %d end %d (previous start %d, original length %d)", i, st, en, prev, len(s))
			}
			if st < len(s) && !utf8.RuneStart(s[st]) || en < len(s) && !utf8.RuneStart(s[en]) {
				t.Fatalf("offset %d: start %d or end %d splits a rune of %q", i, st, en, s)
			}
			prev = st
		}
		if n.Start(len(n.Folded)) != len(s) || n.End(len(n.Folded)) != len(s) {
			t.Fatalf("end of Folded maps to %d/%d, want %d", n.Start(len(n.Folded)), n.End(len(n.Folded)), len(s))
		}
	})
}
