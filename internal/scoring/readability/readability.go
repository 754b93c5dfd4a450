// Package readability holds the readability scorer: the Flesch reading ease and
// Flesch–Kincaid grade level of a response, from counts of words, sentences and
// syllables made by documented rules.
package readability

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Readability describes the readability scorer. With W words, S sentences and Y
// syllables,
//
//	flesch_reading_ease  = 206.835 - 1.015 (W/S) - 84.6 (Y/W)
//	flesch_kincaid_grade = 0.39 (W/S) + 11.8 (Y/W) - 15.59
//
// (Flesch 1948; Kincaid et al. 1975), reported unclamped: very short sentences of
// one-syllable words score above 100, dense text below 0. Value is the reading
// ease. Details carry words, sentences, syllables, words_per_sentence,
// syllables_per_word and both scores. A response without words has value 0,
// "empty": true and null scores in details; the value is never NaN.
//
// Words. A word is a maximal run of letters, marks and numbers (Unicode L, M, N),
// where an apostrophe (U+0027, U+2019) or hyphen (U+002D, U+2010) directly between
// two such characters, or a '.' or ',' directly between two digits, joins them:
// "don't", "well-known" and "3.14" are one word each.
//
// Sentences. A sentence ends at a run of terminators ('.', '!', '?', '…') followed
// by white space or the end of the text (closing quotes and brackets may come
// between); at a full-width terminator ('。', '！', '？'), which needs no space
// after it; and at every line break, since model responses put list items,
// headings and code on lines of their own far more often than they hard-wrap
// prose. S counts the stretches between ends that hold at least one word, so
// S >= 1 whenever W >= 1. Abbreviations such as "e.g. " end a sentence.
//
// Syllables. Each word is split at its hyphens and each part counted by Syllables;
// the word's count is the sum.
//
// Flesch's formulas were fitted on English: text in other languages gets numbers,
// but they mean little. There is no better direction: easier is not better for every
// prompt, so the value is descriptive, like a length; bound it with a pass block.
func Readability() scoring.Type {
	return scoring.Type{
		Name:         "readability",
		Description:  "Flesch reading ease (value) and Flesch–Kincaid grade level of the response, with word, sentence and syllable counts.",
		ParamsSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{}}`),
		Better:       scoring.NoDirection,
		New: func(params json.RawMessage) (scoring.Scorer, error) {
			var p struct{}
			if err := scoring.DecodeParams(params, &p); err != nil {
				return nil, err
			}
			return scoring.ScorerFunc(score), nil
		},
	}
}

func score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	c := Count(it.Response)
	details := map[string]any{
		"words":     c.Words,
		"sentences": c.Sentences,
		"syllables": c.Syllables,
	}
	if c.Words == 0 {
		details["empty"] = true
		details["flesch_reading_ease"] = nil
		details["flesch_kincaid_grade"] = nil
		return scoring.Result{Value: 0, Details: details}, nil
	}
	fre, fkgl := c.ReadingEase(), c.Grade()
	details["words_per_sentence"] = float64(c.Words) / float64(c.Sentences)
	details["syllables_per_word"] = float64(c.Syllables) / float64(c.Words)
	details["flesch_reading_ease"] = fre
	details["flesch_kincaid_grade"] = fkgl
	return scoring.Result{Value: fre, Details: details}, nil
}

// Counts are the word, sentence and syllable counts of a text.
type Counts struct {
	Words     int
	Sentences int
	Syllables int
}

// ReadingEase returns the Flesch reading ease, or 0 when there are no words.
func (c Counts) ReadingEase() float64 {
	if c.Words == 0 || c.Sentences == 0 {
		return 0
	}
	return 206.835 - 1.015*float64(c.Words)/float64(c.Sentences) - 84.6*float64(c.Syllables)/float64(c.Words)
}

// Grade returns the Flesch–Kincaid grade level, or 0 when there are no words.
func (c Counts) Grade() float64 {
	if c.Words == 0 || c.Sentences == 0 {
		return 0
	}
	return 0.39*float64(c.Words)/float64(c.Sentences) + 11.8*float64(c.Syllables)/float64(c.Words) - 15.59
}

// Count counts the words, sentences and syllables of text by the rules given on
// Readability.
func Count(text string) Counts {
	var c Counts
	open := false // the current sentence holds a word
	endSentence := func() {
		if open {
			c.Sentences++
			open = false
		}
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isWordChar(r):
			end := wordEnd(text, i)
			c.Words++
			c.Syllables += wordSyllables(text[i:end])
			open = true
			i = end
		case r == '\n':
			endSentence()
			i += size
		case isTerminator(r):
			j := i
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !isTerminator(r) {
					break
				}
				j += size
			}
			for j < len(text) {
				r, size := utf8.DecodeRuneInString(text[j:])
				if !isCloser(r) {
					break
				}
				j += size
			}
			if next, _ := utf8.DecodeRuneInString(text[j:]); j == len(text) || unicode.IsSpace(next) || isFullWidthTerminator(text[i:j]) {
				endSentence()
			}
			i = j
		default:
			i += size
		}
	}
	endSentence()
	return c
}

func isWordChar(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)
}

func isTerminator(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

// isFullWidthTerminator reports whether a run of terminators holds a full-width one.
func isFullWidthTerminator(run string) bool { return strings.ContainsAny(run, "。！？") }

func isCloser(r rune) bool {
	switch r {
	case '"', '\'', '”', '’', '»', ')', ']', '}':
		return true
	}
	return false
}

// wordEnd returns the byte offset just past the word starting at text[i].
func wordEnd(text string, i int) int {
	prev, size := utf8.DecodeRuneInString(text[i:])
	i += size
	for i < len(text) {
		r, size := utf8.DecodeRuneInString(text[i:])
		if isWordChar(r) {
			prev = r
			i += size
			continue
		}
		next, nsize := utf8.DecodeRuneInString(text[i+size:])
		if i+size < len(text) && nsize > 0 && isJoiner(prev, r, next) {
			prev = next
			i += size + nsize
			continue
		}
		break
	}
	return i
}

// isJoiner reports whether sep between prev and next keeps one word going.
func isJoiner(prev, sep, next rune) bool {
	if !isWordChar(next) {
		return false
	}
	switch sep {
	case '\'', '’', '-', '‐':
		return true
	case '.', ',':
		return unicode.IsDigit(prev) && unicode.IsDigit(next)
	}
	return false
}

// wordSyllables counts a word's syllables as the sum over its hyphen-separated parts.
func wordSyllables(word string) int {
	n := 0
	for word != "" {
		i := strings.IndexAny(word, "-‐")
		if i < 0 {
			return n + Syllables(word)
		}
		if i > 0 {
			n += Syllables(word[:i])
		}
		_, size := utf8.DecodeRuneInString(word[i:])
		word = word[i+size:]
	}
	return max(n, 1)
}

// Syllables estimates the syllables of an English word by rule:
//
//  1. Lowercase the word and keep its letters (dropping apostrophes, digits and
//     marks). The vowels are a, e, i, o, u and y, except a y in first place.
//     Any other letter, accented ones included, is a consonant.
//  2. Count the maximal runs of vowels.
//  3. When the count is above 1, drop one for a silent ending, where C is a consonant:
//     - "-e" after C (make, whale), but not "-le" after C (table, little);
//     - "-es" after C (makes, lives), but not after s, x, z, "ch", "sh", "ce", "ge"
//     (boxes, wishes, places, judges), nor "-les" after C (tables);
//     - "-ed" after C (jumped, lived), but not after t or d (wanted, needed).
//  4. The result is at least 1.
//
// The rule agrees with dictionary counts for most common words and errs on vowel
// sequences spoken as two syllables ("area", "created") and silent-e exceptions
// ("recipe").
func Syllables(word string) int {
	var buf [32]byte
	w := buf[:0]
	for _, r := range word {
		if !unicode.IsLetter(r) {
			continue
		}
		r = unicode.ToLower(r)
		if r < utf8.RuneSelf {
			w = append(w, byte(r))
		} else {
			w = append(w, '#') // a consonant for the rule
		}
	}
	if len(w) == 0 {
		return 1
	}
	vowel := func(i int) bool {
		switch w[i] {
		case 'a', 'e', 'i', 'o', 'u':
			return true
		case 'y':
			return i > 0
		}
		return false
	}
	consonant := func(i int) bool { return i >= 0 && !vowel(i) }
	n := 0
	for i := range w {
		if vowel(i) && (i == 0 || !vowel(i-1)) {
			n++
		}
	}
	if n > 1 {
		last := len(w) - 1
		ends := func(suffix string) bool { return bytes.HasSuffix(w, []byte(suffix)) }
		switch {
		case ends("le") && consonant(last-2):
		case ends("e") && consonant(last-1):
			n--
		case ends("les") && consonant(last-3):
		case ends("es") && consonant(last-2):
			if c := w[last-2]; c != 's' && c != 'x' && c != 'z' && !ends("ches") && !ends("shes") && !ends("ces") && !ends("ges") {
				n--
			}
		case ends("ed") && consonant(last-2):
			if c := w[last-2]; c != 't' && c != 'd' {
				n--
			}
		}
	}
	return max(n, 1)
}
