package httpapi

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestJudgeRoutesNameTheBadField checks the judge routes' problems: each names
// the field at fault, and nothing is stored.
func TestJudgeRoutesNameTheBadField(t *testing.T) {
	a := newTestAPI(t, Config{})
	if r := a.post("/v1/evaluations", `{"name":"judge-fields"}`); r.status != http.StatusCreated {
		t.Fatalf("create evaluation: %d %s", r.status, r.body)
	}
	if r := a.do(http.MethodPost, "/v1/evaluations/judge-fields/responses", a.write, "application/x-ndjson",
		`{"prompt_id":"q","model":"m1","prompt":"Q","response":"a"}
{"prompt_id":"q","model":"m2","prompt":"Q","response":"b"}
`); r.status != http.StatusCreated {
		t.Fatalf("ingest: %d %s", r.status, r.body)
	}
	judge := func(order string) string {
		return `{"name":"fields-judge","kind":"pairwise","order":"` + order + `","endpoint":{"base_url":"http://127.0.0.1:9/v1","model":"m"},"parser":{"type":"verdict"}}`
	}
	for _, order := range []string{"random", "both"} {
		if r := a.post("/v1/judges", judge(order)); r.status != http.StatusCreated {
			t.Fatalf("create judge: %d %s", r.status, r.body)
		}
	}
	var got struct {
		Version int            `json:"version"`
		Config  map[string]any `json:"config"`
	}
	if r := a.get("/v1/judges/fields-judge?version=1"); r.status != http.StatusOK || json.Unmarshal(r.body, &got) != nil ||
		got.Version != 1 || got.Config["order"] != "random" {
		t.Errorf("version 1 = %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name, path, body, field string
	}{
		{"a bad parser", "/v1/judges", `{"name":"x","kind":"pairwise","endpoint":{"base_url":"http://127.0.0.1:9/v1","model":"m"},"parser":{"type":"vibes"}}`, "parser.type"},
		{"an unknown model", "/v1/evaluations/judge-fields/judge-runs", `{"judge":"fields-judge","baseline":"m1","models":["m2","m9"]}`, "models[1]"},
		{"an unknown baseline", "/v1/evaluations/judge-fields/judge-runs", `{"judge":"fields-judge","baseline":"m9"}`, "baseline"},
		{"an unknown judge", "/v1/evaluations/judge-fields/judge-runs", `{"judge":"nobody","baseline":"m1"}`, "judge"},
		{"version 0", "/v1/evaluations/judge-fields/judge-runs", `{"judge":{"name":"fields-judge","version":0},"baseline":"m1"}`, "judge.version"},
		{"a missing version", "/v1/evaluations/judge-fields/judge-runs", `{"judge":{"name":"fields-judge","version":7},"baseline":"m1"}`, "judge.version"},
		{"an unknown field", "/v1/evaluations/judge-fields/judge-runs", `{"judge":"fields-judge","baseline":"m1","temperature":0}`, "temperature"},
		{"a judge of the wrong type", "/v1/evaluations/judge-fields/judge-runs", `{"judge":5,"baseline":"m1"}`, "judge"},
		{"a judge with an unknown field", "/v1/evaluations/judge-fields/judge-runs", `{"judge":{"name":"fields-judge","version":1,"v":2},"baseline":"m1"}`, "judge.v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := a.post(tc.path, tc.body)
			var p Problem
			if err := json.Unmarshal(r.body, &p); err != nil || r.status != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Errorf("= %d %s; want 400 naming %s", r.status, r.body, tc.field)
			}
		})
	}
	var jobs int
	if err := a.pool.QueryRow(t.Context(), `SELECT count(*) FROM jobs WHERE kind = 'judge_run' AND params ->> 'judge' = 'fields-judge'`).Scan(&jobs); err != nil || jobs != 0 {
		t.Errorf("%d judge runs stored after refused starts (%v); want none", jobs, err)
	}
}
