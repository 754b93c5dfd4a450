package sacrebleu

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// Version is the sacrebleu release whose values this package reproduces; it ends
// every signature, as sacrebleu's own signatures end with its version.
const Version = "2.6.0"

// MaxNgramOrder is BLEU's n-gram order, sacrebleu's default.
const MaxNgramOrder = 4

// Smoothing names one of sacrebleu's BLEU smoothing methods (Chen and Cherry 2014).
type Smoothing string

// The smoothing methods.
const (
	// SmoothExp is mteval-v13a.pl's smoothing and sacrebleu's default: the k-th order
	// with no match, counting from the lowest, gets precision 1/(2^k · total).
	SmoothExp Smoothing = "exp"
	// SmoothFloor gives an order with no match precision value/total (default 0.1).
	SmoothFloor Smoothing = "floor"
	// SmoothAddK adds value (default 1) to the matches and totals of orders 2 and up.
	SmoothAddK Smoothing = "add-k"
	// SmoothNone applies no smoothing: an order with no match makes BLEU 0.
	SmoothNone Smoothing = "none"
)

// defaultValue is the smoothing value sacrebleu uses when none is given.
func (s Smoothing) defaultValue() (float64, bool) {
	switch s {
	case SmoothFloor:
		return 0.1, true
	case SmoothAddK:
		return 1, true
	}
	return 0, false
}

// BLEUOptions configures BLEU. The zero value is sacrebleu's corpus_bleu default: 13a
// tokenization, case-sensitive, exp smoothing, no effective order. sentence_bleu
// differs only in EffectiveOrder, which it sets.
type BLEUOptions struct {
	// Tokenize is the tokenizer; "" means 13a.
	Tokenize Tokenizer
	// Lowercase lowercases hypothesis and references (Python str.lower) before tokenizing.
	Lowercase bool
	// Smooth is the smoothing method; "" means exp.
	Smooth Smoothing
	// SmoothValue overrides the floor or add-k value; nil means the method's default.
	SmoothValue *float64
	// EffectiveOrder stops the geometric mean at the highest order that has any
	// hypothesis n-gram, as sacrebleu's effective_order.
	EffectiveOrder bool
}

// BLEUStats are BLEU's sufficient statistics for one segment or, summed, for a corpus.
// The JSON names are those of the bleu scorer's details.
type BLEUStats struct {
	// SysLen is the number of hypothesis tokens.
	SysLen int `json:"sys_len"`
	// RefLen is the length of the reference closest in length to the hypothesis (the
	// shorter one on a tie).
	RefLen int `json:"ref_len"`
	// Counts[n-1] is the number of hypothesis n-grams matched in the references, each
	// n-gram clipped to its largest count in any one reference.
	Counts [MaxNgramOrder]int `json:"counts"`
	// Totals[n-1] is the number of hypothesis n-grams.
	Totals [MaxNgramOrder]int `json:"totals"`
}

// Add returns the element-wise sum of s and t.
func (s BLEUStats) Add(t BLEUStats) BLEUStats {
	s.SysLen += t.SysLen
	s.RefLen += t.RefLen
	for i := range s.Counts {
		s.Counts[i] += t.Counts[i]
		s.Totals[i] += t.Totals[i]
	}
	return s
}

// BLEUScore is a BLEU result.
type BLEUScore struct {
	// Score is BLEU on sacrebleu's 0-100 scale, unrounded. Floating point can put a
	// perfect score a few ulps above 100 (100.00000000000004), as in sacrebleu.
	Score float64
	// Precisions are the smoothed n-gram precisions in percent, 0 for orders past
	// the effective order or after an order with no hypothesis n-grams.
	Precisions [MaxNgramOrder]float64
	// BP is the brevity penalty.
	BP float64
	// Stats are the statistics the score was computed from (unsmoothed).
	Stats BLEUStats
}

// BLEUMetric computes BLEU with fixed, validated options. It is safe for concurrent use.
type BLEUMetric struct {
	opts        BLEUOptions
	smoothValue float64
	scratch     sync.Pool // of *bleuScratch
}

// NewBLEUMetric validates opts and returns the metric.
func NewBLEUMetric(opts BLEUOptions) (*BLEUMetric, error) {
	if opts.Tokenize == "" {
		opts.Tokenize = Tokenizer13a
	}
	if !opts.Tokenize.Valid() {
		return nil, fmt.Errorf("unknown tokenizer %q; one of 13a, intl, char, none", opts.Tokenize)
	}
	if opts.Smooth == "" {
		opts.Smooth = SmoothExp
	}
	m := &BLEUMetric{opts: opts}
	m.scratch.New = func() any { return new(bleuScratch) }
	switch opts.Smooth {
	case SmoothExp, SmoothNone:
		if opts.SmoothValue != nil {
			return nil, fmt.Errorf("a smoothing value applies only to floor and add-k smoothing, not %s", opts.Smooth)
		}
	case SmoothFloor, SmoothAddK:
		m.smoothValue, _ = opts.Smooth.defaultValue()
		if v := opts.SmoothValue; v != nil {
			if math.IsNaN(*v) || math.IsInf(*v, 0) || *v < 0 {
				return nil, fmt.Errorf("smoothing value %v must be a finite number >= 0", *v)
			}
			m.smoothValue = *v
		}
	default:
		return nil, fmt.Errorf("unknown smoothing method %q; one of exp, floor, add-k, none", opts.Smooth)
	}
	return m, nil
}

