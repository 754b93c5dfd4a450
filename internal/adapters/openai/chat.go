package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
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
	body, opts, err := chatParams(req)
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
		_, err := c.chat.svc.New(actx, body, append(opts, option.WithResponseInto(&httpResp), option.WithResponseBodyInto(&raw))...)
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

// chatParams maps a judge request onto the client's parameters. Params the client
// types (temperature, seed, max_tokens, top_logprobs) are set as such; logprobs is
// switched on when top_logprobs is asked for; every other param (response_format,
// vendor fields such as top_k or chat_template_kwargs) is set on the JSON body as
// given.
func chatParams(req judging.ChatRequest) (sdk.ChatCompletionNewParams, []option.RequestOption, error) {
	p := sdk.ChatCompletionNewParams{Model: req.Model}
	for _, m := range req.Messages {
		switch m.Role {
		case "system":
			msg := sdk.ChatCompletionSystemMessageParam{Content: sdk.ChatCompletionSystemMessageParamContentUnion{OfString: sdk.String(m.Content)}}
			if m.Name != "" {
				msg.Name = sdk.String(m.Name)
			}
			p.Messages = append(p.Messages, sdk.ChatCompletionMessageParamUnion{OfSystem: &msg})
		case "user":
			p.Messages = append(p.Messages, sdk.UserMessage(m.Content))
		case "assistant":
			p.Messages = append(p.Messages, sdk.AssistantMessage(m.Content))
		default:
			return p, nil, fmt.Errorf("message role %q is not system, user or assistant", m.Role)
		}
	}
	var opts []option.RequestOption
	names := make([]string, 0, len(req.Params))
	for k := range req.Params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		v := req.Params[k]
		f, isNum := v.(float64)
		switch {
		case k == "temperature" && isNum:
			p.Temperature = sdk.Float(f)
		case k == "seed" && isNum && f == math.Trunc(f):
			p.Seed = sdk.Int(int64(f))
		case k == "max_tokens" && isNum && f == math.Trunc(f):
			p.MaxTokens = sdk.Int(int64(f))
		case k == "top_logprobs" && isNum && f == math.Trunc(f):
			if f > 0 {
				p.TopLogprobs = sdk.Int(int64(f))
				p.Logprobs = sdk.Bool(true)
			}
		case k == "logprobs":
			// Set together with top_logprobs above.
		default:
			opts = append(opts, option.WithJSONSet(k, v))
		}
	}
	return p, opts, nil
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
