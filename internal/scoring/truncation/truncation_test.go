package truncation

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
		name, text, kind string
	}{
		{"empty", "", kindNone},
		{"complete sentence", "Boil the water. Add the pasta and stir.", kindNone},
		{"one line without punctuation", "Paris is the capital of France", kindNone},
		{"one word", "Positive", kindNone},
		{"mid-sentence after punctuated sentences", "Preheat the oven. Grease the tin. Then pour the batter into the tin and bake it", KindSentence},
		{"ends on a conjunction", "You can walk or", KindOpen},
		{"ends on an article", "The best option is the", KindOpen},
		{"ends on a comma", "First, rinse the rice. Then,", KindOpen},
		{"ends on an opening bracket", "Here is the list:\n\n[", KindOpen},
		{"cut at an apostrophe", "That depends on what you'", KindOpen},
		{"closing single quote", "She called it 'the best'", kindNone},
		{"colon", "Here is what I think:", KindColon},
		{"ellipsis where the answer goes", "Sure, the code is ...", KindEllipsis},
		{"ellipsis as a trailing thought", "Well, that went well...", kindNone},
		{"unclosed code block", "Use this:\n\n```python\ndef f(x):\n    return x", KindCodeBlock},
		{"closed code block", "Use this:\n\n```python\ndef f(x):\n    return x\n```", kindNone},
		{"list item cut", "Steps:\n1. Open the lid.\n2. Pour the water.\n3. Close the", KindOpen},
		{"list item without its end", "Steps:\n- Open the lid.\n- Pour the water.\n- Close the lid firmly and wait", KindList},
		{"list without punctuation", "Colours:\n- red\n- green\n- blue", kindNone},
		{"loop stopped mid-line", "Add salt\nAdd salt\nAdd salt\nAdd", kindNone},
		{"loop stopped mid-line, longer", "- fresh green salad\n- fresh green salad\n- fresh green", KindRepetition},
		{"signature", "Thank you for your time.\n\nBest regards,\nAnna Smith", kindNone},
		{"form of labels", "Name:\nDate:\nSignature:", kindNone},
		{"url", "See the docs. They explain it well. More at https://example.com/docs/", kindNone},
		{"hashtags", "Join us on Friday! #launch #team", kindNone},
		{"emoji", "Have a great trip! Enjoy the sun 🌞", kindNone},
		{"cjk", "今天天气很好。我们去公园吧", kindNone},
		{"typographic closing quote", "He said “that’s all.”", kindNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got, _ := Detect(tt.text); got != tt.kind {
				t.Errorf("kind = %q, want %q", got, tt.kind)
			}
		})
	}
}

func TestTail(t *testing.T) {
	t.Parallel()
	text := "First line.\nSecond line with a “quote” and"
	kind, tail := Detect(text + "  \n")
	if kind != KindOpen {
		t.Fatalf("kind = %q, want %q", kind, KindOpen)
	}
	want := "Second line with a “quote” and"
	if tail.Text != want || text[tail.Start:tail.End] != want {
		t.Errorf("tail = %+v, want %q at %d", tail, want, strings.Index(text, want))
	}
}

func TestScorer(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Truncation())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"kinds":["cut"]}`, `{"kinds":[]}`, `{"other":1}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "truncation", Params: json.RawMessage(bad)}}); err == nil {
			t.Errorf("params %s accepted, want an error", bad)
		}
	}
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "truncation"},
		{Name: "code_only", Type: "truncation", Params: json.RawMessage(`{"kinds":["code_block"]}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Score(context.Background(), scoring.Item{Response: "It works because"})
	if err != nil {
		t.Fatal(err)
	}
	if got := out[0].Result; got.Value != 1 || got.Details["kind"] != KindOpen || got.Details["truncated"] != true {
		t.Errorf("default: %+v, want value 1, kind open", got)
	}
	if got := out[1].Result; got.Value != 0 || got.Details["kind"] != kindNone {
		t.Errorf("code_only: %+v, want value 0, kind none", got)
	}
}

func FuzzDetect(f *testing.F) {
	for _, s := range []string{"", "a", "x:\n", "```\n", "- a\n- a b\n- a", "“", "it’", "\n\n\n", "a,\nb,\nc,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kind, tail := Detect(s)
		if kind != kindNone && !contains(allKinds, kind) {
			t.Fatalf("kind %q", kind)
		}
		if tail == nil {
			if strings.TrimSpace(s) != "" && kind != kindNone {
				t.Fatalf("no tail for kind %q", kind)
			}
			return
		}
		if tail.Start < 0 || tail.Start > tail.End || tail.End > len(s) || s[tail.Start:tail.End] != tail.Text {
			t.Fatalf("tail %+v does not point into %q", tail, s)
		}
	})
}
