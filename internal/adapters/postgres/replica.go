package postgres

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// replicaDown is how long reads stay on the primary after the replica failed to
// answer, before the replica is tried again.
const replicaDown = 5 * time.Second

// Replication sends the heavy reads (summaries, diffs, leaderboards, agreement,
// exports and list pages) to a read replica and everything else to the primary.
//
// Staleness: a read served by the replica sees the primary as of the replica's
// replay position, usually milliseconds behind. A client that must read its own
// writes sends back the consistency token its write returned (Token: the
// primary's WAL position after the write committed); such a read goes to the
// replica only when the replica has replayed past that position, else to the
// primary. When the replica does not answer, reads fall back to the primary and
// the replica is left alone for a few seconds.
type Replication struct {
	primary, replica *pgxpool.Pool
	log              *slog.Logger
	observe          func(target string)
	downUntil        atomic.Int64
}

// NewReplication routes reads between primary and replica; observe (may be nil)
// is told "replica" or "primary" for each routed read.
func NewReplication(primary, replica *pgxpool.Pool, log *slog.Logger, observe func(target string)) *Replication {
	if observe == nil {
		observe = func(string) {}
	}
	return &Replication{primary: primary, replica: replica, log: log, observe: observe}
}

// Stores returns stores that write to the primary and send the heavy reads
// through the router.
func (r *Replication) Stores() ports.Stores {
	s := storesOn(r.primary)
	reads := storesOn(router{r})
	s.Analytics, s.Preferences = reads.Analytics, reads.Preferences
	s.Evaluations.(*EvaluationStore).reader = reads.Evaluations.(*EvaluationStore)
	s.Responses.(*ResponseStore).reader = reads.Responses.(*ResponseStore)
	s.Comparisons.(*ComparisonStore).reader = reads.Comparisons.(*ComparisonStore)
	return s
}

// Token returns the primary's current WAL position: every write that has
// committed is at or before it.
func (r *Replication) Token(ctx context.Context) (string, error) {
	var lsn string
	if err := r.primary.QueryRow(ctx, "SELECT pg_current_wal_lsn()::text").Scan(&lsn); err != nil {
		return "", translate(err)
	}
	return lsn, nil
}

// pick chooses where a read of ctx's request goes.
func (r *Replication) pick(ctx context.Context) (*pgxpool.Pool, bool) {
	if time.Now().UnixNano() < r.downUntil.Load() {
		return r.primary, false
	}
	ra := ports.ReadAfterFrom(ctx)
	switch {
	case ra == nil || (ra.Token == "" && !ra.Primary):
		return r.replica, true
	case ra.Primary:
		return r.primary, false
	}
	if ra.Decide(func() bool {
		var caughtUp bool
		err := r.replica.QueryRow(ctx, "SELECT coalesce(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)", ra.Token).Scan(&caughtUp)
		if err != nil {
			r.fail(err)
			return false
		}
		return caughtUp
	}) {
		return r.replica, true
	}
	return r.primary, false
}

// fail takes the replica out of rotation for a while after a connection failure.
func (r *Replication) fail(err error) {
	if !unreachable(err) {
		return
	}
	if r.downUntil.Swap(time.Now().Add(replicaDown).UnixNano()) < time.Now().UnixNano() {
		r.log.Warn("read replica unavailable; reading from the primary", "for", replicaDown.String(), "error", err)
	}
}

// unreachable reports an error of the connection, not of the statement: the same
// read may be sent to the primary instead.
func unreachable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// The server answered: only the shutdown class means the replica is out
		// (57P01 admin shutdown, 57P02 crash shutdown, 57P03 cannot connect now).
		return pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}

// router is a read-only dbtx that sends each statement where Replication picks.
// Writes never come here; Exec, CopyFrom and Begin go to the primary for safety.
type router struct{ r *Replication }

var _ dbtx = router{}

func (rt router) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	pool, onReplica := rt.r.pick(ctx)
	rows, err := pool.Query(ctx, sql, args...)
	if err != nil && onReplica && unreachable(err) {
		rt.r.fail(err)
		rt.r.observe("primary")
		return rt.r.primary.Query(ctx, sql, args...)
	}
	rt.r.observe(target(onReplica))
	return rows, err
}

func (rt router) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	pool, onReplica := rt.r.pick(ctx)
	return &fallbackRow{rt: rt, ctx: ctx, sql: sql, args: args, row: pool.QueryRow(ctx, sql, args...), onReplica: onReplica}
}

func (rt router) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return rt.r.primary.Exec(ctx, sql, args...)
}

func (rt router) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return rt.r.primary.CopyFrom(ctx, table, cols, src)
}

func (rt router) Begin(ctx context.Context) (pgx.Tx, error) { return rt.r.primary.Begin(ctx) }

// fallbackRow retries a one-row read on the primary when the replica failed.
type fallbackRow struct {
	rt        router
	ctx       context.Context
	sql       string
	args      []any
	row       pgx.Row
	onReplica bool
}

func (f *fallbackRow) Scan(dest ...any) error {
	err := f.row.Scan(dest...)
	if err != nil && f.onReplica && unreachable(err) {
		f.rt.r.fail(err)
		f.rt.r.observe("primary")
		return f.rt.r.primary.QueryRow(f.ctx, f.sql, f.args...).Scan(dest...)
	}
	f.rt.r.observe(target(f.onReplica))
	return err
}

func target(onReplica bool) string {
	if onReplica {
		return "replica"
	}
	return "primary"
}

var _ dbsqlc.DBTX = router{}
