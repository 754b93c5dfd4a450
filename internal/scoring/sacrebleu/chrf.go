package sacrebleu

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on chrF's parameters. sacrebleu sets none; these keep a configuration sane.
const (
	MaxCharOrder = 10
	MaxWordOrder = 4
	MaxBeta      = 10
)

// CHRFOptions configures chrF. Use DefaultCHRFOptions for sacrebleu's defaults; the
// zero value is not valid (its character order is 0).
type CHRFOptions struct {
	// CharOrder is the highest character n-gram order, 1..MaxCharOrder (default 6).
	CharOrder int
	// WordOrder is the highest word n-gram order, 0..MaxWordOrder; 0 is chrF and 2 is
	// chrF++ (default 0).
	WordOrder int
	// Beta weighs recall beta times as much as precision, 1..MaxBeta (default 2).
	Beta int
	// Lowercase lowercases hypothesis and references (Python str.lower).
	Lowercase bool
	// Whitespace keeps whitespace inside character n-grams; by default it is removed.
	Whitespace bool
	// EpsSmoothing averages per-order F-scores with 1e-16 standing in for undefined
	// precisions and recalls, like chrF++.py, Moses and NLTK. By default (false)
	// sacrebleu averages precision and recall over the orders present on both sides
	// (the effective order) and takes one F-score of the averages.
	EpsSmoothing bool
}

// DefaultCHRFOptions returns sacrebleu's CHRF() defaults: character order 6, word
// order 0, beta 2, case-sensitive, whitespace removed, effective-order averaging.
func DefaultCHRFOptions() CHRFOptions {
	return CHRFOptions{CharOrder: 6, Beta: 2}
}

// CHRFStats are chrF's sufficient statistics for one segment or, summed, for a corpus,
// laid out as sacrebleu lays them out: for each order, character orders 1..CharOrder
// then word orders 1..WordOrder, the triple (hypothesis n-grams, reference n-grams,
// matched n-grams). The hypothesis count of an order is 0 when the reference has no
// n-gram of that order.
type CHRFStats []int

// CHRFScore is a chrF result.
type CHRFScore struct {
	// Score is chrF on sacrebleu's 0-100 scale, unrounded.
	Score float64
	// Stats are the statistics the score was computed from.
	Stats CHRFStats
}

// CHRFMetric computes chrF with fixed, validated options. It is safe for concurrent use.
type CHRFMetric struct {
	opts CHRFOptions
}

// NewCHRFMetric validates opts and returns the metric.
func NewCHRFMetric(opts CHRFOptions) (*CHRFMetric, error) {
	if opts.CharOrder < 1 || opts.CharOrder > MaxCharOrder {
		return nil, fmt.Errorf("character order %d is outside 1..%d", opts.CharOrder, MaxCharOrder)
	}
	if opts.WordOrder < 0 || opts.WordOrder > MaxWordOrder {
		return nil, fmt.Errorf("word order %d is outside 0..%d", opts.WordOrder, MaxWordOrder)
	}
	if opts.Beta < 1 || opts.Beta > MaxBeta {
		return nil, fmt.Errorf("beta %d is outside 1..%d", opts.Beta, MaxBeta)
	}
	return &CHRFMetric{opts: opts}, nil
}

// Options returns the metric's options.
func (m *CHRFMetric) Options() CHRFOptions { return m.opts }

// order is the number of n-gram orders, character and word.
func (m *CHRFMetric) order() int { return m.opts.CharOrder + m.opts.WordOrder }

// segment is a preprocessed chrF segment cut into the units its n-grams are made of:
// code points (whitespace removed unless kept), and words for chrF++.
type segment struct {
	chars []uint32
	words []string
}

// split is the first half of sacrebleu's extract_all_char_ngrams and, for word orders,
// _remove_punctuation.
func (m *CHRFMetric) split(s string) segment {
	chars := s
	if !m.opts.Whitespace {
		chars = removePySpace(s)
	}
	seg := segment{chars: make([]uint32, 0, len(chars))}
	for _, r := range chars {
		seg.chars = append(seg.chars, uint32(r))
	}
	if m.opts.WordOrder > 0 {
		seg.words = splitPunctuation(s)
	}
	return seg
}

// asciiPunct is Python's string.punctuation, which chrF++ splits off words.
const asciiPunct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"

