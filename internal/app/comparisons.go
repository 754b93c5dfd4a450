package app

import (
	"context"
	"errors"
	"iter"
	"math"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Comparisons is the pairwise-preference use case.
type Comparisons struct{ d Deps }

// NewComparisons returns the comparison use case.
func NewComparisons(d Deps) (*Comparisons, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &Comparisons{d: d}, nil
}

// ComparisonInput is one comparison as a client posts it. ResponseA and ResponseB
// are ids or external ids of responses in the evaluation. Exactly one of Preference
// (the probability that B is better) and Winner is given.
type ComparisonInput struct {
	ExternalID    string
	ResponseA     string
	ResponseB     string
	Preference    *float64
	Winner        *string
	Annotator     string
	AnnotatorKind string
	Rationale     string
	Metadata      map[string]any
}

// ComparisonResult is one stored comparison and whether this call created it.
type ComparisonResult struct {
	Comparison domain.Comparison
	Created    bool
}

// ComparisonBatchResult is a finished comparison write; Items only with
// IngestOptions.Keep.
type ComparisonBatchResult struct {
	Items             iter.Seq2[ComparisonResult, error]
	Created, Existing int
}

// Ingest validates and stores a batch of comparisons in one transaction, all or
// nothing; comparisons whose external_id exists are returned as stored. The items
// are pulled as Responses.Ingest pulls them.
func (u *Comparisons) Ingest(ctx context.Context, evalRef string, items iter.Seq2[ComparisonInput, error], opts IngestOptions) (ComparisonBatchResult, error) {
	e, err := u.d.lookups.evaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return ComparisonBatchResult{}, err
	}
	now := u.d.now()
	res, err := ingest(ctx, u.d, ingestKind[ComparisonInput, domain.Comparison]{
		extOf:    func(c ComparisonInput) string { return c.ExternalID },
		extOfT:   func(c domain.Comparison) string { return c.ExternalID },
		idOf:     func(c domain.Comparison) domain.ID { return c.ID },
		validate: func(c ComparisonInput) (ComparisonInput, error) { return c, u.validate(c) },
		stored: func(ctx context.Context, ids []string) ([]domain.Comparison, error) {
			return u.d.Stores.Comparisons.GetComparisonsByExternalID(ctx, e.ID, ids)
		},
		byID: func(ctx context.Context, ids []domain.ID) ([]domain.Comparison, error) {
			return u.d.Stores.Comparisons.GetComparisons(ctx, e.ID, ids)
		},
		build: func(ctx context.Context, in []ComparisonInput, at []int) ([]domain.Comparison, error) {
			return u.build(ctx, e, in, at, opts.Single, now)
		},
		insert: u.d.Stores.Comparisons.InsertComparisons,
		ingest: func(ctx context.Context, s ports.Stores, chunks iter.Seq2[pending[domain.Comparison], error]) ([]domain.ID, error) {
			return s.Comparisons.IngestComparisons(ctx, completed(chunks))
		},
	}, items, opts)
	if err != nil {
		return ComparisonBatchResult{}, err
	}
	out := ComparisonBatchResult{Created: res.created, Existing: res.existing}
	out.Items = MapItems(res.items, func(r stored[domain.Comparison]) ComparisonResult {
		return ComparisonResult{Comparison: r.item, Created: r.created}
	})
	return out, nil
}

// build makes new comparisons of e from valid inputs (at: their indexes in the
// request), with the responses they compare.
func (u *Comparisons) build(ctx context.Context, e domain.Evaluation, in []ComparisonInput, at []int, single bool, now time.Time) ([]domain.Comparison, error) {
	responses, err := u.resolveResponses(ctx, e, in)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Comparison, 0, len(in))
	var errs []error
	for k, c := range in {
		cmp, err := u.buildOne(e, c, responses, now)
		if err != nil {
			errs = append(errs, prefixItem(at[k], single, err))
			continue
		}
		out = append(out, cmp)
	}
	return out, errors.Join(errs...)
}

// buildOne makes one comparison.
func (u *Comparisons) buildOne(e domain.Evaluation, c ComparisonInput, responses map[string]domain.Response, now time.Time) (domain.Comparison, error) {
	a, okA := responses[c.ResponseA]
	b, okB := responses[c.ResponseB]
	switch {
	case !okA:
		return domain.Comparison{}, domain.Invalid("response_a", "no response %q in evaluation %q", c.ResponseA, e.Name)
	case !okB:
		return domain.Comparison{}, domain.Invalid("response_b", "no response %q in evaluation %q", c.ResponseB, e.Name)
	}
	kind := domain.AnnotatorKind(c.AnnotatorKind)
	if kind == "" {
		kind = domain.AnnotatorHuman
	}
	pref := 0.0
	if c.Preference != nil {
		pref = *c.Preference
	} else {
		pref, _ = domain.Winner(*c.Winner).Preference()
	}
	cmp, err := domain.NewComparison(domain.Comparison{
		ID: u.d.IDs.NewID(), EvaluationID: e.ID, ExternalID: c.ExternalID, Preference: pref,
		Annotator: c.Annotator, AnnotatorKind: kind, Rationale: c.Rationale, Metadata: c.Metadata, CreatedAt: now,
	}, a, b)
	if err != nil {
		return domain.Comparison{}, err
	}
	if cmp.Metadata == nil {
		cmp.Metadata = map[string]any{}
	}
	return cmp, nil
}

