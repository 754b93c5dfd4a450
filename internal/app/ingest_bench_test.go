package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// BenchmarkIngest streams batches of 5,000 responses of about 1.5 KB through the
// ingest use case with the length, refusal and pii scorers, keeping counts only (as
// a bulk client with Prefer: return=minimal does). It leaves out HTTP; make bench
// measures the whole path against raw COPY.
func BenchmarkIngest(b *testing.B) {
	reg, err := builtin.Registry()
	if err != nil {
		b.Fatal(err)
	}
	pool := testdb.Pool(b)
	svc, err := app.NewServices(app.Deps{Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	name := fmt.Sprintf("bench-ingest-%d", b.N)
	if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name,
		Scorers: []domain.ScorerConfig{{Type: "length"}, {Type: "refusal"}, {Type: "pii"}}}); err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The quick brown fox jumps over the lazy dog while the cat sleeps. ", 23)
	prompt := strings.Repeat("prompt ", 40)
	const batch = 5000
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		items := func(yield func(app.ResponseInput, error) bool) {
			for i := 0; i < batch; i++ {
				r := fmt.Sprint(text, n, i)
				in := app.ResponseInput{ExternalID: fmt.Sprint(n, "-", i), Model: fmt.Sprint("m", i%8), Prompt: fmt.Sprint(prompt, i), Response: &r}
				if !yield(in, nil) {
					return
				}
			}
		}
		if res, err := svc.Responses.Ingest(ctx, name, items, app.IngestOptions{}); err != nil || res.Created != batch {
			b.Fatalf("ingest = %+v, %v", res, err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "responses/s")
}
