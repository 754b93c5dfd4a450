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
	var buf tokenBuffers
	return pyFields(string(t.spaced(&buf, line)))
}

// tokenBuffers are the scratch space of spaced, kept between segments.
type tokenBuffers struct{ a, b []byte }

// spaced returns valid UTF-8 line rewritten by t's substitutions, with the tokens as
// its Python-whitespace-separated fields. The result is one of buf's buffers, valid
// until the next call with buf.
func (t Tokenizer) spaced(buf *tokenBuffers, line string) []byte {
	switch t {
	case Tokenizer13a:
		return spaced13a(buf, line)
	case TokenizerIntl:
		buf.a = appendIntl(buf.a[:0], line)
	case TokenizerChar:
		buf.a = appendChar(buf.a[:0], line)
	default:
		buf.a = append(buf.a[:0], line...)
	}
	return buf.a
}

// spaced13a follows sacrebleu's Tokenizer13a and TokenizerRegexp: string
// replacements, then four regular-expression substitutions applied in turn over
// " " + line + " " (the tokens are the fields of the result). Every character the
// substitutions look at is ASCII and no byte of a multi-byte UTF-8 sequence is ASCII,
// so they run over bytes; each is a scan that, like re.sub, takes leftmost
// non-overlapping matches, writing to one of buf's buffers while reading the other.
func spaced13a(buf *tokenBuffers, line string) []byte {
	line = strings.ReplaceAll(line, "<skipped>", "")
	line = strings.ReplaceAll(line, "-\n", "")
	if strings.Contains(line, "&") {
		line = strings.ReplaceAll(line, "&quot;", `"`)
		line = strings.ReplaceAll(line, "&amp;", "&")
		line = strings.ReplaceAll(line, "&lt;", "<")
		line = strings.ReplaceAll(line, "&gt;", ">")
	}
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
	buf.a, buf.b = b, out
	return b
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

// appendChar follows sacrebleu's TokenizerChar, " ".join(line): every character
// that is not whitespace is a token of its own.
func appendChar(dst []byte, line string) []byte {
	for _, r := range line {
		dst = utf8.AppendRune(dst, r)
		dst = append(dst, ' ')
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
