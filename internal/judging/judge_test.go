package judging

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// fakeCaller is a Caller whose answers come from Func fields.
type fakeCaller struct {
	mu       sync.Mutex
	chats    []ChatRequest
	rewards  []RewardRequest
	ChatFunc func(req ChatRequest) (ChatReply, error)
	RewFunc  func(req RewardRequest) (RewardReply, error)
}

func (f *fakeCaller) Chat(_ context.Context, req ChatRequest) (ChatReply, error) {
	f.mu.Lock()
	f.chats = append(f.chats, req)
	f.mu.Unlock()
	return f.ChatFunc(req)
}

func (f *fakeCaller) Reward(_ context.Context, req RewardRequest) (RewardReply, error) {
	f.mu.Lock()
	f.rewards = append(f.rewards, req)
	f.mu.Unlock()
	return f.RewFunc(req)
}

// logprobReply answers with the first token's top logprobs.
func logprobReply(top ...TopLogprob) ChatReply {
	return ChatReply{Content: top[0].Token, Logprobs: []TokenLogprob{{Token: top[0].Token, Logprob: top[0].Logprob, TopLogprobs: top}},
		InputTokens: 1000, OutputTokens: 1}
}

func mustConfig(t *testing.T, js string) Config {
	t.Helper()
	c, err := DecodeConfig([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pairwiseConfig(t *testing.T, order, parser string) Config {
	t.Helper()
	p := `{"type": "logprobs", "first": "m", "second": "M"}`
	if parser == ParserVerdict {
		p = `{"type": "verdict"}`
	}
	return mustConfig(t, `{"name": "j", "kind": "pairwise", "order": "`+order+`",
		"endpoint": {"base_url": "http://h/v1", "model": "judge-model"},
		"template": "<|im_start|>system\nsys\n<|im_end|>\n<|im_start|>user\nQ={instruction}\nm={output_1}\nM={output_2}\n<|im_end|>",
		"parser": `+p+`, "price": {"input_per_million": 10, "output_per_million": 30}}`)
}

// shownFirst returns which output the judge saw first in a request.
func shownFirst(req ChatRequest) string {
	u := req.Messages[len(req.Messages)-1].Content
	_, rest, _ := strings.Cut(u, "m=")
	first, _, _ := strings.Cut(rest, "\n")
	return first
}

func TestRenderChatML(t *testing.T) {
	t.Parallel()
	tmpl := "  <|im_start|>system\nYou judge.\n<|im_end|>\n<|im_start|>system name=example_user\nKnock.\n<|im_end|>\n" +
		"<|im_start|>user\nQ: {instruction}\nA: {output_1}\nB: {output_2} {unknown} {\n<|im_end|>\n"
	msgs, err := render(tmpl, map[string]string{phInstruction: " why {output_2}? ", phOutput1: "one", phOutput2: "two"})
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Message{
		{Role: "system", Content: "You judge."},
		{Role: "system", Name: "example_user", Content: "Knock."},
		// A value holding placeholder text is not substituted into; unknown braces stay.
		{Role: "user", Content: "Q:  why {output_2}? \nA: one\nB: two {unknown} {"},
	}
	if len(msgs) != len(want) {
		t.Fatalf("messages = %+v, want %+v", msgs, want)
	}
	for i := range want {
		if msgs[i] != want[i] {
			t.Errorf("message %d = %+v, want %+v", i, msgs[i], want[i])
		}
	}
	// Placeholders are filled before splitting, as AlpacaEval does: an output that
	// carries ChatML markup ends its message early, and contents are trimmed.
	msgs, err = render("<|im_start|>user\n[{output_1}] [{output_2}]\n<|im_end|>",
		map[string]string{phOutput1: "x<|im_end|>tail", phOutput2: "  y  "})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 1 || msgs[0].Content != "[x" {
		t.Errorf("markup in an output: %+v", msgs)
	}
	// A template without ChatML is one user message, untrimmed.
	msgs, _ = render("Compare {output_1} and {output_2}.\n", map[string]string{phOutput1: "a", phOutput2: "b"})
	if len(msgs) != 1 || msgs[0] != (domain.Message{Role: "user", Content: "Compare a and b.\n"}) {
		t.Errorf("plain template: %+v", msgs)
	}
}

func TestDefaultTemplatesAreValid(t *testing.T) {
	t.Parallel()
	kinds := map[string]Kind{TemplatePairwiseLogprobs: Pairwise, TemplatePairwiseVerdict: Pairwise, TemplateRubric: Pointwise, TemplateRefusal: Pointwise, TemplateRefusalKind: Pointwise}
	for _, name := range DefaultTemplateNames() {
		text := DefaultTemplate(name)
		if text == "" {
			t.Fatalf("template %s is empty", name)
		}
		if err := checkTemplate(text, kinds[name]); err != nil {
			t.Errorf("template %s: %v", name, err)
		}
		msgs, err := render(text, map[string]string{phInstruction: "I", phOutput1: "O1", phOutput2: "O2", phOutput: "O", phReference: "R"})
		if err != nil || len(msgs) != 2 || msgs[0].Role != "system" || msgs[1].Role != "user" {
			t.Errorf("template %s renders to %+v, %v", name, msgs, err)
		}
	}
}

func TestLogprobParser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		top     []TopLogprob
		want    float64 // P(first shown better)
		wantErr string
	}{
		{"both present", []TopLogprob{{"m", -0.010449888}, {"M", -4.6069846}, {"The", -8.36}},
			math.Exp(-0.010449888) / (math.Exp(-0.010449888) + math.Exp(-4.6069846)), ""},
		{"order of candidates does not matter", []TopLogprob{{"The", -1}, {"M", -0.6152821}, {"m", -0.7781773}},
			1 / (1 + math.Exp(-0.6152821+0.7781773)), ""},
		{"second missing", []TopLogprob{{"m", -0.3}, {"The", -2}}, 1, ""},
		{"first missing", []TopLogprob{{"M", -0.3}, {"The", -2}}, 0, ""},
		{"both missing", []TopLogprob{{"The", -0.1}, {"Based", -2}}, 0, "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := logprobShare(logprobReply(tt.top...), "m", "M")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("P(first) = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := logprobShare(ChatReply{Content: "m"}, "m", "M"); err == nil || !strings.Contains(err.Error(), "no logprobs") {
		t.Errorf("reply without logprobs: err = %v", err)
	}
}

func TestVerdictParser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want float64
	}{
		{"A is better. [[A]]", 0},
		{"Final: [[B]]", 1},
		{"[[C]]", 0.5},
		{"I first thought [[A]] but on reflection [[B]]", 1},
		{"My final verdict is [[A>>B]].", 0},
		{"[[A>B]]", 0.5 - 0.5/3},
		{"[[A=B]]", 0.5},
		{"[[B>A]]", 0.5 + 0.5/3},
		{"[[ B>>A ]]", 1},
	}
	for _, tt := range tests {
		got, err := parseVerdict(tt.text, 3)
		if err != nil || math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("parseVerdict(%q) = %v, %v; want %v", tt.text, got, err, tt.want)
		}
	}
	if got, _ := parseVerdict("[[A>B]]", 1); got != 0 {
		t.Errorf("with strong_weight 1 a weak verdict is a win: %v", got)
	}
	for _, text := range []string{"", "A is better", "[[D]]", "[A]"} {
		if _, err := parseVerdict(text, 3); err == nil {
			t.Errorf("parseVerdict(%q) succeeded", text)
		}
	}
}

