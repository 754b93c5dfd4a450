package toxicity

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sources of a lexicon term, reported with each match.
const (
	sourceDefault = "default" // go-away's DefaultProfanities or DefaultFalseNegatives
	sourceExtra   = "extra"   // the extra_words param
)

// lrun is one run of a compiled term: letter r repeated n times.
type lrun struct {
	r rune
	n int32
}

// entry is one compiled lexicon word.
type entry struct {
	label   string // the spelling reported (redacted unless asked otherwise)
	runs    []lrun
	wordAt  []bool // wordAt[i]: run i starts another word of a several-word entry
	letters int
	source  string
	// anywhere marks go-away's false negatives ("asshole", "dumbass"): the library
	// checks them before removing false positives and inside any word, and so do we.
	anywhere bool
	// unspaced marks terms in a script written without spaces between words
	// (Chinese, Japanese, Thai, ...), where any position may start a word.
	unspaced bool
}

// index groups entries by their first folded letter.
type index struct {
	ascii   [utf8.RuneSelf][]*entry
	other   map[rune][]*entry
	n       int
	maxRuns int
}

func (ix *index) add(e *entry) {
	r := e.runs[0].r
	if r < utf8.RuneSelf {
		ix.ascii[r] = append(ix.ascii[r], e)
	} else {
		if ix.other == nil {
			ix.other = map[rune][]*entry{}
		}
		ix.other[r] = append(ix.other[r], e)
	}
	ix.n++
	ix.maxRuns = max(ix.maxRuns, len(e.runs))
}

// starting returns the entries whose first letter is r.
func (ix *index) starting(r rune) []*entry {
	if r < utf8.RuneSelf {
		return ix.ascii[r]
	}
	return ix.other[r]
}

// lexicon is the compiled word lists of one scorer. It is read-only after
// construction.
type lexicon struct {
	terms     index // words to flag
	falsePos  index // go-away's false positives: they mask the terms they contain
	allowed   index // the caller's allow_words: they mask any term they contain
	compounds bool
}

// newEntry folds and segments label exactly as text is and compiles it into
// runs. Runs of different words of label ("suck my") stay apart, as they would
// in the text, and the runs that start a word are marked.
func newEntry(f *folder, label, source string, anywhere bool) (*entry, error) {
	seg := segment(f.fold(label))
	if len(seg.runs) == 0 {
		return nil, fmt.Errorf("%q has no letters", label)
	}
	e := &entry{
		label:    strings.TrimSpace(label),
		runs:     make([]lrun, len(seg.runs)),
		wordAt:   make([]bool, len(seg.runs)),
		source:   source,
		anywhere: anywhere,
	}
	for i, r := range seg.runs {
		e.runs[i] = lrun{r: r.r, n: r.n}
		e.wordAt[i] = i > 0 && r.word != seg.runs[i-1].word
		e.letters += int(r.n)
	}
	e.unspaced = unicode.In(e.runs[0].r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar)
	return e, nil
}

// lists are the word lists a lexicon is built from.
type lists struct {
	profanities, falseNegatives, falsePositives []string
	extra, allow                                []string
}

// newLexicon compiles the lists. Errors name the offending extra or allow word by
// its position ("extra_words[3]"); the library's own lists are trusted.
func newLexicon(f *folder, l lists, compounds bool) (*lexicon, error) {
	lx := &lexicon{compounds: compounds}
	for _, w := range l.profanities {
		if e, err := newEntry(f, w, sourceDefault, false); err == nil {
			lx.terms.add(e)
		}
	}
	for _, w := range l.falseNegatives {
		if e, err := newEntry(f, w, sourceDefault, true); err == nil {
			lx.terms.add(e)
		}
	}
	for _, w := range l.falsePositives {
		if e, err := newEntry(f, w, "", false); err == nil {
			lx.falsePos.add(e)
		}
	}
	for i, w := range l.extra {
		e, err := newEntry(f, w, sourceExtra, false)
		if err != nil {
			return nil, &fieldError{field: fmt.Sprintf("extra_words[%d]", i), err: err}
		}
		lx.terms.add(e)
	}
	for i, w := range l.allow {
		e, err := newEntry(f, w, "", false)
		if err != nil {
			return nil, &fieldError{field: fmt.Sprintf("allow_words[%d]", i), err: err}
		}
		lx.allowed.add(e)
	}
	return lx, nil
}

type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }
