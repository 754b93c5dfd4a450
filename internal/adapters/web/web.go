// Package web is the dashboard: server-rendered HTML pages over the same use cases
// as the API, signed in with an API key into a session kept in PostgreSQL. Every
// text a model or a client wrote is untrusted and reaches the page only through
// html/template's escaping; no script is inline, so the Content-Security-Policy
// allows none.
package web

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// The use cases the pages call, declared here by their consumer.

// SessionService signs people in and out.
type SessionService interface {
	SignIn(ctx context.Context, apiKey string) (string, app.Session, error)
	Resume(ctx context.Context, token string) (app.Session, error)
	SignOut(ctx context.Context, token string) error
}

// DashboardService answers the dashboard's own queries.
type DashboardService interface {
	Evaluations(ctx context.Context, search, after string, limit int) (domain.Page[domain.Evaluation], error)
	Overview(ctx context.Context, evalRef string) (app.EvaluationOverview, error)
	Models(ctx context.Context, evalRef string, limit int) ([]string, error)
	SearchResponses(ctx context.Context, evalRef string, in app.ResponseSearchInput) (app.ResponsePage, error)
	PairMatrix(ctx context.Context, evalRef, kind string) (ranking.PairwiseWinRates, error)
	RegressedPrompts(ctx context.Context, rep app.DiffReport, scorer string, better scoring.Direction, n int) ([]app.PromptChange, error)
}

// EvaluationService reads, lists and deletes evaluations.
type EvaluationService interface {
	Get(ctx context.Context, ref string) (domain.Evaluation, error)
	Delete(ctx context.Context, ref string) error
	List(ctx context.Context, in app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error)
}

// ResponseService reads responses.
type ResponseService interface {
	Get(ctx context.Context, evalRef, id string) (domain.Response, error)
}

// ComparisonService reads comparisons.
type ComparisonService interface {
	List(ctx context.Context, evalRef string, in app.ListComparisonsInput) (domain.Page[domain.Comparison], error)
}

// SummaryService summarizes scores.
type SummaryService interface {
	Summary(ctx context.Context, evalRef string, in app.SummaryInput) (app.Summary, error)
}

// DiffService compares two evaluations.
type DiffService interface {
	Diff(ctx context.Context, baseRef, candRef string, in app.DiffInput) (app.DiffReport, error)
}

// PreferenceService ranks models and measures agreement.
type PreferenceService interface {
	Leaderboard(ctx context.Context, evalRef string, in app.LeaderboardInput) (view.Leaderboard, error)
	Agreement(ctx context.Context, evalRef, kind string) (view.Agreement, error)
}

// KeyService manages API keys.
type KeyService interface {
	Create(ctx context.Context, in app.KeyInput) (string, domain.APIKey, error)
	List(ctx context.Context, cursor string, limit int) (domain.Page[domain.APIKey], error)
	Revoke(ctx context.Context, id string) (domain.APIKey, error)
}

// JobService reads and cancels background jobs.
type JobService interface {
	List(ctx context.Context, in app.ListJobsInput) (domain.Page[domain.Job], error)
	Cancel(ctx context.Context, ref string) (domain.Job, error)
}

// Services are the use cases behind the pages.
type Services struct {
	Sessions    SessionService
	Dashboard   DashboardService
	Evaluations EvaluationService
	Responses   ResponseService
	Comparisons ComparisonService
	Summaries   SummaryService
	Diffs       DiffService
	Preferences PreferenceService
	Keys        KeyService
	Jobs        JobService
}

// ServicesFrom takes the pages' use cases from app's set and the dashboard's own.
func ServicesFrom(svc app.Services, sessions *app.Sessions, dash *app.Dashboard) Services {
	return Services{
		Sessions: sessions, Dashboard: dash, Evaluations: svc.Evaluations, Responses: svc.Responses,
		Comparisons: svc.Comparisons, Summaries: svc.Summaries, Diffs: svc.Diffs, Preferences: svc.Preferences, Keys: svc.Keys,
		Jobs: svc.Jobs,
	}
}

