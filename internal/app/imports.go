package app

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

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

// Reasons a record imports no comparison, as counted in ImportStats.Skipped.
const (
	SkipNullPreference = "null preference"
	SkipSelfComparison = "self-comparison"
)

// NoteDialoguesDiffer counts HH-RLHF pairs whose dialogues differ before their
// final turns (see ReadHHRLHF).
const NoteDialoguesDiffer = "dialogues differ before the final turn"

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

// hexHash is the first n hex digits of the SHA-256 of the parts, each followed by
// a NUL byte so that ("ab", "c") and ("a", "bc") differ.
func hexHash(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:n]
}

// boundedID returns id, or, when it is longer than an external id may be, prefix
// followed by "sha256/" and the hash of id.
func boundedID(prefix, id string) string {
	if len(id) <= domain.MaxExternalIDLen {
		return id
	}
	return prefix + "sha256/" + hexHash(64, id)
}

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
func ReadAlpacaEval(r io.Reader, opts AlpacaEvalOptions) iter.Seq2[ImportRecord, error] {
	if opts.Annotator == "" {
		opts.Annotator = "alpaca_eval"
	}
	return func(yield func(ImportRecord, error) bool) {
		dec := json.NewDecoder(r)
		tok, err := dec.Token()
		if err != nil || tok != json.Delim('[') {
			yield(ImportRecord{}, errors.New("not an AlpacaEval annotations file: want a JSON list of annotations"))
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
				if !yield(ImportRecord{Ref: ref, Err: jsonLineError(err)}, nil) {
					return
				}
				continue
			case err != nil:
				yield(ImportRecord{}, fmt.Errorf("%s: %w", ref, err))
				return
			}
			if !yield(e.record(ref, opts.Annotator), nil) {
				return
			}
		}
		if _, err := dec.Token(); err != nil {
			yield(ImportRecord{}, fmt.Errorf("end of the list: %w", err))
		}
	}
}

func (e alpacaEntry) record(ref, annotator string) ImportRecord {
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
		return ImportRecord{Ref: ref, Err: err}
	}
	if e.Annotator != "" {
		annotator = e.Annotator
	}
	promptID := domain.PromptHash(e.Instruction)
	response := func(generator, output string) ResponseInput {
		id := boundedID("alpaca-eval/", "alpaca-eval/"+generator+"/"+promptID+"/"+hexHash(16, output))
		r := ResponseInput{ExternalID: id, PromptID: promptID, Model: generator, Prompt: e.Instruction, Response: &output}
		if e.Dataset != "" {
			r.Metadata = map[string]any{"dataset": e.Dataset}
		}
		return r
	}
	a, b := response(e.Generator1, *e.Output1), response(e.Generator2, *e.Output2)
	if a.ExternalID == b.ExternalID {
		return ImportRecord{Ref: ref, Responses: []ResponseInput{a}, Skip: SkipSelfComparison}
	}
	rec := ImportRecord{Ref: ref, Responses: []ResponseInput{a, b}}
	if e.Preference == nil {
		rec.Skip = SkipNullPreference
		return rec
	}
	p := *e.Preference - 1
	if *e.Preference == 0 {
		p = 0.5 // AlpacaEval's older encoding: 0 draw, 1 output_1 wins, 2 output_2 wins
	}
	rec.Comparison = &ComparisonInput{
		ExternalID: "alpaca-eval/" + hexHash(32, a.ExternalID, b.ExternalID, annotator),
		ResponseA:  a.ExternalID, ResponseB: b.ExternalID, Preference: &p,
		Annotator: annotator, AnnotatorKind: string(domain.AnnotatorModel),
	}
	return rec
}

// HHRLHFOptions configures ReadHHRLHF.
type HHRLHFOptions struct {
	// Model is the model name of every response (default "hh-rlhf").
	Model string
	// Annotator names the annotator of every comparison (default "hh-rlhf").
	Annotator string
}

