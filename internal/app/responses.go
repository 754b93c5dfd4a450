package app

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Responses is the response use case: validate, score on ingest, store.
type Responses struct{ d Deps }

// NewResponses returns the response use case.
func NewResponses(d Deps) (*Responses, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &Responses{d: d}, nil
}

// ResponseInput is one response as a client posts it. Response is a pointer because
// an empty response is valid (models do produce them) but a missing one is not.
type ResponseInput struct {
	ExternalID string
	PromptID   string
	Model      string
	Prompt     string
	Context    []domain.Message
	Response   *string
	Reference  *string
	Metadata   map[string]any

	// checked is the response NewResponse made of the others once Ingest
	// validated them.
	checked *domain.Response
}

// Ingested is one stored response and whether this call created it (false when its
// external_id existed and the stored response is returned instead).
type Ingested struct {
	Response domain.Response
	Created  bool
}

// IngestResult is a finished ingest: the counts and, when asked for
// (IngestOptions.Keep), every stored response in input order. Items may read
// from the database as it is pulled (see IngestOptions.Keep).
type IngestResult struct {
	Items             iter.Seq2[Ingested, error]
	Created, Existing int
}

// Ingest validates a batch, scores the new responses with the evaluation's scorers
// and stores them with their scores in one transaction; the batch is all or
// nothing. Responses whose external_id exists (or repeats earlier in the batch) are
// not scored again: the stored one is returned. The items are pulled a chunk at a
// time (see once.go), so a request body can be decoded as it is written; Ingest
// returns once it is done with them, but when it fails it may leave the sequence
// blocked in a read, which the caller must then unblock (see the HTTP handler).
func (u *Responses) Ingest(ctx context.Context, evalRef string, items iter.Seq2[ResponseInput, error], opts IngestOptions) (IngestResult, error) {
	var built bool
	e, set, err := u.d.lookups.evaluationWith(ctx, u.d.Stores.Evaluations, evalRef, func(c []domain.ScorerConfig) (*scoring.Set, error) {
		built = true
		return u.d.Registry.Build(c)
	})
	if err != nil {
		if built {
			return IngestResult{}, fmt.Errorf("evaluation %q has an invalid stored scorer configuration: %w", e.Name, err)
		}
		return IngestResult{}, err
	}
	later, err := planLater(ctx, u.d, e, set)
	if err != nil {
		return IngestResult{}, err
	}
	rules := domain.ResponseRules{MaxTextBytes: u.d.Limits.orDefault().MaxFieldBytes, NeedsReference: set.NeedsReference()}
	now := u.d.now()
	res, err := ingest(ctx, u.d, ingestKind[ResponseInput, domain.Response]{
		extOf:  func(r ResponseInput) string { return r.ExternalID },
		extOfT: func(r domain.Response) string { return r.ExternalID },
		idOf:   func(r domain.Response) domain.ID { return r.ID },
		validate: func(r ResponseInput) (ResponseInput, error) {
			checked, err := domain.NewResponse(r.draft(), r.Response, rules)
			r.checked = &checked
			return r, err
		},
		stored: func(ctx context.Context, ids []string) ([]domain.Response, error) {
			return u.d.Stores.Responses.GetResponsesByExternalID(ctx, e.ID, ids)
		},
		byID: func(ctx context.Context, ids []domain.ID) ([]domain.Response, error) {
			return u.d.Stores.Responses.GetResponses(ctx, e.ID, ids)
		},
		build: func(ctx context.Context, in []ResponseInput, _ []int) ([]domain.Response, error) {
			// The inputs passed validate, which kept what NewResponse made of them
			// (defaults filled in); only the identity is left to give.
			rs := make([]domain.Response, len(in))
			for i, r := range in {
				if r.checked == nil {
					return nil, fmt.Errorf("response %d of the chunk was not validated", i)
				}
				rs[i] = *r.checked
				rs[i].ID, rs[i].EvaluationID, rs[i].CreatedAt = u.d.IDs.NewID(), e.ID, now
			}
			return rs, nil
		},
		// The scorers run once the chunk is handed on, while its responses are
		// copied; beside that copy they leave a core to the database.
		finish: func(ctx context.Context, rs []domain.Response, alone bool) error {
			if alone {
				return u.score(ctx, set, rs, now)
			}
			return u.score(ctx, set.BesideWrite(), rs, now)
		},
		insert: func(ctx context.Context, rs []domain.Response) ([]domain.ID, error) {
			if later == nil {
				return u.d.Stores.Responses.InsertResponses(ctx, rs)
			}
			// The pending scores and their job commit with the responses.
			var ids []domain.ID
			err := u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
				var err error
				if ids, err = s.Responses.InsertResponses(ctx, rs); err != nil {
					return err
				}
				return later.record(ctx, u.d, s, e, ids)
			})
			return ids, err
		},
		ingest: func(ctx context.Context, s ports.Stores, chunks iter.Seq2[pending[domain.Response], error]) ([]domain.ID, error) {
			ids, err := s.Responses.IngestResponses(ctx, responseChunks(chunks))
			if err != nil {
				return nil, err
			}
			return ids, later.record(ctx, u.d, s, e, ids)
		},
	}, items, opts)
	if err != nil {
		return IngestResult{}, err
	}
	out := IngestResult{Created: res.created, Existing: res.existing}
	out.Items = MapItems(res.items, func(r stored[domain.Response]) Ingested {
		if r.created {
			r.item = later.withPending(r.item, now)
		}
		return Ingested{Response: r.item, Created: r.created}
	})
	return out, nil
}

