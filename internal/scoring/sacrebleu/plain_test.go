package sacrebleu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The scorers count n-grams as integer ids in a reused hash table. The functions here
// are the plain definition they must agree with, written the way sacrebleu writes it:
// every n-gram is a string key in a fresh map, counted, and clipped with min and max.

// plainNgrams counts the n-grams of orders 1..maxOrder of units, each n-gram keyed by
// its units joined with "\x00" (which no unit contains), by order.
func plainNgrams(units []string, maxOrder int) []map[string]int {
	out := make([]map[string]int, maxOrder)
	for n := 1; n <= maxOrder; n++ {
		out[n-1] = map[string]int{}
		for i := 0; i+n <= len(units); i++ {
			out[n-1][strings.Join(units[i:i+n], "\x00")]++
		}
	}
	return out
}

// plainClipped returns, for one order, the total of hyp's n-grams and the sum over
// them of min(hyp count, ref count).
func plainClipped(hyp, ref map[string]int) (total, matched int) {
	for g, c := range hyp {
		total += c
		matched += min(c, ref[g])
	}
	return total, matched
}

// plainTokens is sacrebleu's BLEU._preprocess_segment: optional lowercasing, then the
// tokenizer on the right-stripped line.
func plainTokens(m *BLEUMetric, s string) []string {
	s = validUTF8(s)
	if m.opts.Lowercase {
		s = pyLower(s)
	}
	toks, err := Tokenize(m.opts.Tokenize, pyRStrip(s))
	if err != nil {
		panic(err)
	}
	return toks
}

// plainBLEUStats is sacrebleu's BLEU._extract_corpus_statistics for one segment:
// the reference counts are the largest count of each n-gram in any one reference.
func plainBLEUStats(m *BLEUMetric, hyp string, refs []string) BLEUStats {
	refMax := make([]map[string]int, MaxNgramOrder)
	for n := range refMax {
		refMax[n] = map[string]int{}
	}
	var refLens []int
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		toks := plainTokens(m, ref)
		refLens = append(refLens, len(toks))
		for n, counts := range plainNgrams(toks, MaxNgramOrder) {
			for g, c := range counts {
				refMax[n][g] = max(refMax[n][g], c)
			}
		}
	}
	if refLens == nil {
		refLens = []int{0}
	}
	toks := plainTokens(m, hyp)
	st := BLEUStats{SysLen: len(toks), RefLen: closestRefLen(len(toks), refLens)}
	for n, counts := range plainNgrams(toks, MaxNgramOrder) {
		st.Totals[n], st.Counts[n] = plainClipped(counts, refMax[n])
	}
	return st
}

// plainCHRFStats is sacrebleu's CHRF._extract_corpus_statistics for one segment.
func plainCHRFStats(m *CHRFMetric, hyp string, refs []string) CHRFStats {
	var kept []string
	for _, r := range refs {
		if r != "" {
			kept = append(kept, r)
		}
	}
	if len(kept) == 0 {
		kept = []string{""}
	}
	grams := func(s string) []map[string]int {
		s = m.preprocess(s)
		chars := s
		if !m.opts.Whitespace {
			chars = strings.Join(pyFields(s), "")
		}
		var units []string
		for _, r := range chars {
			units = append(units, string(r))
		}
		out := plainNgrams(units, m.opts.CharOrder)
		if m.opts.WordOrder > 0 {
			out = append(out, plainNgrams(splitPunctuation(s), m.opts.WordOrder)...)
		}
		return out
	}
	h := grams(hyp)
	var best CHRFStats
	bestF := -1.0
	for _, ref := range kept {
		r := grams(ref)
		st := make(CHRFStats, 0, 3*m.order())
		for k := range h {
			hypTotal, matched := plainClipped(h[k], r[k])
			refTotal, _ := plainClipped(r[k], r[k])
			if refTotal == 0 {
				hypTotal = 0
			}
			st = append(st, hypTotal, refTotal, matched)
		}
		if f := m.fScore(st); f > bestF {
			best, bestF = st, f
		}
	}
	return best
}

