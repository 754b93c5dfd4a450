package squad

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

var benchWords = strings.Fields(`The model answered the question with a short summary of the main points:
Denver Broncos, Super Bowl 50, Levi's Stadium, Santa Clara, California, February 7, 2016, an
American football game, the National Football League champion, the Carolina Panthers`)

func benchText(seed uint64, n int) string {
	rng := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(benchWords[rng.IntN(len(benchWords))])
		b.WriteByte(' ')
	}
	return b.String()
}

// BenchmarkScorers scores a ~2 KB response against a ~2 KB reference.
func BenchmarkScorers(b *testing.B) {
	item := scoring.Item{Reference: benchText(1, 2048), HasReference: true, Response: benchText(2, 2048)}
	for _, typ := range []scoring.Type{ExactMatch(), F1()} {
		b.Run(typ.Name, func(b *testing.B) {
			s, err := typ.New([]byte(`{}`))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Score(ctx, item); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
