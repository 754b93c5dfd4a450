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

// draw returns the sample in a fixed order: the HH-RLHF pool, then the AlpacaEval
// pools. An id drawn by an earlier pool is not drawn again; empty outputs are skipped.
func draw(c *realdata.Corpus) []item {
	rng := rand.New(rand.NewPCG(seed, seed))
	seen := map[string]bool{}
	var items []item
	take := func(pool string, want int, next func() string) {
		for got, tries := 0, 0; got < want && tries < 100*want; tries++ {
			id := next()
			if id == "" || seen[id] {
				continue
			}
			r, err := c.Resolve(id)
			if err != nil || strings.TrimSpace(r.Text) == "" {
				continue
			}
			seen[id] = true
			items = append(items, item{id: id, source: r.Source, pool: pool})
			got++
		}
	}
	fields := []string{"chosen", "rejected"}
	take("hh-random", nHH, func() string {
		return realdata.HHID(1+rng.IntN(c.HHLines()), fields[rng.IntN(2)])
	})

	files := c.AlpacaFiles()
	take("random", nAlpacaRandom, func() string {
		f := files[rng.IntN(len(files))]
		return realdata.AlpacaID(f, rng.IntN(c.AlpacaRows(f)), "output_2")
	})

	type sized struct {
		id string
		n  int
	}
	var all []sized
	var sensitive []string
	for _, f := range files {
		if f == nullModel {
			continue
		}
		for row := range c.AlpacaRows(f) {
			id := realdata.AlpacaID(f, row, "output_2")
			r, _ := c.Resolve(id)
			all = append(all, sized{id, utf8.RuneCountInString(strings.TrimSpace(r.Text))})
			if matchesAny(strings.ToLower(r.Prompt), sensitiveWords) {
				sensitive = append(sensitive, id)
			}
		}
	}
	slices.SortFunc(all, func(a, b sized) int { return cmp.Or(cmp.Compare(a.n, b.n), strings.Compare(a.id, b.id)) })
	shortest := all[:shortestCut]
	take("shortest", nShortest, func() string { return shortest[rng.IntN(len(shortest))].id })
	take("sensitive", nSensitive, func() string { return sensitive[rng.IntN(len(sensitive))] })
	take("refuser", nRefuser, func() string {
		f := refuserFiles[rng.IntN(len(refuserFiles))]
		return realdata.AlpacaID(f, rng.IntN(c.AlpacaRows(f)), "output_2")
	})

	var harmShort []string
	for line := 1; line <= c.HHLines(); line++ {
		for _, field := range fields {
			id := realdata.HHID(line, field)
			r, _ := c.Resolve(id)
			_, request := cutLast(r.Prompt, "\n\nHuman:")
			if utf8.RuneCountInString(r.Text) <= hhShortCut && matchesAny(strings.ToLower(request), harmWords) {
				harmShort = append(harmShort, id)
			}
		}
	}
	take("hh-harm-short", nHHHarmShort, func() string { return harmShort[rng.IntN(len(harmShort))] })
	var refuserShort []string
	for _, f := range refuserFiles {
		for row := range c.AlpacaRows(f) {
			id := realdata.AlpacaID(f, row, "output_2")
			if r, _ := c.Resolve(id); utf8.RuneCountInString(strings.TrimSpace(r.Text)) <= refuserShortCut {
				refuserShort = append(refuserShort, id)
			}
		}
	}
	take("refuser-short", nRefuserShort, func() string { return refuserShort[rng.IntN(len(refuserShort))] })

	var nonLatin, languageTask []string
	for _, f := range files {
		if f == nullModel {
			continue
		}
		for row := range c.AlpacaRows(f) {
			id := realdata.AlpacaID(f, row, "output_2")
			r, _ := c.Resolve(id)
			if nonLatinLetters(r.Text) > nonLatinShare {
				nonLatin = append(nonLatin, id)
			}
			if matchesAny(strings.ToLower(r.Prompt), languageWords) {
				languageTask = append(languageTask, id)
			}
		}
	}
	next := 0
	take("non-latin-output", len(nonLatin), func() string { next++; return nonLatin[next-1] })
	take("language-task", nLanguageTask, func() string { return languageTask[rng.IntN(len(languageTask))] })
	return items
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
