package view

// ScorerSummary is the wire form of a scorer summary, shared by the API and
// the CLI.
type ScorerSummary struct {
	Scorer     string         `json:"scorer"`
	Type       *string        `json:"type"`
	Better     *string        `json:"better"`
	Model      *string        `json:"model,omitempty"`
	NScores    int64          `json:"n_scores"`
	N          int64          `json:"n"`
	Errors     int64          `json:"errors"`
	Mean       *float64       `json:"mean"`
	SD         *float64       `json:"stddev"`
	Min        *float64       `json:"min"`
	P10        *float64       `json:"p10"`
	P50        *float64       `json:"p50"`
	P90        *float64       `json:"p90"`
	Max        *float64       `json:"max"`
	CILow      *float64       `json:"ci_low"`
	CIHigh     *float64       `json:"ci_high"`
	CIMethod   *string        `json:"ci_method"`
	PassRate   *float64       `json:"pass_rate"`
	PassLow    *float64       `json:"pass_rate_ci_low"`
	PassHigh   *float64       `json:"pass_rate_ci_high"`
	PassMethod *string        `json:"pass_rate_ci_method"`
	NPassKnown int64          `json:"n_pass_known"`
	Corpus     map[string]any `json:"corpus,omitempty"`
}

// Summary is the wire form of an evaluation's summary.
type Summary struct {
	Evaluation       EvaluationRef   `json:"evaluation"`
	GroupBy          *string         `json:"group_by"`
	ExactPercentiles bool            `json:"exact_percentiles"`
	ConfidenceLevel  float64         `json:"confidence_level"`
	Scorers          []ScorerSummary `json:"scorers"`
}
