// Package openai calls judge endpoints: OpenAI-compatible chat completions through
// the official openai-go client, and reward models over vLLM's classification API
// or a plain JSON protocol. It retries what may succeed later (429, 5xx,
// timeouts, unreadable bodies) with exponential backoff and jitter, honouring
// Retry-After and retry-after-ms, and fails at once on other answers with the
// endpoint's own message. Each key gets one limiter (concurrency, requests and
// tokens per minute) shared by every goroutine of the process.
package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// Default backoff: the first retry waits about BaseBackoff, each later one twice
// as long, up to MaxBackoff, with jitter.
const (
	DefaultBaseBackoff = 500 * time.Millisecond
	DefaultMaxBackoff  = 30 * time.Second
	// maxRetryAfter caps how long a Retry-After header may make a call wait.
	maxRetryAfter = 5 * time.Minute
)

// Callers hands out one Caller per key, so every worker of the process that judges
// with the same key shares one limiter.
type Callers struct {
	getenv     func(string) string
	httpClient *http.Client

	mu          sync.Mutex
	byKey       map[string]*callerEntry
	baseBackoff time.Duration
	maxBackoff  time.Duration
}

type callerEntry struct {
	canonical string
	caller    *Caller
}

// NewCallers returns an empty set of callers. getenv reads API keys from the
// variables judges name; httpClient (nil: a client tuned for many concurrent
// requests to one host) carries every request.
func NewCallers(getenv func(string) string, httpClient *http.Client) *Callers {
	if httpClient == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConns = 1024
		t.MaxIdleConnsPerHost = 512
		httpClient = &http.Client{Transport: t}
	}
	return &Callers{getenv: getenv, httpClient: httpClient, byKey: map[string]*callerEntry{},
		baseBackoff: DefaultBaseBackoff, maxBackoff: DefaultMaxBackoff}
}

// WithBackoff sets the backoff of callers made from now on (tests use
// milliseconds) and returns c.
func (c *Callers) WithBackoff(base, max time.Duration) *Callers {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.baseBackoff, c.maxBackoff = base, max
	return c
}

// For returns the caller of key for cfg. Calls with the same key and the same
// configuration share one caller and its limiter; a different configuration under
// a key replaces the key's caller (and limiter) for later calls. The API key is
// read from cfg.Endpoint.APIKeyEnv now; it is never logged or returned.
func (c *Callers) For(key string, cfg judging.Config) (judging.Caller, error) {
	canon, err := cfg.Canonical()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[key]; ok && e.canonical == string(canon) {
		return e.caller, nil
	}
	caller, err := c.newCaller(cfg)
	if err != nil {
		return nil, err
	}
	c.byKey[key] = &callerEntry{canonical: string(canon), caller: caller}
	return caller, nil
}

func (c *Callers) newCaller(cfg judging.Config) (*Caller, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("judge %q: %w", cfg.Name, err)
	}
	var apiKey string
	if name := cfg.Endpoint.APIKeyEnv; name != "" {
		apiKey = c.getenv(name)
		if apiKey == "" {
			return nil, fmt.Errorf("judge %q: environment variable %s (endpoint.api_key_env) is not set", cfg.Name, name)
		}
	}
	l := cfg.Limits
	caller := &Caller{
		cfg:         cfg,
		apiKey:      apiKey,
		httpClient:  c.httpClient,
		limiter:     newLimiter(l.Concurrency, l.RequestsPerMinute, l.TokensPerMinute),
		baseBackoff: c.baseBackoff,
		maxBackoff:  c.maxBackoff,
		sleep:       sleepCtx,
	}
	caller.chat = newChatService(cfg, apiKey, c.httpClient)
	return caller, nil
}

// Caller calls one judge's endpoint. It is safe for concurrent use.
type Caller struct {
	cfg         judging.Config
	apiKey      string
	httpClient  *http.Client
	chat        chatService
	limiter     *limiter
	baseBackoff time.Duration
	maxBackoff  time.Duration
	sleep       func(context.Context, time.Duration) error
}

