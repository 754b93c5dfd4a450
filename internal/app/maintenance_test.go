package app_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
)

// seedResponses stores n responses of two models in e, each with a score from a
// scorer "old" that the evaluation no longer has once its scorers change.
func seedResponses(t *testing.T, d app.Deps, e domain.Evaluation, n int) []domain.Response {
	t.Helper()
	var rs []domain.Response
	for i := range n {
		v := float64(i % 7)
		text := "word"
		for range i % 11 {
			text += " word"
		}
		rs = append(rs, domain.Response{
			ID: d.IDs.NewID(), EvaluationID: e.ID, ExternalID: fmt.Sprintf("r%d", i), PromptID: fmt.Sprintf("p%d", i),
			Model: []string{"m1", "m2"}[i%2], Prompt: "prompt", Text: text, Metadata: map[string]any{}, CreatedAt: time.Now().UTC(),
			Scores: []domain.Score{{Scorer: "old", Value: &v, Details: map[string]any{}, CreatedAt: time.Now().UTC()}},
		})
	}
	for start := 0; start < n; start += 40 {
		if _, err := d.Stores.Responses.InsertResponses(context.Background(), rs[start:min(start+40, n)]); err != nil {
			t.Fatal(err)
		}
	}
	return rs
}

func maintenanceDeps(t *testing.T) app.Deps {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length(), refType())
	if err != nil {
		t.Fatal(err)
	}
	return appDepsWith(t, reg)
}

func TestRescoreReplacesScoresAndKeepsRollupsExact(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := maintenanceDeps(t)
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "rescore", Scorers: []domain.ScorerConfig{{Type: "same"}}})
	if err != nil {
		t.Fatal(err)
	}
	rs := seedResponses(t, d, e, 230)

	// A patch that changes nothing about the scorers starts nothing.
	if _, job, err := svc.Evaluations.UpdateAndRescore(ctx, "rescore", app.EvaluationPatch{Description: str("x")}); err != nil || job != nil {
		t.Fatalf("UpdateAndRescore(description) = job %v, %v; want no job", job, err)
	}
	scorers := []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: ptr(5.0)}}}
	_, first, err := svc.Evaluations.UpdateAndRescore(ctx, "rescore", app.EvaluationPatch{Scorers: &scorers})
	if err != nil || first == nil {
		t.Fatalf("UpdateAndRescore(scorers) = job %v, %v; want a job", first, err)
	}
	// A second change cancels the first job, which has not started.
	scorers = []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: ptr(4.0)}}}
	_, job, err := svc.Evaluations.UpdateAndRescore(ctx, "rescore", app.EvaluationPatch{Scorers: &scorers})
	if err != nil || job == nil {
		t.Fatalf("second UpdateAndRescore = job %v, %v", job, err)
	}
	if j, _ := svc.Jobs.Get(ctx, first.ID.String()); j.Status != domain.JobCancelled {
		t.Errorf("the first rescore job is %s, want cancelled", j.Status)
	}

	runner, err := app.NewRescoreRunner(d, 64)
	if err != nil {
		t.Fatal(err)
	}
	report, err := runner.Run(ctx, *job)
	if err != nil {
		t.Fatal(err)
	}
	got, err := svc.Jobs.Get(ctx, job.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	if got.Total != 230 || got.Done != 230 || report["rescored_responses"] != int64(230) || got.Checkpoint != rs[len(rs)-1].ID.String() {
		t.Errorf("job = %d/%d, checkpoint %s, report %v; want 230/230 ending at the last response", got.Done, got.Total, got.Checkpoint, report)
	}

	stored, err := d.Stores.Responses.GetResponses(ctx, e.ID, []domain.ID{rs[0].ID, rs[11].ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range stored {
		if len(r.Scores) != 1 || r.Scores[0].Scorer != "length" || r.Scores[0].Passed == nil {
			t.Errorf("response %s scores = %+v, want only length with a verdict", r.ExternalID, r.Scores)
		}
	}

	for _, groupBy := range []string{"", "model"} {
		fromRollups, err := svc.Summaries.Summary(ctx, "rescore", app.SummaryInput{GroupBy: groupBy})
		if err != nil {
			t.Fatal(err)
		}
		exact, err := svc.Summaries.Summary(ctx, "rescore", app.SummaryInput{GroupBy: groupBy, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(fromRollups.Scorers) != len(exact.Scorers) || len(exact.Scorers) == 0 {
			t.Fatalf("group by %q: %d rows from the rollups, %d from the scores", groupBy, len(fromRollups.Scorers), len(exact.Scorers))
		}
		for i, a := range fromRollups.Scorers {
			b := exact.Scorers[i]
			if a.Scorer != "length" || a.Scorer != b.Scorer || a.Model != b.Model || a.N != b.N || a.NPassKnown != b.NPassKnown ||
				math.Abs(*a.Mean-*b.Mean) > 1e-12 || *a.Min != *b.Min || *a.Max != *b.Max || math.Abs(*a.PassRate-*b.PassRate) > 1e-12 {
				t.Errorf("group by %q row %d: rollups %+v, scores %+v", groupBy, i, a, b)
			}
		}
	}
}

func TestPurgeRemovesADeletedEvaluation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := maintenanceDeps(t)
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "purge", Scorers: []domain.ScorerConfig{{Type: "length"}}})
	if err != nil {
		t.Fatal(err)
	}
	seedResponses(t, d, e, 50)
	job, err := svc.Evaluations.StartDelete(ctx, "purge")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Evaluations.Get(ctx, e.ID.String()); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Get(deleted) error = %v, want not found", err)
	}
	if _, err := svc.Jobs.Cancel(ctx, job.ID.String()); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("Cancel(purge) error = %v, want a conflict", err)
	}
	runner, err := app.NewPurgeRunner(d, 7)
	if err != nil {
		t.Fatal(err)
	}
	report, err := runner.Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := svc.Jobs.Get(ctx, job.ID.String())
	if got.Total != 50 || got.Done != 50 || report["deleted_rows"] != int64(50) {
		t.Errorf("job = %d/%d, report %v; want 50/50", got.Done, got.Total, report)
	}
	if n, m, err := d.Stores.Maintenance.CountEvaluationRows(ctx, e.ID); err != nil || n+m != 0 {
		t.Errorf("left behind: %d responses, %d comparisons, %v", n, m, err)
	}
	// Run again, as after a crash between the last batch and the outcome: nothing
	// left to do, and nothing counted twice.
	got, _ = svc.Jobs.Get(ctx, job.ID.String())
	if _, err := runner.Run(ctx, got); err != nil {
		t.Fatalf("second run: %v", err)
	}
	if again, _ := svc.Jobs.Get(ctx, job.ID.String()); again.Done != 50 {
		t.Errorf("after a second run done = %d, want 50", again.Done)
	}
}

func ptr[T any](v T) *T { return &v }
