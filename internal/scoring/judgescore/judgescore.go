// Package judgescore holds the judge scorer type: a score computed by a
// registered model judge (a pointwise judge or a reward model) after ingest,
// by a background job, rather than inside it. Ingest records its scores as
// pending; the job settles each into a value or an error.
package judgescore

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

const paramsSchema = `{
  "type": "object",
  "additionalProperties": false,
  "required": ["judge"],
  "properties": {
    "judge": {
      "description": "The name of a registered pointwise or reward judge (POST /v1/judges).",
      "type": "string", "minLength": 1, "maxLength": 100
    },
    "version": {
      "description": "The judge's version; when omitted, its latest version at the time each ingest records its pending scores.",
      "type": "integer", "minimum": 1
    }
  }
}`

// Params are the judge scorer's params.
type Params struct {
	Judge   string `json:"judge"`
	Version int    `json:"version,omitempty"`
}

// ErrRunsLater is what the judge scorer answers when it is asked to score inline:
// its scores are computed by a job, never by a Set.
var ErrRunsLater = errors.New("the judge scorer runs later, in a background job; it does not score inline")

// Judge describes the judge scorer type. Its value is the judge's score (a
// pointwise judge's parsed rating, a reward model's reward); a pass block turns
// it into passed when the job settles it.
func Judge() scoring.Type {
	return scoring.Type{
		Name: "judge",
		Description: "A registered pointwise judge or reward model scores each response after ingest, in a background job; " +
			"its scores are pending until then, and failed with the endpoint's error if the calls fail.",
		ParamsSchema: json.RawMessage(paramsSchema),
		Better:       scoring.HigherIsBetter,
		RunsLater:    true,
		New: func(raw json.RawMessage) (scoring.Scorer, error) {
			var p Params
			if err := scoring.DecodeParams(raw, &p); err != nil {
				return nil, err
			}
			return scorer{p: p}, nil
		},
	}
}

type scorer struct{ p Params }

var _ scoring.Later = scorer{}

// Score refuses: see ErrRunsLater.
func (scorer) Score(context.Context, scoring.Item) (scoring.Result, error) {
	return scoring.Result{}, ErrRunsLater
}

// Judge names the judge and its version (0: the latest).
func (s scorer) Judge() (string, int) { return s.p.Judge, s.p.Version }
