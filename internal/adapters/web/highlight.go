package web

import (
	"regexp"
	"sort"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Segment is a run of text, marked or not. Templates print Text escaped inside a
// <mark> when Mark is set: highlighting never builds HTML from the text.
type Segment struct {
	Text  string
	Mark  string // "", "pii", "refusal", "del" or "ins"
	Label string
}

// span is a marked byte range of a text.
type span struct {
	start, end int
	mark       string
	label      string
}

// spansOf reads the character spans scorers report in their details: the PII
// scorer's findings and the refusal scorer's matched cue, as byte offsets into the
// response. Spans that do not fit the text are dropped.
func spansOf(text string, scores []domain.Score) []span {
	var out []span
	add := func(m map[string]any, mark, label string) {
		start, ok1 := m["start"].(float64)
		end, ok2 := m["end"].(float64)
		if !ok1 || !ok2 {
			return
		}
		s, e := int(start), int(end)
		if s < 0 || e > len(text) || s >= e || float64(s) != start || float64(e) != end {
			return
		}
		if (s < len(text) && !utf8.RuneStart(text[s])) || (e < len(text) && !utf8.RuneStart(text[e])) {
			return
		}
		out = append(out, span{start: s, end: e, mark: mark, label: label})
	}
	for _, sc := range scores {
		if fs, ok := sc.Details["findings"].([]any); ok {
			for _, f := range fs {
				if m, ok := f.(map[string]any); ok {
					kind, _ := m["type"].(string)
					add(m, "pii", sc.Scorer+": "+kind)
				}
			}
		}
		if m, ok := sc.Details["matched"].(map[string]any); ok {
			cat, _ := sc.Details["category"].(string)
			label := sc.Scorer + ": refusal cue"
			if cat != "" {
				label += " (" + cat + ")"
			}
			add(m, "refusal", label)
		}
	}
	return out
}

// segments splits text at the spans; overlapping spans keep the earlier one.
func segments(text string, spans []span) []Segment {
	sort.SliceStable(spans, func(i, j int) bool { return spans[i].start < spans[j].start })
	var out []Segment
	pos := 0
	for _, s := range spans {
		if s.start < pos {
			continue
		}
		if s.start > pos {
			out = append(out, Segment{Text: text[pos:s.start]})
		}
		out = append(out, Segment{Text: text[s.start:s.end], Mark: s.mark, Label: s.label})
		pos = s.end
	}
	if pos < len(text) {
		out = append(out, Segment{Text: text[pos:]})
	}
	return out
}

var tokenRE = regexp.MustCompile(`\s+|[^\s]+`)

// maxDiffCells bounds the word diff's table (words of a × words of b); longer
// texts are shown without it.
const maxDiffCells = 4_000_000

// wordDiff marks the words of a missing from b ("del") and those of b missing
// from a ("ins"), by a longest common subsequence of whitespace-separated words.
// ok is false when the texts are too long to diff.
func wordDiff(a, b string) (sa, sb []Segment, ok bool) {
	ta, tb := tokenRE.FindAllString(a, -1), tokenRE.FindAllString(b, -1)
	n, m := len(ta), len(tb)
	if n*m > maxDiffCells {
		return []Segment{{Text: a}}, []Segment{{Text: b}}, false
	}
	// lcs[i][j] is the LCS length of ta[i:] and tb[j:], in one flat slice.
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			switch {
			case ta[i] == tb[j]:
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
				lcs[i*w+j] = lcs[(i+1)*w+j]
			default:
				lcs[i*w+j] = lcs[i*w+j+1]
			}
		}
	}
	var ba, bb segmentBuilder
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && ta[i] == tb[j]:
			ba.add(ta[i], "")
			bb.add(tb[j], "")
			i, j = i+1, j+1
		case j == m || (i < n && lcs[(i+1)*w+j] >= lcs[i*w+j+1]):
			ba.add(ta[i], "del")
			i++
		default:
			bb.add(tb[j], "ins")
			j++
		}
	}
	return ba.done(), bb.done(), true
}

// segmentBuilder joins tokens into segments. Whitespace takes the mark of the
// words on both sides when they share it, so a changed phrase is one mark.
type segmentBuilder struct {
	out   []Segment
	space string // whitespace not yet placed
}

func (b *segmentBuilder) add(text, mark string) {
	if isSpace(text) {
		b.space += text
		return
	}
	k := len(b.out) - 1
	switch {
	case k >= 0 && b.out[k].Mark == mark:
		b.out[k].Text += b.space + text
	case mark == "":
		b.out = append(b.out, Segment{Text: b.space + text})
	case k >= 0 && b.out[k].Mark == "":
		b.out[k].Text += b.space
		b.out = append(b.out, Segment{Text: text, Mark: mark})
	default:
		if b.space != "" {
			b.out = append(b.out, Segment{Text: b.space})
		}
		b.out = append(b.out, Segment{Text: text, Mark: mark})
	}
	b.space = ""
}

func (b *segmentBuilder) done() []Segment {
	if b.space != "" {
		if k := len(b.out) - 1; k >= 0 && b.out[k].Mark == "" {
			b.out[k].Text += b.space
		} else {
			b.out = append(b.out, Segment{Text: b.space})
		}
	}
	return b.out
}

func isSpace(s string) bool {
	for _, r := range s {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' && r != '\f' && r != '\v' {
			return false
		}
	}
	return true
}
