package sacrebleu

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func newRegistry(t *testing.T) *scoring.Registry {
	t.Helper()
	reg, err := scoring.NewRegistry(BLEU(), CHRF())
	if err != nil {
		t.Fatalf("NewRegistry: %v", err)
	}
	return reg
}

func TestTypes(t *testing.T) {
	t.Parallel()
	for _, typ := range []scoring.Type{BLEU(), CHRF()} {
		if !typ.NeedsReference || typ.Better != scoring.HigherIsBetter {
			t.Errorf("%s: NeedsReference = %v, Better = %q, want true, higher", typ.Name, typ.NeedsReference, typ.Better)
		}
	}
	newRegistry(t)
}

func TestParamsRejected(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	tests := []struct {
		name   string
		typ    string
		params string
		field  string
	}{
		{"bleu unknown tokenizer", "bleu", `{"tokenize":"zh"}`, "[0].params.tokenize"},
		{"bleu unknown param", "bleu", `{"effective_order":false}`, "[0].params"},
		{"bleu value without floor or add-k", "bleu", `{"smooth_value":0.1}`, "[0].params.smooth_value"},
		{"bleu negative value", "bleu", `{"smooth_method":"floor","smooth_value":-1}`, "[0].params.smooth_value"},
		{"chrf char order zero", "chrf", `{"char_order":0}`, "[0].params.char_order"},
		{"chrf word order too high", "chrf", `{"word_order":5}`, "[0].params.word_order"},
		{"chrf fractional beta", "chrf", `{"beta":2.5}`, "[0].params.beta"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := reg.Build([]domain.ScorerConfig{{Type: tt.typ, Params: []byte(tt.params)}})
			if err == nil {
				t.Fatalf("Build(%s %s) succeeded, want an error on %s", tt.typ, tt.params, tt.field)
			}
			var fields []string
			for _, f := range domain.Fields(err) {
				fields = append(fields, f.Field)
			}
			found := false
			for _, f := range fields {
				found = found || f == tt.field
			}
			if !found {
				t.Errorf("error fields = %q, want one %q (%v)", fields, tt.field, err)
			}
		})
	}
}

