package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// JudgeStore stores judge configurations.
type JudgeStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.JudgeStore = (*JudgeStore)(nil)

// PutJudge stores j as its name's next version unless the same configuration is
// stored; versions of one name are created one at a time (an advisory lock on the
// name), so concurrent posts get consecutive versions.
func (s *JudgeStore) PutJudge(ctx context.Context, j domain.Judge) (domain.Judge, bool, error) {
	hash, err := hex.DecodeString(j.ConfigHash)
	if err != nil || len(hash) != sha256.Size {
		return domain.Judge{}, false, fmt.Errorf("judge %q: config hash %q is not a SHA-256 in hex", j.Name, j.ConfigHash)
	}
	var out domain.Judge
	var created bool
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		if err := q.LockJudgeName(ctx, j.Name); err != nil {
			return translate(err)
		}
		row, err := q.GetJudgeByHash(ctx, dbsqlc.GetJudgeByHashParams{Name: j.Name, ConfigHash: hash})
		if err == nil {
			out = toJudge(row)
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return translate(err)
		}
		latest, err := q.LatestJudgeVersion(ctx, j.Name)
		if err != nil {
			return translate(err)
		}
		j.Version = int(latest) + 1
		if err := q.InsertJudge(ctx, dbsqlc.InsertJudgeParams{
			Name: j.Name, Version: int32(j.Version), Kind: j.Kind, Config: j.Config, ConfigHash: hash, CreatedAt: j.CreatedAt,
		}); err != nil {
			return translate(err)
		}
		out, created = j, true
		return nil
	})
	return out, created, err
}

// GetJudge returns one version of a judge, or its latest for version 0.
func (s *JudgeStore) GetJudge(ctx context.Context, name string, version int) (domain.Judge, error) {
	var row dbsqlc.Judge
	var err error
	if version == 0 {
		row, err = s.q.GetLatestJudge(ctx, name)
	} else {
		row, err = s.q.GetJudge(ctx, dbsqlc.GetJudgeParams{Name: name, Version: int32(version)})
	}
	if err != nil {
		return domain.Judge{}, translate(err)
	}
	return toJudge(row), nil
}

// ListJudges returns the latest version of each judge by name.
func (s *JudgeStore) ListJudges(ctx context.Context, after *string, limit int) ([]domain.Judge, error) {
	rows, err := s.q.ListJudges(ctx, dbsqlc.ListJudgesParams{AfterName: after, Lim: int32(limit)})
	if err != nil {
		return nil, translate(err)
	}
	out := make([]domain.Judge, len(rows))
	for i, r := range rows {
		out[i] = toJudge(r)
	}
	return out, nil
}

func toJudge(r dbsqlc.Judge) domain.Judge {
	return domain.Judge{Name: r.Name, Version: int(r.Version), Kind: r.Kind, Config: r.Config,
		ConfigHash: hex.EncodeToString(r.ConfigHash), CreatedAt: r.CreatedAt}
}

// JudgmentStore stores judgments and judges' scores.
type JudgmentStore struct {
	db dbtx
	q  *dbsqlc.Queries
}

var _ ports.JudgmentStore = (*JudgmentStore)(nil)

// judgeMessageJSON is the stored shape of a message sent to a judge.
type judgeMessageJSON struct {
	Role    string `json:"role"`
	Name    string `json:"name,omitempty"`
	Content string `json:"content"`
}

// logprobJSON is the stored shape of a token's logprobs.
type logprobJSON struct {
	Token   string        `json:"token"`
	Logprob float64       `json:"logprob"`
	Top     []logprobJSON `json:"top_logprobs,omitempty"`
}

func toLogprobJSON(ls []domain.TokenLogprob) []logprobJSON {
	if ls == nil {
		return nil
	}
	out := make([]logprobJSON, len(ls))
	for i, l := range ls {
		out[i] = logprobJSON{Token: l.Token, Logprob: l.Logprob, Top: toLogprobJSON(l.Top)}
	}
	return out
}

func fromLogprobJSON(ls []logprobJSON) []domain.TokenLogprob {
	if ls == nil {
		return nil
	}
	out := make([]domain.TokenLogprob, len(ls))
	for i, l := range ls {
		out[i] = domain.TokenLogprob{Token: l.Token, Logprob: l.Logprob, Top: fromLogprobJSON(l.Top)}
	}
	return out
}

func optDomainID(id *domain.ID) pgtype.UUID { return optID(id) }

func fromOptID(id pgtype.UUID) *domain.ID {
	if !id.Valid {
		return nil
	}
	d := domain.ID(id.Bytes)
	return &d
}

