package porttest

import (
	"context"
	"errors"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

func newJob(kind string, evaluation *domain.ID) domain.Job {
	return domain.Job{
		ID: newID(), Kind: kind, EvaluationID: evaluation, Status: domain.JobQueued,
		Params: map[string]any{"n": 3.0}, CreatedAt: now(),
	}
}

func mustEnqueue(t *testing.T, s ports.JobStore, j domain.Job) domain.Job {
	t.Helper()
	if err := s.EnqueueJob(context.Background(), j); err != nil {
		t.Fatalf("EnqueueJob: %v", err)
	}
	return j
}

func testJobs(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Jobs
	e := mustEvaluation(t, h.Stores.Evaluations)
	kind := uniqueName("kind")

	t.Run("enqueue and get round-trip", func(t *testing.T) {
		j := mustEnqueue(t, s, newJob(kind, &e.ID))
		got, err := s.GetJob(ctx, j.ID)
		if err != nil {
			t.Fatalf("GetJob: %v", err)
		}
		if got.Kind != kind || got.EvaluationID == nil || *got.EvaluationID != e.ID || got.Status != domain.JobQueued ||
			got.Params["n"] != 3.0 || !got.CreatedAt.Equal(j.CreatedAt) || got.StartedAt != nil || got.FinishedAt != nil ||
			got.Report != nil || got.Error != "" || got.Checkpoint != "" {
			t.Errorf("GetJob = %+v, want %+v", got, j)
		}
		if _, err := s.GetJob(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetJob(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("a job without a kind is invalid", func(t *testing.T) {
		var ve *domain.ValidationError
		if err := s.EnqueueJob(ctx, newJob("", nil)); !errors.As(err, &ve) {
			t.Errorf("EnqueueJob(no kind) error = %v, want a ValidationError", err)
		}
	})
	t.Run("enqueue commits and rolls back with the transaction", func(t *testing.T) {
		kept, dropped := newJob(kind, nil), newJob(kind, nil)
		if err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error { return s.Jobs.EnqueueJob(ctx, kept) }); err != nil {
			t.Fatalf("InTx: %v", err)
		}
		boom := errors.New("boom")
		if err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			if err := s.Jobs.EnqueueJob(ctx, dropped); err != nil {
				return err
			}
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("InTx error = %v, want boom", err)
		}
		if _, err := s.GetJob(ctx, kept.ID); err != nil {
			t.Errorf("the committed job: %v", err)
		}
		if _, err := s.GetJob(ctx, dropped.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the rolled-back job: error = %v, want ErrNotFound", err)
		}
	})
	t.Run("counters add up", func(t *testing.T) {
		j := mustEnqueue(t, s, newJob(kind, nil))
		if err := s.SetJobTotal(ctx, j.ID, 10); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := s.AddJobProgress(ctx, j.ID, ports.JobProgress{Done: 2, Failed: 1, Cached: 1, Tokens: 100, Cost: 0.25}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != 10 || got.Done != 4 || got.Failed != 2 || got.Cached != 2 || got.Tokens != 200 || got.Cost != 0.5 {
			t.Errorf("counters = %d/%d failed %d cached %d tokens %d cost %v, want 4/10 failed 2 cached 2 tokens 200 cost 0.5",
				got.Done, got.Total, got.Failed, got.Cached, got.Tokens, got.Cost)
		}
		if err := s.AddJobProgress(ctx, newID(), ports.JobProgress{Done: 1}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("AddJobProgress(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.SetJobTotal(ctx, newID(), 1); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("SetJobTotal(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("the checkpoint moves by compare and set", func(t *testing.T) {
		j := mustEnqueue(t, s, newJob(kind, nil))
		if err := s.AdvanceJobCheckpoint(ctx, j.ID, "", "a"); err != nil {
			t.Fatalf("advance from the start: %v", err)
		}
		if err := s.AdvanceJobCheckpoint(ctx, j.ID, "", "b"); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("advance from a stale checkpoint: error = %v, want ErrConflict", err)
		}
		if err := s.AdvanceJobCheckpoint(ctx, j.ID, "a", "c"); err != nil {
			t.Fatalf("advance: %v", err)
		}
		if got, _ := s.GetJob(ctx, j.ID); got.Checkpoint != "c" {
			t.Errorf("checkpoint = %q, want c", got.Checkpoint)
		}
		if err := s.AdvanceJobCheckpoint(ctx, newID(), "", "a"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("advance a missing job: error = %v, want ErrNotFound", err)
		}
	})
	t.Run("cancelling a queued job ends it", func(t *testing.T) {
		j := mustEnqueue(t, s, newJob(kind, nil))
		got, err := s.CancelJob(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != domain.JobCancelled || got.FinishedAt == nil {
			t.Errorf("CancelJob = status %s finished %v, want cancelled with a finish time", got.Status, got.FinishedAt)
		}
		again, err := s.CancelJob(ctx, j.ID)
		if err != nil || again.Status != domain.JobCancelled || !again.FinishedAt.Equal(*got.FinishedAt) {
			t.Errorf("CancelJob again = %+v, %v; want it unchanged", again, err)
		}
		if _, err := s.CancelJob(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("CancelJob(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("list filters and pages newest first", func(t *testing.T) {
		other := mustEvaluation(t, h.Stores.Evaluations)
		k := uniqueName("list")
		var mine []domain.Job
		for range 3 {
			mine = append(mine, mustEnqueue(t, s, newJob(k, &other.ID)))
		}
		mustEnqueue(t, s, newJob(k, nil))
		if _, err := s.CancelJob(ctx, mine[0].ID); err != nil {
			t.Fatal(err)
		}
		page, err := s.ListJobs(ctx, ports.JobQuery{EvaluationID: &other.ID, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != 2 || page[0].ID != mine[2].ID || page[1].ID != mine[1].ID {
			t.Fatalf("first page = %v, want the two newest of %v", jobIDs(page), jobIDs(mine))
		}
		rest, err := s.ListJobs(ctx, ports.JobQuery{EvaluationID: &other.ID, After: &page[1].ID, Limit: 2})
		if err != nil || len(rest) != 1 || rest[0].ID != mine[0].ID {
			t.Errorf("second page = %v, %v; want [%v]", jobIDs(rest), err, mine[0].ID)
		}
		all, err := s.ListJobs(ctx, ports.JobQuery{Kind: &k, Limit: 10})
		if err != nil || len(all) != 4 {
			t.Errorf("by kind = %d jobs, %v; want 4", len(all), err)
		}
		cancelled := domain.JobCancelled
		got, err := s.ListJobs(ctx, ports.JobQuery{Kind: &k, Status: &cancelled, Limit: 10})
		if err != nil || len(got) != 1 || got[0].ID != mine[0].ID {
			t.Errorf("by kind and status = %v, %v; want [%v]", jobIDs(got), err, mine[0].ID)
		}
	})
}

func jobIDs(js []domain.Job) []domain.ID {
	out := make([]domain.ID, len(js))
	for i, j := range js {
		out[i] = j.ID
	}
	return out
}

func testMaintenance(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Maintenance

	t.Run("a deleted evaluation is invisible and its name is free", func(t *testing.T) {
		e := mustEvaluation(t, h.Stores.Evaluations)
		if err := s.MarkEvaluationDeleted(ctx, e.ID, now()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Stores.Evaluations.GetEvaluation(ctx, e.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetEvaluation(deleted) error = %v, want ErrNotFound", err)
		}
		if _, err := h.Stores.Evaluations.GetEvaluationByName(ctx, e.Name); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetEvaluationByName(deleted) error = %v, want ErrNotFound", err)
		}
		e.UpdatedAt = now()
		if err := h.Stores.Evaluations.UpdateEvaluation(ctx, e); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("UpdateEvaluation(deleted) error = %v, want ErrNotFound", err)
		}
		if err := s.MarkEvaluationDeleted(ctx, e.ID, now()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("MarkEvaluationDeleted twice: error = %v, want ErrNotFound", err)
		}
		again := e
		again.ID = newID()
		if err := h.Stores.Evaluations.CreateEvaluation(ctx, again); err != nil {
			t.Errorf("CreateEvaluation with the deleted one's name: %v", err)
		}
	})
	t.Run("purge removes everything in batches", func(t *testing.T) {
		e := mustEvaluation(t, h.Stores.Evaluations)
		var rs []domain.Response
		for i := range 5 {
			rs = append(rs, response(e, uniqueName("r"), []string{"a", "b"}[i%2], "prompt"))
		}
		if _, err := h.Stores.Responses.InsertResponses(ctx, rs); err != nil {
			t.Fatal(err)
		}
		c, err := domain.NewComparison(domain.Comparison{
			ID: newID(), EvaluationID: e.ID, Preference: 0.5, Annotator: "a", AnnotatorKind: domain.AnnotatorHuman,
			Metadata: map[string]any{}, CreatedAt: now(),
		}, rs[0], rs[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.Stores.Comparisons.InsertComparisons(ctx, []domain.Comparison{c}); err != nil {
			t.Fatal(err)
		}
		responses, comparisons, err := s.CountEvaluationRows(ctx, e.ID)
		if err != nil || responses != 5 || comparisons != 1 {
			t.Fatalf("CountEvaluationRows = %d, %d, %v; want 5, 1", responses, comparisons, err)
		}
		if _, _, err := s.PurgeEvaluation(ctx, e.ID, 2); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("PurgeEvaluation(live) error = %v, want ErrNotFound", err)
		}
		if err := s.MarkEvaluationDeleted(ctx, e.ID, now()); err != nil {
			t.Fatal(err)
		}
		var total int64
		for batches := 0; ; batches++ {
			if batches > 10 {
				t.Fatal("the purge does not end")
			}
			n, done, err := s.PurgeEvaluation(ctx, e.ID, 2)
			if err != nil {
				t.Fatal(err)
			}
			if n > 2 {
				t.Errorf("a batch of limit 2 deleted %d rows", n)
			}
			total += n
			if done {
				break
			}
		}
		if total != 6 {
			t.Errorf("the batches deleted %d rows, want 6", total)
		}
		if responses, comparisons, err := s.CountEvaluationRows(ctx, e.ID); err != nil || responses+comparisons != 0 {
			t.Errorf("after the purge: %d responses, %d comparisons, %v", responses, comparisons, err)
		}
		if _, _, err := s.PurgeEvaluation(ctx, e.ID, 2); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("PurgeEvaluation(purged) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("replaced scores and rebuilt rollups", func(t *testing.T) {
		e := mustEvaluation(t, h.Stores.Evaluations)
		rs := []domain.Response{response(e, uniqueName("r"), "m", "one"), response(e, uniqueName("r"), "m", "three")}
		if _, err := h.Stores.Responses.InsertResponses(ctx, rs); err != nil {
			t.Fatal(err)
		}
		for i := range rs {
			v := float64(10 * (i + 1))
			rs[i].Scores = []domain.Score{{Scorer: "new", Value: &v, Details: map[string]any{}, CreatedAt: now()}}
		}
		err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			if err := s.Maintenance.ReplaceScores(ctx, e.ID, rs, nil); err != nil {
				return err
			}
			return s.Maintenance.RebuildRollups(ctx, e.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.Stores.Responses.GetResponses(ctx, e.ID, []domain.ID{rs[0].ID, rs[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range got {
			if len(r.Scores) != 1 || r.Scores[0].Scorer != "new" {
				t.Errorf("response %s scores = %+v, want only the new one", r.ID, r.Scores)
			}
		}
		groups, _, err := h.Stores.Analytics.ScoreRollups(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || groups[0].Scorer != "new" || groups[0].N != 2 || groups[0].Mean == nil || *groups[0].Mean != 15 ||
			*groups[0].Min != 10 || *groups[0].Max != 20 {
			t.Errorf("rollups = %+v, want one group of scorer new: n 2, mean 15, min 10, max 20", groups)
		}
		if err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error { return s.Maintenance.LockEvaluation(ctx, e.ID) }); err != nil {
			t.Errorf("LockEvaluation: %v", err)
		}
		if err := s.LockEvaluation(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("LockEvaluation(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.RebuildRollups(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("RebuildRollups(missing) error = %v, want ErrNotFound", err)
		}
	})
}
