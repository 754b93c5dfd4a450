// Package ports declares what the application core needs from the outside world:
// stores, a transaction runner, a clock and an id source. Adapters implement these;
// the core depends only on the interfaces.
package ports

import (
	"context"
	"iter"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Clock tells the time.
type Clock interface {
	Now() time.Time
}

// IDGenerator issues new entity ids (UUIDv7 in production).
type IDGenerator interface {
	NewID() domain.ID
}

// EvaluationSort names an allowed ordering of evaluation lists.
type EvaluationSort string

// Allowed evaluation orderings; a leading "-" means descending.
const (
	SortCreatedAsc  EvaluationSort = "created_at"
	SortCreatedDesc EvaluationSort = "-created_at"
	SortNameAsc     EvaluationSort = "name"
	SortNameDesc    EvaluationSort = "-name"
	SortUpdatedAsc  EvaluationSort = "updated_at"
	SortUpdatedDesc EvaluationSort = "-updated_at"
)

// EvaluationSorts lists every allowed evaluation ordering.
var EvaluationSorts = []EvaluationSort{SortCreatedAsc, SortCreatedDesc, SortNameAsc, SortNameDesc, SortUpdatedAsc, SortUpdatedDesc}

// Keyset is the position after which a page starts: the sort key of the last row
// seen (a name, or a time in RFC 3339 with nanoseconds) and its id as a tie-breaker.
type Keyset struct {
	Key string
	ID  domain.ID
}

// EvaluationQuery selects a page of evaluations.
type EvaluationQuery struct {
	Sort  EvaluationSort
	After *Keyset
	Limit int
}

// EvaluationStore persists evaluations.
type EvaluationStore interface {
	CreateEvaluation(ctx context.Context, e domain.Evaluation) error
	// GetEvaluation finds an evaluation by id.
	GetEvaluation(ctx context.Context, id domain.ID) (domain.Evaluation, error)
	// GetEvaluationByName finds an evaluation by its unique name.
	GetEvaluationByName(ctx context.Context, name string) (domain.Evaluation, error)
	ListEvaluations(ctx context.Context, q EvaluationQuery) ([]domain.Evaluation, error)
	// UpdateEvaluation overwrites the mutable fields (name, description, scorers,
	// metadata, updated_at) of the evaluation with e.ID.
	UpdateEvaluation(ctx context.Context, e domain.Evaluation) error
	// DeleteEvaluation deletes an evaluation and, by cascade, everything in it.
	DeleteEvaluation(ctx context.Context, id domain.ID) error
}

// ResponseQuery selects a page of an evaluation's responses. Nil filters are off.
type ResponseQuery struct {
	EvaluationID domain.ID
	Model        *string
	PromptID     *string
	// Scorer with Passed keeps responses whose score from Scorer has that passed
	// value; Scorer alone keeps responses that have a score from Scorer.
	Scorer *string
	Passed *bool
	Desc   bool
	After  *domain.ID
	Limit  int
}

// ResponseStore persists responses and their scores.
type ResponseStore interface {
	// InsertResponses stores new responses of one evaluation with their scores,
	// and folds the scores into the summary rollups. Responses whose (evaluation,
	// external_id) already exists are skipped, not overwritten; the returned slice
	// holds the ids of those actually inserted. Stores on the pool write the batch
	// in a transaction of their own (a small one in one statement, whose lost reply
	// is domain.ErrOutcomeUnknown); stores bound to a transaction write inside it.
	InsertResponses(ctx context.Context, rs []domain.Response) (inserted []domain.ID, err error)
	// IngestResponses is InsertResponses for a request too large to hold: it
	// writes each chunk as the sequence yields it (the next one is prepared
	// meanwhile), each chunk's responses before it waits for their scores, and
	// rolls up the scores once, after the last. Use it on stores bound to a
	// transaction, which is then all or nothing. A deadlock fails it (TxRunner
	// then runs the transaction again, which pulls the sequence again: the
	// sequence decides whether it can replay its chunks).
	IngestResponses(ctx context.Context, chunks iter.Seq2[ResponseChunk, error]) (inserted []domain.ID, err error)
	// GetResponsesByExternalID returns the stored responses of an evaluation with
	// the given external ids, with scores; missing ids are simply absent.
	GetResponsesByExternalID(ctx context.Context, evaluationID domain.ID, externalIDs []string) ([]domain.Response, error)
	// GetResponses returns responses by id, with scores; missing ids are absent.
	GetResponses(ctx context.Context, evaluationID domain.ID, ids []domain.ID) ([]domain.Response, error)
	ListResponses(ctx context.Context, q ResponseQuery) ([]domain.Response, error)
	DeleteResponse(ctx context.Context, evaluationID, id domain.ID) error
}

// ComparisonQuery selects a page of an evaluation's comparisons.
type ComparisonQuery struct {
	EvaluationID  domain.ID
	Annotator     *string
	AnnotatorKind *domain.AnnotatorKind
	// Model keeps comparisons where either side is this model.
	Model *string
	Desc  bool
	After *domain.ID
	Limit int
}

// ComparisonStore persists comparisons.
type ComparisonStore interface {
	// InsertComparisons stores comparisons; those whose (evaluation, external_id)
	// exists are skipped. It returns the ids actually inserted.
	InsertComparisons(ctx context.Context, cs []domain.Comparison) (inserted []domain.ID, err error)
	// IngestComparisons writes a sequence of chunks, like IngestResponses.
	IngestComparisons(ctx context.Context, chunks iter.Seq2[[]domain.Comparison, error]) (inserted []domain.ID, err error)
	GetComparisonsByExternalID(ctx context.Context, evaluationID domain.ID, externalIDs []string) ([]domain.Comparison, error)
	GetComparisons(ctx context.Context, evaluationID domain.ID, ids []domain.ID) ([]domain.Comparison, error)
	ListComparisons(ctx context.Context, q ComparisonQuery) ([]domain.Comparison, error)
	DeleteComparison(ctx context.Context, evaluationID, id domain.ID) error
}

// APIKeyStore persists API keys.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k domain.APIKey) error
	// GetAPIKeyByHash finds a key by the SHA-256 of its token.
	GetAPIKeyByHash(ctx context.Context, hash [32]byte) (domain.APIKey, error)
	// GetAPIKey finds a key by id.
	GetAPIKey(ctx context.Context, id domain.ID) (domain.APIKey, error)
	ListAPIKeys(ctx context.Context, after *domain.ID, limit int) ([]domain.APIKey, error)
	// RevokeAPIKey marks a key revoked at t; revoking twice keeps the first time.
	RevokeAPIKey(ctx context.Context, id domain.ID, t time.Time) error
	// TouchAPIKey records a use at t, at most about once a minute per key.
	TouchAPIKey(ctx context.Context, id domain.ID, t time.Time) error
}