// InsertJudgments stores one item's judgments in one statement each, inside a
// savepoint: when the item's first call is stored already, nothing is.
func (s *JudgmentStore) InsertJudgments(ctx context.Context, js []domain.Judgment) (bool, error) {
	if len(js) == 0 {
		return false, nil
	}
	params := make([]dbsqlc.InsertJudgmentParams, len(js))
	for i, j := range js {
		p, err := judgmentParams(j)
		if err != nil {
			return false, err
		}
		params[i] = p
	}
	inserted := false
	err := inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		for i, p := range params {
			n, err := q.InsertJudgment(ctx, p)
			if err != nil {
				return translate(err)
			}
			if n == 0 {
				if i == 0 {
					return nil // stored before: store nothing
				}
				return fmt.Errorf("judgment %d of item %q of job %s is stored but its first is not: %w", i, p.Item, js[0].JobID, domain.ErrConflict)
			}
		}
		inserted = true
		return nil
	})
	return inserted, err
}

func judgmentParams(j domain.Judgment) (dbsqlc.InsertJudgmentParams, error) {
	msgs := make([]judgeMessageJSON, len(j.Messages))
	for i, m := range j.Messages {
		msgs[i] = judgeMessageJSON(m)
	}
	mb, err := json.Marshal(msgs)
	if err != nil {
		return dbsqlc.InsertJudgmentParams{}, fmt.Errorf("encode messages of judgment %s: %w", j.ID, err)
	}
	var lb []byte
	if j.Logprobs != nil {
		if lb, err = json.Marshal(toLogprobJSON(j.Logprobs)); err != nil {
			return dbsqlc.InsertJudgmentParams{}, fmt.Errorf("encode logprobs of judgment %s: %w", j.ID, err)
		}
	}
	var raw []byte
	switch {
	case len(j.Raw) == 0:
	case json.Valid(j.Raw):
		raw = j.Raw
	default:
		// A body that is not JSON is kept as a JSON string.
		if raw, err = json.Marshal(string(j.Raw)); err != nil {
			return dbsqlc.InsertJudgmentParams{}, err
		}
	}
	return dbsqlc.InsertJudgmentParams{
		EvaluationID: pgID(j.EvaluationID), ID: pgID(j.ID), JobID: pgID(j.JobID), Item: j.Item, Call: int16(j.Call),
		JudgeName: j.JudgeName, JudgeVersion: int32(j.JudgeVersion),
		ResponseAID: optDomainID(j.ResponseA), ResponseBID: optDomainID(j.ResponseB), ResponseID: optDomainID(j.Response),
		ComparisonID: optDomainID(j.ComparisonID), RequestHash: j.RequestHash, Messages: mb,
		Content: j.Content, Logprobs: lb, FinishReason: j.FinishReason, SystemFingerprint: j.SystemFingerprint, Raw: raw,
		Reward: j.Reward, Verdict: j.Verdict, ParseError: j.ParseError, OrderShown: j.Order, Identical: j.Identical,
		InputTokens: j.InputTokens, OutputTokens: j.OutputTokens, Cost: j.Cost,
		LatencyMs: float64(j.Latency) / float64(time.Millisecond), Attempts: int32(j.Attempts), Cached: j.Cached,
		CreatedAt: j.CreatedAt,
	}, nil
}

func toJudgment(r dbsqlc.Judgment) (domain.Judgment, error) {
	var msgs []judgeMessageJSON
	if err := json.Unmarshal(r.Messages, &msgs); err != nil {
		return domain.Judgment{}, fmt.Errorf("decode stored messages: %w", err)
	}
	j := domain.Judgment{
		ID: domain.ID(r.ID.Bytes), EvaluationID: domain.ID(r.EvaluationID.Bytes), JobID: domain.ID(r.JobID.Bytes),
		Item: r.Item, Call: int(r.Call), JudgeName: r.JudgeName, JudgeVersion: int(r.JudgeVersion),
		ResponseA: fromOptID(r.ResponseAID), ResponseB: fromOptID(r.ResponseBID), Response: fromOptID(r.ResponseID),
		ComparisonID: fromOptID(r.ComparisonID), RequestHash: r.RequestHash, Messages: make([]domain.Message, len(msgs)),
		Content: r.Content, FinishReason: r.FinishReason, SystemFingerprint: r.SystemFingerprint, Raw: r.Raw,
		Reward: r.Reward, Verdict: r.Verdict, ParseError: r.ParseError, Order: r.OrderShown, Identical: r.Identical,
		InputTokens: r.InputTokens, OutputTokens: r.OutputTokens, Cost: r.Cost,
		Latency: time.Duration(r.LatencyMs * float64(time.Millisecond)), Attempts: int(r.Attempts), Cached: r.Cached,
		CreatedAt: r.CreatedAt,
	}
	for i, m := range msgs {
		j.Messages[i] = domain.Message(m)
	}
	if len(r.Logprobs) > 0 {
		var ls []logprobJSON
		if err := json.Unmarshal(r.Logprobs, &ls); err != nil {
			return domain.Judgment{}, fmt.Errorf("decode stored logprobs: %w", err)
		}
		j.Logprobs = fromLogprobJSON(ls)
	}
	return j, nil
}

