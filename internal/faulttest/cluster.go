// Package faulttest proves that the service survives the faults a production
// deployment meets: PostgreSQL restarting under sustained ingest, its backends
// being terminated, the reply to a COMMIT lost with its connection, two service
// processes sharing one database, and SIGTERM while requests are in flight.
//
// The tests run the real binary (built with go build) against a private
// PostgreSQL server that each test creates with initdb and starts, stops and
// restarts itself with pg_ctl on a free port, so faults never touch the shared
// server on 5432; a small TCP proxy that reads the wire protocol loses COMMIT
// replies. Every test counts what the clients saw and what the database holds
// afterwards, and asserts on those numbers: each request that got a 2xx is
// stored exactly once, no batch is partly written, and every failure is a 503
// problem that arrived quickly.
//
// The tests take tens of seconds, so they are skipped under go test -short. They
// need PostgreSQL's server binaries (initdb, pg_ctl, postgres): from
// RLHF_PG_BIN, pg_config --bindir, or /usr/lib/postgresql/*/bin. Without them
// the tests are skipped, except under CI=true, where they fail. Run as root, the
// server runs as the postgres OS user (initdb refuses root).
package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// EnvPGBin names the variable that points at a directory holding initdb and pg_ctl.
const EnvPGBin = "RLHF_PG_BIN"

// Cluster is a private PostgreSQL server: its own data directory, a free TCP port
// on 127.0.0.1 and trust authentication for the postgres user. It is stopped and
// deleted when the test ends.
type Cluster struct {
	bin    string // directory of initdb, pg_ctl, postgres
	dir    string // temporary directory owned by the server's OS user
	data   string
	log    string
	port   int
	osUser string // run the server binaries as this user; empty for the current one
}

// NeedSlow skips t under go test -short: the fault tests take tens of seconds.
func NeedSlow(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests are slow; skipped under -short")
	}
}

// missing skips t, or fails it under CI=true, where a run must never pass by
// skipping its fault tests.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: fault tests must not be skipped)", msg)
	}
	t.Skip(msg)
}

