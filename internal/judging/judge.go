package judging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"strings"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Judge makes judgments with one configuration. It is safe for concurrent use.
type Judge struct {
	cfg    Config
	caller Caller
	cache  Cache
	// hashHead and hashTail are the canonical JSON of a chat request around its
	// messages (see RequestHash), encoded once: each call hashes
	// hashHead, its messages' JSON, hashTail.
	hashHead, hashTail []byte
}

// New returns a judge for cfg (which must be valid) calling through caller.
func New(cfg Config, caller Caller, opts Options) (*Judge, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("judge %q: %w", cfg.Name, err)
	}
	if caller == nil {
		return nil, fmt.Errorf("judge %q: no caller", cfg.Name)
	}
	j := &Judge{cfg: cfg, caller: caller, cache: opts.Cache}
	model, err := canonicalJSON(cfg.Endpoint.Model, 0)
	if err != nil {
		return nil, fmt.Errorf("judge %q: %w", cfg.Name, err)
	}
	params, err := canonicalJSON(nonNilParams(cfg.Params), 0)
	if err != nil {
		return nil, fmt.Errorf("judge %q: %w", cfg.Name, err)
	}
	j.hashHead = append(append([]byte(`{"model":`), model...), `,"messages":`...)
	j.hashTail = append(append([]byte(`,"params":`), params...), '}')
	return j, nil
}

// Config returns the judge's configuration.
func (j *Judge) Config() Config { return j.cfg }

// Pair judges which of two outputs is better. Identical outputs are a tie (0.5)
// without a call. A reply that cannot be parsed leaves Preference nil and says why
// in ParseError; the error return is for an endpoint that failed for good (or a
// cancelled ctx), with the calls made so far in the result.
func (j *Judge) Pair(ctx context.Context, p Pair) (PairResult, error) {
	if j.cfg.Kind != Pairwise {
		return PairResult{}, fmt.Errorf("judge %q is %s, not pairwise", j.cfg.Name, j.cfg.Kind)
	}
	if p.Output1 == p.Output2 {
		half := 0.5
		return PairResult{Preference: &half, Identical: true}, nil
	}
	key := p.Key
	if key == "" {
		key = p.Instruction // as AlpacaEval seeds its order
	}
	orders := j.orders(key)
	calls := make([]Call, len(orders))
	errs := make([]error, len(orders))
	if len(orders) == 1 {
		calls[0], errs[0] = j.pairCall(ctx, p, orders[0])
	} else {
		done := make(chan struct{})
		go func() {
			defer close(done)
			calls[1], errs[1] = j.pairCall(ctx, p, orders[1])
		}()
		calls[0], errs[0] = j.pairCall(ctx, p, orders[0])
		<-done
	}
	res := PairResult{}
	for i, err := range errs {
		if err != nil {
			res.Calls = calls[:i]
			return res, err
		}
	}
	res.Calls = calls
	var parseErrs []string
	for _, c := range calls {
		if c.Verdict == nil {
			parseErrs = append(parseErrs, fmt.Sprintf("order %s: %s", c.Order, c.ParseError))
		}
	}
	if len(parseErrs) > 0 {
		res.ParseError = strings.Join(parseErrs, "; ")
		return res, nil
	}
	pref := *calls[0].Verdict
	if len(calls) == 2 {
		pref = combineBoth(j.cfg.Parser.Type, *calls[0].Verdict, *calls[1].Verdict)
	}
	res.Preference = &pref
	return res, nil
}

// combineBoth merges the verdicts of the two orders: logprob preferences
// average; labelled verdicts that disagree on the winner (or where one is a tie)
// become a tie, as MT-Bench does, and verdicts for the same winner average.
func combineBoth(parser string, a, b float64) float64 {
	if parser == ParserLogprobs {
		return (a + b) / 2
	}
	if a == b || (a < 0.5 && b < 0.5) || (a > 0.5 && b > 0.5) {
		return (a + b) / 2
	}
	return 0.5
}

