package assertion

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// StartsWith describes the starts_with assertion. With params
//
//   - value: the required prefix (non-empty),
//   - case_sensitive: true (default) compares bytes exactly; false compares the full
//     Unicode case folding of both sides,
//   - trim_leading_space: true (default) ignores Unicode white space at the start of
//     the response, where models often put a stray newline,
//
// it passes with value 1 when the response begins with value, or fails with value 0.
// The value itself is used as given, spaces included. Details echo the start of the
// compared response ("start": as many code points as value has, at most 200).
func StartsWith() scoring.Type {
	return scoring.Type{
		Name:        "starts_with",
		Description: "Passes when the response begins with the given string, optionally ignoring case and leading white space.",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"required": ["value"],
			"properties": {
				"value": {"type": "string", "minLength": 1, "maxLength": 10000},
				"case_sensitive": {"type": "boolean", "default": true},
				"trim_leading_space": {"type": "boolean", "default": true}
			}
		}`),
		Better: scoring.HigherIsBetter,
		New:    newStartsWith,
	}
}

type startsWithScorer struct {
	prefix        string // folded when case-insensitive
	prefixRunes   int    // of prefix, as compared
	shownRunes    int    // of the value as given
	caseSensitive bool
	trimLeading   bool
}

func newStartsWith(params json.RawMessage) (scoring.Scorer, error) {
	var p struct {
		Value            string `json:"value"`
		CaseSensitive    *bool  `json:"case_sensitive"`
		TrimLeadingSpace *bool  `json:"trim_leading_space"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	if p.Value == "" {
		return nil, domain.Invalid("value", "is required and must not be empty: every response starts with the empty string")
	}
	s := &startsWithScorer{
		prefix:        p.Value,
		shownRunes:    min(utf8.RuneCountInString(p.Value), maxShown),
		caseSensitive: boolOr(p.CaseSensitive, true),
		trimLeading:   boolOr(p.TrimLeadingSpace, true),
	}
	if !s.caseSensitive {
		s.prefix = fold(s.prefix)
	}
	s.prefixRunes = utf8.RuneCountInString(s.prefix)
	return s, nil
}

func (s *startsWithScorer) Score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	resp := it.Response
	if s.trimLeading {
		resp = strings.TrimLeftFunc(resp, unicode.IsSpace)
	}
	// Case folding maps each code point to one or more, so the folded prefix is
	// decided by at most as many leading code points as it has itself.
	head := prefixRunes(resp, s.prefixRunes)
	if !s.caseSensitive {
		head = fold(head)
	}
	ok := strings.HasPrefix(head, s.prefix)
	return verdict(ok, map[string]any{"start": excerpt(prefixRunes(resp, s.shownRunes))}), nil
}
