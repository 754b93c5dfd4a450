// Package language holds the language scorer: which natural language a
// response is written in, detected by github.com/abadojack/whatlanggo (MIT), a
// trigram detector for 84 languages that needs about 10 MB of memory and about
// a millisecond for a 2 KB response.
//
// github.com/pemistahl/lingua-go v1.4.0 was measured too, on a 2 KB English
// text: it embeds 124 MB of models in the binary; with all languages it took
// 1.9 GB of resident memory and 12 s to load them, in its low-accuracy mode
// 140 MB and 0.7 s, and it needed about 6.5 ms per text in both modes. That is
// too much for a service that scores every response on ingest.
package language

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/abadojack/whatlanggo"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Undetermined is the code reported when no language is detected (BCP 47 "und").
const Undetermined = "und"

// maxDetectBytes bounds the text given to the detector: the start of a long
// response decides its language, and detection time grows with the text.
const maxDetectBytes = 32 << 10

// maxCodeShare is the share of code characters above which a text counts as
// code, not prose: 8% sits between prose (at most about 4%, parentheses and
// semicolons) and source code (9% for Python class definitions, 26% for Go).
const maxCodeShare = 0.08

// Reasons reported in details when the language is "und".
const (
	reasonTooShort      = "too_short"      // fewer letters than min_letters
	reasonCode          = "code"           // mostly code characters
	reasonNoLanguage    = "no_language"    // no script or language the detector knows
	reasonAmbiguous     = "ambiguous"      // the detector's confidence is 0
	reasonLowConfidence = "low_confidence" // confidence below min_confidence
)

