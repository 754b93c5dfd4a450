package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"math"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
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
		err := eachAlpacaEntry(r, func(i int, e alpacaEntry, err error) bool {
			ref := fmt.Sprintf("entry %d", i)
			if err != nil {
				return yield(app.ImportRecord{Ref: ref, Err: jsonLineError(err)}, nil)
			}
			return yield(e.record(ref, opts.Annotator), nil)
		})
		if err != nil {
			yield(app.ImportRecord{}, err)
		}
	}
}

// eachAlpacaEntry decodes an AlpacaEval annotations file entry by entry, calling fn
// with each entry's 0-based index and, for an entry with a field of the wrong JSON
// type, the decoding error: the decoder has read past that entry, so the next one
// can still be read. It stops when fn returns false. It returns what ends the file
// early: not a JSON list, or malformed JSON.
func eachAlpacaEntry(r io.Reader, fn func(i int, e alpacaEntry, err error) bool) error {
	dec := json.NewDecoder(r)
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return errors.New("not an AlpacaEval annotations file: want a JSON list of annotations")
	}
	for i := 0; dec.More(); i++ {
		var e alpacaEntry
		err := dec.Decode(&e)
		var te *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &te) {
			return fmt.Errorf("entry %d: %w", i, err)
		}
		if !fn(i, e, err) {
			return nil
		}
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("end of the list: %w", err)
	}
	return nil
}

// ReadAlpacaBattles reads an AlpacaEval annotations file as battles of generator_1
// (model a) against generator_2 (model b), with preference − 1 as the probability
// that b is better. An entry with a null preference is a battle without a
// judgement (a NaN preference, which the rankings skip and count); a preference
// outside [1, 2], or an entry with a field of the wrong JSON type, is an error.
func ReadAlpacaBattles(r io.Reader) ([]ranking.Battle, error) {
	out := []ranking.Battle{}
	var bad error
	err := eachAlpacaEntry(r, func(i int, e alpacaEntry, err error) bool {
		if err != nil {
			bad = fmt.Errorf("entry %d: %w", i, jsonLineError(err))
			return false
		}
		p := math.NaN()
		if e.Preference != nil {
			p = *e.Preference - 1
			if !(p >= 0 && p <= 1) {
				bad = fmt.Errorf("entry %d: preference %v is outside [1,2]", i, *e.Preference)
				return false
			}
		}
		out = append(out, ranking.Battle{ModelA: e.Generator1, ModelB: e.Generator2, Preference: p})
		return true
	})
	if err == nil {
		err = bad
	}
	if err != nil {
		return nil, err
	}
	return out, nil
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
