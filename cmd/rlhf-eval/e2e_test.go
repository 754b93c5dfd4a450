package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// buildBinary compiles the program once per test run.
var buildOnce struct {
	sync.Once
	path string
	err  error
}

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "rlhf-eval-e2e")
		if err != nil {
			buildOnce.err = err
			return
		}
		buildOnce.path = filepath.Join(dir, "rlhf-eval")
		out, err := exec.Command("go", "build", "-o", buildOnce.path, ".").CombinedOutput()
		if err != nil {
			buildOnce.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildOnce.err != nil {
		t.Fatal(buildOnce.err)
	}
	return buildOnce.path
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// server is a running rlhf-eval serve process.
type server struct {
	cmd  *exec.Cmd
	base string
	env  []string
	logs *lockedBuffer
	done chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs the binary against the package's database on a free port and
// waits until it is ready.
func startServer(t *testing.T, extraEnv ...string) *server {
	t.Helper()
	bin := binary(t)
	port := freePort(t)
	env := append(os.Environ(),
		"RLHF_DATABASE_URL="+testdb.URL(t),
		fmt.Sprintf("RLHF_API_PORT=%d", port),
		"RLHF_API_HOST=127.0.0.1",
	)
	env = append(env, extraEnv...)
	s := &server{base: fmt.Sprintf("http://127.0.0.1:%d", port), env: env, logs: &lockedBuffer{}, done: make(chan error, 1)}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = env
	s.cmd.Dir = t.TempDir() // no stray .env
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.done
		if t.Failed() {
			t.Logf("server log:\n%s", s.logs.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready after 30s; log:\n%s", s.logs.String())
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited: %v; log:\n%s", err, s.logs.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// walkthrough returns the shell blocks of the README's Walkthrough section.
func walkthrough(t *testing.T) string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var script strings.Builder
	in, inBlock := false, false
	sc := bufio.NewScanner(bytes.NewReader(readme))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Walkthrough"
		case in && line == "```sh":
			inBlock = true
		case in && inBlock && line == "```":
			inBlock = false
		case in && inBlock:
			script.WriteString(line + "\n")
		}
	}
	if script.Len() == 0 {
		t.Fatal("README has no walkthrough shell blocks")
	}
	return script.String()
}

// repoStatus lists the repository's changed and untracked files.
func repoStatus(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", "../..", "status", "--porcelain", "--untracked-files=all").Output()
	if err != nil {
		t.Fatalf("git status: %v", err)
	}
	return string(out)
}

// TestREADMEWalkthrough runs the README's walkthrough, as written, against the built
// binary and a real database, so the README cannot drift from the truth. It runs it
// twice from the repository root, as a reader would: the second run must give the
// same results, and neither may write into the repository.
func TestREADMEWalkthrough(t *testing.T) {
	s := startServer(t)
	bin := binary(t)
	script := walkthrough(t)
	script = strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(s.base, "http://"))
	script = strings.ReplaceAll(script, "./bin/rlhf-eval", bin)
	before := repoStatus(t)
	var stdout bytes.Buffer
	for run := 1; run <= 2; run++ {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
		cmd.Env = s.env
		cmd.Dir = "../.."
		var stderr bytes.Buffer
		stdout.Reset()
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("walkthrough run %d failed: %v\nstdout:\n%s\nstderr:\n%s", run, err, stdout.String(), stderr.String())
		}
	}
	if after := repoStatus(t); after != before {
		t.Errorf("the walkthrough wrote into the repository:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	// Every command prints JSON documents (curl replies, CLI JSON, JSONL lines);
	// decode them in order and check the ones that matter.
	dec := json.NewDecoder(&stdout)
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("walkthrough output is not a sequence of JSON documents: %v\n%s", err, stdout.String())
		}
		docs = append(docs, d)
	}
	find := func(what string, pred func(d map[string]any) bool) map[string]any {
		t.Helper()
		for _, d := range docs {
			if pred(d) {
				return d
			}
		}
		t.Fatalf("walkthrough printed no %s", what)
		return nil
	}
	items := func(d map[string]any) []any { v, _ := d["items"].([]any); return v }
	obj := func(v any) map[string]any { m, _ := v.(map[string]any); return m }

	find("evaluation chat-v1", func(d map[string]any) bool { return d["name"] == "chat-v1" && d["description"] == "checkpoint 1" })
	batch := find("ingest of chat-v1", func(d map[string]any) bool {
		return d["created"] == 3.0 && len(items(d)) == 3 && obj(items(d)[0])["model"] == "chat-v1"
	})
	if batch == nil {
		return
	}
	find("re-post returning the stored response", func(d map[string]any) bool {
		return d["id"] == obj(items(batch)[0])["id"] && d["response"] == "Air scatters blue sunlight more than red light."
	})
	passed := find("list of passing responses", func(d map[string]any) bool {
		return len(items(d)) == 2 && obj(items(d)[0])["model"] == "chat-v2" && d["next_cursor"] != nil
	})
	for _, it := range items(passed) {
		sc := obj(obj(obj(it)["scores"])["length"])
		if sc["passed"] != true {
			t.Errorf("listed response did not pass length: %v", sc)
		}
	}
	summary := find("summary", func(d map[string]any) bool {
		e, _ := d["evaluation"].(map[string]any)
		return e != nil && e["name"] == "chat-v2" && d["scorers"] != nil
	})
	for _, r := range summary["scorers"].([]any) {
		row := obj(r)
		if row["n"] != 3.0 {
			t.Errorf("summary row %v has n %v, want 3", row["scorer"], row["n"])
		}
		if row["scorer"] == "bleu" && obj(row["corpus"])["score"] == nil {
			t.Errorf("bleu summary has no corpus score: %v", row)
		}
		if row["scorer"] == "refusal" && row["mean"] != 1.0/3 {
			t.Errorf("refusal mean = %v, want 1/3 (one refusal of three)", row["mean"])
		}
	}
	diffs := 0
	for _, d := range docs {
		if obj(d["base"])["name"] == "chat-v1" && obj(d["candidate"])["name"] == "chat-v2" {
			diffs++
			for _, r := range d["scorers"].([]any) {
				if obj(r)["n_pairs"] != 3.0 {
					t.Errorf("diff row %v pairs %v prompts, want 3", obj(r)["scorer"], obj(r)["n_pairs"])
				}
			}
		}
	}
	if diffs != 2 {
		t.Errorf("walkthrough printed %d diffs, want 2 (API and CLI)", diffs)
	}
	find("stateless scores", func(d map[string]any) bool {
		if len(items(d)) != 1 {
			return false
		}
		sc := obj(obj(items(d)[0])["scores"])
		return obj(sc["pii"])["value"] == 1.0 && obj(sc["chrf_pp"])["value"] != nil
	})
	find("offline score line b", func(d map[string]any) bool {
		return d["id"] == "b" && obj(obj(d["scores"])["refusal"])["value"] == 1.0
	})
	lb := find("leaderboard", func(d map[string]any) bool { return d["method"] == "bt" })
	if r := lb["ratings"].([]any); len(r) != 2 || obj(r[0])["model"] != "chat-v1" {
		t.Errorf("leaderboard ratings = %v, want chat-v1 first of two", r)
	}
	ag := find("agreement", func(d map[string]any) bool { return d["cohen_kappa"] != nil })
	if ag["items"] != 2.0 || ag["annotators"] != 2.0 {
		t.Errorf("agreement = %v, want 2 items judged by 2 annotators", ag)
	}
	// Both pairs favour chat-v1 on average, so both export with it chosen.
	dpo := 0
	for _, d := range docs {
		if d["chosen"] != nil {
			dpo++
			if d["chosen"] != "Air scatters blue sunlight more than red light." && d["chosen"] != "Seven is a prime number." {
				t.Errorf("DPO line chose %q", d["chosen"])
			}
		}
	}
	if dpo != 2 {
		t.Errorf("DPO export has %d lines, want 2", dpo)
	}
}

