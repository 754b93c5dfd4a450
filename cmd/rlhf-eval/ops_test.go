package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// runWith runs the binary with RLHF_DATABASE_URL set to dbURL.
func runWith(t *testing.T, dbURL string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(os.Environ(), "RLHF_DATABASE_URL="+dbURL)
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		return stdout.String(), stderr.String(), ee.ExitCode()
	case err != nil:
		t.Fatalf("%v: %v", args, err)
	}
	return stdout.String(), stderr.String(), 0
}

// TestMigrateStatusCreatesNothing: status reports a missing database and exits
// non-zero instead of creating it; up creates it, and status then lists the
// migrations.
func TestMigrateStatusCreatesNothing(t *testing.T) {
	base := testdb.URL(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("rlhf_status_%d", time.Now().UnixNano())
	u.Path = "/" + name
	missing := u.String()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exists := func() bool {
		var ok bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	t.Cleanup(func() { _, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()) })

	_, stderr, code := runWith(t, missing, "migrate", "status")
	if code == 0 || !strings.Contains(stderr, "does not exist") {
		t.Errorf("migrate status on a missing database: exit %d, stderr %q; want non-zero saying it does not exist", code, stderr)
	}
	if exists() {
		t.Fatalf("migrate status created database %s", name)
	}
	if _, stderr, code := runWith(t, missing, "migrate", "up"); code != 0 {
		t.Fatalf("migrate up: exit %d\n%s", code, stderr)
	}
	stdout, stderr, code := runWith(t, missing, "migrate", "status")
	if code != 0 || !strings.Contains(stdout, "applied") || regexp.MustCompile(`(?m)^pending`).MatchString(stdout) {
		t.Errorf("migrate status after up: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestHealthcheckCommand: the container healthcheck asks /readyz of a real server.
func TestHealthcheckCommand(t *testing.T) {
	s := startServer(t)
	if stdout, stderr, code := runCLI(t, "healthcheck", "--url", s.base+"/readyz"); code != 0 || !strings.Contains(stdout, "ready") {
		t.Errorf("healthcheck of a ready server: exit %d\n%s%s", code, stdout, stderr)
	}
	dead := fmt.Sprintf("http://127.0.0.1:%d/readyz", freePort(t))
	if _, stderr, code := runCLI(t, "healthcheck", "--url", dead, "--timeout", "1s"); code != 1 || !strings.Contains(stderr, "not ready") {
		t.Errorf("healthcheck of no server: exit %d, stderr %q; want 1, not ready", code, stderr)
	}
}
