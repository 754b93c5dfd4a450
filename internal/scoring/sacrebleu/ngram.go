package sacrebleu

// unknownUnit stands for a hypothesis token no reference has; it is never indexed.
const unknownUnit = ^uint32(0)

// ngramIndex numbers the n-grams of reference texts densely, so that counts can live
// in slices: id 0 is the empty n-gram, and the n-gram made of the n-gram with id p
// followed by the unit u (a token id or a code point) gets the id of the pair (p, u).
// Ids are unique across orders.
type ngramIndex struct {
	ids map[uint64]int32
}

func newNgramIndex(sizeHint int) *ngramIndex {
	return &ngramIndex{ids: make(map[uint64]int32, sizeHint)}
}

// size returns the number of ids handed out; ids run from 1 to size.
func (x *ngramIndex) size() int { return len(x.ids) }

func (x *ngramIndex) add(prefix int32, u uint32) int32 {
	k := uint64(prefix)<<32 | uint64(u)
	id, ok := x.ids[k]
	if !ok {
		id = int32(len(x.ids) + 1)
		x.ids[k] = id
	}
	return id
}

func (x *ngramIndex) find(prefix int32, u uint32) int32 {
	return x.ids[uint64(prefix)<<32|uint64(u)]
}

// countReference indexes every n-gram of units, orders 1 to maxOrder, and returns the
// count of each n-gram by id (its length is x.size()+1 at return) together with the
// number of n-grams of each order.
func countReference(x *ngramIndex, units []uint32, maxOrder int, counts []int32) ([]int32, []int) {
	totals := make([]int, maxOrder)
	cur := make([]int32, len(units))
	for n := 1; n <= maxOrder; n++ {
		for i := 0; i+n <= len(units); i++ {
			// cur[i] holds the (n-1)-gram starting at i; extend it by one unit.
			cur[i] = x.add(cur[i], units[i+n-1])
			for int(cur[i]) >= len(counts) {
				counts = append(counts, 0)
			}
			counts[cur[i]]++
			totals[n-1]++
		}
	}
	return counts, totals
}

// matchHypothesis counts the n-grams of units, orders 1 to maxOrder, and those found
// in remaining (reference counts by id, consumed as they match), which clips each
// n-gram's matches to its reference count: the sum of min(hyp count, ref count).
func matchHypothesis(x *ngramIndex, units []uint32, maxOrder int, remaining []int32) (totals, matches []int) {
	totals = make([]int, maxOrder)
	matches = make([]int, maxOrder)
	cur := make([]int32, len(units))
	for n := 1; n <= maxOrder; n++ {
		for i := 0; i+n <= len(units); i++ {
			totals[n-1]++
			// An (n-1)-gram no reference has cannot grow into one that it has.
			if n > 1 && cur[i] == 0 {
				continue
			}
			id := x.find(cur[i], units[i+n-1])
			cur[i] = id
			if id != 0 && remaining[id] > 0 {
				remaining[id]--
				matches[n-1]++
			}
		}
	}
	return totals, matches
}