// TestGracefulShutdown sends SIGTERM while a bulk POST is still streaming its
// body: the request completes and its responses are stored, new connections are
// refused, and the process exits 0 within the shutdown timeout.
func TestGracefulShutdown(t *testing.T) {
	s := startServer(t, "RLHF_SHUTDOWN_TIMEOUT=10s")
	key := createKey(t, s.env, "write")
	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/v1/evaluations", `{"name":"shutdown"}`); res.StatusCode != 201 {
		t.Fatalf("create evaluation: %d", res.StatusCode)
	}
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("POST", s.base+"/v1/evaluations/shutdown/responses", pr)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/x-ndjson")
	type result struct {
		status int
		body   string
		err    error
	}
	res := make(chan result, 1)
	go func() {
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		res <- result{status: r.StatusCode, body: string(b)}
	}()
	fmt.Fprintln(pw, `{"external_id":"s1","model":"m","prompt":"p","response":"first"}`)
	time.Sleep(300 * time.Millisecond)
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := net.DialTimeout("tcp", strings.TrimPrefix(s.base, "http://"), 200*time.Millisecond); err == nil {
		t.Errorf("server still accepts connections after SIGTERM")
	}
	fmt.Fprintln(pw, `{"external_id":"s2","model":"m","prompt":"p","response":"second"}`)
	pw.Close()
	select {
	case r := <-res:
		if r.err != nil || r.status != 201 || !strings.Contains(r.body, `"created":2`) {
			t.Errorf("in-flight request = %d %s, %v; want 201 with 2 created", r.status, r.body, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("in-flight request did not finish")
	}
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("exit = %v, want 0", err)
		}
		s.done <- err // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("process did not exit within the shutdown timeout")
	}
	if !strings.Contains(s.logs.String(), `"msg":"stopped"`) {
		t.Errorf("no clean stop logged:\n%s", s.logs.String())
	}
}

