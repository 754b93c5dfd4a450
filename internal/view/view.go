// Package view holds the presentation types of the use cases' results: the
// shapes, JSON tags included, that the API returns and that the CLI and the
// dashboard print, so every adapter shows the same fields. It depends on the
// domain only; the use cases build these values.
package view

// EvaluationRef names an evaluation in a report.
type EvaluationRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}
