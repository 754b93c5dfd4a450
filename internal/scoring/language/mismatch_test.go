package language

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestLanguageMismatch(t *testing.T) {
	t.Parallel()
	const (
		enPrompt = "Could you explain to me how bread rises when it is baked in a hot oven, and why some loaves stay flat and heavy?"
		enAnswer = "Bread rises because yeast eats the sugars in the dough and gives off carbon dioxide, which the gluten network traps in small bubbles. In the oven the gas expands and the water turns to steam, so the loaf grows until the crust sets."
		esAnswer = "El pan sube porque la levadura se alimenta de los azúcares de la masa y libera dióxido de carbono, que la red de gluten atrapa en pequeñas burbujas. En el horno el gas se expande y el agua se convierte en vapor, así que la hogaza crece hasta que la corteza se endurece."
	)
	tests := []struct {
		name, prompt, response string
		mismatch               bool
		reason                 string
	}{
		{"same language", enPrompt, enAnswer, false, matchSame},
		{"another language", enPrompt, esAnswer, true, mismatchLanguage},
		{"translation asked", "Translate this into Spanish: " + enAnswer, esAnswer, false, matchAsked},
		{"language named", enPrompt + " Please answer in Spanish.", esAnswer, false, matchAsked},
		{"short answer in another script", "Describe a cat in two words.", "可爱的小猫", true, mismatchScript},
		{"short answer in the same script", "Describe a cat in two words.", "Fluffy, playful.", false, matchSame},
		{"too short to tell", "Hi", "OK", false, matchUnknown},
		{"list that switches script", "Write five slogans for a spring sale.",
			"1. Spring into savings!\n2. 春季大促销\n3. 新品上市\n4. 折扣多多\n5. 快来购买", true, mismatchScript},
		{"a name in another script is not a mismatch", enPrompt, enAnswer + " (In Japanese, bread is パン.)", false, matchSame},
	}
	typ := LanguageMismatch()
	s, err := typ.New(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := s.Score(context.Background(), scoring.Item{Prompt: tt.prompt, Response: tt.response})
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Details["mismatch"]; got != tt.mismatch || res.Details["reason"] != tt.reason {
				t.Errorf("mismatch, reason = %v, %v, want %v, %v (%v)", got, res.Details["reason"], tt.mismatch, tt.reason, res.Details)
			}
			if want := map[bool]float64{true: 1, false: 0}[tt.mismatch]; res.Value != want {
				t.Errorf("value = %v, want %v", res.Value, want)
			}
		})
	}
}

func TestLanguageMismatchContext(t *testing.T) {
	t.Parallel()
	s, err := LanguageMismatch().New(json.RawMessage(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	// The prompt alone is too short; the person's earlier turn says it is English.
	item := scoring.Item{
		Prompt:   "Yes",
		Context:  []domain.Message{{Role: "user", Content: "Can you tell me which plants grow well on a shady balcony?"}, {Role: "assistant", Content: "Do you want flowers?"}},
		Response: "ぜひ、日陰でも育つ植物をいくつか紹介します。",
	}
	res, err := s.Score(context.Background(), item)
	if err != nil {
		t.Fatal(err)
	}
	if res.Details["mismatch"] != true || res.Details["prompt_script"] != "Latin" {
		t.Errorf("details = %v, want a mismatch against a Latin-script prompt", res.Details)
	}
}

func TestLanguageMismatchParams(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(LanguageMismatch())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"min_letters":0}`, `{"min_confidence":2}`, `{"language_letters":"x"}`, `{"expected":"en"}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "language_mismatch", Params: json.RawMessage(bad)}}); err == nil {
			t.Errorf("params %s accepted, want an error", bad)
		}
	}
	if _, err := reg.Build([]domain.ScorerConfig{{Type: "language_mismatch", Params: json.RawMessage(`{"min_letters":10,"min_confidence":0.5,"language_letters":50}`)}}); err != nil {
		t.Errorf("valid params refused: %v", err)
	}
}
