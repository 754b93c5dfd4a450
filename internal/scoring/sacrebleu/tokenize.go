package sacrebleu

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Tokenizer names one of sacrebleu's BLEU tokenizers.
type Tokenizer string

// The tokenizers this package implements, by their sacrebleu names.
const (
	// Tokenizer13a is mteval-v13a.pl's tokenization, sacrebleu's default: it unescapes
	// &quot; &amp; &lt; &gt;, drops <skipped> and joins "-\n" line breaks, splits off
	// each of ! " # $ % & ( ) * + / : ; < = > ? @ [ \ ] ^ _ ` { | } ~, splits off "."
	// and "," unless both neighbours are digits, and splits off "-" after a digit.
	Tokenizer13a Tokenizer = "13a"
	// TokenizerIntl is mteval-v14.pl's international tokenization: it splits off every
	// Unicode punctuation character (\p{P}) unless both neighbours are numbers (\p{N}),
	// and every symbol (\p{S}). As in mteval-v14.pl, punctuation ending the line right
	// after a number stays attached ("1999.").
	TokenizerIntl Tokenizer = "intl"
	// TokenizerChar makes every non-whitespace character a token.
	TokenizerChar Tokenizer = "char"
	// TokenizerNone splits on whitespace only.
	TokenizerNone Tokenizer = "none"
)

// Valid reports whether t is one of the implemented tokenizers.
func (t Tokenizer) Valid() bool {
	switch t {
	case Tokenizer13a, TokenizerIntl, TokenizerChar, TokenizerNone:
		return true
	}
	return false
}

// Tokenize returns the tokens of line under t: exactly tokenizer(line).split() in
// sacrebleu. It does not lowercase or strip; BLEU does both before tokenizing.
func Tokenize(t Tokenizer, line string) ([]string, error) {
	if !t.Valid() {
		return nil, fmt.Errorf("unknown tokenizer %q; one of 13a, intl, char, none", t)
	}
	return t.tokens(validUTF8(line)), nil
}

// tokens tokenizes valid UTF-8 line with a valid t.
func (t Tokenizer) tokens(line string) []string {
	var buf []byte
	return t.appendTokens(nil, &buf, line)
}

// appendTokens appends the tokens of valid UTF-8 line under t to dst. Every tokenizer
// only inserts spaces between characters and splits on whitespace, so each token is a
// substring of line after 13a's string replacements; intl, which builds its spaced
// text in buf, returns substrings of one copy of it.
func (t Tokenizer) appendTokens(dst []string, buf *[]byte, line string) []string {
	switch t {
	case Tokenizer13a:
		return appendTokens13a(dst, line)
	case TokenizerIntl:
		*buf = appendIntl((*buf)[:0], line)
		return appendFields(dst, string(*buf))
	case TokenizerChar:
		// " ".join(line).split(): every character that is not whitespace.
		for i, r := range line {
			if !isPySpace(r) {
				dst = append(dst, line[i:i+utf8.RuneLen(r)])
			}
		}
		return dst
	default:
		return appendFields(dst, line)
	}
}

// appendTokens13a follows sacrebleu's Tokenizer13a and TokenizerRegexp: string
// replacements, then four regular-expression substitutions applied in turn over
// " " + line + " ", then a whitespace split:
//
//	([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 "
//	([^0-9])([\.,]) -> "\1 \2 "
//	([\.,])([^0-9]) -> " \1 \2"
//	([0-9])(-) -> "\1 \2 "
//
// Each substitution only inserts spaces, so the tokens are substrings of the line,
// and one pass finds where the four put them. The first makes every character of its
// class a token. re.sub takes leftmost matches that do not overlap, so in a run of k
// dots and commas the second isolates every other one (the first, third, ... after a
// non-digit; the second, fourth, ... after a digit) and the third then isolates every
// other one of the run except, when a digit follows the run, its last one if the
// second left it alone: that one stays attached to the digit after it (and, when it
// is the whole run, to the digit before it, as in "1.5"). The fourth isolates every
// hyphen that follows a digit, since the others never put a space between a digit
// and a hyphen. plainTokenize13a in the tests applies the substitutions as written,
// and a test and a fuzz target hold the two equal.
func appendTokens13a(dst []string, line string) []string {
	line = replace13a(line)
	// A newline would become a space before the substitutions; it is Python
	// whitespace already.
	start := -1 // of the token being read
	for i := 0; i < len(line); {
		c := line[i]
		if c >= utf8.RuneSelf {
			if n := pySpaceAt(line, i); n > 0 {
				if start >= 0 {
					dst, start = append(dst, line[start:i]), -1
				}
				i += n
				continue
			}
			if start < 0 {
				start = i
			}
			i++
			continue
		}
		switch {
		case asciiPySpace(c):
			if start >= 0 {
				dst, start = append(dst, line[start:i]), -1
			}
		case is13aPunct(c) || (c == '-' && i > 0 && isDigit(line[i-1])):
			if start >= 0 {
				dst, start = append(dst, line[start:i]), -1
			}
			dst = append(dst, line[i:i+1])
		case isDotComma(c):
			end := i + 1
			for end < len(line) && isDotComma(line[end]) {
				end++
			}
			afterDigit := i > 0 && isDigit(line[i-1])
			attached := end < len(line) && isDigit(line[end]) && afterDigit == ((end-i)%2 == 1)
			for j := i; j < end; j++ {
				if j == end-1 && attached {
					if start < 0 {
						start = j
					}
					break
				}
				if start >= 0 {
					dst, start = append(dst, line[start:j]), -1
				}
				dst = append(dst, line[j:j+1])
			}
			i = end
			continue
		default:
			if start < 0 {
				start = i
			}
		}
		i++
	}
	if start >= 0 {
		dst = append(dst, line[start:])
	}
	return dst
}

// replace13a makes 13a's string replacements: it drops "<skipped>" and "-\n" and
// unescapes &quot; &amp; &lt; &gt; (one at a time, in that order, as sacrebleu does).
func replace13a(line string) string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	return line
}

// appendIntl follows sacrebleu's TokenizerV14International: (\P{N})(\p{P}) ->
// "\1 \2 ", then (\p{P})(\P{N}) -> " \1 \2", then (\p{S}) -> " \1 " (the tokens are
// the fields of the result). Unicode categories come from Go's unicode tables.
func appendIntl(dst []byte, line string) []byte {
	rs := []rune(line)
	out := make([]rune, 0, len(rs)+len(rs)/4)
	for i := 0; i < len(rs); i++ {
		if r := rs[i]; i+1 < len(rs) && !unicode.IsNumber(r) && unicode.IsPunct(rs[i+1]) {
			out = append(out, r, ' ', rs[i+1], ' ')
			i++
		} else {
			out = append(out, r)
		}
	}
	rs = make([]rune, 0, len(out)+len(out)/4)
	for i := 0; i < len(out); i++ {
		if r := out[i]; i+1 < len(out) && unicode.IsPunct(r) && !unicode.IsNumber(out[i+1]) {
			rs = append(rs, ' ', r, ' ', out[i+1])
			i++
		} else {
			rs = append(rs, r)
		}
	}
	for _, r := range rs {
		if unicode.IsSymbol(r) {
			dst = append(dst, ' ')
			dst = utf8.AppendRune(dst, r)
			dst = append(dst, ' ')
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// is13aPunct reports whether c is in 13a's first character class: space through &,
// ( through +, / , : through @, [ through `, and { through ~.
func is13aPunct(c byte) bool {
	return (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') || c == '/' ||
		(c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isDotComma(c byte) bool { return c == '.' || c == ',' }
