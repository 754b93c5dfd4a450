package httpapi

import (
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// jobOut is a background job as the API shows it.
type jobOut struct {
	ID           string         `json:"id"`
	Kind         string         `json:"kind"`
	EvaluationID *string        `json:"evaluation_id"`
	Status       string         `json:"status"`
	Params       map[string]any `json:"params"`
	Total        int64          `json:"total"`
	Done         int64          `json:"done"`
	Failed       int64          `json:"failed"`
	Cached       int64          `json:"cached"`
	Tokens       int64          `json:"tokens"`
	Cost         float64        `json:"cost"`
	Error        string         `json:"error"`
	Report       map[string]any `json:"report"`
	CreatedAt    time.Time      `json:"created_at"`
	StartedAt    *time.Time     `json:"started_at"`
	FinishedAt   *time.Time     `json:"finished_at"`
}

func toJobOut(j domain.Job) jobOut {
	out := jobOut{
		ID: j.ID.String(), Kind: j.Kind, EvaluationID: optIDString(j.EvaluationID), Status: string(j.Status), Params: j.Params,
		Total: j.Total, Done: j.Done, Failed: j.Failed, Cached: j.Cached, Tokens: j.Tokens, Cost: j.Cost, Error: j.Error,
		Report: j.Report, CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
	}
	if out.Params == nil {
		out.Params = map[string]any{}
	}
	return out
}
