package squad

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// pyLower is Python 3's str.lower(): each character's full lowercase mapping, which
// differs from the simple one (unicode.ToLower) only for U+0130 LATIN CAPITAL LETTER
// I WITH DOT ABOVE → "i" + U+0307, and U+03A3 GREEK CAPITAL LETTER SIGMA → final ς
// when it ends a word in the sense of Unicode's Final_Sigma condition: preceded by a
// cased letter and not followed by one, case-ignorable characters skipped on both
// sides. (golang.org/x/text/cases.Lower implements the same mapping but misses final
// sigma near its internal 128-byte chunk boundaries, so it is not used.)
func pyLower(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if r >= 'A' && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
		case r == '\u0130':
			b.WriteString("i\u0307")
		case r == 'Σ':
			if finalSigma(s, i) {
				b.WriteRune('ς')
			} else {
				b.WriteRune('σ')
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the sigma at byte i of s is word-final: the nearest
// character before it that is not case-ignorable is cased, and the nearest after it
// that is not case-ignorable is not cased (or there is none).
func finalSigma(s string, i int) bool {
	before := false
	for j := i; j > 0; {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if !caseIgnorable(r) {
			before = cased(r)
			break
		}
	}
	if !before {
		return false
	}
	for j := i + len("Σ"); j < len(s); {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if !caseIgnorable(r) {
			return !cased(r)
		}
	}
	return true
}

// cased is Unicode's Cased property: Lowercase, Uppercase or Lt.
func cased(r rune) bool {
	return unicode.IsLower(r) || unicode.IsUpper(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// caseIgnorable is Unicode's Case_Ignorable property: categories Mn, Me, Cf, Lm, Sk,
// and the Word_Break values MidLetter, MidNumLet and Single_Quote.
func caseIgnorable(r rune) bool {
	switch r {
	case '\'', '.', ':', '\u00B7', '\u0387', '\u055F', '\u05F4', '\u2018', '\u2019', '\u2024',
		'\u2027', '\uFE13', '\uFE52', '\uFE55', '\uFF07', '\uFF0E', '\uFF1A':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