// Stores bundles the stores bound to one connection or transaction.
type Stores struct {
	Evaluations EvaluationStore
	Responses   ResponseStore
	Comparisons ComparisonStore
	APIKeys     APIKeyStore
	Analytics   AnalyticsStore
	Preferences PreferenceStore
	Idempotency IdempotencyStore
	RateLimits  RateLimitStore
	Jobs        JobStore
	Maintenance MaintenanceStore
	Judges      JudgeStore
	Judgments   JudgmentStore
	Pending     PendingScoreStore
}

// TxRunner runs fn in one transaction with stores bound to it. The transaction
// commits when fn returns nil and rolls back otherwise. When the database aborts
// the transaction for a deadlock or a serialization failure, before anything was
// committed, InTx rolls back and runs fn again (a few times at most), so fn must
// be safe to repeat.
type TxRunner interface {
	InTx(ctx context.Context, fn func(ctx context.Context, s Stores) error) error
}

// Pinger checks that the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// ScoreAggregate is the SQL summary of one scorer's scores (for one model, when
// grouped). N counts scores with a value; Mean, Min, Max and the percentiles are
// defined when N > 0 and SD when N > 1.
type ScoreAggregate struct {
	Scorer     string
	Model      string
	NScores    int64
	N          int64
	Mean       float64
	SD         float64
	Min        float64
	Max        float64
	P10        float64
	P50        float64
	P90        float64
	NPassKnown int64
	NPassed    int64
	NErrors    int64
}

