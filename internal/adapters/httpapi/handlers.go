package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// query reads URL query parameters, rejecting unknown ones so that a typo in a
// filter is an error rather than an unfiltered list.
type query struct {
	c    echo.Context
	errs []error
	seen map[string]bool
}

func newQuery(c echo.Context) *query { return &query{c: c, seen: map[string]bool{}} }

func (q *query) str(name string) string {
	q.seen[name] = true
	return q.c.QueryParam(name)
}

func (q *query) optStr(name string) *string {
	q.seen[name] = true
	if !q.c.QueryParams().Has(name) {
		return nil
	}
	v := q.c.QueryParam(name)
	return &v
}

// limit reads the page size: absent means the default (0 here), anything else must
// be an integer from 1 to the maximum.
func (q *query) limit() int {
	s := q.optStr("limit")
	if s == nil {
		return 0
	}
	n, err := strconv.Atoi(*s)
	if err != nil || n < 1 || n > domain.MaxPageSize {
		q.errs = append(q.errs, domain.Invalid("limit", "must be an integer from 1 to %d; got %q", domain.MaxPageSize, *s))
		return 0
	}
	return n
}

func (q *query) optBool(name string) *bool {
	s := q.optStr(name)
	if s == nil {
		return nil
	}
	b, err := strconv.ParseBool(*s)
	if err != nil {
		q.errs = append(q.errs, domain.Invalid(name, "must be true or false; got %q", *s))
		return nil
	}
	return &b
}

// done reports parse errors, unknown parameters and repeated ones.
func (q *query) done() error {
	for name, values := range q.c.QueryParams() {
		switch {
		case !q.seen[name]:
			q.errs = append(q.errs, domain.Invalid(name, "unknown query parameter"))
		case len(values) > 1:
			q.errs = append(q.errs, domain.Invalid(name, "given %d times; give it once", len(values)))
		}
	}
	if len(q.errs) > 0 {
		return errors.Join(q.errs...)
	}
	return nil
}

// param returns a path parameter, percent-decoded exactly once by checkRequestLine:
// ids and names may contain characters a client must escape.
func param(c echo.Context, name string) string { return c.Param(name) }

// noQuery refuses query parameters on routes that take none, so a misplaced filter
// is an error rather than silently ignored.
func noQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := newQuery(c).done(); err != nil {
			return err
		}
		return next(c)
	}
}

// Evaluations.

