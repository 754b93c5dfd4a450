package sacrebleu

import "math/bits"

// unknownUnit stands for a hypothesis token no reference has; it is never indexed.
const unknownUnit = ^uint32(0)

// maxOrders bounds the orders one count covers: BLEU's four, or chrF's character
// orders (at most MaxCharOrder), or its word orders (fewer).
const maxOrders = MaxCharOrder

// vocabulary numbers the words or tokens of reference texts from 1, so that they can
// be units of n-grams.
type vocabulary map[string]uint32

// appendIDs appends the id of each of toks to units. A token not in v gets the next
// id when add is set (references), unknownUnit when not (hypotheses).
func (v vocabulary) appendIDs(units []uint32, toks []string, add bool) []uint32 {
	for _, tok := range toks {
		id, ok := v[tok]
		switch {
		case ok:
		case add:
			id = uint32(len(v) + 1)
			v[tok] = id
		default:
			id = unknownUnit
		}
		units = append(units, id)
	}
	return units
}

// orderCounts holds one number per n-gram order, order n at index n-1.
type orderCounts [maxOrders]int

// ngramIndex numbers the n-grams of reference texts densely, so that counts can live
// in slices: id 0 is the empty n-gram, and the n-gram made of the n-gram with id p
// followed by the unit u (a token id or a code point) gets the id of the pair (p, u).
// Ids are unique across orders.
//
// It is a hash table with open addressing and linear probing over the pairs packed
// into a uint64, at most half full. The slots hold only ids (4 bytes each, so the
// table of a long reference stays in cache) and the keys live in an array by id; a
// lookup reads one slot and, unless the slot is empty, one key, and allocates nothing.
// A metric keeps its indexes in a pool and resets one per segment, which clears a
// table sized for that segment's references.
type ngramIndex struct {
	slots []int32  // an id, or 0 for an empty slot
	keys  []uint64 // by id; keys[0] is unused
	shift uint     // 64 - log2(len(slots)): the hash's top bits pick the slot
	cur   []int32  // scratch for countReference and matchHypothesis
}

// reset empties x for at most hint n-grams (it grows if more come).
func (x *ngramIndex) reset(hint int) {
	size := 16
	for size < 2*hint {
		size <<= 1
	}
	if cap(x.slots) >= size {
		x.slots = x.slots[:size]
		clear(x.slots)
	} else {
		x.slots = make([]int32, size)
	}
	x.shift = uint(64 - bits.TrailingZeros(uint(size)))
	x.keys = append(x.keys[:0], 0)
}

// size returns the number of ids handed out; ids run from 1 to size.
func (x *ngramIndex) size() int { return len(x.keys) - 1 }

// slot returns the index of the slot holding key k, or of the empty slot where it
// would go. Fibonacci hashing: the top bits of k times 2^64/φ.
func (x *ngramIndex) slot(k uint64) int {
	mask := len(x.slots) - 1
	i := int((k * 0x9e3779b97f4a7c15) >> x.shift)
	for {
		id := x.slots[i]
		if id == 0 || x.keys[id] == k {
			return i
		}
		i = (i + 1) & mask
	}
}

func (x *ngramIndex) add(prefix int32, u uint32) int32 {
	k := uint64(uint32(prefix))<<32 | uint64(u)
	i := x.slot(k)
	if id := x.slots[i]; id != 0 {
		return id
	}
	if 2*len(x.keys) > len(x.slots) {
		x.grow()
		i = x.slot(k)
	}
	id := int32(len(x.keys))
	x.keys = append(x.keys, k)
	x.slots[i] = id
	return id
}

func (x *ngramIndex) find(prefix int32, u uint32) int32 {
	return x.slots[x.slot(uint64(uint32(prefix))<<32|uint64(u))]
}

// grow doubles the table and re-inserts every entry.
func (x *ngramIndex) grow() {
	x.slots = make([]int32, 2*len(x.slots))
	x.shift--
	for id, k := range x.keys[1:] {
		x.slots[x.slot(k)] = int32(id + 1)
	}
}

// scratch returns a slice of n int32s from x's scratch space, contents undefined.
func (x *ngramIndex) scratch(n int) []int32 {
	if cap(x.cur) < n {
		x.cur = make([]int32, n)
	}
	return x.cur[:n]
}

// countReference indexes every n-gram of units, orders 1 to maxOrder, and returns
// counts (whose previous contents are discarded) holding the count of each n-gram by
// id, of length x.size()+1, together with the number of n-grams of each order.
func (x *ngramIndex) countReference(units []uint32, maxOrder int, counts []int32) ([]int32, orderCounts) {
	var totals orderCounts
	counts = resize(counts, x.size()+1)
	cur := x.scratch(len(units))
	clear(cur)
	for n := 1; n <= maxOrder; n++ {
		if len(units) >= n {
			totals[n-1] = len(units) - n + 1
		}
		for i := 0; i+n <= len(units); i++ {
			// cur[i] holds the (n-1)-gram starting at i; extend it by one unit.
			id := x.add(cur[i], units[i+n-1])
			cur[i] = id
			if int(id) == len(counts) { // new ids come one at a time
				counts = append(counts, 0)
			}
			counts[id]++
		}
	}
	return counts, totals
}

// matchHypothesis counts the n-grams of units, orders 1 to maxOrder, and those found
// in remaining (reference counts by id, consumed as they match), which clips each
// n-gram's matches to its reference count: the sum of min(hyp count, ref count).
func (x *ngramIndex) matchHypothesis(units []uint32, maxOrder int, remaining []int32) (totals, matches orderCounts) {
	cur := x.scratch(len(units))
	clear(cur)
	for n := 1; n <= maxOrder; n++ {
		if len(units) >= n {
			totals[n-1] = len(units) - n + 1
		}
		for i := 0; i+n <= len(units); i++ {
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

// resize returns s with length n and every element 0, reusing its array when it can.
func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	s = s[:n]
	clear(s)
	return s
}

// extend returns s lengthened to n with zeros, or s itself when it is that long.
func extend(s []int32, n int) []int32 {
	if len(s) >= n {
		return s
	}
	return append(s, make([]int32, n-len(s))...)
}
