package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// maxRewardBody bounds a reward endpoint's answer.
const maxRewardBody = 8 << 20

// Reward asks a reward model for a score: protocol vllm-classify posts
// {"model", "input"} to vLLM's /classify route (at the server root: base_url less
// a trailing /v1); protocol json posts the rendered body to base_url. The reply
// body is returned whole; the judge reads the score from it.
func (c *Caller) Reward(ctx context.Context, req judging.RewardRequest) (judging.RewardReply, error) {
	e := c.cfg.Endpoint
	var url string
	var body []byte
	switch e.Protocol {
	case judging.ProtocolVLLMClassify:
		url = strings.TrimSuffix(strings.TrimRight(e.BaseURL, "/"), "/v1") + "/classify"
		b, err := json.Marshal(struct {
			Model string `json:"model"`
			Input string `json:"input"`
		}{req.Model, req.Input})
		if err != nil {
			return judging.RewardReply{}, err
		}
		body = b
	case judging.ProtocolJSON:
		url, body = e.BaseURL, req.Body
	default:
		return judging.RewardReply{}, fmt.Errorf("judge %q: protocol %s serves no reward requests", c.cfg.Name, e.Protocol)
	}
	var reply judging.RewardReply
	start := time.Now()
	attempts, err := c.do(ctx, estimateTokens(len(body), nil), func(actx context.Context) (int, *attemptError) {
		raw, tokens, ae := c.post(actx, url, body)
		if ae != nil {
			return 0, ae
		}
		reply.Raw, reply.InputTokens = raw, tokens
		return tokens, nil
	})
	reply.Attempts = attempts
	reply.Latency = time.Since(start)
	return reply, err
}

// post sends one JSON request and returns the body of a 2xx answer, which must be
// JSON, with its usage.prompt_tokens when present.
func (c *Caller) post(ctx context.Context, url string, body []byte) (json.RawMessage, int, *attemptError) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, &attemptError{err: &judging.EndpointError{Message: err.Error()}}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	for k, v := range c.cfg.Endpoint.Headers {
		hreq.Header.Set(k, v)
	}
	if c.apiKey != "" {
		hreq.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.httpClient.Do(hreq)
	if err != nil {
		return nil, 0, transportError(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRewardBody))
	if err != nil {
		return nil, 0, transportError(err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, 0, &attemptError{
			err:        &judging.EndpointError{Status: resp.StatusCode, Message: endpointMessage(data, resp.StatusCode), Retryable: retryableStatus(resp.StatusCode)},
			retryAfter: retryAfter(resp.Header, time.Now()),
		}
	}
	var usage struct {
		Usage struct {
			PromptTokens int `json:"prompt_tokens"`
		} `json:"usage"`
	}
	if !json.Valid(data) {
		return nil, 0, &attemptError{err: &judging.EndpointError{Status: resp.StatusCode, Message: "unreadable response body: not JSON", Retryable: true}}
	}
	_ = json.Unmarshal(data, &usage)
	return json.RawMessage(data), usage.Usage.PromptTokens, nil
}
