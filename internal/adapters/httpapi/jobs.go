package httpapi

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
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

// toJobOut is a job as the API shows it.
func toJobOut(j domain.Job) view.Job { return view.JobOf(j) }

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
