// Package verbosity holds the verbosity scorer: how long a response is relative to
// a reference answer — the bias that reward models and model judges reward and that
// AlpacaEval's length-controlled win rate exists to remove.
package verbosity

import (
	"context"
	"encoding/json"
	"math"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// DefaultMaxRatio is the ratio above which a response is flagged as verbose: twice
// the reference's length. It is a choice of what counts as too long, not a fit —
// no labels say what is verbose. On AlpacaEval's annotations (every model against
// the gpt4_1106_preview baseline's answer to the same instruction) 2.4% of the
// outputs are over it, and the judge's mean preference for the model rises with
// the ratio — the length bias — by less and less (docs/detectors.md has the
// figures).
const DefaultMaxRatio = 2.0

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "max_ratio": {
      "description": "Length relative to the reference above which the response is flagged as verbose (default 2).",
      "type": "number", "exclusiveMinimum": 0, "maximum": 1000
    },
    "unit": {
      "description": "What lengths count: words (runs of letters and digits; default) or characters (code points).",
      "enum": ["words", "characters"]
    }
  }
}`

// Verbosity describes the verbosity scorer.
//
// Value is the response's length divided by the reference's (1 when they are as
// long; an empty reference counts as length 1, and details say so), in words
// (runs of letters and digits, each Han, Hiragana or Katakana character a word of
// its own) or in characters. The response is flagged as verbose when the ratio is
// above max_ratio (default 2). Details: "flagged", "ratio", "log2_ratio",
// "response_length", "reference_length", "unit", "reference_empty".
//
// Against the baseline model: AlpacaEval judges each model against a baseline's
// answer to the same instruction. A scorer sees one item, so the baseline's answer
// goes in as the item's reference — post each response with the baseline model's
// answer to the same prompt as "reference" — and the ratio is then the length bias
// AlpacaEval's length control corrects for.
func Verbosity() scoring.Type {
	return scoring.Type{
		Name:           "verbosity",
		Description:    "Length of the response relative to the reference (or to a baseline model's answer given as the reference); flagged above max_ratio.",
		ParamsSchema:   json.RawMessage(paramsSchema),
		NeedsReference: true,
		Better:         scoring.NoDirection,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p struct {
				MaxRatio *float64 `json:"max_ratio"`
				Unit     string   `json:"unit"`
			}
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			maxRatio, unit := DefaultMaxRatio, p.Unit
			if p.MaxRatio != nil {
				maxRatio = *p.MaxRatio
			}
			if unit == "" {
				unit = "words"
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				return result(it.Response, it.Reference, unit, maxRatio), nil
			}), nil
		},
	}
}

func result(response, reference, unit string, maxRatio float64) scoring.Result {
	length := Words
	if unit == "characters" {
		length = utf8.RuneCountInString
	}
	r, ref := length(response), length(reference)
	ratio := Ratio(r, ref)
	return scoring.Result{Value: ratio, Details: map[string]any{
		"flagged":          ratio > maxRatio,
		"ratio":            ratio,
		"log2_ratio":       math.Log2(math.Max(ratio, 1e-9)),
		"response_length":  r,
		"reference_length": ref,
		"unit":             unit,
		"reference_empty":  ref == 0,
	}}
}

// Ratio is response over reference length, with an empty reference counted as
// length 1.
func Ratio(response, reference int) float64 {
	return float64(response) / float64(max(reference, 1))
}

// Words counts the words of s: runs of letters and digits, and each Han, Hiragana
// or Katakana character on its own (those scripts do not separate words).
func Words(s string) int {
	n, in := 0, false
	for _, r := range s {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana):
			n++
			in = false
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) && in:
			if !in {
				n++
			}
			in = true
		default:
			in = false
		}
	}
	return n
}
