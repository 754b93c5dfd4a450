package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// JudgeService stores and reads judge configurations.
type JudgeService interface {
	Create(ctx context.Context, config []byte) (domain.Judge, bool, error)
	Get(ctx context.Context, name string, version int) (domain.Judge, error)
	List(ctx context.Context, cursor string, limit int) (domain.Page[domain.Judge], error)
}

// JudgeRunService starts judge runs.
type JudgeRunService interface {
	Start(ctx context.Context, evalRef string, in app.JudgeRunInput) (domain.Job, error)
}

// JudgmentService reads judgments.
type JudgmentService interface {
	List(ctx context.Context, evalRef string, in app.ListJudgmentsInput) (domain.Page[domain.Judgment], error)
}

// judgeRoutes registers the judge routes.
func (s *Server) judgeRoutes(read, write echo.MiddlewareFunc) {
	e := s.echo
	e.POST("/v1/judges", s.createJudge, write, noQuery, s.idempotent)
	e.GET("/v1/judges", s.listJudges, read)
	e.GET("/v1/judges/:name", s.getJudge, read)
	e.POST("/v1/evaluations/:eval/judge-runs", s.startJudgeRun, write, noQuery, s.idempotent)
	e.GET("/v1/evaluations/:eval/judgments", s.listJudgments, read)
}

type judgeOut struct {
	Name       string          `json:"name"`
	Version    int             `json:"version"`
	Kind       string          `json:"kind"`
	Config     json.RawMessage `json:"config"`
	ConfigHash string          `json:"config_hash"`
	CreatedAt  time.Time       `json:"created_at"`
}

func toJudgeOut(j domain.Judge) judgeOut {
	return judgeOut{Name: j.Name, Version: j.Version, Kind: j.Kind, Config: json.RawMessage(j.Config),
		ConfigHash: j.ConfigHash, CreatedAt: j.CreatedAt}
}

func judgeLocation(j domain.Judge) string {
	return "/v1/judges/" + url.PathEscape(j.Name) + "?version=" + strconv.Itoa(j.Version)
}

// createJudge stores a configuration: 201 with a new version, 200 when this exact
// configuration is stored already.
func (s *Server) createJudge(c echo.Context) error {
	var raw json.RawMessage
	if err := decodeOne(c, &raw); err != nil {
		return err
	}
	j, created, err := s.svc.Judges.Create(c.Request().Context(), raw)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, judgeLocation(j))
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return respond(c, status, toJudgeOut(j))
}

func (s *Server) listJudges(c echo.Context) error {
	q := newQuery(c)
	cursor, limit := q.str("cursor"), q.limit()
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Judges.List(c.Request().Context(), cursor, limit)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toJudgeOut))
}

func (s *Server) getJudge(c echo.Context) error {
	q := newQuery(c)
	version := q.optInt("version")
	if err := q.done(); err != nil {
		return err
	}
	v := 0
	if version != nil {
		if *version < 1 {
			return domain.Invalid("version", "must be a positive integer; got %d", *version)
		}
		v = *version
	}
	j, err := s.svc.Judges.Get(c.Request().Context(), param(c, "name"), v)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toJudgeOut(j))
}

type judgeRunIn struct {
	// Judge is a name (the latest version) or {"name", "version"}.
	Judge    json.RawMessage `json:"judge"`
	Baseline string          `json:"baseline"`
	Models   []string        `json:"models"`
	Cache    *bool           `json:"cache"`
	ownedFields
}

// judgeRef reads a run's judge: a name, or {"name", "version"}.
func judgeRef(raw json.RawMessage) (name string, version int, err error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return "", 0, nil // the use case says it is required
	case raw[0] == '"':
		err = decodeStrict(raw, &name, "judge")
		return name, 0, err
	case raw[0] != '{':
		return "", 0, badRequest("judge", "must be a judge's name or {\"name\", \"version\"}")
	}
	var ref struct {
		Name    string `json:"name"`
		Version *int   `json:"version"`
	}
	if err := decodeStrict(raw, &ref, "judge"); err != nil {
		return "", 0, err
	}
	if ref.Version == nil || *ref.Version < 1 {
		return "", 0, badRequest("judge.version", "must be a positive integer (give the name alone for the latest version)")
	}
	return ref.Name, *ref.Version, nil
}

// startJudgeRun enqueues a judge run: 202 with the job, whose progress
// GET /v1/jobs/{id} shows.
func (s *Server) startJudgeRun(c echo.Context) error {
	var in judgeRunIn
	if err := decodeOne(c, &in); err != nil {
		return err
	}
	run := app.JudgeRunInput{Baseline: in.Baseline, Models: in.Models, Cache: in.Cache}
	var err error
	if run.Judge, run.JudgeVersion, err = judgeRef(in.Judge); err != nil {
		return err
	}
	job, err := s.svc.JudgeRuns.Start(c.Request().Context(), param(c, "eval"), run)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/v1/jobs/"+job.ID.String())
	return respond(c, http.StatusAccepted, toJobOut(job))
}

type judgmentMessageOut struct {
	Role    string `json:"role"`
	Name    string `json:"name,omitempty"`
	Content string `json:"content"`
}

type topLogprobOut struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
}

type tokenLogprobOut struct {
	Token       string          `json:"token"`
	Logprob     float64         `json:"logprob"`
	TopLogprobs []topLogprobOut `json:"top_logprobs"`
}

type judgmentReplyOut struct {
	Content           string            `json:"content"`
	Logprobs          []tokenLogprobOut `json:"logprobs"`
	FinishReason      string            `json:"finish_reason"`
	SystemFingerprint string            `json:"system_fingerprint"`
	Raw               json.RawMessage   `json:"raw"`
}

type judgmentOut struct {
	ID           string               `json:"id"`
	EvaluationID string               `json:"evaluation_id"`
	JobID        string               `json:"job_id"`
	Item         string               `json:"item"`
	Call         int                  `json:"call"`
	Judge        string               `json:"judge"`
	JudgeVersion int                  `json:"judge_version"`
	ResponseA    *string              `json:"response_a"`
	ResponseB    *string              `json:"response_b"`
	Response     *string              `json:"response"`
	ComparisonID *string              `json:"comparison_id"`
	RequestHash  string               `json:"request_hash"`
	Messages     []judgmentMessageOut `json:"messages"`
	Reply        judgmentReplyOut     `json:"reply"`
	Reward       *float64             `json:"reward"`
	Verdict      *float64             `json:"verdict"`
	ParseError   string               `json:"parse_error"`
	Order        string               `json:"order"`
	Identical    bool                 `json:"identical"`
	InputTokens  int64                `json:"input_tokens"`
	OutputTokens int64                `json:"output_tokens"`
	Cost         float64              `json:"cost"`
	LatencyMS    float64              `json:"latency_ms"`
	Attempts     int                  `json:"attempts"`
	Cached       bool                 `json:"cached"`
	CreatedAt    time.Time            `json:"created_at"`
}

func optIDString(id *domain.ID) *string {
	if id == nil {
		return nil
	}
	s := id.String()
	return &s
}

func toJudgmentOut(j domain.Judgment) judgmentOut {
	out := judgmentOut{
		ID: j.ID.String(), EvaluationID: j.EvaluationID.String(), JobID: j.JobID.String(), Item: j.Item, Call: j.Call,
		Judge: j.JudgeName, JudgeVersion: j.JudgeVersion, ResponseA: optIDString(j.ResponseA), ResponseB: optIDString(j.ResponseB),
		Response: optIDString(j.Response), ComparisonID: optIDString(j.ComparisonID), RequestHash: j.RequestHash,
		Messages: make([]judgmentMessageOut, len(j.Messages)),
		Reply: judgmentReplyOut{Content: j.Content, FinishReason: j.FinishReason, SystemFingerprint: j.SystemFingerprint,
			Logprobs: make([]tokenLogprobOut, len(j.Logprobs)), Raw: json.RawMessage(j.Raw)},
		Reward: j.Reward, Verdict: j.Verdict, ParseError: j.ParseError, Order: j.Order, Identical: j.Identical,
		InputTokens: j.InputTokens, OutputTokens: j.OutputTokens, Cost: j.Cost,
		LatencyMS: float64(j.Latency) / float64(time.Millisecond), Attempts: j.Attempts, Cached: j.Cached, CreatedAt: j.CreatedAt,
	}
	for i, m := range j.Messages {
		out.Messages[i] = judgmentMessageOut(m)
	}
	for i, l := range j.Logprobs {
		t := tokenLogprobOut{Token: l.Token, Logprob: l.Logprob, TopLogprobs: make([]topLogprobOut, len(l.Top))}
		for k, top := range l.Top {
			t.TopLogprobs[k] = topLogprobOut{Token: top.Token, Logprob: top.Logprob}
		}
		out.Reply.Logprobs[i] = t
	}
	if len(j.Raw) == 0 {
		out.Reply.Raw = json.RawMessage("null")
	}
	return out
}

// listJudgments lists the judgments behind judge-made comparisons and scores:
// ?comparison=ID, ?response=ID (either side of a pair), ?job=ID, ?judge=NAME.
func (s *Server) listJudgments(c echo.Context) error {
	q := newQuery(c)
	in := app.ListJudgmentsInput{
		Comparison: q.optStr("comparison"), Response: q.optStr("response"), Job: q.optStr("job"), Judge: q.optStr("judge"),
		Cursor: q.str("cursor"), Limit: q.limit(),
	}
	if err := q.done(); err != nil {
		return err
	}
	page, err := s.svc.Judgments.List(c.Request().Context(), param(c, "eval"), in)
	if err != nil {
		return err
	}
	return respond(c, http.StatusOK, toList(page, toJudgmentOut))
}
