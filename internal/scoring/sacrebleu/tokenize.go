package sacrebleu

import (
	"fmt"
	"strings"
	"unicode"
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
	switch t {
	case Tokenizer13a:
		return tokenize13a(line)
	case TokenizerIntl:
		return tokenizeIntl(line)
	case TokenizerChar:
		return tokenizeChar(line)
	default:
		return pyFields(line)
	}
}

// tokenize13a follows sacrebleu's Tokenizer13a and TokenizerRegexp: string
// replacements, then four regular-expression substitutions applied in turn over
// " " + line + " ", then a whitespace split. Every character the substitutions look
// at is ASCII and no byte of a multi-byte UTF-8 sequence is ASCII, so they run over
// bytes; each is a scan that, like re.sub, takes leftmost non-overlapping matches.
func tokenize13a(line string) []string {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	line = strings.ReplaceAll(line, "\n", " ")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
	// ([\{-\~\[-\` -\&\(-\+\:-\@\/]) -> " \1 ", over the padded line.
	b := make([]byte, 0, len(line)+len(line)/2+8)
	b = append(b, "   "...)
	for i := 0; i < len(line); i++ {
		if c := line[i]; is13aPunct(c) {
			b = append(b, ' ', c, ' ')
		} else {
			b = append(b, c)
		}
	}
	b = append(b, "   "...)
	if strings.ContainsAny(line, ".,") {
		// ([^0-9])([\.,]) -> "\1 \2 "
		out := make([]byte, 0, len(b)+len(b)/4)
		for i := 0; i < len(b); i++ {
			if c := b[i]; i+1 < len(b) && !isDigit(c) && isDotComma(b[i+1]) {
				out = append(out, c, ' ', b[i+1], ' ')
				i++
			} else {
				out = append(out, c)
			}
		}
		// ([\.,])([^0-9]) -> " \1 \2"
		b = make([]byte, 0, len(out)+len(out)/4)
		for i := 0; i < len(out); i++ {
			if c := out[i]; i+1 < len(out) && isDotComma(c) && !isDigit(out[i+1]) {
				b = append(b, ' ', c, ' ', out[i+1])
				i++
			} else {
				b = append(b, c)
			}
		}
	}
	if strings.Contains(line, "-") {
		// ([0-9])(-) -> "\1 \2 "
		out := make([]byte, 0, len(b)+len(b)/4)
		for i := 0; i < len(b); i++ {
			if c := b[i]; i+1 < len(b) && isDigit(c) && b[i+1] == '-' {
				out = append(out, c, ' ', '-', ' ')
				i++
			} else {
				out = append(out, c)
			}
		}
		b = out
	}
	return pyFields(string(b))
}

// tokenizeIntl follows sacrebleu's TokenizerV14International: (\P{N})(\p{P}) ->
// "\1 \2 ", then (\p{P})(\P{N}) -> " \1 \2", then (\p{S}) -> " \1 ", then a
// whitespace split. Unicode categories come from Go's unicode tables.
func tokenizeIntl(line string) []string {
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
	var b strings.Builder
	b.Grow(len(line) + len(rs))
	for _, r := range rs {
		if unicode.IsSymbol(r) {
			b.WriteByte(' ')
			b.WriteRune(r)
			b.WriteByte(' ')
		} else {
			b.WriteRune(r)
		}
	}
	return pyFields(b.String())
}

// tokenizeChar follows sacrebleu's TokenizerChar: " ".join(line).split(), which keeps
// every character that is not whitespace as a token of its own.
func tokenizeChar(line string) []string {
	out := make([]string, 0, len(line))
	for i, r := range line {
		if !isPySpace(r) {
			out = append(out, line[i:i+len(string(r))])
		}
	}
	return out
}

// is13aPunct reports whether c is in 13a's first character class: space through &,
// ( through +, / , : through @, [ through `, and { through ~.
func is13aPunct(c byte) bool {
	return (c >= ' ' && c <= '&') || (c >= '(' && c <= '+') || c == '/' ||
		(c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~')
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isDotComma(c byte) bool { return c == '.' || c == ',' }