// StatSum is the element-wise sum of the details' "stats" arrays of one scorer's
// scores for one model.
type StatSum struct {
	Scorer string
	Model  string
	Stats  []float64
}

// PromptMeans is one scorer's scores with a value in one evaluation, per prompt:
// the prompts in bytewise order of their ids and, at the same index, how many
// scores each has, their mean, and the share passed of those with a known verdict
// (nil when none has one). The mean is summed exactly (in decimal), so it is the
// same number however and in whatever order the scores are read.
type PromptMeans struct {
	Scorer    string
	PromptIDs []string
	N         []int64
	Means     []float64
	PassRates []*float64
}

// RollupGroup is one shard's running statistics of one scorer's scores for one
// model. Mean, M2, Min and Max are nil when N is 0.
type RollupGroup struct {
	Scorer, Model                          string
	NScores, N, NPassKnown, NPassed, NErrs int64
	Mean, M2, Min, Max                     *float64
}

// HistogramBucket is one value bucket of one scorer's scores for one model (shards
// summed); buckets come ordered by scorer, model and value.
type HistogramBucket struct {
	Scorer, Model string
	// Index orders buckets by value; equal indexes of different models cover the
	// same values.
	Index    int32
	Count    int64
	Min, Max float64
}

// AnalyticsStore computes aggregates in the database.
type AnalyticsStore interface {
	// SummarizeScores aggregates the stored scores themselves, with exact
	// percentiles (linear interpolation between the closest ranks); it reads
	// every score.
	SummarizeScores(ctx context.Context, evaluationID domain.ID, byModel bool) ([]ScoreAggregate, error)
	// ScoreRollups reads the rollups maintained on ingest: a few rows per scorer
	// and model, however many scores there are.
	ScoreRollups(ctx context.Context, evaluationID domain.ID) ([]RollupGroup, []HistogramBucket, error)
	SumScoreStats(ctx context.Context, evaluationID domain.ID, scorers []string) ([]StatSum, error)
	// PromptMeans computes the evaluation's per-prompt means from its scores, per
	// scorer in name order; it reads every score with a value.
	PromptMeans(ctx context.Context, evaluationID domain.ID) ([]PromptMeans, error)
	// CachedPromptMeans returns the per-prompt means RefreshPromptMeans stored,
	// and true, when they were computed from the evaluation's scores as they
	// stand (checked in the same snapshot as they are read); otherwise nil and
	// false. They then equal what PromptMeans returns.
	CachedPromptMeans(ctx context.Context, evaluationID domain.ID) ([]PromptMeans, bool, error)
	// RefreshPromptMeans computes the per-prompt means from the scores and stores
	// them under the fingerprint of the scores they were computed from. It
	// reports false, storing nothing, for an evaluation that has no fingerprint
	// (no summary rollups, hence no scores, or a rescore filling in the first
	// ones), which CachedPromptMeans never serves.
	RefreshPromptMeans(ctx context.Context, evaluationID domain.ID, at time.Time) (bool, error)
	// ScoreFingerprint identifies the state of the evaluation's scores: every
	// write that adds, changes or removes scores changes it. It is nil when the
	// evaluation has no summary rollups.
	ScoreFingerprint(ctx context.Context, evaluationID domain.ID) ([]byte, error)
}

// OutcomeCount counts comparisons between ModelA's and ModelB's responses with one
// preference.
type OutcomeCount struct {
	ModelA, ModelB string
	Preference     float64
	Count          int64
}

// Battle is one comparison in creation order, for online Elo.
type Battle struct {
	ID             domain.ID
	ModelA, ModelB string
	Preference     float64
}

// PairLabel is one annotator's latest preference for the second response (Hi) of an
// unordered pair of responses (Lo < Hi).
type PairLabel struct {
	Lo, Hi     domain.ID
	Annotator  string
	Preference float64
}

// ScorerAgreementCount counts, for one scorer, how its scores order the two
// responses of judged comparisons.
type ScorerAgreementCount struct {
	Scorer                          string
	Ties, Judged, EqualScores       int64
	PreferredHigher, PreferredLower int64
}

