package toxicity

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// class says what part a folded character plays in tokenisation.
type class uint8

const (
	classWord    class = iota // a letter, digit or leetspeak symbol
	classJoiner               // punctuation that may sit inside an obfuscated word: f.u.c.k
	classSep                  // anything else that separates words on one line
	classNewline              // a line break; spaced-out letters never join across it
)

// unit is one folded character together with the bytes of the original text it
// came from. One original rune may fold into several units ("ﬃ" gives f, f, i).
type unit struct {
	r          rune
	start, end int32
	class      class
	letter     bool // folded from a letter (not from a digit or a symbol)
	digit      bool // folded from a digit
	sym        byte // the ASCII symbol a leetspeak unit came from ('@', '$', ...), else 0
}

// folder turns text into units. It holds the character tables only and is
// read-only after construction, so one folder serves concurrent calls.
type folder struct {
	leet    map[rune]rune // leetspeak character -> letter
	joiners map[rune]bool // punctuation removed inside a word
	// The same tables for ASCII, where most text is; 0 and false mean none.
	leetASCII   [utf8.RuneSelf]rune
	joinerASCII [utf8.RuneSelf]bool
}

// newFolder builds the tables from a replacement map in go-away's convention:
// characters mapped to ' ' are separators that go-away deletes before matching
// (here: joiners inside a word), the others are leetspeak for the letter they map to.
func newFolder(replacements map[rune]rune) *folder {
	f := &folder{leet: map[rune]rune{}, joiners: map[rune]bool{}}
	for from, to := range replacements {
		if to == ' ' {
			f.joiners[from] = true
		} else {
			f.leet[from] = unicode.ToLower(to)
		}
		if from < utf8.RuneSelf {
			f.leetASCII[from], f.joinerASCII[from] = f.leet[from], f.joiners[from]
		}
	}
	return f
}

// scratch holds buffers reused across the runes of one call.
type scratch struct {
	enc [utf8.UTFMax]byte
	dec []byte
}

// fold converts text into units:
//
//   - format characters (zero-width space and joiners, soft hyphen, bidi marks)
//     vanish without separating anything;
//   - every other rune is decomposed by NFKD (fullwidth, mathematical and circled
//     letters become plain ones), lowercased, and combining marks that follow a
//     Latin, Greek or Cyrillic letter are dropped (é -> e); marks in other scripts
//     are kept as part of the word;
//   - digits and symbols in the leetspeak table become their letter ("sh1t"),
//     and "()" becomes "o" as go-away does ("c()ck").
func (f *folder) fold(text string) []unit {
	out := make([]unit, 0, len(text))
	var s scratch
	stripMarks := false
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		start, end := int32(i), int32(i+w)
		i += w
		if r < utf8.RuneSelf {
			out = f.foldASCII(out, text, &i, r, start)
			stripMarks = out[len(out)-1].class == classWord
			continue
		}
		switch {
		case r == utf8.RuneError && w == 1:
			out = append(out, unit{r: r, start: start, end: end, class: classSep})
			stripMarks = false
		case unicode.Is(unicode.Cf, r):
			// Invisible: neither a character of the word nor a separator.
		case unicode.IsMark(r):
			if !stripMarks {
				out = append(out, unit{r: r, start: start, end: end, class: classWord, letter: true})
			} else if n := len(out); n > 0 && out[n-1].end == start {
				// The dropped mark belongs to the previous character's span.
				out[n-1].end = end
			}
		case r == '\u2028' || r == '\u2029' || r == '\u0085':
			out = append(out, unit{r: '\n', start: start, end: end, class: classNewline})
			stripMarks = false
		case f.joiners[r]:
			out = append(out, unit{r: r, start: start, end: end, class: classJoiner})
			stripMarks = false
		default:
			// Letters, numbers, and symbols that decompose into letters ("ⓑ").
			out, stripMarks = f.foldRune(out, &s, r, start, end)
		}
	}
	return out
}

func (f *folder) foldASCII(out []unit, text string, next *int, r rune, start int32) []unit {
	u := unit{start: start, end: start + 1}
	switch {
	case 'A' <= r && r <= 'Z':
		u.r, u.class, u.letter = r+'a'-'A', classWord, true
	case 'a' <= r && r <= 'z':
		u.r, u.class, u.letter = r, classWord, true
	case '0' <= r && r <= '9':
		u.r, u.class, u.digit = r, classWord, true
		if l := f.leetASCII[r]; l != 0 {
			u.r = l
		}
	case r == '(' && *next < len(text) && text[*next] == ')':
		u.r, u.class, u.sym, u.end = 'o', classWord, '(', start+2
		*next++
	case r == '\n' || r == '\r' || r == '\v' || r == '\f':
		u.r, u.class = '\n', classNewline
	default:
		if l := f.leetASCII[r]; l != 0 {
			u.r, u.class, u.sym = l, classWord, byte(r)
		} else if f.joinerASCII[r] {
			u.r, u.class = r, classJoiner
		} else {
			u.r, u.class = r, classSep
		}
	}
	return append(out, u)
}

// foldRune appends the units of one non-ASCII rune and reports whether
// combining marks that follow it are to be dropped.
func (f *folder) foldRune(out []unit, s *scratch, r rune, start, end int32) ([]unit, bool) {
	n := utf8.EncodeRune(s.enc[:], r)
	s.dec = norm.NFKD.Append(s.dec[:0], s.enc[:n]...)
	strip := false
	for j := 0; j < len(s.dec); {
		x, w := utf8.DecodeRune(s.dec[j:])
		j += w
		if j == w {
			strip = unicode.In(x, unicode.Latin, unicode.Greek, unicode.Cyrillic)
		}
		switch {
		case unicode.IsMark(x):
			if !strip {
				out = append(out, unit{r: x, start: start, end: end, class: classWord, letter: true})
			}
		case unicode.IsLetter(x):
			out = append(out, unit{r: unicode.ToLower(x), start: start, end: end, class: classWord, letter: true})
		case '0' <= x && x <= '9':
			u := unit{r: x, start: start, end: end, class: classWord, digit: true}
			if l, ok := f.leet[x]; ok {
				u.r = l
			}
			out = append(out, u)
		case unicode.IsNumber(x):
			out = append(out, unit{r: x, start: start, end: end, class: classWord, digit: true})
		case f.joiners[x]:
			out = append(out, unit{r: x, start: start, end: end, class: classJoiner})
		default:
			out = append(out, unit{r: x, start: start, end: end, class: classSep})
		}
	}
	return out, strip
}