// JudgedItems returns the items the job has judgments for.
func (s *JudgmentStore) JudgedItems(ctx context.Context, evaluationID, jobID domain.ID) ([]string, error) {
	items, err := s.q.JudgedItems(ctx, dbsqlc.JudgedItemsParams{EvaluationID: pgID(evaluationID), JobID: pgID(jobID)})
	return items, translate(err)
}

// CachedJudgment returns the latest judgment of a request with this hash sent to
// the endpoint at baseURL.
func (s *JudgmentStore) CachedJudgment(ctx context.Context, baseURL, requestHash string) (domain.Judgment, bool, error) {
	row, err := s.q.CachedJudgment(ctx, dbsqlc.CachedJudgmentParams{RequestHash: requestHash, BaseUrl: baseURL})
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.Judgment{}, false, nil
	}
	if err != nil {
		return domain.Judgment{}, false, translate(err)
	}
	j, err := toJudgment(row)
	return j, err == nil, err
}

// ListJudgments returns a page of judgments in id order.
func (s *JudgmentStore) ListJudgments(ctx context.Context, q ports.JudgmentQuery) ([]domain.Judgment, error) {
	rows, err := s.q.ListJudgments(ctx, dbsqlc.ListJudgmentsParams{
		EvaluationID: pgID(q.EvaluationID), ComparisonID: optID(q.ComparisonID), ResponseID: optID(q.ResponseID),
		JobID: optID(q.JobID), JudgeName: q.JudgeName, AfterID: optID(q.After), Lim: int32(q.Limit),
	})
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toJudgment)
}

// JudgmentStats aggregates a run's judgments.
func (s *JudgmentStore) JudgmentStats(ctx context.Context, evaluationID, jobID domain.ID) (ports.JudgmentStats, error) {
	c, err := s.q.JudgmentCallStats(ctx, dbsqlc.JudgmentCallStatsParams{EvaluationID: pgID(evaluationID), JobID: pgID(jobID)})
	if err != nil {
		return ports.JudgmentStats{}, translate(err)
	}
	sw, err := s.q.JudgmentSwapStats(ctx, dbsqlc.JudgmentSwapStatsParams{EvaluationID: pgID(evaluationID), JobID: pgID(jobID)})
	if err != nil {
		return ports.JudgmentStats{}, translate(err)
	}
	st := ports.JudgmentStats{
		Calls: c.Calls, Identical: c.Identical, Cached: c.Cached, Fresh: c.Fresh, ParseFailures: c.ParseFailures,
		Ordered: c.Ordered, FirstWins: c.FirstWins, SecondWins: c.SecondWins,
		InputTokens: c.InputTokens, OutputTokens: c.OutputTokens, Cost: c.Cost,
		SwapPairs: sw.Pairs, SwapConsistent: sw.Consistent,
	}
	if c.Ordered > 0 {
		st.FirstPreference = &c.FirstPreference
	}
	if c.Fresh > 0 {
		ms := func(v float64) *time.Duration { d := time.Duration(v * float64(time.Millisecond)); return &d }
		st.LatencyP50, st.LatencyP90, st.LatencyP99 = ms(c.LatencyP50), ms(c.LatencyP90), ms(c.LatencyP99)
	}
	return st, nil
}

// AddScore stores a judge's score on r and folds it into a random rollup shard.
func (s *JudgmentStore) AddScore(ctx context.Context, r domain.Response, sc domain.Score) (bool, error) {
	if sc.Value == nil {
		return false, fmt.Errorf("score %q of response %s has no value", sc.Scorer, r.ID)
	}
	details, err := marshalObject(sc.Details)
	if err != nil {
		return false, fmt.Errorf("encode details of score %q: %w", sc.Scorer, err)
	}
	added := false
	err = inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		n, err := q.InsertJudgeScore(ctx, dbsqlc.InsertJudgeScoreParams{
			EvaluationID: pgID(r.EvaluationID), ResponseID: pgID(r.ID), Scorer: sc.Scorer, Model: r.Model,
			PromptID: r.PromptID, Value: sc.Value, Details: details, CreatedAt: sc.CreatedAt,
		})
		if err != nil || n == 0 {
			return translate(err)
		}
		added = true
		// A judge's score is stored with its value only (InsertJudgeScore).
		return rollupScore(ctx, q, r, domain.Score{Scorer: sc.Scorer, Value: sc.Value})
	})
	return added, err
}

