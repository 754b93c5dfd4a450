package echo

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, prompt, response string
		echo                   bool
		matched                string
	}{
		{"exact copy", "What is the tallest mountain in Africa?", "What is the tallest mountain in Africa?", true,
			"What is the tallest mountain in Africa"},
		{"copy with a speaker label", "How do I bake rye bread?", "User: How do I bake rye bread?", true, "How do I bake rye bread"},
		{"question copied before a non-answer", "How do I reset the router?", "How do I reset the router? No idea, sorry!", true,
			"How do I reset the router"},
		{"typographic quotes still match", "What’s the best way to learn Go quickly?", "What's the best way to learn Go quickly?", true,
			"What's the best way to learn Go quickly"},
		{"a line of the prompt repeated", "Turn the text into a regular expression.\n\nFind every date in the text",
			strings.Repeat("Find every date in the text\n\n", 6), true, "Find every date in the text"},
		{"restated inside the answer", "What is the best way to store fresh basil?",
			"The best way to store fresh basil is upright in a glass of water, loosely covered.", false, ""},
		{"lead-in", "Give me a list of snacks for a game day party",
			"Here is a list of snacks for a game day party:\n- nachos\n- wings\n- popcorn", false, ""},
		{"short answer reusing a phrase", "Given f(x) = 2x + 1, find the value of f(3).", "The value of f(3) is 7.", false, ""},
		{"edited rewrite", "Fix the grammar: she dont like the cold weather at all",
			"She doesn't like the cold weather at all.", false, ""},
		{"nothing shared", "Name a prime number.", "Seven.", false, ""},
	}
	d := NewDetector()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			v := d.Detect(tt.response, tt.prompt)
			if v.Echo != tt.echo {
				t.Fatalf("echo = %v, want %v (%+v)", v.Echo, tt.echo, v)
			}
			if tt.echo && v.Matched.Text != tt.matched {
				t.Errorf("matched = %q, want %q", v.Matched.Text, tt.matched)
			}
			if v.Matched != nil && tt.response[v.Matched.Start:v.Matched.End] != v.Matched.Text {
				t.Errorf("matched %+v does not point into the response", v.Matched)
			}
		})
	}
}

func TestScorerContext(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(PromptEcho())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"min_words":0}`, `{"response_share":0}`, `{"prompt_share":1.5}`, `{"context":"yes"}`, `{"x":1}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "prompt_echo", Params: json.RawMessage(bad)}}); err == nil {
			t.Errorf("params %s accepted, want an error", bad)
		}
	}
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "prompt_echo"},
		{Name: "prompt_only", Type: "prompt_echo", Params: json.RawMessage(`{"context":false}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	earlier := "You could start with a short walk every morning and add ten minutes each week."
	item := scoring.Item{
		Prompt:   "Anything else?",
		Context:  []domain.Message{{Role: "user", Content: "How do I get fitter?"}, {Role: "assistant", Content: earlier}},
		Response: earlier,
	}
	out, err := set.Score(context.Background(), item)
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Result; got.Details["echo"] != true || got.Details["source"] != "context[1]" || got.Value != 1 {
		t.Errorf("with context: %+v, want an echo of context[1] with value 1", got)
	}
	if got := out[1].Result; got.Details["echo"] != false {
		t.Errorf("prompt only: %+v, want no echo", got)
	}
}

func BenchmarkDetect(b *testing.B) {
	prompt := strings.Repeat("Explain how the water cycle moves water between the oceans, the air and the land. ", 10)
	response := strings.Repeat("Water evaporates from the oceans, condenses into clouds and falls as rain on the land. ", 25)
	d := NewDetector()
	b.SetBytes(int64(len(response)))
	for b.Loop() {
		d.Detect(response, prompt)
	}
}
