// Package porter implements the Porter suffix-stripping stemmer exactly as NLTK 3.8's
// nltk.stem.porter.PorterStemmer does in its default mode (NLTK_EXTENSIONS), which is
// the stemmer Google's rouge-score constructs for use_stemmer=True.
//
// The algorithm is Porter (1980), "An algorithm for suffix stripping", with the
// departures NLTK makes in that mode:
//
//   - a table of irregular forms is consulted first (skies→sky, dying→die, news→news,
//     innings→inning, proceed→proceed, ...);
//   - words of one or two letters are returned unchanged;
//   - step 1a maps a four-letter word ending in "ies" to "ie" (dies→die);
//   - step 1b maps "ied" to "ie" in a four-letter word and to "i" otherwise;
//   - the *o condition also holds for a two-letter stem vowel+consonant;
//   - step 1c turns a final y into i only after a consonant that is not the first
//     letter (happy→happi, enjoy→enjoy, sky→sky but spy→spi);
//   - step 2 uses bli→ble instead of abli→able, tries alli→al first and, when it
//     applies, runs step 2 again; it adds fulli→ful and logi→log, the latter
//     measuring the stem with its "l" kept.
//
// As in the original algorithm, a rule list is scanned in order and the first rule
// whose suffix matches decides: when its condition fails no later rule is tried.
package porter

// irregular maps the forms NLTK stems by table lookup to their stems. NLTK looks the
// word up as given (before lowercasing), so only lowercase words hit the table.
var irregular = map[string]string{
	"sky":      "sky",
	"skies":    "sky",
	"dying":    "die",
	"lying":    "lie",
	"tying":    "tie",
	"news":     "news",
	"innings":  "inning",
	"inning":   "inning",
	"outings":  "outing",
	"outing":   "outing",
	"cannings": "canning",
	"canning":  "canning",
	"howe":     "howe",
	"proceed":  "proceed",
	"exceed":   "exceed",
	"succeed":  "succeed",
}

// Stem returns the Porter stem of word, identical to NLTK 3.8's
// PorterStemmer().stem(word) for any word made of ASCII letters and digits (uppercase
// letters are lowercased first, as NLTK does). A word containing any other byte is
// returned unchanged: the algorithm is defined for English letters, and rouge-score
// only ever stems tokens of [a-z0-9].
func Stem(word string) string {
	for i := 0; i < len(word); i++ {
		c := word[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return word
		}
	}
	w := asciiLower(word)
	if s, ok := irregular[word]; ok {
		return s
	}
	if len(w) <= 2 {
		return w
	}
	w = step1a(w)
	w = step1b(w)
	w = step1c(w)
	w = step2(w)
	w = step3(w)
	w = step4(w)
	w = step5a(w)
	w = step5b(w)
	return w
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isVowelLetter(c byte) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u'
}

// consonant reports whether w[i] is a consonant in Porter's sense: not a, e, i, o, u,
// and a y only when it is first or follows a vowel. A run of y's alternates, so the
// answer is found by walking back to the start of the run.
func consonant(w string, i int) bool {
	if isVowelLetter(w[i]) {
		return false
	}
	if w[i] != 'y' {
		return true
	}
	j := i
	for j > 0 && w[j-1] == 'y' {
		j--
	}
	// w[j] is the first y of the run: a consonant at the start of the word or after a
	// vowel, a vowel after a consonant.
	first := j == 0 || !consonant(w, j-1)
	if (i-j)%2 == 0 {
		return first
	}
	return !first
}

// measure returns m in Porter's [C](VC)^m[V] form of stem: the number of
// vowel→consonant transitions.
func measure(stem string) int {
	m := 0
	prevVowel := false
	prevCons := false
	for i := 0; i < len(stem); i++ {
		var cons bool
		switch c := stem[i]; {
		case isVowelLetter(c):
			cons = false
		case c == 'y':
			cons = i == 0 || !prevCons
		default:
			cons = true
		}
		if cons && prevVowel {
			m++
		}
		prevVowel = !cons
		prevCons = cons
	}
	return m
}

func containsVowel(stem string) bool {
	for i := 0; i < len(stem); i++ {
		if !consonant(stem, i) {
			return true
		}
	}
	return false
}

// endsDoubleConsonant is Porter's *d.
func endsDoubleConsonant(w string) bool {
	n := len(w)
	return n >= 2 && w[n-1] == w[n-2] && consonant(w, n-1)
}

// endsCVC is Porter's *o (consonant-vowel-consonant, the last not w, x or y), which
// NLTK also grants to a two-letter vowel-consonant stem.
func endsCVC(w string) bool {
	n := len(w)
	if n >= 3 && consonant(w, n-3) && !consonant(w, n-2) && consonant(w, n-1) {
		last := w[n-1]
		if last != 'w' && last != 'x' && last != 'y' {
			return true
		}
	}
	return n == 2 && !consonant(w, 0) && consonant(w, 1)
}

func hasSuffix(w, suffix string) bool {
	return len(w) >= len(suffix) && w[len(w)-len(suffix):] == suffix
}

// rule replaces suffix by repl when cond holds on the stem left by removing suffix;
// a nil cond always holds.
type rule struct {
	suffix, repl string
	cond         func(stem string) bool
}

// applyRules applies the first rule whose suffix ends w, if its condition holds; a
// matching rule whose condition fails ends the scan with w unchanged.
func applyRules(w string, rules []rule) string {
	for _, r := range rules {
		if hasSuffix(w, r.suffix) {
			stem := w[:len(w)-len(r.suffix)]
			if r.cond == nil || r.cond(stem) {
				return stem + r.repl
			}
			return w
		}
	}
	return w
}