// plainTokenize13a is sacrebleu's Tokenizer13a and TokenizerRegexp as written:
// string replacements, then four regular-expression substitutions applied in turn
// over " " + line + " ", then a whitespace split. Every character the substitutions
// look at is ASCII and no byte of a multi-byte UTF-8 sequence is ASCII, so they run
// over bytes; each is a scan that, like re.sub, takes leftmost non-overlapping
// matches. appendTokens13a must agree with it.
func plainTokenize13a(line string) []string {
	var buf struct{ a, b []byte }
	line = replace13a(line)
	// "\n" -> " " (sacrebleu does it before unescaping, which neither creates nor
	// removes a newline), then ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 " over the
	// padded line.
	b := append(buf.a[:0], "   "...)
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '\n' {
			c = ' '
		}
		if is13aPunct(c) {
			b = append(b, ' ', c, ' ')
		} else {
			b = append(b, c)
		}
	}
	b = append(b, "   "...)
	out := buf.b
	if strings.ContainsAny(line, ".,") {
		// ([^0-9])([\.,]) -> "\1 \2 "
		out = out[:0]
		for i := 0; i < len(b); i++ {
			if c := b[i]; i+1 < len(b) && !isDigit(c) && isDotComma(b[i+1]) {
				out = append(out, c, ' ', b[i+1], ' ')
				i++
			} else {
				out = append(out, c)
			}
		}
		b, out = out, b
		// ([\.,])([^0-9]) -> " \1 \2"
		out = out[:0]
		for i := 0; i < len(b); i++ {
			if c := b[i]; i+1 < len(b) && isDotComma(c) && !isDigit(b[i+1]) {
				out = append(out, ' ', c, ' ', b[i+1])
				i++
			} else {
				out = append(out, c)
			}
		}
		b, out = out, b
	}
	if strings.Contains(line, "-") {
		// ([0-9])(-) -> "\1 \2 "
		out = out[:0]
		for i := 0; i < len(b); i++ {
			if c := b[i]; i+1 < len(b) && isDigit(c) && b[i+1] == '-' {
				out = append(out, c, ' ', '-', ' ')
				i++
			} else {
				out = append(out, c)
			}
		}
		b, out = out, b
	}
	return pyFields(string(b))
}

// randomText draws text from a small alphabet, so that n-grams repeat and match:
// words, ASCII punctuation, digits, Python whitespace (some of it outside ASCII),
// letters with case rules of their own (Σ, İ) and a byte that is not UTF-8.
func randomText(rng *rand.Rand) string {
	pieces := []string{"a", "b", "ab", "ba", "the", "cat", "Cat", "1", "2.5", ",", ".", "-", "!", "(", ")",
		"0", "9", "..", ",.", "-\n", "<skipped>", "&lt;", "&quot;", "\x00", "'",
		"&amp;", "\"", "'", "é", "Σ", "ΟΣ", "İ", "日本", "€", " ", " ", " ", "\n", "\t", "\u3000", "\x1c", "\xff"}
	var b strings.Builder
	for n := rng.IntN(40); n > 0; n-- {
		b.WriteString(pieces[rng.IntN(len(pieces))])
	}
	return b.String()
}

// randomRefs returns one to three references, sometimes empty, sometimes the
// hypothesis itself.
func randomRefs(rng *rand.Rand, hyp string) []string {
	refs := make([]string, 1+rng.IntN(3))
	for i := range refs {
		switch rng.IntN(6) {
		case 0:
			refs[i] = ""
		case 1:
			refs[i] = hyp
		default:
			refs[i] = randomText(rng)
		}
	}
	return refs
}

// checkAgainstPlain scores hyp against refs with every tokenizer and casing (BLEU) and
// a spread of chrF options, with one metric value per configuration reused across
// calls as the scorers reuse theirs, and compares the statistics with the plain
// definition's.
func checkAgainstPlain(t *testing.T, bleus []*BLEUMetric, chrfs []*CHRFMetric, hyp string, refs []string) {
	t.Helper()
	for _, s := range append([]string{hyp}, refs...) {
		s = validUTF8(s)
		if got, want := appendTokens13a(nil, s), plainTokenize13a(s); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("13a tokens of %q = %q, want %q", s, got, want)
		}
	}
	for _, m := range bleus {
		if got, want := m.Stats(hyp, refs), plainBLEUStats(m, hyp, refs); got != want {
			t.Fatalf("BLEU %+v stats of %q against %q = %+v, want %+v", m.opts, hyp, refs, got, want)
		}
	}
	for _, m := range chrfs {
		if got, want := m.Stats(hyp, refs), plainCHRFStats(m, hyp, refs); !slices.Equal(got, want) {
			t.Fatalf("chrF %+v stats of %q against %q = %v, want %v", m.opts, hyp, refs, got, want)
		}
	}
}

