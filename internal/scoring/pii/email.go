package pii

import (
	"regexp"
	"strings"
)

// E-mail addresses are local@domain with an ASCII local part of letters, digits and
// ._%+- (not starting or ending with a dot, no two dots in a row, at most 64
// characters) and a domain of dot-separated labels (letters, digits, inner hyphens,
// at most 63 characters each) ending in an alphabetic top-level domain of at least
// two letters. The scp-style git remote "git@github.com:owner/repo" is not an
// address.
var emailPattern = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,63}`)

func findEmails(text string) []Finding {
	if !strings.Contains(text, "@") {
		return nil
	}
	var out []Finding
	for _, m := range emailPattern.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		// Leading dots belong to the sentence, not the address.
		for start < end && text[start] == '.' {
			start++
		}
		if end < len(text) {
			c := text[end]
			if isWord(c) || c == '-' || c == '@' || c == ':' && end+1 < len(text) && !isSpace(text[end+1]) {
				continue
			}
		}
		if start > 0 && isWord(text[start-1]) {
			continue
		}
		at := strings.IndexByte(text[start:end], '@') + start
		local, domain := text[start:at], text[at+1:end]
		if !validLocal(local) || !validDomain(domain) {
			continue
		}
		out = append(out, Finding{Type: Email, Start: start, End: end, Redacted: "***@" + domain})
	}
	return out
}

func validLocal(s string) bool {
	return s != "" && len(s) <= 64 && s[0] != '.' && s[len(s)-1] != '.' && !strings.Contains(s, "..")
}

func validDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}
