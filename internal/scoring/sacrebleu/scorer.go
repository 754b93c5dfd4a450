package sacrebleu

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

const bleuSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "tokenize": {"enum": ["13a", "none", "intl", "char"], "default": "13a",
      "description": "sacrebleu tokenizer applied to response and reference."},
    "lowercase": {"type": "boolean", "default": false,
      "description": "Lowercase both texts before tokenizing (case-insensitive BLEU)."},
    "smooth_method": {"enum": ["exp", "floor", "add-k", "none"], "default": "exp",
      "description": "Smoothing of orders without matches (Chen and Cherry 2014)."},
    "smooth_value": {"type": "number", "minimum": 0, "maximum": 100,
      "description": "Value for floor (default 0.1) or add-k (default 1) smoothing."}
  }
}`

// BLEU describes the bleu scorer: sacrebleu's sentence_bleu of the response against the
// reference, with sacrebleu's defaults (13a tokenizer, case-sensitive, exp smoothing,
// effective order). The response and reference are optionally lowercased, right-stripped
// and tokenized; the statistics are the hypothesis length, the reference length, and per
// order n = 1..4 the hypothesis n-grams (totals) and those matched in the reference,
// each clipped to its reference count (counts); BLEU is then computed as
// BLEUMetric.Compute describes, on sacrebleu's 0-100 scale.
//
// Its value is score/100, capped at 1 because floating point puts a perfect score at
// 100.00000000000004 as in sacrebleu; details carry the unrounded score, the four
// precisions, bp, sys_len, ref_len, counts, totals and sacrebleu's signature. Summed
// over responses, the details' statistics give CorpusBLEU.
func BLEU() scoring.Type {
	return scoring.Type{
		UnitInterval:   true,
		Name:           "bleu",
		Description:    "sacrebleu sentence BLEU of the response against the reference (13a tokenizer, exp smoothing by default); value is BLEU/100.",
		ParamsSchema:   json.RawMessage(bleuSchema),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New:            newBLEUScorer,
		Corpus:         summedBLEU,
	}
}

// flat lays the statistics out as sacrebleu does: sys_len, ref_len, the matched
// counts of orders 1-4, then the totals of orders 1-4.
func (s BLEUStats) flat() []int {
	out := make([]int, 0, 2+2*MaxNgramOrder)
	out = append(out, s.SysLen, s.RefLen)
	out = append(out, s.Counts[:]...)
	return append(out, s.Totals[:]...)
}

// summedBLEU is sacrebleu's corpus_bleu over summed statistics in flat's layout,
// with the configuration's smoothing and corpus_bleu's effective order (off).
func summedBLEU(params json.RawMessage, stats []float64) (map[string]any, error) {
	opts, err := bleuOptions(params)
	if err != nil {
		return nil, err
	}
	if len(stats) != 2+2*MaxNgramOrder {
		return nil, fmt.Errorf("corpus bleu: %d statistics, want %d", len(stats), 2+2*MaxNgramOrder)
	}
	var sum BLEUStats
	sum.SysLen, sum.RefLen = int(stats[0]), int(stats[1])
	for n := 0; n < MaxNgramOrder; n++ {
		sum.Counts[n], sum.Totals[n] = int(stats[2+n]), int(stats[2+MaxNgramOrder+n])
	}
	m, err := NewBLEUMetric(opts)
	if err != nil {
		return nil, err
	}
	s := m.Compute(sum)
	return map[string]any{
		"score": s.Score, "precisions": s.Precisions[:], "bp": s.BP,
		"sys_len": sum.SysLen, "ref_len": sum.RefLen, "signature": m.Signature(1),
	}, nil
}

// bleuOptions reads the params shared by sentence and corpus BLEU.
func bleuOptions(params json.RawMessage) (BLEUOptions, error) {
	var p struct {
		Tokenize     *string  `json:"tokenize"`
		Lowercase    bool     `json:"lowercase"`
		SmoothMethod *string  `json:"smooth_method"`
		SmoothValue  *float64 `json:"smooth_value"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return BLEUOptions{}, err
	}
	opts := BLEUOptions{Lowercase: p.Lowercase, SmoothValue: p.SmoothValue}
	if p.Tokenize != nil {
		opts.Tokenize = Tokenizer(*p.Tokenize)
	}
	if p.SmoothMethod != nil {
		opts.Smooth = Smoothing(*p.SmoothMethod)
	}
	if opts.SmoothValue != nil && opts.Smooth != SmoothFloor && opts.Smooth != SmoothAddK {
		return BLEUOptions{}, domain.Invalid("smooth_value", "applies only to smooth_method floor or add-k")
	}
	return opts, nil
}

func newBLEUScorer(params json.RawMessage) (scoring.Scorer, error) {
	opts, err := bleuOptions(params)
	if err != nil {
		return nil, err
	}
	// sentence_bleu uses effective order; corpus_bleu does not.
	opts.EffectiveOrder = true
	m, err := NewBLEUMetric(opts)
	if err != nil {
		return nil, domain.Invalid("", "%v", err)
	}
	signature := m.Signature(1)
	return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
		s := m.Sentence(it.Response, []string{it.Reference})
		return scoring.Result{
			Value: math.Min(s.Score/100, 1),
			Details: map[string]any{
				"score":      s.Score,
				"precisions": s.Precisions[:],
				"bp":         s.BP,
				"sys_len":    s.Stats.SysLen,
				"ref_len":    s.Stats.RefLen,
				"counts":     s.Stats.Counts[:],
				"totals":     s.Stats.Totals[:],
				"stats":      s.Stats.flat(),
				"signature":  signature,
			},
		}, nil
	}), nil
}

const chrfSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "char_order": {"type": "integer", "minimum": 1, "maximum": 10, "default": 6,
      "description": "Highest character n-gram order."},
    "word_order": {"type": "integer", "minimum": 0, "maximum": 4, "default": 0,
      "description": "Highest word n-gram order; 0 is chrF, 2 is chrF++."},
    "beta": {"type": "integer", "minimum": 1, "maximum": 10, "default": 2,
      "description": "Recall is weighted beta times as much as precision."},
    "lowercase": {"type": "boolean", "default": false,
      "description": "Lowercase both texts first (case-insensitive chrF)."},
    "whitespace": {"type": "boolean", "default": false,
      "description": "Keep whitespace inside character n-grams."},
    "eps_smoothing": {"type": "boolean", "default": false,
      "description": "Average per-order F-scores with epsilon smoothing (chrF++.py, NLTK, Moses) instead of sacrebleu's effective order."}
  }
}`

// CHRF describes the chrf scorer: sacrebleu's sentence chrF of the response against the
// reference, with sacrebleu's defaults (character order 6, word order 0, beta 2,
// case-sensitive, whitespace removed, effective-order averaging); word_order 2 gives
// chrF++. For each character order n the statistics count the character n-grams (code
// points, whitespace removed) of the response, of the reference, and matched (each
// clipped to its reference count); word orders do the same over words with a leading or
// trailing ASCII punctuation character split off. The score, 0-100, is as
// CHRFMetric.Compute defines: by default precision and recall averaged over the orders
// present on both sides, then 100·(1+β²)·P·R/(β²·P+R).
//
// Its value is score/100; details carry the unrounded score, sacrebleu's metric name
// ("chrF2", "chrF2++"), the flattened statistics (stats, three per order) and the
// signature. Summed over responses, the statistics give CorpusCHRF.
func CHRF() scoring.Type {
	return scoring.Type{
		UnitInterval:   true,
		Name:           "chrf",
		Description:    "sacrebleu sentence chrF of the response against the reference (word_order 0 by default; word_order 2 gives chrF++); value is chrF/100.",
		ParamsSchema:   json.RawMessage(chrfSchema),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New:            newCHRFScorer,
		Corpus:         summedCHRF,
	}
}

func newCHRFScorer(params json.RawMessage) (scoring.Scorer, error) {
	opts, err := chrfOptions(params)
	if err != nil {
		return nil, err
	}
	m, err := NewCHRFMetric(opts)
	if err != nil {
		return nil, domain.Invalid("", "%v", err)
	}
	signature, name := m.Signature(1), m.Name()
	return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
		s := m.Sentence(it.Response, []string{it.Reference})
		return scoring.Result{
			Value: math.Min(s.Score/100, 1),
			Details: map[string]any{
				"score":     s.Score,
				"name":      name,
				"stats":     []int(s.Stats),
				"signature": signature,
			},
		}, nil
	}), nil
}

// summedCHRF is sacrebleu's corpus chrF over summed statistics.
func summedCHRF(params json.RawMessage, stats []float64) (map[string]any, error) {
	opts, err := chrfOptions(params)
	if err != nil {
		return nil, err
	}
	m, err := NewCHRFMetric(opts)
	if err != nil {
		return nil, err
	}
	sum := make(CHRFStats, len(stats))
	for i, v := range stats {
		sum[i] = int(v)
	}
	s, err := m.Corpus([]CHRFStats{sum})
	if err != nil {
		return nil, err
	}
	return map[string]any{"score": s.Score, "name": m.Name(), "signature": m.Signature(1)}, nil
}

// chrfOptions reads chrF params.
func chrfOptions(params json.RawMessage) (CHRFOptions, error) {
	// Orders arrive as JSON numbers that the schema has checked are integers in range;
	// decoding them as float64 also accepts 6.0.
	var p struct {
		CharOrder    *float64 `json:"char_order"`
		WordOrder    *float64 `json:"word_order"`
		Beta         *float64 `json:"beta"`
		Lowercase    bool     `json:"lowercase"`
		Whitespace   bool     `json:"whitespace"`
		EpsSmoothing bool     `json:"eps_smoothing"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return CHRFOptions{}, err
	}
	opts := DefaultCHRFOptions()
	opts.Lowercase, opts.Whitespace, opts.EpsSmoothing = p.Lowercase, p.Whitespace, p.EpsSmoothing
	for _, f := range []struct {
		name string
		v    *float64
		dst  *int
	}{{"char_order", p.CharOrder, &opts.CharOrder}, {"word_order", p.WordOrder, &opts.WordOrder}, {"beta", p.Beta, &opts.Beta}} {
		if f.v == nil {
			continue
		}
		if *f.v != math.Trunc(*f.v) || *f.v < 0 || *f.v > 100 {
			return CHRFOptions{}, domain.Invalid(f.name, "must be a small non-negative integer, got %v", *f.v)
		}
		*f.dst = int(*f.v)
	}
	return opts, nil
}
