// Package levenshtein implements the levenshtein scorer: the edit distance between
// response and reference over Unicode code points, reported as a similarity in [0,1].
package levenshtein

import (
	"context"
	"encoding/json"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

type params struct {
	CaseSensitive *bool `json:"case_sensitive"`
}

// Levenshtein describes the levenshtein scorer. Both texts are read as sequences of
// Unicode code points (an invalid UTF-8 byte counts as one U+FFFD); the distance d is
// the least number of single code point insertions, deletions and substitutions that
// turn the response into the reference, and the value is
//
//	1 − d / max(len(response), len(reference))   (1 when both are empty)
//
// with lengths in code points. No Unicode normalization is applied: "é" precomposed
// and "e" + U+0301 differ. With case_sensitive false (default true), code points are
// compared by Unicode simple case folding, a code point matching every member of its
// fold orbit (k, K and U+212A KELVIN SIGN are one letter), so lengths never change.
// Details: distance, response_length, reference_length.
//
// The distance is computed by Myers' bit-parallel algorithm (1999) in Hyyrö's
// block form, in O(n·⌈m/64⌉) time for lengths m ≤ n after the common prefix and
// suffix are removed, and is exact. When its match-mask table (distinct code points of
// the shorter text × ⌈m/64⌉ words) would pass 8 MiB, the two-row dynamic programme,
// O(n·m) time and O(m) memory, is used instead. There is no length cap: the
// computation checks its context, so a pathological pair ends at the scorer's time
// budget with an error.
func Levenshtein() scoring.Type {
	return scoring.Type{
		UnitInterval: true,
		Name:         "levenshtein",
		Description:  "Edit-distance similarity over Unicode code points: 1 - distance / max(length), 1 when both texts are empty.",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"properties": {
				"case_sensitive": {"type": "boolean"}
			}
		}`),
		NeedsReference: true,
		Better:         scoring.HigherIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p params
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			fold := p.CaseSensitive != nil && !*p.CaseSensitive
			return scoring.ScorerFunc(func(ctx context.Context, it scoring.Item) (scoring.Result, error) {
				return score(ctx, it.Response, it.Reference, fold)
			}), nil
		},
	}
}

func score(ctx context.Context, response, reference string, fold bool) (scoring.Result, error) {
	a, b := []rune(response), []rune(reference)
	if fold {
		foldRunes(a)
		foldRunes(b)
	}
	d, err := Distance(ctx, a, b)
	if err != nil {
		return scoring.Result{}, err
	}
	value := 1.0
	if n := max(len(a), len(b)); n > 0 {
		value = 1 - float64(d)/float64(n)
	}
	return scoring.Result{Value: value, Details: map[string]any{
		"distance":         d,
		"response_length":  len(a),
		"reference_length": len(b),
	}}, nil
}

// foldRunes replaces each rune by the smallest member of its unicode.SimpleFold orbit.
func foldRunes(rs []rune) {
	for i, r := range rs {
		if r < 0x80 {
			if r >= 'a' && r <= 'z' {
				rs[i] = r - ('a' - 'A')
			}
			continue
		}
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		rs[i] = least
	}
}

// ctxEvery is how many text positions are processed between checks of the context.
const ctxEvery = 1024

// maxPeqWords bounds the match-mask table of the bit-parallel algorithm: 1 Mi
// 64-bit words, 8 MiB.
const maxPeqWords = 1 << 20

// Distance returns the Levenshtein distance between a and b (unit-cost insertions,
// deletions and substitutions of runes). It returns ctx's error if ctx ends first.
func Distance(ctx context.Context, a, b []rune) (int, error) {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	if len(a) == 0 {
		return len(b), nil
	}
	p := newPattern(a)
	if p.distinct*p.words > maxPeqWords {
		return distanceDP(ctx, a, b)
	}
	p.build(a)
	if p.words == 1 {
		return p.distance64(ctx, b)
	}
	return p.distanceBlocks(ctx, b)
}

// pattern holds the match masks of the shorter text: bit i of the mask of rune r is
// set when a[i] == r. Masks are indexed by a slot per distinct rune.
type pattern struct {
	m, words, distinct int
	ascii              [128]int32 // slot+1 of an ASCII rune, 0 when absent
	other              map[rune]int32
	peq                []uint64 // distinct × words
}

func newPattern(a []rune) *pattern {
	p := &pattern{m: len(a), words: (len(a) + 63) / 64}
	for _, r := range a {
		if p.slot(r) == 0 {
			p.distinct++
			if r >= 0 && r < 128 {
				p.ascii[r] = int32(p.distinct)
			} else {
				if p.other == nil {
					p.other = map[rune]int32{}
				}
				p.other[r] = int32(p.distinct)
			}
		}
	}
	return p
}

// slot returns 1 + the mask index of r, 0 when r is not in the pattern.
func (p *pattern) slot(r rune) int32 {
	if r >= 0 && r < 128 {
		return p.ascii[r]
	}
	return p.other[r]
}

func (p *pattern) build(a []rune) {
	p.peq = make([]uint64, p.distinct*p.words)
	for i, r := range a {
		p.peq[int(p.slot(r)-1)*p.words+i/64] |= 1 << uint(i%64)
	}
}

// distance64 is Myers' algorithm for a pattern of at most 64 runes. Bit i of vp
// (vn) says that D[i+1][j] − D[i][j] is +1 (−1); score tracks D[m][j].
func (p *pattern) distance64(ctx context.Context, b []rune) (int, error) {
	vp, vn := ^uint64(0), uint64(0)
	last := uint64(1) << uint(p.m-1)
	score := p.m
	for j, r := range b {
		if j%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		var eq uint64
		if s := p.slot(r); s != 0 {
			eq = p.peq[s-1]
		}
		xv := eq | vn
		xh := (((eq & vp) + vp) ^ vp) | eq
		ph := vn | ^(xh | vp)
		mh := vp & xh
		if ph&last != 0 {
			score++
		} else if mh&last != 0 {
			score--
		}
		// Row 0 is D[0][j] = j, so the horizontal delta entering at the top is +1.
		ph = ph<<1 | 1
		mh <<= 1
		vp = mh | ^(xv | ph)
		vn = ph & xv
	}
	return score, nil
}

// distanceBlocks is the multi-word form: the pattern is cut into 64-row blocks, and
// each text position advances every block top to bottom, passing the horizontal
// delta at the block's last row down to the next block as two bits, hp (+1) and
// hn (−1); the delta entering the first block is +1 (row 0 is D[0][j] = j). Within a
// block the step is the single-word one, with a −1 entering delta also counted as a
// match in the first row (Hyyrö 2003).
func (p *pattern) distanceBlocks(ctx context.Context, b []rune) (int, error) {
	vp := make([]uint64, p.words)
	vn := make([]uint64, p.words)
	for k := range vp {
		vp[k] = ^uint64(0)
	}
	lastBit := uint((p.m - 1) % 64)
	score := p.m
	zero := make([]uint64, p.words)
	for j, r := range b {
		if j%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		eqs := zero
		if s := int(p.slot(r)); s != 0 {
			eqs = p.peq[(s-1)*p.words : s*p.words]
		}
		hp, hn := uint64(1), uint64(0)
		for k, pv := range vp {
			mv := vn[k]
			eq := eqs[k]
			xv := eq | mv
			eq |= hn
			xh := (((eq & pv) + pv) ^ pv) | eq
			ph := mv | ^(xh | pv)
			mh := pv & xh
			outBit := uint(63)
			if k == len(vp)-1 {
				outBit = lastBit
			}
			outP, outN := ph>>outBit&1, mh>>outBit&1
			ph = ph<<1 | hp
			mh = mh<<1 | hn
			vp[k] = mh | ^(xv | ph)
			vn[k] = ph & xv
			hp, hn = outP, outN
		}
		score += int(hp) - int(hn)
	}
	return score, nil
}

// distanceDP is the two-row dynamic programme (Wagner and Fischer 1974), used for
// patterns with too many distinct runes and as the reference in tests.
func distanceDP(ctx context.Context, a, b []rune) (int, error) {
	if len(a) > len(b) {
		a, b = b, a
	}
	prev := make([]int, len(a)+1)
	cur := make([]int, len(a)+1)
	for i := range prev {
		prev[i] = i
	}
	for j, rb := range b {
		if j%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		cur[0] = j + 1
		for i, ra := range a {
			cost := 1
			if ra == rb {
				cost = 0
			}
			cur[i+1] = min(prev[i]+cost, prev[i+1]+1, cur[i]+1)
		}
		prev, cur = cur, prev
	}
	return prev[len(a)], nil
}
