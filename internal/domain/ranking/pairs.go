package ranking

import (
	"cmp"
	"math"
	"slices"
)

// pairData is the comparison data reduced to what the Bradley–Terry likelihood needs:
// per unordered model pair, the total preference share of each side.
type pairData struct {
	models []string // sorted; indexes everything below
	pairs  []pair   // one per model pair with at least one judged comparison, i < j
	// cats are the distinct (pair, shares) outcomes with their counts: the categories
	// that the bootstrap resamples.
	cats []category

	comparisons int // judged comparisons between different models
	skipped     int // NaN preferences
	self        int // judged self-comparisons, ignored

	battles  []int     // per model
	winShare []float64 // per model: Σ count × the model's share
}

// pair is an unordered model pair (i < j) with i's and j's summed preference shares.
type pair struct {
	i, j int
	wi   float64 // Σ count × share of i
	wj   float64 // Σ count × share of j
}

// category is a count of comparisons in one pair with the same outcome: model i (the
// pair's smaller index) took share si and model j share sj. Both are kept as given
// (p and 1 − p), so that a soft preference of 1e-12 stays 1e-12 rather than the
// rounding residue of 1 − (1 − 1e-12).
type category struct {
	pair   int
	si, sj float64
	count  int
}

// newPairData reduces valid outcomes to pair data. Outcomes with a NaN preference are
// counted as skipped, self-comparisons as self, zero counts are ignored.
func newPairData(outcomes []Outcome) *pairData {
	d := &pairData{}
	index := make(map[string]int)
	for _, o := range outcomes {
		switch {
		case math.IsNaN(o.Preference):
			d.skipped += o.Count
			continue
		case o.Count == 0:
			continue
		case o.ModelA == o.ModelB:
			d.self += o.Count
			continue
		}
		for _, m := range [2]string{o.ModelA, o.ModelB} {
			if _, ok := index[m]; !ok {
				index[m] = len(d.models)
				d.models = append(d.models, m)
			}
		}
	}
	slices.Sort(d.models)
	for i, m := range d.models {
		index[m] = i
	}
	type pairKey struct{ i, j int }
	type catKey struct {
		pair   int
		si, sj uint64
	}
	pairIndex := make(map[pairKey]int)
	catIndex := make(map[catKey]int)
	d.battles = make([]int, len(d.models))
	d.winShare = make([]float64, len(d.models))
	for _, o := range outcomes {
		if math.IsNaN(o.Preference) || o.Count == 0 || o.ModelA == o.ModelB {
			continue
		}
		a, b := index[o.ModelA], index[o.ModelB]
		// A's share is 1 − p, B's is p; i is the smaller index.
		i, j, si, sj := a, b, 1-o.Preference, o.Preference
		if b < a {
			i, j, si, sj = b, a, sj, si
		}
		pk := pairKey{i, j}
		pi, ok := pairIndex[pk]
		if !ok {
			pi = len(d.pairs)
			pairIndex[pk] = pi
			d.pairs = append(d.pairs, pair{i: i, j: j})
		}
		c := float64(o.Count)
		d.pairs[pi].wi += c * si
		d.pairs[pi].wj += c * sj
		ck := catKey{pi, math.Float64bits(si + 0), math.Float64bits(sj + 0)}
		if ci, ok := catIndex[ck]; ok {
			d.cats[ci].count += o.Count
		} else {
			catIndex[ck] = len(d.cats)
			d.cats = append(d.cats, category{pair: pi, si: si, sj: sj, count: o.Count})
		}
		d.comparisons += o.Count
		d.battles[i] += o.Count
		d.battles[j] += o.Count
		d.winShare[i] += c * si
		d.winShare[j] += c * sj
	}
	// A canonical order makes every result, bootstrap included, independent of the
	// order and orientation of the input.
	perm := make([]int, len(d.pairs))
	for k := range perm {
		perm[k] = k
	}
	slices.SortFunc(perm, func(x, y int) int {
		if c := cmp.Compare(d.pairs[x].i, d.pairs[y].i); c != 0 {
			return c
		}
		return cmp.Compare(d.pairs[x].j, d.pairs[y].j)
	})
	newPos := make([]int, len(perm))
	sorted := make([]pair, len(perm))
	for pos, old := range perm {
		newPos[old] = pos
		sorted[pos] = d.pairs[old]
	}
	d.pairs = sorted
	for k := range d.cats {
		d.cats[k].pair = newPos[d.cats[k].pair]
	}
	slices.SortFunc(d.cats, func(x, y category) int {
		if c := cmp.Compare(x.pair, y.pair); c != 0 {
			return c
		}
		if c := cmp.Compare(x.si, y.si); c != 0 {
			return c
		}
		return cmp.Compare(x.sj, y.sj)
	})
	return d
}