// createKey makes an API key with the CLI.
func createKey(t *testing.T, env []string, scope string) string {
	t.Helper()
	cmd := exec.Command(binary(t), "keys", "create", "--name", "e2e-"+scope, "--scope", scope)
	cmd.Env, cmd.Dir = env, t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	cases := map[string]string{
		"RLHF_API_PORT=http":            `invalid RLHF_API_PORT="http"`,
		"RLHF_DATABASE_POOL_SIZE=5000":  `invalid RLHF_DATABASE_POOL_SIZE="5000"`,
		"RLHF_LOG_LEVEL=loud":           `invalid RLHF_LOG_LEVEL="loud"`,
		"RLHF_SHUTDOWN_TIMEOUT=soon":    `invalid RLHF_SHUTDOWN_TIMEOUT="soon"`,
		"RLHF_AUTO_MIGRATE=perhaps":     `invalid RLHF_AUTO_MIGRATE="perhaps"`,
		"RLHF_MAX_BODY_BYTES=-1":        `invalid RLHF_MAX_BODY_BYTES="-1"`,
		"RLHF_DATABASE_URL=mysql://x/y": `invalid RLHF_DATABASE_URL="mysql://x/y"`,
		"RLHF_DEBUG=maybe":              `invalid RLHF_DEBUG="maybe"`,
		"RLHF_API_PORT=70000":           `invalid RLHF_API_PORT="70000"`,
		"RLHF_SHUTDOWN_TIMEOUT=-5s":     `invalid RLHF_SHUTDOWN_TIMEOUT="-5s"`,
		"RLHF_DATABASE_POOL_SIZE=ten":   `invalid RLHF_DATABASE_POOL_SIZE="ten"`,
		"RLHF_MAX_BODY_BYTES=1gigabyte": `invalid RLHF_MAX_BODY_BYTES="1gigabyte"`,
		"RLHF_API_HOST=bad host":        `invalid RLHF_API_HOST="bad host"`,
	}
	for envLine, want := range cases {
		t.Run(envLine, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, "migrate", "status")
			cmd.Env = append(os.Environ(), envLine)
			cmd.Dir = t.TempDir()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 2 {
				t.Fatalf("exit = %v, want code 2", err)
			}
			lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], want) || !strings.Contains(lines[0], "must be") {
				t.Errorf("stderr = %q, want one line with %q and what is allowed", stderr.String(), want)
			}
		})
	}
}

// TestDotEnv checks that .env is read and that the real environment wins.
func TestDotEnv(t *testing.T) {
	t.Parallel()
	bin := binary(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("RLHF_LOG_LEVEL=shout\nRLHF_API_PORT=1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) string {
		cmd := exec.Command(bin, "migrate", "status")
		cmd.Env = append(os.Environ(), env...)
		cmd.Dir = dir
		out, _ := cmd.CombinedOutput()
		return string(out)
	}
	if out := run(); !strings.Contains(out, `RLHF_LOG_LEVEL="shout"`) {
		t.Errorf("the .env value was not read: %s", out)
	}
	out := run("RLHF_LOG_LEVEL=info", "RLHF_DATABASE_URL="+testdb.URL(t))
	if strings.Contains(out, "shout") || !strings.Contains(out, "applied") {
		t.Errorf("the environment did not win over .env: %s", out)
	}
}

// TestKeysCLI checks the bootstrap key commands against the database directly.
func TestKeysCLI(t *testing.T) {
	bin := binary(t)
	env := append(os.Environ(), "RLHF_DATABASE_URL="+testdb.URL(t))
	run := func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env, cmd.Dir = env, t.TempDir()
		out, err := cmd.Output()
		return string(out), err
	}
	out, err := run("keys", "create", "--name", "cli", "--scope", "read,write")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	key := lines[len(lines)-1]
	if !regexp.MustCompile(`^rlhf_[0-9A-Za-z]{38}$`).MatchString(key) {
		t.Fatalf("last line %q is not a key", key)
	}
	out, err = run("keys", "create", "--name", "cli-json", "--scope", "admin", "--format", "json")
	if err != nil {
		t.Fatal(err)
	}
	var created struct {
		ID, Key string
		Scopes  []string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Key == "" || created.Scopes[0] != "admin" {
		t.Fatalf("json output %q: %v", out, err)
	}
	out, err = run("keys", "list")
	if err != nil || !strings.Contains(out, "cli-json") || strings.Contains(out, created.Key) {
		t.Errorf("keys list = %q, %v (must list the key without its secret)", out, err)
	}
	if out, err = run("keys", "revoke", created.ID); err != nil || !strings.Contains(out, "revoked") {
		t.Errorf("keys revoke = %q, %v", out, err)
	}
	out, _ = run("keys", "list", "--format", "json")
	if !strings.Contains(out, `"revoked_at": "`) {
		t.Errorf("revoked key not shown as revoked: %s", out)
	}
	if _, err := run("keys", "create", "--name", "x", "--scope", "root"); err == nil {
		t.Errorf("keys create with an unknown scope succeeded")
	}
}
