package app_test

import (
	"context"
	"encoding/json"
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
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/judgescore"
)

// laterFixture is an evaluation whose scorers include two that run later: a
// reward model ("reward", pass at 0.5) and a pointwise grader ("grade"), each a
// judge on a fake endpoint, beside the inline length scorer.
type laterFixture struct {
	t         *testing.T
	svc       app.Services
	deps      app.Deps
	eval      domain.Evaluation
	runner    *app.PendingScoreRunner
	rewards   atomic.Int64 // classify calls answered
	grades    atomic.Int64 // chat calls answered
	onReward  func(n int64)
	failInput string // classify answers 500 to inputs containing it
}

var laterSeq atomic.Int64

// rewardOf is the fake reward model's score of a response text.
func rewardOf(text string) float64 { return math.Min(1, float64(len(text))/40) }

// gradeOf is the fake grader's rating of a response text, 1 to 10.
func gradeOf(text string) int { return 1 + len(text)%10 }

func newLaterFixture(t *testing.T, limits app.Limits) *laterFixture {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length(), judgescore.Judge())
	if err != nil {
		t.Fatal(err)
	}
	d := appDepsWith(t, reg)
	if limits.MaxBatchItems > 0 {
		d.Limits = limits
	}
	f := &laterFixture{t: t, deps: d}
	if f.svc, err = app.NewServices(d); err != nil {
		t.Fatal(err)
	}
	rm := openaitest.New(t, openaitest.Options{Classify: func(r openaitest.ClassifyRequest) openaitest.ClassifyReply {
		if f.failInput != "" && strings.Contains(r.Input, f.failInput) {
			return openaitest.ClassifyReply{Status: 500, ErrorMessage: "CUDA out of memory"}
		}
		n := f.rewards.Add(1)
		if f.onReward != nil {
			f.onReward(n)
		}
		// The reward model's input is the prompt and the response; score the
		// response, the text after the prompt.
		_, text, _ := strings.Cut(r.Input, "\n")
		p := rewardOf(strings.TrimSpace(text))
		return openaitest.ClassifyReply{Probs: []float64{p, 1 - p}}
	}})
	grader := openaitest.New(t, openaitest.Options{APIKey: "sk-later-test-0001", Chat: func(r openaitest.Request) openaitest.Reply {
		f.grades.Add(1)
		text := between(r.Messages[len(r.Messages)-1].Content, "<answer>", "</answer>")
		return openaitest.Reply{Content: fmt.Sprintf("Rating: [[%d]]", gradeOf(text))}
	}})
	callers := openai.NewCallers(func(k string) string {
		if k == "LATER_TEST_KEY" {
			return "sk-later-test-0001"
		}
		return ""
	}, nil).WithBackoff(time.Millisecond, 5*time.Millisecond)
	if f.runner, err = app.NewPendingScoreRunner(d, callers); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// Tests share the database: each fixture has judges of its own.
	rmName, graderName := fmt.Sprintf("rm-%d", laterSeq.Add(1)), fmt.Sprintf("grader-%d", laterSeq.Add(1))
	for _, cfg := range []string{
		fmt.Sprintf(`{"name": %q, "kind": "reward", "endpoint": {"base_url": %q, "model": "reward-model", "protocol": "vllm-classify"}, "limits": {"max_attempts": 2}}`, rmName, rm.BaseURL()),
		fmt.Sprintf(`{"name": %q, "kind": "pointwise",
			"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "LATER_TEST_KEY"},
			"parser": {"type": "score", "min": 1, "max": 10}}`, graderName, grader.BaseURL()),
	} {
		if _, _, err := f.svc.Judges.Create(ctx, []byte(cfg)); err != nil {
			t.Fatal(err)
		}
	}
	min := 0.5
	f.eval, err = f.svc.Evaluations.Create(ctx, app.EvaluationInput{Name: fmt.Sprintf("later-%d", time.Now().UnixNano()), Scorers: []domain.ScorerConfig{
		{Type: "length"},
		{Name: "reward", Type: "judge", Params: json.RawMessage(fmt.Sprintf(`{"judge": %q}`, rmName)), Pass: &domain.PassBand{Min: &min}},
		{Name: "grade", Type: "judge", Params: json.RawMessage(fmt.Sprintf(`{"judge": %q}`, graderName))},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *laterFixture) ingest(in []app.ResponseInput) app.IngestResult {
	f.t.Helper()
	res, err := f.svc.Responses.Ingest(context.Background(), f.eval.Name, app.Items(in), app.IngestOptions{Keep: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return res
}

// pendingJobs returns the evaluation's pending-scores jobs.
func (f *laterFixture) pendingJobs() []domain.Job {
	f.t.Helper()
	kind := app.KindPendingScores
	jobs, err := f.deps.Stores.Jobs.ListJobs(context.Background(), ports.JobQuery{EvaluationID: &f.eval.ID, Kind: &kind, Limit: 100})
	if err != nil {
		f.t.Fatal(err)
	}
	return jobs
}

func (f *laterFixture) response(ref string) map[string]domain.Score {
	f.t.Helper()
	r, err := f.svc.Responses.Get(context.Background(), f.eval.Name, ref)
	if err != nil {
		f.t.Fatal(err)
	}
	return scoresByName(r)
}

func scoresByName(r domain.Response) map[string]domain.Score {
	out := map[string]domain.Score{}
	for _, s := range r.Scores {
		out[s.Scorer] = s
	}
	return out
}

// summaries returns the summary rows by scorer, from the rollups and from the
// scores, after checking that the two agree.
func (f *laterFixture) summary() map[string]app.ScorerSummary {
	f.t.Helper()
	ctx := context.Background()
	rolled, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{})
	if err != nil {
		f.t.Fatal(err)
	}
	exact, err := f.svc.Summaries.Summary(ctx, f.eval.Name, app.SummaryInput{Exact: true})
	if err != nil {
		f.t.Fatal(err)
	}
	if len(rolled.Scorers) != len(exact.Scorers) {
		f.t.Fatalf("summary rows: %d from the rollups, %d from the scores", len(rolled.Scorers), len(exact.Scorers))
	}
	out := map[string]app.ScorerSummary{}
	for i, a := range rolled.Scorers {
		b := exact.Scorers[i]
		same := a.Scorer == b.Scorer && a.N == b.N && a.NScores == b.NScores && a.Errors == b.Errors && a.Pending == b.Pending &&
			(a.Mean == nil) == (b.Mean == nil) && (a.Mean == nil || math.Abs(*a.Mean-*b.Mean) < 1e-12)
		if !same {
			f.t.Errorf("rollup row %+v differs from the scores' %+v", a, b)
		}
		out[a.Scorer] = a
	}
	return out
}

func laterInputs(prefix string, n int) []app.ResponseInput {
	var in []app.ResponseInput
	for i := range n {
		in = append(in, app.ResponseInput{ExternalID: fmt.Sprintf("%s%d", prefix, i), Model: []string{"m1", "m2"}[i%2],
			Prompt: fmt.Sprintf("Question %d", i), Response: str(strings.TrimSpace(strings.Repeat("answer ", i%9+1)))})
	}
	return in
}

// TestPendingScoresSettleInABackgroundJob: ingest stores the inline scores and
// records the later ones as pending, with one job, all in its transaction; the
// summary counts them apart; the job settles each once, and the summary is then
// exact.
func TestPendingScoresSettleInABackgroundJob(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	ctx := context.Background()
	in := laterInputs("r", 5)
	res := f.ingest(in)
	items, err := app.Collect(res.Items)
	if err != nil {
		t.Fatal(err)
	}
	for i, it := range items {
		sc := scoresByName(it.Response)
		if sc["length"].Status() != domain.ScoreReady || sc["reward"].Status() != domain.ScorePending || sc["grade"].Status() != domain.ScorePending {
			t.Errorf("reply item %d scores %+v; want length ready, reward and grade pending", i, sc)
		}
	}
	if f.rewards.Load() != 0 || f.grades.Load() != 0 {
		t.Errorf("ingest called the endpoints (%d, %d times)", f.rewards.Load(), f.grades.Load())
	}
	jobs := f.pendingJobs()
	if len(jobs) != 1 || jobs[0].Total != int64(2*len(in)) || jobs[0].Status != domain.JobQueued {
		t.Fatalf("pending jobs after one ingest = %+v; want one queued, owing %d scores", jobs, 2*len(in))
	}
	if sc := f.response("r3"); sc["reward"].Status() != domain.ScorePending || sc["reward"].Value != nil {
		t.Errorf("stored r3's reward = %+v; want pending without a value", sc["reward"])
	}
	before := f.summary()
	if s := before["reward"]; s.Pending != int64(len(in)) || s.N != 0 || s.NScores != 0 || s.Mean != nil || s.PassRate != nil {
		t.Errorf("reward before the job: %+v; want %d pending and no statistics", s, len(in))
	}
	if s := before["length"]; s.Pending != 0 || s.N != int64(len(in)) {
		t.Errorf("length before the job: %+v", s)
	}

	report, err := f.runner.Run(ctx, jobs[0])
	if err != nil {
		t.Fatal(err)
	}
	if report["settled"] != int64(2*len(in)) || report["failed"] != int64(0) {
		t.Errorf("report = %v", report)
	}
	var sumReward float64
	passed := 0
	for _, r := range in {
		sc := f.response(r.ExternalID)
		rw, gr := sc["reward"], sc["grade"]
		want := rewardOf(*r.Response)
		sumReward += want
		if rw.Status() != domain.ScoreReady || math.Abs(*rw.Value-want) > 1e-9 || rw.Passed == nil || *rw.Passed != (want >= 0.5) {
			t.Errorf("%s reward = %+v; want %v, passed %v", r.ExternalID, rw, want, want >= 0.5)
		}
		if want >= 0.5 {
			passed++
		}
		if gr.Status() != domain.ScoreReady || *gr.Value != float64(gradeOf(*r.Response)) {
			t.Errorf("%s grade = %+v; want %d", r.ExternalID, gr, gradeOf(*r.Response))
		}
		if rw.Details["job_id"] != jobs[0].ID.String() {
			t.Errorf("%s reward details = %v; want the job's id", r.ExternalID, rw.Details)
		}
	}
	after := f.summary()
	s := after["reward"]
	if s.Pending != 0 || s.N != int64(len(in)) || s.Mean == nil || math.Abs(*s.Mean-sumReward/float64(len(in))) > 1e-9 {
		t.Errorf("reward after the job: %+v; want %d values of mean %v", s, len(in), sumReward/float64(len(in)))
	}
	if s.PassRate == nil || math.Abs(*s.PassRate-float64(passed)/float64(len(in))) > 1e-12 {
		t.Errorf("reward pass rate = %v; want %d of %d", s.PassRate, passed, len(in))
	}
	if g := f.job(jobs[0].ID); g.Done != g.Total || g.Failed != 0 {
		t.Errorf("job after the run: %+v", g)
	}

	// Running the job again settles nothing twice.
	calls := f.rewards.Load() + f.grades.Load()
	if _, err := f.runner.Run(ctx, jobs[0]); err != nil {
		t.Fatal(err)
	}
	if got := f.rewards.Load() + f.grades.Load(); got != calls {
		t.Errorf("a second run made %d calls; want none", got-calls)
	}
	if g := f.job(jobs[0].ID); g.Done != int64(2*len(in)) {
		t.Errorf("job after a second run: done %d, want %d", g.Done, 2*len(in))
	}

	// Re-posting stored responses records nothing new and starts no job.
	f.ingest(in[:2])
	if jobs := f.pendingJobs(); len(jobs) != 1 {
		t.Errorf("pending jobs after re-posting stored responses = %d; want 1", len(jobs))
	}
}

func (f *laterFixture) job(id domain.ID) domain.Job {
	f.t.Helper()
	j, err := f.svc.Jobs.Get(context.Background(), id.String())
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

// TestPendingScoreFailsVisibly: a call that fails after its retries settles its
// score as failed, with the endpoint's error, counted as an error by the summary.
func TestPendingScoreFailsVisibly(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	f.failInput = "Question 2"
	in := laterInputs("f", 4)
	f.ingest(in)
	jobs := f.pendingJobs()
	if len(jobs) != 1 {
		t.Fatalf("pending jobs = %d; want 1", len(jobs))
	}
	if _, err := f.runner.Run(context.Background(), jobs[0]); err != nil {
		t.Fatalf("the job failed (%v); a failed call fails its score, not the job", err)
	}
	rw := f.response("f2")["reward"]
	if rw.Status() != domain.ScoreFailed || !strings.Contains(rw.Error, "CUDA out of memory") || !strings.Contains(rw.Error, `"rm-`) {
		t.Errorf("f2's reward = %+v; want failed with the endpoint's message", rw)
	}
	if g := f.response("f2")["grade"]; g.Status() != domain.ScoreReady {
		t.Errorf("f2's grade = %+v; want ready (its judge answered)", g)
	}
	s := f.summary()["reward"]
	if s.Errors != 1 || s.N != int64(len(in)-1) || s.Pending != 0 || s.NScores != int64(len(in)) {
		t.Errorf("reward summary = %+v; want 1 error, %d values, none pending", s, len(in)-1)
	}
	if g := f.job(jobs[0].ID); g.Failed != 1 || g.Done != g.Total {
		t.Errorf("job = %+v; want 1 failed of %d done", g, g.Total)
	}
}

// TestPendingScoresResumeAfterACrash: a run cut short leaves the scores it had
// not settled pending; the next attempt settles those, each once.
func TestPendingScoresResumeAfterACrash(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	in := laterInputs("c", 12)
	f.ingest(in)
	job := f.pendingJobs()[0]
	ctx, cancel := context.WithCancel(context.Background())
	f.onReward = func(n int64) {
		if n == 4 {
			cancel() // the worker dies while calls are in flight
		}
	}
	if _, err := f.runner.Run(ctx, job); !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted run returned %v; want context.Canceled", err)
	}
	mid := f.job(job.ID)
	left := f.summary()
	if mid.Done >= mid.Total || left["reward"].Pending+left["grade"].Pending != mid.Total-mid.Done {
		t.Fatalf("after the crash: job %+v, pending %d + %d; want the undone ones pending", mid, left["reward"].Pending, left["grade"].Pending)
	}
	f.onReward = nil
	if _, err := f.runner.Run(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	end := f.job(job.ID)
	if end.Done != end.Total || end.Failed != 0 {
		t.Errorf("after the restart: %+v; want every score settled once", end)
	}
	id := job.ID.String()
	page, err := f.svc.Judgments.List(context.Background(), f.eval.Name, app.ListJudgmentsInput{Job: &id, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != int(end.Total) {
		t.Errorf("judgments = %d; want one per score, %d", len(page.Items), end.Total)
	}
	s := f.summary()
	if s["reward"].N != int64(len(in)) || s["grade"].N != int64(len(in)) || s["reward"].Pending != 0 {
		t.Errorf("summary after the restart: reward %+v, grade %+v", s["reward"], s["grade"])
	}
}

// TestPendingScoresOfALargeIngestShareOneJob: an ingest of several chunks (its
// own transaction) records its pending scores with a single job.
func TestPendingScoresOfALargeIngestShareOneJob(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{MaxBatchItems: 5000, MaxFieldBytes: 1000})
	in := laterInputs("big", 2100)
	res := f.ingest(in)
	if res.Created != len(in) {
		t.Fatalf("created %d of %d", res.Created, len(in))
	}
	jobs := f.pendingJobs()
	if len(jobs) != 1 || jobs[0].Total != int64(2*len(in)) {
		t.Fatalf("pending jobs = %+v; want one owing %d scores", jobs, 2*len(in))
	}
	if s := f.summary(); s["reward"].Pending != int64(len(in)) || s["grade"].Pending != int64(len(in)) || s["length"].N != int64(len(in)) {
		t.Errorf("summary = %+v", s)
	}
	items, err := app.Collect(res.Items)
	if err != nil {
		t.Fatal(err)
	}
	if last := scoresByName(items[len(items)-1].Response); last["reward"].Status() != domain.ScorePending {
		t.Errorf("the last reply item's reward = %+v; want pending", last["reward"])
	}
}

// TestLaterScorersNeedAScoringJudge: a scorer that runs later must name an
// existing judge that scores one response, and cannot run statelessly.
func TestLaterScorersNeedAScoringJudge(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	ctx := context.Background()
	pairwise := `{"name": "pairs", "kind": "pairwise", "endpoint": {"base_url": "http://127.0.0.1:1/v1", "model": "m"}, "parser": {"type": "verdict"}}`
	if _, _, err := f.svc.Judges.Create(ctx, []byte(pairwise)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, params, field string }{
		{"unknown judge", `{"judge": "nobody"}`, "scorers[0].params.judge"},
		{"unknown version", `{"judge": "pairs", "version": 9}`, "scorers[0].params.judge"},
		{"pairwise judge", `{"judge": "pairs"}`, "scorers[0].params.judge"},
		{"no judge", `{}`, "scorers[0].params"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "bad-later-" + strings.ReplaceAll(tc.name, " ", "-"),
				Scorers: []domain.ScorerConfig{{Type: "judge", Params: json.RawMessage(tc.params)}}})
			var ve *domain.ValidationError
			if !errors.As(err, &ve) || !strings.Contains(err.Error(), tc.field) {
				t.Errorf("Create = %v; want a field error on %s", err, tc.field)
			}
		})
	}
	_, err := f.svc.Scoring.Prepare([]domain.ScorerConfig{{Type: "judge", Params: json.RawMessage(`{"judge": "rm"}`)}})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || !strings.Contains(err.Error(), "scorers[0].type") {
		t.Errorf("Prepare of a later scorer = %v; want a field error on scorers[0].type", err)
	}
}

// TestRescoreKeepsLaterScores: changing the inline scorers rescores them and
// leaves the settled scores of the scorers that run later as they are.
func TestRescoreKeepsLaterScores(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	ctx := context.Background()
	in := laterInputs("k", 3)
	f.ingest(in)
	if _, err := f.runner.Run(ctx, f.pendingJobs()[0]); err != nil {
		t.Fatal(err)
	}
	scorers := make([]domain.ScorerConfig, 0, len(f.eval.Scorers))
	for _, sc := range f.eval.Scorers {
		c := domain.ScorerConfig{Name: sc.Name, Type: sc.Type, Params: sc.Params, Pass: sc.Pass}
		if sc.Type == "length" {
			c.Name = "words"
		}
		scorers = append(scorers, c)
	}
	_, rescore, err := f.svc.Evaluations.UpdateAndRescore(ctx, f.eval.Name, app.EvaluationPatch{Scorers: &scorers})
	if err != nil || rescore == nil {
		t.Fatalf("UpdateAndRescore = %v, %v; want a rescore job", rescore, err)
	}
	runner, err := app.NewRescoreRunner(f.deps, 2)
	if err != nil {
		t.Fatal(err)
	}
	calls := f.rewards.Load() + f.grades.Load()
	if _, err := runner.Run(ctx, *rescore); err != nil {
		t.Fatal(err)
	}
	if got := f.rewards.Load() + f.grades.Load(); got != calls {
		t.Errorf("the rescore called the judges %d times; want never", got-calls)
	}
	for _, r := range in {
		sc := f.response(r.ExternalID)
		if _, ok := sc["length"]; ok || sc["words"].Status() != domain.ScoreReady {
			t.Errorf("%s after the rescore: %+v; want words in place of length", r.ExternalID, sc)
		}
		if rw := sc["reward"]; rw.Status() != domain.ScoreReady || math.Abs(*rw.Value-rewardOf(*r.Response)) > 1e-9 {
			t.Errorf("%s's reward after the rescore = %+v; want kept", r.ExternalID, rw)
		}
	}
	if s := f.summary(); s["reward"].N != int64(len(in)) || s["grade"].N != int64(len(in)) {
		t.Errorf("summary after the rescore: reward %+v, grade %+v", s["reward"], s["grade"])
	}
}

// TestPendingScoresOfAnUnusableJudgeFail: a judge the worker cannot call at all
// (its API key is not set there) fails each of its scores with the reason,
// instead of leaving them pending behind a failed job.
func TestPendingScoresOfAnUnusableJudgeFail(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	ctx := context.Background()
	name := fmt.Sprintf("nokey-%d", laterSeq.Add(1))
	cfg := fmt.Sprintf(`{"name": %q, "kind": "pointwise", "endpoint": {"base_url": "http://127.0.0.1:1/v1", "model": "m", "api_key_env": "LATER_UNSET_KEY"},
		"parser": {"type": "score", "min": 1, "max": 10}}`, name)
	if _, _, err := f.svc.Judges.Create(ctx, []byte(cfg)); err != nil {
		t.Fatal(err)
	}
	e, err := f.svc.Evaluations.Create(ctx, app.EvaluationInput{Name: name, Scorers: []domain.ScorerConfig{
		{Name: "grade", Type: "judge", Params: json.RawMessage(fmt.Sprintf(`{"judge": %q}`, name))}}})
	if err != nil {
		t.Fatal(err)
	}
	f.eval = e
	in := laterInputs("n", 3)
	f.ingest(in)
	job := f.pendingJobs()[0]
	if _, err := f.runner.Run(ctx, job); err != nil {
		t.Fatalf("Run = %v; want the job to finish with its scores failed", err)
	}
	for _, r := range in {
		if sc := f.response(r.ExternalID)["grade"]; sc.Status() != domain.ScoreFailed || !strings.Contains(sc.Error, "LATER_UNSET_KEY") {
			t.Errorf("%s's grade = %+v; want failed, naming the unset key", r.ExternalID, sc)
		}
	}
	if g := f.job(job.ID); g.Done != int64(len(in)) || g.Failed != int64(len(in)) {
		t.Errorf("job = %+v; want %d done, all failed", g, len(in))
	}
	if s := f.summary()["grade"]; s.Pending != 0 || s.Errors != int64(len(in)) {
		t.Errorf("grade summary = %+v; want %d errors, none pending", s, len(in))
	}
}

// TestReadsShowPendingScoresWhateverTheScorers: a response read (one and a page)
// shows its pending scores after its stored ones while its evaluation has
// scorers that run later, still after a change of scorers drops them (the rows
// outlive the configuration, and the job still owes them), and shows only stored
// scores in an evaluation that never had such scorers.
func TestReadsShowPendingScoresWhateverTheScorers(t *testing.T) {
	t.Parallel()
	f := newLaterFixture(t, app.Limits{})
	ctx := context.Background()
	in := laterInputs("p", 3)
	f.ingest(in)
	check := func(when, evaluation string, want []string) {
		t.Helper()
		one, err := f.svc.Responses.Get(ctx, evaluation, in[1].ExternalID)
		if err != nil {
			t.Fatal(err)
		}
		page, err := f.svc.Responses.List(ctx, evaluation, app.ListResponsesInput{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != len(in) {
			t.Fatalf("%s: a page of %d responses, want %d", when, len(page.Items), len(in))
		}
		for _, r := range append([]domain.Response{one}, page.Items...) {
			var got []string
			for _, s := range r.Scores {
				got = append(got, fmt.Sprintf("%s:%s", s.Scorer, s.Status()))
			}
			if strings.Join(got, " ") != strings.Join(want, " ") {
				t.Errorf("%s: response %s scores %v, want %v", when, r.ExternalID, got, want)
			}
		}
	}
	ready, pending := string(domain.ScoreReady), string(domain.ScorePending)
	check("with scorers that run later", f.eval.Name, []string{"length:" + ready, "grade:" + pending, "reward:" + pending})

	inline := []domain.ScorerConfig{{Type: "length"}}
	if _, _, err := f.svc.Evaluations.UpdateAndRescore(ctx, f.eval.Name, app.EvaluationPatch{Scorers: &inline}); err != nil {
		t.Fatal(err)
	}
	check("after a change of scorers dropped them", f.eval.Name, []string{"length:" + ready, "grade:" + pending, "reward:" + pending})

	plain, err := f.svc.Evaluations.Create(ctx, app.EvaluationInput{Name: f.eval.Name + "-plain", Scorers: inline})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Responses.Ingest(ctx, plain.Name, app.Items(in), app.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	check("without scorers that run later", plain.Name, []string{"length:" + ready})
}