// orders returns the orders a pair is shown in.
func (j *Judge) orders(key string) []string {
	switch j.cfg.Order {
	case OrderBoth:
		return []string{Shown12, Shown21}
	case OrderRandom:
		return []string{RandomOrder(key)}
	}
	return []string{Shown12}
}

// RandomOrder is the order policy "random": a deterministic coin flip drawn from
// the pair's key, so a re-run shows every pair as before.
func RandomOrder(key string) string {
	sum := sha256.Sum256([]byte(key))
	if sum[0]&1 == 1 {
		return Shown21
	}
	return Shown12
}

func (j *Judge) pairCall(ctx context.Context, p Pair, order string) (Call, error) {
	first, second := p.Output1, p.Output2
	if order == Shown21 {
		first, second = second, first
	}
	msgs, err := render(j.cfg.Template, map[string]string{
		phInstruction: p.Instruction, phOutput1: first, phOutput2: second,
	})
	if err != nil {
		return Call{}, fmt.Errorf("judge %q: render template: %w", j.cfg.Name, err)
	}
	c, err := j.chat(ctx, msgs)
	c.Order = order
	if err != nil {
		return c, err
	}
	v, perr := j.parsePairwise(c.Reply)
	if perr != nil {
		c.ParseError = perr.Error()
		return c, nil
	}
	if order == Shown21 {
		v = 1 - v
	}
	c.Verdict = &v
	return c, nil
}

// Point grades one output (pointwise judges) or asks a reward model for its
// score (reward judges).
func (j *Judge) Point(ctx context.Context, p Point) (PointResult, error) {
	values := map[string]string{phInstruction: p.Instruction, phOutput: p.Output, phReference: p.Reference}
	var c Call
	var err error
	switch j.cfg.Kind {
	case Pointwise:
		msgs, rerr := render(j.cfg.Template, values)
		if rerr != nil {
			return PointResult{}, fmt.Errorf("judge %q: render template: %w", j.cfg.Name, rerr)
		}
		c, err = j.chat(ctx, msgs)
		if err == nil {
			if v, perr := j.parsePointwise(c.Reply); perr != nil {
				c.ParseError = perr.Error()
			} else {
				c.Verdict = &v
			}
		}
	case Reward:
		c, err = j.reward(ctx, values)
	default:
		return PointResult{}, fmt.Errorf("judge %q is %s; Point needs a pointwise or reward judge", j.cfg.Name, j.cfg.Kind)
	}
	if err != nil {
		return PointResult{}, err
	}
	return PointResult{Score: c.Verdict, Calls: []Call{c}, ParseError: c.ParseError}, nil
}

// chat sends (or finds in the cache) one chat request.
func (j *Judge) chat(ctx context.Context, msgs []domain.Message) (Call, error) {
	size := 0
	for _, m := range msgs {
		size += len(m.Content) + len(m.Name) + 48
	}
	msgsJSON, err := canonicalJSON(toMessagesJSON(msgs), size+size/16)
	if err != nil {
		return Call{}, err
	}
	req := ChatRequest{Model: j.cfg.Endpoint.Model, Messages: msgs, MessagesJSON: msgsJSON, Params: maps.Clone(j.cfg.Params)}
	h := sha256.New()
	h.Write(j.hashHead)
	h.Write(msgsJSON)
	h.Write(j.hashTail)
	hash := hex.EncodeToString(h.Sum(make([]byte, 0, sha256.Size)))
	c := Call{RequestHash: hash, Messages: msgs}
	if reply, ok, err := j.lookup(ctx, hash); err != nil {
		return c, err
	} else if ok {
		c.Reply, c.Cached = reply, true
		return c, nil
	}
	reply, err := j.caller.Chat(ctx, req)
	if err != nil {
		return c, fmt.Errorf("judge %q: %w", j.cfg.Name, err)
	}
	c.Reply = reply
	c.Cost = j.cost(reply.InputTokens, reply.OutputTokens)
	return c, nil
}

