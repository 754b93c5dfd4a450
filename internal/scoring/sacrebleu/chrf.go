package sacrebleu

import (
	"fmt"
	"strings"
	"sync"
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
	opts    CHRFOptions
	scratch sync.Pool // of *chrfScratch
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
	m := &CHRFMetric{opts: opts}
	m.scratch.New = func() any { return new(chrfScratch) }
	return m, nil
}

// Options returns the metric's options.
func (m *CHRFMetric) Options() CHRFOptions { return m.opts }

// order is the number of n-gram orders, character and word.
func (m *CHRFMetric) order() int { return m.opts.CharOrder + m.opts.WordOrder }

// appendChars appends the code points of s that chrF's character n-grams are made
// of: all of them with Whitespace, else all but Python whitespace, as sacrebleu's
// extract_all_char_ngrams does with "".join(s.split()).
func (m *CHRFMetric) appendChars(dst []uint32, s string) []uint32 {
	for _, r := range s {
		if m.opts.Whitespace || !isPySpace(r) {
			dst = append(dst, uint32(r))
		}
	}
	return dst
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
	kept := make([]string, 0, len(refs))
	size := 0
	for _, r := range refs {
		if r != "" {
			r = m.preprocess(r)
			kept = append(kept, r)
			size += len(r)
		}
	}
	if len(kept) == 0 {
		kept = append(kept, "")
	}
	sc := m.scratch.Get().(*chrfScratch)
	defer m.scratch.Put(sc)
	if sc.vocab == nil {
		sc.vocab = make(vocabulary)
	}
	defer clear(sc.vocab) // let the segment's words go
	// size (bytes) bounds the code points, and words are fewer.
	sc.chars.reset(m.opts.CharOrder * size)
	sc.words.reset(m.opts.WordOrder * size / 2)
	for len(sc.refs) < len(kept) {
		sc.refs = append(sc.refs, chrfRef{})
	}
	for i, ref := range kept {
		r := &sc.refs[i]
		sc.units = m.appendChars(sc.units[:0], ref)
		r.chars, r.charTotals = sc.chars.countReference(sc.units, m.opts.CharOrder, r.chars)
		if m.opts.WordOrder > 0 {
			sc.units = m.wordUnits(sc, sc.units[:0], ref, true)
			r.words, r.wordTotals = sc.words.countReference(sc.units, m.opts.WordOrder, r.words)
		}
	}
	hyp = m.preprocess(hyp)
	sc.hypChars = m.appendChars(sc.hypChars[:0], hyp)
	if m.opts.WordOrder > 0 {
		sc.units = m.wordUnits(sc, sc.units[:0], hyp, false)
	}

	var best CHRFStats
	bestF := -1.0
	for i := range kept {
		r := &sc.refs[i]
		// Matching consumes the counts; every id handed out, later references'
		// included, needs one.
		r.chars = extend(r.chars, sc.chars.size()+1)
		totals, matches := sc.chars.matchHypothesis(sc.hypChars, m.opts.CharOrder, r.chars)
		st := make(CHRFStats, 3*m.order())
		m.fill(st, r.charTotals, totals, matches, 0, m.opts.CharOrder)
		if m.opts.WordOrder > 0 {
			r.words = extend(r.words, sc.words.size()+1)
			totals, matches = sc.words.matchHypothesis(sc.units, m.opts.WordOrder, r.words)
			m.fill(st, r.wordTotals, totals, matches, m.opts.CharOrder, m.opts.WordOrder)
		}
		if f := m.fScore(st); f > bestF {
			best, bestF = st, f
		}
	}
	return best
}

// fill writes the statistics of orders 1..orders of one kind (characters or words)
// into st from order offset+1 on.
func (m *CHRFMetric) fill(st CHRFStats, refTotals, hypTotals, matches orderCounts, offset, orders int) {
	for n := range orders {
		k := 3 * (offset + n)
		// sacrebleu counts no hypothesis n-grams for an order the reference lacks.
		if refTotals[n] > 0 {
			st[k] = hypTotals[n]
		}
		st[k+1] = refTotals[n]
		st[k+2] = matches[n]
	}
}

// wordUnits appends the ids of s's words (as splitPunctuation cuts them) to dst,
// numbering new words when add is set and giving unknownUnit to them otherwise.
func (m *CHRFMetric) wordUnits(sc *chrfScratch, dst []uint32, s string, add bool) []uint32 {
	return sc.vocab.appendIDs(dst, splitPunctuation(s), add)
}

// chrfScratch is the working space of one chrF segment, reused through a pool.
type chrfScratch struct {
	chars, words    ngramIndex
	vocab           vocabulary
	hypChars, units []uint32
	refs            []chrfRef
}

// chrfRef is one reference's n-gram counts by id and n-grams per order.
type chrfRef struct {
	chars, words           []int32
	charTotals, wordTotals orderCounts
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