func (s *Server) createEvaluation(c echo.Context) error {
	var in evaluationIn
	if err := decodeOne(c, &in); err != nil {
		return err
	}
	e, err := s.svc.Evaluations.Create(c.Request().Context(), app.EvaluationInput{
		Name: in.Name, Description: in.Description, Scorers: toScorerConfigs(in.Scorers), Metadata: in.Metadata,
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/evaluations/"+e.ID.String())
	return respond(c, http.StatusCreated, toEvaluationOut(e))
}

func (s *Server) listEvaluations(c echo.Context) error {
	q := newQuery(c)
	in := app.ListEvaluationsInput{Sort: q.str("sort"), Cursor: q.str("cursor"), Limit: q.limit()}
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Evaluations.List(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toEvaluationOut))
}

func (s *Server) getEvaluation(c echo.Context) error {
	e, err := s.svc.Evaluations.Get(c.Request().Context(), param(c, "eval"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toEvaluationOut(e))
}

func (s *Server) patchEvaluation(c echo.Context) error {
	var in evaluationPatchIn
	if err := decodeOne(c, &in); err != nil {
		return err
	}
	patch := app.EvaluationPatch{Name: in.Name, Description: in.Description, Metadata: in.Metadata}
	if in.Scorers != nil {
		scorers := toScorerConfigs(*in.Scorers)
		patch.Scorers = &scorers
	}
	e, job, err := s.svc.Evaluations.UpdateAndRescore(c.Request().Context(), param(c, "eval"), patch)
	if err != nil {
		return err
	}
	if job != nil {
		// The scorers changed: the rescore job can be followed there.
		c.Response().Header().Set(echo.HeaderLocation, jobLocation(*job))
	}
	return respond(c, http.StatusOK, toEvaluationOut(e))
}

func (s *Server) deleteEvaluation(c echo.Context) error {
	job, err := s.svc.Evaluations.StartDelete(c.Request().Context(), param(c, "eval"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, jobLocation(job))
	return respond(c, http.StatusAccepted, toJobOut(job))
}

// Responses.

// returnMinimal reports whether the client asked for counts only (RFC 7240's
// Prefer: return=minimal): then a bulk reply omits the items and the service keeps
// no per-item state, so memory stays flat however large the body.
func returnMinimal(c echo.Context) bool {
	for _, h := range c.Request().Header.Values("Prefer") {
		for _, p := range strings.Split(h, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "return=minimal") {
				return true
			}
		}
	}
	return false
}

func toResponseInput(r responseIn) app.ResponseInput {
	ri := app.ResponseInput{
		ExternalID: r.ExternalID, PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt,
		Response: r.Response, Reference: r.Reference, Metadata: r.Metadata,
	}
	for _, m := range r.Context {
		ri.Context = append(ri.Context, domain.Message{Role: m.Role, Content: m.Content})
	}
	return ri
}

// postResponses streams the body into the ingest: items are decoded, validated,
// scored and copied to the database a chunk at a time, in one transaction.
func (s *Server) postResponses(c echo.Context) error {
	minimal := returnMinimal(c)
	single, items, stop, err := bodyItems[responseIn](c, s.cfg.MaxBatchItems)
	if err != nil {
		return err
	}
	res, err := s.svc.Responses.Ingest(c.Request().Context(), param(c, "eval"), app.MapItems(items, toResponseInput),
		app.IngestOptions{Single: single, Keep: !minimal})
	stop()
	if err != nil {
		return err
	}
	s.cfg.Observer.AddRows("responses", res.Created)
	scores := 0
	defer func() { s.cfg.Observer.AddRows("scores", scores) }()
	toOut := func(r app.Ingested) responseOut {
		if r.Created {
			scores += len(r.Response.Scores)
		}
		return toResponseOut(r.Response)
	}
	return replyBatch(s, c, batchCounts{Created: res.Created, Existing: res.Existing}, minimal, single, res.Items, toOut,
		func(r responseOut) string { return "/v1/evaluations/" + r.EvaluationID + "/responses/" + r.ID })
}

func (s *Server) listResponses(c echo.Context) error {
	q := newQuery(c)
	in := app.ListResponsesInput{
		Model: q.optStr("model"), PromptID: q.optStr("prompt_id"), Scorer: q.optStr("scorer"), Passed: q.optBool("passed"),
		Sort: q.str("sort"), Cursor: q.str("cursor"), Limit: q.limit(),
	}
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Responses.List(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toResponseOut))
}

func (s *Server) getResponse(c echo.Context) error {
	r, err := s.svc.Responses.Get(c.Request().Context(), param(c, "eval"), param(c, "id"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toResponseOut(r))
}

func (s *Server) deleteResponse(c echo.Context) error {
	if err := s.svc.Responses.Delete(c.Request().Context(), param(c, "eval"), param(c, "id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Comparisons.

func (s *Server) postComparisons(c echo.Context) error {
	minimal := returnMinimal(c)
	single, items, stop, err := bodyItems[comparisonIn](c, s.cfg.MaxBatchItems)
	if err != nil {
		return err
	}
	res, err := s.svc.Comparisons.Ingest(c.Request().Context(), param(c, "eval"), app.MapItems(items, toComparisonInput),
		app.IngestOptions{Single: single, Keep: !minimal})
	stop()
	if err != nil {
		return err
	}
	s.cfg.Observer.AddRows("comparisons", res.Created)
	return replyBatch(s, c, batchCounts{Created: res.Created, Existing: res.Existing}, minimal, single, res.Items,
		func(r app.ComparisonResult) comparisonOut { return toComparisonOut(r.Comparison) },
		func(r comparisonOut) string { return "/v1/evaluations/" + r.EvaluationID + "/comparisons/" + r.ID })
}

func toComparisonInput(r comparisonIn) app.ComparisonInput {
	return app.ComparisonInput{
		ExternalID: r.ExternalID, ResponseA: r.ResponseA, ResponseB: r.ResponseB, Preference: r.Preference,
		Winner: r.Winner, Annotator: r.Annotator, AnnotatorKind: r.AnnotatorKind, Rationale: r.Rationale, Metadata: r.Metadata,
	}
}

func (s *Server) listComparisons(c echo.Context) error {
	q := newQuery(c)
	in := app.ListComparisonsInput{
		Annotator: q.optStr("annotator"), AnnotatorKind: q.optStr("annotator_kind"), Model: q.optStr("model"),
		Sort: q.str("sort"), Cursor: q.str("cursor"), Limit: q.limit(),
	}
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Comparisons.List(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toComparisonOut))
}

func (s *Server) getComparison(c echo.Context) error {
	r, err := s.svc.Comparisons.Get(c.Request().Context(), param(c, "eval"), param(c, "id"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toComparisonOut(r))
}

func (s *Server) deleteComparison(c echo.Context) error {
	if err := s.svc.Comparisons.Delete(c.Request().Context(), param(c, "eval"), param(c, "id")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// Keys.

func (s *Server) createKey(c echo.Context) error {
	var in keyIn
	if err := decodeOne(c, &in); err != nil {
		return err
	}
	ki := app.KeyInput{Name: in.Name, Scopes: in.Scopes}
	if in.ExpiresAt != nil {
		t, err := time.Parse(time.RFC3339Nano, *in.ExpiresAt)
		if err != nil {
			return domain.Invalid("expires_at", "must be an RFC 3339 time such as 2030-01-02T15:04:05Z; got %q", *in.ExpiresAt)
		}
		ki.ExpiresAt = &t
	}
	token, k, err := s.svc.Keys.Create(c.Request().Context(), ki)
	if err != nil {
		return err
	}
	out := toKeyOut(k)
	out.Key = token
	return respond(c, http.StatusCreated, out)
}

func (s *Server) listKeys(c echo.Context) error {
	q := newQuery(c)
	cursor, limit := q.str("cursor"), q.limit()
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Keys.List(c.Request().Context(), cursor, limit)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toKeyOut))
}

func (s *Server) revokeKey(c echo.Context) error {
	k, err := s.svc.Keys.Revoke(c.Request().Context(), param(c, "id"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toKeyOut(k))
}
