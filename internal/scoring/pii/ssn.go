package pii

import "regexp"

// US social security numbers are written AAA-GG-SSSS or AAA GG SSSS (the same
// separator twice). One is reported when its area is not 000, 666 or 900-999, its
// group is not 00 and its serial is not 0000 (numbers the Social Security
// Administration never issues). Nine digits without separators are not reported:
// too many other numbers look like them.
var ssnPattern = regexp.MustCompile(`\b\d{3}[- ]\d{2}[- ]\d{4}\b`)

func findSSNs(text string) []Finding {
	var out []Finding
	cs := clusters(text, func(c byte) bool { return isDigit(c) || c == '-' || c == ' ' }, 9)
	for _, m := range findIn(ssnPattern, text, cs) {
		s := text[m[0]:m[1]]
		if s[3] != s[6] || !numberBounded(text, m[0], m[1]) || !ssnValid(digitsOf(s)) {
			continue
		}
		out = append(out, Finding{Type: SSN, Start: m[0], End: m[1], Redacted: maskDigits(s, 4)})
	}
	return out
}

// ssnValid reports whether the nine digits d are an issuable SSN.
func ssnValid(d string) bool {
	area, group, serial := d[:3], d[3:5], d[5:]
	if area == "000" || area == "666" || area[0] == '9' {
		return false
	}
	return group != "00" && serial != "0000"
}
