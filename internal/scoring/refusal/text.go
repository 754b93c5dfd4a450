package refusal

import (
	"sort"
	"strings"
)

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// sentences splits s into trimmed, non-empty sentences: a sentence ends at a line
// break, or at '.', '!' or '?' (with any closing quotes or brackets) followed by
// white space or the end of the text.
func sentences(s string) []span {
	var out []span
	add := func(a, b int) {
		for a < b && isSpace(s[a]) {
			a++
		}
		for b > a && isSpace(s[b-1]) {
			b--
		}
		if a < b {
			out = append(out, span{a, b})
		}
	}
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			add(start, i)
			start = i + 1
			continue
		}
		if c != '.' && c != '!' && c != '?' {
			continue
		}
		j := i + 1
		for j < len(s) {
			if strings.ContainsRune(`.!?"')]`, rune(s[j])) {
				j++
				continue
			}
			if strings.HasPrefix(s[j:], "\u201d") {
				j += len("\u201d")
				continue
			}
			break
		}
		if j == len(s) || isSpace(s[j]) {
			add(start, j)
			start = j
			i = j - 1
		}
	}
	add(start, len(s))
	return out
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// maxQuote bounds how far a quotation may run before its closing mark; an opening
// mark without a close within that distance (or before a blank line) is not a quote.
const maxQuote = 1200

// speakerEnd returns the offset just past the speaker label when line (a line
// without its newline) is a scripted-dialogue line such as "JOHN: ...": optional
// indentation, an upper-case name of 2 to 32 characters (A-Z, 0-9, space, . ' -)
// starting with a letter and ending with a letter or digit, a colon and a space or
// tab. It returns -1 otherwise.
func speakerEnd(line string) int {
	i := 0
	for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
		i++
	}
	if i == len(line) || line[i] < 'A' || line[i] > 'Z' {
		return -1
	}
	start := i
	for i < len(line) && i-start < 32 {
		c := line[i]
		if c == ':' {
			break
		}
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ' ' || c == '.' || c == '\'' || c == '-') {
			return -1
		}
		i++
	}
	if i-start < 2 || i+1 >= len(line) || line[i] != ':' || line[i+1] != ' ' && line[i+1] != '\t' {
		return -1
	}
	if last := line[i-1]; !(last >= 'A' && last <= 'Z' || last >= '0' && last <= '9') {
		return -1
	}
	return i + 2
}

// quoteSpans returns the parts of s that are reported speech or code: fenced and
// inline code, text between double quotes (straight or typographic), text between
// single quotes used as quotation marks (not apostrophes), and the lines of a
// scripted dialogue. Refusal cues inside them are somebody else's words.
func quoteSpans(s string) []span {
	var dialogue []span
	for at := 0; at < len(s); {
		end := strings.IndexByte(s[at:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += at
		}
		if k := speakerEnd(s[at:end]); k >= 0 {
			dialogue = append(dialogue, span{at + k, end})
		}
		at = end + 1
	}
	// The scan appends spans in order and jumps past each, so out is sorted and
	// free of overlaps.
	var out []span
	next := 0 // the first dialogue span not yet passed
	for i := 0; i < len(s); {
		for next < len(dialogue) && dialogue[next].end <= i {
			next++
		}
		if next < len(dialogue) && dialogue[next].start <= i {
			out = append(out, span{i, dialogue[next].end})
			i = dialogue[next].end
			continue
		}
		if c := s[i]; c != '`' && c != '"' && c != '\'' && c != "\u201c"[0] {
			i++ // no quotation opens here
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "```"):
			end := strings.Index(s[i+3:], "```")
			if end < 0 {
				return append(out, span{i, len(s)})
			}
			stop := i + 3 + end + 3
			out = append(out, span{i, stop})
			i = stop
			continue
		case s[i] == '`':
			if stop, ok := closing(s, i+1, "`", true); ok {
				out = append(out, span{i, stop})
				i = stop
				continue
			}
		case s[i] == '"':
			if stop, ok := closing(s, i+1, `"`, false); ok {
				out = append(out, span{i, stop})
				i = stop
				continue
			}
		case strings.HasPrefix(s[i:], "\u201c"):
			if stop, ok := closing(s, i+len("\u201c"), "\u201d", false); ok {
				out = append(out, span{i, stop})
				i = stop
				continue
			}
		case s[i] == '\'' && (i == 0 || !isWordByte(s[i-1])) && i+1 < len(s) && isWordByte(s[i+1]):
			if stop, ok := closingSingle(s, i+1); ok {
				out = append(out, span{i, stop})
				i = stop
				continue
			}
		}
		i++
	}
	return out
}

// closing finds mark after from, within maxQuote bytes and before a blank line (or
// any line break when oneLine), and returns the offset just past it.
func closing(s string, from int, mark string, oneLine bool) (int, bool) {
	limit := min(len(s), from+maxQuote)
	rest := s[from:limit]
	stopAt := strings.Index(rest, "\n\n")
	if oneLine {
		stopAt = strings.IndexByte(rest, '\n')
	}
	if stopAt >= 0 {
		rest = rest[:stopAt]
	}
	k := strings.Index(rest, mark)
	if k < 0 {
		return 0, false
	}
	return from + k + len(mark), true
}

// closingSingle finds the single quote that closes a quotation opened before from:
// one that follows a non-space and is not followed by a letter or digit (so the
// apostrophes of "can't" and "it's" do not close it).
func closingSingle(s string, from int) (int, bool) {
	limit := min(len(s), from+maxQuote)
	for j := from; j < limit; j++ {
		if s[j] == '\n' && j+1 < len(s) && s[j+1] == '\n' {
			return 0, false
		}
		if s[j] == '\'' && !isSpace(s[j-1]) && (j+1 == len(s) || !isWordByte(s[j+1])) {
			return j + 1, true
		}
	}
	return 0, false
}

// inSpans reports whether at falls in one of spans, which must be sorted by start and
// must not overlap.
func inSpans(spans []span, at int) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].end > at })
	return i < len(spans) && spans[i].start <= at
}

func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		w := isWordByte(s[i])
		if w && !in {
			n++
		}
		in = w
	}
	return n
}