func plainTestMetrics(t testing.TB) ([]*BLEUMetric, []*CHRFMetric) {
	var bleus []*BLEUMetric
	for _, tok := range []Tokenizer{Tokenizer13a, TokenizerIntl, TokenizerChar, TokenizerNone} {
		for _, lower := range []bool{false, true} {
			m, err := NewBLEUMetric(BLEUOptions{Tokenize: tok, Lowercase: lower, EffectiveOrder: true})
			if err != nil {
				t.Fatal(err)
			}
			bleus = append(bleus, m)
		}
	}
	var chrfs []*CHRFMetric
	for _, o := range []CHRFOptions{
		DefaultCHRFOptions(),
		{CharOrder: 6, WordOrder: 2, Beta: 2},
		{CharOrder: 1, WordOrder: 4, Beta: 1, Lowercase: true},
		{CharOrder: 10, WordOrder: 1, Beta: 3, Whitespace: true},
		{CharOrder: 3, Beta: 2, EpsSmoothing: true, Lowercase: true, Whitespace: true},
	} {
		m, err := NewCHRFMetric(o)
		if err != nil {
			t.Fatal(err)
		}
		chrfs = append(chrfs, m)
	}
	return bleus, chrfs
}

func TestStatsMatchPlainDefinition(t *testing.T) {
	t.Parallel()
	bleus, chrfs := plainTestMetrics(t)
	rng := rand.New(rand.NewPCG(13, 1))
	for range 3000 {
		hyp := randomText(rng)
		checkAgainstPlain(t, bleus, chrfs, hyp, randomRefs(rng, hyp))
	}
	// A long pair, from the benchmark's generator, makes the tables grow.
	hyp, ref := benchPair()
	checkAgainstPlain(t, bleus, chrfs, hyp, []string{ref, hyp[:len(hyp)/2]})
}

func FuzzStatsMatchPlainDefinition(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, fuzzSeeds[(i+1)%len(fuzzSeeds)], fuzzSeeds[(i+7)%len(fuzzSeeds)])
	}
	bleus, chrfs := plainTestMetrics(f)
	f.Fuzz(func(t *testing.T, hyp, ref1, ref2 string) {
		checkAgainstPlain(t, bleus, chrfs, hyp, []string{ref1})
		checkAgainstPlain(t, bleus, chrfs, hyp, []string{ref1, ref2})
	})
}

func FuzzTokenize13aMatchesSubstitutions(f *testing.F) {
	for _, s := range append(fuzzSeeds, "1.5", "a..5", "1..5", "x.,y", "3-4", "1.-2", ".,.,.9", "9,,,", "a\n-b") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = validUTF8(s)
		if got, want := appendTokens13a(nil, s), plainTokenize13a(s); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("13a tokens of %q = %q, want %q", s, got, want)
		}
	})
}

// TestTokenize13aMatchesSubstitutions checks every string of up to six characters
// drawn from those the substitutions treat differently: a digit, a dot, a comma, a
// hyphen, a letter, a space, a character of the first class, a newline and a
// non-ASCII letter.
func TestTokenize13aMatchesSubstitutions(t *testing.T) {
	t.Parallel()
	alphabet := []string{"1", ".", ",", "-", "a", " ", "(", "\n", "é"}
	var walk func(prefix string, depth int)
	walk = func(prefix string, depth int) {
		if got, want := appendTokens13a(nil, prefix), plainTokenize13a(prefix); !slices.Equal(got, want) && len(got)+len(want) > 0 {
			t.Fatalf("13a tokens of %q = %q, want %q", prefix, got, want)
		}
		if depth == 0 {
			return
		}
		for _, c := range alphabet {
			walk(prefix+c, depth-1)
		}
	}
	walk("", 6)
}

// TestMetricsAreSafeForConcurrentUse scores the same texts from several goroutines
// at once, as ScoreBatch does, and expects what one goroutine gets: the scratch
// space in each metric's pool is never shared by two segments.
func TestMetricsAreSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	bleus, chrfs := plainTestMetrics(t)
	rng := rand.New(rand.NewPCG(7, 7))
	type pair struct {
		hyp  string
		refs []string
	}
	pairs := make([]pair, 200)
	for i := range pairs {
		hyp := randomText(rng)
		pairs[i] = pair{hyp, randomRefs(rng, hyp)}
	}
	bleu, chrf := bleus[0], chrfs[1]
	wantB, wantC := make([]BLEUStats, len(pairs)), make([]CHRFStats, len(pairs))
	for i, p := range pairs {
		wantB[i], wantC[i] = bleu.Stats(p.hyp, p.refs), chrf.Stats(p.hyp, p.refs)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(pairs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range pairs {
				i := (k + g*25) % len(pairs)
				p := pairs[i]
				if got := bleu.Stats(p.hyp, p.refs); got != wantB[i] {
					errs <- fmt.Sprintf("BLEU of pair %d = %+v, want %+v", i, got, wantB[i])
				}
				if got := chrf.Stats(p.hyp, p.refs); !slices.Equal(got, wantC[i]) {
					errs <- fmt.Sprintf("chrF of pair %d = %v, want %v", i, got, wantC[i])
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
