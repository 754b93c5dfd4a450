// Package httpapi is the REST adapter: echo routes, middleware (request id, logging,
// recovery, body limits, authentication) and the one place where errors become HTTP
// statuses. Handlers decode, call one use case, and encode.
package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// The use cases the API calls, declared here by their consumer.

// EvaluationService manages evaluations.
type EvaluationService interface {
	Create(ctx context.Context, in app.EvaluationInput) (domain.Evaluation, error)
	Get(ctx context.Context, ref string) (domain.Evaluation, error)
	// UpdateAndRescore applies a patch; a change of scorers starts a rescore job.
	UpdateAndRescore(ctx context.Context, ref string, p app.EvaluationPatch) (domain.Evaluation, *domain.Job, error)
	// StartDelete hides the evaluation and starts the job that purges it.
	StartDelete(ctx context.Context, ref string) (domain.Job, error)
	List(ctx context.Context, in app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error)
}

// ResponseService ingests and reads responses.
type ResponseService interface {
	Stream(ctx context.Context, evalRef string, single, keep bool) (*app.IngestStream, error)
	Get(ctx context.Context, evalRef, id string) (domain.Response, error)
	Delete(ctx context.Context, evalRef, id string) error
	List(ctx context.Context, evalRef string, in app.ListResponsesInput) (domain.Page[domain.Response], error)
}

// ComparisonService records and reads comparisons.
type ComparisonService interface {
	Stream(ctx context.Context, evalRef string, single, keep bool) (*app.ComparisonStream, error)
	Get(ctx context.Context, evalRef, ref string) (domain.Comparison, error)
	Delete(ctx context.Context, evalRef, ref string) error
	List(ctx context.Context, evalRef string, in app.ListComparisonsInput) (domain.Page[domain.Comparison], error)
}

