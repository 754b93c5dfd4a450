package sacrebleu

import (
	"reflect"
	"testing"
	"unicode/utf8"
)

// The expected tokens are hand derivations from sacrebleu's tokenizer definitions
// (tokenizers/tokenizer_13a.py, tokenizer_re.py, tokenizer_intl.py, tokenizer_char.py,
// tokenizer_none.py); each was also confirmed against the transcribed oracle.
func TestTokenize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		tok  Tokenizer
		in   string
		want []string
	}{
		// 13a: "," follows a non-digit, "!" is in the first character class.
		{"13a comma and bang", Tokenizer13a, "Hello, world!", []string{"Hello", ",", "world", "!"}},
		// "$" is split off; "," and "." between digits stay; the final "." is
		// followed by the padding space, so ([\.,])([^0-9]) splits it.
		{"13a money", Tokenizer13a, "It costs $1,000.50.", []string{"It", "costs", "$", "1,000.50", "."}},
		// Entities are unescaped first, then '"' and '&' are in the first class.
		{"13a entities", Tokenizer13a, "&quot;Hi&quot; &amp; bye", []string{`"`, "Hi", `"`, "&", "bye"}},
		// "&amp;" is replaced before "&lt;", so "&amp;lt;" becomes "<".
		{"13a double escape", Tokenizer13a, "&amp;lt;tag&amp;gt;", []string{"<", "tag", ">"}},
		// "-" is split only after a digit.
		{"13a hyphens", Tokenizer13a, "well-known 1990-1995", []string{"well-known", "1990", "-", "1995"}},
		// "-\n" is deleted before newlines become spaces.
		{"13a hyphenated line break", Tokenizer13a, "line one-\nline two", []string{"line", "oneline", "two"}},
		{"13a skipped marker", Tokenizer13a, "<skipped> text", []string{"text"}},
		// Each (letter, ".") pair matches ([^0-9])([\.,]) in turn.
		{"13a abbreviations", Tokenizer13a, "e.g. U.S.A.", []string{"e", ".", "g", ".", "U", ".", "S", ".", "A", "."}},
		{"13a decimals", Tokenizer13a, "3.14 and 2,5", []string{"3.14", "and", "2,5"}},
		// "'" (0x27) is not in the first class.
		{"13a apostrophe", Tokenizer13a, "don't", []string{"don't"}},
		// Matches do not overlap: (x,.) then (.,.) then y, leaving "." alone between.
		{"13a ellipsis", Tokenizer13a, "x...y", []string{"x", ".", ".", ".", "y"}},
		{"13a brackets", Tokenizer13a, "(hi)", []string{"(", "hi", ")"}},
		{"13a greek", Tokenizer13a, "ΟΔΟΣ, όχι;", []string{"ΟΔΟΣ", ",", "όχι", ";"}},
		{"13a empty", Tokenizer13a, "", nil},
		{"13a whitespace only", Tokenizer13a, " \t\u3000\n", nil},

		{"intl comma and bang", TokenizerIntl, "Hello, world!", []string{"Hello", ",", "world", "!"}},
		// Punctuation between numbers stays; "€" is a symbol (Sc).
		{"intl number and currency", TokenizerIntl, "1,000.50 €", []string{"1,000.50", "€"}},
		// sacrebleu documents this: a number's final "." is kept, as in mteval-v14.pl,
		// because nothing follows it.
		{"intl final period after number", TokenizerIntl, "The year 1999.", []string{"The", "year", "1999."}},
		{"intl guillemets", TokenizerIntl, "«Bonjour»", []string{"«", "Bonjour", "»"}},
		{"intl math symbols", TokenizerIntl, "a+b=c", []string{"a", "+", "b", "=", "c"}},
		{"intl ellipsis", TokenizerIntl, "x...y", []string{"x", ".", ".", ".", "y"}},
		{"intl cjk punctuation", TokenizerIntl, "日本語、テスト。", []string{"日本語", "、", "テスト", "。"}},
		{"intl decimals", TokenizerIntl, "3.14 and 2,5", []string{"3.14", "and", "2,5"}},

		{"char ascii", TokenizerChar, "ab c", []string{"a", "b", "c"}},
		{"char cjk", TokenizerChar, "日本 語!", []string{"日", "本", "語", "!"}},
		// U+3000 and U+001C are whitespace to Python; U+200B is not.
		{"none python whitespace", TokenizerNone, "a\u3000b\x1cc\u200bd", []string{"a", "b", "c\u200bd"}},
		{"none tabs and newline", TokenizerNone, "a\tb\n", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Tokenize(tt.tok, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Tokenize(%s, %q) = %q, want %q", tt.tok, tt.in, got, tt.want)
			}
		})
	}
}

func TestTokenizeUnknown(t *testing.T) {
	t.Parallel()
	if _, err := Tokenize("zh", "x"); err == nil {
		t.Error("Tokenize(zh) succeeded, want an error for a tokenizer this package lacks")
	}
}

// Expected values are Python's str.lower() (CPython 3.11; the same rules since 3.3):
// simple lowercase mapping, U+0130 to "i\u0307", and final sigma.
func TestPyLower(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"ascii", "HELLO World", "hello world"},
		{"final sigma", "ΟΔΟΣ", "οδο\u03c2"},
		{"sigma before letter", "ΣΑ", "σα"},
		{"lone sigma", "Σ", "σ"},
		// "'" is case-ignorable, so the sigma is followed by the cased Α.
		{"sigma apostrophe letter", "ΑΣ'Α", "ασ'α"},
		{"sigma before period", "ΑΣ.", "α\u03c2."},
		{"dotted capital i", "İstanbul", "i\u0307stanbul"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := pyLower(tt.in); got != tt.want {
				t.Errorf("pyLower(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The set is Python's str.isspace() over all code points (CPython 3.11, Unicode 14).
func TestIsPySpace(t *testing.T) {
	t.Parallel()
	want := map[rune]bool{}
	for _, r := range []rune{0x9, 0xa, 0xb, 0xc, 0xd, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
		0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000} {
		want[r] = true
	}
	for r := rune(0); r <= 0x10ffff; r++ {
		if got := isPySpace(r); got != want[r] {
			t.Errorf("isPySpace(%U) = %v, want %v", r, got, want[r])
		}
	}
}

// pySpaceAt reads the same set as isPySpace from UTF-8 bytes, at the end of a string
// and before more text.
func TestPySpaceAtAgreesWithIsPySpace(t *testing.T) {
	t.Parallel()
	for r := rune(0); r <= 0x10ffff; r++ {
		if !utf8.ValidRune(r) {
			continue
		}
		want := 0
		if isPySpace(r) {
			want = utf8.RuneLen(r)
		}
		for _, s := range []string{string(r), string(r) + "x"} {
			if got := pySpaceAt(s, 0); got != want {
				t.Fatalf("pySpaceAt(%q, 0) = %d, want %d", s, got, want)
			}
			if got := pySpaceAt([]byte(s), 0); got != want {
				t.Fatalf("pySpaceAt([]byte(%q), 0) = %d, want %d", s, got, want)
			}
		}
	}
}
