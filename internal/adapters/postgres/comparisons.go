package postgres

import (
	"context"
	"iter"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// ComparisonStore stores comparisons.
type ComparisonStore struct {
	db dbtx
	q  *dbsqlc.Queries
	// reader, when set, serves the list pages (from a read replica).
	reader *ComparisonStore
}

var _ ports.ComparisonStore = (*ComparisonStore)(nil)

// InsertComparisons writes one batch, as one chunk of IngestComparisons.
func (s *ComparisonStore) InsertComparisons(ctx context.Context, cs []domain.Comparison) ([]domain.ID, error) {
	if len(cs) == 0 {
		return nil, nil
	}
	return inOwnTx(ctx, s.db, true, func(tx dbtx) ([]domain.ID, error) { return writeChunk(ctx, tx, comparisonWriter, cs) })
}

// IngestComparisons writes the chunks in the caller's transaction (or, on the
// pool, in one of its own).
func (s *ComparisonStore) IngestComparisons(ctx context.Context, chunks iter.Seq2[[]domain.Comparison, error]) ([]domain.ID, error) {
	return inOwnTx(ctx, s.db, false, func(tx dbtx) ([]domain.ID, error) { return ingestChunks(ctx, tx, comparisonWriter, chunks) })
}

// GetComparisonsByExternalID returns stored comparisons with the given external ids.
func (s *ComparisonStore) GetComparisonsByExternalID(ctx context.Context, evaluationID domain.ID, externalIDs []string) ([]domain.Comparison, error) {
	if len(externalIDs) == 0 {
		return nil, nil
	}
	rows, err := s.q.GetComparisonsByExternalID(ctx, dbsqlc.GetComparisonsByExternalIDParams{EvaluationID: pgID(evaluationID), ExternalIds: externalIDs})
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toComparison)
}

// GetComparisons returns comparisons by id.
func (s *ComparisonStore) GetComparisons(ctx context.Context, evaluationID domain.ID, ids []domain.ID) ([]domain.Comparison, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.q.GetComparisons(ctx, dbsqlc.GetComparisonsParams{EvaluationID: pgID(evaluationID), Ids: pgIDs(ids)})
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toComparison)
}

// ListComparisons returns a page of comparisons, oldest first unless q.Desc.
func (s *ComparisonStore) ListComparisons(ctx context.Context, q ports.ComparisonQuery) ([]domain.Comparison, error) {
	if s.reader != nil {
		return s.reader.ListComparisons(ctx, q)
	}
	var kind *string
	if q.AnnotatorKind != nil {
		k := string(*q.AnnotatorKind)
		kind = &k
	}
	var rows []dbsqlc.Comparison
	var err error
	if q.Desc {
		rows, err = s.q.ListComparisonsDesc(ctx, dbsqlc.ListComparisonsDescParams{
			EvaluationID: pgID(q.EvaluationID), Annotator: q.Annotator, AnnotatorKind: kind, Model: q.Model,
			AfterID: optID(q.After), Lim: int32(q.Limit),
		})
	} else {
		rows, err = s.q.ListComparisonsAsc(ctx, dbsqlc.ListComparisonsAscParams{
			EvaluationID: pgID(q.EvaluationID), Annotator: q.Annotator, AnnotatorKind: kind, Model: q.Model,
			AfterID: optID(q.After), Lim: int32(q.Limit),
		})
	}
	if err != nil {
		return nil, translate(err)
	}
	return mapRows(rows, toComparison)
}

// DeleteComparison deletes one comparison.
func (s *ComparisonStore) DeleteComparison(ctx context.Context, evaluationID, id domain.ID) error {
	n, err := s.q.DeleteComparison(ctx, dbsqlc.DeleteComparisonParams{EvaluationID: pgID(evaluationID), ID: pgID(id)})
	if err != nil {
		return translate(err)
	}
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}
