package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// IdempotencyService implements the Idempotency-Key protocol.
type IdempotencyService interface {
	Begin(ctx context.Context, r app.IdempotentRequest) (bool, app.Reply, error)
	Finish(ctx context.Context, r app.IdempotentRequest, reply app.Reply) error
}

// RateLimiter decides whether a key may make another request now.
type RateLimiter interface {
	Enabled() bool
	Allow(ctx context.Context, apiKeyID domain.ID) (bool, time.Duration, error)
}

// Observer receives request metrics.
type Observer interface {
	ObserveRequest(route, method string, status int, d time.Duration)
	AddRows(kind string, n int)
}

type noObserver struct{}

func (noObserver) ObserveRequest(string, string, int, time.Duration) {}
func (noObserver) AddRows(string, int)                               {}

// decompress accepts gzip request bodies. The cap applies to the decompressed
// size (a small gzip body can expand to gigabytes): reading past MaxBodyBytes of
// decompressed data fails like an oversized body, with 413. echo's own Decompress
// middleware has no such cap.
func (s *Server) decompress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.ContentLength == 0 || req.Body == nil || req.Body == http.NoBody {
			return next(c) // nothing to decompress
		}
		enc := strings.ToLower(strings.TrimSpace(req.Header.Get(echo.HeaderContentEncoding)))
		switch enc {
		case "", "identity":
			return next(c)
		case "gzip", "x-gzip":
		default:
			return newHTTPError(http.StatusUnsupportedMediaType, "unsupported-media-type", "Content-Encoding %q is not supported; use gzip or none", enc)
		}
		zr, err := gzip.NewReader(req.Body)
		if err != nil {
			return readError(err, "the gzip body is corrupt")
		}
		defer zr.Close()
		req.Body = &cappedReader{r: zr, left: s.cfg.MaxBodyBytes, limit: s.cfg.MaxBodyBytes}
		req.Header.Del(echo.HeaderContentEncoding)
		req.ContentLength = -1
		return next(c)
	}
}

// cappedReader fails with *http.MaxBytesError once more than limit bytes are read.
type cappedReader struct {
	r     io.Reader
	left  int64
	limit int64
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left < 0 {
		return 0, &http.MaxBytesError{Limit: c.limit}
	}
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left < 0 {
		return n, &http.MaxBytesError{Limit: c.limit}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, &corruptBody{err}
	}
	return n, err
}

func (c *cappedReader) Close() error { return nil }

// corruptBody marks a decompression failure, so it reads as bad input rather than a
// server fault.
type corruptBody struct{ err error }

func (e *corruptBody) Error() string { return "corrupt gzip body: " + e.err.Error() }
func (e *corruptBody) Unwrap() error { return e.err }

// timeout bounds each request's work; a request that runs out of time gets 503
// problem+json (its transaction rolls back).
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.RequestTimeout <= 0 || c.Path() == exportRoute {
			return next(c)
		}
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// rateLimit runs after authentication: one token per request from the key's bucket.
func (s *Server) rateLimit(c echo.Context, key domain.APIKey) error {
	if s.svc.RateLimit == nil || !s.svc.RateLimit.Enabled() {
		return nil
	}
	ok, wait, err := s.svc.RateLimit.Allow(c.Request().Context(), key.ID)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	secs := int(math.Ceil(wait.Seconds()))
	return &httpError{status: http.StatusTooManyRequests, kind: "rate-limited",
		detail: "too many requests for API key " + key.Prefix + "; retry after " + strconv.Itoa(secs) + "s",
		header: map[string]string{"Retry-After": strconv.Itoa(secs)}}
}

const headerIdempotencyKey = "Idempotency-Key"

// noIdempotencyKey refuses Idempotency-Key on a POST whose reply must not be stored.
func noIdempotencyKey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if c.Request().Header.Get(headerIdempotencyKey) != "" {
			return domain.Invalid(headerIdempotencyKey, "is not supported on this route: its reply carries a secret that is never stored, so it cannot be replayed")
		}
		return next(c)
	}
}

