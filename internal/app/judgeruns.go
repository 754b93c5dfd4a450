package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// JudgeRunKind is the job kind of judge runs.
const JudgeRunKind = "judge_run"

// JudgeRuns starts judge runs: background jobs that have a judge judge an
// evaluation's responses.
type JudgeRuns struct{ d Deps }

// NewJudgeRuns returns the judge-run use case.
func NewJudgeRuns(d Deps) (*JudgeRuns, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if d.Stores.Judges == nil || d.Stores.Judgments == nil || d.Stores.Jobs == nil {
		return nil, errors.New("app: judge runs need the judge, judgment and job stores")
	}
	return &JudgeRuns{d: d}, nil
}

// JudgeRunInput starts a judge run. JudgeVersion 0 means the judge's latest
// version. A pairwise judge needs Baseline and pairs each of Models' responses
// with the baseline's response to the same prompt; a pointwise or reward judge
// scores every response of Models. Models nil means every model of the evaluation
// (but the baseline). Cache nil means true: reuse stored answers to identical
// requests.
type JudgeRunInput struct {
	Judge        string
	JudgeVersion int
	Baseline     string
	Models       []string
	Cache        *bool
}

// judgeRunParams is a judge run's input as its job keeps it.
type judgeRunParams struct {
	judge    string
	version  int
	baseline string
	models   []string
	cache    bool
}

func (p judgeRunParams) toMap() map[string]any {
	m := map[string]any{"judge": p.judge, "judge_version": p.version, "models": p.models, "cache": p.cache}
	if p.baseline != "" {
		m["baseline"] = p.baseline
	}
	return m
}

// parseJudgeRunParams reads the params back from a job, as stored (JSON).
func parseJudgeRunParams(m map[string]any) (judgeRunParams, error) {
	var p judgeRunParams
	var ok bool
	bad := func(field string) error { return fmt.Errorf("judge run params: %s is missing or malformed", field) }
	if p.judge, ok = m["judge"].(string); !ok || p.judge == "" {
		return p, bad("judge")
	}
	switch v := m["judge_version"].(type) {
	case float64:
		p.version = int(v)
	case int:
		p.version = v
	default:
		return p, bad("judge_version")
	}
	if p.version < 1 {
		return p, bad("judge_version")
	}
	if b, present := m["baseline"]; present {
		if p.baseline, ok = b.(string); !ok {
			return p, bad("baseline")
		}
	}
	switch v := m["models"].(type) {
	case []any:
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return p, bad("models")
			}
			p.models = append(p.models, s)
		}
	case []string:
		p.models = v
	default:
		return p, bad("models")
	}
	if p.cache, ok = m["cache"].(bool); !ok {
		return p, bad("cache")
	}
	return p, nil
}

// Start validates a run and enqueues its job; the job row and its queue entry
// commit together. Unknown judges, models and baselines are field errors.
func (u *JudgeRuns) Start(ctx context.Context, evalRef string, in JudgeRunInput) (domain.Job, error) {
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return domain.Job{}, err
	}
	var errs []error
	switch {
	case in.Judge == "":
		errs = append(errs, domain.Invalid("judge", "is required: a judge's name, or {\"name\", \"version\"}"))
	case in.JudgeVersion < 0:
		errs = append(errs, domain.Invalid("judge.version", "must be a positive integer; got %d", in.JudgeVersion))
	}
	if err := errors.Join(errs...); err != nil {
		return domain.Job{}, err
	}
	jd, err := u.d.Stores.Judges.GetJudge(ctx, in.Judge, in.JudgeVersion)
	if errors.Is(err, domain.ErrNotFound) {
		if in.JudgeVersion > 0 {
			return domain.Job{}, domain.Invalid("judge.version", "judge %q has no version %d", in.Judge, in.JudgeVersion)
		}
		return domain.Job{}, domain.Invalid("judge", "no judge named %q; create it with POST /v1/judges", in.Judge)
	}
	if err != nil {
		return domain.Job{}, err
	}
	cfg, err := judgeConfig(jd)
	if err != nil {
		return domain.Job{}, err
	}
	p := judgeRunParams{judge: jd.Name, version: jd.Version, baseline: in.Baseline, cache: in.Cache == nil || *in.Cache}
	if p.models, err = u.selectModels(ctx, e, cfg, in); err != nil {
		return domain.Job{}, err
	}
	if ok, err := u.d.Stores.Judgments.RunHasItems(ctx, e.ID, p.baseline, p.models); err != nil {
		return domain.Job{}, err
	} else if !ok {
		if cfg.Kind == judging.Pairwise {
			return domain.Job{}, domain.Invalid("baseline", "model %q answered none of the prompts the selected models answered; nothing to judge", p.baseline)
		}
		return domain.Job{}, domain.Invalid("models", "the selected models have no responses; nothing to judge")
	}
	job := u.d.newJob(JudgeRunKind, &e.ID, p.toMap())
	err = u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		return s.Jobs.EnqueueJob(ctx, job)
	})
	if err != nil {
		return domain.Job{}, err
	}
	return job, nil
}

