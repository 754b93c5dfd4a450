package ports

import (
	"context"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// SessionStore persists dashboard sessions.
type SessionStore interface {
	CreateSession(ctx context.Context, s domain.Session) error
	// GetSession finds a session by the SHA-256 of its token.
	GetSession(ctx context.Context, hash [32]byte) (domain.Session, error)
	DeleteSession(ctx context.Context, hash [32]byte) error
	// DeleteSessionsOfKey ends every session of an API key.
	DeleteSessionsOfKey(ctx context.Context, keyID domain.ID) (int64, error)
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error)
}

// EvaluationActivity is how much an evaluation holds and when it last changed.
// The last ids are nil when there is nothing of that kind.
type EvaluationActivity struct {
	Responses, Comparisons       int64
	LastResponse, LastComparison *domain.ID
}

// ResponseSearch selects a keyset page of an evaluation's response ids. Nil
// filters are off. Pattern is a case-insensitive LIKE pattern matched against the
// prompt and the response; with it, at most Scan candidates are read. Min, Max
// and Passed apply to Scorer's score. With Before set the page walks back from it
// (ids descending); otherwise forward from After (ids ascending).
type ResponseSearch struct {
	EvaluationID domain.ID
	Model        *string
	Pattern      *string
	Scorer       *string
	Passed       *bool
	Min, Max     *float64
	After        *domain.ID
	Before       *domain.ID
	Limit        int
	Scan         int
}

// ResponseHits is a page of matching response ids in the order walked. ScannedTo
// is set when a text search stopped at its scan bound before filling the page:
// the last candidate read, from which the search continues.
type ResponseHits struct {
	IDs       []domain.ID
	ScannedTo *domain.ID
}

// DashboardStore answers the dashboard's queries that the API has no use for.
type DashboardStore interface {
	// SearchEvaluations returns up to limit evaluations in name order after
	// afterName whose name or description matches the LIKE pattern.
	SearchEvaluations(ctx context.Context, pattern string, afterName *string, limit int) ([]domain.Evaluation, error)
	EvaluationActivity(ctx context.Context, evaluationID domain.ID) (EvaluationActivity, error)
	// EvaluationModels returns up to limit of an evaluation's models, in order.
	EvaluationModels(ctx context.Context, evaluationID domain.ID, limit int) ([]string, error)
	SearchResponseIDs(ctx context.Context, q ResponseSearch) (ResponseHits, error)
}
