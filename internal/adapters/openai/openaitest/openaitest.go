// Package openaitest is a fake OpenAI chat-completions server (and a fake vLLM
// classification server) on httptest, for tests of code that calls judge
// endpoints. It answers with the real response shapes: choices[].message,
// choices[].logprobs.content[].top_logprobs with bytes, usage,
// system_fingerprint, finish_reason; errors as OpenAI's error JSON; 429 with
// Retry-After. It rejects what OpenAI rejects (no model, no messages,
// top_logprobs without logprobs, a wrong key). What it answers is scripted per
// test by a function of the request.
package openaitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Request is a chat-completions request as the server received it.
type Request struct {
	Model       string
	Messages    []domain.Message // as the server received them
	Logprobs    bool
	TopLogprobs int
	// Body is the whole decoded JSON body (params and vendor fields included).
	Body   map[string]any
	Header http.Header
}

// Candidate is one entry of a token's top_logprobs.
type Candidate struct {
	Token   string
	Logprob float64
}

// Token is one generated token with its top_logprobs.
type Token struct {
	Token       string
	Logprob     float64
	TopLogprobs []Candidate
}

// Reply is what the server answers to one request.
type Reply struct {
	// Status is the HTTP status (0: 200). A status ≥ 400 sends ErrorMessage as
	// OpenAI's error JSON, with ErrorType and ErrorCode.
	Status       int
	ErrorMessage string
	ErrorType    string
	ErrorCode    string
	// RetryAfter and RetryAfterMs set those headers as given.
	RetryAfter, RetryAfterMs string
	// Delay holds the answer back (the request's cancellation cuts it short).
	Delay time.Duration
	// Body, when set, is sent as it is instead of a completion (malformed bodies).
	Body []byte
	// Content is the assistant message; Tokens its tokens with their logprobs
	// (sent only when the request asked for logprobs; nil: one token, Content).
	Content string
	Tokens  []Token
	// FinishReason defaults to "stop".
	FinishReason string
	// PromptTokens and CompletionTokens default to estimates from the text.
	PromptTokens, CompletionTokens int
	// OmitLogprobs answers without logprobs even when they were asked for, as some
	// servers do.
	OmitLogprobs bool
}

// ClassifyRequest is a vLLM /classify request as the server received it.
type ClassifyRequest struct {
	Model  string
	Input  string
	Header http.Header
}

// ClassifyReply is what the server answers to a classify request: Probs for a
// 200, or Status and ErrorMessage for vLLM's error JSON.
type ClassifyReply struct {
	Status       int
	ErrorMessage string
	RetryAfter   string
	Probs        []float64
	Body         []byte
}

// Options script a server.
type Options struct {
	// Chat answers POST /v1/chat/completions (nil: every request gets "ok").
	Chat func(Request) Reply
	// Classify answers POST /classify (nil: 404).
	Classify func(ClassifyRequest) ClassifyReply
	// APIKey, when set, is the only bearer token accepted; others get 401.
	APIKey string
	// Fingerprint is the system_fingerprint (default "fp_fake").
	Fingerprint string
}

// Server is a running fake endpoint.
type Server struct {
	*httptest.Server
	opts Options

	mu       sync.Mutex
	requests []Request
	classify []ClassifyRequest
	seq      atomic.Int64
}

// New starts a fake server and stops it when the test ends.
func New(t interface{ Cleanup(func()) }, opts Options) *Server {
	s := &Server{opts: opts}
	if s.opts.Fingerprint == "" {
		s.opts.Fingerprint = "fp_fake"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /classify", s.classifyHandler)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Invalid URL (%s %s)", r.Method, r.URL.Path), "invalid_request_error", "", "")
	})
	s.Server = httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

// BaseURL is the URL an OpenAI client takes: the server's URL and /v1.
func (s *Server) BaseURL() string { return s.URL + "/v1" }

// Requests returns the chat requests received so far, in arrival order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// ClassifyRequests returns the classify requests received so far.
func (s *Server) ClassifyRequests() []ClassifyRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ClassifyRequest(nil), s.classify...)
}

func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if got == s.opts.APIKey {
		return true
	}
	if got == "" || got == r.Header.Get("Authorization") {
		writeError(w, http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).", "invalid_request_error", "", "")
		return false
	}
	writeError(w, http.StatusUnauthorized, "Incorrect API key provided: "+redact(got)+".", "invalid_request_error", "", "invalid_api_key")
	return false
}

