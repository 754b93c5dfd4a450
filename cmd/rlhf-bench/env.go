package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
)

// env is what a run sets up: a fresh database, the service running on it, an API
// key, a pool for the baselines, and a description of the machine.
type env struct {
	adminURL string
	dbName   string
	dbURL    string
	keep     bool
	tmp      string
	svc      *service
	api      *apiClient
	pool     *pgxpool.Pool
	machine  machine
	big      *bigEval // the large evaluation, once loaded
}

// setUp creates the database, builds and starts the service and makes a key. On
// error it returns what it set up so far, for tearDown.
func setUp(ctx context.Context, o options, logf func(string, ...any)) (*env, error) {
	e := &env{adminURL: o.adminURL, keep: o.keep || o.reuse != ""}
	tmp, err := os.MkdirTemp("", "rlhf-bench")
	if err != nil {
		return nil, err
	}
	e.tmp = tmp
	if o.reuse != "" {
		e.dbName = o.reuse
		if e.dbURL, err = postgres.WithDatabase(o.adminURL, e.dbName); err != nil {
			return e, err
		}
		logf("reusing database %s", e.dbName)
	} else {
		var suffix [4]byte
		_, _ = rand.Read(suffix[:])
		e.dbName = fmt.Sprintf("rlhf_bench_%s_%s", time.Now().UTC().Format("20060102_150405"), hex.EncodeToString(suffix[:]))
		if e.dbURL, err = postgres.WithDatabase(o.adminURL, e.dbName); err != nil {
			return e, err
		}
		if err := adminExec(ctx, o.adminURL, "CREATE DATABASE "+pgx.Identifier{e.dbName}.Sanitize()); err != nil {
			return e, fmt.Errorf("create the benchmark database: %w", err)
		}
		logf("created database %s", e.dbName)
	}

	bin := o.binary
	e.machine.Revision = "a prebuilt binary (--binary)"
	if bin == "" {
		e.machine.Revision = revision(ctx)
		bin = filepath.Join(tmp, "rlhf-eval")
		logf("building rlhf-eval")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/rlhf-eval/rlhf-eval/cmd/rlhf-eval").CombinedOutput()
		if err != nil {
			return e, fmt.Errorf("go build ./cmd/rlhf-eval (run from inside the repository): %v\n%s", err, out)
		}
	}
	// The service runs with its defaults: RLHF_ variables of the caller's
	// environment are left out, so every run measures the same configuration.
	var svcEnv []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RLHF_") {
			svcEnv = append(svcEnv, kv)
		}
	}
	svcEnv = append(svcEnv, "RLHF_DATABASE_URL="+e.dbURL, "RLHF_API_HOST=127.0.0.1")
	if e.svc, err = startService(ctx, bin, svcEnv, tmp); err != nil {
		return e, err
	}
	logf("rlhf-eval serving on %s (log: %s)", e.svc.base, e.svc.logPath)
	key, err := createKey(ctx, bin, svcEnv, tmp)
	if err != nil {
		return e, err
	}
	e.api = newAPIClient(e.svc.base, key)
	if e.pool, err = pgxpool.New(ctx, e.dbURL); err != nil {
		return e, fmt.Errorf("open a pool on the benchmark database: %w", err)
	}
	e.machine = describeMachine(ctx, e.pool, e.machine.Revision)
	return e, nil
}

// tearDown stops the service and drops the database (unless --keep). It runs
// after cancellation too, so an interrupted run leaves nothing behind.
func (e *env) tearDown(logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if e.svc != nil {
		if err := e.svc.stop(); err != nil {
			logf("stopping rlhf-eval: %v (log: %s)", err, e.svc.logPath)
		}
	}
	if e.pool != nil {
		e.pool.Close()
	}
	if e.dbURL != "" {
		if e.keep {
			logf("kept database: %s", e.dbURL)
		} else if err := adminExec(ctx, e.adminURL, "DROP DATABASE IF EXISTS "+pgx.Identifier{e.dbName}.Sanitize()+" WITH (FORCE)"); err != nil {
			logf("dropping database %s: %v", e.dbName, err)
		} else {
			logf("dropped database %s", e.dbName)
		}
	}
	if e.tmp != "" && !e.keep {
		_ = os.RemoveAll(e.tmp)
	}
}

