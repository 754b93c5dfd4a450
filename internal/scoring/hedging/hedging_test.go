package hedging

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestFind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		text  string
		kinds []string
		texts []string
	}{
		{"plain answer", "Water boils at 100 degrees Celsius at sea level.", nil, nil},
		{"ai self-reference", "As an AI language model, I think the second option is cheaper.", []string{KindSelfReference}, []string{"As an AI language model"}},
		{"typographic apostrophe", "I’m just an AI, so take this with a grain of salt.", []string{KindSelfReference}, []string{"I’m just an AI"}},
		{"knowledge cut-off", "As of my last update, the bridge was still closed.", []string{KindSelfReference}, []string{"As of my last update"}},
		{"sign-off", "Boil for ten minutes. I hope this helps!", []string{KindPleasantry}, []string{"I hope this helps"}},
		{"offer to change", "Here is the poem. Let me know if you'd like me to change anything.", []string{KindPleasantry}, []string{"Let me know if you'd like"}},
		{"request for what the answer needs", "Let me know which city you mean and I will look at the schedule.", nil, nil},
		{"letter content", "Dear Ms. Lee, the order has shipped. Do not hesitate to contact us with questions.", nil, nil},
		{"one apology is manners", "Sorry! The file is attached now.", nil, nil},
		{"a second stock apology", "Sorry! I misread that. Sorry! Here is the right file.", []string{KindApology}, []string{"Sorry!"}},
		{"apology for the confusion twice", "I apologize for the confusion. The answer is 4. I apologize for the error above.", []string{KindApology},
			[]string{"apologize for the error"}},
		{"a caveat is not filler", "I'm not a doctor, but rest and fluids usually help a cold.", nil, nil},
		{"disclaimer", "It's important to note that I am not able to verify this.", []string{KindDisclaimer}, []string{"It's important to note that I"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, _ := Find(tt.text)
			if len(got) != len(tt.kinds) {
				t.Fatalf("matches = %+v, want kinds %v", got, tt.kinds)
			}
			for i, m := range got {
				if m.Kind != tt.kinds[i] || !strings.Contains(m.Text, tt.texts[i]) && m.Text != tt.texts[i] {
					t.Errorf("match %d = %+v, want kind %s text %q", i, m, tt.kinds[i], tt.texts[i])
				}
				if tt.text[m.Start:m.End] != m.Text {
					t.Errorf("match %d %+v does not point into the text", i, m)
				}
			}
		})
	}
}

func TestScorer(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Hedging())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"threshold":0}`, `{"threshold":-1}`, `{"threshold":101}`, `{"rate":1}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "hedging", Params: json.RawMessage(bad)}}); err == nil {
			t.Errorf("params %s accepted, want an error", bad)
		}
	}
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "hedging"},
		{Name: "strict", Type: "hedging", Params: json.RawMessage(`{"threshold": 5}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	// 42 words with one pleasantry: 100/42 per 100 words.
	text := strings.Repeat("The train leaves at nine from platform two. ", 4) + "Bring a ticket and arrive early. I hope this helps."
	out, err := set.Score(context.Background(), scoring.Item{Response: text})
	if err != nil {
		t.Fatal(err)
	}
	def, strict := out[0].Result, out[1].Result
	if want := 100.0 / 42; def.Details["words"] != 42 || math.Abs(def.Value-want) > 1e-12 || def.Details["flagged"] != true {
		t.Errorf("default: value %v, details %v; want 42 words, rate %v, flagged", def.Value, def.Details, want)
	}
	if strict.Value != def.Value || strict.Details["flagged"] != false {
		t.Errorf("threshold 5: value %v, details %v; want rate %v, not flagged", strict.Value, strict.Details, def.Value)
	}
	empty, err := set.Score(context.Background(), scoring.Item{Response: ""})
	if err != nil {
		t.Fatal(err)
	}
	if empty[0].Result.Value != 0 || empty[0].Result.Details["flagged"] != false {
		t.Errorf("empty: %+v, want rate 0, not flagged", empty[0].Result)
	}
}
