// Package truncation holds the truncation scorer: whether a response stops before it
// is finished — mid-sentence, mid-list, inside a code block, on a colon that
// announces what never comes, or in the middle of a line it was repeating — as
// outputs cut off by a token limit, or degenerate ones, do.
package truncation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/textnorm"
)

// Kinds of truncation, as reported in details.
const (
	KindCodeBlock  = "code_block" // a fenced code block that is never closed
	KindColon      = "colon"      // ends on a colon: announced content never comes
	KindOpen       = "open"       // ends on a comma, an opening bracket or quote, or a word that needs more
	KindSentence   = "sentence"   // the last sentence has no end, while the others have
	KindList       = "list"       // the last list item has no end, while the other items have
	KindRepetition = "repetition" // a line repeated until the output stops in the middle of it
	KindEllipsis   = "ellipsis"   // stops at "..." where the answer should be
	kindNone       = "none"
)

var allKinds = []string{KindCodeBlock, KindColon, KindOpen, KindSentence, KindList, KindRepetition, KindEllipsis}

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "kinds": {
      "description": "Kinds of truncation to report; all when omitted.",
      "type": "array", "minItems": 1, "uniqueItems": true,
      "items": {"enum": ["code_block", "colon", "open", "sentence", "list", "repetition", "ellipsis"]}
    }
  }
}`

// Truncation describes the truncation scorer. Its value is 1 when the response is
// cut off and 0 otherwise (lower is better).
//
// The response is prepared with textnorm (typographic quotes as ASCII, white space
// collapsed) and trailing white space is dropped; an empty response is not
// truncated. In order, it is truncated when
//
//   - code_block: it holds an odd number of fence lines (``` or ~~~), so the last
//     code block is never closed;
//   - repetition: its last line is a strict prefix of the line before it (a loop
//     that stopped mid-line: "- Veggie platters" then "- Veggie");
//   - colon: it ends with ':' — it announces content that never comes;
//   - ellipsis: it ends with "..." or "…" after a space or a word that needs more
//     ("the address is ...");
//   - open: it ends with ',', '(', '[', '{', an opening quote, '-' or '/', or with a
//     word that cannot end a sentence (and, or, the, a, to, of, with, if, because,
//     your, ... — the list is in needsMore);
//   - list: its last line is a list item ("- ", "* ", "• ", "1. ", "1) ") without
//     final punctuation while at least two earlier items of the list end with it;
//   - sentence: its last line is prose of at least three words without final
//     punctuation (. ! ? ; a closing quote or bracket, '*', '`', '%', a digit-free
//     symbol such as an emoji, CJK full stops), and the text before it ends at least
//     two sentences with punctuation (so a one-line answer, a title, a name or a
//     list without punctuation is complete as it is). A last line that is a URL, a
//     hashtag, a signature under a line ending with ',' ("Best regards,\nAnna"), or
//     a line of a list whose items never end with punctuation, is complete.
//
// Details: "truncated" (bool), "kind" (one of the above, or "none"), and "tail":
// the last line, up to 80 bytes, with its byte offsets in the response
// {"text", "start", "end"}.
func Truncation() scoring.Type {
	return scoring.Type{
		Name:         "truncation",
		Description:  "Detects a response that stops before it is finished: mid-sentence, mid-list, inside an unclosed code block, on a colon, or mid-line in a loop; value 1 when truncated.",
		ParamsSchema: json.RawMessage(paramsSchema),
		Better:       scoring.LowerIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p struct {
				Kinds []string `json:"kinds"`
			}
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			enabled := map[string]bool{}
			if len(p.Kinds) == 0 {
				p.Kinds = allKinds
			}
			for i, k := range p.Kinds {
				if !contains(allKinds, k) {
					return nil, domain.Invalid(fmt.Sprintf("kinds[%d]", i), "unknown kind %q", k)
				}
				enabled[k] = true
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				return result(it.Response, enabled), nil
			}), nil
		},
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Span is a part of the response with its byte offsets.
type Span struct {
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

func result(response string, enabled map[string]bool) scoring.Result {
	kind, tail := Detect(response)
	truncated := kind != kindNone && enabled[kind]
	details := map[string]any{"truncated": truncated, "kind": kindNone, "tail": tail}
	value := 0.0
	if truncated {
		value = 1
		details["kind"] = kind
	}
	return scoring.Result{Value: value, Details: details}
}

// Detect applies the rules of Truncation to text and returns the kind of
// truncation ("none" when it is complete) and its last line.
func Detect(text string) (string, *Span) {
	n := textnorm.New(text)
	s := strings.TrimRight(n.Folded, " \n")
	if s == "" {
		return kindNone, nil
	}
	lineStart := strings.LastIndexByte(s, '\n') + 1
	last := s[lineStart:]
	from := lineStart
	if len(last) > 80 {
		from = len(s) - 80
		for from < len(s) && !utf8.RuneStart(s[from]) {
			from++
		}
	}
	os, oe := n.Span(from, len(s))
	tail := &Span{Text: text[os:oe], Start: os, End: oe}
	return kindOf(s, lineStart), tail
}

func kindOf(s string, lineStart int) string {
	lines := strings.Split(s, "\n")
	if fences(lines)%2 == 1 {
		return KindCodeBlock
	}
	last := strings.TrimSpace(s[lineStart:])
	if len(lines) >= 2 {
		prev := strings.TrimSpace(lines[len(lines)-2])
		if prev == "" && len(lines) >= 3 {
			prev = strings.TrimSpace(lines[len(lines)-3])
		}
		if len(last) < len(prev) && strings.HasPrefix(prev, last) && strings.ContainsRune(last, ' ') {
			return KindRepetition
		}
	}
	if sameEnding(lines) {
		return kindNone // a form, a list of labels or of sign-offs: every line ends alike
	}
	switch {
	case strings.HasSuffix(last, ":"):
		return KindColon
	case strings.HasSuffix(last, "...") || strings.HasSuffix(last, "…"):
		body := strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(last, "..."), "…"), ".")
		if strings.HasSuffix(body, " ") || needsMore[lastWord(body)] {
			return KindEllipsis
		}
		return kindNone
	}
	if isURL(last) || strings.HasPrefix(lastField(last), "#") {
		return kindNone
	}
	r, _ := utf8.DecodeLastRuneInString(last)
	if strings.ContainsRune(",([{-", r) || needsMore[lastWord(last)] && !ended(last) || cutContraction(last) {
		return KindOpen
	}
	if ended(last) {
		return kindNone
	}
	if isListItem(last) {
		if items, ends := listEnds(lines[:len(lines)-1]); ends >= 2 && 2*ends > items {
			return KindList
		}
		return kindNone
	}
	if len(lines) >= 2 && strings.HasSuffix(strings.TrimSpace(lines[len(lines)-2]), ",") && len(strings.Fields(last)) <= 4 {
		return kindNone // a signature
	}
	if len(strings.Fields(last)) >= 3 && sentenceEnds(s[:lineStart]+lastSentencesBefore(last)) >= 2 {
		return KindSentence
	}
	return kindNone
}

