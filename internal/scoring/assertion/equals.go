package assertion

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// errNoReference is returned for items without a reference when use_reference is set.
var errNoReference = errors.New("params.use_reference is true but the item has no reference answer")

// Equals describes the equals assertion. It compares the response with an expected
// text, given either as
//
//   - value: a fixed string (may be empty, to require an empty response), or
//   - use_reference: true, to compare with each item's reference answer,
//
// exactly one of the two. Before comparing, trim (default true) strips leading and
// trailing Unicode white space from both sides, and case_sensitive false (default
// true) applies full Unicode case folding to both. Equal texts pass with value 1,
// others fail with value 0. Details echo the expected text and, when the texts
// differ, "first_difference": the code point offset of the first difference in the
// compared (trimmed, folded) texts.
//
// Whether a reference is needed depends on params, so Type.NeedsReference is false
// and the configured scorer answers through scoring.ReferenceNeeder: with
// use_reference set, ingest refuses items without a reference, and elsewhere such an
// item gets an error for this scorer, not a failed assertion, since nothing was
// compared.
func Equals() scoring.Type {
	return scoring.Type{
		Name:        "equals",
		Description: "Passes when the response equals a given string or the item's reference answer, optionally ignoring case and surrounding white space.",
		ParamsSchema: json.RawMessage(`{
			"type": "object",
			"additionalProperties": false,
			"properties": {
				"value": {"type": "string", "maxLength": 1000000},
				"use_reference": {"type": "boolean", "default": false},
				"case_sensitive": {"type": "boolean", "default": true},
				"trim": {"type": "boolean", "default": true}
			}
		}`),
		Better: scoring.HigherIsBetter,
		New:    newEquals,
	}
}

// NeedsReference reports whether this configuration compares with the reference, so
// ingest can refuse items without one up front.
func (s *equalsScorer) NeedsReference() bool { return s.useReference }

type equalsScorer struct {
	value         string // normalized
	shown         string
	useReference  bool
	caseSensitive bool
	trim          bool
}

func newEquals(params json.RawMessage) (scoring.Scorer, error) {
	var p struct {
		Value         *string `json:"value"`
		UseReference  bool    `json:"use_reference"`
		CaseSensitive *bool   `json:"case_sensitive"`
		Trim          *bool   `json:"trim"`
	}
	if err := scoring.DecodeParams(params, &p); err != nil {
		return nil, err
	}
	switch {
	case p.Value == nil && !p.UseReference:
		return nil, domain.Invalid("value", "is required unless use_reference is true")
	case p.Value != nil && p.UseReference:
		return nil, domain.Invalid("use_reference", "cannot be combined with value; give one of them")
	}
	s := &equalsScorer{useReference: p.UseReference, caseSensitive: boolOr(p.CaseSensitive, true), trim: boolOr(p.Trim, true)}
	if p.Value != nil {
		s.shown = excerpt(*p.Value)
		s.value = s.normalize(*p.Value)
	}
	return s, nil
}

func (s *equalsScorer) normalize(t string) string {
	if s.trim {
		t = strings.TrimSpace(t)
	}
	if !s.caseSensitive {
		t = fold(t)
	}
	return t
}

func (s *equalsScorer) Score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	want, shown, source := s.value, s.shown, "value"
	if s.useReference {
		if !it.HasReference {
			return scoring.Result{}, errNoReference
		}
		want, shown, source = s.normalize(it.Reference), excerpt(it.Reference), "reference"
	}
	got := s.normalize(it.Response)
	details := map[string]any{"expected": shown, "source": source}
	ok := got == want
	if !ok {
		details["first_difference"] = firstDifference(got, want)
	}
	return verdict(ok, details), nil
}

// firstDifference returns the code point offset at which a and b first differ; when
// one is a prefix of the other, that is the shorter one's length.
func firstDifference(a, b string) int {
	n := 0
	for a != "" && b != "" {
		ra, sa := utf8.DecodeRuneInString(a)
		rb, sb := utf8.DecodeRuneInString(b)
		if ra != rb || a[:sa] != b[:sb] {
			return n
		}
		a, b = a[sa:], b[sb:]
		n++
	}
	return n
}
