package domain

import (
	"regexp"
	"time"
)

// Evaluation groups the responses, scores and comparisons of one evaluation run:
// a benchmark, a checkpoint, a labelling campaign.
type Evaluation struct {
	ID          ID
	Name        string
	Description string
	// Scorers are applied to every response on ingest, in this order.
	Scorers   []ScorerConfig
	Metadata  map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ScorerConfig configures one scorer: a type from the registry, the name its results
// are keyed by (Name defaults to Type), the type's params (a JSON object; empty for
// none) and an optional pass band. It is the one in-memory shape of a scorer
// configuration: the API, the CLI, evaluation settings and the registry all use it,
// and only the edges give it a JSON form.
type ScorerConfig struct {
	Name   string
	Type   string
	Params []byte
	Pass   *PassBand
}

// PassBand turns a scorer's value into passed: Min <= value <= Max, either bound
// optional. A band with neither bound is invalid (the registry says so).
type PassBand struct {
	Min *float64
	Max *float64
}

// Contains reports whether v lies within the band.
func (p PassBand) Contains(v float64) bool {
	if p.Min != nil && v < *p.Min {
		return false
	}
	if p.Max != nil && v > *p.Max {
		return false
	}
	return true
}

// Limits on evaluation fields.
const (
	MaxNameLen        = 100
	MaxDescriptionLen = 10_000
)

var evaluationName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)

// ValidateEvaluationName checks that name is slug-like, so it can stand in URLs in
// place of the id: lowercase letters, digits, '.', '_' and '-', starting with a letter
// or digit, at most MaxNameLen bytes, and not shaped like a UUID (which would be
// ambiguous with an id).
func ValidateEvaluationName(name string) error {
	switch {
	case name == "":
		return Invalid("name", "is required")
	case len(name) > MaxNameLen:
		return Invalid("name", "must be at most %d characters", MaxNameLen)
	case !evaluationName.MatchString(name):
		return Invalid("name", "%q must be lowercase letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if _, err := ParseID(name); err == nil {
		return Invalid("name", "must not be a UUID; names and ids share the URL space")
	}
	return nil
}

// ValidateDescription checks the length of a description.
func ValidateDescription(d string) error {
	if len(d) > MaxDescriptionLen {
		return Invalid("description", "must be at most %d bytes", MaxDescriptionLen)
	}
	return nil
}
