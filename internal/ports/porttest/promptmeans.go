package porttest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// showMeans prints per-prompt means exactly (the bits of every float).
func showMeans(ms []ports.PromptMeans) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s:", m.Scorer)
		for i, p := range m.PromptIDs {
			pass := "-"
			if m.PassRates[i] != nil {
				pass = fmt.Sprintf("%x", math.Float64bits(*m.PassRates[i]))
			}
			fmt.Fprintf(&b, " %s n%d %x %s", p, m.N[i], math.Float64bits(m.Means[i]), pass)
		}
		b.WriteString("; ")
	}
	return b.String()
}

// testPromptMeans checks the per-prompt means cache: it is served only while the
// evaluation's scores are as they were when it was computed, it then equals what
// the scores give, and every write path that changes scores changes the
// fingerprint it is checked against.
func testPromptMeans(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores
	a := s.Analytics
	e := mustEvaluation(t, s.Evaluations)

	if fp, err := a.ScoreFingerprint(ctx, e.ID); err != nil || fp != nil {
		t.Fatalf("ScoreFingerprint(no scores) = %x, %v; want nil", fp, err)
	}
	if ok, err := a.RefreshPromptMeans(ctx, e.ID, now()); err != nil || ok {
		t.Errorf("RefreshPromptMeans(no scores) = %v, %v; want nothing stored", ok, err)
	}
	if _, fresh, err := a.CachedPromptMeans(ctx, e.ID); err != nil || fresh {
		t.Errorf("CachedPromptMeans(no scores) fresh = %v, %v; want false", fresh, err)
	}

	var last []byte
	refresh := func(step string) {
		t.Helper()
		if ok, err := a.RefreshPromptMeans(ctx, e.ID, now()); err != nil || !ok {
			t.Fatalf("%s: RefreshPromptMeans = %v, %v; want stored", step, ok, err)
		}
		cached, fresh, err := a.CachedPromptMeans(ctx, e.ID)
		if err != nil || !fresh {
			t.Fatalf("%s: CachedPromptMeans after a refresh: fresh %v, %v", step, fresh, err)
		}
		live, err := a.PromptMeans(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := showMeans(cached), showMeans(live); g != w {
			t.Errorf("%s: cached means = %s\nfrom the scores %s", step, g, w)
		}
		fp, err := a.ScoreFingerprint(ctx, e.ID)
		if err != nil || fp == nil {
			t.Fatalf("%s: ScoreFingerprint = %x, %v", step, fp, err)
		}
		last = fp
	}
	// changed checks that the write just made changed the fingerprint and made
	// the cache stale, then refreshes it.
	changed := func(step string) {
		t.Helper()
		fp, err := a.ScoreFingerprint(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Equal(fp, last) {
			t.Errorf("%s left the fingerprint %x as it was", step, fp)
		}
		if _, fresh, err := a.CachedPromptMeans(ctx, e.ID); err != nil || fresh {
			t.Errorf("%s: CachedPromptMeans fresh = %v, %v; want stale", step, fresh, err)
		}
		refresh(step)
	}

	third := 1.0 / 3
	r1 := scored(e, "pm1", "m1", "p1", val("q", third, ptr(true)), val("r", 0.1, nil))
	r2 := scored(e, "pm2", "m2", "p1", val("q", 2*third, ptr(false)), failed("r"))
	r3 := scored(e, "pm3", "m1", "p2", val("q", 0.7, nil))
	writeResponses(t, h, r1, r2, r3)
	changed("InsertResponses")

	// A refresh with nothing written meanwhile keeps the fingerprint.
	before := last
	refresh("a second refresh")
	if !bytes.Equal(before, last) {
		t.Errorf("a refresh changed the fingerprint from %x to %x", before, last)
	}

	r4, r5 := scored(e, "pm4", "m3", "p2", val("q", 0.2, ptr(true))), scored(e, "pm5", "m3", "p3", val("q", 5, nil), val("r", 1, ptr(true)))
	if err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		_, err := s.Responses.IngestResponses(ctx, func(yield func(ports.ResponseChunk, error) bool) {
			if yield(ports.Scored([]domain.Response{r4}), nil) {
				yield(ports.Scored([]domain.Response{r5}), nil)
			}
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	changed("IngestResponses")

	if err := s.Responses.DeleteResponse(ctx, e.ID, r3.ID); err != nil {
		t.Fatal(err)
	}
	changed("DeleteResponse")

	judge := 0.9
	if ok, err := s.Judgments.AddScore(ctx, r1, domain.Score{Scorer: "judged", Value: &judge, Details: map[string]any{}, CreatedAt: now()}); err != nil || !ok {
		t.Fatalf("AddScore = %v, %v", ok, err)
	}
	changed("Judgments.AddScore")

	if err := s.Judgments.ClearScores(ctx, e.ID, "judged", []string{"m1"}, newID()); err != nil {
		t.Fatal(err)
	}
	changed("Judgments.ClearScores")

	job := newID()
	if n, err := s.Pending.AddPendingScores(ctx, e.ID, job, []domain.ID{r2.ID}, []string{"later"}, now()); err != nil || n != 1 {
		t.Fatalf("AddPendingScores = %d, %v", n, err)
	}
	later := 0.25
	if ok, err := s.Pending.SettlePendingScore(ctx, job, r2, domain.Score{Scorer: "later", Value: &later, Details: map[string]any{}, CreatedAt: now()}); err != nil || !ok {
		t.Fatalf("SettlePendingScore = %v, %v", ok, err)
	}
	changed("SettlePendingScore")

	// A rescore replaces scores batch by batch and rebuilds the rollups at the
	// end; each step changes the scores, so each changes the fingerprint.
	redo := r1
	redo.Scores = []domain.Score{val("q", 0.8, ptr(true))}
	redo.Scores[0].CreatedAt, redo.Scores[0].Details = now(), map[string]any{}
	if err := s.Maintenance.ReplaceScores(ctx, e.ID, []domain.Response{redo}, nil); err != nil {
		t.Fatal(err)
	}
	changed("ReplaceScores")
	if err := s.Maintenance.RebuildRollups(ctx, e.ID); err != nil {
		t.Fatal(err)
	}
	changed("RebuildRollups")

	// A purge hides the evaluation first, and its cache goes with it.
	if err := s.Maintenance.MarkEvaluationDeleted(ctx, e.ID, now()); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		var err error
		if _, done, err = s.Maintenance.PurgeEvaluation(ctx, e.ID, 2); err != nil {
			t.Fatal(err)
		}
	}
	if ms, fresh, err := a.CachedPromptMeans(ctx, e.ID); err != nil || fresh || ms != nil {
		t.Errorf("CachedPromptMeans(purged) = %v, %v, %v; want nothing", ms, fresh, err)
	}
	if fp, err := a.ScoreFingerprint(ctx, e.ID); err != nil || fp != nil {
		t.Errorf("ScoreFingerprint(purged) = %x, %v; want nil", fp, err)
	}
}
