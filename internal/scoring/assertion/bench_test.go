package assertion

import (
	"context"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// benchResponse is a typical answer of about 2 KB: prose, a list and a JSON block.
var benchResponse = func() string {
	var b strings.Builder
	b.WriteString("Sure! Here is a summary of the trade-offs between the two caching strategies you asked about.\n\n")
	for b.Len() < 1600 {
		b.WriteString("- Write-through caching keeps the cache and the database consistent, at the cost of latency on every write. ")
		b.WriteString("Write-back caching acknowledges writes early and flushes them later, which is faster but risks losing data.\n")
	}
	b.WriteString("\n```json\n{\"strategy\": \"write-through\", \"latency_ms\": 12.5, \"consistent\": true, \"notes\": [\"simple\", \"safe\"]}\n```\n")
	b.WriteString("Let me know if you would like a deeper comparison.")
	return b.String()
}()

func benchScorer(b *testing.B, typ, params string) {
	s := build(b, typ, params)
	item := scoring.Item{Response: benchResponse, Reference: benchResponse, HasReference: true}
	ctx := context.Background()
	b.SetBytes(int64(len(benchResponse)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Score(ctx, item); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
}

func BenchmarkContains(b *testing.B) {
	benchScorer(b, "contains", `{"values":["write-back","Cache","database","missing phrase"],"mode":"all"}`)
}

func BenchmarkContainsFolded(b *testing.B) {
	benchScorer(b, "contains", `{"values":["write-back","Cache","database","missing phrase"],"mode":"all","case_sensitive":false}`)
}

func BenchmarkRegex(b *testing.B) {
	benchScorer(b, "regex", `{"pattern":"\\blatency_ms\"\\s*:\\s*\\d+(\\.\\d+)?","flags":"i"}`)
}

func BenchmarkEquals(b *testing.B) {
	benchScorer(b, "equals", `{"use_reference":true,"case_sensitive":false}`)
}

func BenchmarkStartsWith(b *testing.B) {
	benchScorer(b, "starts_with", `{"value":"sure","case_sensitive":false}`)
}

func BenchmarkJSONFencedSchema(b *testing.B) {
	benchScorer(b, "json", `{"extract":"fenced","schema":{"type":"object","required":["strategy","latency_ms"],
		"properties":{"strategy":{"enum":["write-through","write-back"]},"latency_ms":{"type":"number","minimum":0},
		"notes":{"type":"array","items":{"type":"string"}}}}}`)
}

func BenchmarkJSONInvalid(b *testing.B) {
	benchScorer(b, "json", `{}`)
}
