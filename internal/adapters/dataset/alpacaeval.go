package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// AlpacaEvalOptions configures ReadAlpacaEval.
type AlpacaEvalOptions struct {
	// Annotator names the judge of entries without an "annotator" field
	// (default "alpaca_eval").
	Annotator string
}

// alpacaEntry is one element of an AlpacaEval annotations file. Other fields
// (raw_completion, price_per_example, ...) are ignored.
type alpacaEntry struct {
	Instruction string   `json:"instruction"`
	Output1     *string  `json:"output_1"`
	Generator1  string   `json:"generator_1"`
	Output2     *string  `json:"output_2"`
	Generator2  string   `json:"generator_2"`
	Preference  *float64 `json:"preference"`
	Annotator   string   `json:"annotator"`
	Dataset     string   `json:"dataset"`
}

// ReadAlpacaEval reads an AlpacaEval annotations file, a JSON list whose entries
// compare output_1 by generator_1 with output_2 by generator_2 on instruction, with
// preference in [1, 2]: preference − 1 is the judge's probability that output_2 is
// better. Entries are referred to as "entry i", counting from 0.
//
// Each entry yields two responses (model = generator, prompt = instruction,
// prompt_id = domain.PromptHash(instruction), metadata.dataset when given) and a
// comparison with response_a = output_1, preference = preference − 1, the
// entry's annotator (opts.Annotator when absent) and annotator_kind "model". A
// preference of 0 is AlpacaEval's older encoding of a draw (its
// pairwise_to_winrate: 0 draw, 1 output_1 wins, 2 output_2 wins) and imports as ½.
//
// External ids make re-imports idempotent and share what repeats across files: a
// response is "alpaca-eval/<generator>/<PromptHash(instruction)>/<16 hex digits of
// the SHA-256 of the output>", so the baseline's outputs, repeated in every
// model's file, are stored once; a comparison is "alpaca-eval/" and 32 hex digits
// of the SHA-256 of both responses' external ids and the annotator, so one judge's
// verdict on a pair is stored once (a changed preference in a re-import is not
// applied). Ids longer than domain.MaxExternalIDLen become
// "alpaca-eval/sha256/<hash of the id>".
//
// A null preference imports the responses without a comparison (skipped as
// SkipNullPreference). When both sides are the same response — the baseline's own
// file, generator_1 = generator_2 with equal outputs — one response is imported
// and the comparison, which the service refuses, is skipped as
// SkipSelfComparison. A missing output or generator, or a preference outside
// [1, 2] other than 0, is a record error. Malformed JSON ends the import with an error.
func ReadAlpacaEval(r io.Reader, opts AlpacaEvalOptions) iter.Seq2[app.ImportRecord, error] {
	if opts.Annotator == "" {
		opts.Annotator = "alpaca_eval"
	}
	return func(yield func(app.ImportRecord, error) bool) {
		dec := json.NewDecoder(r)
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('[') {
			yield(app.ImportRecord{}, errors.New("not an AlpacaEval annotations file: want a JSON list of annotations"))
			return
		}
		for i := 0; dec.More(); i++ {
			var e alpacaEntry
			err := dec.Decode(&e)
			ref := fmt.Sprintf("entry %d", i)
			var te *json.UnmarshalTypeError
			switch {
			case errors.As(err, &te):
				// The decoder has read past the value; the next entry can be read.
				if !yield(app.ImportRecord{Ref: ref, Err: jsonLineError(err)}, nil) {
					return
				}
				continue
			case err != nil:
				yield(app.ImportRecord{}, fmt.Errorf("%s: %w", ref, err))
				return
			}
			if !yield(e.record(ref, opts.Annotator), nil) {
				return
			}
		}
		if _, err := dec.Token(); err != nil {
			yield(app.ImportRecord{}, fmt.Errorf("end of the list: %w", err))
		}
	}
}

func (e alpacaEntry) record(ref, annotator string) app.ImportRecord {
	var errs []error
	if e.Output1 == nil {
		errs = append(errs, domain.Invalid("output_1", "is missing"))
	}
	if e.Output2 == nil {
		errs = append(errs, domain.Invalid("output_2", "is missing"))
	}
	if e.Generator1 == "" {
		errs = append(errs, domain.Invalid("generator_1", "is missing"))
	}
	if e.Generator2 == "" {
		errs = append(errs, domain.Invalid("generator_2", "is missing"))
	}
	if p := e.Preference; p != nil && *p != 0 && !(*p >= 1 && *p <= 2) {
		errs = append(errs, domain.Invalid("preference", "must be between 1 and 2 (1 + the probability that output_2 is better), or 0 for a draw; got %v", *p))
	}
	if err := errors.Join(errs...); err != nil {
		return app.ImportRecord{Ref: ref, Err: err}
	}
	if e.Annotator != "" {
		annotator = e.Annotator
	}
	promptID := domain.PromptHash(e.Instruction)
	response := func(generator, output string) app.ResponseInput {
		id := boundedID("alpaca-eval/", "alpaca-eval/"+generator+"/"+promptID+"/"+hexHash(16, output))
		r := app.ResponseInput{ExternalID: id, PromptID: promptID, Model: generator, Prompt: e.Instruction, Response: &output}
		if e.Dataset != "" {
			r.Metadata = map[string]any{"dataset": e.Dataset}
		}
		return r
	}
	a, b := response(e.Generator1, *e.Output1), response(e.Generator2, *e.Output2)
	if a.ExternalID == b.ExternalID {
		return app.ImportRecord{Ref: ref, Responses: []app.ResponseInput{a}, Skip: SkipSelfComparison}
	}
	rec := app.ImportRecord{Ref: ref, Responses: []app.ResponseInput{a, b}}
	if e.Preference == nil {
		rec.Skip = SkipNullPreference
		return rec
	}
	p := *e.Preference - 1
	if *e.Preference == 0 {
		p = 0.5 // AlpacaEval's older encoding: 0 draw, 1 output_1 wins, 2 output_2 wins
	}
	rec.Comparison = &app.ComparisonInput{
		ExternalID: "alpaca-eval/" + hexHash(32, a.ExternalID, b.ExternalID, annotator),
		ResponseA:  a.ExternalID, ResponseB: b.ExternalID, Preference: &p,
		Annotator: annotator, AnnotatorKind: string(domain.AnnotatorModel),
	}
	return rec
}
