package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
)

// judgeJob is GET /v1/jobs/{id} of a judge run.
type judgeJob struct {
	ID     string         `json:"id"`
	Status string         `json:"status"`
	Total  int64          `json:"total"`
	Done   int64          `json:"done"`
	Failed int64          `json:"failed"`
	Cached int64          `json:"cached"`
	Tokens int64          `json:"tokens"`
	Cost   float64        `json:"cost"`
	Error  string         `json:"error"`
	Report map[string]any `json:"report"`
}

const judgeKey = "sk-judge-e2e-000000001"

// judgeEndpoint is a fake OpenAI endpoint whose judge prefers the longer answer
// (A on equal length) and counts the calls it got for each prompt.
type judgeEndpoint struct {
	*openaitest.Server
	mu    sync.Mutex
	calls map[string]int // prompt ("Question qN") → calls
	// unsure names a prompt the judge answers without a verdict.
	unsure string
}

func newJudgeEndpoint(t testing.TB, delay time.Duration, unsure string) *judgeEndpoint {
	e := &judgeEndpoint{calls: map[string]int{}, unsure: unsure}
	e.Server = openaitest.New(t, openaitest.Options{APIKey: judgeKey, Chat: func(r openaitest.Request) openaitest.Reply {
		text := r.Messages[len(r.Messages)-1].Content
		prompt := cut(text, "<request>", "</request>")
		e.mu.Lock()
		e.calls[prompt]++
		e.mu.Unlock()
		rep := openaitest.Reply{Delay: delay, Content: "A is better. [[A]]"}
		switch {
		case unsure != "" && prompt == unsure:
			rep.Content = "Both answers have merit."
		case len(cut(text, "<answer_b>", "</answer_b>")) > len(cut(text, "<answer_a>", "</answer_a>")):
			rep.Content = "B is more complete. [[B]]"
		}
		return rep
	}})
	return e
}

func cut(s, start, end string) string {
	_, after, _ := strings.Cut(s, start)
	before, _, _ := strings.Cut(after, end)
	return strings.TrimSpace(before)
}

func (e *judgeEndpoint) counts() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]int, len(e.calls))
	for k, v := range e.calls {
		out[k] = v
	}
	return out
}

// postPairs stores n prompts answered by models base and cand: cand answers
// longer on even prompts and shorter on odd ones; with identical set, the last
// prompt gets the same answer from both.
func postPairs(t testing.TB, c *Client, n int, identical bool) {
	t.Helper()
	var body bytes.Buffer
	for i := range n {
		base, cand := "a short answer", "a considerably longer answer"
		if i%2 == 1 {
			base, cand = cand, "brief"
		}
		if identical && i == n-1 {
			cand = base
		}
		fmt.Fprintf(&body, `{"external_id":"base-%d","prompt_id":"q%d","model":"base","prompt":"Question q%d","response":%q}`+"\n", i, i, i, base)
		fmt.Fprintf(&body, `{"external_id":"cand-%d","prompt_id":"q%d","model":"cand","prompt":"Question q%d","response":%q}`+"\n", i, i, i, cand)
	}
	if r := c.DoHeader(http.MethodPost, "/v1/evaluations/"+evalName+"/responses", "application/x-ndjson", body.Bytes(),
		http.Header{"Prefer": {"return=minimal"}}); r.Status != http.StatusCreated {
		t.Fatalf("ingest: %s", r)
	}
}

func createJudge(t testing.TB, c *Client, name string, e *judgeEndpoint, keyEnv, extra string) {
	t.Helper()
	cfg := fmt.Sprintf(`{"name": %q, "kind": "pairwise", "endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": %q},
		"parser": {"type": "verdict"}, "price": {"input_per_million": 1, "output_per_million": 4}%s}`, name, e.BaseURL(), keyEnv, extra)
	if r := c.Do(http.MethodPost, "/v1/judges", "application/json", []byte(cfg)); r.Status != http.StatusCreated {
		t.Fatalf("create judge %s: %s", name, r)
	}
}

// startRun starts a judge run and returns its job's location.
func startRun(t testing.TB, c *Client, body map[string]any) string {
	t.Helper()
	r := c.JSON(t, http.MethodPost, "/v1/evaluations/"+evalName+"/judge-runs", body, http.StatusAccepted, nil)
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/v1/jobs/") {
		t.Fatalf("judge run Location = %q", loc)
	}
	return loc
}

