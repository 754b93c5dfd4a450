package openai_test

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// judgeConfig is a pairwise logprobs judge on srv with the given extra JSON
// members (limits, params, ...).
func judgeConfig(t *testing.T, srv *openaitest.Server, extra string) judging.Config {
	t.Helper()
	js := `{"name": "t", "kind": "pairwise", "order": "fixed",
		"endpoint": {"base_url": "` + srv.BaseURL() + `", "model": "judge-1", "api_key_env": "JUDGE_KEY", "timeout": "2s",
		             "headers": {"X-Trace": "abc"}},
		"template": "<|im_start|>system name=example_user\nhello\n<|im_end|>\n<|im_start|>user\n{instruction}|{output_1}|{output_2}\n<|im_end|>",
		"parser": {"type": "logprobs", "first": "m", "second": "M"},
		"params": {"temperature": 0, "seed": 42, "max_tokens": 1, "top_logprobs": 5, "top_k": 20,
		           "response_format": {"type": "text"}},
		"price": {"input_per_million": 2, "output_per_million": 8}` + extra + `}`
	cfg, err := judging.DecodeConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func newCallers() *openai.Callers {
	return openai.NewCallers(env(map[string]string{"JUDGE_KEY": "sk-test-key-123456"}), nil).WithBackoff(time.Millisecond, 5*time.Millisecond)
}

func lpReply(pFirst float64) openaitest.Reply {
	tok := "m"
	if pFirst < 0.5 {
		tok = "M"
	}
	return openaitest.Reply{Content: tok, FinishReason: "length", Tokens: []openaitest.Token{{Token: tok, Logprob: -0.1, TopLogprobs: []openaitest.Candidate{
		{Token: "m", Logprob: math.Log(pFirst)}, {Token: "M", Logprob: math.Log(1 - pFirst)}, {Token: "The", Logprob: -9}}}}}
}

func TestChatRequestAndReply(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-must-not-leak")
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-test-key-123456", Fingerprint: "fp_44709d6fcb",
		Chat: func(openaitest.Request) openaitest.Reply { r := lpReply(0.25); r.PromptTokens = 1000; return r }})
	cfg := judgeConfig(t, srv, "")
	caller, err := newCallers().For("t", cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := judging.New(cfg, caller, judging.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Pair(context.Background(), judging.Pair{Key: "k", Instruction: "q", Output1: "a", Output2: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Preference == nil || math.Abs(*res.Preference-0.75) > 1e-12 {
		t.Errorf("preference = %v, want 0.75", res.Preference)
	}
	c := res.Calls[0]
	r := c.Reply
	if r.Content != "M" || r.FinishReason != "length" || r.SystemFingerprint != "fp_44709d6fcb" || r.InputTokens != 1000 ||
		r.OutputTokens != 1 || r.Attempts != 1 || len(r.Logprobs) != 1 || len(r.Logprobs[0].TopLogprobs) != 3 {
		t.Errorf("reply = %+v", r)
	}
	var raw map[string]any
	if err := json.Unmarshal(r.Raw, &raw); err != nil || raw["object"] != "chat.completion" {
		t.Errorf("raw body = %s (%v)", r.Raw, err)
	}
	if want := (1000*2 + 1*8) / 1e6; math.Abs(c.Cost-want) > 1e-15 {
		t.Errorf("cost = %v, want %v", c.Cost, want)
	}

	reqs := srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	q := reqs[0]
	if q.Model != "judge-1" || !q.Logprobs || q.TopLogprobs != 5 || q.Body["seed"] != 42.0 || q.Body["max_tokens"] != 1.0 ||
		q.Body["temperature"] != 0.0 || q.Body["top_k"] != 20.0 {
		t.Errorf("request body = %v", q.Body)
	}
	if rf, _ := q.Body["response_format"].(map[string]any); rf["type"] != "text" {
		t.Errorf("response_format = %v", q.Body["response_format"])
	}
	want := []domain.Message{{Role: "system", Name: "example_user", Content: "hello"}, {Role: "user", Content: "q|a|b"}}
	if len(q.Messages) != 2 || q.Messages[0] != want[0] || q.Messages[1] != want[1] {
		t.Errorf("messages = %+v, want %+v", q.Messages, want)
	}
	if got := q.Header.Get("Authorization"); got != "Bearer sk-test-key-123456" {
		t.Errorf("Authorization = %q", got)
	}
	if q.Header.Get("X-Trace") != "abc" {
		t.Errorf("custom header missing: %v", q.Header)
	}
	if h, _ := judging.RequestHash(judging.ChatRequest{Model: "judge-1", Messages: c.Messages, Params: cfg.Params}); h != c.RequestHash {
		t.Errorf("request hash %s, want %s", c.RequestHash, h)
	}
}

func TestNoKeyLeaks(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-must-not-leak")
	srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply { return lpReply(0.5) }})
	cfg := judgeConfig(t, srv, "")
	cfg.Endpoint.APIKeyEnv = ""
	caller, err := newCallers().For("t", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := caller.Chat(context.Background(), judging.ChatRequest{Model: "judge-1", Messages: []domain.Message{{Role: "user", Content: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if got := srv.Requests()[0].Header.Get("Authorization"); got != "" {
		t.Errorf("a judge without api_key_env sent Authorization %q (from the process environment)", got)
	}
	// A named variable that is unset is an error that names the variable only.
	cfg.Endpoint.APIKeyEnv = "MISSING_KEY"
	_, err = openai.NewCallers(env(nil), nil).For("t", cfg)
	if err == nil || !strings.Contains(err.Error(), "MISSING_KEY") {
		t.Errorf("unset key variable: err = %v", err)
	}
}

func chatOnce(t *testing.T, caller judging.Caller) (judging.ChatReply, error) {
	t.Helper()
	return caller.Chat(context.Background(), judging.ChatRequest{Model: "judge-1",
		Messages: []domain.Message{{Role: "user", Content: "x"}}, Params: map[string]any{"top_logprobs": 5.0}})
}

func TestRetries(t *testing.T) {
	type step = openaitest.Reply
	tooMany := step{Status: 429, RetryAfterMs: "150", ErrorMessage: "Rate limit reached", ErrorCode: "rate_limit_exceeded"}
	serverErr := step{Status: 500, ErrorMessage: "The server had an error"}
	tests := []struct {
		name         string
		script       []step // one per attempt; the last repeats
		maxAttempts  int
		wantAttempts int
		wantStatus   int // 0: success
		wantMsg      string
		retryable    bool
		minElapsed   time.Duration
	}{
		{"429 honours retry-after-ms", []step{tooMany, lpReply(0.5)}, 5, 2, 0, "", false, 150 * time.Millisecond},
		{"429 honours Retry-After seconds", []step{{Status: 429, RetryAfter: "1"}, lpReply(0.5)}, 5, 2, 0, "", false, time.Second},
		{"500s then success", []step{serverErr, serverErr, lpReply(0.5)}, 5, 3, 0, "", false, 0},
		{"503 until attempts run out", []step{{Status: 503, ErrorMessage: "overloaded"}}, 3, 3, 503, "overloaded", true, 0},
		{"400 fails at once", []step{{Status: 400, ErrorMessage: "Invalid 'max_tokens': integer below minimum value."}, lpReply(0.5)}, 5, 1, 400, "Invalid 'max_tokens'", false, 0},
		{"401 fails at once", []step{{Status: 401, ErrorMessage: "Incorrect API key provided: sk-***."}}, 5, 1, 401, "Incorrect API key", false, 0},
		{"403 fails at once", []step{{Status: 403, ErrorMessage: "Country, region, or territory not supported"}}, 5, 1, 403, "not supported", false, 0},
		{"404 fails at once", []step{{Status: 404, ErrorMessage: "The model `gpt-9` does not exist or you do not have access to it."}}, 5, 1, 404, "does not exist", false, 0},
		{"slow reply times out and is retried", []step{{Delay: 3 * time.Second}, lpReply(0.5)}, 5, 2, 0, "", false, 0},
		{"malformed body is retried", []step{{Body: []byte(`{"id": "x", "choices": [`)}, lpReply(0.5)}, 5, 2, 0, "", false, 0},
		{"malformed body until attempts run out", []step{{Body: []byte(`<html>bad gateway</html>`)}}, 2, 2, 200, "unreadable", true, 0},
		{"no choices", []step{{Body: []byte(`{"id": "x", "object": "chat.completion", "choices": []}`)}}, 2, 2, 200, "no choices", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int64
			srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply {
				i := int(n.Add(1)) - 1
				return tt.script[min(i, len(tt.script)-1)]
			}})
			cfg := judgeConfig(t, srv, `, "limits": {"max_attempts": `+itoa(tt.maxAttempts)+`}`)
			cfg.Endpoint.Timeout = 500 * time.Millisecond
			caller, err := newCallers().For("t", cfg)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			reply, err := chatOnce(t, caller)
			elapsed := time.Since(start)
			if int(n.Load()) != tt.wantAttempts || reply.Attempts != tt.wantAttempts {
				t.Errorf("attempts: server saw %d, reply says %d; want %d", n.Load(), reply.Attempts, tt.wantAttempts)
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v; the endpoint asked to wait %v", elapsed, tt.minElapsed)
			}
			if tt.wantStatus == 0 {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if reply.Content == "" {
					t.Errorf("empty reply %+v", reply)
				}
				return
			}
			var ee *judging.EndpointError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an EndpointError", err)
			}
			if ee.Status != tt.wantStatus || !strings.Contains(ee.Message, tt.wantMsg) || ee.Retryable != tt.retryable {
				t.Errorf("EndpointError = %+v; want status %d, message with %q, retryable %v", ee, tt.wantStatus, tt.wantMsg, tt.retryable)
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestMissingLogprobsIsAParseError(t *testing.T) {
	t.Parallel()
	srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply {
		r := lpReply(0.9)
		r.OmitLogprobs = true
		return r
	}})
	cfg := judgeConfig(t, srv, "")
	caller, _ := newCallers().For("t", cfg)
	j, _ := judging.New(cfg, caller, judging.Options{})
	res, err := j.Pair(context.Background(), judging.Pair{Key: "k", Output1: "a", Output2: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Preference != nil || !strings.Contains(res.ParseError, "no logprobs") {
		t.Errorf("reply without logprobs: %+v", res)
	}
}

func TestConcurrencyLimitIsSharedPerKey(t *testing.T) {
	t.Parallel()
	var inFlight, peak atomic.Int64
	srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply {
		cur := inFlight.Add(1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		return lpReply(0.5)
	}})
	cfg := judgeConfig(t, srv, `, "limits": {"concurrency": 3}`)
	callers := newCallers()
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Every worker asks for its own caller, as judge-run workers do.
			caller, err := callers.For("shared", cfg)
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := chatOnce(t, caller); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if p := peak.Load(); p != 3 {
		t.Errorf("peak concurrency = %d, want 3", p)
	}
	a, _ := callers.For("shared", cfg)
	b, _ := callers.For("shared", cfg)
	c, _ := callers.For("other", cfg)
	if a != b || a == c {
		t.Error("callers are not one per key")
	}
}

// limitedCaller returns a caller for srv with the given limits, under a timeout
// no run on a loaded machine reaches: these tests time the limiter, not the endpoint.
func limitedCaller(t *testing.T, srv *openaitest.Server, name, limits string) judging.Caller {
	t.Helper()
	cfg := judgeConfig(t, srv, `, "limits": `+limits)
	cfg.Endpoint.Timeout = time.Minute
	caller, err := newCallers().For(name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return caller
}

// burst makes n calls of send at once and returns how long they took together.
func burst(t *testing.T, n int, send func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := send(); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// TestRequestsPerMinute: 600 a minute is 10 a second with a burst of 600, so 605
// requests must take at least half a second. The same requests without the limit,
// sent first, are the baseline for how long they take on this machine (the race
// detector and a busy CPU make that seconds): the limit adds its half second to
// that, give or take the noise, and a limiter that waited for whole minutes or
// much longer than asked would exceed the bound.
func TestRequestsPerMinute(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply { return lpReply(0.5) }})
	send := func(caller judging.Caller) func() error {
		return func() error { _, err := chatOnce(t, caller); return err }
	}
	base := burst(t, 605, send(limitedCaller(t, srv, "unlimited", `{"concurrency": 32}`)))
	d := burst(t, 605, send(limitedCaller(t, srv, "rpm", `{"concurrency": 32, "requests_per_minute": 600}`)))
	t.Logf("605 requests: %v unlimited, %v at 600/min", base, d)
	if limit := 3*base + 5*500*time.Millisecond; d < 450*time.Millisecond || d > limit {
		t.Errorf("605 requests at 600/min took %v, want at least 0.5s and at most %v (3 × the %v they took unlimited, plus 5 × 0.5s)", d, limit, base)
	}
}

func TestReward(t *testing.T) {
	t.Parallel()
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-test-key-123456", Classify: func(r openaitest.ClassifyRequest) openaitest.ClassifyReply {
		if strings.Contains(r.Input, "fail") {
			return openaitest.ClassifyReply{Status: 400, ErrorMessage: "This model's maximum context length is 4096 tokens."}
		}
		return openaitest.ClassifyReply{Probs: []float64{0.125, 0.875}}
	}})
	cfg, err := judging.DecodeConfig([]byte(`{"name": "rm", "kind": "reward", "price": {"input_per_million": 1},
		"endpoint": {"base_url": "` + srv.BaseURL() + `", "model": "rm-1", "api_key_env": "JUDGE_KEY", "protocol": "vllm-classify",
		             "score_pointer": "/data/0/probs/1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	caller, err := newCallers().For("rm", cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, _ := judging.New(cfg, caller, judging.Options{})
	res, err := j.Point(context.Background(), judging.Point{Instruction: "q", Output: "answer"})
	if err != nil || res.Score == nil || *res.Score != 0.875 || res.Calls[0].Reply.InputTokens == 0 {
		t.Fatalf("classify: %+v, %v", res, err)
	}
	got := srv.ClassifyRequests()[0]
	if got.Model != "rm-1" || got.Input != "q\n\nanswer" || got.Header.Get("Authorization") != "Bearer sk-test-key-123456" {
		t.Errorf("classify request = %+v", got)
	}
	_, err = j.Point(context.Background(), judging.Point{Instruction: "q", Output: "fail"})
	var ee *judging.EndpointError
	if !errors.As(err, &ee) || ee.Status != 400 || !strings.Contains(ee.Message, "maximum context length") {
		t.Errorf("classify 400: %v", err)
	}
}

func TestRewardJSONProtocol(t *testing.T) {
	t.Parallel()
	var calls atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("POST /score", func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			http.Error(w, `{"error": "busy"}`, http.StatusServiceUnavailable)
			return
		}
		var body struct{ Prompt, Response string }
		_ = json.NewDecoder(r.Body).Decode(&body)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"result": map[string]any{"score": float64(len(body.Response))}})
	})
	srv := newHTTPServer(t, mux)
	cfg, err := judging.DecodeConfig([]byte(`{"name": "rmj", "kind": "reward",
		"endpoint": {"base_url": "` + srv + `/score", "protocol": "json", "score_pointer": "/result/score",
		             "body_template": {"prompt": "{instruction}", "response": "{output}"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	caller, _ := newCallers().For("rmj", cfg)
	j, _ := judging.New(cfg, caller, judging.Options{})
	res, err := j.Point(context.Background(), judging.Point{Instruction: "q", Output: "a \"quoted\"\nanswer"})
	if err != nil || res.Score == nil || *res.Score != float64(len("a \"quoted\"\nanswer")) || res.Calls[0].Reply.Attempts != 2 {
		t.Errorf("json reward: %+v, %v", res, err)
	}
}

// TestTokensPerMinute: 600,000 tokens a minute is 10,000 a second with a burst of
// 600,000. Each request is about 10,000 tokens, so 61 of them overrun the burst by
// about one second's worth. As in TestRequestsPerMinute, the same requests without
// the limit are the baseline for the upper bound.
func TestTokensPerMinute(t *testing.T) {
	srv := openaitest.New(t, openaitest.Options{Chat: func(openaitest.Request) openaitest.Reply { return lpReply(0.5) }})
	big := strings.Repeat("word ", 8000)
	send := func(caller judging.Caller) func() error {
		return func() error {
			_, err := caller.Chat(context.Background(), judging.ChatRequest{Model: "judge-1",
				Messages: []domain.Message{{Role: "user", Content: big}}, Params: map[string]any{"max_tokens": 1.0}})
			return err
		}
	}
	base := burst(t, 61, send(limitedCaller(t, srv, "unlimited", `{"concurrency": 64}`)))
	d := burst(t, 61, send(limitedCaller(t, srv, "tpm", `{"concurrency": 64, "tokens_per_minute": 600000}`)))
	t.Logf("61 requests: %v unlimited, %v at 600,000 tokens/min", base, d)
	if limit := 3*base + 5*time.Second; d < 800*time.Millisecond || d > limit {
		t.Errorf("61 requests of 10,000 tokens at 600,000/min took %v, want at least 0.8s and at most %v (3 × the %v they took unlimited, plus 5 × 1s)", d, limit, base)
	}
}
