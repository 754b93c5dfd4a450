// Package squad implements the exact_match and f1 scorers of the official SQuAD v1.1
// evaluation script (evaluate-v1.1.py, Rajpurkar et al. 2016), the definitions most
// extractive question-answering results are reported with.
package squad

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Normalize is the script's normalize_answer as Python 3 evaluates it:
//
//  1. lower(): Python's full Unicode lowercase mapping, with final sigma (see pyLower);
//  2. remove every character of Python's string.punctuation, the 32 ASCII characters
//     !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ (other punctuation, such as “ ” or —, stays);
//  3. re.sub(r'\b(a|an|the)\b', ' ', text): replace each maximal run of word characters
//     (Unicode letters and numbers, and "_") that is exactly "a", "an" or "the" with a
//     space;
//  4. ' '.join(text.split()): split on Python whitespace (Unicode White_Space plus
//     U+001C..U+001F) and join with single spaces.
//
// Character classes come from Go's Unicode tables (15.0); on text within Unicode 14.0
// the result equals Python 3.11's. Invalid UTF-8 bytes behave as U+FFFD.
func Normalize(s string) string {
	return strings.Join(tokens(s), " ")
}

// tokens returns normalize_answer(s).split().
func tokens(s string) []string {
	lower := pyLower(s)
	var b strings.Builder
	b.Grow(len(lower))
	for _, r := range lower {
		if isPunct(r) {
			continue
		}
		b.WriteRune(r)
	}
	text := b.String()
	// Copy the text run by run (maximal runs of word, then non-word, characters),
	// writing a space for each word run that is an article.
	b.Reset()
	start, inWord := 0, false
	flush := func(end int) {
		if run := text[start:end]; inWord && isArticle(run) {
			b.WriteByte(' ')
		} else {
			b.WriteString(run)
		}
	}
	for i, r := range text {
		if w := isWord(r); w != inWord {
			flush(i)
			start, inWord = i, w
		}
	}
	flush(len(text))
	return strings.FieldsFunc(b.String(), isSpace)
}

// punctuation is Python's string.punctuation.
const punctuation = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// isPunct reports whether r is in Python's string.punctuation: the ASCII ranges
// 0x21-0x2F, 0x3A-0x40, 0x5B-0x60 and 0x7B-0x7E, 32 characters in all.
func isPunct(r rune) bool {
	return r >= 0x21 && r <= 0x2F || r >= 0x3A && r <= 0x40 || r >= 0x5B && r <= 0x60 || r >= 0x7B && r <= 0x7E
}

func isArticle(w string) bool { return w == "a" || w == "an" || w == "the" }

// isWord is Python's \w for str patterns: str.isalnum() or "_".
func isWord(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r)
}

// isSpace is Python's str.isspace().
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r >= 0x1c && r <= 0x1f
}

// ExactMatchScore is the script's exact_match_score: 1 when the two answers
// normalize to the same string, else 0. Two answers that both normalize to the
// empty string match.
func ExactMatchScore(prediction, groundTruth string) float64 {
	if Normalize(prediction) == Normalize(groundTruth) {
		return 1
	}
	return 0
}

// F1Result is the token-overlap F1 of one prediction against one ground truth with
// its parts.
type F1Result struct {
	F1        float64
	Precision float64
	Recall    float64
	Common    int // Σ over tokens of min(count in prediction, count in ground truth)
	PredLen   int
	TruthLen  int
}

