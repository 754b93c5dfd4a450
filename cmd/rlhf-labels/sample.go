package main

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

// The sample's size per pool and its seed, fixed before any output was read.
const (
	seed          = 20261203
	nHH           = 450 // hh-random: final Assistant turns, chosen and rejected alike
	nAlpacaRandom = 250 // random: any of the 16 AlpacaEval files, output_2
	nShortest     = 55  // shortest: among the shortestCut shortest model outputs
	nSensitive    = 55  // sensitive: instructions matching sensitiveWords
	nRefuser      = 55  // refuser: models known to decline more often
	shortestCut   = 400

	// A second round, drawn after the first was labelled because its held-out part
	// held few refusals (15). Its pools are defined, like the first round's, by the
	// request and the length only, never by what the response says.
	nHHHarmShort    = 150 // hh-harm-short: final turns of at most hhShortCut runes after a harm-word request
	nRefuserShort   = 50  // refuser-short: refuserFiles outputs of at most refuserShortCut runes
	hhShortCut      = 250
	refuserShortCut = 1000

	// A third round, because the first two held no language mismatch at all: every
	// output mostly outside the Latin script (a census, not a sample) and outputs to
	// instructions that name a language, where answering in another one is asked for
	// or likely.
	nLanguageTask = 40
	nonLatinShare = 0.3 // share of an output's letters outside U+0000–U+024F
)

// nullModel writes random tokens, not answers; the targeted pools leave it out.
const nullModel = "NullModel.annotations.json.gz"

// refuserFiles are the AlpacaEval models reported to decline benign requests more often.
var refuserFiles = []string{"claude-2.1.annotations.json.gz", "gemma-7b-it.annotations.json.gz"}

// sensitiveWords mark instructions (matched lowercased, as substrings) that touch on
// harm, law, health, privacy, live information, media or the model's own views: where
// a policy or capability decline is likely. The response is never looked at.
var sensitiveWords = []string{
	"kill", "weapon", "drug", "hack", "steal", "illegal", "bomb", "poison", "suicide",
	"racist", "sexual", "porn", "gun", "medical", "diagnos", "legal", "lawyer", "password",
	"address", "phone number", "personal", "current", "today", "latest", "news", "stock",
	"weather", "website", "url", "link", "browse", "image", "picture", "photo", "draw",
	"audio", "video", "email", "opinion", "religio", "politic",
}

// harmWords mark an HH-RLHF request (the person's last turn, lowercased) that asks
// for something harmful, where a decline is likely.
var harmWords = []string{
	"kill", "steal", "drug", "weapon", "gun", "bomb", "poison", "hack", "address", "hurt",
	"murder", "rob", "cheat", "illegal", "insult", "racist", "sex", "suicide", "prank",
}

// languageWords mark an instruction (matched lowercased, as substrings) that names
// a language or asks for a translation.
var languageWords = []string{
	"translat", "language", "english", "spanish", "french", "german", "chinese", "japanese",
	"korean", "italian", "russian", "portuguese", "arabic", "hindi", "dutch", "latin",
}

type item struct{ id, source, pool string }

// sampler draws pools in turn: an id drawn by an earlier pool, or excluded, is not
// drawn again, and empty outputs are skipped.
type sampler struct {
	c     *realdata.Corpus
	rng   *rand.Rand
	seen  map[string]bool
	items []item
}

func newSampler(c *realdata.Corpus, seed uint64, exclude map[string]bool) *sampler {
	seen := map[string]bool{}
	for id := range exclude {
		seen[id] = true
	}
	return &sampler{c: c, rng: rand.New(rand.NewPCG(seed, seed)), seen: seen}
}

func (s *sampler) take(pool string, want int, next func() string) {
	for got, tries := 0, 0; got < want && tries < 100*want; tries++ {
		id := next()
		if id == "" || s.seen[id] {
			continue
		}
		r, err := s.c.Resolve(id)
		if err != nil || strings.TrimSpace(r.Text) == "" {
			continue
		}
		s.seen[id] = true
		s.items = append(s.items, item{id: id, source: r.Source, pool: pool})
		got++
	}
}

// pick returns a draw uniformly from ids.
func (s *sampler) pick(ids []string) func() string {
	return func() string { return ids[s.rng.IntN(len(ids))] }
}

// census returns the ids in turn, then "" once they are used up.
func (s *sampler) census(ids []string) func() string {
	next := 0
	return func() string {
		if next == len(ids) {
			return ""
		}
		next++
		return ids[next-1]
	}
}

