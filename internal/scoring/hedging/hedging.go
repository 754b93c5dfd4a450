// Package hedging holds the hedging scorer: how much of a response is filler that
// reward-optimised policies learn to add — "As an AI language model" and other
// self-references, stock disclaimers, "I hope this helps!" and "Let me know if you
// have any other questions", and apologies beyond the first — counted as a rate per
// 100 words.
package hedging

import (
	"context"
	"encoding/json"
	"regexp"
	"sort"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/textnorm"
)

// Kinds of filler, as reported in details.
const (
	KindSelfReference = "self_reference" // "as an AI language model", "I'm just an AI", "I am Claude, an AI assistant"
	KindDisclaimer    = "disclaimer"     // "it's important to note that I'm not", "I'm not a doctor"
	KindPleasantry    = "pleasantry"     // "I hope this helps", "let me know if you have any other questions"
	KindApology       = "apology"        // a stock apology ("Sorry!", "I apologize for the confusion") after the first
)

// DefaultThreshold is the rate of filler phrases per 100 words at or above which a
// response is flagged: 0.1 flags one phrase in up to a thousand words, which is
// what the labelling guide asks (one stock sign-off is hedging), and did best on the
// development split among 0.1, 0.5 and 1.
const DefaultThreshold = 0.1

// maxShown bounds the matches listed in details.
const maxShown = 20

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "threshold": {
      "description": "Filler phrases per 100 words at or above which the response is flagged (default 0.1).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 100
    }
  }
}`

type phrase struct {
	kind string
	re   *regexp.Regexp
}

// phrasesOf are matched on the response prepared by textnorm (lower case, ASCII
// quotes, collapsed white space).
var phrasesOf = []phrase{
	// Longer alternatives come first: RE2 prefers the earliest that matches.
	{KindSelfReference, regexp.MustCompile(`\b(?:as an? (?:ai language model|ai assistant|ai model|ai chatbot|ai|a\.i\.|` +
		`artificial intelligence|(?:large )?language model|chatbot|virtual assistant|digital assistant|computer program|` +
		`machine learning model)|` +
		`i(?:'m| am) (?:just |only |merely |simply )?(?:an? )?(?:[a-z-]+ )?(?:ai language model|ai assistant|ai model|ai|` +
		`large language model|language model|chatbot|computer program|virtual assistant|assistant)|` +
		`i am claude|i'm claude|(?:created|made|developed|built|trained) by (?:openai|anthropic|google|meta|microsoft)|` +
		`(?:as of|since) my (?:last |knowledge )?(?:update|cutoff|cut-off|training)|my (?:knowledge|training) (?:cutoff|cut-off|data)|` +
		`my responses are based on|i (?:don'?t|do not) have (?:personal )?(?:opinions|feelings|emotions|beliefs|personal experiences))\b`)},
	{KindDisclaimer, regexp.MustCompile(`\b(?:it(?:'s| is) important to (?:note|remember|mention) that (?:i|as an)|` +
		`please (?:note|keep in mind|be aware) that (?:i|as an))\b`)},
	{KindPleasantry, regexp.MustCompile(`\b(?:i hope (?:this|that|it|these|my (?:answer|response)) (?:helps|was helpful|is helpful|answers|clarifies)|` +
		`hope (?:this|that) helps|` +
		`let me know if (?:you(?:'d like| would like| have| need| want| require)|there(?:'s| is| are) (?:anything|any)|` +
		`(?:this|that) helps|i can (?:help|assist|clarify) (?:further|with anything else))|` +
		`feel free to (?:ask|let me know)|(?:don'?t|do not) hesitate to (?:ask|let me know)|` +
		`i(?:'m| am|'d be| would be) (?:happy|glad) to help(?: you)? (?:further|with anything else|with any other)|` +
		`happy to help further)\b`)},
	{KindApology, regexp.MustCompile(`(?:^|[.!?\n] ?)(?:sorry|so sorry|my apologies|apologies)[!.]|` +
		`\b(?:i apologi[sz]e|apologies|sorry) for (?:the|any|my) (?:confusion|inconvenience|misunderstanding|error|mistake|oversight)\b`)},
}

// Match is one filler phrase: its kind and its text with byte offsets in the response.
type Match struct {
	Kind  string `json:"kind"`
	Text  string `json:"text"`
	Start int    `json:"start"`
	End   int    `json:"end"`
}

// Hedging describes the hedging scorer.
//
// It prepares the response with textnorm and counts the filler phrases in it:
// self-references ("as an AI language model", "I'm just an assistant", "I am
// Claude", "as of my last update", "I don't have personal opinions"), stock
// disclaimers ("it's important to note that I ...", "please note that as an AI"),
// pleasantries ("I hope this helps", "let me know if you have any other questions",
// "feel free to ask"), and stock apologies ("Sorry!" on its own, "I apologize for
// the confusion") after the first — one is manners; the second is filler. A request
// for what the answer needs ("let me know which film you mean"), a sentence that is
// part of the content (a letter's "do not hesitate to contact us"), a substantive
// caveat ("I'm not a doctor, but ...") and an apology that is part of a reply
// ("I'm sorry that you feel that way") are not counted.
//
// Value is the rate: phrases per 100 words (words are runs of letters and digits;
// an empty response has rate 0). The response is flagged when the rate reaches
// threshold (default 0.1). Details: "flagged" (bool), "rate", "count", "words",
// "matches" (the first 20 phrases: kind, text and byte offsets in the response).
func Hedging() scoring.Type {
	return scoring.Type{
		Name:         "hedging",
		Description:  "Counts filler disclaimers, AI self-references, stock pleasantries and repeated apologies; value is the rate per 100 words, flagged at or above a threshold.",
		ParamsSchema: json.RawMessage(paramsSchema),
		Better:       scoring.LowerIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p struct {
				Threshold *float64 `json:"threshold"`
			}
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			threshold := DefaultThreshold
			if p.Threshold != nil {
				threshold = *p.Threshold
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				return result(it.Response, threshold), nil
			}), nil
		},
	}
}

func result(response string, threshold float64) scoring.Result {
	matches, words := Find(response)
	rate := 0.0
	if words > 0 {
		rate = 100 * float64(len(matches)) / float64(words)
	}
	shown := matches[:min(len(matches), maxShown)]
	return scoring.Result{Value: rate, Details: map[string]any{
		"flagged": rate > 0 && rate >= threshold,
		"rate":    rate,
		"count":   len(matches),
		"words":   words,
		"matches": append([]Match{}, shown...),
	}}
}

// Find returns the filler phrases of text, in order, and its number of words.
func Find(text string) ([]Match, int) {
	n := textnorm.New(text)
	low := n.Lower
	var spans []Match
	for _, p := range phrasesOf {
		for i, m := range p.re.FindAllStringIndex(low, -1) {
			if p.kind == KindApology && i == 0 {
				continue // one apology is manners
			}
			spans = append(spans, Match{Kind: p.kind, Start: m[0], End: m[1]})
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start < spans[j].Start })
	// Phrases that overlap ("I am an AI assistant created by Anthropic" may match
	// twice) count once.
	var out []Match
	end := -1
	for _, m := range spans {
		if m.Start < end {
			continue
		}
		end = m.End
		s, e := n.Span(m.Start, m.End)
		m.Text, m.Start, m.End = text[s:e], s, e
		out = append(out, m)
	}
	return out, countWords(low)
}

func countWords(s string) int {
	n, in := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		w := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
		if w && !in {
			n++
		}
		in = w
	}
	return n
}