// Options returns the metric's options with defaults filled in.
func (m *BLEUMetric) Options() BLEUOptions { return m.opts }

// appendTokenIDs preprocesses s as sacrebleu's BLEU._preprocess_segment does
// (optional lowercasing, then the tokenizer on the right-stripped line) and appends
// the id of each token to units, as vocabulary.appendIDs does.
func (m *BLEUMetric) appendTokenIDs(sc *bleuScratch, units []uint32, s string, add bool) []uint32 {
	s = validUTF8(s)
	if m.opts.Lowercase {
		s = pyLower(s)
	}
	sc.toks = m.opts.Tokenize.appendTokens(sc.toks[:0], &sc.buf, pyRStrip(s))
	units = sc.vocab.appendIDs(units, sc.toks, add)
	clear(sc.toks) // let the text go
	return units
}

// Stats returns the sufficient statistics of hyp against refs. As in sacrebleu, empty
// references are ignored; when every reference is empty (sacrebleu raises an error)
// the segment is scored against one empty reference, as sacrebleu scores a
// whitespace-only one: a reference length of 0 and no n-grams to match.
func (m *BLEUMetric) Stats(hyp string, refs []string) BLEUStats {
	sc := m.scratch.Get().(*bleuScratch)
	defer m.scratch.Put(sc)
	if sc.vocab == nil {
		sc.vocab = make(vocabulary)
	}
	defer clear(sc.vocab) // let the segment's tokens go
	// Every reference's token ids, one after the other, ending at refEnds.
	units := sc.units[:0]
	refEnds := make([]int, 0, len(refs))
	for _, ref := range refs {
		if ref != "" {
			units = m.appendTokenIDs(sc, units, ref, true)
			refEnds = append(refEnds, len(units))
		}
	}
	x := &sc.index
	x.reset(MaxNgramOrder * len(units))
	refCounts := sc.refCounts[:0] // by n-gram id, the largest count in any one reference
	refLens := make([]int, 0, len(refEnds)+1)
	start := 0
	for _, end := range refEnds {
		refLens = append(refLens, end-start)
		sc.counts, _ = x.countReference(units[start:end], MaxNgramOrder, sc.counts)
		refCounts = extend(refCounts, len(sc.counts))
		for id, c := range sc.counts {
			refCounts[id] = max(refCounts[id], c)
		}
		start = end
	}
	if len(refLens) == 0 {
		refLens = append(refLens, 0)
	}
	// Matching consumes the counts; every id handed out needs one.
	refCounts = extend(refCounts, x.size()+1)
	sc.refCounts = refCounts

	units = m.appendTokenIDs(sc, units[:0], hyp, false)
	sc.units = units
	totals, matches := x.matchHypothesis(units, MaxNgramOrder, refCounts)
	st := BLEUStats{SysLen: len(units), RefLen: closestRefLen(len(units), refLens)}
	copy(st.Totals[:], totals[:MaxNgramOrder])
	copy(st.Counts[:], matches[:MaxNgramOrder])
	return st
}

// bleuScratch is the working space of one BLEU segment, reused through a pool.
type bleuScratch struct {
	buf               []byte   // intl's spaced text
	toks              []string // one text's tokens
	vocab             vocabulary
	index             ngramIndex
	units             []uint32
	counts, refCounts []int32
}

// closestRefLen is sacrebleu's _get_closest_ref_len: the reference length nearest the
// hypothesis length, the smaller one on a tie.
func closestRefLen(hypLen int, refLens []int) int {
	bestDiff, best := -1, -1
	for _, l := range refLens {
		d := hypLen - l
		if d < 0 {
			d = -d
		}
		if bestDiff == -1 || d < bestDiff {
			bestDiff, best = d, l
		} else if d == bestDiff && l < best {
			best = l
		}
	}
	return best
}

