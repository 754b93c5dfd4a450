package main

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// cliJob is the part of a job the CLI's JSON shows that the test reads.
type cliJob struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Total  int64  `json:"total"`
	Done   int64  `json:"done"`
}

func showJob(t *testing.T, id string) cliJob {
	t.Helper()
	out, errOut, code := runCLI(t, "jobs", "show", id, "--format", "json")
	if code != 0 {
		t.Fatalf("jobs show: exit %d: %s", code, errOut)
	}
	var j cliJob
	if err := json.Unmarshal([]byte(out), &j); err != nil {
		t.Fatalf("jobs show: %v in %q", err, out)
	}
	return j
}

// TestWorkerCommandRunsJobs starts an API without workers, so jobs wait in the
// queue, then a separate worker process that runs them, then stops it with
// SIGTERM; the jobs commands read and cancel them from the database.
func TestWorkerCommandRunsJobs(t *testing.T) {
	s := startServer(t, "RLHF_WORKERS=0")
	key := createKey(t, s.env, "admin")
	do := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, s.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	for _, name := range []string{"jobs-a", "jobs-b"} {
		if res := do("POST", "/v1/evaluations", `{"name":"`+name+`","scorers":[{"type":"length"}]}`); res.StatusCode != 201 {
			t.Fatalf("create %s: %d", name, res.StatusCode)
		}
		if res := do("POST", "/v1/evaluations/"+name+"/responses",
			`[{"model":"m","prompt":"p1","response":"one two"},{"model":"m","prompt":"p2","response":"three"}]`); res.StatusCode != 201 {
			t.Fatalf("ingest into %s: %d", name, res.StatusCode)
		}
	}
	rescore := func(name string) string {
		t.Helper()
		res := do("PATCH", "/v1/evaluations/"+name, `{"scorers":[{"type":"length","name":"words"}]}`)
		loc := res.Header.Get("Location")
		if res.StatusCode != 200 || !strings.HasPrefix(loc, "/v1/jobs/") {
			t.Fatalf("patch %s = %d, Location %q", name, res.StatusCode, loc)
		}
		return strings.TrimPrefix(loc, "/v1/jobs/")
	}
	a, b := rescore("jobs-a"), rescore("jobs-b")

	// No worker runs yet: both wait; one is cancelled from the CLI.
	if j := showJob(t, a); j.Status != "queued" || j.Kind != "rescore" {
		t.Fatalf("job a = %+v, want a queued rescore", j)
	}
	out, errOut, code := runCLI(t, "jobs", "cancel", b, "--format", "json")
	if code != 0 || !strings.Contains(out, `"status": "cancelled"`) {
		t.Fatalf("jobs cancel = exit %d, %s %s", code, out, errOut)
	}
	out, _, code = runCLI(t, "jobs", "list", "--kind", "rescore", "--status", "queued")
	if code != 0 || !strings.Contains(out, a) || strings.Contains(out, b) {
		t.Errorf("jobs list --status queued = exit %d:\n%s\nwant job a and not b", code, out)
	}

	// A purge cannot be cancelled; the CLI says why.
	res := do("DELETE", "/v1/evaluations/jobs-b", "")
	purge := strings.TrimPrefix(res.Header.Get("Location"), "/v1/jobs/")
	if res.StatusCode != 202 || purge == "" {
		t.Fatalf("delete = %d, Location %q", res.StatusCode, res.Header.Get("Location"))
	}
	if _, errOut, code := runCLI(t, "jobs", "cancel", purge); code == 0 || !strings.Contains(errOut, "a purge cannot be cancelled") {
		t.Errorf("jobs cancel (purge) = exit %d, %q; want a failure saying why", code, errOut)
	}

	worker := exec.Command(binary(t), "worker")
	worker.Env = append(append([]string{}, s.env...), "RLHF_WORKERS=2")
	worker.Dir = t.TempDir()
	logs := &lockedBuffer{}
	worker.Stdout, worker.Stderr = logs, logs
	if err := worker.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- worker.Wait() }()
	t.Cleanup(func() {
		_ = worker.Process.Kill()
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		j := showJob(t, a)
		if j.Status == "succeeded" {
			if j.Done != 2 || j.Total != 2 {
				t.Errorf("job a = %+v, want 2 of 2 done", j)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not finish job a: %+v", j)
		}
	}
	if j := showJob(t, b); j.Status != "cancelled" {
		t.Errorf("job b = %s after the worker ran, want still cancelled", j.Status)
	}
	for deadline := time.Now().Add(20 * time.Second); showJob(t, purge).Status != "succeeded"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the worker did not finish the purge: %+v", showJob(t, purge))
		}
	}

	if err := worker.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("worker exit = %v, want 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the worker did not exit after SIGTERM")
	}
	if !strings.Contains(logs.String(), `"msg":"job workers stopped"`) {
		t.Errorf("no clean stop logged:\n%s", logs.String())
	}

	if _, errOut, code := runCLI(t, "jobs", "show", "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f"); code == 0 || !strings.Contains(errOut, "not found") {
		t.Errorf("jobs show (unknown) = exit %d, %q; want not found", code, errOut)
	}
}

func TestWorkerCommandNeedsWorkers(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(binary(t), "worker")
	cmd.Env = []string{"RLHF_WORKERS=0", "RLHF_DATABASE_URL=postgres://127.0.0.1:1/none"}
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "RLHF_WORKERS=0: a worker process needs at least one worker") {
		t.Errorf("worker with RLHF_WORKERS=0 = %v, %q; want a refusal", err, out)
	}
}

func TestJobConfigErrors(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"RLHF_WORKERS=-1":          `invalid RLHF_WORKERS="-1": must be an integer from 0`,
		"RLHF_WORKERS=many":        `invalid RLHF_WORKERS="many"`,
		"RLHF_JOB_TIMEOUT=0s":      `invalid RLHF_JOB_TIMEOUT="0s"`,
		"RLHF_JOB_RESCUE_AFTER=1h": `invalid RLHF_JOB_RESCUE_AFTER="1h0m0s": must be a Go duration at least RLHF_JOB_TIMEOUT`,
		"RLHF_JOB_LEASE=soon":      `invalid RLHF_JOB_LEASE="soon"`,
		"RLHF_JOB_LEASE=100ms":     `invalid RLHF_JOB_LEASE="100ms"`,
		"RLHF_JOB_RETENTION=-1h":   `invalid RLHF_JOB_RETENTION="-1h": must be 0 (keep every finished job)`,
		"RLHF_JOB_RETENTION=10m":   `invalid RLHF_JOB_RETENTION="10m"`,
		"RLHF_JOB_RETENTION=30d":   `invalid RLHF_JOB_RETENTION="30d"`,
	}
	for envLine, want := range cases {
		t.Run(envLine, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(binary(t), "migrate", "status")
			cmd.Env = []string{envLine}
			cmd.Dir = t.TempDir()
			out, err := cmd.CombinedOutput()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), want) {
				t.Errorf("exit %v, output %q; want exit 2 with %q", err, out, want)
			}
		})
	}
}
