package assertion

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// maxShown bounds, in code points, the pieces of text that details echo back.
const maxShown = 200

// fold applies full Unicode case folding, the comparison used when case_sensitive is
// false: "STRASSE" and "straße" fold alike. ASCII text, where folding is lowercasing
// A-Z, takes a fast path. A Caser keeps state, so each call makes its own and
// scorers stay safe for concurrent use.
func fold(s string) string {
	upper := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return cases.Fold().String(s)
		}
		upper = upper || ('A' <= c && c <= 'Z')
	}
	if !upper {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// excerpt makes s safe and short enough to echo in details: invalid UTF-8 and NUL
// (which PostgreSQL's jsonb refuses) become U+FFFD, and text beyond maxShown code
// points is cut and marked with "…".
func excerpt(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	n := 0
	for i := range s {
		if n == maxShown {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// prefixRunes returns the first n code points of s (all of s when shorter).
func prefixRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// runeOffset converts a byte offset in s to a code point offset, counting each
// invalid UTF-8 byte as one, like the length scorer.
func runeOffset(s string, byteOff int) int { return utf8.RuneCountInString(s[:byteOff]) }

// verdict is the result of an assertion: Value 1 and Passed true when ok, else 0 and false.
func verdict(ok bool, details map[string]any) scoring.Result {
	v := 0.0
	if ok {
		v = 1
	}
	return scoring.Result{Value: v, Passed: &ok, Details: details}
}

// boolOr returns *b, or def when b is nil.
func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}
