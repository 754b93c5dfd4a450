package rouge

import (
	"context"
	"fmt"
	"math/bits"
)

// ctxEvery is how many outer-loop steps the long computations take between checks of
// their context, so a pathological input ends at the scorer's deadline.
const ctxEvery = 1024

// maxPeqWords bounds the match-mask table of the bit-parallel LCS (distinct tokens of
// the shorter sequence × 64-bit words per mask): 1 Mi words, 8 MiB. Beyond it the
// quadratic dynamic programme is used, which needs memory linear in the input.
const maxPeqWords = 1 << 20

// maxTableCells bounds the table rougeLsum builds for one (reference line, response
// line) pair, which it needs in full to read back the same LCS rouge-score reads back:
// 16 Mi cells of 2 bytes, 32 MiB. A pair over it is an error asking for one sentence
// per line.
const maxTableCells = 1 << 24

// lcsLength returns the length of the longest common subsequence of a and b, whose
// tokens are ids in [0, vocab). It uses the bit-parallel recurrence of Allison and
// Dix (1986) in the form given by Hyyrö (2004), V' = (V + (V & M)) | (V &^ M), with
// the shorter sequence along the bits: O(len(a)·len(b)/64) time.
func lcsLength(ctx context.Context, a, b []int32, vocab int) (int, error) {
	if len(a) > len(b) {
		a, b = b, a
	}
	m := len(a)
	if m == 0 {
		return 0, nil
	}
	words := (m + 63) / 64
	// slot[id] is 1 + the index of the token's mask in peq, 0 when absent from a.
	slot := make([]int32, vocab)
	distinct := 0
	for _, t := range a {
		if slot[t] == 0 {
			distinct++
			slot[t] = int32(distinct)
		}
	}
	if distinct*words > maxPeqWords {
		return lcsLengthDP(ctx, a, b)
	}
	peq := make([]uint64, distinct*words)
	for i, t := range a {
		base := int(slot[t]-1) * words
		peq[base+i/64] |= 1 << uint(i%64)
	}
	v := make([]uint64, words)
	for k := range v {
		v[k] = ^uint64(0)
	}
	for j, t := range b {
		if j%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		s := slot[t]
		if s == 0 {
			continue // no match: V is unchanged
		}
		mask := peq[int(s-1)*words : int(s)*words]
		var carry uint64
		for k, vk := range v {
			var sum uint64
			sum, carry = bits.Add64(vk, vk&mask[k], carry)
			v[k] = sum | (vk &^ mask[k])
		}
	}
	zeros := 0
	for k, vk := range v {
		if k == words-1 && m%64 != 0 {
			vk |= ^uint64(0) << uint(m%64) // ignore the padding bits above row m
		}
		zeros += 64 - bits.OnesCount64(vk)
	}
	return zeros, nil
}

// lcsLengthDP is the textbook two-row dynamic programme for the LCS length.
func lcsLengthDP(ctx context.Context, a, b []int32) (int, error) {
	if len(a) > len(b) {
		a, b = b, a
	}
	prev := make([]int32, len(a)+1)
	cur := make([]int32, len(a)+1)
	for j, tb := range b {
		if j%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		for i, ta := range a {
			switch {
			case ta == tb:
				cur[i+1] = prev[i] + 1
			case prev[i+1] >= cur[i]:
				cur[i+1] = prev[i+1]
			default:
				cur[i+1] = cur[i]
			}
		}
		prev, cur = cur, prev
	}
	return int(prev[len(a)]), nil
}

// lcsTable holds the full LCS table of ref (rows) against can (columns):
// t[i][j] = LCS length of ref[:i] and can[:j].
type lcsTable struct {
	cells []uint16
	cols  int
}

func (t *lcsTable) at(i, j int) uint16 { return t.cells[i*t.cols+j] }

// fill computes the table of ref against can, reusing t's storage.
func (t *lcsTable) fill(ctx context.Context, ref, can []int32) error {
	rows, cols := len(ref)+1, len(can)+1
	if rows*cols > maxTableCells {
		return fmt.Errorf("rougeLsum: a reference line of %d tokens against a response line of %d tokens "+
			"needs a table of %d cells, over the limit of %d; put one sentence per line", len(ref), len(can), rows*cols, maxTableCells)
	}
	if cap(t.cells) < rows*cols {
		t.cells = make([]uint16, rows*cols)
	}
	t.cells = t.cells[:rows*cols]
	t.cols = cols
	clear(t.cells[:cols])
	for i := 1; i < rows; i++ {
		if i%ctxEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		up := t.cells[(i-1)*cols : i*cols]
		row := t.cells[i*cols : (i+1)*cols]
		row[0] = 0
		r := ref[i-1]
		for j := 1; j < cols; j++ {
			switch {
			case r == can[j-1]:
				row[j] = up[j-1] + 1
			case up[j] >= row[j-1]:
				row[j] = up[j]
			default:
				row[j] = row[j-1]
			}
		}
	}
	return nil
}

// markLCS reads one LCS back from the table the way rouge-score's _backtrack_norec
// does (from the bottom-right corner: take a match when the tokens are equal, else
// move left when the cell to the left is strictly greater than the cell above, else
// move up) and sets in[i] for every index i of ref in it.
func (t *lcsTable) markLCS(ref, can []int32, in []bool) {
	i, j := len(ref), len(can)
	for i > 0 && j > 0 {
		switch {
		case ref[i-1] == can[j-1]:
			in[i-1] = true
			i--
			j--
		case t.at(i, j-1) > t.at(i-1, j):
			j--
		default:
			i--
		}
	}
}

// summaryLCS computes rouge-score's summary-level LCS (rougeLsum; Lin 2004, section
// 3.2, with ROUGE-1.5.5's guard against double counting). For each reference line r,
// the union over response lines c of the indices of one LCS of r and c is taken in
// index order; each token there is a hit if it still has a count left in both the
// reference and the response token counts (over all lines), and a hit uses one of
// each. Recall is hits over reference tokens, precision hits over response tokens.
// Either side with no line or no token scores zero.
func summaryLCS(ctx context.Context, ref, can [][]int32, vocab int) (Score, error) {
	if len(ref) == 0 || len(can) == 0 {
		return Score{}, nil
	}
	m, n := 0, 0
	countR := make([]int, vocab)
	countC := make([]int, vocab)
	for _, s := range ref {
		m += len(s)
		for _, t := range s {
			countR[t]++
		}
	}
	for _, s := range can {
		n += len(s)
		for _, t := range s {
			countC[t]++
		}
	}
	if m == 0 || n == 0 {
		return Score{}, nil
	}
	var table lcsTable
	inRef := make([]bool, vocab)
	hits := 0
	for _, r := range ref {
		in := make([]bool, len(r))
		for _, t := range r {
			inRef[t] = true
		}
		for _, c := range can {
			if !sharesToken(c, inRef) {
				continue // the LCS is empty and marks nothing
			}
			if err := table.fill(ctx, r, c); err != nil {
				return Score{}, err
			}
			table.markLCS(r, c, in)
		}
		for _, t := range r {
			inRef[t] = false
		}
		for i, ok := range in {
			if !ok {
				continue
			}
			if t := r[i]; countC[t] > 0 && countR[t] > 0 {
				hits++
				countC[t]--
				countR[t]--
			}
		}
	}
	return newScore(float64(hits)/float64(n), float64(hits)/float64(m)), nil
}

func sharesToken(c []int32, in []bool) bool {
	for _, t := range c {
		if in[t] {
			return true
		}
	}
	return false
}