// ClearScores deletes scores under scorer that job did not write, on the given
// models' responses, and rebuilds the rollups of the models that had any.
func (s *JudgmentStore) ClearScores(ctx context.Context, evaluationID domain.ID, scorer string, models []string, job domain.ID) error {
	return inTx(ctx, s.db, func(tx pgx.Tx) error {
		q := dbsqlc.New(tx)
		ev := pgID(evaluationID)
		deleted, err := q.DeleteOtherRunScores(ctx, dbsqlc.DeleteOtherRunScoresParams{
			EvaluationID: ev, Scorer: scorer, Models: models, JobID: job.String()})
		if err != nil {
			return translate(err)
		}
		seen := map[string]bool{}
		for _, model := range deleted {
			if seen[model] {
				continue
			}
			seen[model] = true
			if err := rebuildModelRollups(ctx, q, ev, model); err != nil {
				return err
			}
		}
		return nil
	})
}

// rebuildModelRollups recomputes one model's rollups from its stored scores.
// It holds the model's rollup lock exclusively (db/queries/ingest.sql), so writes
// that fold scores into the same rollups wait until it is done.
func rebuildModelRollups(ctx context.Context, q *dbsqlc.Queries, ev pgtype.UUID, model string) error {
	if err := q.LockModelRollups(ctx, dbsqlc.LockModelRollupsParams{EvaluationID: ev, Model: model}); err != nil {
		return translate(err)
	}
	if err := q.DeleteModelRollups(ctx, dbsqlc.DeleteModelRollupsParams{EvaluationID: ev, Model: model}); err != nil {
		return translate(err)
	}
	if err := q.DeleteModelHistograms(ctx, dbsqlc.DeleteModelHistogramsParams{EvaluationID: ev, Model: model}); err != nil {
		return translate(err)
	}
	if err := q.RebuildModelRollups(ctx, dbsqlc.RebuildModelRollupsParams{EvaluationID: ev, Model: model}); err != nil {
		return translate(err)
	}
	return translate(q.RebuildModelHistograms(ctx, dbsqlc.RebuildModelHistogramsParams{EvaluationID: ev, Model: model}))
}

// EvaluationModels returns the models that have responses in the evaluation.
func (s *JudgmentStore) EvaluationModels(ctx context.Context, evaluationID domain.ID) ([]string, error) {
	// Every model: the skip scan of db/queries/web.sql, without its page limit.
	models, err := s.q.EvaluationModels(ctx, dbsqlc.EvaluationModelsParams{EvaluationID: pgID(evaluationID), Lim: math.MaxInt32})
	return models, translate(err)
}

// RunPairs pairs the models' responses with the baseline's to the same prompt.
func (s *JudgmentStore) RunPairs(ctx context.Context, evaluationID domain.ID, baseline string, models []string) ([][2]domain.ID, error) {
	rows, err := s.q.RunPairs(ctx, dbsqlc.RunPairsParams{EvaluationID: pgID(evaluationID), Baseline: baseline, Models: models})
	if err != nil {
		return nil, translate(err)
	}
	out := make([][2]domain.ID, len(rows))
	for i, r := range rows {
		out[i] = [2]domain.ID{domain.ID(r.BaselineID.Bytes), domain.ID(r.ResponseID.Bytes)}
	}
	return out, nil
}

// RunResponses returns the ids of the models' responses.
func (s *JudgmentStore) RunResponses(ctx context.Context, evaluationID domain.ID, models []string) ([]domain.ID, error) {
	ids, err := s.q.RunResponses(ctx, dbsqlc.RunResponsesParams{EvaluationID: pgID(evaluationID), Models: models})
	if err != nil {
		return nil, translate(err)
	}
	return fromPgIDs(ids), nil
}

// RunHasItems reports whether the models have a response to judge: one whose
// prompt the baseline answered, or any without a baseline.
func (s *JudgmentStore) RunHasItems(ctx context.Context, evaluationID domain.ID, baseline string, models []string) (bool, error) {
	ok, err := s.q.RunHasItems(ctx, dbsqlc.RunHasItemsParams{EvaluationID: pgID(evaluationID), Baseline: baseline, Models: models})
	return ok, translate(err)
}