func TestScoreParser(t *testing.T) {
	t.Parallel()
	p := ParserConfig{Type: ParserScore, Min: 1, Max: 10}
	tests := []struct {
		text    string
		p       ParserConfig
		want    float64
		wantErr bool
	}{
		{"Decent. Rating: [[7]]", p, 7, false},
		{"[[3]] then [[8.5]]", p, 8.5, false},
		{"[[11]]", p, 0, true},
		{"no grade", p, 0, true},
		{`{"score": 4, "why": "ok"}`, ParserConfig{Type: ParserScore, Min: 1, Max: 5, Pointer: "/score"}, 4, false},
		{"```json\n{\"r\": {\"score\": \"2\"}}\n```", ParserConfig{Type: ParserScore, Min: 1, Max: 5, Pointer: "/r/score"}, 2, false},
		{`{"score": 9}`, ParserConfig{Type: ParserScore, Min: 1, Max: 5, Pointer: "/score"}, 0, true},
		{`not json`, ParserConfig{Type: ParserScore, Min: 1, Max: 5, Pointer: "/score"}, 0, true},
	}
	for _, tt := range tests {
		got, err := parseScore(tt.text, tt.p)
		if (err != nil) != tt.wantErr || (!tt.wantErr && got != tt.want) {
			t.Errorf("parseScore(%q) = %v, %v; want %v (error %v)", tt.text, got, err, tt.want, tt.wantErr)
		}
	}
}

