package porttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// judgeEndpoint is the endpoint of the judges the suite stores.
const judgeEndpoint = "http://judge.test/v1"

func judge(name, config string) domain.Judge {
	sum := sha256.Sum256([]byte(config))
	return domain.Judge{Name: name, Kind: "pairwise", Config: []byte(config), ConfigHash: hex.EncodeToString(sum[:]), CreatedAt: now()}
}

func testJudges(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Judges
	name := uniqueName("judge")

	first, created, err := s.PutJudge(ctx, judge(name, `{"endpoint": {"base_url": "`+judgeEndpoint+`"}, "a": 1}`))
	if err != nil || !created || first.Version != 1 {
		t.Fatalf("PutJudge first = v%d, created %v, %v; want v1 created", first.Version, created, err)
	}
	again, created, err := s.PutJudge(ctx, judge(name, `{"endpoint": {"base_url": "`+judgeEndpoint+`"}, "a": 1}`))
	if err != nil || created || again.Version != 1 {
		t.Fatalf("PutJudge same config = v%d, created %v, %v; want v1 existing", again.Version, created, err)
	}
	second, created, err := s.PutJudge(ctx, judge(name, `{"endpoint": {"base_url": "`+judgeEndpoint+`"}, "a": 2}`))
	if err != nil || !created || second.Version != 2 {
		t.Fatalf("PutJudge new config = v%d, created %v, %v; want v2 created", second.Version, created, err)
	}
	latest, err := s.GetJudge(ctx, name, 0)
	if err != nil || latest.Version != 2 || latest.ConfigHash != second.ConfigHash {
		t.Fatalf("GetJudge latest = %+v, %v; want v2", latest, err)
	}
	v1, err := s.GetJudge(ctx, name, 1)
	if err != nil || v1.Version != 1 || v1.ConfigHash != first.ConfigHash {
		t.Fatalf("GetJudge v1 = %+v, %v; want v1", v1, err)
	}
	if _, err := s.GetJudge(ctx, name, 3); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetJudge v3: %v, want ErrNotFound", err)
	}
	list, err := s.ListJudges(ctx, nil, 1000)
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, j := range list {
		if j.Name == name {
			found++
			if j.Version != 2 {
				t.Errorf("ListJudges lists %s v%d, want the latest, v2", name, j.Version)
			}
		}
	}
	if found != 1 {
		t.Errorf("ListJudges lists %s %d times, want once", name, found)
	}

	t.Run("Judgments", func(t *testing.T) { testJudgments(t, h, second) })
}

