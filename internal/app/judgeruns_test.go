package app_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
)

// judgeFixture is an evaluation with a baseline and a candidate model answering
// the same prompts, a fake judge endpoint, and the judge-run use cases on the
// package's database.
type judgeFixture struct {
	t      *testing.T
	svc    app.Services
	deps   app.Deps
	eval   domain.Evaluation
	srv    *openaitest.Server
	runner *app.JudgeRunner
	calls  atomic.Int64
}

// verdictFor is the fake judge's answer to the default pairwise verdict template:
// the longer answer wins (answer A on equal length).
func verdictFor(req openaitest.Request) openaitest.Reply {
	text := req.Messages[len(req.Messages)-1].Content
	first, second := between(text, "<answer_a>", "</answer_a>"), between(text, "<answer_b>", "</answer_b>")
	if len(second) > len(first) {
		return openaitest.Reply{Content: "B is more complete. [[B]]"}
	}
	return openaitest.Reply{Content: "A is better. [[A]]"}
}

func between(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	before, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(before)
}

func newJudgeFixture(t *testing.T, chat func(openaitest.Request) openaitest.Reply) *judgeFixture {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	d := appDepsWith(t, reg)
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	f := &judgeFixture{t: t, svc: svc, deps: d}
	f.srv = openaitest.New(t, openaitest.Options{APIKey: "sk-judge-test-0001", Chat: func(r openaitest.Request) openaitest.Reply {
		f.calls.Add(1)
		return chat(r)
	}})
	callers := openai.NewCallers(func(k string) string {
		switch k {
		case "JUDGE_TEST_KEY":
			return "sk-judge-test-0001"
		case "WRONG_JUDGE_KEY":
			return "sk-wrong-key-9999"
		}
		return ""
	}, nil).WithBackoff(time.Millisecond, 5*time.Millisecond)
	if f.runner, err = app.NewJudgeRunner(d, callers); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	name := fmt.Sprintf("judged-%d", time.Now().UnixNano())
	if f.eval, err = svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name}); err != nil {
		t.Fatal(err)
	}
	var in []app.ResponseInput
	for i := range 6 {
		q := fmt.Sprintf("q%d", i)
		// The candidate answers longer on even prompts; prompt 5 is identical.
		base, cand := "short answer", "a much longer answer"
		if i%2 == 1 {
			base, cand = "a much longer answer", "short"
		}
		if i == 5 {
			cand = base
		}
		in = append(in,
			app.ResponseInput{ExternalID: "base-" + q, PromptID: q, Model: "base", Prompt: "Question " + q, Response: str(base)},
			app.ResponseInput{ExternalID: "cand-" + q, PromptID: q, Model: "cand", Prompt: "Question " + q, Response: str(cand)})
	}
	// A prompt only the candidate answered is not paired.
	in = append(in, app.ResponseInput{ExternalID: "cand-lone", PromptID: "lone", Model: "cand", Prompt: "Alone", Response: str("x")})
	if _, err := svc.Responses.Ingest(ctx, f.eval.ID.String(), app.Items(in), app.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *judgeFixture) judge(name, extra string) domain.Judge {
	f.t.Helper()
	cfg := fmt.Sprintf(`{"name": %q, "kind": "pairwise", "order": "fixed",
		"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "JUDGE_TEST_KEY"},
		"parser": {"type": "verdict"}, "price": {"input_per_million": 1, "output_per_million": 2}%s}`, name, f.srv.BaseURL(), extra)
	j, _, err := f.svc.Judges.Create(context.Background(), []byte(cfg))
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

func (f *judgeFixture) start(in app.JudgeRunInput) domain.Job {
	f.t.Helper()
	job, err := f.svc.JudgeRuns.Start(context.Background(), f.eval.Name, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return job
}

func (f *judgeFixture) job(id domain.ID) domain.Job {
	f.t.Helper()
	job, err := f.svc.Jobs.Get(context.Background(), id.String())
	if err != nil {
		f.t.Fatal(err)
	}
	return job
}

func (f *judgeFixture) comparisons(annotator string) []domain.Comparison {
	f.t.Helper()
	page, err := f.svc.Comparisons.List(context.Background(), f.eval.Name, app.ListComparisonsInput{Annotator: &annotator, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Items
}

func (f *judgeFixture) judgments(job domain.ID) []domain.Judgment {
	f.t.Helper()
	id := job.String()
	page, err := f.svc.Judgments.List(context.Background(), f.eval.Name, app.ListJudgmentsInput{Job: &id, Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return page.Items
}

func TestJudgeRunPairwise(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, verdictFor)
	ctx := context.Background()
	jd := f.judge("mtb-judge", "")
	job := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base"})
	if job.Status != domain.JobQueued || job.Kind != app.JudgeRunKind {
		t.Fatalf("started job = %+v", job)
	}
	report, err := f.runner.Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	got := f.job(job.ID)
	// Six shared prompts; the identical pair needs no call.
	if got.Total != 6 || got.Done != 6 || got.Failed != 0 || got.Cached != 0 || f.calls.Load() != 5 {
		t.Errorf("job total %d done %d failed %d cached %d, calls %d; want 6 6 0 0, 5", got.Total, got.Done, got.Failed, got.Cached, f.calls.Load())
	}
	cmps := f.comparisons(jd.Name)
	if len(cmps) != 6 {
		t.Fatalf("%d comparisons, want 6", len(cmps))
	}
	wins := 0.0
	for _, c := range cmps {
		if c.ModelA != "base" || c.ModelB != "cand" || c.AnnotatorKind != domain.AnnotatorModel {
			t.Errorf("comparison %s: A %s, B %s, kind %s; want base, cand, model", c.ID, c.ModelA, c.ModelB, c.AnnotatorKind)
		}
		wins += c.Preference
		js, err := f.svc.Judgments.List(ctx, f.eval.Name, app.ListJudgmentsInput{Comparison: &c.ExternalID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(js.Items) != 1 || js.Items[0].ComparisonID == nil || *js.Items[0].ComparisonID != c.ID || js.Items[0].JudgeVersion != jd.Version {
			t.Fatalf("judgments of comparison %s = %+v", c.ID, js.Items)
		}
		link := c.Metadata["judgments"].(string)
		if !strings.HasSuffix(link, "/judgments?comparison="+c.ExternalID) || c.Metadata["job_id"] != job.ID.String() {
			t.Errorf("comparison metadata = %v; want the link to its judgments and the job", c.Metadata)
		}
	}
	// The candidate wins prompts 0, 2, 4 (longer) and ties 5 (identical): 3.5 of 6.
	if wins != 3.5 {
		t.Errorf("sum of preferences = %v, want 3.5", wins)
	}
	board, err := f.svc.Preferences.Leaderboard(ctx, f.eval.Name, app.LeaderboardInput{Method: "winrate", Baseline: "base"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range board.Ratings {
		// Win rates are shares from 0 to 1.
		if r.Model == "cand" && (r.WinRate == nil || math.Abs(*r.WinRate-3.5/6) > 1e-9) {
			t.Errorf("win rate of cand = %v, want %v", deref(r.WinRate), 3.5/6)
		}
	}
	js := f.judgments(job.ID)
	if len(js) != 6 {
		t.Fatalf("%d judgments, want 6", len(js))
	}
	for _, j := range js {
		if j.Identical {
			if j.RequestHash != "" || j.Verdict == nil || *j.Verdict != 0.5 {
				t.Errorf("identical judgment = %+v", j)
			}
			continue
		}
		if j.RequestHash == "" || len(j.Messages) == 0 || j.Content == "" || j.FinishReason != "stop" || j.SystemFingerprint != "fp_fake" ||
			j.Order != "12" || j.InputTokens == 0 || j.Attempts != 1 || j.Latency <= 0 || j.Cost <= 0 || len(j.Raw) == 0 || j.Cached {
			t.Errorf("judgment lacks provenance: %+v", j)
		}
	}
	if report["calls"] != int64(5) || report["parse_failures"] != int64(0) || report["identical_pairs"] != int64(1) {
		t.Errorf("report = %v", report)
	}
	pb := report["position_bias"].(map[string]any)
	// Order fixed shows the baseline first; it won prompts 1 and 3 of the 5 judged.
	if pb["first_shown_wins"] != int64(2) || pb["second_shown_wins"] != int64(3) || pb["first_shown_win_share"] != 0.4 {
		t.Errorf("position bias = %v; want 2 first-shown wins of 5", pb)
	}
	if lat := report["latency_ms"].(map[string]any); lat["p50"] == nil || lat["p99"] == nil {
		t.Errorf("latency = %v", lat)
	}

	t.Run("a second run reuses the cache", func(t *testing.T) {
		before := f.calls.Load()
		again := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base"})
		rep, err := f.runner.Run(ctx, again)
		if err != nil {
			t.Fatal(err)
		}
		g := f.job(again.ID)
		if f.calls.Load() != before || g.Cached != 5 || g.Done != 6 || g.Cost != 0 || g.Tokens != 0 {
			t.Errorf("calls %d → %d, job %+v; want no calls and 5 cached items at no cost", before, f.calls.Load(), g)
		}
		if rep["cached_calls"] != int64(5) || rep["cost"] != 0.0 {
			t.Errorf("report = %v", rep)
		}
		if n := len(f.comparisons(jd.Name)); n != 12 {
			t.Errorf("%d comparisons after two runs, want 12 (each run stores its verdicts)", n)
		}
	})
	t.Run("cache false calls again", func(t *testing.T) {
		before := f.calls.Load()
		off := false
		fresh := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base", Cache: &off})
		if _, err := f.runner.Run(ctx, fresh); err != nil {
			t.Fatal(err)
		}
		if n := f.calls.Load() - before; n != 5 || f.job(fresh.ID).Cached != 0 {
			t.Errorf("%d calls, %d cached; want 5 fresh calls", n, f.job(fresh.ID).Cached)
		}
	})
	t.Run("a rerun of a finished job judges nothing again", func(t *testing.T) {
		before := f.calls.Load()
		if _, err := f.runner.Run(ctx, job); err != nil {
			t.Fatal(err)
		}
		g := f.job(job.ID)
		if f.calls.Load() != before || g.Done != 6 || len(f.judgments(job.ID)) != 6 {
			t.Errorf("calls %d → %d, done %d, judgments %d; want nothing repeated", before, f.calls.Load(), g.Done, len(f.judgments(job.ID)))
		}
	})
}

func TestJudgeRunOrderBoth(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, verdictFor)
	jd := f.judge("both-judge", `, "order": "both"`)
	job := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base", Models: []string{"cand"}})
	report, err := f.runner.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != 10 || len(f.judgments(job.ID)) != 11 {
		t.Errorf("%d calls, %d judgments; want 10 and 11 (two per pair, one for the identical pair)", f.calls.Load(), len(f.judgments(job.ID)))
	}
	// The fake judge prefers the longer output whichever way round: consistent.
	sc := report["swap_consistency"].(map[string]any)
	if sc["pairs"] != int64(5) || sc["consistent"] != int64(5) || sc["rate"] != 1.0 {
		t.Errorf("swap consistency = %v, want 5 of 5", sc)
	}
}

func TestJudgeRunCountsUnparseableReplies(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, func(r openaitest.Request) openaitest.Reply {
		if strings.Contains(r.Messages[len(r.Messages)-1].Content, "Question q1") {
			return openaitest.Reply{Content: "Both have merit."}
		}
		return verdictFor(r)
	})
	jd := f.judge("unsure-judge", "")
	job := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base"})
	report, err := f.runner.Run(context.Background(), job)
	if err != nil {
		t.Fatal(err)
	}
	g := f.job(job.ID)
	if g.Done != 6 || g.Failed != 1 {
		t.Errorf("done %d failed %d, want 6 and 1", g.Done, g.Failed)
	}
	if n := len(f.comparisons(jd.Name)); n != 5 {
		t.Errorf("%d comparisons, want 5: an unparseable reply is no verdict", n)
	}
	var failed []domain.Judgment
	for _, j := range f.judgments(job.ID) {
		if j.ParseError != "" {
			failed = append(failed, j)
		}
	}
	if len(failed) != 1 || failed[0].Verdict != nil || failed[0].ComparisonID != nil || failed[0].Content != "Both have merit." {
		t.Errorf("failed judgments = %+v; want the one reply kept with its parse error", failed)
	}
	if report["parse_failures"] != int64(1) || report["parse_failure_rate"] != 0.2 {
		t.Errorf("report = %v; want 1 parse failure of 5 calls", report)
	}
}

func TestJudgeRunFailsAtOnceOnAuthError(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, verdictFor)
	cfg := fmt.Sprintf(`{"name": "bad-key-judge", "kind": "pairwise",
		"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "WRONG_JUDGE_KEY"}, "parser": {"type": "verdict"}}`, f.srv.BaseURL())
	if _, _, err := f.svc.Judges.Create(context.Background(), []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	job := f.start(app.JudgeRunInput{Judge: "bad-key-judge", Baseline: "base"})
	_, err := f.runner.Run(context.Background(), job)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Incorrect API key provided") {
		t.Fatalf("Run = %v; want the endpoint's 401 and its message", err)
	}
	// Every worker stops at the first 401: at most one call per worker.
	if n := f.calls.Load(); n > 8 {
		t.Errorf("%d calls after a 401; want the run stopped at once", n)
	}
	// Only the identical pair, which needs no call, may have been stored.
	for _, j := range f.judgments(job.ID) {
		if !j.Identical {
			t.Errorf("a judgment was stored after the 401: %+v", j)
		}
	}
	if g := f.job(job.ID); g.Done > 1 {
		t.Errorf("done %d; want nothing judged by the endpoint", g.Done)
	}
}

func TestJudgeRunCancelAndResume(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var answered atomic.Int64
	f := newJudgeFixture(t, func(r openaitest.Request) openaitest.Reply {
		if answered.Add(1) > 1 {
			<-release // every call after the first is held until the test lets go
		}
		return verdictFor(r)
	})
	jd := f.judge("slow-judge", `, "limits": {"concurrency": 1}`)
	job := f.start(app.JudgeRunInput{Judge: jd.Name, Baseline: "base"})
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := f.runner.Run(ctx, job); errc <- err }()
	deadline := time.Now().Add(10 * time.Second)
	for f.calls.Load() < 2 || f.job(job.ID).Done < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no item stored and no call held after 10s (calls %d)", f.calls.Load())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	close(release)
	stopped := f.job(job.ID).Done
	if stopped < 1 || stopped > 2 { // the first call's item, and the identical pair if it came first
		t.Fatalf("done after cancel = %d, want 1 or 2", stopped)
	}
	// Resumed, the run judges the rest and only the rest.
	if _, err := f.runner.Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	g := f.job(job.ID)
	seen := map[string]int{}
	for _, j := range f.judgments(job.ID) {
		seen[j.Item]++
	}
	if g.Done != 6 || len(seen) != 6 || len(f.comparisons(jd.Name)) != 6 {
		t.Errorf("done %d, items %d, comparisons %d; want 6 each", g.Done, len(seen), len(f.comparisons(jd.Name)))
	}
	for item, n := range seen {
		if n != 1 {
			t.Errorf("item %s judged %d times", item, n)
		}
	}
	// Five pairs need a call; the one cut short by the cancel is asked again.
	if n := f.calls.Load(); n != 6 {
		t.Errorf("%d calls, want 6", n)
	}
}

func TestJudgeRunPointwiseScores(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, func(r openaitest.Request) openaitest.Reply {
		text := r.Messages[len(r.Messages)-1].Content
		if strings.Contains(text, "much longer") {
			return openaitest.Reply{Content: "Rating: [[8]]"}
		}
		return openaitest.Reply{Content: "Rating: [[3]]"}
	})
	ctx := context.Background()
	cfg := fmt.Sprintf(`{"name": "grader", "kind": "pointwise",
		"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "JUDGE_TEST_KEY"},
		"parser": {"type": "score", "min": 1, "max": 10}}`, f.srv.BaseURL())
	if _, _, err := f.svc.Judges.Create(ctx, []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.JudgeRuns.Start(ctx, f.eval.Name, app.JudgeRunInput{Judge: "grader", Baseline: "base"}); len(domain.Fields(err)) == 0 || domain.Fields(err)[0].Field != "baseline" {
		t.Errorf("a pointwise run with a baseline: %v; want a baseline field error", err)
	}
	for range 2 { // a second run replaces the first run's scores; the rollups stay exact
		job := f.start(app.JudgeRunInput{Judge: "grader"})
		if _, err := f.runner.Run(ctx, job); err != nil {
			t.Fatal(err)
		}
		if g := f.job(job.ID); g.Total != 13 || g.Done != 13 {
			t.Errorf("total %d done %d, want 13 (every response)", g.Total, g.Done)
		}
	}
	rolled, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{GroupBy: "model"})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{GroupBy: "model", Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rolled.Scorers) != 2 || len(exact.Scorers) != 2 {
		t.Fatalf("summary rows %d (rollups) and %d (exact), want 2 (grader × 2 models)", len(rolled.Scorers), len(exact.Scorers))
	}
	for i := range rolled.Scorers {
		r, e := rolled.Scorers[i], exact.Scorers[i]
		if r.Scorer != "grader" || r.N != e.N || r.Mean == nil || e.Mean == nil || math.Abs(*r.Mean-*e.Mean) > 1e-12 {
			t.Errorf("rollup %+v differs from the scores %+v", r, e)
		}
	}
	r, err := f.svc.Responses.Get(ctx, f.eval.Name, "cand-q0")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range r.Scores {
		if s.Scorer == "grader" {
			if s.Value == nil || *s.Value != 8 || !strings.Contains(s.Details["judgments"].(string), "/judgments?response="+r.ID.String()) {
				t.Errorf("grader score = %+v", s)
			}
		}
	}
}

func TestJudgeRunValidation(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, verdictFor)
	jd := f.judge("picky-judge", "")
	ctx := context.Background()
	if _, err := f.svc.Responses.Ingest(ctx, f.eval.Name, app.Items([]app.ResponseInput{
		{ExternalID: "other-1", PromptID: "elsewhere", Model: "other", Prompt: "Elsewhere", Response: str("y")}}), app.IngestOptions{Single: true}); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		in    app.JudgeRunInput
		field string
	}{
		"no judge":            {app.JudgeRunInput{Baseline: "base"}, "judge"},
		"unknown judge":       {app.JudgeRunInput{Judge: "nobody", Baseline: "base"}, "judge"},
		"unknown version":     {app.JudgeRunInput{Judge: jd.Name, JudgeVersion: 9, Baseline: "base"}, "judge.version"},
		"no baseline":         {app.JudgeRunInput{Judge: jd.Name}, "baseline"},
		"unknown baseline":    {app.JudgeRunInput{Judge: jd.Name, Baseline: "gpt-9"}, "baseline"},
		"unknown model":       {app.JudgeRunInput{Judge: jd.Name, Baseline: "base", Models: []string{"cand", "gpt-x"}}, "models[1]"},
		"baseline as a model": {app.JudgeRunInput{Judge: jd.Name, Baseline: "base", Models: []string{"base"}}, "models[0]"},
		"empty models":        {app.JudgeRunInput{Judge: jd.Name, Baseline: "base", Models: []string{}}, "models"},
		"no shared prompt":    {app.JudgeRunInput{Judge: jd.Name, Baseline: "other", Models: []string{"cand"}}, "baseline"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := f.svc.JudgeRuns.Start(ctx, f.eval.Name, tc.in)
			fields := domain.Fields(err)
			if len(fields) == 0 || fields[0].Field != tc.field {
				t.Errorf("Start = %v; want a field error on %s", err, tc.field)
			}
		})
	}
	if _, err := f.svc.JudgeRuns.Start(ctx, "no-such-eval", app.JudgeRunInput{Judge: jd.Name, Baseline: "base"}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("Start in an unknown evaluation = %v, want ErrNotFound", err)
	}
	jobs, err := f.deps.Stores.Jobs.ListJobs(ctx, ports.JobQuery{EvaluationID: &f.eval.ID, Limit: 10})
	if err != nil || len(jobs) != 0 {
		t.Errorf("jobs after refused starts = %d, %v; want none", len(jobs), err)
	}
}

func TestJudgeRunRewardScores(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, verdictFor)
	var classified atomic.Int64
	rm := openaitest.New(t, openaitest.Options{Classify: func(r openaitest.ClassifyRequest) openaitest.ClassifyReply {
		classified.Add(1)
		if strings.Contains(r.Input, "much longer") {
			return openaitest.ClassifyReply{Probs: []float64{0.9, 0.1}}
		}
		return openaitest.ClassifyReply{Probs: []float64{0.2, 0.8}}
	}})
	ctx := context.Background()
	cfg := fmt.Sprintf(`{"name": "rm", "kind": "reward", "endpoint": {"base_url": %q, "model": "reward-model", "protocol": "vllm-classify"}}`, rm.BaseURL())
	if _, _, err := f.svc.Judges.Create(ctx, []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	job := f.start(app.JudgeRunInput{Judge: "rm", Models: []string{"cand"}})
	report, err := f.runner.Run(ctx, job)
	if err != nil {
		t.Fatal(err)
	}
	if g := f.job(job.ID); g.Total != 7 || g.Done != 7 || g.Failed != 0 || classified.Load() != 7 {
		t.Errorf("job %+v after %d classify calls; want 7 of 7 (the candidate's responses)", g, classified.Load())
	}
	if report["calls"] != int64(7) {
		t.Errorf("report = %v", report)
	}
	r, err := f.svc.Responses.Get(ctx, f.eval.Name, "cand-q0")
	if err != nil {
		t.Fatal(err)
	}
	var score *domain.Score
	for i := range r.Scores {
		if r.Scores[i].Scorer == "rm" {
			score = &r.Scores[i]
		}
	}
	if score == nil || score.Value == nil || *score.Value != 0.9 {
		t.Fatalf("reward score of cand-q0 = %+v, want 0.9", score)
	}
	js := f.judgments(job.ID)
	if len(js) != 7 || js[0].Reward == nil || js[0].Response == nil || len(js[0].Raw) == 0 || len(js[0].Messages) != 1 {
		t.Errorf("reward judgments = %+v", js)
	}
	// The base model's responses were not selected: no scores.
	b, err := f.svc.Responses.Get(ctx, f.eval.Name, "base-q0")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range b.Scores {
		if s.Scorer == "rm" {
			t.Errorf("base-q0 got a reward score")
		}
	}
}

// TestRescoreKeepsJudgeScores: changing an evaluation's scorers rescores its
// responses with them, and leaves the scores a model judge wrote in place.
func TestRescoreKeepsJudgeScores(t *testing.T) {
	t.Parallel()
	f := newJudgeFixture(t, func(openaitest.Request) openaitest.Reply { return openaitest.Reply{Content: "Rating: [[6]]"} })
	ctx := context.Background()
	cfg := fmt.Sprintf(`{"name": "rescore-grader", "kind": "pointwise",
		"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "JUDGE_TEST_KEY"},
		"parser": {"type": "score", "min": 1, "max": 10}}`, f.srv.BaseURL())
	if _, _, err := f.svc.Judges.Create(ctx, []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	job := f.start(app.JudgeRunInput{Judge: "rescore-grader"})
	if _, err := f.runner.Run(ctx, job); err != nil {
		t.Fatal(err)
	}
	scorers := []domain.ScorerConfig{{Type: "length"}}
	_, rescore, err := f.svc.Evaluations.UpdateAndRescore(ctx, f.eval.Name, app.EvaluationPatch{Scorers: &scorers})
	if err != nil || rescore == nil {
		t.Fatalf("UpdateAndRescore = %v, %v; want a rescore job", rescore, err)
	}
	runner, err := app.NewRescoreRunner(f.deps, 64)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runner.Run(ctx, *rescore); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Responses.Get(ctx, f.eval.Name, "cand-q0")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, s := range r.Scores {
		if s.Value != nil {
			got[s.Scorer] = *s.Value
		}
	}
	if got["rescore-grader"] != 6 || got["length"] == 0 {
		t.Fatalf("scores after the rescore = %v; want the judge's score kept beside the new length score", got)
	}
	rolled, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rolled.Scorers) != 2 || len(exact.Scorers) != 2 {
		t.Fatalf("summary rows: %d from the rollups, %d exact; want the judge's and length", len(rolled.Scorers), len(exact.Scorers))
	}
	for i := range rolled.Scorers {
		if a, b := rolled.Scorers[i], exact.Scorers[i]; a.Scorer != b.Scorer || a.N != b.N || math.Abs(*a.Mean-*b.Mean) > 1e-12 {
			t.Errorf("rollup %+v differs from the scores %+v", a, b)
		}
	}
}
