package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// checkObject fails unless appendObject writes m exactly as json.Marshal does,
// or fails where it fails.
func checkObject(t *testing.T, m map[string]any) {
	t.Helper()
	want, wantErr := json.Marshal(m)
	got, err := appendObject(nil, m)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("appendObject(%#v) error %v, json.Marshal's %v", m, err, wantErr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("appendObject(%#v) =\n%s\njson.Marshal:\n%s", m, got, want)
	}
}

type tagged struct {
	Text  string `json:"text"`
	Start int    `json:"start"`
}

func TestAppendObjectMatchesMarshal(t *testing.T) {
	for name, m := range map[string]map[string]any{
		"nil":           nil,
		"scalars":       {"b": true, "f": false, "n": nil, "i": -42, "s": "plain text", "x": 0.25},
		"floats":        {"a": 0.0, "b": math.Copysign(0, -1), "c": 1e-6, "d": 9.99e-7, "e": 1e21, "f": 9.99e20, "g": -1e-7, "h": 1.0 / 3, "i": 123456789.125, "j": 1e300, "k": 5e-324},
		"unencodable":   {"nan": math.NaN()},
		"infinite":      {"inf": math.Inf(-1)},
		"escapes":       {"html": "<a href='x'>&amp;</a>", "quote": `say "hi" \ back`, "ctl": "tab\tnl\ncr\r\x01\x7f", "uni": "é “q” \u2028\u2029 😀", "bad": "a\xffb"},
		"odd keys":      {"<k>": 1, "é": 2, "a\"b": 3, "": 4, "Z": 5, "a": 6},
		"lists":         {"none": []string(nil), "empty": []string{}, "some": []string{"x", "<y>", "é"}},
		"counts":        {"none": map[string]int(nil), "empty": map[string]int{}, "some": map[string]int{"phone": 2, "email": 0, "ip<": 1}},
		"nested":        {"o": map[string]any{"z": 1, "a": []any{1.5, "x", nil, map[string]any{"k": "v"}}}, "nilmap": map[string]any(nil)},
		"other values":  {"span": &tagged{Text: "I can't", Start: 3}, "structs": []tagged{{"a", 1}}, "nilptr": (*tagged)(nil), "i64": int64(7), "u8": []byte("raw")},
		"empty structs": {"findings": []tagged{}},
	} {
		t.Run(name, func(t *testing.T) { checkObject(t, m) })
	}
}

// TestAppendObjectScorerDetails compares the two on the details the built-in
// scorers give for texts of every kind they report on.
func TestAppendObjectScorerDetails(t *testing.T) {
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var configs []domain.ScorerConfig
	for _, typ := range []string{"length", "refusal", "pii", "repetition", "readability", "verbosity", "truncation", "hedging"} {
		configs = append(configs, domain.ScorerConfig{Name: typ, Type: typ})
	}
	set, err := reg.Build(configs)
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{
		"",
		"Sure! Here is a plan.\n\nFirst, back up the data. Then migrate it.",
		"I'm sorry, but I can't help with that request.",
		"As an AI, I cannot provide medical advice. Please see a doctor.",
		"Write to jane.doe@example.com or call (415) 555-0132; the server is at 10.1.2.3.",
		"Card 4111 1111 1111 1111 & <script>alert('x')</script> — “quoted” text é 😀",
		"I think it might possibly work, perhaps, but I am not sure. It may be",
		"word word word word word word word word word word word word word word",
	}
	var items []scoring.Item
	for _, tx := range texts {
		items = append(items, scoring.Item{Prompt: "Help me with this, please?", Response: tx})
	}
	out, err := set.ScoreBatch(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	for _, outcomes := range out {
		for _, o := range outcomes {
			if o.Err == nil {
				checkObject(t, o.Result.Details)
			}
		}
	}
}