// ReadHHRLHF reads Anthropic HH-RLHF JSONL, one {"chosen", "rejected"} pair of
// dialogues per line. A dialogue is a sequence of turns, each starting with
// "\n\nHuman:" or "\n\nAssistant:" (the leading "\n\n" may be missing at the very
// start); a turn's content is the text up to the next such marker with the one
// space after the colon removed, and nothing else trimmed, so "\n\n" inside a turn
// and "Human:" without the blank line before it stay content. Both dialogues must
// end with an Assistant turn: those final turns are the two responses, and the
// chosen one wins (response_a = chosen, winner a, annotator_kind "human"). An empty
// final turn is an empty response, which is valid.
//
// The prompt is the last Human turn of the turns the two dialogues share before
// their final turns, and the context is the turns before it (roles "user" and
// "assistant"); prompt_id is domain.PromptHash of those turns rendered in the
// dataset's format ("\n\nHuman: ...\n\nAssistant: ..."). Normally the shared turns
// are the whole of both dialogues but the final turn, and end with a Human turn.
// When they are not (the two dialogues differ earlier, or an Assistant turn comes
// right before a final one), the record gets NoteDialoguesDiffer and the prompt is
// taken from the shared turns all the same, so both responses keep one prompt_id,
// as a comparison requires; the comparison's metadata says
// "dialogues_differ": true. Dialogues sharing no Human turn are a record error.
//
// External ids are line-based and content-hashed: "hh-rlhf/<line>/<h>/chosen",
// ".../rejected" and "hh-rlhf/<line>/<h>" for the comparison, where h is 12 hex
// digits of the SHA-256 of the two dialogues. Re-importing the same file creates
// nothing, and identical lines in a file are still separate pairs.
func ReadHHRLHF(r io.Reader, opts HHRLHFOptions) iter.Seq2[ImportRecord, error] {
	if opts.Model == "" {
		opts.Model = "hh-rlhf"
	}
	if opts.Annotator == "" {
		opts.Annotator = "hh-rlhf"
	}
	return func(yield func(ImportRecord, error) bool) {
		lines := newLineReader(r)
		for {
			line, text, err := lines.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(ImportRecord{}, err)
				return
			}
			ref := fmt.Sprintf("line %d", line)
			var pair struct {
				Chosen   *string `json:"chosen"`
				Rejected *string `json:"rejected"`
			}
			var rec ImportRecord
			if err := json.Unmarshal(text, &pair); err != nil {
				rec = ImportRecord{Ref: ref, Err: jsonLineError(err)}
			} else if pair.Chosen == nil || pair.Rejected == nil {
				rec = ImportRecord{Ref: ref, Err: errors.New(`want an object with "chosen" and "rejected" dialogues`)}
			} else {
				rec = hhRecord(ref, line, *pair.Chosen, *pair.Rejected, opts)
			}
			if !yield(rec, nil) {
				return
			}
		}
	}
}

// HH-RLHF turn markers.
const (
	hhHuman     = "Human:"
	hhAssistant = "Assistant:"
)

// SplitHHDialogue splits an HH-RLHF dialogue into turns (see ReadHHRLHF), with
// roles "user" and "assistant".
func SplitHHDialogue(s string) ([]domain.Message, error) {
	var out []domain.Message
	// marker reports the role and the length of a turn marker at s[i:], if any.
	marker := func(i int) (string, int) {
		switch rest := s[i:]; {
		case strings.HasPrefix(rest, "\n\n"+hhHuman):
			return "user", 2 + len(hhHuman)
		case strings.HasPrefix(rest, "\n\n"+hhAssistant):
			return "assistant", 2 + len(hhAssistant)
		case i == 0 && strings.HasPrefix(rest, hhHuman):
			return "user", len(hhHuman)
		case i == 0 && strings.HasPrefix(rest, hhAssistant):
			return "assistant", len(hhAssistant)
		}
		return "", 0
	}
	role, n := marker(0)
	if role == "" {
		return nil, errors.New(`does not start with a "Human:" or "Assistant:" turn`)
	}
	start := n
	for i := start; ; {
		j := strings.Index(s[i:], "\n\n")
		next, m := "", 0
		if j >= 0 {
			next, m = marker(i + j)
		}
		if j < 0 || next != "" {
			end := len(s)
			if j >= 0 {
				end = i + j
			}
			content := strings.TrimPrefix(s[start:end], " ")
			out = append(out, domain.Message{Role: role, Content: content})
			if j < 0 {
				return out, nil
			}
			role, start = next, i+j+m
			i = start
			continue
		}
		i += j + 1 // a blank line inside a turn
	}
}

// renderHH writes turns back in the dataset's format.
func renderHH(turns []domain.Message) string {
	var sb strings.Builder
	for _, t := range turns {
		if t.Role == "user" {
			sb.WriteString("\n\n" + hhHuman + " ")
		} else {
			sb.WriteString("\n\n" + hhAssistant + " ")
		}
		sb.WriteString(t.Content)
	}
	return sb.String()
}

