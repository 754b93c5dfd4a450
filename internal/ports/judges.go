package ports

import (
	"context"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// JudgeStore persists judge configurations, every version of them.
type JudgeStore interface {
	// PutJudge stores j as the next version of its name, unless a version with the
	// same configuration hash exists: then it returns that one and created false.
	// j.Version is ignored.
	PutJudge(ctx context.Context, j domain.Judge) (stored domain.Judge, created bool, err error)
	// GetJudge returns a judge's version, or its latest when version is 0.
	GetJudge(ctx context.Context, name string, version int) (domain.Judge, error)
	// ListJudges returns the latest version of each judge, by name, after the given
	// name (nil: from the first).
	ListJudges(ctx context.Context, after *string, limit int) ([]domain.Judge, error)
}

// JudgmentQuery selects a page of an evaluation's judgments. Nil filters are off.
type JudgmentQuery struct {
	EvaluationID domain.ID
	ComparisonID *domain.ID
	// ResponseID keeps judgments of this response, on either side of a pair.
	ResponseID *domain.ID
	JobID      *domain.ID
	JudgeName  *string
	After      *domain.ID
	Limit      int
}

// JudgmentStats sums one judge run's calls for its report. Latency percentiles
// cover the calls actually made (not cached, not identical outputs); they and
// FirstPreference are nil when there are none.
type JudgmentStats struct {
	Calls, Identical, Cached, ParseFailures int64
	// Fresh counts the calls actually made (not cached).
	Fresh int64
	// Ordered counts calls with a verdict and a known order shown; FirstWins and
	// SecondWins those that favoured the first- or second-shown output.
	Ordered, FirstWins, SecondWins int64
	// FirstPreference is the mean probability that the first-shown output is better.
	FirstPreference *float64
	// InputTokens, OutputTokens and Cost are those of the calls made, not cached.
	InputTokens, OutputTokens int64
	Cost                      float64
	LatencyP50, LatencyP90    *time.Duration
	LatencyP99                *time.Duration
	// SwapPairs counts items judged in both orders with two verdicts; SwapConsistent
	// those whose two verdicts favoured the same output.
	SwapPairs, SwapConsistent int64
}

// JudgmentStore persists judgments and the scores judges make.
type JudgmentStore interface {
	// InsertJudgments stores one item's judgments. It reports false, storing
	// nothing, when the item's first call is stored already (the run judged it).
	InsertJudgments(ctx context.Context, js []domain.Judgment) (bool, error)
	// JudgedItems returns the items a run has stored judgments for.
	JudgedItems(ctx context.Context, evaluationID, jobID domain.ID) ([]string, error)
	// CachedJudgment returns the latest stored judgment of a request with this hash
	// sent to the endpoint at baseURL.
	CachedJudgment(ctx context.Context, baseURL, requestHash string) (domain.Judgment, bool, error)
	ListJudgments(ctx context.Context, q JudgmentQuery) ([]domain.Judgment, error)
	JudgmentStats(ctx context.Context, evaluationID, jobID domain.ID) (JudgmentStats, error)
	// AddScore stores a judge's score on response r (unless r has a score under
	// that name already, then it reports false) and folds it into the summary
	// rollups.
	AddScore(ctx context.Context, r domain.Response, s domain.Score) (bool, error)
	// ClearScores deletes the scores under scorer on the given models' responses
	// that were not written by job (their details' "job_id" differs), and rebuilds
	// those models' rollups, so the run can write its own.
	ClearScores(ctx context.Context, evaluationID domain.ID, scorer string, models []string, job domain.ID) error
	// EvaluationModels returns the models with responses in the evaluation, sorted.
	EvaluationModels(ctx context.Context, evaluationID domain.ID) ([]string, error)
	// RunPairs pairs each response of the models with the baseline's response to
	// the same prompt: {baseline's, model's}, in the order of the model's responses.
	RunPairs(ctx context.Context, evaluationID domain.ID, baseline string, models []string) ([][2]domain.ID, error)
	// RunResponses returns the ids of the models' responses, in order.
	RunResponses(ctx context.Context, evaluationID domain.ID, models []string) ([]domain.ID, error)
	// RunHasItems reports whether RunPairs (RunResponses, for baseline "") would
	// return anything, without reading it all.
	RunHasItems(ctx context.Context, evaluationID domain.ID, baseline string, models []string) (bool, error)
}

// JudgeCallers hands out the caller of a judge's endpoint: one per key (a judge
// version), shared by every run in the process, so its rate limits hold across
// them.
type JudgeCallers interface {
	For(key string, cfg judging.Config) (judging.Caller, error)
}
