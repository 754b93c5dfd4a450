package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// DiffService compares two evaluations.
type DiffService interface {
	Diff(ctx context.Context, baseRef, candRef string, in app.DiffInput) (app.DiffReport, error)
}

func (s *Server) diff(c echo.Context) error {
	q := newQuery(c)
	var in app.DiffInput
	if a := q.optStr("alpha"); a != nil {
		v, err := strconv.ParseFloat(*a, 64)
		if err != nil || !(v > 0 && v < 1) {
			q.errs = append(q.errs, domain.Invalid("alpha", "must be a number between 0 and 1 exclusive; got %q", *a))
		}
		in.Alpha = v
	}
	if b := q.optStr("bootstrap"); b != nil {
		n, err := strconv.Atoi(*b)
		if err != nil {
			q.errs = append(q.errs, domain.Invalid("bootstrap", "must be an integer; got %q", *b))
		}
		in.Rounds = &n
	}
	if sd := q.optStr("seed"); sd != nil {
		n, err := strconv.ParseUint(*sd, 10, 64)
		if err != nil {
			q.errs = append(q.errs, domain.Invalid("seed", "must be a non-negative integer; got %q", *sd))
		}
		in.Seed = n
	}
	in.Scorer = q.str("scorer")
	if err := q.done(); err != nil {
		return err
	}
	rep, err := s.svc.Diffs.Diff(c.Request().Context(), param(c, "eval"), param(c, "candidate"), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, rep.View())
}