func (s *sampler) hhRandom() string {
	return realdata.HHID(1+s.rng.IntN(s.c.HHLines()), hhFields[s.rng.IntN(2)])
}

func (s *sampler) alpacaRandom() string {
	files := s.c.AlpacaFiles()
	f := files[s.rng.IntN(len(files))]
	return realdata.AlpacaID(f, s.rng.IntN(s.c.AlpacaRows(f)), "output_2")
}

var hhFields = []string{"chosen", "rejected"}

// pools are the candidate ids of the targeted pools, each defined by the request,
// the length, the model or (nonLatin) the script, never by what a response says.
type pools struct {
	shortest, sensitive, harmShort, refuserShort, nonLatin, languageTask []string
	// the third set's: harmOpener (HH-RLHF) and claudeShort (AlpacaEval)
	harmOpener, claudeShort []string
}

func candidates(c *realdata.Corpus) pools {
	var p pools
	type sized struct {
		id string
		n  int
	}
	var all []sized
	for _, f := range c.AlpacaFiles() {
		if f == nullModel {
			continue
		}
		for row := range c.AlpacaRows(f) {
			id := realdata.AlpacaID(f, row, "output_2")
			r, _ := c.Resolve(id)
			n := utf8.RuneCountInString(strings.TrimSpace(r.Text))
			all = append(all, sized{id, n})
			prompt := strings.ToLower(r.Prompt)
			if matchesAny(prompt, sensitiveWords) {
				p.sensitive = append(p.sensitive, id)
			}
			if slices.Contains(refuserFiles, f) && n <= refuserShortCut {
				p.refuserShort = append(p.refuserShort, id)
			}
			if f == claudeFile && n <= claudeShortCut {
				p.claudeShort = append(p.claudeShort, id)
			}
			if nonLatinLetters(r.Text) > nonLatinShare {
				p.nonLatin = append(p.nonLatin, id)
			}
			if matchesAny(prompt, languageWords) {
				p.languageTask = append(p.languageTask, id)
			}
		}
	}
	slices.SortFunc(all, func(a, b sized) int { return cmp.Or(cmp.Compare(a.n, b.n), strings.Compare(a.id, b.id)) })
	for _, s := range all[:shortestCut] {
		p.shortest = append(p.shortest, s.id)
	}
	for line := 1; line <= c.HHLines(); line++ {
		for _, field := range hhFields {
			id := realdata.HHID(line, field)
			r, _ := c.Resolve(id)
			_, request := cutLast(r.Prompt, "\n\nHuman:")
			harm := matchesAny(strings.ToLower(request), harmWords)
			if utf8.RuneCountInString(r.Text) <= hhShortCut && harm {
				p.harmShort = append(p.harmShort, id)
			}
			if field == "chosen" && harm && strings.Count(r.Prompt, "\n\nHuman:") == 1 {
				p.harmOpener = append(p.harmOpener, id)
			}
		}
	}
	return p
}

// draw returns the first set's sample in a fixed order: the HH-RLHF pool, then the
// AlpacaEval pools, then the later rounds' pools.
func draw(c *realdata.Corpus) []item {
	p := candidates(c)
	s := newSampler(c, seed, nil)
	s.take("hh-random", nHH, s.hhRandom)
	s.take("random", nAlpacaRandom, s.alpacaRandom)
	s.take("shortest", nShortest, s.pick(p.shortest))
	s.take("sensitive", nSensitive, s.pick(p.sensitive))
	s.take("refuser", nRefuser, func() string {
		f := refuserFiles[s.rng.IntN(len(refuserFiles))]
		return realdata.AlpacaID(f, s.rng.IntN(s.c.AlpacaRows(f)), "output_2")
	})
	s.take("hh-harm-short", nHHHarmShort, s.pick(p.harmShort))
	s.take("refuser-short", nRefuserShort, s.pick(p.refuserShort))
	next := 0
	s.take("non-latin-output", len(p.nonLatin), func() string { next++; return p.nonLatin[next-1] })
	s.take("language-task", nLanguageTask, s.pick(p.languageTask))
	return s.items
}

// The second set: a fresh held-out set, drawn with its own seed from the same kinds
// of pools, leaving out every id of the first set, and fixed before any of it was
// read. Every item is held out (realdata.SplitHeldout2).
const (
	seed2          = 20261217
	n2HH           = 250
	n2HHHarmShort  = 150
	n2AlpacaRandom = 100
	n2RefuserShort = 25
	n2Sensitive    = 15
	n2LanguageTask = 10
	heldout2Split  = "heldout2"
)

