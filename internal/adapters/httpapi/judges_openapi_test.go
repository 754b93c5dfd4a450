package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// judgeSteps walks the judge routes for TestOpenAPIConformance. Judges are not
// deleted with evaluations, so each walk names its judge afresh; the evaluation
// is deleted at the end.
func judgeSteps() []step {
	var b [4]byte
	_, _ = rand.Read(b[:])
	judge := "oa-judge-" + hex.EncodeToString(b[:])
	const (
		jsonCT = "application/json"
		ev     = "/v1/evaluations/oa-judged"
	)
	cfg := func(extra string) string {
		return fmt.Sprintf(`{"name":%q,"kind":"pairwise","endpoint":{"base_url":"http://127.0.0.1:9/v1","model":"judge-model"},"parser":{"type":"verdict"}%s}`, judge, extra)
	}
	responses := `{"external_id":"j1a","prompt_id":"q1","model":"m1","prompt":"What is 2+2?","response":"4"}
{"external_id":"j1b","prompt_id":"q1","model":"m2","prompt":"What is 2+2?","response":"Four."}
{"external_id":"j2a","prompt_id":"q2","model":"m1","prompt":"Name a colour.","response":"Blue."}
{"external_id":"j2b","prompt_id":"q2","model":"m2","prompt":"Name a colour.","response":"Red."}
`
	return []step{
		{name: "create an evaluation to judge", method: "POST", path: "/v1/evaluations", key: "$write", contentType: jsonCT,
			body: `{"name":"oa-judged"}`, status: 201},
		{name: "post responses to judge", method: "POST", path: ev + "/responses", key: "$write", contentType: "application/x-ndjson",
			body: responses, status: 201},
		{name: "create a judge", method: "POST", path: "/v1/judges", key: "$write", contentType: jsonCT, body: cfg(""), status: 201,
			want:   map[string]any{"name": judge, "version": 1.0, "kind": "pairwise", "config.order": "random"},
			header: map[string]string{"Location": "/v1/judges/" + judge + "?version=1"}},
		{name: "post the same judge again", method: "POST", path: "/v1/judges", key: "$write", contentType: jsonCT, body: cfg(""), status: 200,
			want: map[string]any{"version": 1.0}},
		{name: "post a changed judge", method: "POST", path: "/v1/judges", key: "$write", contentType: jsonCT, body: cfg(`,"order":"both"`), status: 201,
			want: map[string]any{"version": 2.0, "config.order": "both"}},
		{name: "post a judge without a kind", method: "POST", path: "/v1/judges", key: "$write", contentType: jsonCT,
			body: `{"name":"oa-x","endpoint":{"base_url":"http://127.0.0.1:9/v1","model":"m"}}`, status: 400, request: violates},
		{name: "post a judge with a read key", method: "POST", path: "/v1/judges", key: "$read", contentType: jsonCT, body: cfg(""), status: 403},
		{name: "get the judge", method: "GET", path: "/v1/judges/" + judge, key: "$read", status: 200, want: map[string]any{"version": 2.0}},
		{name: "get its first version", method: "GET", path: "/v1/judges/" + judge + "?version=1", key: "$read", status: 200,
			want: map[string]any{"version": 1.0, "config.order": "random"}},
		{name: "get a version it lacks", method: "GET", path: "/v1/judges/" + judge + "?version=3", key: "$read", status: 404},
		{name: "get version 0", method: "GET", path: "/v1/judges/" + judge + "?version=0", key: "$read", status: 400, request: violates},
		{name: "get an unknown judge", method: "GET", path: "/v1/judges/oa-no-such-judge", key: "$read", status: 404},
		{name: "list judges", method: "GET", path: "/v1/judges?limit=1", key: "$read", status: 200},
		{name: "list judges with an unknown parameter", method: "GET", path: "/v1/judges?kind=pairwise", key: "$read", status: 400},
		{name: "start a judge run", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: fmt.Sprintf(`{"judge":%q,"baseline":"m1"}`, judge), status: 202, save: map[string]string{"run_id": "id"},
			want:   map[string]any{"kind": "judge_run", "status": "queued"},
			header: map[string]string{"Location": "/v1/jobs/$run_id"}},
		{name: "start a run of a judge version without the cache", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: fmt.Sprintf(`{"judge":{"name":%q,"version":1},"baseline":"m1","models":["m2"],"cache":false}`, judge), status: 202,
			want: map[string]any{"kind": "judge_run"}},
		{name: "start a run of an unknown judge", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: `{"judge":"oa-no-such-judge","baseline":"m1"}`, status: 400},
		{name: "start a run with an unknown baseline", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: fmt.Sprintf(`{"judge":%q,"baseline":"m9"}`, judge), status: 400},
		{name: "start a run comparing the baseline with itself", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: fmt.Sprintf(`{"judge":%q,"baseline":"m1","models":["m1"]}`, judge), status: 400},
		{name: "start a run without a judge", method: "POST", path: ev + "/judge-runs", key: "$write", contentType: jsonCT,
			body: `{"baseline":"m1"}`, status: 400, request: violates},
		{name: "start a run in an unknown evaluation", method: "POST", path: "/v1/evaluations/oa-absent/judge-runs", key: "$write", contentType: jsonCT,
			body: fmt.Sprintf(`{"judge":%q,"baseline":"m1"}`, judge), status: 404},
		{name: "list the run's judgments", method: "GET", path: ev + "/judgments?job=$run_id", key: "$read", status: 200, want: map[string]any{"items": []any{}}},
		{name: "list the judgments of an unknown comparison", method: "GET", path: ev + "/judgments?comparison=nope", key: "$read", status: 400},
		{name: "delete the judged evaluation", method: "DELETE", path: ev, key: "$admin", status: 202},
	}
}