// waitJob polls a job until it has ended (or until stop says so).
func waitJob(t testing.TB, c *Client, loc string, within time.Duration, stop func(judgeJob) bool) judgeJob {
	t.Helper()
	var job judgeJob
	for deadline := time.Now().Add(within); ; time.Sleep(20 * time.Millisecond) {
		c.JSON(t, http.MethodGet, loc, nil, http.StatusOK, &job)
		if stop(job) {
			return job
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s after %s: %+v", loc, within, job)
		}
	}
}

func ended(j judgeJob) bool { return j.Status != "queued" && j.Status != "running" }

// TestJudgeRunOverHTTP runs judge runs end to end through the real binary, its
// workers and a fake OpenAI endpoint: verdicts become comparisons with their
// judgments, the win rate follows, the report is filled in, a second run costs
// nothing, a cancel stops a run, a 401 fails one at once, and an unparseable
// reply is counted and kept, never a verdict.
func TestJudgeRunOverHTTP(t *testing.T) {
	NeedSlow(t)
	f := setUp(t, "RLHF_WORKERS=2", "RLHF_JOB_LEASE=2s", "JUDGE_E2E_KEY="+judgeKey, "WRONG_JUDGE_KEY=sk-wrong-0000000009")
	const n = 9 // prompts q0..q8; q8 identical, q3 answered without a verdict
	postPairs(t, f.admin, n, true)
	e := newJudgeEndpoint(t, 0, "Question q3")
	createJudge(t, f.admin, "mtb", e, "JUDGE_E2E_KEY", `, "order": "both"`)

	loc := startRun(t, f.admin, map[string]any{"judge": "mtb", "baseline": "base"})
	job := waitJob(t, f.admin, loc, 30*time.Second, ended)
	if job.Status != "succeeded" || job.Total != n || job.Done != n || job.Failed != 1 || job.Cached != 0 {
		t.Fatalf("job = %+v; want succeeded, %d of %d done, 1 failed", job, n, n)
	}
	// Order "both": two calls for each of the 8 pairs that differ.
	calls := e.counts()
	total := 0
	for _, c := range calls {
		total += c
	}
	if total != 16 || len(calls) != 8 {
		t.Errorf("calls at the endpoint: %d over %d prompts; want 16 over 8", total, len(calls))
	}
	rep := job.Report
	if rep["calls"] != 16.0 || rep["parse_failures"] != 2.0 || rep["parse_failure_rate"] != 0.125 || rep["identical_pairs"] != 1.0 {
		t.Errorf("report = %v", rep)
	}
	if sc, _ := rep["swap_consistency"].(map[string]any); sc["pairs"] != 7.0 || sc["consistent"] != 7.0 {
		t.Errorf("swap consistency = %v; want 7 of 7", rep["swap_consistency"])
	}
	if pb, _ := rep["position_bias"].(map[string]any); pb["first_shown_wins"] != 7.0 || pb["second_shown_wins"] != 7.0 {
		t.Errorf("position bias = %v; want as many first- as second-shown wins (7 each)", rep["position_bias"])
	}
	if lat, _ := rep["latency_ms"].(map[string]any); lat["p50"] == nil || lat["p90"] == nil || lat["p99"] == nil {
		t.Errorf("latency = %v", rep["latency_ms"])
	}
	if job.Tokens <= 0 || job.Cost <= 0 || math.Abs(rep["cost"].(float64)-job.Cost) > 1e-12 {
		t.Errorf("tokens %d, cost %v, report cost %v", job.Tokens, job.Cost, rep["cost"])
	}

	var cmps struct {
		Items []struct {
			ID         string         `json:"id"`
			ExternalID string         `json:"external_id"`
			ModelA     string         `json:"model_a"`
			ModelB     string         `json:"model_b"`
			Preference float64        `json:"preference"`
			Kind       string         `json:"annotator_kind"`
			Metadata   map[string]any `json:"metadata"`
		} `json:"items"`
	}
	f.admin.JSON(t, http.MethodGet, "/v1/evaluations/"+evalName+"/comparisons?annotator=mtb&limit=100", nil, http.StatusOK, &cmps)
	if len(cmps.Items) != n-1 {
		t.Fatalf("%d comparisons, want %d (the unparseable pair has none)", len(cmps.Items), n-1)
	}
	sum := 0.0
	for _, c := range cmps.Items {
		sum += c.Preference
		if c.ModelA != "base" || c.ModelB != "cand" || c.Kind != "model" {
			t.Errorf("comparison %+v", c)
		}
		var js struct {
			Items []struct {
				ComparisonID string `json:"comparison_id"`
				RequestHash  string `json:"request_hash"`
				Order        string `json:"order"`
				Identical    bool   `json:"identical"`
				Messages     []any  `json:"messages"`
				Reply        struct {
					Content           string `json:"content"`
					SystemFingerprint string `json:"system_fingerprint"`
				} `json:"reply"`
				Verdict *float64 `json:"verdict"`
			} `json:"items"`
		}
		f.admin.JSON(t, http.MethodGet, c.Metadata["judgments"].(string), nil, http.StatusOK, &js)
		want := 2
		if len(js.Items) == 1 && js.Items[0].Identical {
			want = 1
		}
		if len(js.Items) != want {
			t.Fatalf("judgments of comparison %s: %d, want %d", c.ID, len(js.Items), want)
		}
		for _, j := range js.Items {
			if j.ComparisonID != c.ID || j.Verdict == nil || (!j.Identical && (j.RequestHash == "" || len(j.Messages) == 0 ||
				j.Reply.Content == "" || j.Reply.SystemFingerprint != "fp_fake")) {
				t.Errorf("judgment of comparison %s lacks provenance: %+v", c.ID, j)
			}
		}
	}
	// cand wins q0, q2, q4, q6 (longer), ties q8, loses q1, q5, q7.
	if sum != 4.5 {
		t.Errorf("sum of preferences = %v, want 4.5", sum)
	}
	var board struct {
		Ratings []struct {
			Model   string   `json:"model"`
			WinRate *float64 `json:"win_rate"`
		} `json:"ratings"`
	}
	f.admin.JSON(t, http.MethodGet, "/v1/evaluations/"+evalName+"/leaderboard?method=winrate&baseline=base", nil, http.StatusOK, &board)
	for _, r := range board.Ratings {
		// Rates are shares from 0 to 1.
		if r.Model == "cand" && (r.WinRate == nil || math.Abs(*r.WinRate-4.5/8) > 1e-9) {
			t.Errorf("win rate of cand = %v, want %v", deref(r.WinRate), 4.5/8)
		}
	}

	t.Run("a second run is answered from the cache", func(t *testing.T) {
		before := e.counts()
		job := waitJob(t, f.admin, startRun(t, f.admin, map[string]any{"judge": "mtb", "baseline": "base"}), 30*time.Second, ended)
		if job.Status != "succeeded" || job.Cached != n-1 || job.Cost != 0 || job.Tokens != 0 || job.Failed != 1 {
			t.Errorf("job = %+v; want %d cached items at no cost", job, n-1)
		}
		if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("calls %v → %v; want none", before, after)
		}
	})

	t.Run("401 fails the run at once", func(t *testing.T) {
		// Without the cache: the same requests were answered before.
		createJudge(t, f.admin, "wrong-key", e, "WRONG_JUDGE_KEY", "")
		start := time.Now()
		job := waitJob(t, f.admin, startRun(t, f.admin, map[string]any{"judge": "wrong-key", "baseline": "base", "cache": false}), 30*time.Second, ended)
		if job.Status != "failed" || !strings.Contains(job.Error, "401") || !strings.Contains(job.Error, "Incorrect API key provided") {
			t.Errorf("job = %+v; want failed with the endpoint's 401 message", job)
		}
		t.Logf("failed %s after the start: %s", time.Since(start).Round(time.Millisecond), job.Error)
	})

	t.Run("the command line waits for a run", func(t *testing.T) {
		cli := func(args ...string) (stdout, stderr string, err error) {
			cmd := exec.Command(Binary(t), args...)
			cmd.Env = append(os.Environ(), "RLHF_DATABASE_URL="+f.cluster.URL(dbName))
			cmd.Dir = t.TempDir()
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err = cmd.Run()
			return o.String(), e.String(), err
		}
		dir := t.TempDir()
		cfg := fmt.Sprintf(`{"name": "cli-judge", "kind": "pairwise", "order": "fixed",
			"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "JUDGE_E2E_KEY"}, "parser": {"type": "verdict"}}`, e.BaseURL())
		if err := os.WriteFile(filepath.Join(dir, "judge.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, errOut, err := cli("judges", "create", "--file", filepath.Join(dir, "judge.json")); err != nil || !strings.Contains(out, "judge cli-judge version 1") {
			t.Fatalf("judges create: %v\n%s%s", err, out, errOut)
		}
		if out, _, err := cli("judges", "list"); err != nil || !strings.Contains(out, "cli-judge") || !strings.Contains(out, "mtb") {
			t.Errorf("judges list: %v\n%s", err, out)
		}
		out, errOut, err := cli("judge", "run", "--evaluation", evalName, "--judge", "cli-judge", "--baseline", "base",
			"--models", "cand", "--no-cache", "--wait", "--poll", "100ms")
		if err != nil {
			t.Fatalf("judge run --wait: %v\n%s%s", err, out, errOut)
		}
		var job judgeJob
		if err := json.Unmarshal([]byte(out), &job); err != nil || job.Status != "succeeded" || job.Done != n || job.Failed != 1 {
			t.Errorf("judge run --wait printed %s (%v); want the succeeded job", out, err)
		}
		if !strings.Contains(errOut, fmt.Sprintf("succeeded %d/%d (1 failed)", n, n)) || !strings.Contains(errOut, "cost $") {
			t.Errorf("progress on stderr:\n%s", errOut)
		}
		out, errOut, err = cli("judge", "run", "--evaluation", evalName, "--judge", "wrong-key", "--baseline", "base", "--no-cache", "--wait", "--poll", "100ms")
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(out, `"status": "failed"`) || !strings.Contains(errOut, "401") {
			t.Errorf("a failing run with --wait: %v\nstdout %s\nstderr %s; want exit 1 and the failed job", err, out, errOut)
		}
	})

	t.Run("the command line runs a judge through the server with only an API key", func(t *testing.T) {
		cli := func(args ...string) (stdout, stderr string, err error) {
			cmd := exec.Command(Binary(t), args...)
			// The database URL leads nowhere: everything goes through the API.
			cmd.Env = append(os.Environ(), "RLHF_DATABASE_URL=postgres://nobody@127.0.0.1:1/none?connect_timeout=1",
				"RLHF_URL="+f.admin.Base, "RLHF_API_KEY="+f.admin.Key)
			cmd.Dir = t.TempDir()
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err = cmd.Run()
			return o.String(), e.String(), err
		}
		dir := t.TempDir()
		cfg := fmt.Sprintf(`{"name": "remote-judge", "kind": "pairwise", "order": "fixed",
			"endpoint": {"base_url": %q, "model": "judge-model", "api_key_env": "JUDGE_E2E_KEY"}, "parser": {"type": "verdict"}}`, e.BaseURL())
		if err := os.WriteFile(filepath.Join(dir, "judge.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, errOut, err := cli("judges", "create", "--file", filepath.Join(dir, "judge.json")); err != nil || !strings.Contains(out, "judge remote-judge version 1") {
			t.Fatalf("judges create: %v\n%s%s", err, out, errOut)
		}
		if out, _, err := cli("judges", "list", "--format", "csv"); err != nil || !strings.Contains(out, "remote-judge,1,pairwise") {
			t.Errorf("judges list: %v\n%s", err, out)
		}
		out, errOut, err := cli("judge", "run", "--evaluation", evalName, "--judge", "remote-judge", "--baseline", "base",
			"--models", "cand", "--no-cache", "--wait", "--poll", "100ms")
		if err != nil {
			t.Fatalf("judge run --wait: %v\n%s%s", err, out, errOut)
		}
		var job judgeJob
		if err := json.Unmarshal([]byte(out), &job); err != nil || job.Status != "succeeded" || job.Done != n {
			t.Errorf("judge run --wait printed %s (%v); want the succeeded job", out, err)
		}
		if !strings.Contains(errOut, fmt.Sprintf("%d/%d", n, n)) {
			t.Errorf("progress on stderr:\n%s", errOut)
		}
		if out, _, err := cli("jobs", "show", job.ID, "--format", "json"); err != nil || !strings.Contains(out, `"status": "succeeded"`) {
			t.Errorf("jobs show: %v\n%s", err, out)
		}
	})

	t.Run("cancel stops a run", func(t *testing.T) {
		slow := newJudgeEndpoint(t, 300*time.Millisecond, "")
		createJudge(t, f.admin, "slow", slow, "JUDGE_E2E_KEY", `, "limits": {"concurrency": 1}`)
		loc := startRun(t, f.admin, map[string]any{"judge": "slow", "baseline": "base", "cache": false})
		waitJob(t, f.admin, loc, 30*time.Second, func(j judgeJob) bool { return j.Done >= 1 })
		f.admin.JSON(t, http.MethodPost, loc+"/cancel", nil, http.StatusOK, nil)
		job := waitJob(t, f.admin, loc, 30*time.Second, ended)
		if job.Status != "cancelled" || job.Done >= n {
			t.Errorf("job = %+v; want cancelled before the end", job)
		}
		calls := 0
		for _, c := range slow.counts() {
			calls += c
		}
		time.Sleep(time.Second)
		later := 0
		for _, c := range slow.counts() {
			later += c
		}
		if later != calls || calls >= n {
			t.Errorf("calls %d, then %d a second later; want the run stopped", calls, later)
		}
	})
}

// TestJudgeRunSurvivesSIGKILL kills the service with SIGKILL in the middle of a
// judge run and starts a new process on the same database. The run finishes with
// every pair judged exactly once: one judgment and one comparison per pair, the
// job's counters equal to what is stored, and the endpoint asked a second time
// only for the pairs whose calls were in flight at the kill.
func TestJudgeRunSurvivesSIGKILL(t *testing.T) {
	NeedSlow(t)
	const n, concurrency = 300, 4
	env := []string{"RLHF_JOB_LEASE=2s", "RLHF_WORKERS=2", "JUDGE_E2E_KEY=" + judgeKey}
	f := setUp(t, env...)
	postPairs(t, f.admin, n, false)
	e := newJudgeEndpoint(t, 20*time.Millisecond, "")
	createJudge(t, f.admin, "killed", e, "JUDGE_E2E_KEY", fmt.Sprintf(`, "order": "fixed", "limits": {"concurrency": %d}`, concurrency))
	loc := startRun(t, f.admin, map[string]any{"judge": "killed", "baseline": "base"})

	atKill := waitJob(t, f.admin, loc, 30*time.Second, func(j judgeJob) bool { return j.Done >= n/4 })
	if err := f.svc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-f.svc.Exited()
	pool := f.pool(t)
	ctx := context.Background()
	var doneAtKill int64
	if err := pool.QueryRow(ctx, `SELECT done FROM jobs WHERE id = $1`, atKill.ID).Scan(&doneAtKill); err != nil {
		t.Fatal(err)
	}
	if doneAtKill <= 0 || doneAtKill >= n {
		t.Fatalf("at the kill the run had judged %d of %d pairs; the kill did not land mid-run", doneAtKill, n)
	}
	callsAtKill := e.counts()
	t.Logf("killed with %d of %d pairs judged, %d prompts asked", doneAtKill, n, len(callsAtKill))

	svc := StartService(t, f.cluster.URL(dbName), env...)
	admin := NewClient(svc.Base, f.key, clientTimeout)
	job := waitJob(t, admin, loc, 60*time.Second, ended)
	if job.Status != "succeeded" || job.Total != n || job.Done != n || job.Failed != 0 {
		t.Fatalf("job = %+v, want succeeded with %d of %d judged", job, n, n)
	}
	var attempts int
	if err := pool.QueryRow(ctx, `SELECT attempts FROM jobs WHERE id = $1`, job.ID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Errorf("the run took %d attempt(s); the second process did not take it over", attempts)
	}

	// Stored: exactly one judgment per pair and one comparison per pair.
	var items, judgments, repeated, comparisons int64
	var cost float64
	var tokens int64
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT item), count(*), COALESCE(sum(cost), 0), COALESCE(sum(input_tokens + output_tokens), 0)
		FROM judgments WHERE job_id = $1`, job.ID).Scan(&items, &judgments, &cost, &tokens); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT item FROM judgments WHERE job_id = $1 GROUP BY item HAVING count(*) > 1) x`,
		job.ID).Scan(&repeated); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM comparisons WHERE annotator = 'killed' AND metadata ->> 'job_id' = $1`,
		job.ID).Scan(&comparisons); err != nil {
		t.Fatal(err)
	}
	if items != n || judgments != n || repeated != 0 || comparisons != n {
		t.Errorf("stored %d items, %d judgments (%d items twice), %d comparisons; want %d of each and none twice", items, judgments, repeated, comparisons, n)
	}
	// The job's counters commit with the items, so they equal what is stored.
	if job.Tokens != tokens || math.Abs(job.Cost-cost) > 1e-9 {
		t.Errorf("job tokens %d cost %v; stored %d and %v", job.Tokens, job.Cost, tokens, cost)
	}

	// At the endpoint: every pair asked, and a pair asked twice only when its
	// call was in flight at the kill (at most one per concurrent call).
	calls := e.counts()
	twice := 0
	for prompt, c := range calls {
		switch {
		case c == 2 && callsAtKill[prompt] == 1:
			twice++
		case c != 1:
			t.Errorf("prompt %q asked %d times (%d before the kill)", prompt, c, callsAtKill[prompt])
		}
	}
	if len(calls) != n || twice > concurrency {
		t.Errorf("%d prompts asked, %d of them twice; want %d, at most %d twice", len(calls), twice, n, concurrency)
	}
	t.Logf("%d pairs, each judged once; %d asked again after the kill", n, twice)
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
