package sacrebleu

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// benchPair returns a response of about 2 KB of English-like text with punctuation
// and a reference that rewrites a fifth of its words, from a fixed seed.
func benchPair() (string, string) {
	words := strings.Fields(`the model answer should explain why a function returns an error when its
		input is empty and how the caller can recover, giving one example in Go, one in Python,
		and a short summary of the trade-offs; it must cite the documentation (section 4.2) and
		keep the tone neutral, concise, and helpful for readers who are new to programming.`)
	rng := rand.New(rand.NewPCG(1, 2))
	var hyp, ref strings.Builder
	for hyp.Len() < 2048 {
		w := words[rng.IntN(len(words))]
		hyp.WriteString(w)
		hyp.WriteByte(' ')
		if rng.IntN(5) == 0 {
			w = words[rng.IntN(len(words))]
		}
		ref.WriteString(w)
		ref.WriteByte(' ')
	}
	return hyp.String(), ref.String()
}

func benchScorer(b *testing.B, typ scoring.Type, params string) {
	reg, err := scoring.NewRegistry(typ)
	if err != nil {
		b.Fatal(err)
	}
	set, err := reg.Build([]domain.ScorerConfig{{Type: typ.Name, Params: json.RawMessage(params)}})
	if err != nil {
		b.Fatal(err)
	}
	sc := set.Scorers()[0].Scorer
	hyp, ref := benchPair()
	item := scoring.Item{Response: hyp, Reference: ref, HasReference: true}
	ctx := context.Background()
	b.SetBytes(int64(len(hyp) + len(ref)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sc.Score(ctx, item); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkBLEU(b *testing.B)         { benchScorer(b, BLEU(), `{}`) }
func BenchmarkBLEUIntl(b *testing.B)     { benchScorer(b, BLEU(), `{"tokenize":"intl"}`) }
func BenchmarkCHRF(b *testing.B)         { benchScorer(b, CHRF(), `{}`) }
func BenchmarkCHRFPlusPlus(b *testing.B) { benchScorer(b, CHRF(), `{"word_order":2}`) }
