package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Server is a running rlhf-eval server that the CLI talks to over its REST API, as
// a user who holds only an API key does (server mode). Without one the data
// commands open the database directly (local mode).
type Server struct {
	URL string
	key string
	hc  *http.Client
	// attempts bounds how often a request that is safe to repeat is sent.
	attempts int
}

// NewServer returns a client of the server at base using the API key.
func NewServer(base, key string) (*Server, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageError("server URL %q must be http(s)://host[:port]", base)
	}
	if key == "" {
		return nil, usageError("no API key for %s: set RLHF_API_KEY or run `rlhf-eval login --server %s`", base, base)
	}
	return &Server{URL: strings.TrimRight(base, "/"), key: key, hc: &http.Client{}, attempts: 5}, nil
}

// RemoteError is a failed request: the server's problem document, or a status.
type RemoteError struct {
	Status    int
	Title     string `json:"title"`
	Detail    string `json:"detail"`
	RequestID string `json:"request_id"`
	Errors    []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
	retryAfter time.Duration
}

func (e *RemoteError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	s := fmt.Sprintf("%s (HTTP %d", msg, e.Status)
	if e.RequestID != "" {
		s += ", request " + e.RequestID
	}
	return s + ")"
}

// retryable reports whether the request may be sent again: the server was busy or
// the database unavailable, or an earlier try under the same Idempotency-Key is
// still running.
func (e *RemoteError) retryable(idempotent bool) bool {
	switch e.Status {
	case http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	case http.StatusConflict:
		return idempotent && strings.Contains(e.Detail, "Idempotency-Key")
	}
	return false
}

// request is one call to the server.
type request struct {
	method string
	path   string
	query  url.Values
	// body is sent as is; retries need it whole, so it is a byte slice.
	body        []byte
	contentType string
	header      map[string]string
}

// send sends r and returns the open reply of a 2xx status. Reads, deletes and
// writes carrying an Idempotency-Key are retried on 429/502/503/504 and on
// connection failures, with exponential backoff and jitter that waits at least
// the server's Retry-After.
func (s *Server) send(ctx context.Context, r request) (*http.Response, error) {
	u := s.URL + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	idempotent := r.method == http.MethodGet || r.method == http.MethodDelete || r.header["Idempotency-Key"] != ""
	var last error
	for attempt := 1; ; attempt++ {
		var body io.Reader
		if r.body != nil {
			body = bytes.NewReader(r.body)
		}
		req, err := http.NewRequestWithContext(ctx, r.method, u, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "Bearer "+s.key)
		req.Header.Set("User-Agent", "rlhf-eval-cli/"+Version)
		if r.body != nil {
			req.Header.Set("Content-Type", r.contentType)
		}
		for k, v := range r.header {
			req.Header.Set(k, v)
		}
		res, err := s.hc.Do(req)
		var wait time.Duration
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			last = fmt.Errorf("%s %s: %w", r.method, r.path, err)
			if !idempotent {
				return nil, last
			}
		case res.StatusCode >= 200 && res.StatusCode < 300:
			return res, nil
		default:
			rerr := decodeProblem(res)
			if !rerr.retryable(idempotent) {
				return nil, rerr
			}
			last, wait = rerr, rerr.retryAfter
		}
		if attempt >= s.attempts {
			return nil, last
		}
		d := min(30*time.Second, 250*time.Millisecond<<(attempt-1))
		d = d/2 + rand.N(d/2+1)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(max(d, wait)):
		}
	}
}

func decodeProblem(res *http.Response) *RemoteError {
	defer res.Body.Close()
	e := &RemoteError{Status: res.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if json.Unmarshal(b, e) != nil {
		e.Detail = strings.TrimSpace(string(b))
	}
	e.Status = res.StatusCode
	if ra, err := strconv.Atoi(res.Header.Get("Retry-After")); err == nil && ra >= 0 {
		e.retryAfter = time.Duration(ra) * time.Second
	}
	return e
}

// call sends r and decodes a JSON reply into out (nil: discard it).
func (s *Server) call(ctx context.Context, r request, out any) error {
	res, err := s.send(ctx, r)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if out == nil {
		_, err := io.Copy(io.Discard, res.Body)
		return err
	}
	if raw, ok := out.(*json.RawMessage); ok {
		b, err := io.ReadAll(res.Body)
		*raw = b
		return err
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the reply: %w", r.method, r.path, err)
	}
	return nil
}

func (s *Server) get(ctx context.Context, path string, q url.Values, out any) error {
	return s.call(ctx, request{method: http.MethodGet, path: path, query: q}, out)
}

// postJSON posts v under a fresh Idempotency-Key, so a retry never writes twice.
func (s *Server) postJSON(ctx context.Context, path string, v any, out any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.call(ctx, request{method: http.MethodPost, path: path, body: b, contentType: "application/json",
		header: map[string]string{"Idempotency-Key": newIdempotencyKey()}}, out)
}

func newIdempotencyKey() string {
	return fmt.Sprintf("cli-%016x%016x", rand.Uint64(), rand.Uint64())
}

// seg escapes one path segment: names and external ids may hold any character.
func seg(s string) string { return url.PathEscape(s) }

func evalPath(ref string) string { return "/v1/evaluations/" + seg(ref) }

// login is what `rlhf-eval login` stores: the server and its key.
type login struct {
	Server string `json:"server"`
	APIKey string `json:"api_key"`
}

func readLogin(path string) (login, error) {
	var l login
	if path == "" {
		return l, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return l, nil
	}
	if err != nil {
		return l, err
	}
	if err := json.Unmarshal(b, &l); err != nil {
		return l, fmt.Errorf("%s is not a valid login file (remove it or run rlhf-eval login): %w", path, err)
	}
	return l, nil
}

func writeLogin(path string, l login) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// server returns the server the command talks to, or nil in local mode. The
// --server flag wins over RLHF_URL, which wins over the login file; the key comes
// from RLHF_API_KEY, else from the login file when it names the same server.
func (env Env) server(cmd *cobra.Command) (*Server, error) {
	base := env.ServerURL
	if f := cmd.Flag("server"); f != nil && f.Changed {
		base = f.Value.String()
	}
	l, err := readLogin(env.LoginFile)
	if err != nil {
		return nil, err
	}
	if base == "" {
		base = l.Server
	}
	if base == "" {
		return nil, nil
	}
	key := env.APIKey
	if key == "" && strings.TrimRight(l.Server, "/") == strings.TrimRight(base, "/") {
		key = l.APIKey
	}
	return NewServer(base, key)
}

// dual runs remote when a server is configured and local otherwise.
func dual(cmd *cobra.Command, env Env, remote func(s *Server) error, local func(b *Backend) error) error {
	s, err := env.server(cmd)
	if err != nil {
		return err
	}
	if s != nil {
		return remote(s)
	}
	if local == nil {
		return usageError("%s needs a server: give --server URL or set RLHF_URL (and RLHF_API_KEY), or run rlhf-eval login", cmd.CommandPath())
	}
	return withBackend(cmd, env, local)
}

// queryOf builds a query from name/value pairs, leaving out empty values.
func queryOf(kv ...string) url.Values {
	q := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			q.Set(kv[i], kv[i+1])
		}
	}
	return q
}