// symmetricJudge answers as a position-consistent judge that prefers the output
// "good" with probability pGood whichever position it is shown in.
func symmetricJudge(pGood float64) func(ChatRequest) (ChatReply, error) {
	return func(req ChatRequest) (ChatReply, error) {
		pFirst := 1 - pGood
		if shownFirst(req) == "good" {
			pFirst = pGood
		}
		return logprobReply(TopLogprob{"m", math.Log(pFirst)}, TopLogprob{"M", math.Log(1 - pFirst)}), nil
	}
}

func TestPairOrders(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, order := range []string{OrderFixed, OrderRandom, OrderBoth} {
		t.Run(order, func(t *testing.T) {
			t.Parallel()
			fc := &fakeCaller{ChatFunc: symmetricJudge(0.8)}
			j, err := New(pairwiseConfig(t, order, ParserLogprobs), fc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]int{}
			for i := 0; i < 40; i++ {
				key := string(rune('a'+i%26)) + strings.Repeat("k", i)
				for _, goodSecond := range []bool{true, false} {
					p := Pair{Key: key, Instruction: "q", Output1: "good", Output2: "bad"}
					want := 0.2
					if goodSecond {
						p.Output1, p.Output2, want = "bad", "good", 0.8
					}
					res, err := j.Pair(ctx, p)
					if err != nil {
						t.Fatal(err)
					}
					if res.Preference == nil || math.Abs(*res.Preference-want) > 1e-12 {
						t.Fatalf("%s: preference = %v, want %v (%+v)", key, res.Preference, want, res)
					}
					wantCalls := 1
					if order == OrderBoth {
						wantCalls = 2
					}
					if len(res.Calls) != wantCalls {
						t.Fatalf("%d calls, want %d", len(res.Calls), wantCalls)
					}
					for _, c := range res.Calls {
						seen[c.Order]++
						first := p.Output1
						if c.Order == Shown21 {
							first = p.Output2
						}
						if got := shownFirst(ChatRequest{Messages: c.Messages}); got != first {
							t.Errorf("order %s showed %q first, want %q", c.Order, got, first)
						}
						if c.Cost != (1000*10+1*30)/1e6 {
							t.Errorf("cost = %v", c.Cost)
						}
					}
					if order == OrderRandom && res.Calls[0].Order != RandomOrder(key) {
						t.Errorf("random order for %q = %s, want %s", key, res.Calls[0].Order, RandomOrder(key))
					}
				}
			}
			switch order {
			case OrderFixed:
				if seen[Shown21] != 0 {
					t.Errorf("fixed order swapped %d times", seen[Shown21])
				}
			default:
				if seen[Shown12] == 0 || seen[Shown21] == 0 {
					t.Errorf("orders shown: %v; want both", seen)
				}
			}
		})
	}
}

