package rouge

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring/rouge/porter"
)

// Tokenizer names accepted by the tokenizer param.
const (
	TokenizerDefault = "default"
	TokenizerUnicode = "unicode"
)

// tokenizeDefault reproduces rouge-score 0.1.2's tokenize.tokenize(text, stemmer):
//
//  1. text.lower() (Python's full Unicode lowercase mapping);
//  2. every run of characters outside [a-z0-9] becomes one space (re.sub(r"[^a-z0-9]+", " "));
//  3. split on whitespace (re.split(r"\s+"));
//  4. with the stemmer, tokens longer than 3 characters are Porter-stemmed;
//  5. tokens that do not match ^[a-z0-9]+$ (the empty ones at either end) are dropped.
//
// The only characters outside ASCII whose Python lowercase contains [a-z0-9] are
// U+212A KELVIN SIGN (lowercases to "k") and U+0130 LATIN CAPITAL LETTER I WITH DOT
// ABOVE (lowercases to "i" + U+0307, so it ends its token after the "i"); they are
// handled here, every other non-ASCII character separates tokens. Invalid UTF-8 bytes
// also separate tokens.
func tokenizeDefault(text string, stem bool) []string {
	var tokens []string
	// A token is text[start:i] when it is already lowercase ASCII; once it needs
	// rewriting (uppercase, Kelvin sign, dotted capital I) it is built in buf.
	start, rewritten := -1, false
	var buf []byte
	flush := func(end int) {
		switch {
		case start < 0:
		case rewritten:
			tokens = append(tokens, string(buf))
		default:
			tokens = append(tokens, text[start:end])
		}
		start, rewritten, buf = -1, false, buf[:0]
	}
	add := func(at int, c byte, verbatim bool) {
		if start < 0 {
			start = at
		}
		if !verbatim && !rewritten {
			rewritten = true
			buf = append(buf[:0], text[start:at]...)
		}
		if rewritten {
			buf = append(buf, c)
		}
	}
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			switch {
			case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
				add(i, c, true)
			case c >= 'A' && c <= 'Z':
				add(i, c+('a'-'A'), false)
			default:
				flush(i)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		switch r {
		case '\u212A':
			add(i, 'k', false)
		case '\u0130':
			add(i, 'i', false)
			flush(i)
		default:
			flush(i)
		}
		i += size
	}
	flush(len(text))
	if stem {
		stemLong(tokens)
	}
	return tokens
}

// stemLong stems, in place, the tokens longer than 3 bytes, as rouge-score does. Porter
// leaves anything but ASCII letters and digits unchanged.
func stemLong(tokens []string) {
	for i, t := range tokens {
		if len(t) > 3 {
			tokens[i] = porter.Stem(t)
		}
	}
}

// tokenizeUnicode is the tokenizer for text that is not English. It applies full
// Unicode case folding (golang.org/x/text/cases.Fold: "Straße" and "STRASSE" both
// become "strasse"), then takes as tokens the maximal runs of letters, combining marks
// and numbers (Unicode categories L, M, N; marks are kept so that Devanagari or Thai
// words stay whole). Each Han, Hiragana or Katakana letter or number is a token on
// its own, since those scripts do not put spaces between words. Everything else separates
// tokens. With the stemmer, only tokens of ASCII letters and digits longer than 3
// bytes are stemmed (the Porter stemmer is for English).
//
// For ASCII text it gives the same tokens as the default tokenizer.
func tokenizeUnicode(text string, stem bool) []string {
	folded := cases.Fold().String(text)
	var tokens []string
	start := -1
	for i, r := range folded {
		switch {
		case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) && (unicode.IsLetter(r) || unicode.IsNumber(r)):
			if start >= 0 {
				tokens = append(tokens, folded[start:i])
				start = -1
			}
			tokens = append(tokens, string(r))
		case r != utf8.RuneError && (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)):
			if start < 0 {
				start = i
			}
		default:
			if start >= 0 {
				tokens = append(tokens, folded[start:i])
				start = -1
			}
		}
	}
	if start >= 0 {
		tokens = append(tokens, folded[start:])
	}
	if stem {
		stemLong(tokens)
	}
	return tokens
}

// sentences splits a summary for rougeLsum as rouge-score does without
// split_summaries: on "\n", dropping empty lines.
func sentences(text string) []string {
	lines := strings.Split(text, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}
