package app

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Imports loads files of responses and comparisons into an evaluation. It goes
// through the Responses and Comparisons use cases in batches, so validation,
// scoring and idempotency by external_id are exactly the API's: importing the same
// file twice creates nothing the second time.
type Imports struct {
	evaluations *Evaluations
	responses   *Responses
	comparisons *Comparisons
	maxBatch    int
}

// NewImports returns the import use case over s.
func NewImports(s Services) (*Imports, error) {
	if s.Evaluations == nil || s.Responses == nil || s.Comparisons == nil {
		return nil, errors.New("app: imports need the evaluation, response and comparison use cases")
	}
	return &Imports{
		evaluations: s.Evaluations, responses: s.Responses, comparisons: s.Comparisons,
		maxBatch: s.Responses.d.Limits.orDefault().MaxBatchItems,
	}, nil
}

// DefaultImportBatch is how many responses (and, separately, comparisons) one call
// to the use cases carries at most.
const DefaultImportBatch = 1000

// ImportRecord is one record of a source file turned into service inputs: the
// responses it brings and, optionally, a comparison between responses.
type ImportRecord struct {
	// Ref names the record in messages: "line 12" or "entry 3".
	Ref        string
	Responses  []ResponseInput
	Comparison *ComparisonInput
	// Skip, when set, is why the record has no comparison; its responses are
	// still imported.
	Skip string
	// Notes are irregularities that did not stop the record, counted by kind.
	Notes []string
	// Err is a malformed record: it is reported and counted, and the import goes on.
	Err error
}

// ImportInput configures an import.
type ImportInput struct {
	// Evaluation is the evaluation's name (or id); it is created when missing.
	Evaluation string
	// Description and Scorers apply only when the evaluation is created.
	Description string
	Scorers     []domain.ScorerConfig
	// BatchSize bounds the responses and the comparisons per use-case call
	// (default DefaultImportBatch, and never above the configured batch limit).
	BatchSize int
	// Progress, if set, is called after every batch with the running totals.
	Progress func(ImportStats)
	// RecordError, if set, is called for every record that was not imported.
	RecordError func(ref string, err error)
}

// ImportStats counts what an import did. A response or comparison is "existing"
// when its external_id was stored before or appeared earlier in the same file.
type ImportStats struct {
	Evaluation          string         `json:"evaluation"`
	EvaluationCreated   bool           `json:"evaluation_created"`
	Records             int            `json:"records"`
	ResponsesCreated    int            `json:"responses_created"`
	ResponsesExisting   int            `json:"responses_existing"`
	ComparisonsCreated  int            `json:"comparisons_created"`
	ComparisonsExisting int            `json:"comparisons_existing"`
	Skipped             map[string]int `json:"skipped"`
	Notes               map[string]int `json:"notes"`
	Errors              int            `json:"errors"`
}

// SkippedTotal is the number of records that had no comparison to import.
func (s ImportStats) SkippedTotal() int {
	n := 0
	for _, v := range s.Skipped {
		n += v
	}
	return n
}

