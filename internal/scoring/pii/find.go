package pii

import (
	"fmt"
	"sort"
	"strings"
)

// Type names a kind of finding.
type Type string

// The finding types, from the most specific to the least: when two candidate
// findings overlap, the one of the more specific type is kept.
const (
	PrivateKey   Type = "private_key"
	JWT          Type = "jwt"
	GitHubToken  Type = "github_token"
	APIKey       Type = "api_key"
	AWSAccessKey Type = "aws_access_key"
	IBAN         Type = "iban"
	Email        Type = "email"
	CreditCard   Type = "credit_card"
	SSN          Type = "ssn"
	IPv6         Type = "ipv6"
	IPv4         Type = "ipv4"
	Phone        Type = "phone"
)

// Types lists every finding type, most specific first.
var Types = []Type{PrivateKey, JWT, GitHubToken, APIKey, AWSAccessKey, IBAN, Email, CreditCard, SSN, IPv6, IPv4, Phone}

// Finding is one piece of personal data or one secret: its type, its byte offsets
// [Start, End) in the text, and a redacted form that never holds the whole value.
type Finding struct {
	Type     Type   `json:"type"`
	Start    int    `json:"start"`
	End      int    `json:"end"`
	Redacted string `json:"redacted"`
}

// detector finds the candidate findings of one type; each candidate is already
// validated, but candidates of different types may overlap.
type detector struct {
	typ  Type
	find func(text string) []Finding
}

var detectors = []detector{
	{PrivateKey, findPrivateKeys},
	{JWT, findJWTs},
	{GitHubToken, findGitHubTokens},
	{APIKey, findAPIKeys},
	{AWSAccessKey, findAWSKeys},
	{IBAN, findIBANs},
	{Email, findEmails},
	{CreditCard, findCards},
	{SSN, findSSNs},
	{IPv6, findIPv6},
	{IPv4, findIPv4},
	{Phone, findPhones},
}

// Finder finds personal data and secrets. It is safe for concurrent use.
type Finder struct {
	report map[Type]bool
}

// NewFinder returns a finder that reports findings of the given types (all of them
// when types is empty). Every detector still runs, so that a string is classified
// once, as its most specific type: with types ["phone"], a card number is not
// reported as a phone number.
func NewFinder(types []Type) (*Finder, error) {
	if len(types) == 0 {
		types = Types
	}
	known := map[Type]bool{}
	for _, t := range Types {
		known[t] = true
	}
	f := &Finder{report: map[Type]bool{}}
	for _, t := range types {
		if !known[t] {
			return nil, fmt.Errorf("unknown type %q", t)
		}
		f.report[t] = true
	}
	return f, nil
}

// Find returns the findings in text, in order of position and never overlapping.
// Candidates are kept most specific type first (the order of Types), then longest
// first, then leftmost first; a candidate overlapping one already kept is dropped.
func (f *Finder) Find(text string) []Finding {
	var cands []Finding
	rank := map[Type]int{}
	for i, d := range detectors {
		rank[d.typ] = i
		cands = append(cands, d.find(text)...)
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if rank[a.Type] != rank[b.Type] {
			return rank[a.Type] < rank[b.Type]
		}
		if la, lb := a.End-a.Start, b.End-b.Start; la != lb {
			return la > lb
		}
		return a.Start < b.Start
	})
	var kept []Finding
	for _, c := range cands {
		i := sort.Search(len(kept), func(i int) bool { return kept[i].End > c.Start })
		if i < len(kept) && kept[i].Start < c.End {
			continue
		}
		kept = append(kept, Finding{})
		copy(kept[i+1:], kept[i:])
		kept[i] = c
	}
	out := kept[:0]
	for _, k := range kept {
		if f.report[k.Type] {
			out = append(out, k)
		}
	}
	return out
}

// Redact returns text with every finding replaced by its redacted form. The findings
// must be sorted and must not overlap, as Find returns them.
func Redact(text string, findings []Finding) string {
	var b strings.Builder
	b.Grow(len(text))
	at := 0
	for _, f := range findings {
		b.WriteString(text[at:f.Start])
		b.WriteString(f.Redacted)
		at = f.End
	}
	b.WriteString(text[at:])
	return b.String()
}

// Byte classes used by the detectors; all are ASCII.

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isWord reports whether c continues a word or token: an ASCII letter or digit, an
// underscore, or any non-ASCII byte (part of a letter in another script).
func isWord(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

// numberBounded reports whether text[start:end] stands alone as a number: not
// glued to a word on either side, not one group of a longer number (a digit and a
// separator — space, '-', '.', '/', ',' — before it, or a separator and a digit
// after it), and not the tail or head of a code such as "ORD-0123-456789" (a letter
// or digit and '-', '.' or '/' before it, or '-', '.' or '/' and one after it).
func numberBounded(text string, start, end int) bool {
	if start > 0 {
		c := text[start-1]
		if isWord(c) || c == '+' {
			return false
		}
		if start > 1 {
			p := text[start-2]
			if isNumberSep(c) && isDigit(p) || isJoiner(c) && isWord(p) {
				return false
			}
		}
	}
	if end < len(text) {
		c := text[end]
		if isWord(c) {
			return false
		}
		if end+1 < len(text) {
			n := text[end+1]
			if isNumberSep(c) && isDigit(n) || isJoiner(c) && isWord(n) {
				return false
			}
		}
	}
	return true
}

func isJoiner(c byte) bool { return c == '-' || c == '.' || c == '/' }

func isNumberSep(c byte) bool { return c == ' ' || c == '-' || c == '.' || c == '/' || c == ',' }

// maskDigits replaces every ASCII digit of s with '*' except the last keep digits.
func maskDigits(s string, keep int) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	b := []byte(s)
	seen := 0
	for i := range b {
		if isDigit(b[i]) {
			seen++
			if seen <= digits-keep {
				b[i] = '*'
			}
		}
	}
	return string(b)
}

func digitsOf(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// span is a half-open byte range [start, end).
type span struct{ start, end int }

// clusters returns the maximal runs of bytes for which in is true that hold at least
// minDigits digits. Detectors whose matches consist only of such bytes run their
// patterns on these runs alone, which is lossless and much cheaper than scanning
// the whole text; boundaries are still checked against the whole text. in must
// hold for every digit. When minDigits > 0 only the runs around digits are
// visited, so prose without digits costs one scan for them.
func clusters(text string, in func(byte) bool, minDigits int) []span {
	var out []span
	if minDigits <= 0 {
		for i := 0; i < len(text); {
			if !in(text[i]) {
				i++
				continue
			}
			start := i
			for i < len(text) && in(text[i]) {
				i++
			}
			out = append(out, span{start, i})
		}
		return out
	}
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		// text[i] is the first digit after the previous run (or the start), so the
		// run reaching back from it holds no digit before i.
		start := i
		for start > 0 && in(text[start-1]) {
			start--
		}
		digits := 0
		for i < len(text) && in(text[i]) {
			if isDigit(text[i]) {
				digits++
			}
			i++
		}
		if digits >= minDigits {
			out = append(out, span{start, i})
		}
	}
	return out
}

// findIn returns the matches of re inside each cluster, as offsets into text.
func findIn(re interface {
	FindAllStringIndex(string, int) [][]int
}, text string, cs []span) [][]int {
	var out [][]int
	for _, c := range cs {
		for _, m := range re.FindAllStringIndex(text[c.start:c.end], -1) {
			out = append(out, []int{c.start + m[0], c.start + m[1]})
		}
	}
	return out
}
