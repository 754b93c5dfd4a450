package httpapi

import (
	"encoding/json"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// The wire shapes of the API. Requests embed ownedFields so that server-owned fields
// are refused; responses are built from domain values by the to* functions.

type evaluationIn struct {
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Scorers     []scorerJSON   `json:"scorers"`
	Metadata    map[string]any `json:"metadata"`
	ownedFields
}

type evaluationPatchIn struct {
	Name        *string         `json:"name"`
	Description *string         `json:"description"`
	Scorers     *[]scorerJSON   `json:"scorers"`
	Metadata    *map[string]any `json:"metadata"`
	ownedFields
}

type evaluationOut struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Scorers     []scorerJSON   `json:"scorers"`
	Metadata    map[string]any `json:"metadata"`
	CreatedAt   time.Time      `json:"created_at"`
	UpdatedAt   time.Time      `json:"updated_at"`
}

func toEvaluationOut(e domain.Evaluation) evaluationOut {
	out := evaluationOut{
		ID: e.ID.String(), Name: e.Name, Description: e.Description, Metadata: e.Metadata,
		CreatedAt: e.CreatedAt, UpdatedAt: e.UpdatedAt, Scorers: toScorersJSON(e.Scorers),
	}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	return out
}

// scorerJSON is a scorer configuration on the wire:
// {"name": "chrf_pp", "type": "chrf", "params": {...}, "pass": {"min": 0.3}}.
type scorerJSON struct {
	Name   string          `json:"name,omitempty"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params,omitempty"`
	Pass   *passJSON       `json:"pass,omitempty"`
}

type passJSON struct {
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
}

// toScorerConfigs keeps nil for nil: the use cases tell "no scorers given" apart.
func toScorerConfigs(in []scorerJSON) []domain.ScorerConfig {
	if in == nil {
		return nil
	}
	out := make([]domain.ScorerConfig, len(in))
	for i, c := range in {
		out[i] = domain.ScorerConfig{Name: c.Name, Type: c.Type, Params: c.Params}
		if c.Pass != nil {
			out[i].Pass = &domain.PassBand{Min: c.Pass.Min, Max: c.Pass.Max}
		}
	}
	return out
}

func toScorersJSON(cs []domain.ScorerConfig) []scorerJSON {
	out := make([]scorerJSON, len(cs))
	for i, c := range cs {
		out[i] = scorerJSON{Name: c.Name, Type: c.Type, Params: c.Params}
		if c.Pass != nil {
			out[i].Pass = &passJSON{Min: c.Pass.Min, Max: c.Pass.Max}
		}
	}
	return out
}

type messageJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type responseIn struct {
	ExternalID string         `json:"external_id"`
	PromptID   string         `json:"prompt_id"`
	Model      string         `json:"model"`
	Prompt     string         `json:"prompt"`
	Context    []messageJSON  `json:"context"`
	Response   *string        `json:"response"`
	Reference  *string        `json:"reference"`
	Metadata   map[string]any `json:"metadata"`
	ownedFields
}

type scoreOut struct {
	Status  string         `json:"status"`
	Value   *float64       `json:"value"`
	Passed  *bool          `json:"passed"`
	Details map[string]any `json:"details"`
	Error   string         `json:"error,omitempty"`
}

type responseOut struct {
	ID           string              `json:"id"`
	EvaluationID string              `json:"evaluation_id"`
	ExternalID   *string             `json:"external_id"`
	PromptID     string              `json:"prompt_id"`
	Model        string              `json:"model"`
	Prompt       string              `json:"prompt"`
	Context      []messageJSON       `json:"context,omitempty"`
	Response     string              `json:"response"`
	Reference    *string             `json:"reference"`
	Metadata     map[string]any      `json:"metadata"`
	Scores       map[string]scoreOut `json:"scores"`
	CreatedAt    time.Time           `json:"created_at"`
}

