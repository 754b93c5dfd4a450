package rouge

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// RougeScoreVersion is the release of Google's rouge-score whose definitions this
// package reproduces.
const RougeScoreVersion = "0.1.2"

// variants lists, in detail order, the ROUGE types always reported.
var variants = []string{"rouge1", "rouge2", "rougeL", "rougeLsum"}

// Score is one ROUGE type's precision, recall and F-measure.
type Score struct {
	Precision float64
	Recall    float64
	FMeasure  float64
}

// newScore completes p and r with rouge-score's F-measure: 2·p·r/(p+r), or 0 when
// p+r is 0 (evaluated in the same order, so results agree to the last bit).
func newScore(p, r float64) Score {
	f := 0.0
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return Score{Precision: p, Recall: r, FMeasure: f}
}

func (s Score) details() map[string]any {
	return map[string]any{"precision": s.Precision, "recall": s.Recall, "fmeasure": s.FMeasure}
}

type params struct {
	Variant   string `json:"variant"`
	Stemmer   bool   `json:"stemmer"`
	Tokenizer string `json:"tokenizer"`
	Separator string `json:"separator"`
}

// ROUGE describes the rouge scorer: Google's rouge-score 0.1.2 (RougeScorer.score,
// with the reference as target and the response as prediction).
//
// Text is tokenized by rouge-score's default tokenizer: lowercase, every run of
// characters other than [a-z0-9] is a separator (so non-Latin text has no tokens and
// scores 0 — use tokenizer "unicode" for it), and with stemmer true the tokens longer
// than 3 characters are reduced by NLTK's Porter stemmer (mode NLTK_EXTENSIONS,
// reimplemented exactly in package porter).
//
//   - rougeN (N = 1..9): with n-gram counts of reference and response,
//     overlap = Σ_g min(ref(g), resp(g)), precision = overlap / max(#response n-grams, 1),
//     recall = overlap / max(#reference n-grams, 1).
//   - rougeL: with L the longest common subsequence of the two token lists,
//     precision = L / #response tokens, recall = L / #reference tokens; 0 when
//     either has no token.
//   - rougeLsum: both texts are split into lines on "\n" (empty lines dropped,
//     no other sentence splitting: rouge-score's split_summaries is not offered, so
//     put one sentence per line) and scored by the summary-level union LCS that
//     rouge-score computes (see summaryLCS), which is rougeL when each side is one line.
//
// In every case F = 2·P·R/(P+R), 0 when P+R = 0. The value is the F-measure of the
// variant param (default rougeL); details hold precision, recall and fmeasure of
// rouge1, rouge2, rougeL, rougeLsum (and of the variant if it is another rougeN), and
// a signature naming the settings and the rouge-score version.
//
// Params: variant ("rouge1".."rouge9", "rougeL", "rougeLsum"; default "rougeL"),
// stemmer (default false), tokenizer ("default" or "unicode", see tokenizeUnicode),
// and separator: when set, the reference is split on it into several references
// (empty pieces dropped) and, as rouge-score's score_multi does, each ROUGE type
// reports the scores of the first reference with the highest F-measure for that type.
//
// A rougeLsum line pair whose LCS table would exceed 16 Mi cells is an error when
// the variant is rougeLsum, and is left out of the details (with a note) otherwise.
func ROUGE() scoring.Type {
	return scoring.Type{
		UnitInterval: true,
		Name:         "rouge",
		Description:  "ROUGE-1/2/L/Lsum as Google's rouge-score 0.1.2 computes them; value is the F-measure of the chosen variant (default rougeL).",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"properties": {
				"variant": {"enum": ["rouge1", "rouge2", "rouge3", "rouge4", "rouge5", "rouge6", "rouge7", "rouge8", "rouge9", "rougeL", "rougeLsum"]},
				"stemmer": {"type": "boolean"},
				"tokenizer": {"enum": ["default", "unicode"]},
				"separator": {"type": "string", "minLength": 1}
			}
		}`),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			p := params{Variant: "rougeL", Tokenizer: TokenizerDefault}
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			return newScorer(p)
		},
	}
}

type scorer struct {
	p        params
	tokenize func(string, bool) []string
	types    []string
	sig      string
}

func newScorer(p params) (*scorer, error) {
	s := &scorer{p: p, types: variants}
	switch p.Tokenizer {
	case TokenizerDefault:
		s.tokenize = tokenizeDefault
	case TokenizerUnicode:
		s.tokenize = tokenizeUnicode
	default:
		return nil, fmt.Errorf("tokenizer %q: want %q or %q", p.Tokenizer, TokenizerDefault, TokenizerUnicode)
	}
	switch {
	case p.Variant == "rougeL" || p.Variant == "rougeLsum":
	case len(p.Variant) == 6 && strings.HasPrefix(p.Variant, "rouge") && p.Variant[5] >= '1' && p.Variant[5] <= '9':
		if p.Variant[5] > '2' {
			s.types = append(append([]string(nil), variants...), p.Variant)
		}
	default:
		return nil, fmt.Errorf("variant %q: want rouge1 to rouge9, rougeL or rougeLsum", p.Variant)
	}
	stem := "no"
	if p.Stemmer {
		stem = "porter-nltk"
	}
	s.sig = fmt.Sprintf("%s|tok:%s|stem:%s|lsum-split:newline|rouge-score:%s", p.Variant, p.Tokenizer, stem, RougeScoreVersion)
	if p.Separator != "" {
		s.sig += "|refs:split:" + strconv.Quote(p.Separator)
	}
	return s, nil
}

// Score implements scoring.Scorer.
func (s *scorer) Score(ctx context.Context, it scoring.Item) (scoring.Result, error) {
	refs := []string{it.Reference}
	if s.p.Separator != "" {
		refs = splitReferences(it.Reference, s.p.Separator)
	}
	best := map[string]Score{}
	lsumErr := ""
	for k, ref := range refs {
		scores, err := s.scores(ctx, ref, it.Response)
		if err != nil {
			if s.p.Variant == "rougeLsum" || ctx.Err() != nil {
				return scoring.Result{}, err
			}
			if lsumErr == "" {
				lsumErr = err.Error()
			}
		}
		for typ, sc := range scores {
			if prev, ok := best[typ]; !ok || k == 0 || sc.FMeasure > prev.FMeasure {
				best[typ] = sc
			}
		}
	}
	details := map[string]any{"signature": s.sig}
	for _, typ := range s.types {
		if sc, ok := best[typ]; ok {
			details[typ] = sc.details()
		}
	}
	if lsumErr != "" {
		delete(details, "rougeLsum")
		details["rougeLsum_error"] = lsumErr
	}
	if s.p.Separator != "" {
		details["references"] = len(refs)
	}
	return scoring.Result{Value: best[s.p.Variant].FMeasure, Details: details}, nil
}

// splitReferences splits ref on sep, dropping empty pieces; a reference with no
// non-empty piece is kept as one empty reference.
func splitReferences(ref, sep string) []string {
	var out []string
	for _, r := range strings.Split(ref, sep) {
		if r != "" {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// vocabulary interns tokens as dense ids.
type vocabulary map[string]int32

func (v vocabulary) ids(tokens []string) []int32 {
	out := make([]int32, len(tokens))
	for i, t := range tokens {
		id, ok := v[t]
		if !ok {
			id = int32(len(v))
			v[t] = id
		}
		out[i] = id
	}
	return out
}

// scores computes every type in s.types for one reference (target) and the response
// (prediction). When only rougeLsum fails (its table limit), the other types are
// returned with the error.
func (s *scorer) scores(ctx context.Context, target, prediction string) (map[string]Score, error) {
	// Tokens never span a newline, so tokenizing line by line and concatenating gives
	// the tokens of the whole text (what rouge-score computes separately).
	voc := vocabulary{}
	tl, t := s.tokenizeLines(voc, target)
	pl, p := s.tokenizeLines(voc, prediction)
	out := make(map[string]Score, len(s.types))
	for _, typ := range s.types {
		switch typ {
		case "rougeL":
			sc, err := scoreLCS(ctx, t, p, len(voc))
			if err != nil {
				return nil, err
			}
			out[typ] = sc
		case "rougeLsum":
		default:
			out[typ] = scoreNgrams(t, p, int(typ[5]-'0'))
		}
	}
	sc, err := summaryLCS(ctx, tl, pl, len(voc))
	if err != nil {
		return out, err
	}
	out["rougeLsum"] = sc
	return out, nil
}

// tokenizeLines returns the token ids of each non-empty line of text and of the
// whole text.
func (s *scorer) tokenizeLines(voc vocabulary, text string) ([][]int32, []int32) {
	lines := sentences(text)
	per := make([][]int32, len(lines))
	var all []int32
	for i, line := range lines {
		per[i] = voc.ids(s.tokenize(line, s.p.Stemmer))
		all = append(all, per[i]...)
	}
	return per, all
}

// scoreLCS is rouge-score's _score_lcs.
func scoreLCS(ctx context.Context, target, prediction []int32, vocab int) (Score, error) {
	if len(target) == 0 || len(prediction) == 0 {
		return Score{}, nil
	}
	l, err := lcsLength(ctx, target, prediction, vocab)
	if err != nil {
		return Score{}, err
	}
	return newScore(float64(l)/float64(len(prediction)), float64(l)/float64(len(target))), nil
}

// scoreNgrams is rouge-score's _score_ngrams over the n-grams of the two token lists.
func scoreNgrams(target, prediction []int32, n int) Score {
	tg, pg, size := ngramIDs(target, prediction, n)
	count := make([]int32, size)
	for _, g := range tg {
		count[g]++
	}
	overlap := 0
	for _, g := range pg {
		if count[g] > 0 {
			count[g]--
			overlap++
		}
	}
	return newScore(float64(overlap)/float64(max(len(pg), 1)), float64(overlap)/float64(max(len(tg), 1)))
}

// ngramIDs numbers the n-grams of a and b densely (equal n-grams, equal ids) and
// returns the two id lists and the number of distinct n-grams. The n-gram starting at
// i is built from the (n-1)-gram at i and token i+n-1, one pair map per level.
func ngramIDs(a, b []int32, n int) ([]int32, []int32, int) {
	ga := append([]int32(nil), a...)
	gb := append([]int32(nil), b...)
	size := 0
	for _, t := range a {
		size = max(size, int(t)+1)
	}
	for _, t := range b {
		size = max(size, int(t)+1)
	}
	for k := 1; k < n; k++ {
		pairs := make(map[uint64]int32, len(a)+len(b))
		next := func(g, toks []int32) []int32 {
			cnt := len(toks) - k
			if cnt <= 0 {
				return g[:0]
			}
			out := g[:cnt]
			for i := range out {
				key := uint64(uint32(g[i]))<<32 | uint64(uint32(toks[i+k]))
				id, ok := pairs[key]
				if !ok {
					id = int32(len(pairs))
					pairs[key] = id
				}
				out[i] = id
			}
			return out
		}
		ga = next(ga, a)
		gb = next(gb, b)
		size = len(pairs)
	}
	return ga, gb, size
}
