// Package echo holds the prompt_echo scorer: whether a response repeats the prompt,
// or a large part of it, instead of answering — a failure of weak or over-optimised
// policies, which copy the question back, or their own previous turn in a dialogue.
package echo

import (
	"context"
	"encoding/json"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/textnorm"
)

// Defaults of the params.
const (
	DefaultMinWords      = 4
	DefaultResponseShare = 0.8
	DefaultPromptShare   = 0.8
)

// halfPrompt is the share of the prompt that a response made mostly of one copy must
// repeat: a short answer that reuses a phrase of a long prompt ("The value of f(2)
// is 11.") is not an echo.
const halfPrompt = 0.5

// maxWords bounds the words of each text compared: the longest common run is found
// by dynamic programming in time proportional to the product of the two lengths.
const maxWords = 1500

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "min_words": {
      "description": "Fewest words a copied run must have (default 4).",
      "type": "integer", "minimum": 1, "maximum": 1000
    },
    "response_share": {
      "description": "Share of the response's words in copies of the run at or above which the response is an echo (default 0.8).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1
    },
    "prompt_share": {
      "description": "Share of the prompt's words that a run standing as whole sentences of the response must cover to be an echo (default 0.8).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1
    },
    "context": {
      "description": "Also look for copies of the earlier turns of the conversation (default true).",
      "type": "boolean"
    }
  }
}`

type params struct {
	MinWords      *int     `json:"min_words"`
	ResponseShare *float64 `json:"response_share"`
	PromptShare   *float64 `json:"prompt_share"`
	Context       *bool    `json:"context"`
}

// Detector finds echoes. It is safe for concurrent use.
type Detector struct {
	MinWords      int
	ResponseShare float64
	PromptShare   float64
	Context       bool
}

// NewDetector returns a detector with the default params.
func NewDetector() *Detector {
	return &Detector{MinWords: DefaultMinWords, ResponseShare: DefaultResponseShare, PromptShare: DefaultPromptShare, Context: true}
}

// PromptEcho describes the prompt_echo scorer. Texts are prepared with textnorm and
// split into words (runs of letters and digits, with inner apostrophes); runs of
// words are compared exactly.
//
// For the prompt, and with context (the default) for each earlier turn of the
// conversation, the scorer finds the longest run of words that the response and
// that text share, and the run's copies in the response. The response echoes the
// text when the run has at least min_words words (default 4) and either
//
//   - its copies make up at least response_share (default 0.8) of the response's
//     words, and the run covers at least half of the text or is copied three times
//     or more: the response is mostly the prompt, once or over and over; or
//   - it covers at least prompt_share (default 0.8) of the text's words and stands
//     in the response as whole sentences or lines (a sentence or line starts where
//     it starts and ends where it ends): the question copied back on its own
//     before, or instead of, an answer.
//
// An answer that restates the question inside its own sentence ("The best way to
// form a habit is ...", "Here is a list of snacks for game day:") is not an echo,
// nor is an edited version of a text the task asked to rewrite, whose edits break
// the run.
//
// Value is the share of the response's words in copies of the run (0 to 1, lower
// is better), for the text it echoes or else the text it copies most from.
// Details: "echo" (bool), "response_share", "prompt_share" (the run's words over
// the text's), "words" (the run's length), "source" ("prompt" or "context[i]"),
// "matched" (the run's first copy in the response, {"text", "start", "end"}, null
// when nothing is shared).
func PromptEcho() scoring.Type {
	return scoring.Type{
		Name:         "prompt_echo",
		Description:  "Detects a response that repeats the prompt, or a large part of it, or an earlier turn of the conversation, instead of answering; value is the share of the response that is copied.",
		ParamsSchema: json.RawMessage(paramsSchema),
		Better:       scoring.LowerIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p params
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			d := NewDetector()
			if p.MinWords != nil {
				d.MinWords = *p.MinWords
			}
			if p.ResponseShare != nil {
				d.ResponseShare = *p.ResponseShare
			}
			if p.PromptShare != nil {
				d.PromptShare = *p.PromptShare
			}
			if p.Context != nil {
				d.Context = *p.Context
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				return d.result(it), nil
			}), nil
		},
	}
}

// Span is a part of the response with its byte offsets.
type Span struct {
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Verdict is the detector's finding for one response.
type Verdict struct {
	Echo          bool
	ResponseShare float64
	PromptShare   float64
	Words         int
	Source        string
	Matched       *Span
}

func (d *Detector) result(it scoring.Item) scoring.Result {
	sources := []source{{"prompt", it.Prompt}}
	if d.Context {
		for i, m := range it.Context {
			sources = append(sources, source{contextName(i), m.Content})
		}
	}
	v := d.detect(it.Response, sources)
	details := map[string]any{"echo": v.Echo, "response_share": v.ResponseShare, "prompt_share": v.PromptShare,
		"words": v.Words, "source": v.Source, "matched": nil}
	if v.Matched != nil {
		details["matched"] = *v.Matched
	}
	return scoring.Result{Value: v.ResponseShare, Details: details}
}

func contextName(i int) string {
	b := []byte("context[")
	b = appendInt(b, i)
	return string(append(b, ']'))
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

type source struct{ name, text string }

// Detect applies the rules of PromptEcho to a response and a prompt.
func (d *Detector) Detect(response, prompt string) Verdict {
	return d.detect(response, []source{{"prompt", prompt}})
}

func (d *Detector) detect(response string, sources []source) Verdict {
	rn := textnorm.New(response)
	rw := words(rn.Lower)
	var best Verdict
	bestRun := span{}
	for _, src := range sources {
		sn := textnorm.New(src.text)
		sw := words(sn.Lower)
		if len(sw) == 0 || len(rw) == 0 {
			continue
		}
		at, n, _ := longestRun(rn.Lower, rw, sn.Lower, sw)
		if n == 0 {
			continue
		}
		k := copies(rn.Lower, rw, at, n)
		v := Verdict{
			ResponseShare: float64(k*n) / float64(len(rw)),
			PromptShare:   float64(n) / float64(len(sw)),
			Words:         n,
			Source:        src.name,
		}
		v.Echo = n >= d.MinWords && (v.ResponseShare >= d.ResponseShare && (v.PromptShare >= halfPrompt || k >= 3) ||
			v.PromptShare >= d.PromptShare && standsAlone(rn.Lower, rw, at, n))
		if v.Echo && !best.Echo || v.Echo == best.Echo && v.ResponseShare > best.ResponseShare || best.Words == 0 {
			best = v
			bestRun = span{rw[at].start, rw[at+n-1].end}
		}
	}
	if best.Words > 0 {
		s, e := rn.Span(bestRun.start, bestRun.end)
		best.Matched = &Span{Text: response[s:e], Start: s, End: e}
	}
	return best
}

// copies counts the non-overlapping copies in a (words aw) of the run of n words
// starting at word at.
func copies(a string, aw []span, at, n int) int {
	same := func(i, j int) bool { return a[aw[i].start:aw[i].end] == a[aw[j].start:aw[j].end] }
	count := 0
	for i := 0; i+n <= len(aw); {
		k := 0
		for k < n && same(i+k, at+k) {
			k++
		}
		if k == n {
			count++
			i += n
			continue
		}
		i++
	}
	return count
}

// standsAlone reports whether the run of n words of a starting at word at begins
// and ends at sentence or line boundaries of a.
func standsAlone(a string, aw []span, at, n int) bool {
	boundary := func(gap string) bool {
		for i := 0; i < len(gap); i++ {
			if c := gap[i]; c == '.' || c == '!' || c == '?' || c == '\n' {
				return true
			}
		}
		return false
	}
	first, last := at, at+n-1
	if first > 0 && !boundary(a[aw[first-1].end:aw[first].start]) {
		// A speaker label ("Human:") before the copy leaves it standing alone.
		if gap := a[aw[first-1].end:aw[first].start]; !(first == 1 && len(gap) > 0 && gap[0] == ':') {
			return false
		}
	}
	return last == len(aw)-1 || boundary(a[aw[last].end:aw[last+1].start])
}

type span struct{ start, end int }

// words returns the byte spans of the words of s: runs of letters and digits, with
// apostrophes between letters.
func words(s string) []span {
	var out []span
	start := -1
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		in := unicode.IsLetter(r) || unicode.IsDigit(r)
		if !in && r == '\'' && start >= 0 && i+1 < len(s) {
			next, _ := utf8.DecodeRuneInString(s[i+1:])
			in = unicode.IsLetter(next)
		}
		switch {
		case in && start < 0:
			start = i
		case !in && start >= 0:
			out = append(out, span{start, i})
			start = -1
		}
		i += size
		if len(out) == maxWords {
			return out
		}
	}
	if start >= 0 {
		out = append(out, span{start, len(s)})
	}
	return out
}

// longestRun finds the longest run of words that a (words aw) and b (words bw)
// share: it starts at word at of a and word from of b and has n words.
func longestRun(a string, aw []span, b string, bw []span) (at, n, from int) {
	// Words as numbers, so that the inner loop compares integers; -1 for a word of a
	// that b lacks.
	ids := make(map[string]int32, len(bw))
	bi := make([]int32, len(bw))
	for j, w := range bw {
		id, ok := ids[b[w.start:w.end]]
		if !ok {
			id = int32(len(ids))
			ids[b[w.start:w.end]] = id
		}
		bi[j] = id
	}
	ai := make([]int32, len(aw))
	for i, w := range aw {
		id, ok := ids[a[w.start:w.end]]
		if !ok {
			id = -1
		}
		ai[i] = id
	}
	prev := make([]int, len(bw)+1)
	cur := make([]int, len(bw)+1)
	for i := range aw {
		if ai[i] < 0 {
			clear(cur)
			prev, cur = cur, prev
			continue
		}
		for j := range bw {
			if ai[i] == bi[j] {
				cur[j+1] = prev[j] + 1
				if cur[j+1] > n {
					n, at, from = cur[j+1], i+1-cur[j+1], j+1-cur[j+1]
				}
			} else {
				cur[j+1] = 0
			}
		}
		prev, cur = cur, prev
	}
	return at, n, from
}
