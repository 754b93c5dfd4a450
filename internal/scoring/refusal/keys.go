package refusal

// keyMatcher finds every occurrence of every cue key in one pass over a text: an
// Aho–Corasick automaton, compiled to a table of transitions over the bytes that
// occur in keys (every other byte is one class). Looking for each key of each cue
// with strings.Contains, sentence by sentence, cost more than the rest of
// detection together.
type keyMatcher struct {
	class   [256]uint8
	classes int
	next    []int32  // next[state*classes+class]
	out     [][]int  // out[state]: the keys that end at this state
	keyLen  []int    // by key
	keyCues []uint64 // by key: the cues (bit i = cues[i]) that list it
}

// newKeyMatcher builds the matcher over the keys of cues, which must number at most 64.
func newKeyMatcher(cues []cue) *keyMatcher {
	if len(cues) > 64 {
		panic("refusal: more than 64 cues; keyMatcher's cue sets are 64-bit")
	}
	m := &keyMatcher{}
	index := map[string]int{}
	var keys []string
	for i, c := range cues {
		for _, k := range c.keys {
			id, ok := index[k]
			if !ok {
				id = len(keys)
				index[k] = id
				keys = append(keys, k)
				m.keyLen = append(m.keyLen, len(k))
				m.keyCues = append(m.keyCues, 0)
			}
			m.keyCues[id] |= 1 << i
		}
	}
	// Byte classes: 0 for bytes in no key, then one per byte that keys use.
	m.classes = 1
	for _, k := range keys {
		for i := 0; i < len(k); i++ {
			if m.class[k[i]] == 0 {
				m.class[k[i]] = uint8(m.classes)
				m.classes++
			}
		}
	}
	// The trie, with -1 for a missing edge.
	goTo := [][]int32{newRow(m.classes)}
	m.out = [][]int{nil}
	for id, k := range keys {
		s := 0
		for i := 0; i < len(k); i++ {
			c := m.class[k[i]]
			if goTo[s][c] < 0 {
				goTo[s][c] = int32(len(goTo))
				goTo = append(goTo, newRow(m.classes))
				m.out = append(m.out, nil)
			}
			s = int(goTo[s][c])
		}
		m.out[s] = append(m.out[s], id)
	}
	// Breadth first: failure links, outputs inherited along them, and missing
	// edges filled in from the failure state, which gives a full transition table.
	fail := make([]int32, len(goTo))
	var queue []int32
	for c := range m.classes {
		if t := goTo[0][c]; t < 0 {
			goTo[0][c] = 0
		} else {
			queue = append(queue, t)
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		m.out[s] = append(m.out[s], m.out[fail[s]]...)
		for c := range m.classes {
			t := goTo[s][c]
			if t < 0 {
				goTo[s][c] = goTo[fail[s]][c]
				continue
			}
			fail[t] = goTo[fail[s]][c]
			queue = append(queue, t)
		}
	}
	m.next = make([]int32, 0, len(goTo)*m.classes)
	for _, row := range goTo {
		m.next = append(m.next, row...)
	}
	return m
}

func newRow(n int) []int32 {
	row := make([]int32, n)
	for i := range row {
		row[i] = -1
	}
	return row
}

// cueHits reports, for text split into sents (sorted, not overlapping), which cues
// have a key somewhere in text (bit i for cues[i]) and, for each sentence, which
// have a key inside that sentence: the same answers as cue.mayMatch on text and on
// each sentence.
func (m *keyMatcher) cueHits(text string, sents []span) (all uint64, bySentence []uint64) {
	bySentence = make([]uint64, len(sents))
	s, k := int32(0), 0
	for i := 0; i < len(text); i++ {
		s = m.next[int(s)*m.classes+int(m.class[text[i]])]
		for _, id := range m.out[s] {
			all |= m.keyCues[id]
			end := i + 1
			start := end - m.keyLen[id]
			// Matches end in increasing order, so the sentence can only move forward.
			for k < len(sents) && sents[k].end < end {
				k++
			}
			if k < len(sents) && sents[k].start <= start {
				bySentence[k] |= m.keyCues[id]
			}
		}
	}
	return all, bySentence
}