// pgBinDir finds PostgreSQL's server binaries.
func pgBinDir() (string, error) {
	var candidates []string
	if d := os.Getenv(EnvPGBin); d != "" {
		candidates = append(candidates, d)
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		candidates = append(candidates, strings.TrimSpace(string(out)))
	}
	// Debian and Ubuntu keep them off PATH, one directory per major version;
	// prefer the newest.
	found, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(found, func(i, j int) bool { return majorOf(found[i]) > majorOf(found[j]) })
	candidates = append(candidates, found...)
	for _, d := range candidates {
		ok := true
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if fi, err := os.Stat(filepath.Join(d, name)); err != nil || fi.IsDir() {
				ok = false
			}
		}
		if ok {
			return d, nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl, postgres) in $%s, pg_config --bindir or /usr/lib/postgresql/*/bin", EnvPGBin)
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartCluster creates and starts a private PostgreSQL server for t.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	NeedSlow(t)
	bin, err := pgBinDir()
	if err != nil {
		missing(t, "%v", err)
	}
	c := &Cluster{bin: bin, port: freePort(t)}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			missing(t, "running as root and there is no postgres OS user to run the server as: %v", err)
		}
		if _, err := exec.LookPath("runuser"); err != nil {
			missing(t, "running as root and runuser is missing: %v", err)
		}
		c.osUser = u.Username
	}
	sock := c.makeDir(t, "rlhf-faulttest-pg-", "PostgreSQL")
	if out, err := c.command(context.Background(), "initdb", "-D", c.data, "-A", "trust", "-U", "postgres",
		"-E", "UTF8", "--no-locale", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	// fsync=off keeps the tests fast and does not weaken them: the faults here
	// kill processes, not the machine, and the kernel's page cache survives a
	// process crash, so WAL written before a COMMIT returned is still recovered
	// after "pg_ctl stop -m immediate". synchronous_commit stays on: a COMMIT
	// that returned must survive a crash.
	c.appendConf(t, fmt.Sprintf(`
listen_addresses = '127.0.0.1'
port = %d
unix_socket_directories = '%s'
max_connections = 60
shared_buffers = 32MB
fsync = off
synchronous_commit = on
log_min_messages = warning
`, c.port, sock))
	c.Start(t)
	return c
}

// command runs one of the server binaries, as the server's OS user when needed.
func (c *Cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	var cmd *exec.Cmd
	if c.osUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.osUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir // the server's user may not be able to enter the current directory
	return cmd
}

func (c *Cluster) pgctl(ctx context.Context, args ...string) ([]byte, error) {
	args = append([]string{"-D", c.data, "-l", c.log, "-w", "-t", "60"}, args...)
	return c.command(ctx, "pg_ctl", args...).CombinedOutput()
}

// Start starts the server and waits until it accepts connections.
func (c *Cluster) Start(t testing.TB) {
	t.Helper()
	if out, err := c.pgctl(context.Background(), "start"); err != nil {
		t.Fatalf("pg_ctl start: %v\n%s\nlog:\n%s", err, out, tail(c.Log(), 40))
	}
}

// Stop stops the server with pg_ctl's mode: "smart", "fast" (roll back open
// transactions, disconnect clients, checkpoint) or "immediate" (kill every
// process; the next start recovers from the WAL, as after a crash). It returns
// once the server is gone.
func (c *Cluster) Stop(t testing.TB, mode string) {
	t.Helper()
	if out, err := c.pgctl(context.Background(), "stop", "-m", mode); err != nil {
		t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// Port is the server's TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// URL is a connection URL for database db as the postgres superuser.
func (c *Cluster) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.port, db)
}

// Log returns the server's log file.
func (c *Cluster) Log() string {
	b, _ := os.ReadFile(c.log)
	return string(b)
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func tail(s string, n int) string {
	lines := bytes.Split([]byte(strings.TrimRight(s, "\n")), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// StartStandby creates a streaming hot standby of primary with pg_basebackup
// (which also writes the standby's connection settings) on a free port of its
// own, starts it and waits until it accepts connections. It is a read replica:
// it replays the primary's WAL and refuses writes.
func StartStandby(t testing.TB, primary *Cluster) *Cluster {
	t.Helper()
	c := &Cluster{bin: primary.bin, port: freePort(t), osUser: primary.osUser}
	sock := c.makeDir(t, "rlhf-faulttest-standby-", "standby")
	if out, err := c.command(context.Background(), "pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(primary.port),
		"-U", "postgres", "-D", c.data, "-R", "-X", "stream", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pg_basebackup: %v\n%s", err, out)
	}
	// The copied postgresql.conf names the primary's port and socket directory;
	// later lines win.
	c.appendConf(t, fmt.Sprintf("\nport = %d\nunix_socket_directories = '%s'\nhot_standby = on\n", c.port, sock))
	c.Start(t)
	return c
}

// makeDir creates the cluster's directory (prefix names it), with a socket
// directory inside, both owned by the server's OS user when there is one, and
// sets the data directory and log paths; the cluster is stopped and the
// directory removed when t ends (with the last lines of the log, named by what,
// when t failed). It returns the socket directory.
func (c *Cluster) makeDir(t testing.TB, prefix, what string) string {
	t.Helper()
	var err error
	// Not t.TempDir: its parent is private to the current user, and the server's
	// user must be able to reach the directory.
	c.dir, err = os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.pgctl(context.Background(), "stop", "-m", "immediate")
		if t.Failed() {
			t.Logf("%s log (last 40 lines):\n%s", what, tail(c.Log(), 40))
		}
		_ = os.RemoveAll(c.dir)
	})
	sock := filepath.Join(c.dir, "sock")
	if err := os.Mkdir(sock, 0o700); err != nil {
		t.Fatal(err)
	}
	if c.osUser != "" {
		u, err := user.Lookup(c.osUser)
		if err != nil {
			t.Fatal(err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{c.dir, sock} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	c.data = filepath.Join(c.dir, "data")
	c.log = filepath.Join(c.dir, "server.log")
	return sock
}

// appendConf appends lines to the cluster's postgresql.conf (later lines win).
func (c *Cluster) appendConf(t testing.TB, lines string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(c.data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteString(lines)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}