var _ judging.Caller = (*Caller)(nil)

// attemptError is one failed attempt: the endpoint error and how long the
// endpoint asked to wait before the next one.
type attemptError struct {
	err        *judging.EndpointError
	retryAfter time.Duration
}

// do runs attempt until it succeeds, fails for good or runs out of attempts. Each
// attempt takes a limiter slot and runs under the endpoint's timeout. It returns
// the number of attempts made.
func (c *Caller) do(ctx context.Context, estTokens int, attempt func(ctx context.Context) (usedTokens int, ae *attemptError)) (int, error) {
	max := c.cfg.Limits.MaxAttempts
	var last *attemptError
	for n := 1; ; n++ {
		if err := c.limiter.acquire(ctx, estTokens); err != nil {
			return n - 1, err
		}
		actx, cancel := context.WithTimeout(ctx, c.cfg.Endpoint.Timeout)
		used, ae := attempt(actx)
		cancel()
		c.limiter.release()
		c.limiter.settle(estTokens, used)
		if ae == nil {
			return n, nil
		}
		if err := ctx.Err(); err != nil {
			return n, err
		}
		last = ae
		if !ae.err.Retryable {
			return n, ae.err
		}
		if n >= max {
			return n, fmt.Errorf("gave up after %d attempts: %w", n, last.err)
		}
		if err := c.sleep(ctx, c.backoff(n, ae.retryAfter)); err != nil {
			return n, err
		}
	}
}

// backoff is the wait after the n-th failed attempt: what the endpoint asked for
// when it said, else an exponential delay with jitter in [d/2, d].
func (c *Caller) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, maxRetryAfter)
	}
	d := c.baseBackoff << min(n-1, 20)
	if d > c.maxBackoff || d <= 0 {
		d = c.maxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfter reads Retry-After-Ms (milliseconds) or Retry-After (seconds or an
// HTTP date) from h.
func retryAfter(h http.Header, now time.Time) time.Duration {
	if h == nil {
		return 0
	}
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// retryableStatus reports the statuses worth another attempt: 408, 409 (OpenAI's
// lock timeout), 429 and every 5xx.
func retryableStatus(status int) bool {
	return status == http.StatusRequestTimeout || status == http.StatusConflict ||
		status == http.StatusTooManyRequests || status >= 500
}

// transportError classifies an error that came without an HTTP answer: a
// timeout or a broken connection may succeed later.
func transportError(err error) *attemptError {
	msg := err.Error()
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		msg = "timed out: " + msg
	}
	return &attemptError{err: &judging.EndpointError{Status: 0, Message: msg, Retryable: true}}
}

// estimateTokens guesses a request's tokens before it is sent, for the token
// budget: about four bytes a token, plus what the reply may use.
func estimateTokens(text int, maxTokens any) int {
	est := text/4 + 8
	if f, ok := maxTokens.(float64); ok && f > 0 {
		est += int(f)
	}
	return est
}

// endpointMessage extracts the message of an error body: OpenAI's
// {"error": {"message"}}, vLLM's {"message"} or {"detail"}, else the body text.
func endpointMessage(body []byte, status int) string {
	var shaped struct {
		Error   any    `json:"error"`
		Message string `json:"message"`
		Detail  any    `json:"detail"`
	}
	if json.Unmarshal(body, &shaped) == nil {
		switch e := shaped.Error.(type) {
		case map[string]any:
			if m, ok := e["message"].(string); ok && m != "" {
				return m
			}
		case string:
			if e != "" {
				return e
			}
		}
		if shaped.Message != "" {
			return shaped.Message
		}
		if d, ok := shaped.Detail.(string); ok && d != "" {
			return d
		}
	}
	text := strings.TrimSpace(string(bytes.ToValidUTF8(body, []byte("?"))))
	if len(text) > 500 {
		text = text[:500] + "…"
	}
	if text == "" {
		return http.StatusText(status)
	}
	return text
}
