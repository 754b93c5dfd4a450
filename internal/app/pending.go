package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Scorers that run later (scoring.Type.RunsLater: a model judge behind a remote
// endpoint) do not score inside ingest. Ingest stores the other scores as always
// and, in the same transaction, records a pending score per new response and such
// scorer and enqueues one job, of kind KindPendingScores, that owes them. The job
// asks the judge and settles each pending score into a score with a value, or
// with the error that stopped it (the endpoint failing after its retries, a reply
// that does not parse), folding it into the summary rollups as it goes. Pending
// scores enter no aggregate; summaries count them apart.

// KindPendingScores is the job kind that computes the pending scores of one ingest.
const KindPendingScores = "pending_scores"

// laterScorer is one scorer that runs later, as a pending-scores job keeps it:
// the scorer's name, the judge version it was resolved to when the scores were
// recorded, and its pass band.
type laterScorer struct {
	Name         string   `json:"name"`
	Judge        string   `json:"judge"`
	JudgeVersion int      `json:"judge_version"`
	PassMin      *float64 `json:"pass_min,omitempty"`
	PassMax      *float64 `json:"pass_max,omitempty"`
}

// pendingParams are a pending-scores job's params.
type pendingParams struct {
	Scorers []laterScorer `json:"scorers"`
}

func (p pendingParams) toMap() (map[string]any, error) {
	raw, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(raw, &m)
}

func parsePendingParams(m map[string]any) (pendingParams, error) {
	var p pendingParams
	raw, err := json.Marshal(m)
	if err == nil {
		err = json.Unmarshal(raw, &p)
	}
	if err != nil {
		return p, fmt.Errorf("pending scores params: %w", err)
	}
	if len(p.Scorers) == 0 {
		return p, errors.New("pending scores params: no scorers")
	}
	for _, sc := range p.Scorers {
		if sc.Name == "" || sc.Judge == "" || sc.JudgeVersion < 1 {
			return p, fmt.Errorf("pending scores params: scorer %q is malformed", sc.Name)
		}
	}
	return p, nil
}

// laterJudge returns the judge a scorer that runs later names, checked to score
// single responses: version 0 is the judge's latest. A missing judge or one of
// the wrong kind is a field error on field.
func laterJudge(ctx context.Context, judges ports.JudgeStore, field string, b scoring.Bound) (domain.Judge, error) {
	l, ok := b.Scorer.(scoring.Later)
	if !ok {
		return domain.Judge{}, fmt.Errorf("scorer %q runs later but names no judge", b.Config.Name)
	}
	name, version := l.Judge()
	if judges == nil {
		return domain.Judge{}, domain.Invalid(field, "scorer %q needs judge %q, and this service has no judges", b.Config.Name, name)
	}
	jd, err := judges.GetJudge(ctx, name, version)
	if errors.Is(err, domain.ErrNotFound) {
		if version > 0 {
			return domain.Judge{}, domain.Invalid(field, "judge %q has no version %d", name, version)
		}
		return domain.Judge{}, domain.Invalid(field, "no judge named %q; create it with POST /v1/judges", name)
	}
	if err != nil {
		return domain.Judge{}, err
	}
	cfg, err := judgeConfig(jd)
	if err != nil {
		return domain.Judge{}, err
	}
	if cfg.Kind == judging.Pairwise {
		return domain.Judge{}, domain.Invalid(field, "judge %q is pairwise; a scorer scores one response, so it needs a pointwise or reward judge", name)
	}
	return jd, nil
}

// checkLaterScorers checks the judges that an evaluation's scorers running later
// name; errors name "scorers[i].params.judge".
func checkLaterScorers(ctx context.Context, d Deps, cfgs []domain.ScorerConfig) error {
	set, err := d.Registry.Build(cfgs)
	if err != nil {
		return domain.PrefixField("scorers", err)
	}
	var errs []error
	for i, b := range set.Scorers() {
		if !b.Type.RunsLater {
			continue
		}
		if _, err := laterJudge(ctx, d.Stores.Judges, fmt.Sprintf("scorers[%d].params.judge", i), b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// laterPlan is what an ingest into an evaluation with scorers that run later
// records besides its scores: the scorers, with their judges resolved once for
// the whole ingest.
type laterPlan struct {
	scorers []laterScorer
	names   []string
}

// planLater resolves the set's scorers that run later; nil when there are none.
func planLater(ctx context.Context, d Deps, e domain.Evaluation, set *scoring.Set) (*laterPlan, error) {
	later := set.Later()
	if len(later) == 0 {
		return nil, nil
	}
	p := &laterPlan{}
	for _, b := range later {
		jd, err := laterJudge(ctx, d.Stores.Judges, "scorers", b)
		if err != nil {
			// The evaluation was valid when configured; its judge is gone or
			// changed kind since.
			return nil, fmt.Errorf("%w: evaluation %q: scorer %q: %v", domain.ErrConflict, e.Name, b.Config.Name, err)
		}
		ls := laterScorer{Name: b.Config.Name, Judge: jd.Name, JudgeVersion: jd.Version}
		if b.Config.Pass != nil {
			ls.PassMin, ls.PassMax = b.Config.Pass.Min, b.Config.Pass.Max
		}
		p.scorers = append(p.scorers, ls)
		p.names = append(p.names, ls.Name)
	}
	return p, nil
}

// record stores, on the transaction-bound stores s, the pending scores of the
// responses this ingest created and the one job that owes them.
func (p *laterPlan) record(ctx context.Context, d Deps, s ports.Stores, e domain.Evaluation, created []domain.ID) error {
	if p == nil || len(created) == 0 {
		return nil
	}
	params, err := pendingParams{Scorers: p.scorers}.toMap()
	if err != nil {
		return err
	}
	job := d.newJob(KindPendingScores, &e.ID, params)
	n, err := s.Pending.AddPendingScores(ctx, e.ID, job.ID, created, p.names, job.CreatedAt)
	if err != nil || n == 0 {
		return err
	}
	if err := s.Jobs.EnqueueJob(ctx, job); err != nil {
		return err
	}
	return s.Jobs.SetJobTotal(ctx, job.ID, n)
}

// withPending adds to a response this ingest created the pending scores it
// recorded (a response read back from the store has them already).
func (p *laterPlan) withPending(r domain.Response, at time.Time) domain.Response {
	if p == nil {
		return r
	}
	have := make(map[string]bool, len(r.Scores))
	for _, s := range r.Scores {
		have[s.Scorer] = true
	}
	for _, name := range p.names {
		if !have[name] {
			r.Scores = append(r.Scores, domain.Score{Scorer: name, Pending: true, Details: map[string]any{}, CreatedAt: at})
		}
	}
	return r
}

// PendingScoreRunner runs pending_scores jobs: it asks each pending score's judge
// and settles the score.
type PendingScoreRunner struct {
	d       Deps
	callers ports.JudgeCallers
}

var _ JobRunner = (*PendingScoreRunner)(nil)

// NewPendingScoreRunner returns the runner of pending_scores jobs; callers gives
// each judge version its endpoint's caller.
func NewPendingScoreRunner(d Deps, callers ports.JudgeCallers) (*PendingScoreRunner, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if d.Stores.Judges == nil || d.Stores.Judgments == nil || d.Stores.Jobs == nil || d.Stores.Pending == nil {
		return nil, errors.New("app: the pending scores runner needs the judge, judgment, job and pending score stores")
	}
	if callers == nil {
		return nil, errors.New("app: pending scores runner without callers")
	}
	return &PendingScoreRunner{d: d, callers: callers}, nil
}

// Kind is "pending_scores".
func (r *PendingScoreRunner) Kind() string { return KindPendingScores }

// laterRun is one scorer's judge in a pending-scores job; broken, when set, is
// why the judge cannot be used at all (a version gone, a configuration the
// process cannot call: an API key not set), and fails each of its scores.
type laterRun struct {
	sc     laterScorer
	rn     *run
	broken error
}

// prepareLater readies one scorer's judge for a job.
func (r *PendingScoreRunner) prepareLater(ctx context.Context, jr *JudgeRunner, job domain.Job, e domain.Evaluation, sc laterScorer) (*laterRun, int, error) {
	lr := &laterRun{sc: sc, rn: &run{r: jr, job: job, eval: e}}
	jd, err := r.d.Stores.Judges.GetJudge(ctx, sc.Judge, sc.JudgeVersion)
	if errors.Is(err, domain.ErrNotFound) {
		lr.broken = fmt.Errorf("version %d of the judge is gone", sc.JudgeVersion)
		return lr, 1, nil
	}
	if err != nil {
		return nil, 0, err
	}
	lr.rn.judge = jd
	cfg, err := judgeConfig(jd)
	if err != nil {
		lr.broken = err
		return lr, 1, nil
	}
	caller, err := r.callers.For(formatVersion(jd.Name, jd.Version), cfg)
	if err == nil {
		lr.rn.j, err = judging.New(cfg, caller, judging.Options{Cache: judgmentCache{s: r.d.Stores.Judgments, baseURL: cfg.Endpoint.BaseURL}})
	}
	if err != nil {
		lr.broken = err
		return lr, 1, nil
	}
	return lr, cfg.Limits.Concurrency, nil
}

// Run settles every score the job still owes, at most the judges' concurrency at
// a time. Each score, its judgments and the job's progress commit in one
// transaction that also deletes the pending score, so an attempt that finds it
// gone (settled before a crash, or by an attempt that took over) stores
// nothing: a restarted job resumes with the scores still pending and settles
// each once. A call that fails for good (the endpoint's error after its
// retries) settles its score as failed with that error, and so does a judge the
// process cannot use at all (an API key not set); only the job's own
// cancellation or the database stops it.
func (r *PendingScoreRunner) Run(ctx context.Context, job domain.Job) (map[string]any, error) {
	p, err := parsePendingParams(job.Params)
	if err != nil {
		return nil, err
	}
	if job.EvaluationID == nil {
		return nil, errors.New("pending scores job without an evaluation")
	}
	e, err := r.d.Stores.Evaluations.GetEvaluation(ctx, *job.EvaluationID)
	if err != nil {
		return nil, wrapNotFound(err, "evaluation %s", *job.EvaluationID)
	}
	runs := map[string]*laterRun{}
	workers := 1
	jr := &JudgeRunner{d: r.d, callers: r.callers}
	for _, sc := range p.Scorers {
		lr, n, err := r.prepareLater(ctx, jr, job, e, sc)
		if err != nil {
			return nil, err
		}
		runs[sc.Name] = lr
		workers = max(workers, n)
	}
	var after *ports.PendingScore
	for {
		page, err := r.d.Stores.Pending.PendingScoresOfJob(ctx, e.ID, job.ID, after, runChunk)
		if err != nil {
			return nil, err
		}
		if len(page) == 0 {
			break
		}
		if err := r.settlePage(ctx, e, runs, page, workers); err != nil {
			return nil, err
		}
		after = &page[len(page)-1]
	}
	final, err := r.d.Stores.Jobs.GetJob(ctx, job.ID)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(p.Scorers))
	for i, sc := range p.Scorers {
		names[i] = sc.Name
	}
	return map[string]any{"scorers": names, "settled": final.Done, "failed": final.Failed}, nil
}

// settlePage settles one page of pending scores with n workers; the first error
// stops them all.
func (r *PendingScoreRunner) settlePage(parent context.Context, e domain.Evaluation, runs map[string]*laterRun, page []ports.PendingScore, n int) error {
	seen := map[domain.ID]bool{}
	var ids []domain.ID
	for _, ps := range page {
		if !seen[ps.ResponseID] {
			seen[ps.ResponseID] = true
			ids = append(ids, ps.ResponseID)
		}
	}
	rs, err := r.d.Stores.Responses.GetResponses(parent, e.ID, ids)
	if err != nil {
		return err
	}
	byID := make(map[domain.ID]domain.Response, len(rs))
	for _, resp := range rs {
		byID[resp.ID] = resp
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	work := make(chan ports.PendingScore)
	var wg sync.WaitGroup
	for range min(n, len(page)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ps := range work {
				resp, ok := byID[ps.ResponseID]
				if !ok {
					continue // deleted since: its pending score went with it
				}
				lr, ok := runs[ps.Scorer]
				if !ok {
					cancel(fmt.Errorf("pending score %q of response %s: the job has no such scorer", ps.Scorer, ps.ResponseID))
					continue
				}
				if err := r.settle(ctx, lr, resp); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for _, ps := range page {
		select {
		case work <- ps:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := parent.Err(); err != nil {
		return err
	}
	return context.Cause(ctx)
}

// errSettledBefore rolls back a score that turns out to be settled already.
var errSettledBefore = errors.New("pending score settled before")

// settle asks the judge for one response's score and stores it, with its
// judgments and the job's progress, in place of the pending score.
func (r *PendingScoreRunner) settle(ctx context.Context, lr *laterRun, resp domain.Response) error {
	ref := ""
	if resp.Reference != nil {
		ref = *resp.Reference
	}
	rn := lr.rn
	var res judging.PointResult
	err := lr.broken
	if err == nil {
		res, err = rn.j.Point(ctx, judging.Point{Key: resp.PromptID, Instruction: resp.Prompt, Output: resp.Text, Reference: ref})
		if err != nil && ctx.Err() != nil {
			return context.Cause(ctx) // the job's cancellation, or another item's failure
		}
	}
	details := map[string]any{
		"judge": lr.sc.Judge, "judge_version": lr.sc.JudgeVersion, "job_id": rn.job.ID.String(),
		"judgments": fmt.Sprintf("/v1/evaluations/%s/judgments?response=%s&job=%s", rn.eval.ID, resp.ID, rn.job.ID),
	}
	sc := domain.Score{Scorer: lr.sc.Name, Details: details, CreatedAt: r.d.now()}
	progress := callsProgress(res.Calls) // no calls when err is set
	var js []domain.Judgment
	if err == nil {
		js = rn.judgments(runItem{key: resp.ID.String() + "/" + lr.sc.Name, a: resp.ID}, res.Calls, false)
	}
	switch {
	case err != nil:
		sc.Error = fmt.Sprintf("judge %q version %d: %v", lr.sc.Judge, lr.sc.JudgeVersion, err)
	case res.Score == nil:
		sc.Error = fmt.Sprintf("judge %q version %d: the reply did not parse: %s", lr.sc.Judge, lr.sc.JudgeVersion, res.ParseError)
	default:
		v := *res.Score
		sc.Value = &v
		if lr.sc.PassMin != nil || lr.sc.PassMax != nil {
			ok := domain.PassBand{Min: lr.sc.PassMin, Max: lr.sc.PassMax}.Contains(v)
			sc.Passed = &ok
		}
	}
	if sc.Value == nil {
		progress.Failed = 1
	}
	// The score is written even when the job is being cancelled: the call is
	// paid for.
	err = r.d.Tx.InTx(context.WithoutCancel(ctx), func(ctx context.Context, s ports.Stores) error {
		ok, err := s.Pending.SettlePendingScore(ctx, rn.job.ID, resp, sc)
		if err != nil {
			return err
		}
		if !ok {
			return errSettledBefore
		}
		if len(js) > 0 {
			stored, err := s.Judgments.InsertJudgments(ctx, js)
			if err != nil {
				return err
			}
			if !stored {
				return errSettledBefore
			}
		}
		return s.Jobs.AddJobProgress(ctx, rn.job.ID, progress)
	})
	if errors.Is(err, errSettledBefore) {
		return nil
	}
	return err
}