// F1Score is the script's f1_score: with the normalized answers split into tokens,
// common = Σ_token min(count in prediction, count in ground truth); 0 when common is
// 0, else F1 = 2·P·R/(P+R) with P = common/#prediction tokens and
// R = common/#ground-truth tokens.
//
// Following v1.1, two answers that both normalize to nothing get F1 0 (their exact
// match is 1). The v2.0 script instead gives 1 when both are empty and 0 when only
// one is; that difference matters only for unanswerable questions, which v1.1 does
// not have.
func F1Score(prediction, groundTruth string) F1Result {
	pred, truth := tokens(prediction), tokens(groundTruth)
	res := F1Result{PredLen: len(pred), TruthLen: len(truth)}
	counts := make(map[string]int, len(truth))
	for _, t := range truth {
		counts[t]++
	}
	for _, t := range pred {
		if counts[t] > 0 {
			counts[t]--
			res.Common++
		}
	}
	if res.Common == 0 {
		return res
	}
	res.Precision = 1.0 * float64(res.Common) / float64(len(pred))
	res.Recall = 1.0 * float64(res.Common) / float64(len(truth))
	res.F1 = (2 * res.Precision * res.Recall) / (res.Precision + res.Recall)
	return res
}

type params struct {
	Separator string `json:"separator"`
}

const paramsSchema = `{
	"type": "object",
	"additionalProperties": false,
	"properties": {
		"separator": {"type": "string", "minLength": 1}
	}
}`

// groundTruths returns the item's answers: the whole reference, or with a
// separator its non-empty pieces (one empty answer when there is none).
func (p params) groundTruths(ref string) []string {
	if p.Separator == "" {
		return []string{ref}
	}
	var out []string
	for _, r := range strings.Split(ref, p.Separator) {
		if r != "" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

func newParams(raw json.RawMessage) (params, error) {
	var p params
	err := scoring.DecodeParams(raw, &p)
	return p, err
}

// ExactMatch describes the exact_match scorer: ExactMatchScore of the response
// against the reference, both normalized by Normalize, as a value of 0 or 1. With the
// separator param the reference is split into several ground truths (empty pieces
// dropped) and, as in the script's metric_max_over_ground_truths, the value is the
// maximum over them. Details: the normalized response and the index of the first
// matching ground truth (-1 when none matches).
func ExactMatch() scoring.Type {
	return scoring.Type{
		UnitInterval:   true,
		Name:           "exact_match",
		Description:    "SQuAD v1.1 exact match: 1 when the response equals the reference after lowercasing and removing punctuation, articles and extra whitespace.",
		ParamsSchema:   json.RawMessage(paramsSchema),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			p, err := newParams(raw)
			if err != nil {
				return nil, err
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				resp := Normalize(it.Response)
				match := -1
				truths := p.groundTruths(it.Reference)
				for i, gt := range truths {
					if Normalize(gt) == resp {
						match = i
						break
					}
				}
				value := 0.0
				if match >= 0 {
					value = 1
				}
				return scoring.Result{Value: value, Details: map[string]any{
					"normalized_response": resp,
					"match":               match,
					"references":          len(truths),
				}}, nil
			}), nil
		},
	}
}

// F1 describes the f1 scorer: F1Score (SQuAD v1.1 token F1) of the response against
// the reference, in [0,1]. With the separator param the value is the maximum over the
// ground truths, and the details (precision, recall, common, response_tokens,
// reference_tokens, best) are those of the first ground truth reaching it.
func F1() scoring.Type {
	return scoring.Type{
		UnitInterval:   true,
		Name:           "f1",
		Description:    "SQuAD v1.1 token F1 between the normalized response and reference (bag-of-tokens overlap).",
		ParamsSchema:   json.RawMessage(paramsSchema),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			p, err := newParams(raw)
			if err != nil {
				return nil, err
			}
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				truths := p.groundTruths(it.Reference)
				var best F1Result
				bestAt := 0
				for i, gt := range truths {
					r := F1Score(it.Response, gt)
					if i == 0 || r.F1 > best.F1 {
						best, bestAt = r, i
					}
				}
				return scoring.Result{Value: best.F1, Details: map[string]any{
					"precision":        best.Precision,
					"recall":           best.Recall,
					"common":           best.Common,
					"response_tokens":  best.PredLen,
					"reference_tokens": best.TruthLen,
					"best":             bestAt,
					"references":       len(truths),
				}}, nil
			}), nil
		},
	}
}
