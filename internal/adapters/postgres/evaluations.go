package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// EvaluationStore stores evaluations.
type EvaluationStore struct {
	db dbtx
	q  *dbsqlc.Queries
	// reader, when set, serves the list pages (from a read replica).
	reader *EvaluationStore
}

var _ ports.EvaluationStore = (*EvaluationStore)(nil)

// CreateEvaluation inserts e; a taken name is domain.ErrConflict.
func (s *EvaluationStore) CreateEvaluation(ctx context.Context, e domain.Evaluation) error {
	scorers, meta, err := evaluationJSON(e)
	if err != nil {
		return err
	}
	err = s.q.CreateEvaluation(ctx, dbsqlc.CreateEvaluationParams{
		ID: pgID(e.ID), Name: e.Name, Description: e.Description, Scorers: scorers, Metadata: meta,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt,
	})
	return translate(err)
}

func evaluationJSON(e domain.Evaluation) (scorers, meta []byte, err error) {
	if scorers, err = marshalScorers(e.Scorers); err != nil {
		return nil, nil, fmt.Errorf("encode scorers: %w", err)
	}
	if meta, err = marshalObject(e.Metadata); err != nil {
		return nil, nil, fmt.Errorf("encode metadata: %w", err)
	}
	return scorers, meta, nil
}

// GetEvaluation finds an evaluation by id.
func (s *EvaluationStore) GetEvaluation(ctx context.Context, id domain.ID) (domain.Evaluation, error) {
	row, err := dbsqlc.New(prepared{s.db}).GetEvaluation(ctx, pgID(id))
	if err != nil {
		return domain.Evaluation{}, translate(err)
	}
	return toEvaluation(row)
}

// GetEvaluationByName finds an evaluation by name.
func (s *EvaluationStore) GetEvaluationByName(ctx context.Context, name string) (domain.Evaluation, error) {
	row, err := dbsqlc.New(prepared{s.db}).GetEvaluationByName(ctx, name)
	if err != nil {
		return domain.Evaluation{}, translate(err)
	}
	return toEvaluation(row)
}

// ListEvaluations returns a page in the requested order.
func (s *EvaluationStore) ListEvaluations(ctx context.Context, q ports.EvaluationQuery) ([]domain.Evaluation, error) {
	if s.reader != nil {
		return s.reader.ListEvaluations(ctx, q)
	}
	lim := int32(q.Limit)
	var afterTime *time.Time
	var afterName *string
	afterID := optID(nil)
	if q.After != nil {
		afterID = pgID(q.After.ID)
		switch q.Sort {
		case ports.SortNameAsc, ports.SortNameDesc:
			afterName = &q.After.Key
		default:
			t, err := time.Parse(time.RFC3339Nano, q.After.Key)
			if err != nil {
				return nil, domain.Invalid("cursor", "does not fit sort %q", q.Sort)
			}
			afterTime = &t
		}
	}
	var rows []dbsqlc.Evaluation
	var err error
	switch q.Sort {
	case ports.SortCreatedAsc, "":
		rows, err = s.q.ListEvaluationsCreatedAsc(ctx, dbsqlc.ListEvaluationsCreatedAscParams{AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case ports.SortCreatedDesc:
		rows, err = s.q.ListEvaluationsCreatedDesc(ctx, dbsqlc.ListEvaluationsCreatedDescParams{AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case ports.SortUpdatedAsc:
		rows, err = s.q.ListEvaluationsUpdatedAsc(ctx, dbsqlc.ListEvaluationsUpdatedAscParams{AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case ports.SortUpdatedDesc:
		rows, err = s.q.ListEvaluationsUpdatedDesc(ctx, dbsqlc.ListEvaluationsUpdatedDescParams{AfterTime: afterTime, AfterID: afterID, Lim: lim})
	case ports.SortNameAsc:
		rows, err = s.q.ListEvaluationsNameAsc(ctx, dbsqlc.ListEvaluationsNameAscParams{AfterName: afterName, Lim: lim})
	case ports.SortNameDesc:
		rows, err = s.q.ListEvaluationsNameDesc(ctx, dbsqlc.ListEvaluationsNameDescParams{AfterName: afterName, Lim: lim})
	default:
		return nil, domain.Invalid("sort", "unknown sort %q", q.Sort)
	}
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toEvaluation)
}

// UpdateEvaluation overwrites the mutable fields of e.
func (s *EvaluationStore) UpdateEvaluation(ctx context.Context, e domain.Evaluation) error {
	scorers, meta, err := evaluationJSON(e)
	if err != nil {
		return err
	}
	n, err := s.q.UpdateEvaluation(ctx, dbsqlc.UpdateEvaluationParams{
		ID: pgID(e.ID), Name: e.Name, Description: e.Description, Scorers: scorers, Metadata: meta, UpdatedAt: e.UpdatedAt,
	})
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// DeleteEvaluation deletes an evaluation and everything in it.
func (s *EvaluationStore) DeleteEvaluation(ctx context.Context, id domain.ID) error {
	n, err := s.q.DeleteEvaluation(ctx, pgID(id))
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}
