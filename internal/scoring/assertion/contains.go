package assertion

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Contains describes the contains assertion. With params
//
//   - values: the substrings to look for (1 to 1000 non-empty strings),
//   - mode: "any" (default) passes when at least one value occurs in the response,
//     "all" when every value occurs, "none" when no value occurs,
//   - case_sensitive: true (default) compares bytes exactly; false compares the
//     full Unicode case folding of both sides ("STRASSE" contains "straße"),
//
// it passes with value 1, or fails with value 0. Occurrence is plain substring
// containment, so "cat" occurs in "concatenate"; use the regex assertion for word
// boundaries. Details list the values that occurred ("matched") and those that did
// not ("unmatched"), each echoed as configured.
func Contains() scoring.Type {
	return scoring.Type{
		Name:        "contains",
		Description: "Passes when the response contains any, all or none of the given substrings, optionally ignoring case.",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"required": ["values"],
			"properties": {
				"values": {"type": "array", "minItems": 1, "maxItems": 1000,
					"items": {"type": "string", "minLength": 1, "maxLength": 10000}},
				"mode": {"enum": ["any", "all", "none"], "default": "any"},
				"case_sensitive": {"type": "boolean", "default": true}
			}
		}`),
		Better: scoring.HigherIsBetter,
		New:    newContains,
	}
}

// Containment modes.
const (
	modeAny  = "any"
	modeAll  = "all"
	modeNone = "none"
)

type containsScorer struct {
	values        []string
	needles       []string // values, folded when case-insensitive
	mode          string
	caseSensitive bool
}

func newContains(params json.RawMessage) (scoring.Scorer, error) {
	var p struct {
		Values        []string `json:"values"`
		Mode          string   `json:"mode"`
		CaseSensitive *bool    `json:"case_sensitive"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	s := &containsScorer{values: p.Values, mode: p.Mode, caseSensitive: boolOr(p.CaseSensitive, true)}
	if s.mode == "" {
		s.mode = modeAny
	}
	if s.mode != modeAny && s.mode != modeAll && s.mode != modeNone {
		return nil, domain.Invalid("mode", "must be any, all or none; got %q", p.Mode)
	}
	if len(p.Values) == 0 {
		return nil, domain.Invalid("values", "needs at least one string")
	}
	s.needles = make([]string, len(p.Values))
	for i, v := range p.Values {
		if v == "" {
			return nil, domain.Invalid(fmt.Sprintf("values[%d]", i), "must not be empty: every response contains the empty string")
		}
		if !s.caseSensitive {
			v = fold(v)
		}
		s.needles[i] = v
	}
	return s, nil
}

func (s *containsScorer) Score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	hay := it.Response
	if !s.caseSensitive {
		hay = fold(hay)
	}
	matched, unmatched := []string{}, []string{}
	for i, n := range s.needles {
		if strings.Contains(hay, n) {
			matched = append(matched, excerpt(s.values[i]))
		} else {
			unmatched = append(unmatched, excerpt(s.values[i]))
		}
	}
	var ok bool
	switch s.mode {
	case modeAny:
		ok = len(matched) > 0
	case modeAll:
		ok = len(unmatched) == 0
	case modeNone:
		ok = len(matched) == 0
	}
	return verdict(ok, map[string]any{
		"mode":      s.mode,
		"matched":   matched,
		"unmatched": unmatched,
	}), nil
}