func TestRandomOrderWithoutKeyFollowsTheInstruction(t *testing.T) {
	t.Parallel()
	fc := &fakeCaller{ChatFunc: symmetricJudge(0.7)}
	j, _ := New(pairwiseConfig(t, OrderRandom, ParserLogprobs), fc, Options{})
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		q := strings.Repeat("q", i+1)
		res, err := j.Pair(context.Background(), Pair{Instruction: q, Output1: "good", Output2: "bad"})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := res.Calls[0].Order, RandomOrder(q); got != want {
			t.Errorf("instruction %q shown in order %s, want %s", q, got, want)
		}
		seen[res.Calls[0].Order] = true
	}
	if len(seen) != 2 {
		t.Errorf("orders without keys: %v; want both", seen)
	}
}

func TestPairIdenticalOutputsNeedNoCall(t *testing.T) {
	t.Parallel()
	fc := &fakeCaller{ChatFunc: func(ChatRequest) (ChatReply, error) { return ChatReply{}, errors.New("called") }}
	j, err := New(pairwiseConfig(t, OrderBoth, ParserLogprobs), fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Pair(context.Background(), Pair{Key: "k", Instruction: "q", Output1: "same", Output2: "same"})
	if err != nil || !res.Identical || res.Preference == nil || *res.Preference != 0.5 || len(res.Calls) != 0 || len(fc.chats) != 0 {
		t.Errorf("identical outputs: %+v, %v, %d calls", res, err, len(fc.chats))
	}
}

func TestPairBothVerdicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		reply12, reply21 string  // verdicts in the order shown
		want             float64 // P(Output2 better)
	}{
		{"consistent: output 2 wins", "[[B]]", "[[A]]", 1},
		{"consistent: output 1 wins", "[[A]]", "[[B]]", 0},
		{"position bias: first shown always wins", "[[A]]", "[[A]]", 0.5},
		{"one tie", "[[B]]", "[[C]]", 0.5},
		{"both ties", "[[C]]", "[[C]]", 0.5},
		{"strong and weak for the same winner", "[[B>>A]]", "[[A>B]]", (1 + 0.5 + 0.5/3) / 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fc := &fakeCaller{ChatFunc: func(req ChatRequest) (ChatReply, error) {
				if shownFirst(req) == "one" {
					return ChatReply{Content: "reasoning " + tt.reply12}, nil
				}
				return ChatReply{Content: "reasoning " + tt.reply21}, nil
			}}
			j, err := New(pairwiseConfig(t, OrderBoth, ParserVerdict), fc, Options{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := j.Pair(context.Background(), Pair{Key: "k", Instruction: "q", Output1: "one", Output2: "two"})
			if err != nil || res.Preference == nil || math.Abs(*res.Preference-tt.want) > 1e-12 {
				t.Errorf("preference = %v, %v; want %v (%+v)", res.Preference, err, tt.want, res)
			}
		})
	}
}

