package judging

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func TestRefusalJudgeConfig(t *testing.T) {
	t.Parallel()
	cfg, err := RefusalJudgeConfig("refusal-judge", json.RawMessage(`{"base_url": "http://127.0.0.1:8000/v1", "model": "m"}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kind != Pointwise || cfg.Parser.Type != ParserScore || cfg.Parser.Min != 0 || cfg.Parser.Max != 2 || cfg.Order != OrderFixed {
		t.Errorf("config = %+v", cfg)
	}
	if cfg.Template != DefaultTemplate(TemplateRefusalKind) {
		t.Error("the config does not carry the refusal-kind template")
	}
	// A bad endpoint is a validation error that names the field.
	_, err = RefusalJudgeConfig("refusal-judge", json.RawMessage(`{"base_url": "ftp://x", "model": "m"}`))
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "endpoint.base_url") {
		t.Errorf("bad base_url: err = %v, want a validation error naming endpoint.base_url", err)
	}
}

func TestRefusalJudge(t *testing.T) {
	t.Parallel()
	cfg, err := RefusalJudgeConfig("refusal-judge", json.RawMessage(`{"base_url": "http://127.0.0.1:8000/v1", "model": "m"}`))
	if err != nil {
		t.Fatal(err)
	}
	replies := map[string]string{
		"full":         "Why: it declines to say.\nReason: policy\nVerdict: [[2]]",
		"partial":      "Why: it gives the general facts but not the live price.\nReason: Capability\nVerdict: [[1]]",
		"none":         "Why: it answers.\nReason: none\nVerdict: [[0]]",
		"no reason":    "Why: it says no.\nVerdict: [[2]]",
		"unparseable":  "It declines.",
		"out of range": "Why: ?\nReason: other\nVerdict: [[3]]",
	}
	fc := &fakeCaller{ChatFunc: func(req ChatRequest) (ChatReply, error) {
		user := req.Messages[len(req.Messages)-1].Content
		for k, v := range replies {
			if strings.Contains(user, "<response>\n"+k+"\n</response>") {
				return ChatReply{Content: v}, nil
			}
		}
		return ChatReply{}, errors.New("unexpected request")
	}}
	j, err := New(cfg, fc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		output string
		want   RefusalCall
		ok     bool
	}{
		{"full", RefusalCall{Refused: true, Type: "full", Reason: "policy"}, true},
		{"partial", RefusalCall{Refused: true, Type: "partial", Reason: "capability"}, true},
		{"none", RefusalCall{}, true},
		{"no reason", RefusalCall{Refused: true, Type: "full"}, true},
		{"unparseable", RefusalCall{}, false},
		{"out of range", RefusalCall{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.output, func(t *testing.T) {
			res, err := j.Point(context.Background(), Point{Instruction: "Tell me.", Output: tt.output})
			if err != nil {
				t.Fatal(err)
			}
			msgs := res.Calls[0].Messages
			if len(msgs) != 2 || msgs[0].Role != "system" || !strings.Contains(msgs[1].Content, "<request>\nTell me.\n</request>") {
				t.Errorf("messages = %+v", msgs)
			}
			got, ok := RefusalOf(res.Score, res.Calls[0].Reply.Content)
			if got != tt.want || ok != tt.ok {
				t.Errorf("RefusalOf = %+v, %v; want %+v, %v (score %v, parse error %q)", got, ok, tt.want, tt.ok, res.Score, res.ParseError)
			}
		})
	}
}
