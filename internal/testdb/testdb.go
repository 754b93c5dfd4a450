// Package testdb gives each test package its own freshly migrated PostgreSQL
// database, so packages run in parallel against a real server and leave nothing
// behind.
//
// Where the server comes from:
//   - RLHF_TEST_DATABASE_URL, a URL of any database on the server to use (the
//     Makefile sets it to the local server). Unreachable is a failure.
//   - Otherwise, if Docker answers, a PostgreSQL container started with
//     testcontainers-go for the package.
//   - Otherwise tests that need a database are skipped, except under CI=true, where
//     they fail: a CI run must never pass by skipping its database tests.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
)

// EnvURL names the variable that points tests at a PostgreSQL server.
const EnvURL = "RLHF_TEST_DATABASE_URL"

type state struct {
	once    sync.Once
	url     string
	skip    string
	err     error
	cleanup []func()
}

// pkg is the package's database, created on first use. It is the one piece of
// package state here: a test binary is one package, and the database is its
// fixture.
var pkg state

// Main runs the package's tests and then drops the package's database (and stops
// its container). Call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	for i := len(pkg.cleanup) - 1; i >= 0; i-- {
		pkg.cleanup[i]()
	}
	os.Exit(code)
}

// URL returns the URL of the package's migrated database, creating it on first use.
func URL(t testing.TB) string {
	t.Helper()
	pkg.once.Do(func() { pkg.url, pkg.skip, pkg.err = setUp() })
	switch {
	case pkg.err != nil:
		t.Fatalf("test database: %v", pkg.err)
	case pkg.skip != "":
		if os.Getenv("CI") == "true" {
			t.Fatalf("test database: %s (CI=true: database tests must not be skipped)", pkg.skip)
		}
		t.Skipf("test database: %s", pkg.skip)
	}
	return pkg.url
}

// Pool returns a pool on the package's database, closed when t ends.
func Pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.NewPool(context.Background(), postgres.PoolConfig{URL: URL(t), MaxConns: 8})
	if err != nil {
		t.Fatalf("open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func setUp() (url, skip string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	server := os.Getenv(EnvURL)
	if server == "" {
		if !dockerAnswers() {
			return "", fmt.Sprintf("no %s given and Docker does not answer", EnvURL), nil
		}
		server, err = startContainer(ctx)
		if err != nil {
			return "", "", fmt.Errorf("start PostgreSQL container: %w", err)
		}
	}
	url, err = postgres.WithDatabase(server, packageDBName())
	if err != nil {
		return "", "", fmt.Errorf("%s: %w", EnvURL, err)
	}
	if _, err := postgres.EnsureDatabase(ctx, url); err != nil {
		return "", "", fmt.Errorf("create database on %s: %w", redact(server), err)
	}
	pkg.cleanup = append(pkg.cleanup, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = postgres.DropDatabase(ctx, url)
	})
	pool, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: url, MaxConns: 2})
	if err != nil {
		return "", "", err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return "", "", err
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		return "", "", err
	}
	return url, "", nil
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// packageDBName names the database after the package directory, plus randomness so
// concurrent runs of the same package do not collide.
func packageDBName() string {
	wd, _ := os.Getwd()
	name := unsafeChars.ReplaceAllString(strings.ToLower(filepath.Base(wd)), "_")
	if len(name) > 30 {
		name = name[:30]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "rlhf_test_" + name + "_" + hex.EncodeToString(b[:])
}

func dockerAnswers() (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	p, err := testcontainers.ProviderDefault.GetProvider()
	if err != nil {
		return false
	}
	defer p.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return p.Health(ctx) == nil
}

func startContainer(ctx context.Context) (string, error) {
	c, err := tcpostgres.Run(ctx, "postgres:15-alpine",
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.WithUsername("postgres"),
		tcpostgres.WithPassword("postgres"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		return "", err
	}
	pkg.cleanup = append(pkg.cleanup, func() { _ = testcontainers.TerminateContainer(c) })
	return c.ConnectionString(ctx, "sslmode=disable")
}

func redact(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}