func positiveMeasure(stem string) bool { return measure(stem) > 0 }

func measureAboveOne(stem string) bool { return measure(stem) > 1 }

var step1aRules = []rule{
	{"sses", "ss", nil},
	{"ies", "i", nil},
	{"ss", "ss", nil},
	{"s", "", nil},
}

func step1a(w string) string {
	if len(w) == 4 && hasSuffix(w, "ies") {
		return w[:1] + "ie"
	}
	return applyRules(w, step1aRules)
}

func step1b(w string) string {
	if hasSuffix(w, "ied") {
		if len(w) == 4 {
			return w[:1] + "ie"
		}
		return w[:len(w)-3] + "i"
	}
	if hasSuffix(w, "eed") {
		stem := w[:len(w)-3]
		if measure(stem) > 0 {
			return stem + "ee"
		}
		return w
	}
	var stem string
	switch {
	case hasSuffix(w, "ed") && containsVowel(w[:len(w)-2]):
		stem = w[:len(w)-2]
	case hasSuffix(w, "ing") && containsVowel(w[:len(w)-3]):
		stem = w[:len(w)-3]
	default:
		return w
	}
	// Tidying after -ed or -ing was removed.
	switch {
	case hasSuffix(stem, "at"), hasSuffix(stem, "bl"), hasSuffix(stem, "iz"):
		return stem + "e"
	case endsDoubleConsonant(stem):
		last := stem[len(stem)-1]
		if last != 'l' && last != 's' && last != 'z' {
			return stem[:len(stem)-1]
		}
		return stem
	case measure(stem) == 1 && endsCVC(stem):
		return stem + "e"
	}
	return stem
}

func step1c(w string) string {
	if !hasSuffix(w, "y") {
		return w
	}
	stem := w[:len(w)-1]
	if len(stem) > 1 && consonant(stem, len(stem)-1) {
		return stem + "i"
	}
	return w
}

var step2Rules = []rule{
	{"ational", "ate", positiveMeasure},
	{"tional", "tion", positiveMeasure},
	{"enci", "ence", positiveMeasure},
	{"anci", "ance", positiveMeasure},
	{"izer", "ize", positiveMeasure},
	{"bli", "ble", positiveMeasure},
	{"alli", "al", positiveMeasure},
	{"entli", "ent", positiveMeasure},
	{"eli", "e", positiveMeasure},
	{"ousli", "ous", positiveMeasure},
	{"ization", "ize", positiveMeasure},
	{"ation", "ate", positiveMeasure},
	{"ator", "ate", positiveMeasure},
	{"alism", "al", positiveMeasure},
	{"iveness", "ive", positiveMeasure},
	{"fulness", "ful", positiveMeasure},
	{"ousness", "ous", positiveMeasure},
	{"aliti", "al", positiveMeasure},
	{"iviti", "ive", positiveMeasure},
	{"biliti", "ble", positiveMeasure},
	{"fulli", "ful", positiveMeasure},
	// NLTK keeps the "l" of -logi with the stem when measuring it, so that short
	// stems such as geo- and theo- qualify.
	{"logi", "log", func(stem string) bool { return positiveMeasure(stem + "l") }},
}

func step2(w string) string {
	if hasSuffix(w, "alli") && positiveMeasure(w[:len(w)-4]) {
		return step2(w[:len(w)-4] + "al")
	}
	return applyRules(w, step2Rules)
}

var step3Rules = []rule{
	{"icate", "ic", positiveMeasure},
	{"ative", "", positiveMeasure},
	{"alize", "al", positiveMeasure},
	{"iciti", "ic", positiveMeasure},
	{"ical", "ic", positiveMeasure},
	{"ful", "", positiveMeasure},
	{"ness", "", positiveMeasure},
}

func step3(w string) string { return applyRules(w, step3Rules) }

var step4Rules = []rule{
	{"al", "", measureAboveOne},
	{"ance", "", measureAboveOne},
	{"ence", "", measureAboveOne},
	{"er", "", measureAboveOne},
	{"ic", "", measureAboveOne},
	{"able", "", measureAboveOne},
	{"ible", "", measureAboveOne},
	{"ant", "", measureAboveOne},
	{"ement", "", measureAboveOne},
	{"ment", "", measureAboveOne},
	{"ent", "", measureAboveOne},
	{"ion", "", func(stem string) bool {
		return measure(stem) > 1 && (hasSuffix(stem, "s") || hasSuffix(stem, "t"))
	}},
	{"ou", "", measureAboveOne},
	{"ism", "", measureAboveOne},
	{"ate", "", measureAboveOne},
	{"iti", "", measureAboveOne},
	{"ous", "", measureAboveOne},
	{"ive", "", measureAboveOne},
	{"ize", "", measureAboveOne},
}

func step4(w string) string { return applyRules(w, step4Rules) }

// step5a removes a final e when m > 1, or when m = 1 and the stem does not end cvc.
// Unlike the other steps both conditions are tried on the same suffix.
func step5a(w string) string {
	if !hasSuffix(w, "e") {
		return w
	}
	stem := w[:len(w)-1]
	m := measure(stem)
	if m > 1 || m == 1 && !endsCVC(stem) {
		return stem
	}
	return w
}

// step5b turns a final ll into l when the word without its last letter has m > 1.
func step5b(w string) string {
	if hasSuffix(w, "ll") && measure(w[:len(w)-1]) > 1 {
		return w[:len(w)-1]
	}
	return w
}