func (j *Judge) lookup(ctx context.Context, hash string) (ChatReply, bool, error) {
	if j.cache == nil {
		return ChatReply{}, false, nil
	}
	reply, ok, err := j.cache.Lookup(ctx, hash)
	if err != nil {
		return ChatReply{}, false, fmt.Errorf("judge %q: cache lookup: %w", j.cfg.Name, err)
	}
	return reply, ok, nil
}

// reward asks a reward endpoint (or the cache) and reads the score.
func (j *Judge) reward(ctx context.Context, values map[string]string) (Call, error) {
	e := j.cfg.Endpoint
	req := RewardRequest{Model: e.Model}
	var shown string
	if e.Protocol == ProtocolJSON {
		req.Body = renderBody(e.BodyTemplate, values)
		shown = string(req.Body)
	} else {
		t := j.cfg.Template
		if t == "" {
			t = DefaultRewardInput
		}
		req.Input = fill(t, values)
		shown = req.Input
	}
	hash, err := hashJSON(struct {
		Model    string          `json:"model"`
		Protocol string          `json:"protocol"`
		Input    string          `json:"input,omitempty"`
		Body     json.RawMessage `json:"body,omitempty"`
	}{e.Model, e.Protocol, req.Input, req.Body})
	if err != nil {
		return Call{}, err
	}
	c := Call{RequestHash: hash, Messages: []domain.Message{{Role: "user", Content: shown}}}
	if reply, ok, err := j.lookup(ctx, hash); err != nil {
		return c, err
	} else if ok {
		c.Reply, c.Cached = reply, true
	} else {
		rr, err := j.caller.Reward(ctx, req)
		if err != nil {
			return c, fmt.Errorf("judge %q: %w", j.cfg.Name, err)
		}
		c.Reply = ChatReply{Raw: rr.Raw, InputTokens: rr.InputTokens, Attempts: rr.Attempts, Latency: rr.Latency}
		c.Cost = j.cost(rr.InputTokens, 0)
	}
	v, perr := pointerNumber(c.Reply.Raw, e.ScorePointer)
	if perr == nil && (math.IsNaN(v) || math.IsInf(v, 0)) {
		perr = fmt.Errorf("score %v is not finite", v)
	}
	if perr != nil {
		c.ParseError = "reward: " + perr.Error()
	} else {
		c.Verdict = &v
	}
	return c, nil
}

// DefaultRewardInput is the text a vllm-classify reward judge without a template
// sends: the instruction, a blank line, the output.
const DefaultRewardInput = "{instruction}\n\n{output}"

func (j *Judge) cost(in, out int) float64 {
	return (float64(in)*j.cfg.Price.InputPerMillion + float64(out)*j.cfg.Price.OutputPerMillion) / 1e6
}

// RequestHash is the sha256 (hex) of a chat request's canonical JSON: model,
// messages and params with sorted keys. Equal requests hash equally, so a cache
// keyed by it can answer a repeated request.
// A Judge hashes its calls the same way without encoding the model and params
// again for each call.
func RequestHash(req ChatRequest) (string, error) {
	return hashJSON(struct {
		Model    string         `json:"model"`
		Messages []messageJSON  `json:"messages"`
		Params   map[string]any `json:"params"`
	}{req.Model, toMessagesJSON(req.Messages), nonNilParams(req.Params)})
}

func nonNilParams(params map[string]any) map[string]any {
	if params == nil {
		return map[string]any{}
	}
	return params
}

func hashJSON(v any) (string, error) {
	b, err := canonicalJSON(v, 0)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// canonicalJSON encodes v as request hashes see it: map keys sorted, HTML
// characters unescaped, no trailing newline. size is a guess of the length, to
// allocate once.
func canonicalJSON(v any, size int) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(size)
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical request: %w", err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
