package postgres

import (
	"encoding/json"
	"fmt"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// The JSON shapes of jsonb columns. They are the adapter's business: the domain
// carries no JSON tags.

type scorerJSON struct {
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params,omitempty"`
	Pass   *passJSON       `json:"pass,omitempty"`
}

type passJSON struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

type messageJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func marshalScorers(cs []domain.ScorerConfig) ([]byte, error) {
	out := make([]scorerJSON, len(cs))
	for i, c := range cs {
		out[i] = scorerJSON{Name: c.Name, Type: c.Type, Params: c.Params}
		if c.Pass != nil {
			out[i].Pass = &passJSON{Min: c.Pass.Min, Max: c.Pass.Max}
		}
	}
	return json.Marshal(out)
}

func unmarshalScorers(b []byte) ([]domain.ScorerConfig, error) {
	var in []scorerJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode stored scorers: %w", err)
	}
	out := make([]domain.ScorerConfig, len(in))
	for i, c := range in {
		out[i] = domain.ScorerConfig{Name: c.Name, Type: c.Type, Params: c.Params}
		if c.Pass != nil {
			out[i].Pass = &domain.PassBand{Min: c.Pass.Min, Max: c.Pass.Max}
		}
	}
	return out, nil
}

func marshalObject(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	return appendObject(make([]byte, 0, 128), m)
}

func unmarshalObject(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if len(b) == 0 {
		return m, nil
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode stored object: %w", err)
	}
	return m, nil
}

func marshalContext(ms []domain.Message) ([]byte, error) {
	if ms == nil {
		return nil, nil
	}
	out := make([]messageJSON, len(ms))
	for i, m := range ms {
		out[i] = messageJSON{Role: m.Role, Content: m.Content}
	}
	return json.Marshal(out)
}

func unmarshalContext(b []byte) ([]domain.Message, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var in []messageJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, fmt.Errorf("decode stored context: %w", err)
	}
	out := make([]domain.Message, len(in))
	for i, m := range in {
		out[i] = domain.Message{Role: m.Role, Content: m.Content}
	}
	return out, nil
}

func toEvaluation(r dbsqlc.Evaluation) (domain.Evaluation, error) {
	scorers, err := unmarshalScorers(r.Scorers)
	if err != nil {
		return domain.Evaluation{}, err
	}
	meta, err := unmarshalObject(r.Metadata)
	if err != nil {
		return domain.Evaluation{}, err
	}
	return domain.Evaluation{
		ID:          domain.ID(r.ID.Bytes),
		Name:        r.Name,
		Description: r.Description,
		Scorers:     scorers,
		Metadata:    meta,
		CreatedAt:   r.CreatedAt,
		UpdatedAt:   r.UpdatedAt,
	}, nil
}

func toResponse(r dbsqlc.Response) (domain.Response, error) {
	meta, err := unmarshalObject(r.Metadata)
	if err != nil {
		return domain.Response{}, err
	}
	ctx, err := unmarshalContext(r.Context)
	if err != nil {
		return domain.Response{}, err
	}
	out := domain.Response{
		ID:           domain.ID(r.ID.Bytes),
		EvaluationID: domain.ID(r.EvaluationID.Bytes),
		PromptID:     r.PromptID,
		Model:        r.Model,
		Prompt:       r.Prompt,
		Context:      ctx,
		Text:         r.Response,
		Reference:    r.Reference,
		Metadata:     meta,
		CreatedAt:    r.CreatedAt,
	}
	if r.ExternalID != nil {
		out.ExternalID = *r.ExternalID
	}
	return out, nil
}

// toScore converts a row of ScoresOfResponses: a stored score, or a pending one
// (no value yet; its details name the job that owes it).
func toScore(r dbsqlc.ScoresOfResponsesRow) (domain.Score, error) {
	if r.Pending {
		return domain.Score{
			Scorer: r.Scorer, Pending: true, CreatedAt: r.CreatedAt,
			Details: map[string]any{"job_id": domain.ID(r.JobID.Bytes).String()},
		}, nil
	}
	details, err := unmarshalObject(r.Details)
	if err != nil {
		return domain.Score{}, err
	}
	s := domain.Score{
		Scorer:    r.Scorer,
		Value:     r.Value,
		Passed:    r.Passed,
		Details:   details,
		CreatedAt: r.CreatedAt,
	}
	if r.Error != nil {
		s.Error = *r.Error
	}
	return s, nil
}

func toComparison(r dbsqlc.Comparison) (domain.Comparison, error) {
	meta, err := unmarshalObject(r.Metadata)
	if err != nil {
		return domain.Comparison{}, err
	}
	c := domain.Comparison{
		ID:            domain.ID(r.ID.Bytes),
		EvaluationID:  domain.ID(r.EvaluationID.Bytes),
		ResponseA:     domain.ID(r.ResponseAID.Bytes),
		ResponseB:     domain.ID(r.ResponseBID.Bytes),
		ModelA:        r.ModelA,
		ModelB:        r.ModelB,
		PromptID:      r.PromptID,
		Preference:    r.Preference,
		Annotator:     r.Annotator,
		AnnotatorKind: domain.AnnotatorKind(r.AnnotatorKind),
		Rationale:     r.Rationale,
		Metadata:      meta,
		CreatedAt:     r.CreatedAt,
	}
	if r.ExternalID != nil {
		c.ExternalID = *r.ExternalID
	}
	return c, nil
}

func toAPIKey(r dbsqlc.ApiKey) domain.APIKey {
	k := domain.APIKey{
		ID:         domain.ID(r.ID.Bytes),
		Name:       r.Name,
		Prefix:     r.Prefix,
		CreatedAt:  r.CreatedAt,
		LastUsedAt: r.LastUsedAt,
		ExpiresAt:  r.ExpiresAt,
		RevokedAt:  r.RevokedAt,
	}
	copy(k.Hash[:], r.Hash)
	k.Scopes = make([]domain.Scope, len(r.Scopes))
	for i, s := range r.Scopes {
		k.Scopes[i] = domain.Scope(s)
	}
	return k
}

func optString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// mapRows converts rows with conv, stopping at the first error.
func mapRows[R, T any](rows []R, conv func(R) (T, error)) ([]T, error) {
	out := make([]T, 0, len(rows))
	for _, r := range rows {
		t, err := conv(r)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}
