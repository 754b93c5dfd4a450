package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// ScoringService scores items without storing anything.
type ScoringService interface {
	Types() []scoring.Type
	Prepare(cfgs []domain.ScorerConfig) (*scoring.Set, error)
	Score(ctx context.Context, set *scoring.Set, items []app.ScoreItem) ([][]scoring.Outcome, error)
}

// Default bounds of one POST /v1/score.
const (
	DefaultMaxScoreScorers = 32
	DefaultMaxScoreWork    = 200_000
)

type scorerTypeOut struct {
	Name           string          `json:"name"`
	Description    string          `json:"description"`
	NeedsReference bool            `json:"needs_reference"`
	Better         string          `json:"better"`
	ParamsSchema   json.RawMessage `json:"params_schema"`
	CorpusScore    bool            `json:"corpus_score"`
	RunsLater      bool            `json:"runs_later"`
}

func (s *Server) listScorers(c echo.Context) error {
	types := s.svc.Scoring.Types()
	out := struct {
		Items []scorerTypeOut `json:"items"`
	}{Items: make([]scorerTypeOut, len(types))}
	for i, t := range types {
		schema := t.ParamsSchema
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object","additionalProperties":false}`)
		}
		out.Items[i] = scorerTypeOut{Name: t.Name, Description: t.Description, NeedsReference: t.NeedsReference,
			Better: string(t.Better), ParamsSchema: schema, CorpusScore: t.Corpus != nil, RunsLater: t.RunsLater}
	}
	return respond(c, http.StatusOK, out)
}

type scoreItemIn struct {
	ID        json.RawMessage `json:"id"`
	Prompt    string          `json:"prompt"`
	Response  *string         `json:"response"`
	Reference *string         `json:"reference"`
	Context   []messageJSON   `json:"context"`
}

type scoreIn struct {
	Scorers []scorerJSON  `json:"scorers"`
	Items   []scoreItemIn `json:"items"`
}

type scoredItemOut struct {
	ID     json.RawMessage     `json:"id"`
	Scores map[string]scoreOut `json:"scores"`
}

func (s *Server) score(c echo.Context) error {
	var in scoreIn
	if err := decodeOne(c, &in); err != nil {
		return err
	}
	if n := len(in.Scorers); n > s.cfg.MaxScoreScorers {
		return &httpError{status: http.StatusUnprocessableEntity, kind: "too-many-scorers",
			detail: fmt.Sprintf("scorers: %d scorer configurations; at most %d per request", n, s.cfg.MaxScoreScorers),
			errs:   []FieldError{{Field: "scorers", Message: fmt.Sprintf("has %d configurations; at most %d per request", n, s.cfg.MaxScoreScorers)}}}
	}
	if work := len(in.Scorers) * len(in.Items); work > s.cfg.MaxScoreWork {
		return newHTTPError(http.StatusRequestEntityTooLarge, "too-much-work",
			"%d items × %d scorers is %d scores; at most %d are computed per request; split the items over several requests",
			len(in.Items), len(in.Scorers), work, s.cfg.MaxScoreWork)
	}
	set, err := s.svc.Scoring.Prepare(toScorerConfigs(in.Scorers))
	if err != nil {
		return err
	}
	items := make([]app.ScoreItem, len(in.Items))
	for i, it := range in.Items {
		items[i] = app.ScoreItem{ID: string(it.ID), Prompt: it.Prompt, Response: it.Response, Reference: it.Reference}
		for _, m := range it.Context {
			items[i].Context = append(items[i].Context, domain.Message{Role: m.Role, Content: m.Content})
		}
	}
	outcomes, err := s.svc.Scoring.Score(c.Request().Context(), set, items)
	if err != nil {
		return err
	}
	out := struct {
		Items []scoredItemOut `json:"items"`
	}{Items: make([]scoredItemOut, len(outcomes))}
	for i, os := range outcomes {
		id := in.Items[i].ID
		if len(id) == 0 {
			id = json.RawMessage("null")
		}
		out.Items[i] = scoredItemOut{ID: id, Scores: make(map[string]scoreOut, len(os))}
		for _, o := range os {
			out.Items[i].Scores[o.Name] = toOutcomeOut(o)
		}
	}
	return respond(c, http.StatusOK, out)
}

func toOutcomeOut(o scoring.Outcome) scoreOut {
	if o.Err != nil {
		return scoreOut{Status: string(domain.ScoreFailed), Details: map[string]any{}, Error: o.Err.Error()}
	}
	v := o.Result.Value
	d := o.Result.Details
	if d == nil {
		d = map[string]any{}
	}
	return scoreOut{Status: string(domain.ScoreReady), Value: &v, Passed: o.Result.Passed, Details: d}
}
