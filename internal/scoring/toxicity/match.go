package toxicity

import "sort"

const (
	// shortTerm: terms of at most this many letters match whole words only, plus
	// an inflection ("asses", "shitty"), because as stems they start too many
	// clean words ("assembly", "sextant", "analogy", "cockpit", "puberty").
	shortTerm = 4
	// minCompound is the fewest letters of a term found at the end of a longer word
	// ("bullshit", "motherfucker"); shorter ones end too many clean words ("class").
	minCompound = 4
	// minPrefix is the fewest letters before such a term ("canal", "tetanus",
	// "peacock" and "turnips" have fewer).
	minPrefix = 4
	// minStretch is the fewest repeats of a letter read as a stretched one.
	minStretch = 3
	// maxInflection is the length of the longest inflection.
	maxInflection = 4
)

// isInflection reports whether s may follow a whole-word or compound match.
func isInflection(s string) bool {
	switch s {
	case "", "s", "es", "ed", "er", "ers", "ing", "ings", "y", "ies", "ier", "iest":
		return true
	}
	return false
}

// match is one accepted occurrence of a term.
type match struct {
	e          *entry
	r0, r1     int // runs [r0, r1)
	start, end int // bytes of the original text
}

// find returns the accepted, non-overlapping matches of the lexicon's terms in
// s, in text order. Where candidates overlap, the one that starts first wins, of
// those starting together the longest, and of equal spans the caller's extra word.
func (lx *lexicon) find(s *segmented) []match {
	var cands []match
	for i := range s.runs {
		for _, e := range lx.terms.starting(s.runs[i].r) {
			r1 := i + len(e.runs)
			if !runsMatch(s.runs, i, e.runs) || !lx.accept(s, e, i, r1) {
				continue
			}
			cands = append(cands, match{
				e: e, r0: i, r1: r1,
				start: int(s.units[s.runs[i].u0].start),
				end:   int(s.units[s.runs[r1-1].u1].end),
			})
		}
	}
	sort.SliceStable(cands, func(a, b int) bool {
		if cands[a].r0 != cands[b].r0 {
			return cands[a].r0 < cands[b].r0
		}
		if cands[a].r1 != cands[b].r1 {
			return cands[a].r1 > cands[b].r1
		}
		// The same span matched by a library term and by the caller's own extra
		// word ("suckmy" and "suck my"): report the caller's.
		return cands[a].e.source == sourceExtra && cands[b].e.source != sourceExtra
	})
	out := cands[:0]
	end := 0
	for _, c := range cands {
		if c.r0 >= end {
			out = append(out, c)
			end = c.r1
		}
	}
	return out
}

// runsMatch reports whether term t occurs at run i: the same letters in the same
// order, each repeated as often as in the term or, stretched, at least
// minStretch times and more often than in it. The term's last letter may also be
// doubled, as English doubles a final consonant before a suffix ("shitty"). A
// letter merely doubled elsewhere makes another word: "annals" is not "anal",
// "rapped" is not "rape".
func runsMatch(runs []run, i int, t []lrun) bool {
	if i+len(t) > len(runs) {
		return false
	}
	last := len(t) - 1
	for j, tr := range t {
		n := runs[i+j].n
		if runs[i+j].r != tr.r || n < tr.n {
			return false
		}
		if n != tr.n && n < minStretch && j != last {
			return false
		}
	}
	return true
}

// accept applies the position rules and the masks to a term found at runs
// [r0, r1). See Toxicity for the rules in prose.
func (lx *lexicon) accept(s *segmented, e *entry, r0, r1 int) bool {
	first, last := s.runs[r0], s.runs[r1-1]
	startPart := s.parts[first.part]
	rest, restOK := tail(s.runs, r1, int(s.parts[last.part].r1))
	switch {
	case first.word != last.word:
		if !wordsAlign(s.runs, e, r0) || r0 != int(s.words[first.word].r0) || !restOK || !isInflection(rest) {
			return false
		}
	case e.anywhere || e.unspaced:
	case r0 == int(startPart.r0):
		if e.letters <= shortTerm && !(restOK && isInflection(rest)) {
			return false
		}
	default:
		if !lx.compounds || e.letters < minCompound || !restOK || !isInflection(rest) ||
			!atLeast(s.runs, int(startPart.r0), r0, minPrefix) {
			return false
		}
	}
	if e.source == sourceDefault && !e.anywhere && masked(&lx.falsePos, s, r0, r1) {
		return false
	}
	return !masked(&lx.allowed, s, r0, r1)
}

// wordsAlign reports whether the text found at run r0 starts a new word only
// where the entry does: "suck my" matches "suck my" and "suckmy", while the
// one-word "penis" never matches "pen is".
func wordsAlign(runs []run, e *entry, r0 int) bool {
	for j := 1; j < len(e.runs); j++ {
		if runs[r0+j].word != runs[r0+j-1].word && !e.wordAt[j] {
			return false
		}
	}
	return true
}

// tail spells the letters of runs [from, to) if there are at most maxInflection
// of them; ok is false when there are more.
func tail(runs []run, from, to int) (string, bool) {
	var buf [maxInflection]rune
	n := 0
	for i := from; i < to; i++ {
		if n+int(runs[i].n) > maxInflection {
			return "", false
		}
		for k := int32(0); k < runs[i].n; k++ {
			buf[n] = runs[i].r
			n++
		}
	}
	return string(buf[:n]), true
}

// atLeast reports whether runs [from, to) hold at least n letters.
func atLeast(runs []run, from, to, n int) bool {
	c := 0
	for i := from; i < to && c < n; i++ {
		c += int(runs[i].n)
	}
	return c >= n
}

// masked reports whether an entry of ix occurs in the same word as runs [r0, r1),
// starting at or before r0 and ending at or after r1, so the term is part of it.
func masked(ix *index, s *segmented, r0, r1 int) bool {
	if ix.n == 0 {
		return false
	}
	// An entry of at most ix.maxRuns runs that reaches r1 starts at r1-maxRuns or later.
	from := max(int(s.words[s.runs[r0].word].r0), r1-ix.maxRuns)
	for a := from; a <= r0; a++ {
		for _, f := range ix.starting(s.runs[a].r) {
			if a+len(f.runs) >= r1 && runsMatch(s.runs, a, f.runs) {
				return true
			}
		}
	}
	return false
}
