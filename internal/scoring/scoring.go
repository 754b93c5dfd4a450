// Package scoring defines what a scorer is, the registry of scorer types, and the
// machinery that applies a list of configured scorers to items in parallel.
//
// A scorer type (bleu, refusal, length, ...) is described by a Type: its name, a
// description, the JSON Schema of its params, whether it needs a reference answer,
// which direction of its value is better, and a constructor that validates params.
// A domain.ScorerConfig names an instance of a type with its params and an optional
// pass band; a Registry turns configs into a Set, rejecting bad params when the
// configuration is made, never at scoring time.
package scoring

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Item is what a scorer looks at: one response to one prompt, with an optional
// reference answer and the optional conversation before the prompt.
type Item struct {
	Prompt       string
	Response     string
	Reference    string
	HasReference bool
	Context      []domain.Message
}

// Result is one scorer's verdict on one item. Value is the scorer's number (similarity
// metrics report it in [0,1]); Passed is set by assertion-style scorers or by a pass
// block, nil otherwise; Details carries the scorer's breakdown and must marshal to JSON
// (no NaN or infinities).
type Result struct {
	Value   float64        `json:"value"`
	Passed  *bool          `json:"passed"`
	Details map[string]any `json:"details"`
}

// Scorer scores one item. Implementations must be safe for concurrent use: a Set
// calls Score from several goroutines at once.
type Scorer interface {
	Score(ctx context.Context, item Item) (Result, error)
}

// ReferenceNeeder is implemented by scorers whose need for a reference depends on
// their params (equals with use_reference); Type.NeedsReference covers the rest.
type ReferenceNeeder interface {
	NeedsReference() bool
}

// ScorerFunc adapts a function to the Scorer interface.
type ScorerFunc func(ctx context.Context, item Item) (Result, error)

// Score calls f.
func (f ScorerFunc) Score(ctx context.Context, item Item) (Result, error) { return f(ctx, item) }

// Direction says which way a scorer's value is better.
type Direction string

// Directions a Type may declare.
const (
	HigherIsBetter Direction = "higher"
	LowerIsBetter  Direction = "lower"
	// NoDirection marks values that are descriptive only (a length, a language code).
	NoDirection Direction = "none"
)

// Type describes one kind of scorer and builds instances of it.
type Type struct {
	// Name is the type name used in configs ("bleu").
	Name string
	// Description is one or two sentences for humans, shown by GET /v1/scorers.
	Description string
	// ParamsSchema is the JSON Schema (draft 2020-12) of the params object. Params are
	// validated against it before New is called, so New sees well-typed input.
	ParamsSchema json.RawMessage
	// NeedsReference reports whether items must carry a reference answer.
	NeedsReference bool
	// Better says which direction of Value is better.
	Better Direction
	// UnitInterval reports that Value always lies in [0, 1] (a share, a similarity,
	// BLEU/100), so summaries give its mean an interval that stays in that range.
	UnitInterval bool
	// New builds a scorer from params (never nil: "{}" when the config had none).
	// It returns *domain.ValidationError values, with Field relative to params
	// ("word_order"), for semantic problems the schema cannot express.
	New func(params json.RawMessage) (Scorer, error)
	// RunsLater marks a type whose scores are computed after ingest, by a job,
	// rather than inside it: a remote model (a judge or a reward model) whose
	// calls are too slow and too fallible to hold an ingest's transaction. A Set
	// does not call its scorers; their Outcomes come back with Later set, and
	// ingest records the scores as pending (see Later).
	RunsLater bool
	// Linear marks a type whose scorer takes time linear in the item's size and
	// waits on nothing outside the process (a test of its package shows the
	// time's growth). A Set calls it on the worker's own goroutine: a call on
	// the largest field the service takes lasts milliseconds against a budget
	// of seconds, so it needs neither the goroutine nor the timer that let a
	// Set stop waiting for another type's call once the budget is spent.
	Linear bool
	// Corpus, when set, computes a corpus-level score from the element-wise sum of
	// the items' details["stats"] arrays (sacrebleu's corpus BLEU and chrF are
	// defined on summed sufficient statistics). Summaries sum the arrays in SQL and
	// call it with the configuration's params.
	Corpus func(params json.RawMessage, stats []float64) (map[string]any, error)
}

// DecodeParams decodes raw params into dst strictly: unknown fields and trailing data
// are errors. Constructors call it after schema validation, so its errors are rare and
// are returned as validation errors on the params object.
func DecodeParams(raw json.RawMessage, dst any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return domain.Invalid("", "%v", err)
	}
	if dec.More() {
		return domain.Invalid("", "unexpected data after the params object")
	}
	return nil
}

// Later is what the scorer of a type that runs later tells the job that computes
// its scores: the judge (a registered model judge) it scores with, and its
// version (0: the latest when the scores are recorded as pending).
type Later interface {
	Scorer
	Judge() (name string, version int)
}

// Outcome is one scorer's result for one item, or the error that scorer hit.
// Later marks the outcome of a scorer that runs later: no result yet.
type Outcome struct {
	Name   string
	Result Result
	Err    error
	Later  bool
}

// ErrTimeout is reported in an Outcome when a scorer exceeds its time budget.
var ErrTimeout = errors.New("scorer exceeded its time budget")

// PanicError is reported in an Outcome when a scorer panics.
type PanicError struct{ Value any }

func (e *PanicError) Error() string { return fmt.Sprintf("scorer panicked: %v", e.Value) }