func testJudgments(t *testing.T, h Harness, j domain.Judge) {
	ctx := context.Background()
	e := mustEvaluation(t, h.Stores.Evaluations)
	a, b := response(e, "a", "m1", "p"), response(e, "b", "m2", "p")
	if _, err := h.Stores.Responses.InsertResponses(ctx, []domain.Response{a, b}); err != nil {
		t.Fatal(err)
	}
	pairs, err := h.Stores.Judgments.RunPairs(ctx, e.ID, "m1", []string{"m2"})
	if err != nil || len(pairs) != 1 || pairs[0] != [2]domain.ID{a.ID, b.ID} {
		t.Errorf("RunPairs = %v, %v; want [[a b]]", pairs, err)
	}
	for _, tc := range []struct {
		baseline string
		models   []string
		want     bool
	}{{"m1", []string{"m2"}, true}, {"m2", []string{"m1"}, true}, {"m3", []string{"m2"}, false}, {"", []string{"m2"}, true}, {"", []string{"m3"}, false}} {
		if got, err := h.Stores.Judgments.RunHasItems(ctx, e.ID, tc.baseline, tc.models); err != nil || got != tc.want {
			t.Errorf("RunHasItems(%q, %v) = %v, %v; want %v", tc.baseline, tc.models, got, err, tc.want)
		}
	}
	job := newID()
	pref := 0.75
	hash := uniqueName("hash")
	item := a.ID.String() + ":" + b.ID.String()
	calls := []domain.Judgment{{
		ID: newID(), EvaluationID: e.ID, JobID: job, Item: item, Call: 0, JudgeName: j.Name, JudgeVersion: j.Version,
		ResponseA: &a.ID, ResponseB: &b.ID, RequestHash: hash, Messages: []domain.Message{{Role: "user", Content: "which?"}},
		Content: "m", Logprobs: []domain.TokenLogprob{{Token: "m", Logprob: -0.3, Top: []domain.TokenLogprob{{Token: "m", Logprob: -0.3}, {Token: "M", Logprob: -1.4}}}},
		FinishReason: "stop", SystemFingerprint: "fp", Raw: []byte(`{"id": "x"}`), Verdict: &pref, Order: "21",
		InputTokens: 10, OutputTokens: 1, Cost: 0.01, Latency: 20 * time.Millisecond, Attempts: 1, CreatedAt: now(),
	}, {
		ID: newID(), EvaluationID: e.ID, JobID: job, Item: item, Call: 1, JudgeName: j.Name, JudgeVersion: j.Version,
		ResponseA: &a.ID, ResponseB: &b.ID, RequestHash: uniqueName("hash"), Messages: []domain.Message{},
		Content: "no idea", Raw: []byte("not json"), ParseError: "no verdict", Order: "12", CreatedAt: now(),
	}}
	ok, err := h.Stores.Judgments.InsertJudgments(ctx, calls)
	if err != nil || !ok {
		t.Fatalf("InsertJudgments = %v, %v; want stored", ok, err)
	}
	calls[0].ID, calls[1].ID = newID(), newID()
	if ok, err := h.Stores.Judgments.InsertJudgments(ctx, calls); err != nil || ok {
		t.Fatalf("InsertJudgments again = %v, %v; want nothing stored", ok, err)
	}
	items, err := h.Stores.Judgments.JudgedItems(ctx, e.ID, job)
	if err != nil || len(items) != 1 || items[0] != item {
		t.Fatalf("JudgedItems = %v, %v; want [%s]", items, err, item)
	}
	if _, found, err := h.Stores.Judgments.CachedJudgment(ctx, "http://elsewhere.test/v1", hash); err != nil || found {
		t.Errorf("CachedJudgment at another endpoint = %v, %v; want not found", found, err)
	}
	cached, found, err := h.Stores.Judgments.CachedJudgment(ctx, judgeEndpoint, hash)
	if err != nil || !found {
		t.Fatalf("CachedJudgment = %v, %v", found, err)
	}
	if cached.Content != "m" || len(cached.Logprobs) != 1 || len(cached.Logprobs[0].Top) != 2 || cached.Logprobs[0].Top[1].Logprob != -1.4 ||
		cached.Order != "21" || cached.Verdict == nil || *cached.Verdict != 0.75 || cached.Latency != 20*time.Millisecond {
		t.Errorf("CachedJudgment = %+v; want the stored reply", cached)
	}
	if _, found, err := h.Stores.Judgments.CachedJudgment(ctx, judgeEndpoint, uniqueName("nothing")); err != nil || found {
		t.Errorf("CachedJudgment of an unknown hash = %v, %v; want not found", found, err)
	}
	got, err := h.Stores.Judgments.ListJudgments(ctx, ports.JudgmentQuery{EvaluationID: e.ID, ResponseID: &b.ID, Limit: 10})
	if err != nil || len(got) != 2 {
		t.Fatalf("ListJudgments by response = %d, %v; want 2", len(got), err)
	}
	if string(got[1].Raw) != `"not json"` {
		t.Errorf("a raw body that is not JSON is stored as %s; want a JSON string", got[1].Raw)
	}
	st, err := h.Stores.Judgments.JudgmentStats(ctx, e.ID, job)
	if err != nil {
		t.Fatal(err)
	}
	// The one verdict (0.75 that B is better, B shown first) is a win of the first-shown output.
	if st.Calls != 2 || st.ParseFailures != 1 || st.Ordered != 1 || st.FirstWins != 1 || st.FirstPreference == nil ||
		*st.FirstPreference != 0.75 || st.InputTokens != 10 || st.LatencyP50 == nil {
		t.Errorf("JudgmentStats = %+v", st)
	}

	t.Run("Scores", func(t *testing.T) { testJudgeScores(t, h, e, a, b, j.Name) })
}

// testJudgeScores checks that judges' scores keep the rollups equal to the scores.
func testJudgeScores(t *testing.T, h Harness, e domain.Evaluation, a, b domain.Response, scorer string) {
	ctx := context.Background()
	oldJob, job := newID(), newID()
	add := func(r domain.Response, v float64, job domain.ID) bool {
		t.Helper()
		ok, err := h.Stores.Judgments.AddScore(ctx, r, domain.Score{Scorer: scorer, Value: &v,
			Details: map[string]any{"job_id": job.String()}, CreatedAt: now()})
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !add(a, 3, oldJob) || !add(b, 9, oldJob) {
		t.Fatal("AddScore did not store new scores")
	}
	if add(a, 4, oldJob) {
		t.Error("AddScore stored a second score under the same name")
	}
	if err := h.Stores.Judgments.ClearScores(ctx, e.ID, scorer, []string{"m1"}, job); err != nil {
		t.Fatal(err)
	}
	if !add(a, 5, job) {
		t.Fatal("AddScore after ClearScores did not store")
	}
	// m1 now has the new run's 5; m2 keeps the old run's 9.
	exact, err := h.Stores.Analytics.SummarizeScores(ctx, e.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	groups, _, err := h.Stores.Analytics.ScoreRollups(ctx, e.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"m1": 5, "m2": 9}
	for model, v := range want {
		var n int64
		var sum float64
		for _, g := range groups {
			if g.Scorer == scorer && g.Model == model && g.Mean != nil {
				n += g.N
				sum += *g.Mean * float64(g.N)
			}
		}
		if n != 1 || math.Abs(sum-v) > 1e-12 {
			t.Errorf("rollups of %s/%s: n %d, sum %v; want 1, %v", scorer, model, n, sum, v)
		}
		for _, agg := range exact {
			if agg.Scorer == scorer && agg.Model == model && (agg.N != 1 || agg.Mean != v) {
				t.Errorf("scores of %s/%s: n %d, mean %v; want 1, %v", scorer, model, agg.N, agg.Mean, v)
			}
		}
	}
}