// Compute returns BLEU from sufficient statistics, as sacrebleu's compute_bleu:
//
//   - BP = 1 if sys_len >= ref_len, exp(1 - ref_len/sys_len) if 0 < sys_len < ref_len,
//     and 0 if sys_len = 0 < ref_len.
//   - If no n-gram of any order matched, BLEU is 0 with all precisions 0.
//   - Otherwise, for n = 1..4 until an order has no hypothesis n-grams: add-k first adds
//     its value to the matches and totals of orders n >= 2; the precision is
//     100·matches/total, or when nothing matched, 100/(2^k·total) for the k-th such
//     order under exp, 100·value/total under floor, and 0 under none. With effective
//     order the mean stops at the last order reached; without, it runs over all four.
//   - BLEU = BP · exp(Σ log p_n / N), where log 0 is taken as -9999999999 (making
//     BLEU 0) and the sum is a Neumaier-compensated sum, as CPython 3.12+'s sum().
func (m *BLEUMetric) Compute(st BLEUStats) BLEUScore {
	out := BLEUScore{Stats: st}
	switch {
	case st.SysLen >= st.RefLen:
		out.BP = 1
	case st.SysLen > 0:
		out.BP = math.Exp(1 - float64(st.RefLen)/float64(st.SysLen))
	}
	anyMatch := false
	for _, c := range st.Counts {
		if c != 0 {
			anyMatch = true
		}
	}
	if !anyMatch {
		return out
	}
	smoothMteval := 1.0
	effOrder := MaxNgramOrder
	for n := 1; n <= MaxNgramOrder; n++ {
		correct, total := float64(st.Counts[n-1]), float64(st.Totals[n-1])
		if m.opts.Smooth == SmoothAddK && n > 1 {
			correct += m.smoothValue
			total += m.smoothValue
		}
		if total == 0 {
			break
		}
		if m.opts.EffectiveOrder {
			effOrder = n
		}
		if correct == 0 {
			switch m.opts.Smooth {
			case SmoothExp:
				smoothMteval *= 2
				out.Precisions[n-1] = 100 / (smoothMteval * total)
			case SmoothFloor:
				out.Precisions[n-1] = 100 * m.smoothValue / total
			}
		} else {
			out.Precisions[n-1] = 100 * correct / total
		}
	}
	var logs [MaxNgramOrder]float64
	for i, p := range out.Precisions[:effOrder] {
		if p == 0 {
			logs[i] = -9999999999
		} else {
			logs[i] = math.Log(p)
		}
	}
	out.Score = out.BP * math.Exp(compensatedSum(logs[:effOrder])/float64(effOrder))
	return out
}

// compensatedSum adds xs (not empty) as CPython 3.12+'s built-in sum() adds floats:
// left to right with Neumaier's compensation added at the end.
func compensatedSum(xs []float64) float64 {
	f, c := xs[0], 0.0
	for _, x := range xs[1:] {
		t := f + x
		if math.Abs(f) >= math.Abs(x) {
			c += (f - t) + x
		} else {
			c += (x - t) + f
		}
		f = t
	}
	if c != 0 && !math.IsInf(c, 0) && !math.IsNaN(c) {
		f += c
	}
	return f
}

// Sentence returns BLEU of hyp against refs: Compute(Stats(hyp, refs)).
func (m *BLEUMetric) Sentence(hyp string, refs []string) BLEUScore {
	return m.Compute(m.Stats(hyp, refs))
}

// Corpus returns corpus BLEU from per-segment statistics: Compute of their sum.
func (m *BLEUMetric) Corpus(stats []BLEUStats) BLEUScore {
	return m.Compute(SumBLEUStats(stats...))
}

// Signature returns sacrebleu's reproducibility signature for the metric with nrefs
// references per segment, e.g. "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0".
func (m *BLEUMetric) Signature(nrefs int) string {
	smooth := string(m.opts.Smooth)
	if _, ok := m.opts.Smooth.defaultValue(); ok {
		smooth += fmt.Sprintf("[%.2f]", m.smoothValue)
	}
	return strings.Join([]string{
		fmt.Sprintf("nrefs:%d", nrefs),
		"case:" + caseName(m.opts.Lowercase),
		"eff:" + yesNo(m.opts.EffectiveOrder),
		"tok:" + string(m.opts.Tokenize),
		"smooth:" + smooth,
		"version:" + Version,
	}, "|")
}

// SumBLEUStats returns the element-wise sum of stats.
func SumBLEUStats(stats ...BLEUStats) BLEUStats {
	var sum BLEUStats
	for _, s := range stats {
		sum = sum.Add(s)
	}
	return sum
}

// CorpusBLEU returns sacrebleu's corpus_bleu from per-segment statistics: BLEU of
// their sum under opts. The zero BLEUOptions are corpus_bleu's defaults, whose
// effective order is off, unlike sentence_bleu's.
func CorpusBLEU(stats []BLEUStats, opts BLEUOptions) (BLEUScore, error) {
	m, err := NewBLEUMetric(opts)
	if err != nil {
		return BLEUScore{}, err
	}
	return m.Corpus(stats), nil
}

func caseName(lower bool) string {
	if lower {
		return "lc"
	}
	return "mixed"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
