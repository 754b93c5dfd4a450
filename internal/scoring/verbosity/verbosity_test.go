package verbosity

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestWords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want int
	}{
		{"", 0},
		{"one two  three", 3},
		{"it's 4.5 km", 5},
		{"café au lait", 3},
		{"日本語です", 5},
		{"e\u0301te\u0301", 1},
	}
	for _, tt := range tests {
		if got := Words(tt.text); got != tt.want {
			t.Errorf("Words(%q) = %d, want %d", tt.text, got, tt.want)
		}
	}
}

func TestScorer(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Verbosity())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"max_ratio":0}`, `{"unit":"tokens"}`, `{"ratio":2}`} {
		if _, err := reg.Build([]domain.ScorerConfig{{Type: "verbosity", Params: json.RawMessage(bad)}}); err == nil {
			t.Errorf("params %s accepted, want an error", bad)
		}
	}
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "verbosity"},
		{Name: "chars", Type: "verbosity", Params: json.RawMessage(`{"unit":"characters","max_ratio":3}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := set.NeedsReference(); len(got) != 2 {
		t.Errorf("NeedsReference = %v, want both configs", got)
	}
	tests := []struct {
		name, response, reference string
		ratio, charRatio          float64
		flagged, charFlagged      bool
	}{
		{"as long", "Paris is in France.", "Lyon is in France.", 1, 19.0 / 18, false, false},
		{"five times as long", "one two three four five six seven eight nine ten", "one two", 5, 48.0 / 7, true, true},
		{"shorter", "Yes.", "Yes, it is.", 1.0 / 3, 4.0 / 11, false, false},
		{"empty reference", "one two three", "", 3, 13, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, err := set.Score(context.Background(), scoring.Item{Response: tt.response, Reference: tt.reference, HasReference: true})
			if err != nil {
				t.Fatal(err)
			}
			w, c := out[0].Result, out[1].Result
			if math.Abs(w.Value-tt.ratio) > 1e-12 || w.Details["flagged"] != tt.flagged {
				t.Errorf("words: ratio %v flagged %v, want %v %v", w.Value, w.Details["flagged"], tt.ratio, tt.flagged)
			}
			if math.Abs(c.Value-tt.charRatio) > 1e-12 || c.Details["flagged"] != tt.charFlagged {
				t.Errorf("characters: ratio %v flagged %v, want %v %v", c.Value, c.Details["flagged"], tt.charRatio, tt.charFlagged)
			}
			if w.Details["reference_empty"] != (tt.reference == "") {
				t.Errorf("reference_empty = %v", w.Details["reference_empty"])
			}
			if _, err := json.Marshal(w.Details); err != nil {
				t.Errorf("details do not marshal: %v", err)
			}
		})
	}
}
