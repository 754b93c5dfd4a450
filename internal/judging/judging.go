// Package judging is the judging core: a judge configuration, the templates that
// turn an instruction and outputs into chat messages, the parsers that turn a
// judge model's reply into a verdict, and the order policies of pairwise judges.
//
// It talks to endpoints only through the Caller interface (implemented by
// internal/adapters/openai) and stores nothing: a Judge returns each call with its
// provenance (messages, raw reply, request hash, order shown, parsed verdict or
// parse error, tokens, cost), and callers decide what to keep. A pairwise verdict
// is always P(Output2 better), whatever order the judge was shown.
package judging

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// messageJSON is a chat message as request hashes and MessagesJSON encode it:
// role, content, and name when set (ChatML roles such as "system name=example_user").
type messageJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
	Name    string `json:"name,omitempty"`
}

// toMessagesJSON keeps nil for nil, which encodes as null.
func toMessagesJSON(msgs []domain.Message) []messageJSON {
	if msgs == nil {
		return nil
	}
	out := make([]messageJSON, len(msgs))
	for i, m := range msgs {
		out[i] = messageJSON{Role: m.Role, Content: m.Content, Name: m.Name}
	}
	return out
}

// TopLogprob is one candidate token at a position, with its log probability.
type TopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

// TokenLogprob is one generated token with the most likely candidates at its
// position.
type TokenLogprob struct {
	Token       string       `json:"token"`
	Logprob     float64      `json:"logprob"`
	TopLogprobs []TopLogprob `json:"top_logprobs"`
}

// ChatRequest is one chat-completions request: the judge's model, the messages
// and the configured params (temperature, seed, max_tokens, top_logprobs,
// response_format and any vendor fields, passed through).
type ChatRequest struct {
	Model    string
	Messages []domain.Message
	// MessagesJSON, when set, is Messages as a JSON array of {role, content,
	// name} objects (a Judge encodes them once, for the request hash), so a caller
	// may send it as is rather than encode the messages again.
	MessagesJSON json.RawMessage
	Params       map[string]any
}

// ChatReply is what came back, kept whole for provenance.
type ChatReply struct {
	Content string `json:"content"`
	// Logprobs holds the generated tokens with their top logprobs, when asked for.
	Logprobs          []TokenLogprob `json:"logprobs,omitempty"`
	FinishReason      string         `json:"finish_reason,omitempty"`
	SystemFingerprint string         `json:"system_fingerprint,omitempty"`
	InputTokens       int            `json:"input_tokens"`
	OutputTokens      int            `json:"output_tokens"`
	// Raw is the endpoint's response body as received.
	Raw json.RawMessage `json:"raw,omitempty"`
	// Attempts counts the HTTP requests made, retries included.
	Attempts int           `json:"attempts"`
	Latency  time.Duration `json:"latency"`
}

// RewardRequest asks a reward model for a score. Input is the text (protocol
// vllm-classify); Body is the complete JSON body (protocol json).
type RewardRequest struct {
	Model string
	Input string
	Body  json.RawMessage
}

// RewardReply is a reward endpoint's answer; the judge reads the score from Raw at
// the configured JSON pointer.
type RewardReply struct {
	Raw         json.RawMessage
	InputTokens int
	Attempts    int
	Latency     time.Duration
}

// Caller sends requests to a judge's endpoint, retrying what may succeed later.
// Its errors are final; an HTTP error answer comes as a wrapped *EndpointError.
// Implementations must be safe for concurrent use.
type Caller interface {
	Chat(ctx context.Context, req ChatRequest) (ChatReply, error)
	Reward(ctx context.Context, req RewardRequest) (RewardReply, error)
}

// EndpointError is an endpoint's error answer (Status > 0) or a failure to reach
// it (Status 0). Message is the endpoint's own message when it sent one.
type EndpointError struct {
	Status    int
	Message   string
	Retryable bool
}

func (e *EndpointError) Error() string {
	if e.Status == 0 {
		return "judge endpoint unreachable: " + e.Message
	}
	return fmt.Sprintf("judge endpoint answered %d: %s", e.Status, e.Message)
}

// Cache finds a stored reply to a request hash, so a repeated request costs
// nothing. A reward reply is cached as a ChatReply whose Raw is the reward body.
type Cache interface {
	Lookup(ctx context.Context, requestHash string) (ChatReply, bool, error)
}

// Options are a Judge's optional collaborators.
type Options struct {
	// Cache, when not nil, is asked before every call.
	Cache Cache
}

// Pair is one pairwise judgment to make.
type Pair struct {
	// Key seeds order "random" (the prompt id, say): the same key is always shown
	// in the same order. An empty Key seeds it with the instruction.
	Key         string
	Instruction string
	Output1     string
	Output2     string
}

// Point is one pointwise (or reward) judgment to make.
type Point struct {
	Key         string
	Instruction string
	Output      string
	Reference   string
}

// The orders a pair can be shown in.
const (
	// Shown12 shows Output1 first.
	Shown12 = "12"
	// Shown21 shows Output2 first.
	Shown21 = "21"
)

// Call is one request to the judge's endpoint (or its cached answer) with
// everything needed to audit it.
type Call struct {
	// Order is "12" when Output1 was shown first, "21" when swapped; "" for
	// pointwise and reward judges.
	Order string
	// RequestHash is the sha256 (hex) of the canonical request: model, messages
	// and params (for reward judges: model, protocol and input or body).
	RequestHash string
	Messages    []domain.Message
	Reply       ChatReply
	// Verdict is this call's parsed result: P(Output2 better), mapped back from
	// the order shown, or the score; nil when the reply could not be parsed.
	Verdict    *float64
	ParseError string
	// Cost is the call's price from its token usage; 0 when Cached.
	Cost   float64
	Cached bool
}

// PairResult is a pairwise judgment.
type PairResult struct {
	// Preference is P(Output2 better) in [0, 1]; nil when there is no verdict
	// (a reply could not be parsed).
	Preference *float64
	// Identical reports equal outputs, judged a tie (0.5) without a call.
	Identical  bool
	Calls      []Call
	ParseError string
}

// PointResult is a pointwise or reward judgment.
type PointResult struct {
	Score      *float64
	Calls      []Call
	ParseError string
}
