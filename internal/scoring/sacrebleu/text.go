package sacrebleu

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// validUTF8 returns s with every byte that is not part of valid UTF-8 replaced by
// U+FFFD, the reading Go's range loop gives, so that a string is a sequence of code
// points as in Python.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return string([]rune(s))
}

// isPySpace reports whether Python's str.isspace() holds for r, which is what
// str.split() and str.rstrip() without arguments use: \t \n \v \f \r, the separators
// U+001C..U+001F, space, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
// U+202F, U+205F and U+3000. Go's unicode.IsSpace lacks U+001C..U+001F.
func isPySpace(r rune) bool {
	if r < utf8.RuneSelf {
		return asciiPySpace(byte(r))
	}
	if r < 0x85 {
		return false
	}
	switch r {
	case 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

// pySpaceAt returns the length in bytes of the Python whitespace character (see
// isPySpace) that valid UTF-8 s has at byte i, or 0 when it has another character
// there. It reads bytes, not runes: of the non-ASCII spaces, U+0085 and U+00A0 begin
// with 0xc2, U+1680 with 0xe1, U+2000..U+200A, U+2028, U+2029, U+202F and U+205F
// with 0xe2, and U+3000 with 0xe3.
func pySpaceAt[T string | []byte](s T, i int) int {
	c := s[i]
	if c < utf8.RuneSelf {
		if asciiPySpace(c) {
			return 1
		}
		return 0
	}
	if c < 0xc2 || c > 0xe3 || i+1 >= len(s) {
		return 0
	}
	c1 := s[i+1]
	if c == 0xc2 {
		if c1 == 0x85 || c1 == 0xa0 {
			return 2
		}
		return 0
	}
	if i+2 >= len(s) {
		return 0
	}
	c2 := s[i+2]
	switch {
	case c == 0xe1 && c1 == 0x9a && c2 == 0x80,
		c == 0xe2 && c1 == 0x80 && (c2 <= 0x8a || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf),
		c == 0xe2 && c1 == 0x81 && c2 == 0x9f,
		c == 0xe3 && c1 == 0x80 && c2 == 0x80:
		return 3
	}
	return 0
}

// nextField returns the bounds of the first field of valid UTF-8 s at or after byte
// i, fields being what Python's str.split() splits s into; start is len(s) when
// there is none.
func nextField[T string | []byte](s T, i int) (start, end int) {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !asciiPySpace(c) {
				break
			}
			i++
		} else if n := pySpaceAt(s, i); n > 0 {
			i += n
		} else {
			break
		}
	}
	start = i
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if asciiPySpace(c) {
				break
			}
		} else if c >= 0xc2 && c <= 0xe3 && pySpaceAt(s, i) > 0 {
			break
		}
		// No byte inside a multi-byte character begins a space.
		i++
	}
	return start, i
}

// asciiPySpace reports whether the ASCII character c is Python whitespace.
func asciiPySpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
}

// pyFields splits valid UTF-8 s as Python's s.split() does.
func pyFields(s string) []string {
	return appendFields(make([]string, 0, len(s)/6+1), s)
}

// appendFields appends the fields of valid UTF-8 s, as pyFields splits them, to dst.
func appendFields(dst []string, s string) []string {
	for i := 0; ; {
		start, end := nextField(s, i)
		if start == len(s) {
			return dst
		}
		dst = append(dst, s[start:end])
		i = end
	}
}

// pyRStrip trims s as Python's s.rstrip() does.
func pyRStrip(s string) string { return strings.TrimRightFunc(s, isPySpace) }

// pyLower lowercases s as Python's str.lower() does: the simple lowercase mapping of
// each code point, except that U+0130 (İ) becomes "i\u0307" and U+03A3 (Σ) becomes
// final sigma ς when a cased letter precedes it and none follows it, case-ignorable
// characters skipped on both sides (CPython's handle_capital_sigma).
func pyLower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i, r := range rs {
		switch r {
		case 0x130:
			b.WriteString("i\u0307")
		case 0x3a3:
			if finalSigma(rs, i) {
				b.WriteRune(0x3c2)
			} else {
				b.WriteRune(0x3c3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma reports whether the capital sigma at rs[i] is in the Final_Sigma context
// of the Unicode standard: \p{cased} \p{case-ignorable}* Σ !(\p{case-ignorable}* \p{cased}).
func finalSigma(rs []rune, i int) bool {
	j := i - 1
	for j >= 0 && isCaseIgnorable(rs[j]) {
		j--
	}
	if j < 0 || !isCased(rs[j]) {
		return false
	}
	j = i + 1
	for j < len(rs) && isCaseIgnorable(rs[j]) {
		j++
	}
	return j == len(rs) || !isCased(rs[j])
}

// isCased is the Unicode derived property Cased: Lu, Ll, Lt, Other_Lowercase and
// Other_Uppercase.
func isCased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r) ||
		unicode.Is(unicode.Other_Lowercase, r) || unicode.Is(unicode.Other_Uppercase, r)
}

// isCaseIgnorable is the Unicode derived property Case_Ignorable: Mn, Me, Cf, Lm, Sk,
// and the Word_Break classes MidLetter, MidNumLet and Single_Quote.
func isCaseIgnorable(r rune) bool {
	switch r {
	case 0x27, 0x2e, 0x3a, 0xb7, 0x387, 0x55f, 0x5f4, 0x2018, 0x2019, 0x2024, 0x2027,
		0xfe13, 0xfe52, 0xfe55, 0xff07, 0xff0e, 0xff1a:
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk)
}
