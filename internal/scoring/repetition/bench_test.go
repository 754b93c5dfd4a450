package repetition

import (
	"context"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func benchScore(b *testing.B, text string) {
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

// BenchmarkRepetitionProse scores about 2 KB of ordinary prose.
func BenchmarkRepetitionProse(b *testing.B) {
	var sb strings.Builder
	words := strings.Fields("the model answers each question with a short explanation followed by an example " +
		"and a note on edge cases that users often miss when they first try the feature in production systems")
	for i := 0; sb.Len() < 2000; i++ {
		sb.WriteString(words[(i*7)%len(words)])
		if i%13 == 12 {
			sb.WriteString(".\n")
		} else {
			sb.WriteByte(' ')
		}
	}
	benchScore(b, sb.String())
}

// BenchmarkRepetitionLoop scores about 2 KB of a degenerate loop.
func BenchmarkRepetitionLoop(b *testing.B) {
	benchScore(b, strings.Repeat("I apologize for the confusion. Let me try again.\n", 40))
}