func redact(key string) string {
	if len(key) <= 8 {
		return "****"
	}
	return key[:3] + "*****" + key[len(key)-4:]
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		writeError(w, http.StatusBadRequest, "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly.)", "invalid_request_error", "", "")
		return
	}
	req := Request{Body: body, Header: r.Header.Clone()}
	req.Model, _ = body["model"].(string)
	req.Logprobs, _ = body["logprobs"].(bool)
	if f, ok := body["top_logprobs"].(float64); ok {
		req.TopLogprobs = int(f)
	}
	if msgs, ok := body["messages"]; ok {
		var valid bool
		req.Messages, valid = toMessages(msgs)
		if !valid {
			writeError(w, http.StatusBadRequest, "Invalid type for 'messages': expected an array of message objects.", "invalid_request_error", "messages", "invalid_type")
			return
		}
	}
	switch {
	case req.Model == "":
		writeError(w, http.StatusBadRequest, "you must provide a model parameter", "invalid_request_error", "", "")
		return
	case len(req.Messages) == 0:
		writeError(w, http.StatusBadRequest, "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "invalid_request_error", "messages", "empty_array")
		return
	case req.TopLogprobs > 20:
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got %d instead.", req.TopLogprobs), "invalid_request_error", "top_logprobs", "integer_above_max_value")
		return
	case body["top_logprobs"] != nil && !req.Logprobs:
		writeError(w, http.StatusBadRequest, "Invalid value for 'top_logprobs': `logprobs` must be set to true when `top_logprobs` is set.", "invalid_request_error", "top_logprobs", "invalid_value")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()

	rep := Reply{Content: "ok"}
	if s.opts.Chat != nil {
		rep = s.opts.Chat(req)
	}
	if !wait(r.Context(), rep.Delay) {
		return
	}
	setRetryHeaders(w, rep.RetryAfter, rep.RetryAfterMs)
	switch {
	case rep.Status >= 400:
		writeError(w, rep.Status, rep.ErrorMessage, rep.ErrorType, "", rep.ErrorCode)
		return
	case rep.Body != nil:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(statusOr200(rep.Status))
		_, _ = w.Write(rep.Body)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("openai-processing-ms", strconv.Itoa(int(rep.Delay/time.Millisecond)))
	_ = json.NewEncoder(w).Encode(s.completion(req, rep))
}

// toMessages reads the decoded messages array: objects with a string role and a
// string content (or null), and an optional string name.
func toMessages(v any) ([]domain.Message, bool) {
	arr, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]domain.Message, 0, len(arr))
	for _, e := range arr {
		m, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		role, okRole := m["role"].(string)
		content, okContent := m["content"].(string)
		if !okRole || (!okContent && m["content"] != nil) {
			return nil, false
		}
		name, _ := m["name"].(string)
		out = append(out, domain.Message{Role: role, Content: content, Name: name})
	}
	return out, true
}

func statusOr200(s int) int {
	if s == 0 {
		return http.StatusOK
	}
	return s
}

func wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func setRetryHeaders(w http.ResponseWriter, after, afterMs string) {
	if after != "" {
		w.Header().Set("Retry-After", after)
	}
	if afterMs != "" {
		w.Header().Set("retry-after-ms", afterMs)
	}
}

// The JSON shapes of a completion, field for field as OpenAI sends them.
type (
	wireCompletion struct {
		ID                string       `json:"id"`
		Object            string       `json:"object"`
		Created           int64        `json:"created"`
		Model             string       `json:"model"`
		Choices           []wireChoice `json:"choices"`
		Usage             wireUsage    `json:"usage"`
		ServiceTier       string       `json:"service_tier"`
		SystemFingerprint string       `json:"system_fingerprint"`
	}
	wireChoice struct {
		Index        int           `json:"index"`
		Message      wireMessage   `json:"message"`
		Logprobs     *wireLogprobs `json:"logprobs"`
		FinishReason string        `json:"finish_reason"`
	}
	wireMessage struct {
		Role        string  `json:"role"`
		Content     string  `json:"content"`
		Refusal     *string `json:"refusal"`
		Annotations []any   `json:"annotations"`
	}
	wireLogprobs struct {
		Content []wireToken `json:"content"`
		Refusal *string     `json:"refusal"`
	}
	wireToken struct {
		Token       string          `json:"token"`
		Logprob     float64         `json:"logprob"`
		Bytes       []int           `json:"bytes"`
		TopLogprobs []wireCandidate `json:"top_logprobs"`
	}
	wireCandidate struct {
		Token   string  `json:"token"`
		Logprob float64 `json:"logprob"`
		Bytes   []int   `json:"bytes"`
	}
	wireUsage struct {
		PromptTokens            int            `json:"prompt_tokens"`
		CompletionTokens        int            `json:"completion_tokens"`
		TotalTokens             int            `json:"total_tokens"`
		PromptTokensDetails     map[string]int `json:"prompt_tokens_details"`
		CompletionTokensDetails map[string]int `json:"completion_tokens_details"`
	}
)

func tokenBytes(s string) []int {
	out := make([]int, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = int(s[i])
	}
	return out
}

