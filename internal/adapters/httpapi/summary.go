package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
)

// SummaryService summarizes stored scores.
type SummaryService interface {
	Summary(ctx context.Context, evalRef string, in app.SummaryInput) (app.Summary, error)
}

type summaryRowOut struct {
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
	PassRate   *float64       `json:"pass_rate"`
	NPassKnown int64          `json:"n_pass_known"`
	Corpus     map[string]any `json:"corpus,omitempty"`
}

type summaryOut struct {
	Evaluation      string          `json:"evaluation"`
	EvaluationID    string          `json:"evaluation_id"`
	GroupBy         *string         `json:"group_by"`
	ExactPercentile bool            `json:"exact_percentiles"`
	ConfidenceLevel float64         `json:"confidence_level"`
	Scorers         []summaryRowOut `json:"scorers"`
}

func (s *Server) summary(c echo.Context) error {
	q := newQuery(c)
	in := app.SummaryInput{GroupBy: q.str("group_by"), Exact: q.flag("exact")}
	if err := q.done(); err != nil {
		return err
	}
	sum, err := s.svc.Summaries.Summary(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	out := summaryOut{Evaluation: sum.Evaluation.Name, EvaluationID: sum.Evaluation.ID.String(),
		ExactPercentile: sum.Exact, ConfidenceLevel: app.ConfidenceLevel, Scorers: make([]summaryRowOut, len(sum.Scorers))}
	if sum.GroupBy != "" {
		out.GroupBy = &sum.GroupBy
	}
	for i, r := range sum.Scorers {
		row := summaryRowOut{Scorer: r.Scorer, NScores: r.NScores, N: r.N, Errors: r.Errors, Mean: r.Mean, SD: r.SD,
			Min: r.Min, P10: r.P10, P50: r.P50, P90: r.P90, Max: r.Max, PassRate: r.PassRate, NPassKnown: r.NPassKnown, Corpus: r.Corpus}
		if r.Type != "" {
			t, b := r.Type, string(r.Better)
			row.Type, row.Better = &t, &b
		}
		if sum.GroupBy == "model" {
			m := r.Model
			row.Model = &m
		}
		if r.CI != nil {
			row.CILow, row.CIHigh = &r.CI.Lo, &r.CI.Hi
		}
		out.Scorers[i] = row
	}
	return respond(c, http.StatusOK, out)
}