// Server serves the dashboard's pages.
type Server struct {
	svc   Services
	log   *slog.Logger
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// cookieName names the session cookie.
const cookieName = "rlhf_session"

// Bounds of one page request.
const (
	maxFormBytes = 64 << 10
	pageTimeout  = 60 * time.Second
)

// New builds the dashboard.
func New(svc Services, log *slog.Logger) (*Server, error) {
	switch {
	case svc.Sessions == nil || svc.Dashboard == nil || svc.Evaluations == nil || svc.Responses == nil || svc.Comparisons == nil ||
		svc.Summaries == nil || svc.Diffs == nil || svc.Preferences == nil || svc.Keys == nil || svc.Jobs == nil:
		return nil, errors.New("web: a service is missing")
	case log == nil:
		return nil, errors.New("web: no logger")
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{svc: svc, log: log, pages: pages, mux: http.NewServeMux()}
	s.routes()
	return s, nil
}

// parsePages parses each page template together with the layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		pages[base] = t
	}
	return pages, nil
}

// Paths the dashboard owns; everything else belongs to the API.
var pagePrefixes = []string{"/static/", "/signin", "/signout", "/evaluations", "/keys", "/jobs"}

// Owns reports whether path is one of the dashboard's.
func Owns(path string) bool {
	if path == "/" {
		return true
	}
	for _, p := range pagePrefixes {
		if path == p || strings.HasPrefix(path, p+"/") || (strings.HasSuffix(p, "/") && strings.HasPrefix(path, p)) {
			return true
		}
	}
	return false
}

// Route returns a handler that serves the dashboard's paths and passes every other
// one to api, so the API's authentication never applies to the pages and the
// pages' sessions never to the API.
func (s *Server) Route(api http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if Owns(r.URL.Path) {
			s.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
}

// ServeHTTP serves a page with the security headers, a request id, a log line
// and panic recovery.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	var b [12]byte
	_, _ = rand.Read(b[:])
	rid := hex.EncodeToString(b[:])
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("X-Request-Id", rid)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()), "request_id", rid)
			if !rec.wrote {
				http.Error(rec, "internal error; request id "+rid, http.StatusInternalServerError)
			}
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "route", "web", "status", rec.status,
			"latency_ms", float64(time.Since(start).Microseconds())/1000, "request_id", rid)
	}()
	// Forms are small; a page has as long as an API request by default.
	if r.Body != nil {
		r.Body = http.MaxBytesReader(rec, r.Body, maxFormBytes)
	}
	ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), ridKey{}, rid), pageTimeout)
	defer cancel()
	s.mux.ServeHTTP(rec, r.WithContext(ctx))
}

type ridKey struct{}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *statusRecorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	r.wrote = true
	return r.ResponseWriter.Write(p)
}

// handler is a page handler: it gets the session (nil on public pages) and
// returns errors, which render once, in fail.
type handler func(w http.ResponseWriter, r *http.Request, sess *app.Session) error

// page wraps a handler that needs a session with the given scope. Every POST also
// needs the session's CSRF token and a same-origin Origin.
func (s *Server) page(need domain.Scope, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, err := s.session(r)
		if err != nil {
			s.fail(w, r, nil, err)
			return
		}
		if !sess.Key.Allows(need) {
			s.fail(w, r, &sess, fmt.Errorf("%w: this needs the %s scope; you are signed in with key %s (%s)",
				domain.ErrForbidden, need, sess.Key.Prefix, scopeList(sess.Key.Scopes)))
			return
		}
		if r.Method == http.MethodPost {
			if err := checkOrigin(r); err != nil {
				s.fail(w, r, &sess, err)
				return
			}
			if !sess.CheckCSRF(r.PostFormValue("csrf")) {
				s.fail(w, r, &sess, fmt.Errorf("%w: the form's security token is missing or stale; reload the page and try again", domain.ErrForbidden))
				return
			}
		}
		if err := h(w, r, &sess); err != nil {
			s.fail(w, r, &sess, err)
		}
	}
}

func (s *Server) session(r *http.Request) (app.Session, error) {
	c, err := r.Cookie(cookieName)
	if err != nil {
		return app.Session{}, fmt.Errorf("%w: not signed in", domain.ErrUnauthenticated)
	}
	return s.svc.Sessions.Resume(r.Context(), c.Value)
}