func TestPairParseFailureIsNoVerdict(t *testing.T) {
	t.Parallel()
	fc := &fakeCaller{ChatFunc: func(req ChatRequest) (ChatReply, error) {
		if shownFirst(req) == "one" {
			return logprobReply(TopLogprob{"m", -0.1}, TopLogprob{"M", -2}), nil
		}
		return logprobReply(TopLogprob{"Sure", -0.1}, TopLogprob{"I", -2}), nil
	}}
	j, err := New(pairwiseConfig(t, OrderBoth, ParserLogprobs), fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Pair(context.Background(), Pair{Key: "k", Instruction: "q", Output1: "one", Output2: "two"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Preference != nil || !strings.Contains(res.ParseError, "order 21") || len(res.Calls) != 2 ||
		res.Calls[0].Verdict == nil || res.Calls[1].Verdict != nil || res.Calls[1].ParseError == "" {
		t.Errorf("one unparsable order: %+v", res)
	}
}

func TestPairEndpointError(t *testing.T) {
	t.Parallel()
	want := &EndpointError{Status: 401, Message: "Incorrect API key provided"}
	fc := &fakeCaller{ChatFunc: func(ChatRequest) (ChatReply, error) { return ChatReply{}, want }}
	j, err := New(pairwiseConfig(t, OrderFixed, ParserLogprobs), fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = j.Pair(context.Background(), Pair{Key: "k", Output1: "a", Output2: "b"})
	var ee *EndpointError
	if !errors.As(err, &ee) || ee.Status != 401 || !strings.Contains(err.Error(), "Incorrect API key provided") {
		t.Errorf("err = %v, want the endpoint's 401", err)
	}
}

type mapCache map[string]ChatReply

func (m mapCache) Lookup(_ context.Context, h string) (ChatReply, bool, error) {
	r, ok := m[h]
	return r, ok, nil
}

func TestRequestHashAndCache(t *testing.T) {
	t.Parallel()
	fc := &fakeCaller{ChatFunc: symmetricJudge(0.9)}
	cfg := pairwiseConfig(t, OrderFixed, ParserLogprobs)
	j, _ := New(cfg, fc, Options{})
	p := Pair{Key: "k", Instruction: "q", Output1: "good", Output2: "bad"}
	first, err := j.Pair(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	c := first.Calls[0]
	if h, _ := RequestHash(fc.chats[0]); h != c.RequestHash || len(h) != 64 {
		t.Errorf("hash = %q, want %q", c.RequestHash, h)
	}
	// A cache that holds the answer is used instead of the endpoint.
	cache := mapCache{c.RequestHash: c.Reply}
	cj, _ := New(cfg, fc, Options{Cache: cache})
	again, err := cj.Pair(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.chats) != 1 || !again.Calls[0].Cached || again.Calls[0].Cost != 0 || *again.Preference != *first.Preference {
		t.Errorf("cached call: %+v (endpoint calls %d)", again, len(fc.chats))
	}
	// Any change to model, messages or params changes the hash.
	base := ChatRequest{Model: "m", Messages: []domain.Message{{Role: "user", Content: "x"}}, Params: map[string]any{"seed": 1.0}}
	h0, _ := RequestHash(base)
	for name, r := range map[string]ChatRequest{
		"model":   {Model: "n", Messages: base.Messages, Params: base.Params},
		"message": {Model: "m", Messages: []domain.Message{{Role: "user", Content: "y"}}, Params: base.Params},
		"role":    {Model: "m", Messages: []domain.Message{{Role: "system", Content: "x"}}, Params: base.Params},
		"params":  {Model: "m", Messages: base.Messages, Params: map[string]any{"seed": 2.0}},
	} {
		if h, _ := RequestHash(r); h == h0 {
			t.Errorf("changing the %s keeps the hash", name)
		}
	}
	same := ChatRequest{Model: "m", Messages: []domain.Message{{Role: "user", Content: "x"}}, Params: map[string]any{"seed": 1.0}}
	if h, _ := RequestHash(same); h != h0 {
		t.Error("equal requests hash differently")
	}
}

func TestPoint(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, `{"name": "rubric", "kind": "pointwise", "parser": {"type": "score", "min": 1, "max": 10},
		"endpoint": {"base_url": "http://h/v1", "model": "m"}}`)
	fc := &fakeCaller{ChatFunc: func(req ChatRequest) (ChatReply, error) {
		if strings.Contains(req.Messages[1].Content, "fine answer") {
			return ChatReply{Content: "Solid. [[8]]"}, nil
		}
		return ChatReply{Content: "I cannot grade this."}, nil
	}}
	j, err := New(cfg, fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Point(context.Background(), Point{Instruction: "q", Output: "fine answer", Reference: "ref"})
	if err != nil || res.Score == nil || *res.Score != 8 || !strings.Contains(res.Calls[0].Messages[1].Content, "ref") {
		t.Errorf("graded: %+v, %v", res, err)
	}
	res, err = j.Point(context.Background(), Point{Instruction: "q", Output: "other"})
	if err != nil || res.Score != nil || !strings.Contains(res.ParseError, "no grade") {
		t.Errorf("ungradable: %+v, %v", res, err)
	}
	if _, err := j.Pair(context.Background(), Pair{Output1: "a", Output2: "b"}); err == nil {
		t.Error("Pair on a pointwise judge succeeded")
	}
}

func TestReward(t *testing.T) {
	t.Parallel()
	cfg := mustConfig(t, `{"name": "rm", "kind": "reward", "price": {"input_per_million": 1},
		"endpoint": {"base_url": "http://h/score", "protocol": "json", "score_pointer": "/rewards/0",
		             "body_template": {"messages": [{"role": "user", "content": "{instruction}"}, {"role": "assistant", "content": "{output}"}]}}}`)
	fc := &fakeCaller{RewFunc: func(req RewardRequest) (RewardReply, error) {
		var body struct {
			Messages []messageJSON `json:"messages"`
		}
		if err := json.Unmarshal(req.Body, &body); err != nil {
			return RewardReply{}, err
		}
		if body.Messages[1].Content == `say "hi"`+"\n" {
			return RewardReply{Raw: json.RawMessage(`{"rewards": [2.5]}`), InputTokens: 12}, nil
		}
		return RewardReply{Raw: json.RawMessage(`{"error": "none"}`)}, nil
	}}
	j, err := New(cfg, fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Point(context.Background(), Point{Instruction: "q", Output: `say "hi"` + "\n"})
	if err != nil || res.Score == nil || *res.Score != 2.5 || res.Calls[0].Cost != 12/1e6 {
		t.Errorf("reward: %+v, %v", res, err)
	}
	res, err = j.Point(context.Background(), Point{Instruction: "q", Output: "x"})
	if err != nil || res.Score != nil || !strings.Contains(res.ParseError, "/rewards/0") {
		t.Errorf("reward without a score: %+v, %v", res, err)
	}
}

// A judge hashes each call from its model and params encoded once and its
// messages encoded once; the result must be RequestHash of the request it sends,
// which is sha256 of the canonical JSON spelled out here, so the hashes of
// stored judgments stay valid. The messages' JSON goes with the request.
func TestJudgeRequestHashIsCanonical(t *testing.T) {
	t.Parallel()
	fc := &fakeCaller{ChatFunc: symmetricJudge(0.9)}
	cfg := mustConfig(t, `{"name": "j", "kind": "pairwise", "order": "fixed",
		"endpoint": {"base_url": "http://h/v1", "model": "judge<&>"},
		"template": "<|im_start|>system name=ex\nsys\n<|im_end|>\n<|im_start|>user\nQ={instruction}\nm={output_1}\nM={output_2}\n<|im_end|>",
		"params": {"seed": 7, "temperature": 0.5, "top_k": 3},
		"parser": {"type": "logprobs", "first": "m", "second": "M"}}`)
	j, err := New(cfg, fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := j.Pair(context.Background(), Pair{Key: "k", Instruction: "a<b> & \"c\"\n\u2028", Output1: "good", Output2: "bad"})
	if err != nil {
		t.Fatal(err)
	}
	sent := fc.chats[0]
	canonical := `{"model":"judge<&>","messages":[{"role":"system","content":"sys","name":"ex"},` +
		`{"role":"user","content":"Q=a<b> & \"c\"\n\u2028\nm=good\nM=bad"}],` +
		`"params":{"max_tokens":1,"seed":7,"temperature":0.5,"top_k":3,"top_logprobs":5}}`
	sum := sha256.Sum256([]byte(canonical))
	want := hex.EncodeToString(sum[:])
	if got, _ := RequestHash(sent); got != want {
		t.Errorf("RequestHash = %s, want %s (sha256 of %s)", got, want, canonical)
	}
	if res.Calls[0].RequestHash != want {
		t.Errorf("the judge's hash = %s, want %s", res.Calls[0].RequestHash, want)
	}
	var msgs []messageJSON
	if err := json.Unmarshal(sent.MessagesJSON, &msgs); err != nil || !reflect.DeepEqual(msgs, toMessagesJSON(sent.Messages)) {
		t.Errorf("MessagesJSON %s decodes to %+v (%v), want %+v", sent.MessagesJSON, msgs, err, sent.Messages)
	}
}
