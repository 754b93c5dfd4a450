package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// ConsistencyService issues consistency tokens: positions in the primary's log
// that every committed write is at or before. It is set when reads may be served
// by a replica.
type ConsistencyService interface {
	Token(ctx context.Context) (string, error)
}

// The read-your-writes protocol: every successful write answers with a token;
// a read that sends it back is served only by a database that has caught up with
// it. "primary" reads the primary.
const (
	headerConsistencyToken = "RLHF-Consistency-Token"
	headerReadAfter        = "RLHF-Read-After"
)

// consistency reads a request's RLHF-Read-After into its context and, when a
// replica serves reads, adds RLHF-Consistency-Token to successful writes.
func (s *Server) consistency(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if v := req.Header.Get(headerReadAfter); v != "" {
			ra := &ports.ReadAfter{}
			switch {
			case strings.EqualFold(v, "primary"):
				ra.Primary = true
			case ports.ValidToken(v):
				ra.Token = v
			default:
				return badRequest(headerReadAfter, "must be the %s of an earlier write (like 0/16B3748) or primary; got %q",
					headerConsistencyToken, v)
			}
			c.SetRequest(req.WithContext(ports.WithReadAfter(req.Context(), ra)))
		}
		if s.svc.Consistency != nil && req.Method != http.MethodGet && req.Method != http.MethodHead {
			res := c.Response()
			res.Before(func() {
				if res.Status < 200 || res.Status > 299 {
					return
				}
				tok, err := s.svc.Consistency.Token(context.WithoutCancel(req.Context()))
				if err != nil {
					s.log.Warn("consistency token", "error", err, "request_id", requestID(c))
					return
				}
				res.Header().Set(headerConsistencyToken, tok)
			})
		}
		return next(c)
	}
}
