package pii

import "regexp"

// IBANs are written in capitals, either compact ("DE89370400440532013000") or in
// groups of four separated by single spaces ("DE89 3704 0044 0532 0130 00"). One is
// reported when its country is in ibanLength, its length is that country's, its
// check digits are 02-98 and the whole passes the ISO 7064 mod-97-10 check.
var ibanPattern = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?`)

// ibanLength is the IBAN length of each country in the SWIFT IBAN registry.
var ibanLength = map[string]int{
	"AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22,
	"BH": 22, "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24,
	"DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18,
	"FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27,
	"GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
	"JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
	"LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27,
	"MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28,
	"PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31,
	"SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
	"TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}

func findIBANs(text string) []Finding {
	var out []Finding
	// Within each run, the search resumes where a found IBAN ends rather than where the pattern's
	// match ends, so that a pattern running on into a second IBAN does not hide it.
	for _, c := range clusters(text, func(c byte) bool { return isDigit(c) || 'A' <= c && c <= 'Z' || c == ' ' }, 2) {
		if c.end-c.start >= 15 {
			out = append(out, findIBANsIn(text, c.start, c.end)...)
		}
	}
	return out
}

// findIBANsIn finds the IBANs in text[from:to], a run of capitals, digits and
// spaces.
func findIBANsIn(text string, from, to int) []Finding {
	var out []Finding
	for pos := from; pos < to; {
		loc := ibanPattern.FindStringIndex(text[pos:to])
		if loc == nil {
			break
		}
		m := []int{pos + loc[0], pos + loc[1]}
		pos = m[1]
		start := m[0]
		want, ok := ibanLength[text[start:start+2]]
		if !ok {
			continue
		}
		// The pattern may run into a following word or number; cut the candidate
		// where it holds the country's number of characters.
		n, end := 0, -1
		for i := start; i < m[1]; i++ {
			if text[i] == ' ' {
				continue
			}
			n++
			if n == want {
				end = i + 1
				break
			}
		}
		if end < 0 || end < len(text) && isWord(text[end]) {
			continue
		}
		if start > 0 && isWord(text[start-1]) {
			continue
		}
		compact := make([]byte, 0, want)
		for i := start; i < end; i++ {
			if text[i] != ' ' {
				compact = append(compact, text[i])
			}
		}
		if !ibanValid(string(compact)) {
			continue
		}
		out = append(out, Finding{Type: IBAN, Start: start, End: end, Redacted: maskIBAN(text[start:end])})
		pos = end
	}
	return out
}

// ibanValid checks the check digits of a compact, upper-case IBAN: moving the
// first four characters to the end and reading letters as 10 (A) to 35 (Z), the
// number is 1 modulo 97.
func ibanValid(s string) bool {
	if len(s) < 5 {
		return false
	}
	if check := int(s[2]-'0')*10 + int(s[3]-'0'); check < 2 || check > 98 {
		return false
	}
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[(i+4)%len(s)]
		switch {
		case isDigit(c):
			rem = (rem*10 + int(c-'0')) % 97
		case 'A' <= c && c <= 'Z':
			rem = (rem*100 + int(c-'A') + 10) % 97
		default:
			return false
		}
	}
	return rem == 1
}

// maskIBAN keeps the country code and the last four characters.
func maskIBAN(s string) string {
	b := []byte(s)
	alnum := 0
	for _, c := range b {
		if c != ' ' {
			alnum++
		}
	}
	seen := 0
	for i, c := range b {
		if c == ' ' {
			continue
		}
		seen++
		if seen > 2 && seen <= alnum-4 {
			b[i] = '*'
		}
	}
	return string(b)
}