// resolveResponses maps every response reference of the batch to its response: a
// reference in UUID form is tried as an id first, then as an external id.
func (u *Comparisons) resolveResponses(ctx context.Context, e domain.Evaluation, in []ComparisonInput) (map[string]domain.Response, error) {
	refs := map[string]bool{}
	for _, c := range in {
		refs[c.ResponseA], refs[c.ResponseB] = true, true
	}
	var ids []domain.ID
	var externals []string
	for ref := range refs {
		if id, err := domain.ParseID(ref); err == nil {
			ids = append(ids, id)
		}
		externals = append(externals, ref)
	}
	out := make(map[string]domain.Response, len(refs))
	byID, err := u.d.Stores.Responses.GetResponses(ctx, e.ID, ids)
	if err != nil {
		return nil, err
	}
	for _, r := range byID {
		out[r.ID.String()] = r
	}
	var rest []string
	for _, ref := range externals {
		if _, ok := out[ref]; !ok {
			rest = append(rest, ref)
		}
	}
	byExt, err := u.d.Stores.Responses.GetResponsesByExternalID(ctx, e.ID, rest)
	if err != nil {
		return nil, err
	}
	for _, r := range byExt {
		out[r.ExternalID] = r
	}
	return out, nil
}

func (u *Comparisons) validate(c ComparisonInput) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	add(domain.ValidateLabel("external_id", c.ExternalID, domain.MaxExternalIDLen))
	if c.ResponseA == "" {
		add(domain.Invalid("response_a", "is required (a response id or external_id)"))
	}
	if c.ResponseB == "" {
		add(domain.Invalid("response_b", "is required (a response id or external_id)"))
	}
	if c.ResponseA != "" && c.ResponseA == c.ResponseB {
		add(domain.Invalid("response_b", "is the same response as response_a"))
	}
	switch {
	case c.Preference == nil && c.Winner == nil:
		add(domain.Invalid("preference", "give preference (probability that B is better, 0..1) or winner (a, b or tie)"))
	case c.Preference != nil && c.Winner != nil:
		add(domain.Invalid("winner", "give either preference or winner, not both"))
	case c.Preference != nil:
		if p := *c.Preference; math.IsNaN(p) || p < 0 || p > 1 {
			add(domain.Invalid("preference", "must be between 0 and 1 (the probability that B is better); got %v", p))
		}
	default:
		if _, ok := domain.Winner(*c.Winner).Preference(); !ok {
			add(domain.Invalid("winner", "must be a, b or tie; got %q", *c.Winner))
		}
	}
	if c.AnnotatorKind != "" && !domain.AnnotatorKind(c.AnnotatorKind).Valid() {
		add(domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", c.AnnotatorKind))
	}
	add(domain.ValidateLabel("annotator", c.Annotator, domain.MaxAnnotatorLen))
	if len(c.Rationale) > domain.MaxRationaleLen {
		add(domain.Invalid("rationale", "must be at most %d bytes", domain.MaxRationaleLen))
	}
	add(domain.ValidateText("rationale", c.Rationale))
	add(domain.ValidateMetadata("metadata", c.Metadata))
	return errors.Join(errs...)
}

// Get returns one comparison.
func (u *Comparisons) Get(ctx context.Context, evalRef, ref string) (domain.Comparison, error) {
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return domain.Comparison{}, err
	}
	return u.lookup(ctx, u.d.Stores.Comparisons, e, ref)
}

func (u *Comparisons) lookup(ctx context.Context, s ports.ComparisonStore, e domain.Evaluation, ref string) (domain.Comparison, error) {
	return lookupByRef(ctx, e, "comparison", ref, s.GetComparisons, s.GetComparisonsByExternalID)
}

// Delete deletes one comparison.
func (u *Comparisons) Delete(ctx context.Context, evalRef, ref string) error {
	return u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		e, err := resolveEvaluation(ctx, s.Evaluations, evalRef)
		if err != nil {
			return err
		}
		c, err := u.lookup(ctx, s.Comparisons, e, ref)
		if err != nil {
			return err
		}
		return s.Comparisons.DeleteComparison(ctx, e.ID, c.ID)
	})
}

// ListComparisonsInput selects a page of comparisons.
type ListComparisonsInput struct {
	Annotator     *string
	AnnotatorKind *string
	Model         *string
	Sort          string
	Cursor        string
	Limit         int
}

// List returns a page of an evaluation's comparisons.
func (u *Comparisons) List(ctx context.Context, evalRef string, in ListComparisonsInput) (domain.Page[domain.Comparison], error) {
	var page domain.Page[domain.Comparison]
	desc, err := idSort(in.Sort)
	if err != nil {
		return page, err
	}
	var kind *domain.AnnotatorKind
	if in.AnnotatorKind != nil {
		k := domain.AnnotatorKind(*in.AnnotatorKind)
		if !k.Valid() {
			return page, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", *in.AnnotatorKind)
		}
		kind = &k
	}
	limit, err := pageLimit(in.Limit)
	if err != nil {
		return page, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return page, err
	}
	list := listKey("comparisons", e.ID, in.Sort, in.Annotator, in.AnnotatorKind, in.Model)
	c, after, err := decodeCursor(in.Cursor, list)
	if err != nil {
		return page, err
	}
	var start *domain.ID
	if c != nil {
		start = &after
	}
	return fetchPage(limit, u.d.Limits.orDefault().MaxPageBytes, list, start, func(c domain.Comparison) domain.ID { return c.ID }, comparisonSize,
		func(after *domain.ID, n int) ([]domain.Comparison, error) {
			return u.d.Stores.Comparisons.ListComparisons(ctx, ports.ComparisonQuery{EvaluationID: e.ID, Annotator: in.Annotator,
				AnnotatorKind: kind, Model: in.Model, Desc: desc, Limit: n, After: after})
		})
}
