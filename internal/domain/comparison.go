package domain

import (
	"math"
	"time"
)

// AnnotatorKind says who made a judgement.
type AnnotatorKind string

// Annotator kinds.
const (
	AnnotatorHuman     AnnotatorKind = "human"
	AnnotatorModel     AnnotatorKind = "model"
	AnnotatorHeuristic AnnotatorKind = "heuristic"
)

// Valid reports whether k is a known kind.
func (k AnnotatorKind) Valid() bool {
	switch k {
	case AnnotatorHuman, AnnotatorModel, AnnotatorHeuristic:
		return true
	}
	return false
}

// Comparison is one pairwise judgement between two responses to the same prompt.
// Preference is the probability that B is better: 1 means B wins, 0 means A wins,
// 0.5 is a tie, and values between are a judge's soft preference.
type Comparison struct {
	ID            ID
	EvaluationID  ID
	ExternalID    string
	ResponseA     ID
	ResponseB     ID
	ModelA        string
	ModelB        string
	PromptID      string
	Preference    float64
	Annotator     string
	AnnotatorKind AnnotatorKind
	Rationale     string
	Metadata      map[string]any
	CreatedAt     time.Time
}

// Limits on comparison fields.
const (
	MaxAnnotatorLen = 200
	MaxRationaleLen = 100_000
)

// Winner names the preferred side of a comparison, or a tie.
type Winner string

// Winners.
const (
	WinnerA   Winner = "a"
	WinnerB   Winner = "b"
	WinnerTie Winner = "tie"
)

// Preference returns the preference a winner stands for.
func (w Winner) Preference() (float64, bool) {
	switch w {
	case WinnerA:
		return 0, true
	case WinnerB:
		return 1, true
	case WinnerTie:
		return 0.5, true
	}
	return 0, false
}

// Winner returns the side a preference favours: b above 0.5, a below, tie at 0.5.
func (c Comparison) Winner() Winner {
	switch {
	case c.Preference > 0.5:
		return WinnerB
	case c.Preference < 0.5:
		return WinnerA
	}
	return WinnerTie
}

// NewComparison checks a comparison's invariants: the two responses differ, belong
// to the same evaluation and answer the same prompt; the preference lies in [0,1];
// the annotator kind is known.
func NewComparison(c Comparison, a, b Response) (Comparison, error) {
	if math.IsNaN(c.Preference) || c.Preference < 0 || c.Preference > 1 {
		return Comparison{}, Invalid("preference", "must be between 0 and 1 (the probability that B is better); got %v", c.Preference)
	}
	if a.ID == b.ID {
		return Comparison{}, Invalid("response_b", "compares response %s with itself", a.ID)
	}
	if a.EvaluationID != b.EvaluationID || a.EvaluationID != c.EvaluationID {
		return Comparison{}, Invalid("response_b", "responses belong to different evaluations")
	}
	if a.PromptID != b.PromptID {
		return Comparison{}, Invalid("response_b", "answers prompt %q but response_a answers %q; compared responses must share a prompt", b.PromptID, a.PromptID)
	}
	if !c.AnnotatorKind.Valid() {
		return Comparison{}, Invalid("annotator_kind", "must be human, model or heuristic; got %q", c.AnnotatorKind)
	}
	c.ResponseA, c.ResponseB = a.ID, b.ID
	c.ModelA, c.ModelB = a.Model, b.Model
	c.PromptID = a.PromptID
	return c, nil
}
