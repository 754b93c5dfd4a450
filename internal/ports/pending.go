package ports

import (
	"context"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// PendingScore is a score a job owes a response: the response and the scorer's
// name.
type PendingScore struct {
	ResponseID domain.ID
	Scorer     string
}

// PendingCount counts the pending scores of one scorer on one model's responses.
type PendingCount struct {
	Scorer, Model string
	N             int64
}

// PendingScoreStore keeps the scores that scorers running later (model judges)
// owe, from the ingest that records them to the job that computes them. A pending
// score enters no aggregate; the response reads of ResponseStore show it as a
// Score with Pending set.
type PendingScoreStore interface {
	// AddPendingScores records that job owes each of the given responses a score
	// under each of scorers, and reports how many it recorded (a response that
	// owes a scorer's score already keeps its job).
	AddPendingScores(ctx context.Context, evaluationID, job domain.ID, responses []domain.ID, scorers []string, at time.Time) (int64, error)
	// PendingScoresOfJob returns up to limit of the scores job owes, in
	// (response, scorer) order, after the given one (nil: from the first).
	PendingScoresOfJob(ctx context.Context, evaluationID, job domain.ID, after *PendingScore, limit int) ([]PendingScore, error)
	// SettlePendingScore stores s, a value or an error, as response r's score and
	// folds it into the summary rollups, in place of the pending score job owes
	// it. It reports false, storing nothing, when job owes r no such score (it
	// was settled before, or the response deleted).
	SettlePendingScore(ctx context.Context, job domain.ID, r domain.Response, s domain.Score) (bool, error)
	// CountPendingScores counts an evaluation's pending scores by scorer and
	// model, ordered by both.
	CountPendingScores(ctx context.Context, evaluationID domain.ID) ([]PendingCount, error)
}
