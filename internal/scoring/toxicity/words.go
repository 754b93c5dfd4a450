package toxicity

// A run is a maximal repetition of one folded letter inside a word part: "fuuuck"
// has the runs f, u×3, c, k. Matching compares runs, so stretched letters never
// hide a term, while a term's own double letters ("ass") still need two.
type run struct {
	r      rune
	n      int32
	u0, u1 int32 // first and last unit of the run
	word   int32
	part   int32
}

// A part is a stretch of a word between joiners: "knee-jerk" has the parts "knee"
// and "jerk". Joiners next to a single letter do not split ("f.u.c.k" is one part).
type part struct{ r0, r1 int32 }

// A word is a maximal sequence of word units, possibly with joiners between them.
type word struct{ r0, r1 int32 }

// segmented is a text cut into words, parts and runs.
type segmented struct {
	units []unit
	runs  []run
	parts []part
	words []word
}

// maxSpacedGap is the largest number of separator characters between the letters
// of a spaced-out word ("F   u   C  k").
const maxSpacedGap = 5

// minSpaced is the fewest single letters that join into a spaced-out word, so that
// ordinary one-letter words ("a", "I") next to each other stay apart.
const minSpaced = 3

// rawWord is a word before runs are built: idx[i0:i1] are the unit indices of
// its letters, digits and symbols, and segs[s0:s1] the offsets (relative to i0)
// where a joiner-separated segment starts, the first being 0.
type rawWord struct {
	i0, i1, s0, s1 int
}

// wordList holds raw words and the two buffers their fields index.
type wordList struct {
	words []rawWord
	idx   []int32
	segs  []int
}

// segment cuts units into words and builds their runs.
//
// A word starts at a word unit and extends over word units and over runs of
// joiners that have a word unit on both sides. A leading '#' (a hashtag) and
// trailing '!' are punctuation, not leetspeak, and are trimmed. A word with no
// letter but with a digit is a number ("455", "1.5") and is dropped, so that
// leetspeak never reads numbers as words. Three or more one-letter words
// separated by at most maxSpacedGap separators on one line are joined into a
// single word ("f u c k").
func segment(units []unit) *segmented {
	wl := splitWords(units)
	wl.joinSpaced(units)
	s := &segmented{units: units, runs: make([]run, 0, len(wl.idx))}
	for _, rw := range wl.words {
		s.addWord(wl, rw)
	}
	return s
}

func splitWords(units []unit) *wordList {
	wl := &wordList{idx: make([]int32, 0, len(units))}
	for i := 0; i < len(units); {
		if units[i].class != classWord {
			i++
			continue
		}
		rw := rawWord{i0: len(wl.idx), s0: len(wl.segs)}
		wl.segs = append(wl.segs, 0)
		j := i
		for j < len(units) {
			if units[j].class == classWord {
				wl.idx = append(wl.idx, int32(j))
				j++
				continue
			}
			if units[j].class != classJoiner {
				break
			}
			k := j
			for k < len(units) && units[k].class == classJoiner {
				k++
			}
			if k == len(units) || units[k].class != classWord {
				break
			}
			wl.segs = append(wl.segs, len(wl.idx)-rw.i0)
			j = k
		}
		i = j
		rw.i1, rw.s1 = len(wl.idx), len(wl.segs)
		if rw, ok := wl.trim(units, rw); ok {
			wl.words = append(wl.words, rw)
		}
	}
	return wl
}

// trim drops a leading '#' and trailing '!' symbols from a word, and reports
// whether anything that is not a number remains.
func (wl *wordList) trim(units []unit, rw rawWord) (rawWord, bool) {
	lo, hi := rw.i0, rw.i1
	for lo < hi && units[wl.idx[lo]].sym == '#' {
		lo++
	}
	for hi > lo && units[wl.idx[hi-1]].sym == '!' {
		hi--
	}
	if lo == hi {
		return rw, false
	}
	if lo != rw.i0 || hi != rw.i1 {
		// Keep the segment starts that still fall inside the word, shifted.
		segs := []int{0}
		for _, off := range wl.segs[rw.s0:rw.s1] {
			if at := rw.i0 + off; at > lo && at < hi {
				segs = append(segs, at-lo)
			}
		}
		rw = rawWord{i0: lo, i1: hi, s0: len(wl.segs)}
		wl.segs = append(wl.segs, segs...)
		rw.s1 = len(wl.segs)
	}
	digit := false
	for _, ui := range wl.idx[rw.i0:rw.i1] {
		if units[ui].letter {
			return rw, true
		}
		digit = digit || units[ui].digit
	}
	return rw, !digit
}

// joinSpaced merges runs of one-letter words into one word.
func (wl *wordList) joinSpaced(units []unit) {
	single := func(k int) bool { return wl.words[k].i1-wl.words[k].i0 == 1 }
	out := wl.words[:0]
	for i := 0; i < len(wl.words); {
		j := i + 1
		if single(i) {
			for j < len(wl.words) && single(j) && spacedGap(units, wl.idx[wl.words[j-1].i0], wl.idx[wl.words[j].i0]) {
				j++
			}
		}
		if j-i < minSpaced {
			out = append(out, wl.words[i])
			i++
			continue
		}
		m := rawWord{i0: len(wl.idx), s0: len(wl.segs)}
		for _, rw := range wl.words[i:j] {
			wl.idx = append(wl.idx, wl.idx[rw.i0])
		}
		wl.segs = append(wl.segs, 0)
		m.i1, m.s1 = len(wl.idx), len(wl.segs)
		out = append(out, m)
		i = j
	}
	wl.words = out
}

func spacedGap(units []unit, last, first int32) bool {
	if first-last-1 > maxSpacedGap {
		return false
	}
	for k := last + 1; k < first; k++ {
		if units[k].class == classNewline {
			return false
		}
	}
	return true
}

// addWord builds the parts and runs of one word. Segments split the word into
// parts only where both neighbouring segments have at least two units.
func (s *segmented) addWord(wl *wordList, rw rawWord) {
	w := int32(len(s.words))
	s.words = append(s.words, word{r0: int32(len(s.runs))})
	segs := wl.segs[rw.s0:rw.s1]
	n := rw.i1 - rw.i0
	segLen := func(k int) int {
		if k+1 < len(segs) {
			return segs[k+1] - segs[k]
		}
		return n - segs[k]
	}
	s.parts = append(s.parts, part{r0: int32(len(s.runs))})
	for k, off := range segs {
		if k > 0 && segLen(k-1) >= 2 && segLen(k) >= 2 {
			s.parts[len(s.parts)-1].r1 = int32(len(s.runs))
			s.parts = append(s.parts, part{r0: int32(len(s.runs))})
		}
		p := int32(len(s.parts) - 1)
		for _, ui := range wl.idx[rw.i0+off : rw.i0+off+segLen(k)] {
			r := s.units[ui].r
			if last := len(s.runs) - 1; last >= int(s.parts[p].r0) && s.runs[last].r == r {
				s.runs[last].n++
				s.runs[last].u1 = ui
				continue
			}
			s.runs = append(s.runs, run{r: r, n: 1, u0: ui, u1: ui, word: w, part: p})
		}
	}
	s.parts[len(s.parts)-1].r1 = int32(len(s.runs))
	s.words[w].r1 = int32(len(s.runs))
}
