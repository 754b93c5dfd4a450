package pii

import "regexp"

// Phone numbers are recognised in these written forms; each needs separators (a
// space, hyphen, dot or slash between groups, or brackets), except the
// international form, so that bare digit strings such as order numbers and
// timestamps are not read as phones:
//
//   - international (E.164 with optional grouping): "+" and a country code, then
//     groups of digits with optional single separators, brackets around an area
//     code and a "(0)" trunk marker; 8 to 15 digits in all;
//   - NANP (US, Canada): optional "+1"/"1", area code (in brackets or followed by a
//     separator), exchange and line: "(415) 555-2671", "415.555.2671",
//     "1-800-555-0199"; the area code is [2-9][0-8]x and neither it nor the exchange
//     is of the form N11;
//   - UK national: 0 then 9 or 10 digits grouped 3-4-4, 4-3-4 or 5-6/5-5, the second
//     digit 1, 2, 3, 5, 7, 8 or 9: "020 7946 0958", "07700 900123";
//   - German and Indian landline national: 0, an area code of 2-5 digits (or in
//     brackets), a separator and the subscriber number, 9 to 12 digits in all:
//     "030 12345678", "089/1234567", "(0621) 123456", "011-2345 6789";
//   - French national: 0[1-9] and four pairs with one separator throughout:
//     "01 23 45 67 89", "06.12.34.56.78";
//   - Indian mobile: [6-9] and 4 digits, a separator, 5 digits: "98765 43210".
//
// Every match must stand alone (numberBounded).
type phoneForm struct {
	re                   *regexp.Regexp
	minDigits, maxDigits int
	check                func(s string) bool
}

var phoneForms = []phoneForm{
	{re: regexp.MustCompile(`\+[1-9]\d{0,2}(?:[ .-]?\(0\))?(?:[ .-]?\(?\d{1,5}\)?){1,6}`), minDigits: 8, maxDigits: 15, check: balancedBrackets},
	{re: regexp.MustCompile(`(?:\+?1[ .-]?)?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}`), minDigits: 10, maxDigits: 11, check: nanpValid},
	{re: regexp.MustCompile(`0\d{2} \d{4} \d{4}|0\d{3} \d{3} \d{4}|0\d{4} \d{5,6}`), minDigits: 10, maxDigits: 11, check: ukValid},
	{re: regexp.MustCompile(`\(0\d{2,5}\) ?\d{3,9}|0\d{2,5}[ /-]\d{3,9}(?:[ -]\d{1,5})?`), minDigits: 9, maxDigits: 12, check: balancedBrackets},
	{re: regexp.MustCompile(`0[1-9](?: \d{2}){4}|0[1-9](?:\.\d{2}){4}|0[1-9](?:-\d{2}){4}`), minDigits: 10, maxDigits: 10},
	{re: regexp.MustCompile(`[6-9]\d{4}[ -]\d{5}`), minDigits: 10, maxDigits: 10},
}

// isPhoneByte reports whether c can be part of a written phone number.
func isPhoneByte(c byte) bool {
	return isDigit(c) || c == ' ' || c == '+' || c == '(' || c == ')' || c == '.' || c == '-' || c == '/'
}

func findPhones(text string) []Finding {
	var out []Finding
	cs := clusters(text, isPhoneByte, 8)
	for _, form := range phoneForms {
		for _, m := range findIn(form.re, text, cs) {
			s := text[m[0]:m[1]]
			n := len(digitsOf(s))
			if n < form.minDigits || n > form.maxDigits || !numberBounded(text, m[0], m[1]) {
				continue
			}
			if form.check != nil && !form.check(s) {
				continue
			}
			out = append(out, Finding{Type: Phone, Start: m[0], End: m[1], Redacted: maskDigits(s, 2)})
		}
	}
	return out
}

func balancedBrackets(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
			if depth > 1 {
				return false
			}
		case ')':
			depth--
			if depth < 0 {
				return false
			}
		}
	}
	return depth == 0
}

// nanpValid checks the area code and exchange of a NANP number.
func nanpValid(s string) bool {
	d := digitsOf(s)
	if len(d) == 11 {
		if d[0] != '1' {
			return false
		}
		d = d[1:]
	}
	area, exchange := d[:3], d[3:6]
	n11 := func(x string) bool { return x[1] == '1' && x[2] == '1' }
	return area[0] >= '2' && area[1] != '9' && !n11(area) && exchange[0] >= '2' && !n11(exchange) && balancedBrackets(s)
}

func ukValid(s string) bool {
	return len(s) > 1 && (s[1] >= '1' && s[1] <= '3' || s[1] == '5' || s[1] >= '7')
}
