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

// TestREADMEWalkthrough runs the README's walkthrough, as written, against the built
// binary and a real database, so the README cannot drift from the truth.
func TestREADMEWalkthrough(t *testing.T) {
	s := startServer(t)
	bin := binary(t)
	script := walkthrough(t)
	script = strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(s.base, "http://"))
	script = strings.ReplaceAll(script, "./bin/rlhf-eval", bin)
	// The last command's output is what a reader sees at the end; keep each
	// command's output apart to check them.
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Env = s.env
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("walkthrough failed: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	// Each curl prints one JSON document; decode them in order.
	dec := json.NewDecoder(&stdout)
	var docs []map[string]any
	for {
		var d map[string]any
		if err := dec.Decode(&d); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("walkthrough output is not a sequence of JSON documents: %v", err)
		}
		docs = append(docs, d)
	}
	if len(docs) != 6 {
		t.Fatalf("walkthrough printed %d JSON documents, want 6 (one per curl)", len(docs))
	}
	if docs[0]["name"] != "demo" {
		t.Errorf("evaluation = %v", docs[0])
	}
	if docs[1]["created"] != 2.0 {
		t.Errorf("ingest = %v, want 2 created", docs[1])
	}
	if docs[2]["id"] != docs[1]["items"].([]any)[0].(map[string]any)["id"] {
		t.Errorf("re-post returned %v, want the stored response", docs[2]["id"])
	}
	passed := docs[3]["items"].([]any)
	if len(passed) != 2 {
		t.Errorf("passed responses = %d, want 2", len(passed))
	}
	for _, p := range passed {
		sc := p.(map[string]any)["scores"].(map[string]any)["length"].(map[string]any)
		if sc["passed"] != true || sc["value"].(float64) <= 0 {
			t.Errorf("length score = %v", sc)
		}
	}
	if docs[4]["winner"] != "b" || docs[4]["model_b"] != "tuned" {
		t.Errorf("comparison = %v", docs[4])
	}
	if items := docs[5]["items"].([]any); len(items) != 1 || items[0].(map[string]any)["annotator"] != "alice" {
		t.Errorf("comparison list = %v", docs[5])
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