// KeyService issues, checks and revokes API keys.
type KeyService interface {
	Create(ctx context.Context, in app.KeyInput) (string, domain.APIKey, error)
	Authenticate(ctx context.Context, token string) (domain.APIKey, error)
	List(ctx context.Context, cursor string, limit int) (domain.Page[domain.APIKey], error)
	Revoke(ctx context.Context, id string) (domain.APIKey, error)
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Services are the use cases behind the routes.
type Services struct {
	Evaluations EvaluationService
	Responses   ResponseService
	Comparisons ComparisonService
	Keys        KeyService
	Summaries   SummaryService
	Diffs       DiffService
	Preferences PreferenceService
	Scoring     ScoringService
	Jobs        JobService
	DB          Pinger
	// Idempotency and RateLimit are optional: nil turns the feature off.
	Idempotency IdempotencyService
	RateLimit   RateLimiter
}

// Config tunes the HTTP adapter.
type Config struct {
	// MaxBodyBytes bounds request bodies (413 beyond it).
	MaxBodyBytes int64
	// MaxBatchItems bounds the items of one bulk request.
	MaxBatchItems int
	// Debug adds echo's debug mode (never stack traces in bodies).
	Debug bool
	// RequestTimeout bounds each request's work (0: none). Exports stream for as
	// long as they need.
	RequestTimeout time.Duration
	// ReadHeaderTimeout cuts off clients that are slow to send headers.
	ReadHeaderTimeout time.Duration
	// Observer receives metrics (nil: none); MetricsHandler serves them at /metrics.
	Observer       Observer
	MetricsHandler http.Handler
}

// Server is the HTTP API.
type Server struct {
	echo *echo.Echo
	svc  Services
	cfg  Config
	log  *slog.Logger
}

// New builds the API: routes, middleware and error handling.
func New(svc Services, cfg Config, log *slog.Logger) (*Server, error) {
	switch {
	case svc.Evaluations == nil || svc.Responses == nil || svc.Comparisons == nil || svc.Keys == nil ||
		svc.Summaries == nil || svc.Diffs == nil || svc.Preferences == nil || svc.Scoring == nil || svc.Jobs == nil || svc.DB == nil:
		return nil, errors.New("httpapi: a service is missing")
	case log == nil:
		return nil, errors.New("httpapi: no logger")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxBatchItems <= 0 {
		cfg.MaxBatchItems = app.DefaultLimits.MaxBatchItems
	}
	if cfg.ReadHeaderTimeout <= 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	if cfg.Observer == nil {
		cfg.Observer = noObserver{}
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Debug = cfg.Debug
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = errorHandler(log)
	s := &Server{echo: e, svc: svc, cfg: cfg, log: log}
	e.Pre(headAsGet)
	e.Use(s.requestID, s.logRequests, s.recoverPanics, s.limitBody, s.decompress, s.timeout)
	s.routes()
	return s, nil
}

// Handler returns the API as an http.Handler.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo exposes the router, for tests that walk the routes.
func (s *Server) Echo() *echo.Echo { return s.echo }

// HTTPServer returns an http.Server for the API with timeouts set: slow clients
// cannot hold connections open while sending headers, bodies or reading replies.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// exportRoute streams for as long as it needs, outside the request timeout.
const exportRoute = "/v1/evaluations/:eval/export"

func (s *Server) routes() {
	e := s.echo
	read, write, admin := s.auth(domain.ScopeRead), s.auth(domain.ScopeWrite), s.auth(domain.ScopeAdmin)
	// Routes that take no query parameters refuse them (noQuery); list routes check
	// their own. Every POST honours Idempotency-Key.
	post := func(path string, h echo.HandlerFunc, scope echo.MiddlewareFunc) {
		e.POST(path, h, scope, noQuery, s.idempotent)
	}
	e.GET("/healthz", s.healthz, noQuery)
	e.GET("/readyz", s.readyz, noQuery)
	e.GET("/openapi.json", s.openAPI, read, noQuery)
	if s.cfg.MetricsHandler != nil {
		e.GET("/metrics", echo.WrapHandler(s.cfg.MetricsHandler), read, noQuery)
	}

	post("/v1/evaluations", s.createEvaluation, write)
	e.GET("/v1/evaluations", s.listEvaluations, read)
	e.GET("/v1/evaluations/:eval", s.getEvaluation, read, noQuery)
	e.PATCH("/v1/evaluations/:eval", s.patchEvaluation, write, noQuery)
	e.DELETE("/v1/evaluations/:eval", s.deleteEvaluation, admin, noQuery)
	e.GET("/v1/evaluations/:eval/summary", s.summary, read)
	e.GET("/v1/evaluations/:eval/diff/:candidate", s.diff, read)
	e.GET("/v1/evaluations/:eval/leaderboard", s.leaderboard, read)
	e.GET("/v1/evaluations/:eval/agreement", s.agreement, read)
	e.GET("/v1/evaluations/:eval/scorer-agreement", s.scorerAgreement, read)
	e.GET(exportRoute, s.export, read)

	post("/v1/evaluations/:eval/responses", s.postResponses, write)
	e.GET("/v1/evaluations/:eval/responses", s.listResponses, read)
	e.GET("/v1/evaluations/:eval/responses/:id", s.getResponse, read, noQuery)
	e.DELETE("/v1/evaluations/:eval/responses/:id", s.deleteResponse, admin, noQuery)

	post("/v1/evaluations/:eval/comparisons", s.postComparisons, write)
	e.GET("/v1/evaluations/:eval/comparisons", s.listComparisons, read)
	e.GET("/v1/evaluations/:eval/comparisons/:id", s.getComparison, read, noQuery)
	e.DELETE("/v1/evaluations/:eval/comparisons/:id", s.deleteComparison, admin, noQuery)

	e.GET("/v1/scorers", s.listScorers, read, noQuery)
	post("/v1/score", s.score, write)

	// A key's reply carries its secret, which is never stored: no Idempotency-Key.
	e.POST("/v1/keys", s.createKey, admin, noQuery, noIdempotencyKey)
	e.GET("/v1/keys", s.listKeys, admin)
	e.DELETE("/v1/keys/:id", s.revokeKey, admin, noQuery)
	s.jobRoutes(read, write)
}

// writeJSON encodes v without HTML escaping (texts are model outputs; escaping
// "<" would only make them harder to read).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// respond encodes v before sending the status, so an encoding failure becomes a
// 500 problem rather than a 200 with a truncated body.
func respond(c echo.Context, status int, v any) error {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(status)
	_, err := c.Response().Write(buf.Bytes())
	return err
}

func (s *Server) healthz(c echo.Context) error {
	return respond(c, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	// Readiness has its own deadline, independent of the request timeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Request().Context()), 2*time.Second)
	defer cancel()
	if err := s.svc.DB.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", "error", err)
		return &httpError{status: http.StatusServiceUnavailable, kind: "not-ready", detail: "the database is unreachable",
			header: map[string]string{"Retry-After": "1"}}
	}
	return respond(c, http.StatusOK, map[string]string{"status": "ready"})
}

// ServicesFrom takes the routes' use cases from app's set.
func ServicesFrom(svc app.Services, db Pinger) Services {
	return Services{
		Evaluations: svc.Evaluations, Responses: svc.Responses, Comparisons: svc.Comparisons, Keys: svc.Keys,
		Summaries: svc.Summaries, Diffs: svc.Diffs, Preferences: svc.Preferences, Scoring: svc.Scoring, DB: db,
		Idempotency: svc.Idempotency, Jobs: svc.Jobs,
	}
}
