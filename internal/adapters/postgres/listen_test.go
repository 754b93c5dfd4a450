package postgres_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// recordedChanges records what ListenForChanges says.
type recordedChanges struct {
	mu      sync.Mutex
	changed int
	states  []bool
	wake    chan struct{}
}

func (r *recordedChanges) Changed() {
	r.mu.Lock()
	r.changed++
	r.mu.Unlock()
	r.poke()
}

func (r *recordedChanges) Listening(on bool) {
	r.mu.Lock()
	r.states = append(r.states, on)
	r.mu.Unlock()
	r.poke()
}

func (r *recordedChanges) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// waitFor waits until cond holds of what was recorded.
func (r *recordedChanges) waitFor(t *testing.T, what string, cond func(changed int, states []bool) bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.changed, append([]bool(nil), r.states...))
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-r.wake:
		case <-time.After(10 * time.Millisecond):
		case <-deadline:
			r.mu.Lock()
			defer r.mu.Unlock()
			t.Fatalf("%s: not seen in 10s (changes %d, listening states %v)", what, r.changed, r.states)
		}
	}
}

func lastListening(states []bool) bool { return len(states) > 0 && states[len(states)-1] }

// TestListenForChanges: every committed change to a key or an evaluation that
// a lookup could see is announced, a recorded use of a key is not, and a lost
// listening connection is said at once and replaced. It is not parallel: the
// other tests' changes to keys and evaluations would be heard too.
func TestListenForChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	pool := testdb.Pool(t)
	rec := &recordedChanges{wake: make(chan struct{}, 1)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		postgres.ListenForChanges(ctx, pool, rec, slog.New(slog.NewTextHandler(io.Discard, nil)), 20*time.Millisecond)
	}()
	defer func() { cancel(); <-done }()
	rec.waitFor(t, "listening", func(_ int, s []bool) bool { return lastListening(s) })

	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	var keyID, evalID string
	if err := pool.QueryRow(ctx, `SELECT gen_random_uuid()::text, gen_random_uuid()::text`).Scan(&keyID, &evalID); err != nil {
		t.Fatal(err)
	}
	exec(`INSERT INTO api_keys (id, name, prefix, hash, scopes, created_at) VALUES ($1::uuid, 'listen', 'rlhf_lst', sha256(convert_to($1::text, 'UTF8')), '{read}', now())`, keyID)
	exec(`INSERT INTO evaluations (id, name, created_at, updated_at) VALUES ($1::uuid, 'listen-' || $1::text, now(), now())`, evalID)

	// Each change below commits after a recorded use of the key, which sends
	// no notice: notices arrive in commit order, so one more change counted
	// per step shows that the use sent none.
	steps := []struct{ name, sql, id string }{
		{"key revoked", `UPDATE api_keys SET revoked_at = now() WHERE id = $1`, keyID},
		{"key given other scopes", `UPDATE api_keys SET scopes = '{read,write}' WHERE id = $1`, keyID},
		{"evaluation renamed", `UPDATE evaluations SET name = name || '-renamed' WHERE id = $1`, evalID},
		{"evaluation marked deleted", `UPDATE evaluations SET deleted_at = now() WHERE id = $1`, evalID},
		{"evaluation deleted", `DELETE FROM evaluations WHERE id = $1`, evalID},
		{"key deleted", `DELETE FROM api_keys WHERE id = $1`, keyID},
	}
	rec.mu.Lock()
	before := rec.changed
	rec.mu.Unlock()
	for i, s := range steps {
		exec(`UPDATE api_keys SET last_used_at = now() WHERE id = $1`, keyID)
		exec(s.sql, s.id)
		want := before + i + 1
		rec.waitFor(t, s.name, func(n int, _ []bool) bool { return n >= want })
		rec.mu.Lock()
		got := rec.changed
		rec.mu.Unlock()
		if got != want {
			t.Fatalf("after %q: %d changes heard, want %d (a recorded use was announced)", s.name, got, want)
		}
	}

	// The listening backend terminated: said at once, then listening again.
	var killed int
	if err := pool.QueryRow(ctx, `
		SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM (
			SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN %'
		) AS l`).Scan(&killed); err != nil {
		t.Fatal(err)
	}
	if killed != 1 {
		t.Fatalf("terminated %d listening backends, want 1", killed)
	}
	rec.waitFor(t, "listening again after the backend was terminated", func(_ int, s []bool) bool {
		return len(s) >= 3 && !s[len(s)-2] && s[len(s)-1]
	})
	rec.mu.Lock()
	before = rec.changed
	rec.mu.Unlock()
	exec(`INSERT INTO evaluations (id, name, created_at, updated_at) VALUES ($1::uuid, 'listen-' || $1::text, now(), now())`, evalID)
	exec(`UPDATE evaluations SET description = 'again' WHERE id = $1`, evalID)
	rec.waitFor(t, "a change heard on the new connection", func(n int, _ []bool) bool { return n > before })
}