// checkOrigin refuses a POST sent from another origin (browsers send Origin with
// every POST); the session cookie is SameSite=Strict besides.
func checkOrigin(r *http.Request) error {
	o := r.Header.Get("Origin")
	if o == "" {
		return nil
	}
	u, err := url.Parse(o)
	if err != nil || u.Host != r.Host {
		return fmt.Errorf("%w: the form was sent from another site", domain.ErrForbidden)
	}
	return nil
}

// secure reports whether the browser reached us over TLS, directly or through a
// proxy that says so.
func secure(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func scopeList(ss []domain.Scope) string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return strings.Join(out, ", ")
}

// errorPage is what a failed request shows.
type errorPage struct {
	Status  int
	Title   string
	Detail  string
	Fields  []*domain.ValidationError
	Request string
}

// fail renders err once: not signed in → the sign-in page; validation → 400 with
// the fields; 403, 404, 409; anything else → 500 with the request id only.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, sess *app.Session, err error) {
	rid, _ := r.Context().Value(ridKey{}).(string)
	p := errorPage{Request: rid}
	switch {
	case errors.Is(err, domain.ErrUnauthenticated):
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		p.Status, p.Title, p.Detail = http.StatusUnauthorized, "Not signed in", err.Error()
	case len(domain.Fields(err)) > 0:
		p.Status, p.Title, p.Fields = http.StatusBadRequest, "Check the form", domain.Fields(err)
	case errors.Is(err, domain.ErrForbidden):
		p.Status, p.Title, p.Detail = http.StatusForbidden, "Not allowed", err.Error()
	case errors.Is(err, domain.ErrNotFound):
		p.Status, p.Title, p.Detail = http.StatusNotFound, "Not found", err.Error()
	case errors.Is(err, domain.ErrConflict):
		p.Status, p.Title, p.Detail = http.StatusConflict, "Conflict", err.Error()
	case errors.Is(err, domain.ErrUnavailable):
		p.Status, p.Title, p.Detail = http.StatusServiceUnavailable, "Unavailable", "the database is unavailable; try again shortly"
	case errors.Is(err, context.DeadlineExceeded):
		p.Status, p.Title, p.Detail = http.StatusServiceUnavailable, "Too slow", "the page took too long to compute; narrow it down and try again"
	case errors.Is(err, context.Canceled):
		return
	default:
		s.log.Error("page failed", "error", err.Error(), "path", r.URL.Path, "request_id", rid)
		p.Status, p.Title, p.Detail = http.StatusInternalServerError, "Something went wrong", "an internal error; the request id is in the log"
	}
	s.render(w, r, p.Status, "error", sess, p.Title, p)
}

// layoutData is what every page template gets.
type layoutData struct {
	Title   string
	Session *app.Session
	Path    string
	Data    any
}

// fragment renders one block of a page's templates, for htmx to swap into the
// page that asked for it.
func (s *Server) fragment(w http.ResponseWriter, r *http.Request, page, block string, data any) {
	var buf strings.Builder
	if err := s.pages[page].ExecuteTemplate(&buf, block, data); err != nil {
		rid, _ := r.Context().Value(ridKey{}).(string)
		s.log.Error("render fragment", "page", page, "block", block, "error", err.Error(), "request_id", rid)
		http.Error(w, "internal error; request id "+rid, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write([]byte(buf.String()))
}

// render executes a page into a buffer first, so a template error becomes a 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, sess *app.Session, title string, data any) {
	t, ok := s.pages[name]
	if !ok {
		panic("web: no page " + name)
	}
	var buf strings.Builder
	if err := t.ExecuteTemplate(&buf, "layout.html", layoutData{Title: title, Session: sess, Path: r.URL.Path, Data: data}); err != nil {
		rid, _ := r.Context().Value(ridKey{}).(string)
		s.log.Error("render page", "page", name, "error", err.Error(), "request_id", rid)
		http.Error(w, "internal error; request id "+rid, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(buf.String()))
}
