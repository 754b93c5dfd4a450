package readability

import (
	"context"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// BenchmarkReadability scores about 2 KB of prose with a list.
func BenchmarkReadability(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("Here is how the scheduler decides which job runs next.\n\n")
	for sb.Len() < 2000 {
		sb.WriteString("- Each job carries a priority and a deadline; the scheduler prefers earlier deadlines. ")
		sb.WriteString("When two jobs tie, the one that has waited longer runs first, which prevents starvation.\n")
	}
	text := sb.String()
	s := build(b)
	item := scoring.Item{Response: text}
	ctx := context.Background()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Score(ctx, item); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}