// splitPunctuation is sacrebleu's CHRF._remove_punctuation: the whitespace-separated
// words of s, where a word longer than one character loses a trailing ASCII
// punctuation character, or else a leading one, as a word of its own.
func splitPunctuation(s string) []string {
	fields := pyFields(s)
	out := make([]string, 0, len(fields)+len(fields)/4)
	for _, w := range fields {
		if utf8.RuneCountInString(w) == 1 {
			out = append(out, w)
			continue
		}
		switch last := len(w) - 1; {
		case strings.IndexByte(asciiPunct, w[last]) >= 0:
			out = append(out, w[:last], w[last:])
		case strings.IndexByte(asciiPunct, w[0]) >= 0:
			out = append(out, w[:1], w[1:])
		default:
			out = append(out, w)
		}
	}
	return out
}

// preprocess is sacrebleu's CHRF._preprocess_segment: optional lowercasing only.
func (m *CHRFMetric) preprocess(s string) string {
	s = validUTF8(s)
	if m.opts.Lowercase {
		s = pyLower(s)
	}
	return s
}

// Stats returns the sufficient statistics of hyp against refs: for each reference,
// per order (hypothesis count if the reference has n-grams of that order else 0,
// reference count, clipped matches), keeping the reference with the highest F-score
// (the first on a tie). As in sacrebleu, empty references are ignored; when every
// reference is empty (sacrebleu raises an error) the segment is scored against one
// empty reference, as sacrebleu scores a whitespace-only one.
func (m *CHRFMetric) Stats(hyp string, refs []string) CHRFStats {
	var kept []string
	for _, r := range refs {
		if r != "" {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	h := m.split(m.preprocess(hyp))
	segs := make([]segment, len(kept))
	nchars, nwords := 0, 0
	for i, ref := range kept {
		segs[i] = m.split(m.preprocess(ref))
		nchars += len(segs[i].chars)
		nwords += len(segs[i].words)
	}
	chars := newNgramIndex(m.opts.CharOrder * nchars)
	words := newNgramIndex(m.opts.WordOrder * nwords)
	vocab := make(map[string]uint32, nwords)
	wordUnits := func(ws []string, add bool) []uint32 {
		units := make([]uint32, len(ws))
		for i, w := range ws {
			id, ok := vocab[w]
			if !ok && add {
				id = uint32(len(vocab) + 1)
				vocab[w] = id
			} else if !ok {
				id = unknownUnit
			}
			units[i] = id
		}
		return units
	}
	type refNgrams struct {
		charCounts, wordCounts []int32
		totals                 []int
	}
	refNgramsOf := make([]refNgrams, len(kept))
	for i, seg := range segs {
		var r refNgrams
		var wordTotals []int
		r.charCounts, r.totals = countReference(chars, seg.chars, m.opts.CharOrder, make([]int32, 1, m.opts.CharOrder*len(seg.chars)+1))
		if m.opts.WordOrder > 0 {
			r.wordCounts, wordTotals = countReference(words, wordUnits(seg.words, true), m.opts.WordOrder, make([]int32, 1, m.opts.WordOrder*len(seg.words)+1))
			r.totals = append(r.totals, wordTotals...)
		}
		refNgramsOf[i] = r
	}
	hypWords := wordUnits(h.words, false)

	var best CHRFStats
	bestF := -1.0
	for _, r := range refNgramsOf {
		// Matching consumes the counts; every id handed out, later references'
		// included, needs one.
		remaining := append(r.charCounts, make([]int32, chars.size()+1-len(r.charCounts))...)
		totals, matches := matchHypothesis(chars, h.chars, m.opts.CharOrder, remaining)
		if m.opts.WordOrder > 0 {
			remaining = append(r.wordCounts, make([]int32, words.size()+1-len(r.wordCounts))...)
			wt, wm := matchHypothesis(words, hypWords, m.opts.WordOrder, remaining)
			totals, matches = append(totals, wt...), append(matches, wm...)
		}
		st := make(CHRFStats, 3*m.order())
		for k := range totals {
			// sacrebleu counts no hypothesis n-grams for an order the reference lacks.
			if r.totals[k] > 0 {
				st[3*k] = totals[k]
			}
			st[3*k+1] = r.totals[k]
			st[3*k+2] = matches[k]
		}
		if f := m.fScore(st); f > bestF {
			best, bestF = st, f
		}
	}
	return best
}

// fScore is sacrebleu's CHRF._compute_f_score, the score Compute documents.
func (m *CHRFMetric) fScore(st CHRFStats) float64 {
	const eps = 1e-16
	factor := float64(m.opts.Beta * m.opts.Beta)
	order := m.order()
	score, avgPrec, avgRec := 0.0, 0.0, 0.0
	effective := 0
	for i := 0; i < order; i++ {
		nHyp, nRef, nMatch := st[3*i], st[3*i+1], st[3*i+2]
		prec, rec := eps, eps
		if nHyp > 0 {
			prec = float64(nMatch) / float64(nHyp)
		}
		if nRef > 0 {
			rec = float64(nMatch) / float64(nRef)
		}
		if m.opts.EpsSmoothing {
			// float64() keeps the product from being fused into the addition, which
			// Python does not do.
			denom := float64(factor*prec) + rec
			if denom > 0 {
				score += (1 + factor) * prec * rec / denom
			} else {
				score += eps
			}
		}
		if nHyp > 0 && nRef > 0 {
			avgPrec += prec
			avgRec += rec
			effective++
		}
	}
	if m.opts.EpsSmoothing {
		return 100 * score / float64(order)
	}
	if effective == 0 {
		return 0
	}
	avgPrec /= float64(effective)
	avgRec /= float64(effective)
	if avgPrec+avgRec == 0 {
		return 0
	}
	score = (1 + factor) * avgPrec * avgRec
	score /= float64(factor*avgPrec) + avgRec
	return 100 * score
}

// Compute returns chrF from sufficient statistics, as sacrebleu's _compute_f_score,
// on the 0-100 scale; it is an error if there are not three values per order. For
// each order, precision = matches/hyp and recall = matches/ref.
//
// Default (effective order): precision and recall are averaged over the orders with
// both hypothesis and reference n-grams, and chrF = 100·(1+β²)·P·R/(β²·P+R); it is 0
// when P+R = 0 or no order has n-grams on both sides.
//
// EpsSmoothing: an undefined precision or recall (no n-grams) is 1e-16, each order
// scores F = (1+β²)·p·r/(β²·p+r), or 1e-16 when the denominator is 0, and
// chrF = 100·ΣF/orders.
func (m *CHRFMetric) Compute(st CHRFStats) (CHRFScore, error) {
	if len(st) != 3*m.order() {
		return CHRFScore{}, fmt.Errorf("chrF statistics have %d values, want %d (3 per order for %d character and %d word orders)",
			len(st), 3*m.order(), m.opts.CharOrder, m.opts.WordOrder)
	}
	return CHRFScore{Score: m.fScore(st), Stats: st}, nil
}

// Sentence returns chrF of hyp against refs: the score of Stats(hyp, refs).
func (m *CHRFMetric) Sentence(hyp string, refs []string) CHRFScore {
	st := m.Stats(hyp, refs)
	return CHRFScore{Score: m.fScore(st), Stats: st}
}

// Corpus returns corpus chrF from per-segment statistics: the score of their sum.
func (m *CHRFMetric) Corpus(stats []CHRFStats) (CHRFScore, error) {
	sum := make(CHRFStats, 3*m.order())
	for i, s := range stats {
		if len(s) != len(sum) {
			return CHRFScore{}, fmt.Errorf("segment %d: chrF statistics have %d values, want %d", i, len(s), len(sum))
		}
		for j, v := range s {
			sum[j] += v
		}
	}
	return m.Compute(sum)
}

// Name returns sacrebleu's name for the metric: "chrF" and beta, then one "+" per word
// order ("chrF2", "chrF2++").
func (m *CHRFMetric) Name() string {
	return fmt.Sprintf("chrF%d", m.opts.Beta) + strings.Repeat("+", m.opts.WordOrder)
}

// Signature returns sacrebleu's reproducibility signature for the metric with nrefs
// references per segment, e.g. "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0".
func (m *CHRFMetric) Signature(nrefs int) string {
	return strings.Join([]string{
		fmt.Sprintf("nrefs:%d", nrefs),
		"case:" + caseName(m.opts.Lowercase),
		"eff:" + yesNo(!m.opts.EpsSmoothing),
		fmt.Sprintf("nc:%d", m.opts.CharOrder),
		fmt.Sprintf("nw:%d", m.opts.WordOrder),
		"space:" + yesNo(m.opts.Whitespace),
		"version:" + Version,
	}, "|")
}

// CorpusCHRF returns sacrebleu's corpus_chrf from per-segment statistics: chrF of their
// sum under opts.
func CorpusCHRF(stats []CHRFStats, opts CHRFOptions) (CHRFScore, error) {
	m, err := NewCHRFMetric(opts)
	if err != nil {
		return CHRFScore{}, err
	}
	return m.Corpus(stats)
}