// Expected numbers are the oracle values of TestSentenceBLEUOracleCases and
// TestSentenceCHRFOracleCases for the same pair; a perfect match has sacrebleu's
// score 100.00000000000004, which the value caps at 1.
func TestScorersThroughSet(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	set, err := reg.Build([]domain.ScorerConfig{
		{Type: "bleu"},
		{Type: "chrf"},
		{Name: "chrf_pp", Type: "chrf", Params: json.RawMessage(`{"word_order": 2.0}`)},
		{Name: "bleu_intl", Type: "bleu", Params: json.RawMessage(`{"tokenize":"intl","lowercase":true,"smooth_method":"add-k","smooth_value":0.5}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		item    scoring.Item
		scorer  int
		value   float64
		details map[string]any
	}{
		{"bleu", scoring.Item{Response: "The quick brown fox jumps over the lazy dog.", Reference: "A quick brown fox jumped over the lazy dog.", HasReference: true},
			0, 52.53819788848316 / 100, map[string]any{
				"score": 52.53819788848316, "bp": 1.0, "sys_len": 10.0, "ref_len": 10.0,
				"precisions": []any{80.0, 66.66666666666667, 50.0, 28.571428571428573},
				"counts":     []any{8.0, 6.0, 4.0, 2.0}, "totals": []any{10.0, 9.0, 8.0, 7.0},
				"signature": "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0",
			}},
		{"bleu perfect capped", scoring.Item{Response: "same words here", Reference: "same words here", HasReference: true},
			0, 1, map[string]any{
				"score": 100.00000000000004, "bp": 1.0, "sys_len": 3.0, "ref_len": 3.0,
				"precisions": []any{100.0, 100.0, 100.0, 0.0},
				"counts":     []any{3.0, 2.0, 1.0, 0.0}, "totals": []any{3.0, 2.0, 1.0, 0.0},
				"signature": "nrefs:1|case:mixed|eff:yes|tok:13a|smooth:exp|version:2.6.0",
			}},
		{"chrf", scoring.Item{Response: "The quick brown fox jumps over the lazy dog.", Reference: "A quick brown fox jumped over the lazy dog.", HasReference: true},
			1, 0.8272049125618447, map[string]any{
				"score": 82.72049125618447, "name": "chrF2",
				"stats":     []any{36.0, 35.0, 33.0, 35.0, 34.0, 30.0, 34.0, 33.0, 28.0, 33.0, 32.0, 26.0, 32.0, 31.0, 24.0, 31.0, 30.0, 22.0},
				"signature": "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0",
			}},
		{"chrf++", scoring.Item{Response: "The quick brown fox jumps over the lazy dog.", Reference: "A quick brown fox jumped over the lazy dog.", HasReference: true},
			2, 0.803758036095243, map[string]any{
				"score": 80.3758036095243, "name": "chrF2++",
				"stats":     []any{36.0, 35.0, 33.0, 35.0, 34.0, 30.0, 34.0, 33.0, 28.0, 33.0, 32.0, 26.0, 32.0, 31.0, 24.0, 31.0, 30.0, 22.0, 10.0, 10.0, 8.0, 9.0, 9.0, 6.0},
				"signature": "nrefs:1|case:mixed|eff:yes|nc:6|nw:2|space:no|version:2.6.0",
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outs, err := set.Score(context.Background(), tt.item)
			if err != nil {
				t.Fatal(err)
			}
			o := outs[tt.scorer]
			if o.Err != nil {
				t.Fatalf("%s: %v", o.Name, o.Err)
			}
			if !near(o.Result.Value, tt.value, 1e-12) {
				t.Errorf("%s value = %v, want %v", o.Name, o.Result.Value, tt.value)
			}
			// Details are stored as JSON; compare what a reader gets back.
			raw, err := json.Marshal(o.Result.Details)
			if err != nil {
				t.Fatalf("details do not marshal: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range tt.details {
				g := got[k]
				if gf, ok := g.(float64); ok {
					if wf, ok := want.(float64); ok && near(gf, wf, 1e-12) {
						continue
					}
				}
				if !reflect.DeepEqual(g, want) {
					t.Errorf("details[%q] = %v, want %v", k, g, want)
				}
			}
		})
	}
	if got, want := set.Scorers()[3].Config.Params, json.RawMessage(`{"tokenize":"intl","lowercase":true,"smooth_method":"add-k","smooth_value":0.5}`); string(got) != string(want) {
		t.Errorf("normalized params = %s, want %s", got, want)
	}
}

// Corpus scores computed from stored details (read back from JSON) must equal
// corpus_bleu and corpus_chrf over the same segments: the sacrebleu README corpus with
// its first reference stream. Expected values are an oracle run of the transcribed
// sacrebleu 2.x corpus_bleu (45.06750632106116, stats 17 17 / 12 6 4 3 / 17 14 11 8) and
// corpus_chrf (50.043063606582294).
func TestCorpusFromStoredDetails(t *testing.T) {
	t.Parallel()
	reg := newRegistry(t)
	set, err := reg.Build([]domain.ScorerConfig{{Type: "bleu"}, {Type: "chrf"}})
	if err != nil {
		t.Fatal(err)
	}
	var bleuStats []BLEUStats
	var chrfStats []CHRFStats
	for i, h := range readmeHyps {
		outs, err := set.Score(context.Background(), scoring.Item{Response: h, Reference: readmeRefs[0][i], HasReference: true})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(outs[0].Result.Details)
		var bs BLEUStats
		if err := json.Unmarshal(raw, &bs); err != nil {
			t.Fatal(err)
		}
		bleuStats = append(bleuStats, bs)
		raw, _ = json.Marshal(outs[1].Result.Details["stats"])
		var cs CHRFStats
		if err := json.Unmarshal(raw, &cs); err != nil {
			t.Fatal(err)
		}
		chrfStats = append(chrfStats, cs)
	}
	gotBLEU, err := CorpusBLEU(bleuStats, BLEUOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantStats := BLEUStats{17, 17, [4]int{12, 6, 4, 3}, [4]int{17, 14, 11, 8}}
	if gotBLEU.Stats != wantStats {
		t.Errorf("summed bleu stats = %+v, want %+v", gotBLEU.Stats, wantStats)
	}
	if !near(gotBLEU.Score, 45.06750632106116, 1e-12) {
		t.Errorf("corpus bleu from details = %v, want 45.06750632106116", gotBLEU.Score)
	}
	gotCHRF, err := CorpusCHRF(chrfStats, DefaultCHRFOptions())
	if err != nil {
		t.Fatal(err)
	}
	if gotCHRF.Score != 50.043063606582294 {
		t.Errorf("corpus chrf from details = %v, want 50.043063606582294", gotCHRF.Score)
	}
}

// TestCHRFDescriptionStatesTheDefault: the description names the word_order that
// the params schema defaults to.
func TestCHRFDescriptionStatesTheDefault(t *testing.T) {
	t.Parallel()
	var schema struct {
		Properties map[string]struct {
			Default json.RawMessage `json:"default"`
		} `json:"properties"`
	}
	typ := CHRF()
	if err := json.Unmarshal(typ.ParamsSchema, &schema); err != nil {
		t.Fatal(err)
	}
	d := schema.Properties["word_order"].Default
	if len(d) == 0 {
		t.Fatal("the schema gives word_order no default")
	}
	if want := fmt.Sprintf("word_order %s by default", d); !strings.Contains(typ.Description, want) {
		t.Errorf("description %q does not say %q", typ.Description, want)
	}
}