// edges reports, per pair, whether i won some share (i→j) and whether j did (j→i),
// given per-category counts (nil means the observed counts).
func (d *pairData) edges(counts []int32) (iWon, jWon []bool) {
	iWon = make([]bool, len(d.pairs))
	jWon = make([]bool, len(d.pairs))
	for k, c := range d.cats {
		n := c.count
		if counts != nil {
			n = int(counts[k])
		}
		if n == 0 {
			continue
		}
		if c.si > 0 {
			iWon[c.pair] = true
		}
		if c.sj > 0 {
			jWon[c.pair] = true
		}
	}
	return iWon, jWon
}

// weakComponents labels the connected components of the graph with an edge for
// every pair, returning the label of each model and the number of components.
func weakComponents(m int, pairs []pair) ([]int, int) {
	parent := make([]int, m)
	for i := range parent {
		parent[i] = i
	}
	find := func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, p := range pairs {
		if ri, rj := find(p.i), find(p.j); ri != rj {
			parent[ri] = rj
		}
	}
	label := make([]int, m)
	roots := make(map[int]int)
	for i := range m {
		r := find(i)
		l, ok := roots[r]
		if !ok {
			l = len(roots)
			roots[r] = l
		}
		label[i] = l
	}
	return label, len(roots)
}

// strongComponents labels the strongly connected components of the win graph on m
// models with edges i→j where iWon and j→i where jWon (Kosaraju's algorithm, with
// explicit stacks). It returns each model's label and the number of components.
func strongComponents(m int, pairs []pair, iWon, jWon []bool) ([]int, int) {
	out := make([][]int, m)
	in := make([][]int, m)
	for k, p := range pairs {
		if iWon[k] {
			out[p.i] = append(out[p.i], p.j)
			in[p.j] = append(in[p.j], p.i)
		}
		if jWon[k] {
			out[p.j] = append(out[p.j], p.i)
			in[p.i] = append(in[p.i], p.j)
		}
	}
	// First pass: order models by DFS finishing time on the graph.
	visited := make([]bool, m)
	order := make([]int, 0, m)
	type frame struct{ v, next int }
	var stack []frame
	for s := range m {
		if visited[s] {
			continue
		}
		visited[s] = true
		stack = append(stack[:0], frame{s, 0})
		for len(stack) > 0 {
			top := &stack[len(stack)-1]
			if top.next < len(out[top.v]) {
				w := out[top.v][top.next]
				top.next++
				if !visited[w] {
					visited[w] = true
					stack = append(stack, frame{w, 0})
				}
				continue
			}
			order = append(order, top.v)
			stack = stack[:len(stack)-1]
		}
	}
	// Second pass: on the transposed graph in decreasing finishing time; each tree is
	// one strongly connected component.
	label := make([]int, m)
	for i := range label {
		label[i] = -1
	}
	n := 0
	var todo []int
	for k := m - 1; k >= 0; k-- {
		s := order[k]
		if label[s] >= 0 {
			continue
		}
		label[s] = n
		todo = append(todo[:0], s)
		for len(todo) > 0 {
			v := todo[len(todo)-1]
			todo = todo[:len(todo)-1]
			for _, w := range in[v] {
				if label[w] < 0 {
					label[w] = n
					todo = append(todo, w)
				}
			}
		}
		n++
	}
	return label, n
}

// outsideLargest reports, per model, whether it lies outside the single largest
// component; when several components tie for largest, every model is outside.
func outsideLargest(label []int, n int) []bool {
	size := make([]int, n)
	for _, l := range label {
		size[l]++
	}
	best, ties := -1, 0
	for l, s := range size {
		switch {
		case best < 0 || s > size[best]:
			best, ties = l, 1
		case s == size[best]:
			ties++
		}
	}
	res := make([]bool, len(label))
	for i, l := range label {
		res[i] = ties > 1 || l != best
	}
	return res
}
