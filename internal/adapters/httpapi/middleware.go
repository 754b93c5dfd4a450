package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

const (
	ctxRequestID = "request_id"
	ctxAPIKey    = "api_key"
	ctxMethod    = "method" // the method as received, when it differs (HEAD served as GET)
	headerReqID  = "X-Request-Id"
)

func requestID(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// requestID takes a sane X-Request-Id from the client or makes one, and echoes it.
func (s *Server) requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerReqID)
		if !validRequestID(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		c.Set(ctxRequestID, id)
		c.Response().Header().Set(headerReqID, id)
		return next(c)
	}
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if r <= ' ' || r > '~' {
			return false
		}
	}
	return true
}

// logRequests logs one line per request: method, path, route, status, latency,
// bytes, request id and the key's display prefix.
func (s *Server) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // writes the problem now, so the status below is final
		}
		req, res := c.Request(), c.Response()
		method := req.Method
		if m, ok := c.Get(ctxMethod).(string); ok {
			method = m
		}
		attrs := []any{
			"method", method, "path", req.URL.Path, "route", c.Path(), "status", res.Status,
			"latency_ms", float64(time.Since(start).Microseconds()) / 1000, "bytes_out", res.Size,
			"request_id", requestID(c),
		}
		if k, ok := c.Get(ctxAPIKey).(domain.APIKey); ok {
			attrs = append(attrs, "key", k.Prefix)
		}
		s.cfg.Observer.ObserveRequest(s.routeLabel(c), methodLabel(method), res.Status, time.Since(start))
		level := slog.LevelInfo
		if res.Status >= 500 {
			level = slog.LevelError
		}
		s.log.Log(req.Context(), level, "request", attrs...)
		return nil
	}
}

// Metric labels come from bounded sets, so that a client cannot mint new series:
// methods outside HTTP's own and paths that match no route fold into one value.
const (
	labelOther     = "OTHER"
	labelUnmatched = "unmatched"
)

func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete,
		http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return labelOther
}

func (s *Server) routeLabel(c echo.Context) string {
	if p := c.Path(); s.routePaths[p] {
		return p
	}
	return labelUnmatched
}

// recoverPanics turns a panic into a 500 problem and logs the stack; the client
// never sees it.
func (s *Server) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "value", fmt.Sprint(v), "stack", string(debug.Stack()), "request_id", requestID(c))
				err = fmt.Errorf("panic: %v", v)
			}
		}()
		return next(c)
	}
}

// limitBody caps request bodies; reading past the cap fails with
// *http.MaxBytesError, which the decoders turn into 413. A declared
// Content-Length over the cap is refused before reading.
func (s *Server) limitBody(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength > s.cfg.MaxBodyBytes {
			return newHTTPError(http.StatusRequestEntityTooLarge, "body-too-large",
				"the request body is %d bytes; at most %d are accepted; split the batch", req.ContentLength, s.cfg.MaxBodyBytes)
		}
		req.Body = http.MaxBytesReader(c.Response(), req.Body, s.cfg.MaxBodyBytes)
		return next(c)
	}
}

// auth requires a bearer API key with scope need.
func (s *Server) auth(need domain.Scope) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Request().Header.Get(echo.HeaderAuthorization)
			if h == "" {
				return fmt.Errorf("%w: send Authorization: Bearer <API key>", domain.ErrUnauthenticated)
			}
			scheme, token, ok := strings.Cut(h, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return fmt.Errorf("%w: use the Bearer scheme: Authorization: Bearer <API key>", domain.ErrUnauthenticated)
			}
			key, err := s.svc.Keys.Authenticate(c.Request().Context(), strings.TrimSpace(token))
			if err != nil {
				return err
			}
			c.Set(ctxAPIKey, key)
			if !key.Allows(need) {
				return fmt.Errorf("%w: this route needs the %s scope; key %s has %v", domain.ErrForbidden, need, key.Prefix, key.Scopes)
			}
			if err := s.rateLimit(c, key); err != nil {
				return err
			}
			return next(c)
		}
	}
}

// headAsGet serves HEAD as GET without a body, as HTTP asks of servers that
// support GET; echo routes HEAD only where it is registered.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodHead {
			return next(c)
		}
		req.Method = http.MethodGet
		c.Set(ctxMethod, http.MethodHead)
		res := c.Response()
		res.Writer = headWriter{res.Writer}
		return next(c)
	}
}

// headWriter drops the body of a HEAD reply and keeps its headers.
type headWriter struct{ http.ResponseWriter }

func (w headWriter) Write(p []byte) (int, error) { return len(p), nil }

// Flush sends the headers; there is no body to flush. Streaming handlers flush as
// they write, and echo panics when the writer cannot.
func (w headWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w headWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
