package pii

import (
	"net/netip"
	"regexp"
	"strings"
)

// IPv4 addresses are dotted quads that net/netip parses: four decimal octets of at
// most 255 without leading zeros. Any such quad is reported, "version 1.2.3.4"
// included, except when it is glued to a word ("v1.2.3.4") or is part of a longer
// dotted sequence ("1.2.3.4.5"); three-part versions ("1.2.3") are never addresses.
var ipv4Pattern = regexp.MustCompile(`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`)

func findIPv4(text string) []Finding {
	var out []Finding
	cs := clusters(text, func(c byte) bool { return isDigit(c) || c == '.' }, 4)
	for _, m := range findIn(ipv4Pattern, text, cs) {
		start, end := m[0], m[1]
		if start > 0 && (isWord(text[start-1]) || text[start-1] == '.') {
			continue
		}
		if end < len(text) && (isWord(text[end]) || text[end] == '.' && end+1 < len(text) && isDigit(text[end+1])) {
			continue
		}
		addr, err := netip.ParseAddr(text[start:end])
		if err != nil || !addr.Is4() {
			continue
		}
		s := text[start:end]
		first := s[:strings.IndexByte(s, '.')]
		out = append(out, Finding{Type: IPv4, Start: start, End: end, Redacted: first + ".*.*.*"})
	}
	return out
}

// IPv6 addresses are maximal runs of hexadecimal digits, colons and dots holding at
// least two colons that net/netip parses as IPv6 (zones such as "%eth0" are not
// part of the finding). Runs glued to a word are skipped ("std::vector"), and so are
// addresses with at most two groups that are all decimal ("::1", "10::20", which
// read as Python slices "xs[1::2]" far more often than as addresses).
func findIPv6(text string) []Finding {
	var out []Finding
	// Only runs of address bytes that hold a colon can be addresses: each is found
	// from its first colon.
	for i := 0; i < len(text); {
		k := strings.IndexByte(text[i:], ':')
		if k < 0 {
			break
		}
		start := i + k
		for start > i && isIPv6Byte(text[start-1]) {
			start--
		}
		i += k
		for i < len(text) && isIPv6Byte(text[i]) {
			i++
		}
		if f, ok := ipv6Run(text, start, i); ok {
			out = append(out, f)
		}
	}
	return out
}

// ipv6Run reads the maximal run text[start:end] of address bytes as an address.
func ipv6Run(text string, start, end int) (Finding, bool) {
	for end > start && text[end-1] == '.' {
		end--
	}
	s := text[start:end]
	if strings.Count(s, ":") < 2 {
		return Finding{}, false
	}
	if start > 0 && isWord(text[start-1]) || end < len(text) && isWord(text[end]) {
		return Finding{}, false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil || !addr.Is6() || sliceLike(s) {
		return Finding{}, false
	}
	head := s[:strings.IndexByte(s, ':')]
	return Finding{Type: IPv6, Start: start, End: end, Redacted: head + ":****"}, true
}

func isIPv6Byte(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '.'
}

// sliceLike reports whether an address has at most two non-empty groups, all of
// them decimal digits.
func sliceLike(s string) bool {
	groups := 0
	for _, g := range strings.Split(s, ":") {
		if g == "" {
			continue
		}
		groups++
		for i := 0; i < len(g); i++ {
			if !isDigit(g[i]) {
				return false
			}
		}
	}
	return groups <= 2
}