// lastSentencesBefore returns the part of the last line before its last sentence,
// so that "A. B. C" counts the two ended sentences of its own line.
func lastSentencesBefore(last string) string {
	for i := len(last) - 1; i > 0; i-- {
		if (last[i-1] == '.' || last[i-1] == '!' || last[i-1] == '?') && last[i] == ' ' {
			return last[:i]
		}
	}
	return ""
}

// fences counts the lines that open or close a fenced code block.
func fences(lines []string) int {
	n := 0
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "```") || strings.HasPrefix(l, "~~~") {
			n++
		}
	}
	return n
}

// needsMore holds words that cannot end a sentence.
var needsMore = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`and or but nor so yet the a an to of in on at by for with from into onto than that
		if because although though while whereas which who whom whose as like such your my our their his her its these those
		this is are was were be been being will would can could should shall may might must has have had do does did not
		very more most about between through during before after since until unless whether when where how what why
		i we you they he she it's you're they're we're i'm`) {
		m[w] = true
	}
	return m
}()

func lastWord(s string) string {
	f := lastField(s)
	return strings.ToLower(strings.TrimRightFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }))
}

func lastField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}

// ended reports whether line ends as a finished sentence or item does.
func ended(line string) bool {
	r, _ := utf8.DecodeLastRuneInString(line)
	switch {
	case strings.ContainsRune(".!?;)]}\"'*`%>|", r):
		return true
	case r == '。' || r == '！' || r == '？' || r == '」' || r == '』' || r == '）':
		return true
	case r >= utf8.RuneSelf && !unicode.IsLetter(r) && !unicode.IsDigit(r):
		return true // an emoji or another symbol
	case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
		return true // scripts that often end lines without a mark
	}
	return false
}

func isURL(line string) bool {
	f := lastField(line)
	return strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") || strings.HasPrefix(f, "www.")
}

// isListItem reports whether line starts with a list marker.
func isListItem(line string) bool {
	line = strings.TrimSpace(line)
	for _, m := range []string{"- ", "* ", "• ", "+ "} {
		if strings.HasPrefix(line, m) {
			return true
		}
	}
	i := 0
	for i < len(line) && i < 3 && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	return i > 0 && i+1 < len(line) && (line[i] == '.' || line[i] == ')') && line[i+1] == ' '
}

// listEnds counts the items of the list that lines end with (its last run of list
// items, blank lines allowed) and how many of them end with final punctuation.
func listEnds(lines []string) (items, ends int) {
	for i := len(lines) - 1; i >= 0; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if !isListItem(l) {
			break
		}
		items++
		if ended(l) {
			ends++
		}
	}
	return items, ends
}

// sameEnding reports whether the last line ends with ':' or ',' and at least two of
// the three non-blank lines before it end with the same mark.
func sameEnding(lines []string) bool {
	last := strings.TrimSpace(lines[len(lines)-1])
	mark := last[len(last)-1]
	if mark != ':' && mark != ',' {
		return false
	}
	seen, same := 0, 0
	for i := len(lines) - 2; i >= 0 && seen < 3; i-- {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		seen++
		if l[len(l)-1] == mark {
			same++
		}
	}
	return same >= 2
}

// cutContraction reports whether line ends with a word cut at its apostrophe ("what
// you'") rather than with a closing quote: no quote opens earlier on the line.
func cutContraction(line string) bool {
	if !strings.HasSuffix(line, "'") || len(line) < 2 || !unicode.IsLetter(rune(line[len(line)-2])) {
		return false
	}
	for i := 0; i < len(line)-1; i++ {
		if line[i] == '\'' && (i == 0 || line[i-1] == ' ' || line[i-1] == '(' || line[i-1] == '"') {
			return false
		}
	}
	return true
}

// sentenceEnds counts the sentence ends in s: '.', '!' or '?' followed by white
// space or the end.
func sentenceEnds(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c == '.' || c == '!' || c == '?') && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\n') {
			n++
		}
	}
	return n
}