func adminExec(ctx context.Context, adminURL, sql string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// service is a running `rlhf-eval serve`.
type service struct {
	cmd     *exec.Cmd
	base    string
	logPath string
	logFile *os.File
	done    chan error
}

// startService runs the binary on a free port with its log in dir and waits until
// /readyz answers 200.
func startService(ctx context.Context, bin string, env []string, dir string) (*service, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &service{base: fmt.Sprintf("http://127.0.0.1:%d", port), logPath: filepath.Join(dir, "rlhf-eval.log"), done: make(chan error, 1)}
	if s.logFile, err = os.Create(s.logPath); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = append(env, fmt.Sprintf("RLHF_API_PORT=%d", port))
	s.cmd.Dir = dir // no stray .env
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	if err := s.cmd.Start(); err != nil {
		s.logFile.Close()
		return nil, fmt.Errorf("start rlhf-eval: %w", err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		res, err := http.Get(s.base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) {
			_ = s.stop()
			return nil, fmt.Errorf("rlhf-eval not ready after 60s; log:\n%s", s.logTail())
		}
		select {
		case err := <-s.done:
			s.done <- err
			return nil, fmt.Errorf("rlhf-eval exited at start (%v); log:\n%s", err, s.logTail())
		case <-ctx.Done():
			_ = s.stop()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM and waits for a clean exit, killing the process after 30s.
func (s *service) stop() error {
	defer s.logFile.Close()
	select {
	case err := <-s.done: // already gone
		return err
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.done:
		return err
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		return errors.New("no exit 30s after SIGTERM; killed")
	}
}

func (s *service) logTail() string {
	b, _ := os.ReadFile(s.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// createKey makes an admin API key with the CLI, as the README does.
func createKey(ctx context.Context, bin string, env []string, dir string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "keys", "create", "--name", "bench", "--scope", "admin")
	cmd.Env, cmd.Dir = env, dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("rlhf-eval keys create: %v: %s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// apiClient talks to the service with one key over kept-alive connections.
type apiClient struct {
	base, key string
	hc        *http.Client
}

func newAPIClient(base, key string) *apiClient {
	return &apiClient{base: base, key: key, hc: newHTTPClient(128)}
}

// newHTTPClient keeps up to conns connections alive to one host, so load tests
// measure requests rather than TCP handshakes.
func newHTTPClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Minute,
		Transport: &http.Transport{
			MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute,
			DisableCompression: true, ForceAttemptHTTP2: false,
		},
	}
}

// do sends one request and returns the status and body.
func (a *apiClient) do(ctx context.Context, method, path, contentType string, body []byte) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// timed sends one request, reads the whole reply (keeping only its start, for
// errors) and returns how long that took; a status other than want is an error.
func (a *apiClient) timed(ctx context.Context, method, path, contentType string, body []byte, want int, header ...string) (time.Duration, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, r)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	start := time.Now()
	res, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	head := make([]byte, 300)
	n, _ := io.ReadFull(res.Body, head)
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != want {
		return 0, fmt.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, want, head[:n])
	}
	return d, nil
}

// createEvaluation creates an evaluation with scorers and returns its id.
func (a *apiClient) createEvaluation(ctx context.Context, name string, scorers []map[string]any) (string, error) {
	body, _ := json.Marshal(map[string]any{"name": name, "scorers": scorers})
	status, b, err := a.do(ctx, http.MethodPost, "/v1/evaluations", "application/json", body)
	if err != nil {
		return "", err
	}
	if status != http.StatusCreated {
		return "", fmt.Errorf("create evaluation %s: status %d: %.300s", name, status, b)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("create evaluation %s: no id in %.300s", name, b)
	}
	return out.ID, nil
}

// machine describes where the figures were measured.
type machine struct {
	CPU, Cores, RAM, PostgreSQL, Go, Date string
	// LoadBefore is /proc/loadavg's 1-minute figure when the run started: other
	// work on the machine shows up in the baselines too, but it is worth knowing.
	LoadBefore string
	// Revision is the commit the service was built from, "+ local changes" when
	// the working tree differed from it.
	Revision string
}

// revision names the commit the working tree is at, and whether it has changes.
func revision(ctx context.Context) string {
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	status, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output()
	if err == nil && len(bytes.TrimSpace(status)) > 0 {
		rev += " + local changes"
	}
	return rev
}

// loadAverage is the 1-minute load average, or "unknown".
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

func describeMachine(ctx context.Context, pool *pgxpool.Pool, revision string) machine {
	m := machine{
		CPU:        "unknown",
		Cores:      fmt.Sprint(runtime.NumCPU()),
		RAM:        "unknown",
		PostgreSQL: "unknown",
		Go:         runtime.Version(),
		Date:       time.Now().UTC().Format("2006-01-02 15:04 MST"),
		LoadBefore: loadAverage(),
		Revision:   revision,
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err == nil {
			m.RAM = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
		}
	}
	var v, sb string
	if err := pool.QueryRow(ctx, "SELECT current_setting('server_version'), current_setting('shared_buffers')").Scan(&v, &sb); err == nil {
		m.PostgreSQL = fmt.Sprintf("%s (shared_buffers %s)", v, sb)
	}
	return m
}