func toResponseOut(r domain.Response) responseOut {
	out := responseOut{
		ID: r.ID.String(), EvaluationID: r.EvaluationID.String(), PromptID: r.PromptID, Model: r.Model,
		Prompt: r.Prompt, Response: r.Text, Reference: r.Reference, Metadata: r.Metadata,
		Scores: make(map[string]scoreOut, len(r.Scores)), CreatedAt: r.CreatedAt,
	}
	if r.ExternalID != "" {
		ext := r.ExternalID
		out.ExternalID = &ext
	}
	for _, m := range r.Context {
		out.Context = append(out.Context, messageJSON{Role: m.Role, Content: m.Content})
	}
	for _, s := range r.Scores {
		d := s.Details
		if d == nil {
			d = map[string]any{}
		}
		out.Scores[s.Scorer] = scoreOut{Status: string(s.Status()), Value: s.Value, Passed: s.Passed, Details: d, Error: s.Error}
	}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	return out
}

type comparisonIn struct {
	ExternalID    string         `json:"external_id"`
	ResponseA     string         `json:"response_a"`
	ResponseB     string         `json:"response_b"`
	Preference    *float64       `json:"preference"`
	Winner        *string        `json:"winner"`
	Annotator     string         `json:"annotator"`
	AnnotatorKind string         `json:"annotator_kind"`
	Rationale     string         `json:"rationale"`
	Metadata      map[string]any `json:"metadata"`
	ownedFields
}

type comparisonOut struct {
	ID            string         `json:"id"`
	EvaluationID  string         `json:"evaluation_id"`
	ExternalID    *string        `json:"external_id"`
	ResponseA     string         `json:"response_a"`
	ResponseB     string         `json:"response_b"`
	ModelA        string         `json:"model_a"`
	ModelB        string         `json:"model_b"`
	PromptID      string         `json:"prompt_id"`
	Preference    float64        `json:"preference"`
	Winner        string         `json:"winner"`
	Annotator     string         `json:"annotator"`
	AnnotatorKind string         `json:"annotator_kind"`
	Rationale     string         `json:"rationale"`
	Metadata      map[string]any `json:"metadata"`
	CreatedAt     time.Time      `json:"created_at"`
}

func toComparisonOut(c domain.Comparison) comparisonOut {
	out := comparisonOut{
		ID: c.ID.String(), EvaluationID: c.EvaluationID.String(), ResponseA: c.ResponseA.String(), ResponseB: c.ResponseB.String(),
		ModelA: c.ModelA, ModelB: c.ModelB, PromptID: c.PromptID, Preference: c.Preference, Winner: string(c.Winner()),
		Annotator: c.Annotator, AnnotatorKind: string(c.AnnotatorKind), Rationale: c.Rationale, Metadata: c.Metadata,
		CreatedAt: c.CreatedAt,
	}
	if c.ExternalID != "" {
		ext := c.ExternalID
		out.ExternalID = &ext
	}
	if out.Metadata == nil {
		out.Metadata = map[string]any{}
	}
	return out
}

type keyIn struct {
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	ExpiresAt *string  `json:"expires_at"`
	ownedFields
}

type keyOut struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	// Key is the secret, present only in the reply that creates it.
	Key string `json:"key,omitempty"`
}

func toKeyOut(k domain.APIKey) keyOut {
	out := keyOut{
		ID: k.ID.String(), Name: k.Name, Prefix: k.Prefix, CreatedAt: k.CreatedAt,
		LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt, RevokedAt: k.RevokedAt,
	}
	for _, s := range k.Scopes {
		out.Scopes = append(out.Scopes, string(s))
	}
	return out
}

// listOut is the shape of every list reply.
type listOut[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func toList[D, T any](p domain.Page[D], conv func(D) T) listOut[T] {
	out := listOut[T]{Items: make([]T, len(p.Items))}
	for i, d := range p.Items {
		out.Items[i] = conv(d)
	}
	if p.Next != "" {
		next := p.Next
		out.NextCursor = &next
	}
	return out
}

// batchCounts is the reply to a bulk POST with Prefer: return=minimal.
type batchCounts struct {
	Created  int `json:"created"`
	Existing int `json:"existing"`
}

// batchOut is the reply to a bulk POST.
type batchOut[T any] struct {
	Items    []T `json:"items"`
	Created  int `json:"created"`
	Existing int `json:"existing"`
}
