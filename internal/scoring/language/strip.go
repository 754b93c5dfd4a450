package language

import (
	"regexp"
	"strings"
	"unicode"
)

// urlPattern matches web addresses, which are not prose in any language.
var urlPattern = regexp.MustCompile(`(?i)\b(?:https?://|www\.)\S+`)

// stripCode removes what is not prose from a Markdown response: fenced code
// blocks (a line of three or more backticks or tildes, indented at most three
// spaces, up to a line with at least as many of the same character, or to the
// end), inline code spans (a run of backticks up to the next run of the same
// length on the remaining text) and URLs. Each removal leaves a space or line
// break, so the words around it stay apart.
func stripCode(text string) string {
	if !strings.ContainsAny(text, "`~") && !strings.Contains(text, "://") && !strings.Contains(strings.ToLower(text), "www.") {
		return text
	}
	var b strings.Builder
	var fence byte
	fenceLen := 0
	for line := range strings.Lines(text) {
		ch, n := fenceOf(line)
		switch {
		case fence == 0 && n > 0:
			fence, fenceLen = ch, n
			b.WriteByte('\n')
		case fence != 0 && ch == fence && n >= fenceLen && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), string(ch))) == "":
			fence = 0
			b.WriteByte('\n')
		case fence != 0:
			b.WriteByte('\n')
		default:
			b.WriteString(line)
		}
	}
	return urlPattern.ReplaceAllString(stripInline(b.String()), " ")
}

// fenceOf returns the fence character and length if line opens or closes a code
// fence, else 0, 0.
func fenceOf(line string) (byte, int) {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	if indent > 3 || indent == len(line) {
		return 0, 0
	}
	ch := line[indent]
	if ch != '`' && ch != '~' {
		return 0, 0
	}
	n := 0
	for indent+n < len(line) && line[indent+n] == ch {
		n++
	}
	if n < 3 {
		return 0, 0
	}
	return ch, n
}

// stripInline removes inline code spans.
func stripInline(text string) string {
	if !strings.Contains(text, "`") {
		return text
	}
	var b strings.Builder
	for i := 0; i < len(text); {
		if text[i] != '`' {
			j := strings.IndexByte(text[i:], '`')
			if j < 0 {
				j = len(text) - i
			}
			b.WriteString(text[i : i+j])
			i += j
			continue
		}
		n := ticks(text, i)
		if end := closingTicks(text, i+n, n); end >= 0 {
			b.WriteByte(' ')
			i = end
			continue
		}
		b.WriteString(text[i : i+n])
		i += n
	}
	return b.String()
}

// ticks returns the length of the backtick run at i.
func ticks(text string, i int) int {
	n := 0
	for i+n < len(text) && text[i+n] == '`' {
		n++
	}
	return n
}

// closingTicks returns the index just past the first run of exactly n backticks
// at or after from, or -1.
func closingTicks(text string, from, n int) int {
	for i := from; i < len(text); {
		j := strings.IndexByte(text[i:], '`')
		if j < 0 {
			return -1
		}
		i += j
		m := ticks(text, i)
		if m == n {
			return i + m
		}
		i += m
	}
	return -1
}

// codeChars are characters common in program text and rare in prose.
const codeChars = "{}[]()<>=;\\_&^~`"

// counts returns the number of letters in text and the share of its non-space
// characters that are codeChars (0 for text without any).
func counts(text string) (letters int, codeShare float64) {
	code, visible := 0, 0
	for _, r := range text {
		switch {
		case unicode.IsSpace(r):
			continue
		case unicode.IsLetter(r):
			letters++
		case r < 0x80 && strings.IndexByte(codeChars, byte(r)) >= 0:
			code++
		}
		visible++
	}
	if visible == 0 {
		return letters, 0
	}
	return letters, float64(code) / float64(visible)
}