// idempotent implements Idempotency-Key on POST routes: the first reply is stored and
// replayed (with Idempotent-Replayed: true) to retries with the same key and
// request; another request under the same key is 422; a retry while the first still
// runs is 409. The body is buffered to fingerprint it (bounded by MaxBodyBytes), and
// so is the reply. Only a reply that reflects a definite outcome is stored: a
// success (committed) or a refusal of the request itself (4xx). A request that was
// cancelled, timed out or failed with 5xx, 408, 409 or 429 releases the key, so a retry
// runs again — except a 503 whose write may have been committed (its COMMIT reply
// was lost), which is stored so that a retry cannot write twice.
func (s *Server) idempotent(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		key := c.Request().Header.Get(headerIdempotencyKey)
		if key == "" || s.svc.Idempotency == nil {
			return next(c)
		}
		if !validIdempotencyKey(key) {
			return domain.Invalid(headerIdempotencyKey, "must be 1 to %d printable ASCII characters", app.MaxIdempotencyKeyLen)
		}
		apiKey, _ := c.Get(ctxAPIKey).(domain.APIKey)
		body, err := io.ReadAll(c.Request().Body)
		if err != nil {
			return readError(err, "")
		}
		c.Request().Body = io.NopCloser(bytes.NewReader(body))
		req := app.IdempotentRequest{APIKeyID: apiKey.ID, Key: key, Method: c.Request().Method, Path: c.Request().URL.RequestURI(), Body: body}
		proceed, replay, err := s.svc.Idempotency.Begin(c.Request().Context(), req)
		switch {
		case errors.Is(err, app.ErrIdempotencyMismatch):
			return &httpError{status: http.StatusUnprocessableEntity, kind: "idempotency-key-reused", detail: err.Error()}
		case err != nil:
			return err
		case !proceed:
			h := c.Response().Header()
			h.Set("Idempotent-Replayed", "true")
			if replay.Location != "" {
				h.Set(echo.HeaderLocation, replay.Location)
			}
			return c.Blob(replay.Status, replay.ContentType, replay.Body)
		}
		capture := &captureWriter{ResponseWriter: c.Response().Writer}
		c.Response().Writer = capture
		err = next(c)
		if err != nil {
			c.Error(err)
		}
		res := c.Response()
		reply := app.Reply{Status: res.Status, ContentType: res.Header().Get(echo.HeaderContentType), Body: capture.buf.Bytes(),
			Location: res.Header().Get(echo.HeaderLocation), Keep: errors.Is(err, domain.ErrOutcomeUnknown)}
		if !reply.Keep && !definiteOutcome(c.Request().Context(), err, reply.Status) {
			reply.Status = 500 // not stored: released for a retry
		}
		if err := s.svc.Idempotency.Finish(context.WithoutCancel(c.Request().Context()), req, reply); err != nil {
			s.log.Error("store idempotent reply", "error", err, "request_id", requestID(c))
		}
		return nil
	}
}

// definiteOutcome reports whether a reply may be replayed: a success, or a 4xx
// that refuses the request itself. A request cut short by its client or its
// deadline committed nothing and decided nothing, whatever status it ended with.
func definiteOutcome(ctx context.Context, err error, status int) bool {
	switch {
	case ctx.Err() != nil && err != nil, errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false
	case status >= 500, status == http.StatusConflict, status == http.StatusTooManyRequests, status == 499,
		status == http.StatusRequestTimeout: // a stalled upload decided nothing either
		return false
	}
	return true
}

// validIdempotencyKey accepts 1 to MaxIdempotencyKeyLen printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if k == "" || len(k) > app.MaxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < ' ' || k[i] > '~' {
			return false
		}
	}
	return true
}

// captureWriter copies what is written, for the idempotency record.
type captureWriter struct {
	http.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *captureWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *captureWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
