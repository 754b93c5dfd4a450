package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail,omitempty"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []FieldError `json:"errors,omitempty"`
}

// FieldError names one bad input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Problem types are URNs: stable identifiers that need no web site behind them.
const problemTypeBase = "urn:rlhf-eval:problem:"

// httpError is an error that already knows its status and problem type; the
// decoders and middleware return it for protocol-level failures.
type httpError struct {
	status int
	kind   string
	detail string
	errs   []FieldError
	header map[string]string
}

func (e *httpError) Error() string { return e.detail }

func newHTTPError(status int, kind, format string, args ...any) *httpError {
	return &httpError{status: status, kind: kind, detail: fmt.Sprintf(format, args...)}
}

// badRequest is a malformed request (syntax, types, unknown fields), reported on a field.
func badRequest(field, format string, args ...any) *httpError {
	msg := fmt.Sprintf(format, args...)
	e := &httpError{status: http.StatusBadRequest, kind: "malformed-request", detail: msg}
	if field != "" {
		e.detail = field + ": " + msg
		e.errs = []FieldError{{Field: field, Message: msg}}
	}
	return e
}

// errorHandler writes every error as problem+json, exactly once, and logs 5xx in
// full. It is echo's HTTPErrorHandler, so router 404/405s, middleware failures and
// recovered panics all come through here.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			log.Warn("error after response was committed", "error", err, "request_id", requestID(c))
			return
		}
		p, header := toProblem(err)
		p.Instance = c.Request().URL.Path
		p.RequestID = requestID(c)
		if p.Status >= 500 {
			log.Error("request failed", "error", err, "status", p.Status, "method", c.Request().Method,
				"path", c.Request().URL.Path, "request_id", p.RequestID)
		}
		for k, v := range header {
			c.Response().Header().Set(k, v)
		}
		c.Response().Header().Set(echo.HeaderContentType, "application/problem+json")
		c.Response().WriteHeader(p.Status)
		if c.Request().Method == http.MethodHead {
			return
		}
		_ = writeJSON(c.Response(), p)
	}
}

func toProblem(err error) (Problem, map[string]string) {
	if fields := domain.Fields(err); len(fields) > 0 {
		p := Problem{Type: problemTypeBase + "validation", Title: "Invalid Input", Status: http.StatusBadRequest}
		msgs := make([]string, 0, len(fields))
		for _, f := range fields {
			p.Errors = append(p.Errors, FieldError{Field: f.Field, Message: f.Msg})
			msgs = append(msgs, f.Error())
		}
		p.Detail = strings.Join(msgs, "; ")
		return p, nil
	}
	var he *httpError
	if errors.As(err, &he) {
		return Problem{Type: problemTypeBase + he.kind, Title: http.StatusText(he.status), Status: he.status, Detail: he.detail, Errors: he.errs}, he.header
	}
	var ee *echo.HTTPError
	if errors.As(err, &ee) {
		p := Problem{Type: "about:blank", Title: http.StatusText(ee.Code), Status: ee.Code}
		switch ee.Code {
		case http.StatusNotFound:
			p.Detail = "no such route; see /openapi.json for the API"
		case http.StatusMethodNotAllowed:
			p.Detail = "this route does not accept the method; see /openapi.json for the API"
		case http.StatusRequestEntityTooLarge:
			p.Detail = "the request body is too large"
		default:
			if m, ok := ee.Message.(string); ok && ee.Code < 500 {
				p.Detail = m
			}
		}
		return p, nil
	}
	detail := func(sentinel error) string {
		// Our own wrapping puts the sentinel first ("unauthenticated: ..."); the
		// title already says it.
		return strings.TrimPrefix(err.Error(), sentinel.Error()+": ")
	}
	switch {
	case errors.Is(err, domain.ErrNotFound):
		return Problem{Type: problemTypeBase + "not-found", Title: "Not Found", Status: http.StatusNotFound, Detail: err.Error()}, nil
	case errors.Is(err, domain.ErrConflict):
		return Problem{Type: problemTypeBase + "conflict", Title: "Conflict", Status: http.StatusConflict, Detail: detail(domain.ErrConflict)}, nil
	case errors.Is(err, domain.ErrUnauthenticated):
		return Problem{Type: problemTypeBase + "unauthenticated", Title: "Unauthorized", Status: http.StatusUnauthorized, Detail: detail(domain.ErrUnauthenticated)},
			map[string]string{"WWW-Authenticate": `Bearer realm="rlhf-eval"`}
	case errors.Is(err, domain.ErrForbidden):
		return Problem{Type: problemTypeBase + "forbidden", Title: "Forbidden", Status: http.StatusForbidden, Detail: detail(domain.ErrForbidden)}, nil
	case errors.Is(err, domain.ErrOutcomeUnknown):
		const lost = "the connection to the database was lost while committing, so the write may or may not have been stored; " +
			"re-posting items with the same external_id is safe (it returns what was stored), re-posting items without one may store them twice"
		return Problem{Type: problemTypeBase + "unavailable", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: lost}, map[string]string{"Retry-After": "1"}
	case errors.Is(err, domain.ErrTooSlow):
		return Problem{Type: problemTypeBase + "request-timeout", Title: "Request Timeout", Status: http.StatusRequestTimeout,
			Detail: detail(domain.ErrTooSlow)}, nil
	case errors.Is(err, domain.ErrUnavailable):
		return Problem{Type: problemTypeBase + "unavailable", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the database is unavailable; retry shortly"}, map[string]string{"Retry-After": "1"}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Type: problemTypeBase + "timeout", Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the request took too long and was stopped; retry, or send a smaller batch"}, map[string]string{"Retry-After": "1"}
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this, but the log shows 499.
		return Problem{Type: problemTypeBase + "canceled", Title: "Client Closed Request", Status: 499}, nil
	}
	return Problem{Type: problemTypeBase + "internal", Title: "Internal Server Error", Status: http.StatusInternalServerError,
		Detail: "an internal error occurred; quote the request id when reporting it"}, nil
}
