package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// JobService reads and cancels background jobs.
type JobService interface {
	Get(ctx context.Context, ref string) (domain.Job, error)
	List(ctx context.Context, in app.ListJobsInput) (domain.Page[domain.Job], error)
	Cancel(ctx context.Context, ref string) (domain.Job, error)
}

func (s *Server) jobRoutes(read, write echo.MiddlewareFunc) {
	e := s.echo
	e.GET("/v1/jobs", s.listJobs, read)
	e.GET("/v1/jobs/:id", s.getJob, read, noQuery)
	e.POST("/v1/jobs/:id/cancel", s.cancelJob, write, noQuery, s.idempotent)
}

// jobOut is a job as the API shows it.
type jobOut struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Evaluation *string        `json:"evaluation"`
	Status     string         `json:"status"`
	Total      int64          `json:"total"`
	Done       int64          `json:"done"`
	Failed     int64          `json:"failed"`
	Cached     int64          `json:"cached"`
	Tokens     int64          `json:"tokens"`
	Cost       float64        `json:"cost"`
	Error      string         `json:"error"`
	Report     map[string]any `json:"report"`
	CreatedAt  time.Time      `json:"created_at"`
	StartedAt  *time.Time     `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"`
}

func toJobOut(j domain.Job) jobOut {
	out := jobOut{
		ID: j.ID.String(), Kind: j.Kind, Status: string(j.Status), Total: j.Total, Done: j.Done, Failed: j.Failed,
		Cached: j.Cached, Tokens: j.Tokens, Cost: j.Cost, Error: j.Error, Report: j.Report,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
	}
	if j.EvaluationID != nil {
		id := j.EvaluationID.String()
		out.Evaluation = &id
	}
	return out
}

// jobLocation is where a job started by a request can be followed.
func jobLocation(j domain.Job) string { return "/v1/jobs/" + j.ID.String() }

func (s *Server) listJobs(c echo.Context) error {
	q := newQuery(c)
	in := app.ListJobsInput{
		Evaluation: q.str("evaluation"), Kind: q.str("kind"), Status: q.str("status"),
		Cursor: q.str("cursor"), Limit: q.limit(),
	}
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Jobs.List(c.Request().Context(), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toJobOut))
}

func (s *Server) getJob(c echo.Context) error {
	j, err := s.svc.Jobs.Get(c.Request().Context(), param(c, "id"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toJobOut(j))
}

func (s *Server) cancelJob(c echo.Context) error {
	j, err := s.svc.Jobs.Cancel(c.Request().Context(), param(c, "id"))
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toJobOut(j))
}