func hhRecord(ref string, line int, chosen, rejected string, opts HHRLHFOptions) ImportRecord {
	fail := func(err error) ImportRecord { return ImportRecord{Ref: ref, Err: err} }
	c, err := SplitHHDialogue(chosen)
	if err != nil {
		return fail(fmt.Errorf("chosen: %w", err))
	}
	r, err := SplitHHDialogue(rejected)
	if err != nil {
		return fail(fmt.Errorf("rejected: %w", err))
	}
	if c[len(c)-1].Role != "assistant" {
		return fail(errors.New("chosen: does not end with an Assistant turn"))
	}
	if r[len(r)-1].Role != "assistant" {
		return fail(errors.New("rejected: does not end with an Assistant turn"))
	}
	cPrefix, rPrefix := c[:len(c)-1], r[:len(r)-1]
	shared := 0
	for shared < len(cPrefix) && shared < len(rPrefix) && cPrefix[shared] == rPrefix[shared] {
		shared++
	}
	h := -1
	for i := shared - 1; i >= 0; i-- {
		if cPrefix[i].Role == "user" {
			h = i
			break
		}
	}
	if h < 0 {
		return fail(errors.New("the chosen and rejected dialogues share no Human turn before their final turns"))
	}
	rec := ImportRecord{Ref: ref}
	var meta map[string]any
	if shared != len(cPrefix) || shared != len(rPrefix) || h != shared-1 {
		rec.Notes = []string{NoteDialoguesDiffer}
		meta = map[string]any{"dialogues_differ": true}
	}
	promptID := domain.PromptHash(renderHH(cPrefix[:h+1]))
	key := fmt.Sprintf("hh-rlhf/%d/%s", line, hexHash(12, chosen, rejected))
	turns := append([]domain.Message(nil), cPrefix[:h]...)
	response := func(label, text string) ResponseInput {
		return ResponseInput{
			ExternalID: key + "/" + label, PromptID: promptID, Model: opts.Model, Prompt: cPrefix[h].Content,
			Context: turns, Response: &text, Metadata: map[string]any{"label": label, "line": line},
		}
	}
	a, b := response("chosen", c[len(c)-1].Content), response("rejected", r[len(r)-1].Content)
	winner := string(domain.WinnerA)
	rec.Responses = []ResponseInput{a, b}
	rec.Comparison = &ComparisonInput{
		ExternalID: key, ResponseA: a.ExternalID, ResponseB: b.ExternalID, Winner: &winner,
		Annotator: opts.Annotator, AnnotatorKind: string(domain.AnnotatorHuman), Metadata: meta,
	}
	return rec
}

// maxImportLine bounds one line of a JSONL import.
const maxImportLine = 64 << 20

// lineReader reads the non-blank lines of a JSONL file with their 1-based numbers.
type lineReader struct {
	sc   *bufio.Scanner
	line int
}

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	return &lineReader{sc: sc}
}

// next returns the next non-blank line, or io.EOF after the last one.
func (l *lineReader) next() (int, []byte, error) {
	for l.sc.Scan() {
		l.line++
		if text := bytes.TrimSpace(l.sc.Bytes()); len(text) > 0 {
			return l.line, text, nil
		}
	}
	if err := l.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return 0, nil, fmt.Errorf("line %d: longer than %d MiB", l.line+1, maxImportLine>>20)
		}
		return 0, nil, fmt.Errorf("line %d: %w", l.line+1, err)
	}
	return 0, nil, io.EOF
}

// jsonLineError words a decoding error of one line.
func jsonLineError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return domain.Invalid(te.Field, "must be a %s; got a JSON %s", te.Type, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("want a JSON object; got a JSON %s", te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
	}
	return err
}

// The API's request shapes, as in the README: a JSONL import line is one of them.
type (
	importMessage struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	}
	importResponse struct {
		ExternalID string          `json:"external_id"`
		PromptID   string          `json:"prompt_id"`
		Model      string          `json:"model"`
		Prompt     string          `json:"prompt"`
		Context    []importMessage `json:"context"`
		Response   *string         `json:"response"`
		Reference  *string         `json:"reference"`
		Metadata   map[string]any  `json:"metadata"`
	}
	importComparison struct {
		ExternalID    string         `json:"external_id"`
		ResponseA     string         `json:"response_a"`
		ResponseB     string         `json:"response_b"`
		Preference    *float64       `json:"preference"`
		Winner        *string        `json:"winner"`
		Annotator     string         `json:"annotator"`
		AnnotatorKind string         `json:"annotator_kind"`
		Rationale     string         `json:"rationale"`
		Metadata      map[string]any `json:"metadata"`
	}
)

