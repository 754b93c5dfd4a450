// Package httpapi is the REST adapter: echo routes, middleware (request id, logging,
// recovery, body limits, authentication) and the one place where errors become HTTP
// statuses. Handlers decode, call one use case, and encode.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
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
	Update(ctx context.Context, ref string, p app.EvaluationPatch) (domain.Evaluation, error)
	Delete(ctx context.Context, ref string) error
	List(ctx context.Context, in app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error)
}

// ResponseService ingests and reads responses.
type ResponseService interface {
	Ingest(ctx context.Context, evalRef string, in []app.ResponseInput, single bool) ([]app.Ingested, error)
	Get(ctx context.Context, evalRef, id string) (domain.Response, error)
	Delete(ctx context.Context, evalRef, id string) error
	List(ctx context.Context, evalRef string, in app.ListResponsesInput) (domain.Page[domain.Response], error)
}

// ComparisonService records and reads comparisons.
type ComparisonService interface {
	Create(ctx context.Context, evalRef string, in []app.ComparisonInput, single bool) ([]app.ComparisonResult, error)
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
	DB          Pinger
}

// Config tunes the HTTP adapter.
type Config struct {
	// MaxBodyBytes bounds request bodies (413 beyond it).
	MaxBodyBytes int64
	// MaxBatchItems bounds the items of one bulk request.
	MaxBatchItems int
	// Debug adds echo's debug mode (never stack traces in bodies).
	Debug bool
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
		svc.Summaries == nil || svc.Diffs == nil || svc.Preferences == nil || svc.Scoring == nil || svc.DB == nil:
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
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.Debug = cfg.Debug
	e.Logger.SetOutput(io.Discard)
	e.HTTPErrorHandler = errorHandler(log)
	s := &Server{echo: e, svc: svc, cfg: cfg, log: log}
	e.Pre(headAsGet)
	e.Use(s.requestID, s.logRequests, s.recoverPanics, s.limitBody)
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
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

func (s *Server) routes() {
	e := s.echo
	read, write, admin := s.auth(domain.ScopeRead), s.auth(domain.ScopeWrite), s.auth(domain.ScopeAdmin)
	// Routes that take no query parameters refuse them (noQuery); list routes check
	// their own.
	e.GET("/healthz", s.healthz, noQuery)
	e.GET("/readyz", s.readyz, noQuery)
	e.GET("/openapi.json", s.openAPI, read, noQuery)

	v1 := e.Group("/v1")
	v1.POST("/evaluations", s.createEvaluation, write, noQuery)
	v1.GET("/evaluations", s.listEvaluations, read)
	v1.GET("/evaluations/:eval", s.getEvaluation, read, noQuery)
	v1.PATCH("/evaluations/:eval", s.patchEvaluation, write, noQuery)
	v1.DELETE("/evaluations/:eval", s.deleteEvaluation, admin, noQuery)
	v1.GET("/evaluations/:eval/summary", s.summary, read)
	v1.GET("/evaluations/:eval/diff/:candidate", s.diff, read)
	v1.GET("/evaluations/:eval/leaderboard", s.leaderboard, read)
	v1.GET("/evaluations/:eval/agreement", s.agreement, read)
	v1.GET("/evaluations/:eval/scorer-agreement", s.scorerAgreement, read)
	v1.GET("/evaluations/:eval/export", s.export, read)

	v1.POST("/evaluations/:eval/responses", s.postResponses, write, noQuery)
	v1.GET("/evaluations/:eval/responses", s.listResponses, read)
	v1.GET("/evaluations/:eval/responses/:id", s.getResponse, read, noQuery)
	v1.DELETE("/evaluations/:eval/responses/:id", s.deleteResponse, admin, noQuery)

	v1.POST("/evaluations/:eval/comparisons", s.postComparisons, write, noQuery)
	v1.GET("/evaluations/:eval/comparisons", s.listComparisons, read)
	v1.GET("/evaluations/:eval/comparisons/:id", s.getComparison, read, noQuery)
	v1.DELETE("/evaluations/:eval/comparisons/:id", s.deleteComparison, admin, noQuery)

	v1.GET("/scorers", s.listScorers, read, noQuery)
	v1.POST("/score", s.score, write, noQuery)

	v1.POST("/keys", s.createKey, admin, noQuery)
	v1.GET("/keys", s.listKeys, admin)
	v1.DELETE("/keys/:id", s.revokeKey, admin, noQuery)
}

// writeJSON encodes v without HTML escaping (texts are model outputs; escaping
// "<" would only make them harder to read).
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func respond(c echo.Context, status int, v any) error {
	c.Response().Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	c.Response().WriteHeader(status)
	return writeJSON(c.Response(), v)
}

func (s *Server) healthz(c echo.Context) error {
	return respond(c, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
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
	}
}
