package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// freshDatabase creates an empty database beside the package's, dropped when t ends.
func freshDatabase(t *testing.T) *pgxpool.Pool {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	url, err := postgres.WithDatabase(testdb.URL(t), "rlhf_test_migrate_"+hex.EncodeToString(b[:]))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := postgres.EnsureDatabase(ctx, url); err != nil {
		t.Fatal(err)
	}
	pool, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: url, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		pool.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = postgres.DropDatabase(ctx, url)
	})
	return pool
}

// schema describes the public schema: every table's columns, every index,
// constraint, function, trigger, enum or domain type and sequence, one line each, sorted.
func schema(t *testing.T, pool *pgxpool.Pool) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
		FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public'
		UNION ALL SELECT 'constraint ' || c.conrelid::regclass || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid)
		FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public'
		UNION ALL SELECT 'function ' || p.proname || ' ' || pg_get_functiondef(p.oid)
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'
		UNION ALL SELECT 'trigger ' || tgrelid::regclass || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal
		UNION ALL SELECT 'type ' || t.typname || ' ' || t.typtype::text
		FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd')
		UNION ALL SELECT 'sequence ' || sequencename FROM pg_sequences WHERE schemaname = 'public'`)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestMigrateDownToZeroAndUpAgain: rolling every migration back leaves no table
// but goose's own (River's queue tables go with the jobs migration), and migrating
// up again gives the schema a fresh database gets.
func TestMigrateDownToZeroAndUpAgain(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := freshDatabase(t)
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if _, err := m.Up(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := schema(t, pool)
	if !slices.ContainsFunc(fresh, func(s string) bool { return strings.HasPrefix(s, "column river_job.") }) {
		t.Fatalf("a fresh database has no river_job table: %v", fresh)
	}

	var riverDown bool
	for steps := 0; ; steps++ {
		if steps > 100 {
			t.Fatal("migrate down does not reach version 0")
		}
		res, err := m.Down(ctx)
		if err != nil {
			t.Fatalf("down step %d: %v", steps, err)
		}
		if len(res) == 0 {
			break
		}
		for _, r := range res {
			if strings.HasPrefix(r.Source, "river/") {
				riverDown = true
			}
		}
	}
	if !riverDown {
		t.Error("no River migration was rolled back")
	}
	var left []string
	for _, s := range schema(t, pool) {
		if !strings.Contains(s, "goose_db_version") {
			left = append(left, s)
		}
	}
	if len(left) > 0 {
		t.Errorf("at version 0 the schema still has:\n%s", strings.Join(left, "\n"))
	}

	if _, err := m.Up(ctx); err != nil {
		t.Fatalf("up after down to zero: %v", err)
	}
	again := schema(t, pool)
	if !slices.Equal(again, fresh) {
		t.Errorf("the schema after down and up differs from a fresh one:\nonly fresh: %v\nonly again: %v",
			missing(fresh, again), missing(again, fresh))
	}
}

// missing lists what of a is not in b.
func missing(a, b []string) []string {
	var out []string
	for _, s := range a {
		if !slices.Contains(b, s) {
			out = append(out, s)
		}
	}
	return out
}
