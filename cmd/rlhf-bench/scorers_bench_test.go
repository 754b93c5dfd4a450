package main

import (
	"context"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// BenchmarkIngestScorers runs the ingest section's scorers, one worker, over the
// section's generated responses: what scoring costs the service per response.
func BenchmarkIngestScorers(b *testing.B) {
	reg, err := builtin.Registry()
	if err != nil {
		b.Fatal(err)
	}
	set, err := reg.Build(benchScorers())
	if err != nil {
		b.Fatal(err)
	}
	set.Workers = 1
	items := itemsOf(genResponses(newTextGen(1), 2000, 8, "ing"))
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		if _, err := set.ScoreBatch(ctx, items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(items)), "µs/response")
}
