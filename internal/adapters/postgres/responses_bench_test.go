package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// BenchmarkGetResponse reads one response with four scores in an evaluation with
// no pending scores, as GET /v1/evaluations/{eval}/responses/{id} does. The
// baseline, separate-pending-read, adds the statement a read used to run apart
// for pending scores; one-read is the read as it is. Compare the two in one run:
//
//	go test -run '^$' -bench BenchmarkGetResponse -count 5 ./internal/adapters/postgres
func BenchmarkGetResponse(b *testing.B) {
	ctx := context.Background()
	pool := testdb.Pool(b)
	s := postgres.NewStores(pool)
	ids := system.IDs{}
	now := time.Now().UTC().Truncate(time.Microsecond)
	e := domain.Evaluation{ID: ids.NewID(), Name: fmt.Sprintf("bench-read-%d", now.UnixNano()), Metadata: map[string]any{},
		CreatedAt: now, UpdatedAt: now}
	if err := s.Evaluations.CreateEvaluation(ctx, e); err != nil {
		b.Fatal(err)
	}
	r := domain.Response{ID: ids.NewID(), EvaluationID: e.ID, ExternalID: "r", PromptID: domain.PromptHash("p"), Model: "m",
		Prompt: "p", Text: "an answer", Metadata: map[string]any{}, CreatedAt: now}
	for _, name := range []string{"a", "b", "c", "d"} {
		v := 1.0
		r.Scores = append(r.Scores, domain.Score{Scorer: name, Value: &v, Details: map[string]any{}, CreatedAt: now})
	}
	if _, err := s.Responses.InsertResponses(ctx, []domain.Response{r}); err != nil {
		b.Fatal(err)
	}
	read := func(b *testing.B) {
		got, err := s.Responses.GetResponses(ctx, e.ID, []domain.ID{r.ID})
		if err != nil || len(got) != 1 || len(got[0].Scores) != 4 {
			b.Fatalf("GetResponses = %d responses, %v", len(got), err)
		}
	}
	b.Run("baseline=separate-pending-read", func(b *testing.B) {
		for b.Loop() {
			read(b)
			rows, err := pool.Query(ctx, `SELECT response_id, scorer, job_id, created_at FROM pending_scores
				WHERE evaluation_id = $1 AND response_id = ANY($2::uuid[]) ORDER BY response_id, scorer`,
				e.ID.String(), []string{r.ID.String()})
			if err != nil {
				b.Fatal(err)
			}
			rows.Close()
		}
	})
	b.Run("one-read", func(b *testing.B) {
		for b.Loop() {
			read(b)
		}
	})
}
