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
	out := sum.View()
	return respond(c, http.StatusOK, out)
}