// draw2 returns the second set, leaving out the ids in exclude. The pools are drawn
// in a fixed order, then the whole list is shuffled with the same generator, so that
// the items are read in an order that mixes the pools.
func draw2(c *realdata.Corpus, exclude map[string]bool) []item {
	p := candidates(c)
	s := newSampler(c, seed2, exclude)
	s.take("hh-random", n2HH, s.hhRandom)
	s.take("hh-harm-short", n2HHHarmShort, s.pick(p.harmShort))
	s.take("random", n2AlpacaRandom, s.alpacaRandom)
	s.take("refuser-short", n2RefuserShort, s.pick(p.refuserShort))
	s.take("sensitive", n2Sensitive, s.pick(p.sensitive))
	s.take("language-task", n2LanguageTask, s.pick(p.languageTask))
	var nonLatin []string
	for _, id := range p.nonLatin {
		if !s.seen[id] {
			nonLatin = append(nonLatin, id)
		}
	}
	next := 0
	s.take("non-latin-output", len(nonLatin), func() string { next++; return nonLatin[next-1] })
	s.rng.Shuffle(len(s.items), func(i, j int) { s.items[i], s.items[j] = s.items[j], s.items[i] })
	return s.items
}

// The third set: another fresh held-out set, drawn with its own seed, leaving out
// every id of the first two, each stage fixed before any of it was read. The first two sets
// held too few refusals for a per-source F1 (92 in 1,111 and 58 in 550, only 6 of
// them AlpacaEval in the second), so two pools are added where the labelled sets
// showed declines to be frequent, both defined by the request, the model, the
// preference and the length, never by what a response says: the preferred (chosen)
// final turns of HH-RLHF dialogues of a single exchange whose request has a harm
// word, all of those the first two sets left (a census), and short claude-2.1
// outputs. Every item is held out (realdata.SplitHeldout3).
const (
	seed3          = 20261224
	n3HH           = 110
	n3HHHarmShort  = 100
	n3AlpacaRandom = 40
	n3RefuserShort = 30
	n3ClaudeShort  = 35 // claude-short: claude-2.1 outputs of at most claudeShortCut runes
	n3Sensitive    = 10
	claudeShortCut = 600

	// A second stage of the third set, drawn after the first 400 were labelled
	// because they held 56 refusals, fewer than the 80 the set was sized for: more of
	// the two pools where they were most frequent and that are not used up. It follows
	// the first stage, whose items and order it leaves unchanged.
	n3bClaudeShort = 50
	n3bHHHarmShort = 70
	claudeFile     = "claude-2.1.annotations.json.gz"
)

// draw3 returns the third set, leaving out the ids in exclude (the first two sets).
// Each stage is shuffled like the second set, so that any prefix of it mixes its
// pools. The census comes first, so that the random pools do not thin it.
func draw3(c *realdata.Corpus, exclude map[string]bool) []item {
	p := candidates(c)
	s := newSampler(c, seed3, exclude)
	s.take("hh-harm-opener", len(p.harmOpener), s.census(p.harmOpener))
	s.take("hh-random", n3HH, s.hhRandom)
	s.take("hh-harm-short", n3HHHarmShort, s.pick(p.harmShort))
	s.take("random", n3AlpacaRandom, s.alpacaRandom)
	s.take("refuser-short", n3RefuserShort, s.pick(p.refuserShort))
	s.take("claude-short", n3ClaudeShort, s.pick(p.claudeShort))
	s.take("sensitive", n3Sensitive, s.pick(p.sensitive))
	shuffleFrom(s, 0)
	first := len(s.items)
	s.take("claude-short", n3bClaudeShort, s.pick(p.claudeShort))
	s.take("hh-harm-short", n3bHHHarmShort, s.pick(p.harmShort))
	shuffleFrom(s, first)
	return s.items
}

// shuffleFrom shuffles the items from index i on with the sampler's generator.
func shuffleFrom(s *sampler, i int) {
	rest := s.items[i:]
	s.rng.Shuffle(len(rest), func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
}

// nonLatinLetters returns the share of the letters of s outside the Latin blocks
// (U+0000–U+024F), 0 when s has no letters.
func nonLatinLetters(s string) float64 {
	var letters, other int
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if r > 0x24F {
				other++
			}
		}
	}
	if letters == 0 {
		return 0
	}
	return float64(other) / float64(letters)
}

// cutLast splits s around the last occurrence of sep; after is "" without one.
func cutLast(s, sep string) (before, after string) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, ""
	}
	return s[:i], s[i+len(sep):]
}

func matchesAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