// Import reads records in order and stores them in batches: each batch's
// responses first, then its comparisons, so a comparison may name a response from
// an earlier record. Each use-case call is all or nothing; when one fails
// validation, its batch is retried record by record so that only the bad records
// are left out (and reported through in.RecordError). A record whose responses
// fail contributes no comparison. An error yielded by records, or any error other
// than a validation error, stops the import after storing the records read
// before it; since imports are idempotent, running it again resumes.
func (u *Imports) Import(ctx context.Context, in ImportInput, records iter.Seq2[ImportRecord, error]) (ImportStats, error) {
	st := ImportStats{Skipped: map[string]int{}, Notes: map[string]int{}}
	size := in.BatchSize
	if size <= 0 {
		size = DefaultImportBatch
	}
	size = max(min(size, u.maxBatch), 2) // a record carries up to two responses
	e, created, err := u.ensureEvaluation(ctx, in)
	if err != nil {
		return st, err
	}
	st.Evaluation, st.EvaluationCreated = e.Name, created
	b := importBatch{u: u, eval: e.ID.String(), st: &st, report: in.RecordError}
	flush := func() error {
		if err := b.flush(ctx); err != nil {
			return err
		}
		if in.Progress != nil {
			in.Progress(st)
		}
		return nil
	}
	for rec, err := range records {
		if err != nil {
			if ferr := flush(); ferr != nil {
				return st, ferr
			}
			return st, err
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
		cmps := 0
		if rec.Comparison != nil {
			cmps = 1
		}
		if rec.Err == nil && (b.responses+len(rec.Responses) > size || b.comps+cmps > size) {
			if err := flush(); err != nil {
				return st, err
			}
		}
		st.Records++
		for _, n := range rec.Notes {
			st.Notes[n]++
		}
		if rec.Err != nil {
			b.fail(rec.Ref, rec.Err)
			continue
		}
		if rec.Skip != "" {
			st.Skipped[rec.Skip]++
		}
		b.add(rec)
	}
	if len(b.recs) > 0 || st.Records == 0 {
		if err := flush(); err != nil {
			return st, err
		}
	}
	return st, nil
}

// ensureEvaluation finds the evaluation or creates it.
func (u *Imports) ensureEvaluation(ctx context.Context, in ImportInput) (domain.Evaluation, bool, error) {
	e, err := u.evaluations.Get(ctx, in.Evaluation)
	if err == nil {
		return e, false, nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return e, false, err
	}
	e, err = u.evaluations.Create(ctx, EvaluationInput{Name: in.Evaluation, Description: in.Description, Scorers: in.Scorers})
	if errors.Is(err, domain.ErrConflict) { // created meanwhile by someone else
		e, err = u.evaluations.Get(ctx, in.Evaluation)
		return e, false, err
	}
	return e, err == nil, err
}

// importBatch is the records waiting to be stored.
type importBatch struct {
	u                *Imports
	eval             string
	st               *ImportStats
	report           func(ref string, err error)
	recs             []ImportRecord
	responses, comps int
}

func (b *importBatch) add(r ImportRecord) {
	b.recs = append(b.recs, r)
	b.responses += len(r.Responses)
	if r.Comparison != nil {
		b.comps++
	}
}

func (b *importBatch) fail(ref string, err error) {
	b.st.Errors++
	if b.report != nil {
		b.report(ref, err)
	}
}

func isValidation(err error) bool {
	var ve *domain.ValidationError
	return errors.As(err, &ve)
}

func (b *importBatch) flush(ctx context.Context) error {
	recs := b.recs
	b.recs, b.responses, b.comps = nil, 0, 0
	failed := make([]bool, len(recs))
	// bornAt is the record that created each response this batch created, so that a
	// comparison cannot name a response from a later record: which responses it
	// may name must not depend on where batches happen to end.
	bornAt := map[string]int{}
	count := func(out []Ingested, at []int) {
		for k, o := range out {
			if !o.Created {
				b.st.ResponsesExisting++
				continue
			}
			b.st.ResponsesCreated++
			if id := o.Response.ExternalID; id != "" {
				if _, ok := bornAt[id]; !ok {
					bornAt[id] = at[k]
				}
			}
		}
	}

	var rs []ResponseInput
	var owner []int
	for i, r := range recs {
		for _, in := range r.Responses {
			rs = append(rs, in)
			owner = append(owner, i)
		}
	}
	if len(rs) > 0 {
		res, err := b.u.responses.Ingest(ctx, b.eval, Items(rs), IngestOptions{Keep: true})
		switch {
		case err == nil:
			out, err := Collect(res.Items)
			if err != nil {
				return err
			}
			count(out, owner)
		case isValidation(err):
			for i, r := range recs {
				for _, in := range r.Responses {
					res, err := b.u.responses.Ingest(ctx, b.eval, Items([]ResponseInput{in}), IngestOptions{Single: true, Keep: true})
					if isValidation(err) {
						b.fail(r.Ref, domain.PrefixField(responseLabel(in), err))
						failed[i] = true
						continue
					}
					if err != nil {
						return err
					}
					out, err := Collect(res.Items)
					if err != nil {
						return err
					}
					count(out, []int{i})
				}
			}
		default:
			return err
		}
	}

	var cs []ComparisonInput
	var at []int
	for i, r := range recs {
		c := r.Comparison
		if c == nil || failed[i] {
			continue
		}
		if j, ok := bornAt[c.ResponseA]; ok && j > i {
			b.fail(r.Ref, laterResponse("response_a", c.ResponseA, recs[j].Ref))
			continue
		}
		if j, ok := bornAt[c.ResponseB]; ok && j > i {
			b.fail(r.Ref, laterResponse("response_b", c.ResponseB, recs[j].Ref))
			continue
		}
		cs = append(cs, *c)
		at = append(at, i)
	}
	if len(cs) == 0 {
		return nil
	}
	res, err := b.u.comparisons.Ingest(ctx, b.eval, Items(cs), IngestOptions{Keep: true})
	switch {
	case err == nil:
		out, err := Collect(res.Items)
		if err != nil {
			return err
		}
		b.countComparisons(out)
	case isValidation(err):
		for k, c := range cs {
			res, err := b.u.comparisons.Ingest(ctx, b.eval, Items([]ComparisonInput{c}), IngestOptions{Single: true, Keep: true})
			if isValidation(err) {
				b.fail(recs[at[k]].Ref, err)
				continue
			}
			if err != nil {
				return err
			}
			out, err := Collect(res.Items)
			if err != nil {
				return err
			}
			b.countComparisons(out)
		}
	default:
		return err
	}
	return nil
}

func laterResponse(field, ref, where string) error {
	return domain.Invalid(field, "response %q comes later in the file (%s); a comparison may name only responses before it", ref, where)
}

// responseLabel names a response in an error message.
func responseLabel(r ResponseInput) string {
	if r.ExternalID != "" {
		return fmt.Sprintf("response %q", r.ExternalID)
	}
	return "response"
}

func (b *importBatch) countComparisons(out []ComparisonResult) {
	for _, o := range out {
		if o.Created {
			b.st.ComparisonsCreated++
		} else {
			b.st.ComparisonsExisting++
		}
	}
}
