package httpapi

import (
	"context"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// PreferenceService turns comparisons into leaderboards, agreement and exports.
type PreferenceService interface {
	Leaderboard(ctx context.Context, evalRef string, in app.LeaderboardInput) (view.Leaderboard, error)
	Agreement(ctx context.Context, evalRef, kind string) (view.Agreement, error)
	ScorerAgreement(ctx context.Context, evalRef, kind string) (view.ScorerAgreementReport, error)
	PrepareExport(ctx context.Context, evalRef string, in app.ExportInput) (*app.Export, error)
}

func (q *query) optInt(name string) *int {
	s := q.optStr(name)
	if s == nil {
		return nil
	}
	n, err := strconv.Atoi(*s)
	if err != nil {
		q.errs = append(q.errs, domain.Invalid(name, "must be an integer; got %q", *s))
		return nil
	}
	return &n
}

func (q *query) float(name string) float64 {
	s := q.optStr(name)
	if s == nil {
		return 0
	}
	v, err := strconv.ParseFloat(*s, 64)
	if err != nil {
		q.errs = append(q.errs, domain.Invalid(name, "must be a number; got %q", *s))
	}
	return v
}

func (q *query) uint(name string) uint64 {
	s := q.optStr(name)
	if s == nil {
		return 0
	}
	v, err := strconv.ParseUint(*s, 10, 64)
	if err != nil {
		q.errs = append(q.errs, domain.Invalid(name, "must be a non-negative integer; got %q", *s))
	}
	return v
}

func (q *query) flag(name string) bool {
	b := q.optBool(name)
	return b != nil && *b
}

func (s *Server) leaderboard(c echo.Context) error {
	q := newQuery(c)
	in := app.LeaderboardInput{
		Method: q.str("method"), Baseline: q.str("baseline"), Rounds: q.optInt("bootstrap"), Seed: q.uint("seed"),
		AnnotatorKind: q.str("annotator_kind"), Anchor: q.str("anchor"), K: q.float("k"),
	}
	if k := q.c.QueryParam("k"); k != "" && !(in.K > 0) {
		q.errs = append(q.errs, domain.Invalid("k", "must be a positive step size; got %q", k))
	}
	if err := q.done(); err != nil {
		return err
	}
	v, err := s.svc.Preferences.Leaderboard(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, v)
}

func (s *Server) agreement(c echo.Context) error {
	q := newQuery(c)
	kind := q.str("annotator_kind")
	if err := q.done(); err != nil {
		return err
	}
	v, err := s.svc.Preferences.Agreement(c.Request().Context(), param(c, "eval"), kind)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, v)
}

func (s *Server) scorerAgreement(c echo.Context) error {
	q := newQuery(c)
	kind := q.str("annotator_kind")
	if err := q.done(); err != nil {
		return err
	}
	v, err := s.svc.Preferences.ScorerAgreement(c.Request().Context(), param(c, "eval"), kind)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, v)
}

// export streams a training file. Errors found before the first byte are problems;
// everything that can be checked is checked first. An error after that aborts the
// connection without ending the body cleanly (no terminating chunk), so every
// client sees a failed transfer rather than a shorter file; the log says why.
func (s *Server) export(c echo.Context) error {
	q := newQuery(c)
	in := app.ExportInput{
		Format: q.str("format"), Conversational: q.flag("conversational"), MinMargin: q.float("min_margin"),
		AnnotatorKind: q.str("annotator_kind"), AgreedOnly: q.flag("agreed_only"), History: q.str("history"),
	}
	if err := q.done(); err != nil {
		return err
	}
	x, err := s.svc.Preferences.PrepareExport(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	if err := x.Start(c.Request().Context()); err != nil {
		return err
	}
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, x.ContentType())
	res.Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+x.Filename()+`"`)
	res.WriteHeader(http.StatusOK)
	if m, _ := c.Get(ctxMethod).(string); m == http.MethodHead {
		return nil // the headers are what GET would send; the body is not
	}
	st, err := x.WriteTo(c.Request().Context(), flushWriter{res})
	if err != nil {
		s.log.Error("export cut short; aborting the connection", "error", err, "request_id", requestID(c), "written", st.Written)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// flushWriter flushes after every write so a large export streams to the client.
type flushWriter struct{ res *echo.Response }

func (w flushWriter) Write(p []byte) (int, error) {
	n, err := w.res.Write(p)
	w.res.Flush()
	return n, err
}
