package porttest

import (
	"context"
	"errors"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// testPending checks the pending-score store: recording, paging a job's scores,
// settling each once into a score with its rollups, counting, and the response
// reads that show pending scores.
func testPending(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores
	e := mustEvaluation(t, s.Evaluations)
	a, b, c := response(e, "pa", "m1", "p1"), response(e, "pb", "m1", "p2"), response(e, "pc", "m2", "p3")
	writeResponses(t, h, a, b, c)
	job, other := newID(), newID()
	at := now()

	n, err := s.Pending.AddPendingScores(ctx, e.ID, job, []domain.ID{a.ID, b.ID, c.ID}, []string{"rm", "grade"}, at)
	if err != nil || n != 6 {
		t.Fatalf("AddPendingScores = %d, %v; want 6", n, err)
	}
	// A response that owes a scorer's score keeps its job; an unknown response
	// records nothing.
	n, err = s.Pending.AddPendingScores(ctx, e.ID, other, []domain.ID{a.ID, newID()}, []string{"rm"}, at)
	if err != nil || n != 0 {
		t.Errorf("AddPendingScores again = %d, %v; want 0", n, err)
	}
	if n, err := s.Pending.AddPendingScores(ctx, e.ID, other, nil, []string{"rm"}, at); err != nil || n != 0 {
		t.Errorf("AddPendingScores of no responses = %d, %v", n, err)
	}

	// Paging in (response, scorer) order.
	var all []ports.PendingScore
	var after *ports.PendingScore
	for {
		page, err := s.Pending.PendingScoresOfJob(ctx, e.ID, job, after, 4)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 4 {
			break
		}
		after = &page[len(page)-1]
	}
	var want []ports.PendingScore
	for _, r := range []domain.Response{a, b, c} {
		want = append(want, ports.PendingScore{ResponseID: r.ID, Scorer: "grade"}, ports.PendingScore{ResponseID: r.ID, Scorer: "rm"})
	}
	if len(all) != len(want) {
		t.Fatalf("PendingScoresOfJob pages = %v; want %v", all, want)
	}
	for i := range want {
		if all[i] != want[i] {
			t.Errorf("pending score %d = %v; want %v", i, all[i], want[i])
		}
	}
	if page, err := s.Pending.PendingScoresOfJob(ctx, e.ID, other, nil, 10); err != nil || len(page) != 0 {
		t.Errorf("another job's pending scores = %v, %v; want none", page, err)
	}

	// Reads show them as pending scores, after the stored ones.
	got, err := s.Responses.GetResponses(ctx, e.ID, []domain.ID{a.ID})
	if err != nil || len(got) != 1 {
		t.Fatalf("GetResponses = %v, %v", got, err)
	}
	status := map[string]domain.ScoreStatus{}
	for _, sc := range got[0].Scores {
		status[sc.Scorer] = sc.Status()
		if sc.Pending && (sc.Value != nil || sc.Error != "") {
			t.Errorf("pending score %+v has a value or an error", sc)
		}
	}
	if status["rm"] != domain.ScorePending || status["grade"] != domain.ScorePending || status["len"] != domain.ScoreReady || status["broken"] != domain.ScoreFailed {
		t.Errorf("statuses of a's scores = %v", status)
	}

	counts, err := s.Pending.CountPendingScores(ctx, e.ID)
	wantCounts := []ports.PendingCount{
		{Scorer: "grade", Model: "m1", N: 2}, {Scorer: "grade", Model: "m2", N: 1},
		{Scorer: "rm", Model: "m1", N: 2}, {Scorer: "rm", Model: "m2", N: 1},
	}
	if err != nil || len(counts) != len(wantCounts) {
		t.Fatalf("CountPendingScores = %v, %v; want %v", counts, err, wantCounts)
	}
	for i := range wantCounts {
		if counts[i] != wantCounts[i] {
			t.Errorf("count %d = %v; want %v", i, counts[i], wantCounts[i])
		}
	}

	// Settling: only the owing job, once; a score with both or neither of a
	// value and an error is refused.
	v := 0.75
	ready := domain.Score{Scorer: "rm", Value: &v, Passed: ptr(true), Details: map[string]any{"judge": "rm"}, CreatedAt: now()}
	if ok, err := s.Pending.SettlePendingScore(ctx, other, a, ready); err != nil || ok {
		t.Errorf("SettlePendingScore by another job = %v, %v; want false", ok, err)
	}
	if _, err := s.Pending.SettlePendingScore(ctx, job, a, domain.Score{Scorer: "rm", CreatedAt: now()}); err == nil {
		t.Errorf("SettlePendingScore of a score without value or error succeeded")
	}
	if ok, err := s.Pending.SettlePendingScore(ctx, job, a, ready); err != nil || !ok {
		t.Fatalf("SettlePendingScore = %v, %v; want true", ok, err)
	}
	if ok, err := s.Pending.SettlePendingScore(ctx, job, a, ready); err != nil || ok {
		t.Errorf("SettlePendingScore again = %v, %v; want false", ok, err)
	}
	failedScore := domain.Score{Scorer: "rm", Error: "endpoint said 500", Details: map[string]any{}, CreatedAt: now()}
	if ok, err := s.Pending.SettlePendingScore(ctx, job, b, failedScore); err != nil || !ok {
		t.Fatalf("SettlePendingScore of a failure = %v, %v; want true", ok, err)
	}
	// In a transaction that rolls back, nothing is settled.
	rollback := errors.New("roll back")
	err = h.Tx.InTx(ctx, func(ctx context.Context, tx ports.Stores) error {
		if ok, err := tx.Pending.SettlePendingScore(ctx, job, c, ready); err != nil || !ok {
			t.Errorf("SettlePendingScore in a transaction = %v, %v", ok, err)
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v", err)
	}
	got, err = s.Responses.GetResponses(ctx, e.ID, []domain.ID{a.ID, b.ID, c.ID})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[domain.ID]map[string]domain.Score{}
	for _, r := range got {
		byID[r.ID] = map[string]domain.Score{}
		for _, sc := range r.Scores {
			if _, dup := byID[r.ID][sc.Scorer]; dup {
				t.Errorf("response %s has two %q scores", r.ExternalID, sc.Scorer)
			}
			byID[r.ID][sc.Scorer] = sc
		}
	}
	if sc := byID[a.ID]["rm"]; sc.Status() != domain.ScoreReady || *sc.Value != v || sc.Passed == nil || !*sc.Passed {
		t.Errorf("a's settled rm = %+v", sc)
	}
	if sc := byID[b.ID]["rm"]; sc.Status() != domain.ScoreFailed || sc.Error != "endpoint said 500" {
		t.Errorf("b's failed rm = %+v", sc)
	}
	if sc := byID[c.ID]["rm"]; sc.Status() != domain.ScorePending {
		t.Errorf("c's rm after a rolled-back settle = %+v; want pending", sc)
	}
	// The settled scores are in the rollups, the pending one is not.
	groups, _, err := s.Analytics.ScoreRollups(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var nScores, nValues, nErrs int64
	for _, g := range groups {
		if g.Scorer == "rm" {
			nScores, nValues, nErrs = nScores+g.NScores, nValues+g.N, nErrs+g.NErrs
		}
	}
	if nScores != 2 || nValues != 1 || nErrs != 1 {
		t.Errorf("rm rollups: %d scores, %d values, %d errors; want 2, 1, 1", nScores, nValues, nErrs)
	}
	counts, err = s.Pending.CountPendingScores(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	var left int64
	for _, c := range counts {
		left += c.N
	}
	if left != 4 {
		t.Errorf("pending scores left = %d; want 4", left)
	}
	// Deleting a response deletes what it is owed.
	if err := s.Responses.DeleteResponse(ctx, e.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	page, err := s.Pending.PendingScoresOfJob(ctx, e.ID, job, nil, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range page {
		if p.ResponseID == c.ID {
			t.Errorf("deleted response c still owes %q", p.Scorer)
		}
	}
	if len(page) != 2 {
		t.Errorf("pending scores after deleting c = %v; want a's and b's grade", page)
	}
}