// ExportPair is one unordered pair of responses with its judgements merged.
// Annotators counts distinct annotator names, plus each nameless judgement as an
// annotator of its own (nothing tells two of them apart).
type ExportPair struct {
	Lo, Hi domain.ID
	// Preference is the mean probability that Hi is better; Min and Max bound the
	// individual judgements.
	Preference, MinPreference, MaxPreference float64
	Judgements, Annotators                   int64
	PromptID, Prompt                         string
	Context                                  []domain.Message
	ModelLo, ResponseLo, ExternalIDLo        string
	ModelHi, ResponseHi, ExternalIDHi        string
}

// PreferenceQuery narrows comparisons by annotator kind (nil: all).
type PreferenceQuery struct {
	EvaluationID  domain.ID
	AnnotatorKind *domain.AnnotatorKind
}

// PreferenceStore aggregates comparisons in the database.
type PreferenceStore interface {
	ComparisonOutcomes(ctx context.Context, q PreferenceQuery) ([]OutcomeCount, error)
	// ComparisonBattles returns up to limit comparisons after the given id, in order.
	ComparisonBattles(ctx context.Context, q PreferenceQuery, after *domain.ID, limit int) ([]Battle, error)
	// AgreementLabels returns each named annotator's latest label (by creation
	// time) of every pair that two or more named annotators judged; judgements
	// without an annotator take no part.
	AgreementLabels(ctx context.Context, q PreferenceQuery) ([]PairLabel, error)
	ScorerAgreementCounts(ctx context.Context, q PreferenceQuery) ([]ScorerAgreementCount, error)
	// ExportPairs returns up to limit pairs after (afterLo, afterHi), in order.
	ExportPairs(ctx context.Context, q PreferenceQuery, after *[2]domain.ID, limit int) ([]ExportPair, error)
}

// IdempotencyRecord is the stored state of an Idempotency-Key: the request it was
// first used with and, once that finished, its reply.
type IdempotencyRecord struct {
	APIKeyID    domain.ID
	Key         string
	Method      string
	Path        string
	RequestHash []byte
	// Status is 0 while the first request is still running.
	Status      int
	ContentType string
	Body        []byte
	Location    string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// IdempotencyStore keeps Idempotency-Key records.
type IdempotencyStore interface {
	// ClaimIdempotencyKey inserts r as in progress and reports true, or reports false
	// when an unexpired record with that key exists (an expired one is replaced).
	ClaimIdempotencyKey(ctx context.Context, r IdempotencyRecord) (bool, error)
	GetIdempotencyKey(ctx context.Context, apiKeyID domain.ID, key string) (IdempotencyRecord, error)
	// CompleteIdempotencyKey stores the reply of the request that claimed the key.
	CompleteIdempotencyKey(ctx context.Context, r IdempotencyRecord) error
	// ReleaseIdempotencyKey deletes an in-progress record, so a retry can run again.
	ReleaseIdempotencyKey(ctx context.Context, apiKeyID domain.ID, key string) error
	DeleteExpiredIdempotencyKeys(ctx context.Context, now time.Time) (int64, error)
}

// RateLimitStore keeps per-key token buckets.
type RateLimitStore interface {
	// TakeToken refills the key's bucket (rate tokens a second, up to burst) and takes
	// a token if one is available, reporting whether it did and what is left.
	TakeToken(ctx context.Context, apiKeyID domain.ID, rate, burst float64, now time.Time) (granted bool, left float64, err error)
}

// ChangeListener is told when API keys or evaluations change, by any process,
// and whether such changes are being heard at all (see app.Lookups).
type ChangeListener interface {
	// Changed says that a key or an evaluation changed.
	Changed()
	// Listening says whether changes are heard from now on; false when the
	// connection that hears them is lost.
	Listening(on bool)
}

// ResponseChunk is one chunk of IngestResponses. Its responses can be handed on
// before they are scored, so that they are written while the scorers run:
// Scored, when not nil, waits until every response's Scores are set, or returns
// why they will not be. Nothing may read the Scores before Scored returned nil;
// every other field is set from the start.
type ResponseChunk struct {
	Responses []domain.Response
	Scored    func() error
}

// Scored is a chunk of responses whose scores are set.
func Scored(rs []domain.Response) ResponseChunk { return ResponseChunk{Responses: rs} }