// selectModels checks the baseline and the models against the evaluation's.
func (u *JudgeRuns) selectModels(ctx context.Context, e domain.Evaluation, cfg judging.Config, in JudgeRunInput) ([]string, error) {
	all, err := u.d.Stores.Judgments.EvaluationModels(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	var errs []error
	if cfg.Kind == judging.Pairwise {
		switch {
		case in.Baseline == "":
			errs = append(errs, domain.Invalid("baseline", "is required for pairwise judge %q: the model every other model is compared with", cfg.Name))
		case !slices.Contains(all, in.Baseline):
			errs = append(errs, domain.Invalid("baseline", "no model %q in evaluation %q", in.Baseline, e.Name))
		}
	} else {
		if in.Baseline != "" {
			errs = append(errs, domain.Invalid("baseline", "only pairwise judges take a baseline; %q is %s", cfg.Name, cfg.Kind))
		}
		for _, sc := range e.Scorers {
			if sc.Name == cfg.Name {
				errs = append(errs, domain.Invalid("judge", "evaluation %q has a scorer named %q; a judge's scores are stored under its name, so rename one", e.Name, cfg.Name))
			}
		}
	}
	var models []string
	if in.Models == nil {
		for _, m := range all {
			if m != in.Baseline {
				models = append(models, m)
			}
		}
	} else {
		if len(in.Models) == 0 {
			errs = append(errs, domain.Invalid("models", "is empty; leave it out to judge every model"))
		}
		seen := map[string]bool{}
		for i, m := range in.Models {
			field := fmt.Sprintf("models[%d]", i)
			switch {
			case !slices.Contains(all, m):
				errs = append(errs, domain.Invalid(field, "no model %q in evaluation %q", m, e.Name))
			case m == in.Baseline:
				errs = append(errs, domain.Invalid(field, "%q is the baseline; a model is not compared with itself", m))
			case seen[m]:
				errs = append(errs, domain.Invalid(field, "%q is listed twice", m))
			}
			seen[m] = true
		}
		models = in.Models
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if len(models) == 0 {
		return nil, domain.Invalid("models", "evaluation %q has no model to judge besides the baseline", e.Name)
	}
	return models, nil
}

// runItem is one thing a run judges: a pair (A the baseline's response, B the
// model's) or one response (A only).
type runItem struct {
	key  string
	a, b domain.ID
	pair bool
}

// runItems lists what a run judges, in a stable order.
func runItems(ctx context.Context, s ports.JudgmentStore, evalID domain.ID, kind judging.Kind, p judgeRunParams) ([]runItem, error) {
	if kind == judging.Pairwise {
		pairs, err := s.RunPairs(ctx, evalID, p.baseline, p.models)
		if err != nil {
			return nil, err
		}
		items := make([]runItem, len(pairs))
		for i, pr := range pairs {
			items[i] = runItem{key: pr[0].String() + ":" + pr[1].String(), a: pr[0], b: pr[1], pair: true}
		}
		return items, nil
	}
	ids, err := s.RunResponses(ctx, evalID, p.models)
	if err != nil {
		return nil, err
	}
	items := make([]runItem, len(ids))
	for i, id := range ids {
		items[i] = runItem{key: id.String(), a: id}
	}
	return items, nil
}

// JudgeRunner runs judge_run jobs.
type JudgeRunner struct {
	d       Deps
	callers ports.JudgeCallers
}

var _ JobRunner = (*JudgeRunner)(nil)

// NewJudgeRunner returns the runner of judge runs; callers gives each judge
// version its endpoint's caller.
func NewJudgeRunner(d Deps, callers ports.JudgeCallers) (*JudgeRunner, error) {
	if _, err := NewJudgeRuns(d); err != nil {
		return nil, err
	}
	if callers == nil {
		return nil, errors.New("app: judge runner without callers")
	}
	return &JudgeRunner{d: d, callers: callers}, nil
}

// Kind is "judge_run".
func (r *JudgeRunner) Kind() string { return JudgeRunKind }

// runChunk is how many items' responses are read at a time.
const runChunk = 256

// run is one judge run in progress.
type run struct {
	r     *JudgeRunner
	job   domain.Job
	eval  domain.Evaluation
	judge domain.Judge
	j     *judging.Judge
}

// Run judges every item of the run that the store does not show as judged, at
// most the judge's concurrency at a time. Each item's comparison or score, its
// judgments and the job's progress commit in one transaction, so a run killed at
// any point resumes without losing or repeating an item. An endpoint that fails
// for good (401, 404, retries exhausted) fails the run with its message.
func (r *JudgeRunner) Run(ctx context.Context, job domain.Job) (map[string]any, error) {
	p, err := parseJudgeRunParams(job.Params)
	if err != nil {
		return nil, err
	}
	if job.EvaluationID == nil {
		return nil, errors.New("judge run without an evaluation")
	}
	e, err := r.d.Stores.Evaluations.GetEvaluation(ctx, *job.EvaluationID)
	if err != nil {
		return nil, wrapNotFound(err, "evaluation %s", *job.EvaluationID)
	}
	jd, err := r.d.Stores.Judges.GetJudge(ctx, p.judge, p.version)
	if err != nil {
		return nil, wrapNotFound(err, "judge %q version %d", p.judge, p.version)
	}
	cfg, err := judgeConfig(jd)
	if err != nil {
		return nil, err
	}
	caller, err := r.callers.For(formatVersion(jd.Name, jd.Version), cfg)
	if err != nil {
		return nil, err
	}
	var opts judging.Options
	if p.cache {
		opts.Cache = judgmentCache{s: r.d.Stores.Judgments, baseURL: cfg.Endpoint.BaseURL}
	}
	j, err := judging.New(cfg, caller, opts)
	if err != nil {
		return nil, err
	}
	items, err := runItems(ctx, r.d.Stores.Judgments, e.ID, cfg.Kind, p)
	if err != nil {
		return nil, err
	}
	if err := r.d.Stores.Jobs.SetJobTotal(ctx, job.ID, int64(len(items))); err != nil {
		return nil, err
	}
	if cfg.Kind != judging.Pairwise {
		// A response has one score per name: make room for this run's.
		if err := r.d.Stores.Judgments.ClearScores(ctx, e.ID, jd.Name, p.models, job.ID); err != nil {
			return nil, err
		}
	}
	judged, err := r.d.Stores.Judgments.JudgedItems(ctx, e.ID, job.ID)
	if err != nil {
		return nil, err
	}
	done := make(map[string]bool, len(judged))
	for _, k := range judged {
		done[k] = true
	}
	todo := items[:0:0]
	for _, it := range items {
		if !done[it.key] {
			todo = append(todo, it)
		}
	}
	rn := &run{r: r, job: job, eval: e, judge: jd, j: j}
	if err := rn.judgeAll(ctx, todo, cfg.Limits.Concurrency); err != nil {
		return nil, err
	}
	return rn.report(ctx, len(items))
}

// chunkResponses are the responses of one chunk of items, read once and then
// only read, by id.
type chunkResponses map[domain.ID]domain.Response

// chunkItem is an item with the responses of its chunk.
type chunkItem struct {
	it runItem
	rs chunkResponses
}

// judgeAll judges items with n workers; the first error stops them all. The
// items' responses are read a chunk at a time, so memory holds a few chunks'
// texts, not the run's.
func (rn *run) judgeAll(parent context.Context, items []runItem, n int) error {
	if n < 1 {
		n = 1
	}
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	work := make(chan chunkItem)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for w := range work {
				if err := rn.judgeItem(ctx, w.it, w.rs); err != nil {
					cancel(err)
				}
			}
		}()
	}
	feed := func() error {
		for start := 0; start < len(items); start += runChunk {
			chunk := items[start:min(start+runChunk, len(items))]
			rs, err := rn.loadResponses(ctx, chunk)
			if err != nil {
				return err
			}
			for _, it := range chunk {
				select {
				case work <- chunkItem{it: it, rs: rs}:
				case <-ctx.Done():
					return nil
				}
			}
		}
		return nil
	}
	if err := feed(); err != nil {
		cancel(err)
	}
	close(work)
	wg.Wait()
	// The job's cancellation comes back as itself, whatever the calls it cut short
	// made of it.
	if err := parent.Err(); err != nil {
		return err
	}
	return context.Cause(ctx)
}

