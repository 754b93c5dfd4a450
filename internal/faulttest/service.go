package faulttest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// build is the binary, compiled once per test binary: the one piece of package
// state here, like the database of internal/testdb.
var build struct {
	sync.Once
	path string
	err  error
}

// Binary builds cmd/rlhf-eval once and returns its path.
func Binary(t testing.TB) string {
	t.Helper()
	build.Do(func() {
		dir, err := os.MkdirTemp("", "rlhf-faulttest-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.path = filepath.Join(dir, "rlhf-eval")
		out, err := exec.Command("go", "build", "-o", build.path, "github.com/rlhf-eval/rlhf-eval/cmd/rlhf-eval").CombinedOutput()
		if err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.path
}

// RemoveBinary deletes what Binary built; call it from TestMain after m.Run.
func RemoveBinary() {
	if build.path != "" {
		_ = os.RemoveAll(filepath.Dir(build.path))
	}
}

// Service is a running "rlhf-eval serve" process.
type Service struct {
	// Base is the API's base URL, http://127.0.0.1:port.
	Base string
	env  []string
	cmd  *exec.Cmd
	logs *syncBuffer

	exited   chan struct{}
	exitErr  error
	exitedAt time.Time
}

// StartService runs the binary against dbURL on a free port with extra
// environment lines, and waits until /readyz answers 200. The process is killed
// when the test ends.
func StartService(t testing.TB, dbURL string, env ...string) *Service {
	t.Helper()
	bin := Binary(t)
	port := freePort(t)
	s := &Service{
		Base: fmt.Sprintf("http://127.0.0.1:%d", port),
		env: append(append(os.Environ(),
			"RLHF_DATABASE_URL="+dbURL,
			"RLHF_API_HOST=127.0.0.1",
			fmt.Sprintf("RLHF_API_PORT=%d", port),
			"RLHF_LOG_LEVEL=info",
		), env...),
		logs:   &syncBuffer{},
		exited: make(chan struct{}),
	}
	s.cmd = exec.Command(bin, "serve")
	s.cmd.Env = s.env
	s.cmd.Dir = t.TempDir() // no stray .env
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := s.cmd.Wait()
		s.exitErr, s.exitedAt = err, time.Now()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			t.Logf("service %s log, warnings and errors but 503s (first 30):\n%s", s.Base, head(s.problems(), 30))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(s.Base + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("service not ready after 30s; log:\n%s", s.logs.String())
		}
		select {
		case <-s.exited:
			t.Fatalf("service exited: %v; log:\n%s", s.exitErr, s.logs.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Terminate sends SIGTERM.
func (s *Service) Terminate(t testing.TB) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// Dump makes a hung process print its goroutines and exit (SIGQUIT), and saves
// its whole log to a file that outlives the test; it returns the file's path.
func (s *Service) Dump(t testing.TB) string {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
	}
	f, err := os.CreateTemp("", "rlhf-faulttest-service-*.log")
	if err != nil {
		return fmt.Sprintf("(no file: %v)", err)
	}
	defer f.Close()
	_, _ = f.WriteString(s.logs.String())
	return f.Name()
}

// Exited is closed when the process has exited.
func (s *Service) Exited() <-chan struct{} { return s.exited }

// ExitResult reports when and how the process exited; call it after Exited.
func (s *Service) ExitResult() (time.Time, error) { return s.exitedAt, s.exitErr }

// Logs returns everything the process wrote.
func (s *Service) Logs() string { return s.logs.String() }

// Logged is what the service logged about one request.
type Logged struct {
	Status int    // from the request line; 0 if the request never finished
	Error  string // from the "request failed" line of a 5xx
}

// LoggedRequests returns what the service logged for each request id, from its
// one-line-per-request JSON log.
func (s *Service) LoggedRequests() map[string]Logged {
	out := map[string]Logged{}
	sc := bufio.NewScanner(strings.NewReader(s.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Msg       string `json:"msg"`
			RequestID string `json:"request_id"`
			Status    int    `json:"status"`
			Error     string `json:"error"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.RequestID == "" {
			continue
		}
		l := out[line.RequestID]
		switch line.Msg {
		case "request":
			l.Status = line.Status
		case "request failed":
			l.Error = line.Error
		default:
			continue
		}
		out[line.RequestID] = l
	}
	return out
}

// problems returns the log lines above info level, but for the expected 503s, and
// any that are not JSON.
func (s *Service) problems() string {
	var b strings.Builder
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var l struct {
			Level  string `json:"level"`
			Status int    `json:"status"`
		}
		if line != "" && (json.Unmarshal([]byte(line), &l) != nil || l.Level != "INFO" && l.Status != http.StatusServiceUnavailable) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// CreateKey creates an API key with the CLI, straight in the database, and
// returns its secret.
func (s *Service) CreateKey(t testing.TB, name, scope string) string {
	t.Helper()
	cmd := exec.Command(Binary(t), "keys", "create", "--name", name, "--scope", scope)
	cmd.Env, cmd.Dir = s.env, t.TempDir()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("keys create: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	return strings.Join(lines[:min(n, len(lines))], "")
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
