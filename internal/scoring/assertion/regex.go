package assertion

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Regex describes the regex assertion. With params
//
//   - pattern: an RE2 regular expression (Go's regexp syntax; no backreferences or
//     lookaround, and matching time is linear in the response length), compiled when
//     the configuration is made, so a bad pattern is a validation error on
//     params.pattern carrying the compiler's message,
//   - flags: any of "i" (ignore case), "s" (. matches newline) and "m" (^ and $ match
//     at line breaks), applied as the RE2 group (?flags) in front of the pattern,
//   - must_match: true (default) passes when the pattern matches somewhere in the
//     response; false passes when it matches nowhere,
//
// it passes with value 1, or fails with value 0. The pattern is searched for, not
// anchored: write ^...$ to match the whole response. Details say whether it matched
// and, when it did, the leftmost match ("match": start and end as code point offsets
// into the response, end exclusive, and the matched text).
func Regex() scoring.Type {
	return scoring.Type{
		Name:        "regex",
		Description: "Passes when an RE2 regular expression matches the response (or, with must_match false, when it does not).",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"required": ["pattern"],
			"properties": {
				"pattern": {"type": "string", "minLength": 1, "maxLength": 10000},
				"flags": {"type": "string", "pattern": "^[ims]*$", "maxLength": 3},
				"must_match": {"type": "boolean", "default": true}
			}
		}`),
		Better: scoring.HigherIsBetter,
		New:    newRegex,
	}
}

type regexScorer struct {
	re        *regexp.Regexp
	mustMatch bool
}

func newRegex(params json.RawMessage) (scoring.Scorer, error) {
	var p struct {
		Pattern   string `json:"pattern"`
		Flags     string `json:"flags"`
		MustMatch *bool  `json:"must_match"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	if p.Pattern == "" {
		return nil, domain.Invalid("pattern", "is required and must not be empty")
	}
	if strings.Trim(p.Flags, "ims") != "" {
		return nil, domain.Invalid("flags", "may hold only i, s and m; got %q", p.Flags)
	}
	// Compile the bare pattern first so the compiler's message quotes what the user wrote.
	re, err := regexp.Compile(p.Pattern)
	if err != nil {
		return nil, domain.Invalid("pattern", "is not a valid RE2 regular expression: %v", err)
	}
	if p.Flags != "" {
		if re, err = regexp.Compile("(?" + p.Flags + ")" + p.Pattern); err != nil {
			return nil, domain.Invalid("pattern", "is not a valid RE2 regular expression with flags %q: %v", p.Flags, err)
		}
	}
	return &regexScorer{re: re, mustMatch: boolOr(p.MustMatch, true)}, nil
}

func (s *regexScorer) Score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	loc := s.re.FindStringIndex(it.Response)
	details := map[string]any{"matched": loc != nil, "must_match": s.mustMatch}
	if loc != nil {
		start := runeOffset(it.Response, loc[0])
		details["match"] = map[string]any{
			"start": start,
			"end":   start + runeOffset(it.Response[loc[0]:], loc[1]-loc[0]),
			"text":  excerpt(it.Response[loc[0]:loc[1]]),
		}
	}
	return verdict((loc != nil) == s.mustMatch, details), nil
}
