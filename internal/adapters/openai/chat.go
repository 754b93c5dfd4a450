package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// chatService is the official client's chat-completions service, built without
// the client's environment defaults (OPENAI_API_KEY, OPENAI_BASE_URL, ...), so a
// judge only ever sends the key its own api_key_env names to its own base URL.
// The client's own retries are off: Caller.do retries, so that every attempt
// passes the shared limiter and is counted.
type chatService struct {
	svc sdk.ChatCompletionService
}

func newChatService(cfg judging.Config, apiKey string, hc *http.Client) chatService {
	opts := []option.RequestOption{
		option.WithBaseURL(cfg.Endpoint.BaseURL),
		option.WithHTTPClient(hc),
		option.WithAPIKey(apiKey),
		option.WithMaxRetries(0),
	}
	keys := make([]string, 0, len(cfg.Endpoint.Headers))
	for k := range cfg.Endpoint.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		opts = append(opts, option.WithHeader(k, cfg.Endpoint.Headers[k]))
	}
	return chatService{svc: sdk.NewChatCompletionService(opts...)}
}

// Chat sends one chat-completions request, retrying as the judge's limits allow.
func (c *Caller) Chat(ctx context.Context, req judging.ChatRequest) (judging.ChatReply, error) {
	body, err := chatBody(req)
	if err != nil {
		return judging.ChatReply{}, err
	}
	text := 0
	for _, m := range req.Messages {
		text += len(m.Content)
	}
	est := estimateTokens(text, req.Params["max_tokens"])
	var reply judging.ChatReply
	start := time.Now()
	attempts, err := c.do(ctx, est, func(actx context.Context) (int, *attemptError) {
		var httpResp *http.Response
		var raw []byte
		// The body is encoded here once for every attempt; the client sends it
		// as given instead of marshalling its own (large) parameter type.
		_, err := c.chat.svc.New(actx, sdk.ChatCompletionNewParams{}, option.WithRequestBody("application/json", body),
			option.WithResponseInto(&httpResp), option.WithResponseBodyInto(&raw))
		if err != nil {
			return 0, chatError(err, httpResp)
		}
		r, perr := toReply(raw)
		if perr != nil {
			return 0, &attemptError{err: &judging.EndpointError{Status: httpResp.StatusCode, Message: perr.Error(), Retryable: true}}
		}
		reply = r
		return r.InputTokens + r.OutputTokens, nil
	})
	reply.Attempts = attempts
	reply.Latency = time.Since(start)
	if err != nil {
		return reply, err
	}
	return reply, nil
}

// chatMessage is a chat-completions message on the wire.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	Name    string `json:"name,omitempty"`
}

// chatBody encodes a judge request as a chat-completions body: the model, the
// messages (system messages keep their name) and the params in name order, each
// as given, except that logprobs is switched on when an integer top_logprobs
// above 0 is asked for (and top_logprobs 0 asks for nothing).
func chatBody(req judging.ChatRequest) ([]byte, error) {
	msgs := []byte(req.MessagesJSON)
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
		case "user", "assistant":
			if m.Name != "" {
				msgs = nil // sent without the name
			}
		default:
			return nil, fmt.Errorf("message role %q is not system, user or assistant", m.Role)
		}
	}
	if msgs == nil {
		shown := make([]chatMessage, len(req.Messages))
		for i, m := range req.Messages {
			shown[i] = chatMessage{Role: m.Role, Content: m.Content}
			if m.Role == "system" {
				shown[i].Name = m.Name
			}
		}
		var err error
		if msgs, err = json.Marshal(shown); err != nil {
			return nil, fmt.Errorf("encode messages: %w", err)
		}
	}
	model, err := json.Marshal(req.Model)
	if err != nil {
		return nil, fmt.Errorf("encode model: %w", err)
	}
	b := make([]byte, 0, len(msgs)+len(model)+64+32*len(req.Params))
	b = append(append(append(b, `{"model":`...), model...), `,"messages":`...)
	b = append(b, msgs...)
	names := make([]string, 0, len(req.Params))
	for k := range req.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := req.Params[k]
		if f, isNum := v.(float64); k == "top_logprobs" && isNum && f == math.Trunc(f) {
			if f > 0 {
				b = append(b, `,"top_logprobs":`...)
				b = strconv.AppendInt(b, int64(f), 10)
				b = append(b, `,"logprobs":true`...)
			}
			continue
		}
		if k == "logprobs" {
			continue // set together with top_logprobs above
		}
		name, err := json.Marshal(k)
		if err != nil {
			return nil, fmt.Errorf("encode param %q: %w", k, err)
		}
		value, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("encode param %q: %w", k, err)
		}
		b = append(append(append(append(b, ','), name...), ':'), value...)
	}
	return append(b, '}'), nil
}

// completion is the part of a chat completion the judge keeps. The body is
// decoded here rather than into the client's ChatCompletion: the client's
// decoder of that large type costs several times the CPU of this one, and the
// raw body is kept whole anyway.
type completion struct {
	Choices []struct {
		FinishReason string `json:"finish_reason"`
		Message      struct {
			Content *string `json:"content"`
		} `json:"message"`
		Logprobs *struct {
			Content []judging.TokenLogprob `json:"content"`
		} `json:"logprobs"`
	} `json:"choices"`
	SystemFingerprint string `json:"system_fingerprint"`
	Usage             struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
	} `json:"usage"`
}

// toReply reads what the judge needs from a completion body; a body that is not
// a completion with a choice is unreadable.
func toReply(raw []byte) (judging.ChatReply, error) {
	var res completion
	if err := json.Unmarshal(raw, &res); err != nil {
		return judging.ChatReply{}, fmt.Errorf("unreadable response body: %v", err)
	}
	if len(res.Choices) == 0 {
		return judging.ChatReply{}, errors.New("unreadable response body: the completion has no choices")
	}
	ch := res.Choices[0]
	r := judging.ChatReply{
		FinishReason:      ch.FinishReason,
		SystemFingerprint: res.SystemFingerprint,
		InputTokens:       res.Usage.PromptTokens,
		OutputTokens:      res.Usage.CompletionTokens,
		Raw:               json.RawMessage(raw),
	}
	if ch.Message.Content != nil {
		r.Content = *ch.Message.Content
	}
	if ch.Logprobs != nil {
		r.Logprobs = ch.Logprobs.Content
	}
	return r, nil
}

// chatError classifies a failed request: an HTTP error answer keeps the
// endpoint's own message and its Retry-After; anything else (timeouts, broken
// connections, bodies that are not a completion) may succeed later.
func chatError(err error, resp *http.Response) *attemptError {
	var apiErr *sdk.Error
	if errors.As(err, &apiErr) {
		msg := apiErr.Message
		if msg == "" {
			msg = endpointMessage([]byte(apiErr.RawJSON()), apiErr.StatusCode)
		}
		var h http.Header
		if apiErr.Response != nil {
			h = apiErr.Response.Header
		}
		return &attemptError{
			err:        &judging.EndpointError{Status: apiErr.StatusCode, Message: msg, Retryable: retryableStatus(apiErr.StatusCode)},
			retryAfter: retryAfter(h, time.Now()),
		}
	}
	if resp != nil && resp.StatusCode/100 == 2 {
		return &attemptError{err: &judging.EndpointError{Status: resp.StatusCode, Message: "unreadable response body: " + err.Error(), Retryable: true}}
	}
	return transportError(err)
}