func (s *Server) completion(req Request, rep Reply) wireCompletion {
	finish := rep.FinishReason
	if finish == "" {
		finish = "stop"
	}
	prompt := rep.PromptTokens
	if prompt == 0 {
		for _, m := range req.Messages {
			prompt += len(m.Content)/4 + 4
		}
	}
	tokens := rep.Tokens
	if tokens == nil {
		tokens = []Token{{Token: rep.Content, Logprob: 0, TopLogprobs: []Candidate{{rep.Content, 0}}}}
	}
	completion := rep.CompletionTokens
	if completion == 0 {
		completion = len(tokens)
	}
	ch := wireChoice{
		Message:      wireMessage{Role: "assistant", Content: rep.Content, Annotations: []any{}},
		FinishReason: finish,
	}
	if req.Logprobs && !rep.OmitLogprobs {
		lp := &wireLogprobs{Content: []wireToken{}}
		for _, t := range tokens {
			wt := wireToken{Token: t.Token, Logprob: t.Logprob, Bytes: tokenBytes(t.Token), TopLogprobs: []wireCandidate{}}
			for i, c := range t.TopLogprobs {
				if i >= req.TopLogprobs {
					break
				}
				wt.TopLogprobs = append(wt.TopLogprobs, wireCandidate{Token: c.Token, Logprob: c.Logprob, Bytes: tokenBytes(c.Token)})
			}
			lp.Content = append(lp.Content, wt)
		}
		ch.Logprobs = lp
	}
	n := s.seq.Add(1)
	return wireCompletion{
		ID: fmt.Sprintf("chatcmpl-fake%06d", n), Object: "chat.completion", Created: time.Now().Unix(), Model: req.Model,
		Choices:           []wireChoice{ch},
		Usage:             wireUsage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion, PromptTokensDetails: map[string]int{"cached_tokens": 0, "audio_tokens": 0}, CompletionTokensDetails: map[string]int{"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}},
		ServiceTier:       "default",
		SystemFingerprint: s.opts.Fingerprint,
	}
}

// writeError sends OpenAI's error JSON.
func writeError(w http.ResponseWriter, status int, msg, typ, param, code string) {
	if typ == "" {
		typ = map[bool]string{true: "server_error", false: "invalid_request_error"}[status >= 500]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": msg, "type": typ, "param": nullable(param), "code": nullable(code),
	}})
}

func (s *Server) classifyHandler(w http.ResponseWriter, r *http.Request) {
	if s.opts.Classify == nil {
		writeVLLMError(w, http.StatusNotFound, "The model does not support Classification API")
		return
	}
	if !s.authorized(w, r) {
		return
	}
	var body struct {
		Model string `json:"model"`
		Input any    `json:"input"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeVLLMError(w, http.StatusBadRequest, "JSON decode error: "+err.Error())
		return
	}
	input, ok := body.Input.(string)
	if !ok || body.Model == "" {
		writeVLLMError(w, http.StatusBadRequest, "model and a string input are required")
		return
	}
	req := ClassifyRequest{Model: body.Model, Input: input, Header: r.Header.Clone()}
	s.mu.Lock()
	s.classify = append(s.classify, req)
	s.mu.Unlock()
	rep := s.opts.Classify(req)
	setRetryHeaders(w, rep.RetryAfter, "")
	switch {
	case rep.Status >= 400:
		writeVLLMError(w, rep.Status, rep.ErrorMessage)
		return
	case rep.Body != nil:
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(rep.Body)
		return
	}
	n := s.seq.Add(1)
	tokens := len(input)/4 + 1
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": fmt.Sprintf("classify-fake%06d", n), "object": "list", "created": time.Now().Unix(), "model": body.Model,
		"data":  []any{map[string]any{"index": 0, "label": "LABEL_0", "probs": rep.Probs, "num_classes": len(rep.Probs)}},
		"usage": map[string]any{"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0, "prompt_tokens_details": nil},
	})
}

// writeVLLMError sends vLLM's error JSON.
func writeVLLMError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"object": "error", "message": msg, "type": http.StatusText(status), "param": nil, "code": status,
	})
}

// Flaky wraps a chat script so that every every-th request fails, alternately
// with 429 (Retry-After-Ms retryAfterMs) and 500, but never a request (the same
// model, messages and params) that has failed before: a client that retries
// gets every answer on its second attempt at the latest.
func Flaky(every int, retryAfterMs string, next func(Request) Reply) func(Request) Reply {
	var mu sync.Mutex
	n, failures := 0, 0
	failed := map[string]bool{}
	return func(req Request) Reply {
		key, _ := json.Marshal(req.Body)
		mu.Lock()
		n++
		fail := every > 0 && n%every == 0 && !failed[string(key)]
		if fail {
			failed[string(key)] = true
			failures++
		}
		k := failures
		mu.Unlock()
		if !fail {
			return next(req)
		}
		if k%2 == 1 {
			return Reply{Status: http.StatusTooManyRequests, RetryAfterMs: retryAfterMs, ErrorType: "requests", ErrorCode: "rate_limit_exceeded",
				ErrorMessage: "Rate limit reached for requests. Please try again in " + retryAfterMs + "ms."}
		}
		return Reply{Status: http.StatusInternalServerError, ErrorType: "server_error",
			ErrorMessage: "The server had an error while processing your request. Sorry about that!"}
	}
}
