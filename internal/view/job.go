package view

import (
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Job is a job as the API and the CLI show it.
type Job struct {
	ID         string         `json:"id"`
	Kind       string         `json:"kind"`
	Evaluation *string        `json:"evaluation"`
	Status     string         `json:"status"`
	Total      int64          `json:"total"`
	Done       int64          `json:"done"`
	Failed     int64          `json:"failed"`
	Cached     int64          `json:"cached"`
	Tokens     int64          `json:"tokens"`
	Cost       float64        `json:"cost"`
	Error      string         `json:"error"`
	Report     map[string]any `json:"report"`
	CreatedAt  time.Time      `json:"created_at"`
	StartedAt  *time.Time     `json:"started_at"`
	FinishedAt *time.Time     `json:"finished_at"`
}

// JobOf presents a job.
func JobOf(j domain.Job) Job {
	v := Job{
		ID: j.ID.String(), Kind: j.Kind, Status: string(j.Status), Total: j.Total, Done: j.Done, Failed: j.Failed,
		Cached: j.Cached, Tokens: j.Tokens, Cost: j.Cost, Error: j.Error, Report: j.Report,
		CreatedAt: j.CreatedAt, StartedAt: j.StartedAt, FinishedAt: j.FinishedAt,
	}
	if j.EvaluationID != nil {
		id := j.EvaluationID.String()
		v.Evaluation = &id
	}
	return v
}
