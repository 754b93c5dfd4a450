package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
)

// TestPendingScoresEndToEnd: an evaluation with a reward-model scorer, served
// without workers, shows its responses' reward scores as pending and counts them
// in the summary; a worker process then settles them through the fake endpoint:
// ready with the model's reward, or failed with the endpoint's error, and the
// summary's statistics cover exactly the ready ones.
func TestPendingScoresEndToEnd(t *testing.T) {
	// The fake reward model: the response's length over 40, capped at 1; an
	// input holding "reject" gets vLLM's 400, which is not retried.
	reward := func(text string) float64 { return math.Min(1, float64(len(text))/40) }
	rm := openaitest.New(t, openaitest.Options{Classify: func(r openaitest.ClassifyRequest) openaitest.ClassifyReply {
		if strings.Contains(r.Input, "reject") {
			return openaitest.ClassifyReply{Status: 400, ErrorMessage: "This model's maximum context length is 512 tokens"}
		}
		_, text, _ := strings.Cut(r.Input, "\n\n")
		p := reward(text)
		return openaitest.ClassifyReply{Probs: []float64{p, 1 - p}}
	}})
	s := startServer(t, "RLHF_WORKERS=0")
	key := createKey(t, s.env, "admin")
	call := func(method, path, body string, out any) int {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if out != nil && res.StatusCode < 300 {
			if err := json.Unmarshal(b, out); err != nil {
				t.Fatalf("%s %s: %v in %s", method, path, err, b)
			}
		}
		if res.StatusCode >= 300 {
			t.Logf("%s %s = %d %s", method, path, res.StatusCode, b)
		}
		return res.StatusCode
	}
	judge := fmt.Sprintf(`{"name": "rm-e2e", "kind": "reward", "endpoint": {"base_url": %q, "model": "reward-model", "protocol": "vllm-classify"}}`, rm.BaseURL())
	if code := call("POST", "/v1/judges", judge, nil); code != 201 {
		t.Fatalf("create judge: %d", code)
	}
	if code := call("POST", "/v1/evaluations", `{"name": "later", "scorers": [{"type": "length"},
		{"name": "reward", "type": "judge", "params": {"judge": "rm-e2e"}, "pass": {"min": 0.5}}]}`, nil); code != 201 {
		t.Fatalf("create evaluation: %d", code)
	}
	texts := map[string]string{"a": "short", "b": "a somewhat longer answer to the question", "c": "please reject this one", "d": "medium length"}
	var body []string
	for _, id := range []string{"a", "b", "c", "d"} {
		line, _ := json.Marshal(map[string]any{"external_id": id, "model": "m", "prompt": "Prompt " + id, "response": texts[id]})
		body = append(body, string(line))
	}
	type score struct {
		Status string   `json:"status"`
		Value  *float64 `json:"value"`
		Passed *bool    `json:"passed"`
		Error  string   `json:"error"`
	}
	type response struct {
		Scores map[string]score `json:"scores"`
	}
	var ingested struct {
		Items []response `json:"items"`
	}
	if code := call("POST", "/v1/evaluations/later/responses", "["+strings.Join(body, ",")+"]", &ingested); code != 201 {
		t.Fatalf("ingest: %d", code)
	}
	for i, it := range ingested.Items {
		if it.Scores["reward"].Status != "pending" || it.Scores["reward"].Value != nil || it.Scores["length"].Status != "ready" {
			t.Errorf("ingest reply item %d scores = %+v; want reward pending, length ready", i, it.Scores)
		}
	}
	type row struct {
		Scorer   string   `json:"scorer"`
		N        int64    `json:"n"`
		NScores  int64    `json:"n_scores"`
		Errors   int64    `json:"errors"`
		Pending  int64    `json:"pending"`
		Mean     *float64 `json:"mean"`
		PassRate *float64 `json:"pass_rate"`
	}
	summary := func() map[string]row {
		t.Helper()
		var sum struct {
			Scorers []row `json:"scorers"`
		}
		if code := call("GET", "/v1/evaluations/later/summary", "", &sum); code != 200 {
			t.Fatalf("summary: %d", code)
		}
		out := map[string]row{}
		for _, r := range sum.Scorers {
			out[r.Scorer] = r
		}
		return out
	}
	if r := summary()["reward"]; r.Pending != 4 || r.N != 0 || r.NScores != 0 || r.Mean != nil {
		t.Errorf("reward summary before the worker = %+v; want 4 pending, no statistics", r)
	}
	var got response
	if code := call("GET", "/v1/evaluations/later/responses/b", "", &got); code != 200 || got.Scores["reward"].Status != "pending" {
		t.Errorf("GET b = %d %+v; want its reward pending", code, got.Scores)
	}
	var jobs struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Total  int64  `json:"total"`
			Done   int64  `json:"done"`
			Failed int64  `json:"failed"`
		} `json:"items"`
	}
	if code := call("GET", "/v1/jobs?evaluation=later&kind=pending_scores", "", &jobs); code != 200 || len(jobs.Items) != 1 || jobs.Items[0].Total != 4 {
		t.Fatalf("pending_scores jobs = %d %+v; want one owing 4 scores", code, jobs.Items)
	}
	jobID := jobs.Items[0].ID

	worker := exec.Command(binary(t), "worker")
	worker.Env = append(append([]string{}, s.env...), "RLHF_WORKERS=2")
	worker.Dir = t.TempDir()
	logs := &lockedBuffer{}
	worker.Stdout, worker.Stderr = logs, logs
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = worker.Process.Kill()
		_ = worker.Wait()
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code := call("GET", "/v1/jobs?evaluation=later&kind=pending_scores", "", &jobs); code != 200 {
			t.Fatalf("jobs: %d", code)
		}
		if j := jobs.Items[0]; j.Status == "succeeded" {
			if j.Done != 4 || j.Failed != 1 {
				t.Errorf("job %s = %+v; want 4 done, 1 failed", jobID, j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not finish the pending scores: %+v", jobs.Items)
		}
	}
	var sumReward float64
	var passed int
	for _, id := range []string{"a", "b", "d"} {
		if code := call("GET", "/v1/evaluations/later/responses/"+id, "", &got); code != 200 {
			t.Fatalf("GET %s: %d", id, code)
		}
		want := reward(texts[id])
		sc := got.Scores["reward"]
		if sc.Status != "ready" || sc.Value == nil || math.Abs(*sc.Value-want) > 1e-9 || sc.Passed == nil || *sc.Passed != (want >= 0.5) {
			t.Errorf("%s's reward = %+v; want ready, %v", id, sc, want)
		}
		sumReward += want
		if want >= 0.5 {
			passed++
		}
	}
	if code := call("GET", "/v1/evaluations/later/responses/c", "", &got); code != 200 {
		t.Fatalf("GET c: %d", code)
	}
	if sc := got.Scores["reward"]; sc.Status != "failed" || sc.Value != nil || !strings.Contains(sc.Error, "maximum context length") {
		t.Errorf("c's reward = %+v; want failed with the endpoint's message", sc)
	}
	r := summary()["reward"]
	if r.Pending != 0 || r.N != 3 || r.Errors != 1 || r.NScores != 4 || r.Mean == nil || math.Abs(*r.Mean-sumReward/3) > 1e-9 {
		t.Errorf("reward summary after the worker = %+v; want 3 values of mean %v, 1 error, none pending", r, sumReward/3)
	}
	if r.PassRate == nil || math.Abs(*r.PassRate-float64(passed)/3) > 1e-12 {
		t.Errorf("reward pass rate = %v; want %d of 3", r.PassRate, passed)
	}
}
