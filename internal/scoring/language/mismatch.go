package language

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"unicode"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/textnorm"
)

// Reasons reported in language_mismatch details.
const (
	mismatchLanguage = "language"     // both languages detected, and they differ
	mismatchScript   = "script"       // the response is mostly in another script
	matchSame        = "same"         // the same language, or the same script for short texts
	matchAsked       = "asked"        // the prompt asks for the response's language
	matchUnknown     = "undetermined" // too little text to tell
)

// minScriptLetters is the fewest letters a response needs for its script to count:
// "OK" or a name in another script says nothing about the language it is in.
const minScriptLetters = 4

const mismatchSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "min_letters": {
      "description": "Letters a text needs for its language to be detected (default 20); shorter texts are compared by script only.",
      "type": "integer", "minimum": 1, "maximum": 10000
    },
    "min_confidence": {
      "description": "Confidence both detections need for a difference of language to count (default 0.9).",
      "type": "number", "minimum": 0, "maximum": 1
    },
    "language_letters": {
      "description": "Letters both texts need for a difference of language, rather than of script, to count (default 100).",
      "type": "integer", "minimum": 1, "maximum": 100000
    }
  }
}`

// LanguageMismatch describes the language_mismatch scorer: whether the response is
// in another language than the prompt, as the language scorer detects both (code,
// inline code and URLs removed first).
//
// The prompt's language is detected on the prompt, or, when the prompt is too short
// (fewer than min_letters letters, default 20), on the person's turns of the
// conversation together with it. A trigram detector is unreliable on a sentence or
// two (whatlanggo calls some short English questions Norwegian or Haitian Creole
// with high confidence), so a language counts only when its text has at least
// language_letters letters (default 100) and a confidence of at least
// min_confidence (default 0.9); a prompt too short for that whose words are at
// least a quarter English function words (and three or more) is taken as English.
// When the prompt's language and the response's are both known and differ, it is
// a mismatch (reason "language") — unless 30% or more of the response's words are
// capitalised: a list of names or titles, whose language the detector guesses. Otherwise the texts' scripts are compared: a
// response whose letters are mostly (more than half, and at least 4) in a script
// other than the prompt's main script, or most of whose lines (two or more) are, is
// a mismatch (reason "script": an English question answered in Chinese
// characters). Otherwise it is no mismatch: reason "same", or "undetermined" when
// neither test could tell.
//
// A response in a language the prompt asks for is never a mismatch (reason
// "asked"): when the prompt speaks of translating, or names the response's
// language after "in", "into" or "to" ("answer in French", "translate to
// German").
//
// Value is 1 for a mismatch and 0 otherwise (lower is better). Details: "mismatch"
// (bool), "reason", "prompt_language" and "response_language" (codes, "und" when
// not detected), "prompt_script" and "response_script" (the main script of each's
// letters: Latin, Han, Cyrillic, ...).
func LanguageMismatch() scoring.Type {
	return scoring.Type{
		Name:         "language_mismatch",
		Description:  "Detects a response written in another language than its prompt (whatlanggo on both, scripts for short texts); value 1 for a mismatch.",
		ParamsSchema: json.RawMessage(mismatchSchema),
		Better:       scoring.LowerIsBetter,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p struct {
				MinLetters      *int     `json:"min_letters"`
				MinConfidence   *float64 `json:"min_confidence"`
				LanguageLetters *int     `json:"language_letters"`
			}
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			m := &mismatch{detector: scorer{minLetters: 20, ignoreCode: true}, minConfidence: 0.9, languageLetters: 100}
			if p.MinLetters != nil {
				m.detector.minLetters = *p.MinLetters
			}
			if p.MinConfidence != nil {
				m.minConfidence = *p.MinConfidence
			}
			if p.LanguageLetters != nil {
				m.languageLetters = *p.LanguageLetters
			}
			return m, nil
		},
	}
}

type mismatch struct {
	detector        scorer
	minConfidence   float64
	languageLetters int
}

// otherScriptLines reports whether most lines of text with letters, and at least
// two, are mainly in a script other than script: a list whose items switch to
// Chinese halfway, where Han's few letters per word hide it in a letter count.
func otherScriptLines(text, script string) bool {
	lines, other := 0, 0
	for line := range strings.Lines(text) {
		counts, letters := scripts(line)
		if letters == 0 {
			continue
		}
		lines++
		if s := mainScript(counts); s != script && s != "Other" {
			other++
		}
	}
	return other >= 2 && 2*other > lines
}

// Score compares the item's response with its prompt.
func (m *mismatch) Score(ctx context.Context, it scoring.Item) (scoring.Result, error) {
	if err := ctx.Err(); err != nil {
		return scoring.Result{}, err
	}
	prompt := it.Prompt
	if _, letters := scripts(stripCode(prompt)); letters < m.detector.minLetters {
		var b strings.Builder
		for _, msg := range it.Context {
			if msg.Role == "user" {
				b.WriteString(msg.Content)
				b.WriteString("\n")
			}
		}
		b.WriteString(prompt)
		prompt = b.String()
	}
	pd, rd := m.detector.detect(prompt), m.detector.detect(it.Response)
	promptLang, promptSure := pd.Language, pd.Confidence >= m.minConfidence && pd.Letters >= m.languageLetters
	if !promptSure && looksEnglish(prompt) {
		// Too short for the trigram detector, which calls a short English question
		// Norwegian or Haitian now and then; English function words settle it.
		promptLang, promptSure = "en", true
	}
	pScript, _ := scripts(stripCode(prompt))
	rScripts, rLetters := scripts(stripCode(it.Response))
	rScript := mainScript(rScripts)
	mainP := mainScript(pScript)

	reason := matchUnknown
	switch {
	case promptSure && promptLang != Undetermined && rd.Language != Undetermined && rd.Confidence >= m.minConfidence &&
		rd.Letters >= m.languageLetters && !mostlyNames(it.Response):
		reason = matchSame
		if promptLang != rd.Language {
			reason = mismatchLanguage
		}
	case mainP != "" && rLetters >= minScriptLetters:
		reason = matchSame
		if rScript != mainP && 2*rScripts[rScript] > rLetters || otherScriptLines(stripCode(it.Response), mainP) {
			reason = mismatchScript
		}
	}
	if (reason == mismatchLanguage || reason == mismatchScript) && asks(it.Prompt, rd, rScript) {
		reason = matchAsked
	}
	flag := reason == mismatchLanguage || reason == mismatchScript
	value := 0.0
	if flag {
		value = 1
	}
	return scoring.Result{Value: value, Details: map[string]any{
		"mismatch":          flag,
		"reason":            reason,
		"prompt_language":   promptLang,
		"response_language": rd.Language,
		"prompt_script":     mainP,
		"response_script":   rScript,
	}}, nil
}

// translation marks a prompt that asks for a translation.
var translation = regexp.MustCompile(`\btranslat`)

// asks reports whether prompt asks for the language (or script) the response is in.
func asks(prompt string, rd detection, script string) bool {
	low := textnorm.New(prompt).Lower
	if translation.MatchString(low) {
		return true
	}
	var names []string
	if rd.Name != "" {
		names = append(names, strings.ToLower(rd.Name))
	}
	names = append(names, scriptLanguages[script]...)
	if rd.Language == "zh" || rd.Language == "cmn" {
		names = append(names, "chinese")
	}
	for _, name := range names {
		for _, lead := range []string{"in ", "into ", "to ", "using "} {
			if strings.Contains(low, lead+name) {
				return true
			}
		}
	}
	return false
}

// scriptLanguages are names a prompt may use for the language of text in a script.
var scriptLanguages = map[string][]string{
	"Han":        {"chinese", "mandarin", "cantonese", "japanese"},
	"Hiragana":   {"japanese"},
	"Katakana":   {"japanese"},
	"Hangul":     {"korean"},
	"Cyrillic":   {"russian", "ukrainian", "bulgarian", "serbian"},
	"Arabic":     {"arabic", "persian", "farsi", "urdu"},
	"Greek":      {"greek"},
	"Hebrew":     {"hebrew", "yiddish"},
	"Devanagari": {"hindi", "marathi", "nepali", "sanskrit"},
	"Thai":       {"thai"},
}

// scriptTables are the scripts told apart, in the order ties are broken.
var scriptTables = []struct {
	name  string
	table *unicode.RangeTable
}{
	{"Latin", unicode.Latin}, {"Han", unicode.Han}, {"Hiragana", unicode.Hiragana}, {"Katakana", unicode.Katakana},
	{"Hangul", unicode.Hangul}, {"Cyrillic", unicode.Cyrillic}, {"Arabic", unicode.Arabic}, {"Greek", unicode.Greek},
	{"Hebrew", unicode.Hebrew}, {"Devanagari", unicode.Devanagari}, {"Thai", unicode.Thai},
}

// scripts counts the letters of text by script ("Other" for scripts not listed).
func scripts(text string) (map[string]int, int) {
	out := map[string]int{}
	letters := 0
	for _, r := range text {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		name := "Other"
		if r < 0x80 {
			name = "Latin"
		} else {
			for _, s := range scriptTables {
				if unicode.Is(s.table, r) {
					name = s.name
					break
				}
			}
		}
		out[name]++
	}
	return out, letters
}

// mainScript returns the script with the most letters, "" when there are none.
func mainScript(counts map[string]int) string {
	best, n := "", 0
	for _, s := range scriptTables {
		if counts[s.name] > n {
			best, n = s.name, counts[s.name]
		}
	}
	if counts["Other"] > n {
		best = "Other"
	}
	return best
}

// englishWords are frequent English function words.
var englishWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`the a an and or of to in on for with is are was were be it this that what how why
		who when where which do does did can could would should will i you my your me we our they he she his her not
		have has had there about from by as at if so`) {
		m[w] = true
	}
	return m
}()

// looksEnglish reports whether at least a quarter of text's words, and at least
// three of them, are English function words.
func looksEnglish(text string) bool {
	words, hits := 0, 0
	for _, w := range strings.FieldsFunc(textnorm.New(text).Lower, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' }) {
		words++
		if englishWords[w] {
			hits++
		}
	}
	return hits >= 3 && 4*hits >= words
}

// mostlyNames reports whether at least 30% of text's Latin words are capitalised:
// a list of names, products or titles, whose language a trigram detector guesses.
func mostlyNames(text string) bool {
	words, capital := 0, 0
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) }) {
		r := []rune(w)[0]
		if r >= 0x250 {
			continue // not Latin: case says nothing
		}
		words++
		if unicode.IsUpper(r) {
			capital++
		}
	}
	return words > 0 && 10*capital >= 3*words
}
