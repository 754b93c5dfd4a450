package openai

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// chatBody sends the judge's messages JSON when it has one, drops names the
// API takes only on system messages here, asks for logprobs with an integer
// top_logprobs above 0 and passes every other param through as given.
func TestChatBody(t *testing.T) {
	t.Parallel()
	msgs := []domain.Message{{Role: "system", Name: "ex", Content: "s<&>"}, {Role: "user", Content: "u"}}
	msgsJSON := json.RawMessage(`[{"role":"system","content":"s<&>","name":"ex"},{"role":"user","content":"u"}]`)
	for _, tc := range []struct {
		name string
		req  judging.ChatRequest
		want string
	}{
		{"judge messages JSON", judging.ChatRequest{Model: "m", Messages: msgs, MessagesJSON: msgsJSON,
			Params: map[string]any{"top_logprobs": 5.0, "logprobs": false, "seed": 42.0, "temperature": 0.0,
				"response_format": map[string]any{"type": "text"}, "top_k": 20.0}},
			`{"model":"m","messages":[{"role":"system","content":"s<&>","name":"ex"},{"role":"user","content":"u"}],` +
				`"logprobs":true,"response_format":{"type":"text"},"seed":42,"temperature":0,"top_k":20,"top_logprobs":5}`},
		{"messages encoded here, user name dropped", judging.ChatRequest{Model: "m",
			Messages:     []domain.Message{{Role: "user", Name: "x", Content: "u"}, {Role: "assistant", Content: "a"}},
			MessagesJSON: json.RawMessage(`[{"role":"user","content":"u","name":"x"},{"role":"assistant","content":"a"}]`),
			Params:       map[string]any{"top_logprobs": 0.0, "max_tokens": 1.0}},
			`{"model":"m","messages":[{"role":"user","content":"u"},{"role":"assistant","content":"a"}],"max_tokens":1}`},
		{"top_logprobs not an integer goes as given", judging.ChatRequest{Model: "m", Messages: msgs[1:],
			Params: map[string]any{"top_logprobs": 2.5}},
			`{"model":"m","messages":[{"role":"user","content":"u"}],"top_logprobs":2.5}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := chatBody(tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var g, w any
			if err := json.Unmarshal(got, &g); err != nil {
				t.Fatalf("body %s is not JSON: %v", got, err)
			}
			_ = json.Unmarshal([]byte(tc.want), &w)
			if !reflect.DeepEqual(g, w) {
				t.Errorf("body = %s\nwant   %s", got, tc.want)
			}
		})
	}
	_, err := chatBody(judging.ChatRequest{Model: "m", Messages: []domain.Message{{Role: "tool", Content: "x"}}})
	if err == nil || !strings.Contains(err.Error(), `role "tool"`) {
		t.Errorf("err = %v, want the role named", err)
	}
}