// Fields that tell the two kinds of JSONL line apart, and fields the server owns.
var (
	responseOnlyFields   = []string{"model", "prompt", "response", "prompt_id", "context", "reference"}
	comparisonOnlyFields = []string{"response_a", "response_b", "preference", "winner", "annotator", "annotator_kind", "rationale"}
	serverOwnedFields    = []string{"id", "created_at", "updated_at", "evaluation_id", "scores"}
)

func firstField(m map[string]json.RawMessage, names []string) string {
	for _, n := range names {
		if _, ok := m[n]; ok {
			return n
		}
	}
	return ""
}

// ReadJSONL reads responses and comparisons in the API's request shapes, one JSON
// object per line, in file order, so a comparison may name (by external_id) a
// response from an earlier line. A line with any of model, prompt, response,
// prompt_id, context or reference is a response; one with any of response_a,
// response_b, preference, winner, annotator, annotator_kind or rationale is a
// comparison; a line with both kinds of field, neither, an unknown field or a
// server-owned field (id, created_at, ...) is a record error naming its line. A
// comparison naming a response that only a later line brings is an error too,
// whatever the batch size; on a re-import that response is stored, so the
// comparison then imports — keep comparisons after their responses.
//
// A line without external_id gets "jsonl/" and 32 hex digits of the SHA-256 of
// its decoded content, so that importing the file again creates nothing; two
// identical lines are then one record, the second counted as existing.
func ReadJSONL(r io.Reader) iter.Seq2[ImportRecord, error] {
	return func(yield func(ImportRecord, error) bool) {
		lines := newLineReader(r)
		for {
			line, text, err := lines.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(ImportRecord{}, err)
				return
			}
			rec, err := jsonlRecord(text)
			rec.Ref = fmt.Sprintf("line %d", line)
			rec.Err = err
			if !yield(rec, nil) {
				return
			}
		}
	}
}

func jsonlRecord(text []byte) (ImportRecord, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil {
		return ImportRecord{}, jsonLineError(err)
	}
	if f := firstField(fields, serverOwnedFields); f != "" {
		return ImportRecord{}, domain.Invalid(f, "is set by the server and cannot be sent")
	}
	rf, cf := firstField(fields, responseOnlyFields), firstField(fields, comparisonOnlyFields)
	switch {
	case rf != "" && cf != "":
		return ImportRecord{}, fmt.Errorf("has both response fields (%s) and comparison fields (%s); a line is one or the other", rf, cf)
	case rf == "" && cf == "":
		return ImportRecord{}, errors.New("is neither a response (model, prompt, response, ...) nor a comparison (response_a, response_b, winner or preference, ...)")
	}
	// One object per line, strictly, like the API.
	decode := func(dst any) error {
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(dst); err != nil {
			return jsonLineError(err)
		}
		if dec.More() {
			return errors.New("unexpected data after the JSON object")
		}
		return nil
	}
	if rf != "" {
		var in importResponse
		if err := decode(&in); err != nil {
			return ImportRecord{}, err
		}
		out := ResponseInput{
			ExternalID: in.ExternalID, PromptID: in.PromptID, Model: in.Model, Prompt: in.Prompt,
			Response: in.Response, Reference: in.Reference, Metadata: in.Metadata,
		}
		for _, m := range in.Context {
			out.Context = append(out.Context, domain.Message{Role: m.Role, Content: m.Content})
		}
		if out.ExternalID == "" {
			canon, _ := json.Marshal(in)
			out.ExternalID = "jsonl/" + hexHash(32, string(canon))
		}
		return ImportRecord{Responses: []ResponseInput{out}}, nil
	}
	var in importComparison
	if err := decode(&in); err != nil {
		return ImportRecord{}, err
	}
	out := ComparisonInput(in)
	if out.ExternalID == "" {
		canon, _ := json.Marshal(in)
		out.ExternalID = "jsonl/" + hexHash(32, string(canon))
	}
	return ImportRecord{Comparison: &out}, nil
}