// loadResponses reads the responses of a chunk of items.
func (rn *run) loadResponses(ctx context.Context, chunk []runItem) (chunkResponses, error) {
	seen := map[domain.ID]bool{}
	var ids []domain.ID
	for _, it := range chunk {
		for _, id := range []domain.ID{it.a, it.b} {
			if !id.IsZero() && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	rs, err := rn.r.d.Stores.Responses.GetResponses(ctx, rn.eval.ID, ids)
	if err != nil {
		return nil, err
	}
	out := make(chunkResponses, len(rs))
	for _, r := range rs {
		out[r.ID] = r
	}
	return out, nil
}

func (rn *run) response(rs chunkResponses, id domain.ID) (domain.Response, error) {
	r, ok := rs[id]
	if !ok {
		return domain.Response{}, fmt.Errorf("response %s of evaluation %q was deleted during the run: %w", id, rn.eval.Name, domain.ErrNotFound)
	}
	return r, nil
}

// errJudgedBefore rolls back an item that turns out to be stored already.
var errJudgedBefore = errors.New("item judged before")

// judgeItem judges one item and stores the outcome with the job's progress.
func (rn *run) judgeItem(ctx context.Context, it runItem, rs chunkResponses) error {
	a, err := rn.response(rs, it.a)
	if err != nil {
		return err
	}
	var b domain.Response
	var verdict *float64
	var calls []judging.Call
	identical := false
	if it.pair {
		if b, err = rn.response(rs, it.b); err != nil {
			return err
		}
		res, err := rn.j.Pair(ctx, judging.Pair{Key: a.PromptID, Instruction: a.Prompt, Output1: a.Text, Output2: b.Text})
		if err != nil {
			return err
		}
		verdict, calls, identical = res.Preference, res.Calls, res.Identical
	} else {
		ref := ""
		if a.Reference != nil {
			ref = *a.Reference
		}
		res, err := rn.j.Point(ctx, judging.Point{Key: a.PromptID, Instruction: a.Prompt, Output: a.Text, Reference: ref})
		if err != nil {
			return err
		}
		verdict, calls = res.Score, res.Calls
	}
	js := rn.judgments(it, calls, identical)
	progress := callsProgress(calls)
	if verdict == nil {
		progress.Failed = 1
	}
	// The item's outcome is written even when the job is being cancelled: the
	// calls are paid for.
	err = rn.r.d.Tx.InTx(context.WithoutCancel(ctx), func(ctx context.Context, s ports.Stores) error {
		if verdict != nil {
			if err := rn.storeVerdict(ctx, s, it, a, b, *verdict, calls, js); err != nil {
				return err
			}
		}
		stored, err := s.Judgments.InsertJudgments(ctx, js)
		if err != nil {
			return err
		}
		if !stored {
			return errJudgedBefore
		}
		return s.Jobs.AddJobProgress(ctx, rn.job.ID, progress)
	})
	if errors.Is(err, errJudgedBefore) {
		return nil
	}
	return err
}

// callsProgress is the job progress of one item judged with calls: done, cached
// when every call was, and the tokens and cost of the calls made.
func callsProgress(calls []judging.Call) ports.JobProgress {
	progress := ports.JobProgress{Done: 1}
	cached := len(calls) > 0
	for _, c := range calls {
		cached = cached && c.Cached
		if !c.Cached {
			progress.Tokens += int64(c.Reply.InputTokens + c.Reply.OutputTokens)
			progress.Cost += c.Cost
		}
	}
	if cached {
		progress.Cached = 1
	}
	return progress
}

// storeVerdict writes the comparison (pairwise) or score (pointwise, reward) made
// from an item's verdict, and points its judgments at it.
func (rn *run) storeVerdict(ctx context.Context, s ports.Stores, it runItem, a, b domain.Response, v float64, calls []judging.Call, js []domain.Judgment) error {
	provenance := map[string]any{"judge": rn.judge.Name, "judge_version": rn.judge.Version, "job_id": rn.job.ID.String()}
	if !it.pair {
		provenance["judgments"] = fmt.Sprintf("/v1/evaluations/%s/judgments?response=%s&job=%s", rn.eval.ID, a.ID, rn.job.ID)
		_, err := s.Judgments.AddScore(ctx, a, domain.Score{Scorer: rn.judge.Name, Value: &v, Details: provenance, CreatedAt: rn.r.d.now()})
		return err
	}
	ext := "judge-run:" + rn.job.ID.String() + ":" + it.key
	provenance["judgments"] = fmt.Sprintf("/v1/evaluations/%s/judgments?comparison=%s", rn.eval.ID, ext)
	d := rn.r.d
	d.Stores = s
	batch, err := (&Comparisons{d: d}).Ingest(ctx, rn.eval.ID.String(), Items([]ComparisonInput{{
		ExternalID: ext, ResponseA: a.ID.String(), ResponseB: b.ID.String(), Preference: &v,
		Annotator: rn.judge.Name, AnnotatorKind: string(domain.AnnotatorModel), Rationale: rationale(calls), Metadata: provenance,
	}}), IngestOptions{Single: true, Keep: true})
	if err != nil {
		return fmt.Errorf("store the verdict on %s as a comparison: %w", it.key, err)
	}
	res, err := Collect(batch.Items)
	if err != nil {
		return fmt.Errorf("read back the verdict on %s: %w", it.key, err)
	}
	if len(res) != 1 {
		return fmt.Errorf("read back the verdict on %s: %d comparisons, want 1", it.key, len(res))
	}
	id := res[0].Comparison.ID
	for i := range js {
		js[i].ComparisonID = &id
	}
	return nil
}

// rationale is the judge's reply text, as a comparison's rationale can hold it.
func rationale(calls []judging.Call) string {
	var parts []string
	for _, c := range calls {
		if c.Reply.Content == "" {
			continue
		}
		text := strings.ReplaceAll(strings.ToValidUTF8(c.Reply.Content, "\uFFFD"), "\x00", "")
		if len(calls) > 1 {
			text = "order " + c.Order + ": " + text
		}
		parts = append(parts, text)
	}
	s := strings.Join(parts, "\n\n")
	if len(s) > domain.MaxRationaleLen {
		s = s[:domain.MaxRationaleLen]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}

// judgments turns an item's calls into the judgments that record them; identical
// outputs get one judgment without a call.
func (rn *run) judgments(it runItem, calls []judging.Call, identical bool) []domain.Judgment {
	now := rn.r.d.now()
	base := domain.Judgment{
		EvaluationID: rn.eval.ID, JobID: rn.job.ID, Item: it.key, JudgeName: rn.judge.Name, JudgeVersion: rn.judge.Version,
		CreatedAt: now,
	}
	if it.pair {
		a, b := it.a, it.b
		base.ResponseA, base.ResponseB = &a, &b
	} else {
		a := it.a
		base.Response = &a
	}
	if identical {
		j := base
		j.ID, j.Identical = rn.r.d.IDs.NewID(), true
		half := 0.5
		j.Verdict = &half
		j.Messages = []domain.Message{}
		return []domain.Judgment{j}
	}
	out := make([]domain.Judgment, len(calls))
	for i, c := range calls {
		j := base
		j.ID, j.Call = rn.r.d.IDs.NewID(), i
		j.RequestHash, j.Order, j.Verdict, j.ParseError, j.Cost, j.Cached = c.RequestHash, c.Order, c.Verdict, c.ParseError, c.Cost, c.Cached
		j.Messages = c.Messages
		rp := c.Reply
		j.Content, j.FinishReason, j.SystemFingerprint, j.Raw = rp.Content, rp.FinishReason, rp.SystemFingerprint, rp.Raw
		j.Logprobs = fromJudgingLogprobs(rp.Logprobs)
		j.InputTokens, j.OutputTokens = int64(rp.InputTokens), int64(rp.OutputTokens)
		if !c.Cached {
			j.Latency, j.Attempts = rp.Latency, rp.Attempts
		}
		if !it.pair && rn.j.Config().Kind == judging.Reward {
			j.Reward = c.Verdict
		}
		out[i] = j
	}
	return out
}

func fromJudgingLogprobs(ls []judging.TokenLogprob) []domain.TokenLogprob {
	if ls == nil {
		return nil
	}
	out := make([]domain.TokenLogprob, len(ls))
	for i, l := range ls {
		out[i] = domain.TokenLogprob{Token: l.Token, Logprob: l.Logprob, Top: make([]domain.TokenLogprob, len(l.TopLogprobs))}
		for k, t := range l.TopLogprobs {
			out[i].Top[k] = domain.TokenLogprob{Token: t.Token, Logprob: t.Logprob}
		}
	}
	return out
}

func toJudgingLogprobs(ls []domain.TokenLogprob) []judging.TokenLogprob {
	if ls == nil {
		return nil
	}
	out := make([]judging.TokenLogprob, len(ls))
	for i, l := range ls {
		out[i] = judging.TokenLogprob{Token: l.Token, Logprob: l.Logprob, TopLogprobs: make([]judging.TopLogprob, len(l.Top))}
		for k, t := range l.Top {
			out[i].TopLogprobs[k] = judging.TopLogprob{Token: t.Token, Logprob: t.Logprob}
		}
	}
	return out
}

// judgmentCache answers a judge's requests from the stored judgments of requests
// to the same endpoint.
type judgmentCache struct {
	s       ports.JudgmentStore
	baseURL string
}

// Lookup returns the reply of the latest judgment of a request with this hash.
func (c judgmentCache) Lookup(ctx context.Context, requestHash string) (judging.ChatReply, bool, error) {
	j, ok, err := c.s.CachedJudgment(ctx, c.baseURL, requestHash)
	if err != nil || !ok {
		return judging.ChatReply{}, false, err
	}
	return judging.ChatReply{
		Content: j.Content, Logprobs: toJudgingLogprobs(j.Logprobs), FinishReason: j.FinishReason,
		SystemFingerprint: j.SystemFingerprint, InputTokens: int(j.InputTokens), OutputTokens: int(j.OutputTokens),
		Raw: j.Raw, Attempts: j.Attempts, Latency: j.Latency,
	}, true, nil
}

// report sums the run's judgments: calls, parse failures, position bias, swap
// consistency (order "both"), tokens, cost and latency percentiles.
func (rn *run) report(ctx context.Context, items int) (map[string]any, error) {
	st, err := rn.r.d.Stores.Judgments.JudgmentStats(ctx, rn.eval.ID, rn.job.ID)
	if err != nil {
		return nil, err
	}
	ratio := func(n, d int64) any {
		if d == 0 {
			return nil
		}
		return float64(n) / float64(d)
	}
	latency := map[string]any{"p50": nil, "p90": nil, "p99": nil}
	if st.LatencyP50 != nil {
		latency["p50"] = float64(*st.LatencyP50) / 1e6
		latency["p90"] = float64(*st.LatencyP90) / 1e6
		latency["p99"] = float64(*st.LatencyP99) / 1e6
	}
	rep := map[string]any{
		"judge":              rn.judge.Name,
		"judge_version":      rn.judge.Version,
		"items":              items,
		"calls":              st.Calls,
		"cached_calls":       st.Cached,
		"parse_failures":     st.ParseFailures,
		"parse_failure_rate": ratio(st.ParseFailures, st.Calls),
		"input_tokens":       st.InputTokens,
		"output_tokens":      st.OutputTokens,
		"cost":               st.Cost,
		"latency_ms":         latency,
	}
	if rn.j.Config().Kind == judging.Pairwise {
		var mean any
		if st.FirstPreference != nil {
			mean = *st.FirstPreference
		}
		rep["identical_pairs"] = st.Identical
		rep["position_bias"] = map[string]any{
			"first_shown_wins":            st.FirstWins,
			"second_shown_wins":           st.SecondWins,
			"first_shown_win_share":       ratio(st.FirstWins, st.FirstWins+st.SecondWins),
			"mean_first_shown_preference": mean,
		}
		if rn.j.Config().Order == judging.OrderBoth {
			rep["swap_consistency"] = map[string]any{
				"pairs": st.SwapPairs, "consistent": st.SwapConsistent, "rate": ratio(st.SwapConsistent, st.SwapPairs),
			}
		}
	}
	return rep, nil
}

// formatVersion names a judge version as "name@version".
func formatVersion(name string, version int) string { return name + "@" + strconv.Itoa(version) }
