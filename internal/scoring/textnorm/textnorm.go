// Package textnorm prepares text for matching by the text scorers: Unicode NFKC,
// typographic quotes and apostrophes folded to ASCII, invisible format characters
// dropped, white space collapsed and letters lower-cased, with a map from every
// offset of the prepared text back to the original, so that what a scorer reports
// (a matched span) points into the text it was given.
package textnorm

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text is a prepared text.
//
// Folded is the original under Unicode NFKC (compatibility forms such as
// full-width letters, ligatures, "…" and no-break spaces become their plain
// forms), with typographic single quotes, apostrophes and primes (’ ‘ ‚ ‛ ʼ ′ ´)
// read as ', typographic double quotes (“ ” „ ‟ ″ « ») as ", zero-width
// characters, the soft hyphen and the byte-order mark dropped, and every run of
// white space collapsed: to "\n\n" when it holds two or more line breaks (a
// paragraph break), to "\n" when it holds one, and to " " otherwise. Line
// structure survives, so scorers can still split text into lines and paragraphs.
//
// Lower is Folded with every letter in lower case (Unicode simple case mapping).
// It has the same length as Folded, byte for byte: the few letters whose lower
// case is encoded in another number of bytes (İ, Ⱥ, Ⱦ and a handful more) are
// kept as they are, so one offset map serves both.
type Text struct {
	Folded string
	Lower  string
	// orig[i] is the offset in the original of the start of the piece (a
	// normalisation segment or a white-space run) that Folded[i] came from;
	// orig[len(Folded)] is the original's length. nil when Folded is the original.
	orig []int
}

// New prepares s.
func New(s string) Text {
	if plain(s) {
		return Text{Folded: s, Lower: strings.ToLower(s)} // ASCII: its lower case is letter for letter
	}
	b := builder{
		src:   s,
		out:   make([]byte, 0, len(s)),
		lower: make([]byte, 0, len(s)),
		orig:  make([]int, 0, len(s)+1),
	}
	if norm.NFKC.QuickSpanString(s) == len(s) {
		// Already in NFKC (typographic quotes and most letters are): every rune is
		// its own piece.
		for at := 0; at < len(s); {
			r, size := rune(s[at]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRuneInString(s[at:])
			}
			b.add(r, at)
			at += size
		}
	} else {
		var it norm.Iter
		it.InitString(norm.NFKC, s)
		for !it.Done() {
			at := it.Pos()
			seg := it.Next()
			// A quote mark that NFKC would decompose (´ becomes a space and a
			// combining accent) is folded from the original.
			if r, size := utf8.DecodeRuneInString(s[at:]); size > 1 && it.Pos() == at+size && quote(r) != 0 {
				b.add(r, at)
				continue
			}
			for len(seg) > 0 {
				r, size := utf8.DecodeRune(seg)
				seg = seg[size:]
				b.add(r, at)
			}
		}
	}
	b.flush()
	b.orig = append(b.orig, len(s))
	return Text{Folded: string(b.out), Lower: string(b.lower), orig: b.orig}
}

// builder accumulates a Text rune by rune.
type builder struct {
	src             string
	out, lower      []byte
	orig            []int
	spaceAt, breaks int // the pending white-space run: where it started, its line breaks
	inSpace         bool
}

// add appends r, which came from the piece of src that starts at at.
func (b *builder) add(r rune, at int) {
	switch {
	case r == ' ' || r == '\t':
		b.space(at)
	case r < utf8.RuneSelf && r != '\n' && r != '\r' && r != '\v' && r != '\f':
		b.flush()
		c := byte(r)
		b.out = append(b.out, c)
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.lower = append(b.lower, c)
		b.orig = append(b.orig, at)
	case dropped(r):
	case isBreak(r):
		b.space(at)
		// "\r\n" is one line break.
		if !(r == '\n' && at > 0 && b.src[at-1] == '\r') {
			b.breaks++
		}
	case unicode.IsSpace(r):
		b.space(at)
	default:
		b.flush()
		if q := quote(r); q != 0 {
			r = q
		}
		b.emit(r, at)
	}
}

func (b *builder) space(at int) {
	if !b.inSpace {
		b.inSpace, b.spaceAt = true, at
	}
}

// flush writes the pending white-space run, if any.
func (b *builder) flush() {
	if !b.inSpace {
		return
	}
	switch {
	case b.breaks >= 2:
		b.emit('\n', b.spaceAt)
		b.emit('\n', b.spaceAt)
	case b.breaks == 1:
		b.emit('\n', b.spaceAt)
	default:
		b.emit(' ', b.spaceAt)
	}
	b.inSpace, b.breaks = false, 0
}

func (b *builder) emit(r rune, at int) {
	l := unicode.ToLower(r)
	if utf8.RuneLen(l) != utf8.RuneLen(r) {
		l = r
	}
	start := len(b.out)
	b.out = utf8.AppendRune(b.out, r)
	b.lower = utf8.AppendRune(b.lower, l)
	for range len(b.out) - start {
		b.orig = append(b.orig, at)
	}
}

// Start returns the offset in the original of the start of the piece that holds
// byte i of Folded (i may be len(Folded)): where a span starting at i starts in
// the original.
func (t Text) Start(i int) int {
	if t.orig == nil {
		return i
	}
	return t.orig[i]
}

// End returns where a span of Folded ending at i (exclusive) ends in the
// original: past the whole piece that holds byte i-1.
func (t Text) End(i int) int {
	if t.orig == nil {
		return i
	}
	if i <= 0 {
		return t.orig[0]
	}
	last := t.orig[i-1]
	for i < len(t.orig)-1 && t.orig[i] == last {
		i++
	}
	return t.orig[i]
}

// Span maps [start, end) of Folded to the original's offsets.
func (t Text) Span(start, end int) (int, int) {
	if start >= end {
		s := t.Start(start)
		return s, s
	}
	return t.Start(start), t.End(end)
}

// quote returns the ASCII quote that r stands for, or 0.
func quote(r rune) rune {
	switch r {
	case '\u2019', '\u2018', '\u201a', '\u201b', '\u02bc', '\u2032', '\u00b4', '\uff07':
		return '\''
	case '\u201c', '\u201d', '\u201e', '\u201f', '\u2033', '\u00ab', '\u00bb', '\uff02':
		return '"'
	}
	return 0
}

// dropped reports whether r is an invisible character that only gets in the way of
// matching: zero-width spaces and joiners, the soft hyphen, the byte-order mark.
func dropped(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\u00ad', '\ufeff':
		return true
	}
	return false
}

func isBreak(r rune) bool {
	return r == '\n' || r == '\r' || r == '\v' || r == '\f' || r == '\u0085' || r == '\u2028' || r == '\u2029'
}

// plain reports whether s is ASCII whose white space is already collapsed: single
// spaces, single line breaks and "\n\n", nothing else.
func plain(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80, c == '\t', c == '\r', c == '\v', c == '\f':
			return false
		case c == ' ':
			if i+1 < len(s) && (s[i+1] == ' ' || s[i+1] == '\n') {
				return false
			}
		case c == '\n':
			if i+1 < len(s) && s[i+1] == ' ' {
				return false
			}
			if i+2 < len(s) && s[i+1] == '\n' && s[i+2] == '\n' {
				return false
			}
		}
	}
	return true
}