// Language describes the language scorer.
//
// The response is prepared first: with ignore_code (the default), fenced code
// blocks (from a line of three or more backticks or tildes to a line with as
// many of the same, or to the end), inline code spans (backtick runs of equal
// length) and http(s):// and www. addresses are removed; then the first 32 KiB
// are kept. The language is Undetermined ("und") with confidence 0 when the
// prepared text has fewer than min_letters letters (default 20: "OK", "Thanks!"),
// when with ignore_code more than 8% of its non-space characters are among
// { } [ ] ( ) < > = ; \ _ & ^ ~ ` (source code, formulas), when whatlanggo finds
// no language, when its confidence is 0 (its two best languages tie, and the
// order between them would be arbitrary, or a single language matched too few
// trigrams: whatlanggo then rounds score/500 down), or when its confidence is below
// min_confidence (default 0). Otherwise it is whatlanggo's language, corrected
// to Japanese when whatlanggo says Mandarin of a text that contains kana (its
// own rule, which its script count can miss), with whatlanggo's confidence.
//
// whatlanggo's confidence is not a probability: for scripts that one language
// uses alone (Han, Hangul, kana, Greek, Thai, ...) it is 1; otherwise it grows
// with the margin between the best and second-best language, so close
// relatives (Russian and Ukrainian, Spanish and Portuguese) score low even when
// right.
//
// Codes are BCP 47 primary subtags: ISO 639-1 where it has a code for the
// language, else ISO 639-3 (see code).
//
// Without expected or allow, Value is the confidence (0 for "und"). With them,
// the accepted languages are expected plus allow; Value is 1 and Passed true
// when the detected language is accepted, else 0 and false ("und" is never
// accepted).
//
// Details: language, confidence, name (whatlanggo's English name), iso639_3,
// script, letters (in the prepared text), truncated (text cut to 32 KiB); for
// "und", reason (too_short, code, no_language, ambiguous or low_confidence)
// and, when the detector had a guess, guess and guess_confidence; with
// expected or allow, accepted (sorted) and match.
func Language() scoring.Type {
	return scoring.Type{
		Name:         "language",
		Description:  "Detects the response's natural language (whatlanggo, 84 languages) as a BCP 47 code with a confidence, or checks it against expected languages.",
		ParamsSchema: json.RawMessage(paramsSchema),
		Better:       scoring.HigherIsBetter,
		New:          newScorer,
	}
}

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "properties": {
    "expected": {
      "description": "The language the response should be in: an ISO 639-1 code (ISO 639-3 for languages without one).",
      "type": "string", "pattern": "^[a-z]{2,3}$"
    },
    "allow": {
      "description": "More accepted languages, as codes like expected.",
      "type": "array", "maxItems": 100,
      "items": {"type": "string", "pattern": "^[a-z]{2,3}$"}
    },
    "min_confidence": {
      "description": "Report und when the detector's confidence is below this.",
      "type": "number", "minimum": 0, "maximum": 1, "default": 0
    },
    "min_letters": {
      "description": "Report und when the text has fewer letters than this.",
      "type": "integer", "minimum": 1, "maximum": 10000, "default": 20
    },
    "ignore_code": {
      "description": "Remove code blocks, inline code and URLs first, and report und for text that is mostly code.",
      "type": "boolean", "default": true
    }
  }
}`

type params struct {
	Expected      *string  `json:"expected"`
	Allow         []string `json:"allow"`
	MinConfidence *float64 `json:"min_confidence"`
	MinLetters    *int     `json:"min_letters"`
	IgnoreCode    *bool    `json:"ignore_code"`
}

type scorer struct {
	accepted      []string // sorted; empty when nothing is expected
	minConfidence float64
	minLetters    int
	ignoreCode    bool
}

func newScorer(raw json.RawMessage) (scoring.Scorer, error) {
	var p params
	if err := scoring.DecodeParams(raw, &p); err != nil {
		return nil, err
	}
	s := &scorer{minLetters: 20, ignoreCode: true}
	if p.MinConfidence != nil {
		s.minConfidence = *p.MinConfidence
	}
	if p.MinLetters != nil {
		s.minLetters = *p.MinLetters
	}
	if p.IgnoreCode != nil {
		s.ignoreCode = *p.IgnoreCode
	}
	supported := map[string]bool{}
	for _, l := range languages() {
		supported[code(l)] = true
	}
	check := func(field, c string) error {
		if !supported[c] {
			return domain.Invalid(field, "unsupported language %q; supported: %s", c, strings.Join(sortedKeys(supported), ", "))
		}
		return nil
	}
	if p.Expected != nil {
		if err := check("expected", *p.Expected); err != nil {
			return nil, err
		}
		s.accepted = append(s.accepted, *p.Expected)
	}
	for i, c := range p.Allow {
		if err := check(fmt.Sprintf("allow[%d]", i), c); err != nil {
			return nil, err
		}
		s.accepted = append(s.accepted, c)
	}
	slices.Sort(s.accepted)
	s.accepted = slices.Compact(s.accepted)
	return s, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// detection is the outcome of detecting one text's language.
type detection struct {
	Language   string  // code, or Undetermined
	Confidence float64 // 0 for Undetermined
	Reason     string  // why Undetermined; empty otherwise
	// Guess is the detector's language when it had one but it was not reported
	// (ambiguous or low confidence), with its confidence.
	Guess           string
	GuessConfidence float64
	Name, ISO6393   string // whatlanggo's English name and ISO 639-3 code, empty for Undetermined
	Script          string
	Letters         int
	Truncated       bool
}

// detect applies the rules of Language to text.
func (s *scorer) detect(text string) detection {
	var d detection
	if s.ignoreCode {
		text = stripCode(text)
	}
	if len(text) > maxDetectBytes {
		cut := maxDetectBytes
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text, d.Truncated = text[:cut], true
	}
	letters, share := counts(text)
	d.Letters = letters
	d.Language = Undetermined
	switch {
	case letters < s.minLetters:
		d.Reason = reasonTooShort
		return d
	case s.ignoreCode && share > maxCodeShare:
		d.Reason = reasonCode
		return d
	}
	info := whatlanggo.Detect(text)
	if info.Script != nil {
		d.Script = scriptName(info)
	}
	lang := info.Lang
	if lang == whatlanggo.Cmn && hasKana(text) {
		lang = whatlanggo.Jpn
	}
	c := code(lang)
	switch {
	case c == "":
		d.Reason = reasonNoLanguage
		return d
	case info.Confidence <= 0:
		d.Reason, d.Guess = reasonAmbiguous, c
		return d
	case info.Confidence < s.minConfidence:
		d.Reason, d.Guess, d.GuessConfidence = reasonLowConfidence, c, info.Confidence
		return d
	}
	d.Language, d.Confidence = c, info.Confidence
	d.Name, d.ISO6393 = lang.String(), lang.Iso6393()
	return d
}

func scriptName(info whatlanggo.Info) string {
	if name, ok := whatlanggo.Scripts[info.Script]; ok {
		return name
	}
	if info.Lang == whatlanggo.Jpn {
		// whatlanggo's combined table for Japanese has no name of its own.
		return "Hiragana/Katakana"
	}
	return ""
}

func hasKana(text string) bool {
	for _, r := range text {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana) {
			return true
		}
	}
	return false
}

// Score applies the scorer to the item's response.
func (s *scorer) Score(ctx context.Context, it scoring.Item) (scoring.Result, error) {
	if err := ctx.Err(); err != nil {
		return scoring.Result{}, err
	}
	d := s.detect(it.Response)
	details := map[string]any{
		"language":   d.Language,
		"confidence": d.Confidence,
		"name":       d.Name,
		"iso639_3":   d.ISO6393,
		"script":     d.Script,
		"letters":    d.Letters,
		"truncated":  d.Truncated,
	}
	if d.Reason != "" {
		details["reason"] = d.Reason
	}
	if d.Guess != "" {
		details["guess"] = d.Guess
		details["guess_confidence"] = d.GuessConfidence
	}
	res := scoring.Result{Value: d.Confidence, Details: details}
	if len(s.accepted) > 0 {
		match := slices.Contains(s.accepted, d.Language)
		details["accepted"] = slices.Clone(s.accepted)
		details["match"] = match
		res.Passed = &match
		res.Value = 0
		if match {
			res.Value = 1
		}
	}
	return res, nil
}
