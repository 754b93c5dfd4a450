package dataset

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

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
func ReadJSONL(r io.Reader) iter.Seq2[app.ImportRecord, error] {
	return func(yield func(app.ImportRecord, error) bool) {
		lines := newLineReader(r)
		for {
			line, text, err := lines.next()
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(app.ImportRecord{}, err)
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

func jsonlRecord(text []byte) (app.ImportRecord, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(text, &fields); err != nil {
		return app.ImportRecord{}, jsonLineError(err)
	}
	if f := firstField(fields, serverOwnedFields); f != "" {
		return app.ImportRecord{}, domain.Invalid(f, "is set by the server and cannot be sent")
	}
	rf, cf := firstField(fields, responseOnlyFields), firstField(fields, comparisonOnlyFields)
	switch {
	case rf != "" && cf != "":
		return app.ImportRecord{}, fmt.Errorf("has both response fields (%s) and comparison fields (%s); a line is one or the other", rf, cf)
	case rf == "" && cf == "":
		return app.ImportRecord{}, errors.New("is neither a response (model, prompt, response, ...) nor a comparison (response_a, response_b, winner or preference, ...)")
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
			return app.ImportRecord{}, err
		}
		out := app.ResponseInput{
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
		return app.ImportRecord{Responses: []app.ResponseInput{out}}, nil
	}
	var in importComparison
	if err := decode(&in); err != nil {
		return app.ImportRecord{}, err
	}
	out := app.ComparisonInput(in)
	if out.ExternalID == "" {
		canon, _ := json.Marshal(in)
		out.ExternalID = "jsonl/" + hexHash(32, string(canon))
	}
	return app.ImportRecord{Comparison: &out}, nil
}
