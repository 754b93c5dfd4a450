package pii

// Payment card numbers are 13 to 19 digits, written without separators or in
// groups separated by single spaces or single hyphens (the same separator
// throughout): 4-4-4-4, 4-4-4-4-3, 4-6-5 (American Express), 4-6-4 (Diners Club)
// or 4-4-4-3. A number is reported when its Luhn checksum is valid and its prefix
// and length belong to a known issuer (cardIssuer).

// digitRun is a maximal run of ASCII digits.
type digitRun struct{ start, end int }

var cardLayouts = [][]int{{4, 4, 4, 4, 3}, {4, 4, 4, 4}, {4, 6, 5}, {4, 6, 4}, {4, 4, 4, 3}}

func findCards(text string) []Finding {
	var runs []digitRun
	for i := 0; i < len(text); {
		if !isDigit(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isDigit(text[j]) {
			j++
		}
		runs = append(runs, digitRun{i, j})
		i = j
	}
	var out []Finding
	for i := 0; i < len(runs); {
		if n, f, ok := cardAt(text, runs, i); ok {
			out = append(out, f)
			i += n
			continue
		}
		i++
	}
	return out
}

// cardAt tries the card layouts on the runs starting at runs[i] and returns how
// many runs the first valid one spans.
func cardAt(text string, runs []digitRun, i int) (int, Finding, bool) {
	if l := runs[i].end - runs[i].start; l >= 13 && l <= 19 {
		if f, ok := cardFinding(text, runs[i].start, runs[i].end); ok {
			return 1, f, true
		}
	}
layouts:
	for _, layout := range cardLayouts {
		if i+len(layout) > len(runs) {
			continue
		}
		var sep byte
		for k, size := range layout {
			r := runs[i+k]
			if r.end-r.start != size {
				continue layouts
			}
			if k == 0 {
				continue
			}
			prev := runs[i+k-1]
			if r.start-prev.end != 1 {
				continue layouts
			}
			c := text[prev.end]
			if c != ' ' && c != '-' || k > 1 && c != sep {
				continue layouts
			}
			sep = c
		}
		if f, ok := cardFinding(text, runs[i].start, runs[i+len(layout)-1].end); ok {
			return len(layout), f, true
		}
	}
	return 0, Finding{}, false
}

func cardFinding(text string, start, end int) (Finding, bool) {
	if !cardBounded(text, start, end) {
		return Finding{}, false
	}
	d := digitsOf(text[start:end])
	if !luhnValid(d) || cardIssuer(d) == "" {
		return Finding{}, false
	}
	return Finding{Type: CreditCard, Start: start, End: end, Redacted: maskDigits(text[start:end], 4)}, true
}

// cardBounded reports whether a card number stands alone: not glued to a word, and
// not the integer part of a decimal number or followed by a decimal part. Unlike
// numberBounded it allows neighbouring numbers, so that a list of card numbers
// separated by spaces is read as several cards.
func cardBounded(text string, start, end int) bool {
	if start > 0 {
		c := text[start-1]
		if isWord(c) || (c == '.' || c == ',') && start > 1 && isDigit(text[start-2]) {
			return false
		}
	}
	if end < len(text) {
		c := text[end]
		if isWord(c) || (c == '.' || c == ',') && end+1 < len(text) && isDigit(text[end+1]) {
			return false
		}
	}
	return true
}

// luhnValid reports whether the digit string d passes the Luhn (mod 10) check:
// doubling every second digit from the right, and subtracting 9 from doubles above
// 9, the digits sum to a multiple of 10.
func luhnValid(d string) bool {
	if len(d) < 2 {
		return false
	}
	sum := 0
	for i := 0; i < len(d); i++ {
		n := int(d[len(d)-1-i] - '0')
		if i%2 == 1 {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
	}
	return sum%10 == 0
}

// cardIssuer returns the card network whose issuer identification number range and
// length the digit string d fits, or "" when none does. Ranges are the networks'
// published IIN ranges: Visa 4 (13, 16, 19 digits); Mastercard 51-55 and 2221-2720
// (16); American Express 34, 37 (15); Discover 6011, 644-649, 65, 622126-622925
// (16-19); UnionPay 62 (16-19); JCB 3528-3589 (16-19); Diners Club 300-305, 36, 38,
// 39 (14-19); Mir 2200-2204 (16-19); RuPay 60, 81, 82 (16); Maestro 50, 56-69
// (13-19); UATP 1 (15).
func cardIssuer(d string) string {
	n := len(d)
	prefix := func(k int) int {
		v := 0
		for i := 0; i < k && i < n; i++ {
			v = v*10 + int(d[i]-'0')
		}
		return v
	}
	p2, p3, p4, p6 := prefix(2), prefix(3), prefix(4), prefix(6)
	in := func(v, lo, hi int) bool { return lo <= v && v <= hi }
	switch {
	case d[0] == '4' && (n == 13 || n == 16 || n == 19):
		return "visa"
	case (in(p2, 51, 55) || in(p4, 2221, 2720)) && n == 16:
		return "mastercard"
	case (p2 == 34 || p2 == 37) && n == 15:
		return "amex"
	case (p4 == 6011 || in(p3, 644, 649) || p2 == 65 || in(p6, 622126, 622925)) && in(n, 16, 19):
		return "discover"
	case p2 == 62 && in(n, 16, 19):
		return "unionpay"
	case in(p4, 3528, 3589) && in(n, 16, 19):
		return "jcb"
	case (in(p3, 300, 305) || p2 == 36 || p2 == 38 || p2 == 39) && in(n, 14, 19):
		return "diners"
	case in(p4, 2200, 2204) && in(n, 16, 19):
		return "mir"
	case (p2 == 60 || p2 == 81 || p2 == 82) && n == 16:
		return "rupay"
	case (p2 == 50 || in(p2, 56, 69)) && in(n, 13, 19):
		return "maestro"
	case d[0] == '1' && n == 15:
		return "uatp"
	}
	return ""
}