// responseChunks hands the store each chunk's responses with the wait for their
// scores.
func responseChunks(chunks iter.Seq2[pending[domain.Response], error]) iter.Seq2[ports.ResponseChunk, error] {
	return func(yield func(ports.ResponseChunk, error) bool) {
		for p, err := range chunks {
			if !yield(ports.ResponseChunk{Responses: p.items, Scored: p.ready}, err) || err != nil {
				return
			}
		}
	}
}

// draft is the response r describes, before NewResponse checks it.
func (r ResponseInput) draft() domain.Response {
	return domain.Response{
		ExternalID: r.ExternalID, PromptID: r.PromptID, Model: r.Model, Prompt: r.Prompt,
		Context: r.Context, Reference: r.Reference, Metadata: r.Metadata,
	}
}

// score runs the set over rs in parallel and attaches the scores.
func (u *Responses) score(ctx context.Context, set *scoring.Set, rs []domain.Response, now time.Time) error {
	if set.Len() == 0 || len(rs) == 0 {
		return nil
	}
	items := make([]scoring.Item, len(rs))
	for i, r := range rs {
		items[i] = ItemOf(r)
	}
	outcomes, err := set.ScoreBatch(ctx, items)
	if err != nil {
		return err
	}
	for i := range rs {
		rs[i].Scores = ScoresOf(outcomes[i], now)
	}
	return nil
}

// ItemOf returns what scorers see of a response.
func ItemOf(r domain.Response) scoring.Item {
	it := scoring.Item{Prompt: r.Prompt, Response: r.Text, Context: r.Context}
	if r.Reference != nil {
		it.Reference, it.HasReference = *r.Reference, true
	}
	return it
}

// ScoresOf converts scorer outcomes into scores; a failed scorer becomes a score with
// no value and its error. Scorers that run later have no score yet: ingest records
// theirs as pending.
func ScoresOf(os []scoring.Outcome, now time.Time) []domain.Score {
	out := make([]domain.Score, 0, len(os))
	for _, o := range os {
		if o.Later {
			continue
		}
		s := domain.Score{Scorer: o.Name, CreatedAt: now, Details: map[string]any{}}
		if o.Err != nil {
			s.Error = o.Err.Error()
		} else {
			v := o.Result.Value
			s.Value, s.Passed, s.Details = &v, o.Result.Passed, o.Result.Details
		}
		out = append(out, s)
	}
	return out
}

// prefixItem places an item's field errors under "[i]" unless the request was a
// single object.
func prefixItem(i int, single bool, err error) error {
	if single || err == nil {
		return err
	}
	return domain.PrefixField(fmt.Sprintf("[%d]", i), err)
}

// Get returns one response of an evaluation.
func (u *Responses) Get(ctx context.Context, evalRef, id string) (domain.Response, error) {
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return domain.Response{}, err
	}
	r, err := u.lookup(ctx, u.d.Stores.Responses, e, id)
	if err != nil {
		return domain.Response{}, err
	}
	return r, nil
}

// lookup finds a response by id or, failing that, by external id.
func (u *Responses) lookup(ctx context.Context, s ports.ResponseStore, e domain.Evaluation, ref string) (domain.Response, error) {
	return lookupByRef(ctx, e, "response", ref, s.GetResponses, s.GetResponsesByExternalID)
}

// Delete deletes a response with its scores and the comparisons that use it.
func (u *Responses) Delete(ctx context.Context, evalRef, id string) error {
	return u.d.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		e, err := resolveEvaluation(ctx, s.Evaluations, evalRef)
		if err != nil {
			return err
		}
		r, err := u.lookup(ctx, s.Responses, e, id)
		if err != nil {
			return err
		}
		return s.Responses.DeleteResponse(ctx, e.ID, r.ID)
	})
}

// ListResponsesInput selects a page of responses.
type ListResponsesInput struct {
	Model    *string
	PromptID *string
	Scorer   *string
	Passed   *bool
	Sort     string
	Cursor   string
	Limit    int
}

// List returns a page of an evaluation's responses with their scores.
func (u *Responses) List(ctx context.Context, evalRef string, in ListResponsesInput) (domain.Page[domain.Response], error) {
	var page domain.Page[domain.Response]
	desc, err := idSort(in.Sort)
	if err != nil {
		return page, err
	}
	if in.Passed != nil && in.Scorer == nil {
		return page, domain.Invalid("passed", "filters on a scorer's pass/fail; give scorer too")
	}
	limit, err := pageLimit(in.Limit)
	if err != nil {
		return page, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return page, err
	}
	// A cursor belongs to one evaluation, ordering and set of filters.
	list := listKey("responses", e.ID, in.Sort, in.Model, in.PromptID, in.Scorer, fmtBool(in.Passed))
	c, after, err := decodeCursor(in.Cursor, list)
	if err != nil {
		return page, err
	}
	var start *domain.ID
	if c != nil {
		start = &after
	}
	return fetchPage(limit, u.d.Limits.orDefault().MaxPageBytes, list, start, func(r domain.Response) domain.ID { return r.ID }, responseSize,
		func(after *domain.ID, n int) ([]domain.Response, error) {
			return u.d.Stores.Responses.ListResponses(ctx, ports.ResponseQuery{EvaluationID: e.ID, Model: in.Model, PromptID: in.PromptID,
				Scorer: in.Scorer, Passed: in.Passed, Desc: desc, Limit: n, After: after})
		})
}

// idSort parses the sort of lists ordered by creation (ids are UUIDv7, so id order
// is creation order).
func idSort(s string) (desc bool, err error) {
	switch s {
	case "", "created_at":
		return false, nil
	case "-created_at":
		return true, nil
	}
	return false, domain.Invalid("sort", "must be created_at or -created_at; got %q", s)
}
