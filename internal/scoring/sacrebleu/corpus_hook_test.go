package sacrebleu

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// TestCorpusHooksFromStoredDetails sums the "stats" arrays that the scorers put in
// their details (as the summary does in SQL, after a JSON round trip) and checks the
// Type.Corpus hooks against corpus scores computed directly.
func TestCorpusHooksFromStoredDetails(t *testing.T) {
	t.Parallel()
	pairs := [][2]string{
		{"The quick brown fox jumps over the lazy dog.", "A quick brown fox jumped over the lazy dog."},
		{"Der schnelle braune Fuchs springt über den faulen Hund.", "Der schnelle, braune Fuchs sprang über den faulen Hund!"},
	}
	sum := func(typ scoring.Type) []float64 {
		s, err := typ.New(json.RawMessage(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		var total []float64
		for _, p := range pairs {
			r, err := s.Score(context.Background(), scoring.Item{Response: p[0], Reference: p[1], HasReference: true})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(r.Details)
			var stored struct{ Stats []float64 }
			if err := json.Unmarshal(b, &stored); err != nil {
				t.Fatal(err)
			}
			if total == nil {
				total = make([]float64, len(stored.Stats))
			}
			for i, v := range stored.Stats {
				total[i] += v
			}
		}
		return total
	}

	// BLEU: the two segments' statistics (see TestSentenceBLEUOracleCases) sum to
	// sys_len 20, ref_len 21, matches 16/11/6/3 of 20/18/16/14 n-grams. By hand:
	// BP = exp(1 - 21/20); BLEU = 100·BP·exp(mean(log(16/20), log(11/18), log(6/16),
	// log(3/14))) = 42.34907603037049.
	got, err := BLEU().Corpus(json.RawMessage(`{}`), sum(BLEU()))
	if err != nil {
		t.Fatal(err)
	}
	if s := got["score"].(float64); !near(s, 42.34907603037049, 1e-12) || got["sys_len"] != 20 || got["ref_len"] != 21 {
		t.Errorf("corpus bleu = %v, want score 42.34907603037049, sys_len 20, ref_len 21", got)
	}

	// chrF: the hook over summed stats equals CorpusCHRF over the segments.
	m, err := NewCHRFMetric(DefaultCHRFOptions())
	if err != nil {
		t.Fatal(err)
	}
	var segs []CHRFStats
	for _, p := range pairs {
		segs = append(segs, m.Sentence(p[0], []string{p[1]}).Stats)
	}
	want, err := m.Corpus(segs)
	if err != nil {
		t.Fatal(err)
	}
	gotc, err := CHRF().Corpus(json.RawMessage(`{}`), sum(CHRF()))
	if err != nil {
		t.Fatal(err)
	}
	if gotc["score"].(float64) != want.Score {
		t.Errorf("corpus chrf from stored details = %v, want %v", gotc["score"], want.Score)
	}
	if _, err := BLEU().Corpus(json.RawMessage(`{}`), []float64{1, 2}); err == nil {
		t.Errorf("corpus bleu accepted statistics of the wrong length")
	}
}
