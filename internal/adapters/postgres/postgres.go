// Package postgres implements the core's stores on PostgreSQL with pgx/v5. All SQL
// lives in db/queries and is compiled by sqlc into the internal dbsqlc package; this
// package converts its rows into domain values and translates driver errors into
// domain errors, once, here.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// PoolConfig configures the connection pool.
type PoolConfig struct {
	URL      string
	MaxConns int32
	Logger   *slog.Logger
}

// NewPool opens a pool. Statements are sent unnamed (pgx's cache-describe mode), so
// the server plans each one with its actual parameters: the list queries have
// optional filters, and a cached generic plan would ignore which of them are on.
// (The few statements every request runs are prepared instead; see prepared.)
// (plan_cache_mode=force_custom_plan would do the same for our statements but also
// re-plan the server's own prepared foreign-key checks for every inserted row.) JIT
// is off: it costs up to half a second compiling large aggregates and the queries
// here are index-driven.
func NewPool(ctx context.Context, cfg PoolConfig) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redactURLError(err))
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	pc.ConnConfig.RuntimeParams["jit"] = "off"
	pc.ConnConfig.RuntimeParams["application_name"] = "rlhf-eval"
	pc.HealthCheckPeriod = 5 * time.Second
	pc.ConnConfig.ConnectTimeout = 5 * time.Second
	// A backend killed while its connection sat idle in the pool (terminated, or
	// the server restarted) has already closed the socket. Destroy such a
	// connection when it is acquired, and let the pool take or open another,
	// rather than fail the request that would get it: pgxpool pings only
	// connections idle for over a second. pgx may itself have read what the
	// backend sent last (its background reader, started during a large write,
	// can still be waiting on the socket after the write ends), and a peek at
	// the socket would miss that: SyncConn takes such a connection back to a
	// plain state, with a ping that fails when the backend is gone, and costs
	// nothing on a connection that has no read in flight.
	pc.PrepareConn = func(ctx context.Context, c *pgx.Conn) (bool, error) {
		pg := c.PgConn()
		if pg.IsClosed() {
			return false, nil
		}
		if err := pg.SyncConn(ctx); err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			return false, nil
		}
		return idleConnAlive(pg.Conn()), nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open pool: %w", err)
	}
	return pool, nil
}

// redactURLError keeps the password of a malformed URL out of error messages.
func redactURLError(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("invalid connection string")
	}
	return err
}

// Pinger checks the database with a trivial round trip.
type Pinger struct{ pool *pgxpool.Pool }

// NewPinger returns a Pinger on pool.
func NewPinger(pool *pgxpool.Pool) *Pinger { return &Pinger{pool: pool} }

var _ ports.Pinger = (*Pinger)(nil)

// Ping acquires a connection and runs a round trip.
func (p *Pinger) Ping(ctx context.Context) error {
	if err := p.pool.Ping(ctx); err != nil {
		return translate(err)
	}
	return nil
}

// dbtx is what stores run on: a pool or a transaction. Both can Begin (a real
// transaction, or a savepoint inside one).
type dbtx interface {
	dbsqlc.DBTX
	Begin(ctx context.Context) (pgx.Tx, error)
}

// prepared runs each statement as a named prepared statement, cached per
// connection: PostgreSQL parses it once per connection and, after five runs, may
// keep a generic plan instead of planning every call. It is for the statements of
// every request (the key and evaluation lookups, the one-statement write of a small
// batch), whose best plan does not depend on their parameters and whose parse and
// plan cost as much as running them; not for the list queries (see NewPool).
type prepared struct{ dbsqlc.DBTX }

func (p prepared) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return p.DBTX.Exec(ctx, sql, append([]any{pgx.QueryExecModeCacheStatement}, args...)...)
}

func (p prepared) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return p.DBTX.Query(ctx, sql, append([]any{pgx.QueryExecModeCacheStatement}, args...)...)
}

func (p prepared) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return p.DBTX.QueryRow(ctx, sql, append([]any{pgx.QueryExecModeCacheStatement}, args...)...)
}

// NewStores returns stores that run each call on the pool.
func NewStores(pool *pgxpool.Pool) ports.Stores { return storesOn(pool) }

func storesOn(db dbtx) ports.Stores {
	responses := &ResponseStore{db: db, q: dbsqlc.New(db)}
	if pool, ok := onPool(db); ok {
		responses.group = newGroupWriter(pool, groupWriters)
	}
	return ports.Stores{
		Evaluations: &EvaluationStore{db: db, q: dbsqlc.New(db)},
		Responses:   responses,
		Comparisons: &ComparisonStore{db: db, q: dbsqlc.New(db)},
		APIKeys:     &APIKeyStore{db: db, q: dbsqlc.New(db)},
		Analytics:   &AnalyticsStore{db: db, q: dbsqlc.New(db)},
		Preferences: &PreferenceStore{q: dbsqlc.New(db)},
		Idempotency: &LimitStore{q: dbsqlc.New(db)},
		RateLimits:  &LimitStore{q: dbsqlc.New(db)},
		Jobs:        &JobStore{db: db, q: dbsqlc.New(db)},
		Maintenance: &MaintenanceStore{db: db, q: dbsqlc.New(db)},
		Judges:      &JudgeStore{db: db, q: dbsqlc.New(db)},
		Judgments:   &JudgmentStore{db: db, q: dbsqlc.New(db)},
		Pending:     &PendingScoreStore{db: db, q: dbsqlc.New(db)},
	}
}

// TxRunner runs closures in transactions on a pool.
type TxRunner struct{ pool *pgxpool.Pool }

// NewTxRunner returns a TxRunner on pool.
func NewTxRunner(pool *pgxpool.Pool) *TxRunner { return &TxRunner{pool: pool} }

var _ ports.TxRunner = (*TxRunner)(nil)

// InTx runs fn in a transaction with stores bound to it, and again after a
// deadlock or serialization failure.
func (r *TxRunner) InTx(ctx context.Context, fn func(ctx context.Context, s ports.Stores) error) error {
	return inTxRetry(ctx, r.pool, func(tx pgx.Tx) error { return fn(ctx, storesOn(tx)) })
}

// inTxRetry is inTx, run again (a few times at most) when the database aborted
// the transaction for a deadlock or serialization failure: its own answer, so
// nothing was committed.
func inTxRetry(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(tx pgx.Tx) error) error {
	return retryConflicts(ctx, func() error { return inTx(ctx, db, fn) })
}

// inTx is the one transaction helper: begin, run, commit; roll back on any error,
// with a context that survives the caller's cancellation so the rollback is sent.
// The commit's own error is returned: a lost COMMIT error would report success for
// writes that did not happen.
func inTx(ctx context.Context, db interface {
	Begin(context.Context) (pgx.Tx, error)
}, fn func(tx pgx.Tx) error) (err error) {
	tx, err := db.Begin(ctx)
	if err != nil {
		return translate(err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return commitError(err)
	}
	return nil
}

// commitError translates a failed COMMIT. The server's own answer (a PgError, or a
// commit that became a rollback) means nothing was stored. Anything else (the
// connection lost, a deadline) leaves the outcome unknown: the server may have
// committed and lost only its reply. Such a COMMIT is never retried here (pgx
// even reports it as "conn closed", which pgconn.SafeToRetry calls safe); the
// client is told, and a re-post with the same external ids finds what was stored.
func commitError(err error) error {
	if serverRefused(err) || errors.Is(err, pgx.ErrTxCommitRollback) || errors.Is(err, context.Canceled) {
		return translate(err)
	}
	return fmt.Errorf("%w: %w: commit: %w", domain.ErrUnavailable, domain.ErrOutcomeUnknown, err)
}

// serverRefused reports the server's own error for a statement, after which
// nothing of it is stored. A FATAL error is not one: the backend raises it when
// it is told to end (terminated, or the server shutting down), which may come
// after the statement committed and before its reply was sent.
func serverRefused(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Severity != "FATAL" && pgErr.Severity != "PANIC"
}

// translate maps driver errors to domain errors by SQLSTATE and error type, never by
// message text. Errors it does not know are wrapped unchanged (they become 500s).
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return domain.ErrNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return fmt.Errorf("%w: %s", domain.ErrConflict, constraintMessage(pgErr.ConstraintName))
		case pgErr.Code == "23503": // foreign_key_violation
			return fmt.Errorf("%w: a referenced row no longer exists", domain.ErrConflict)
		case pgErr.Code == "40001", pgErr.Code == "40P01": // serialization failure, deadlock
			return fmt.Errorf("%w: transaction conflict, retry: %w", domain.ErrUnavailable, err)
		case pgErr.Code[:2] == "08", // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // admin/crash shutdown, cannot connect now
			pgErr.Code == "53300": // too many connections
			return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
		}
		return err
	}
	// A connection lost mid-statement shows up as the reader's EOF (the server
	// went away between messages or inside one), a net.Error (reset, refused) or
	// pgconn.ErrConnClosed (the connection had already been closed).
	var netErr net.Error
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.As(err, &netErr) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return fmt.Errorf("%w: %w", domain.ErrUnavailable, err)
	}
	return err
}

func constraintMessage(name string) string {
	switch name {
	case "evaluations_name_key":
		return "an evaluation with this name exists"
	case "api_keys_hash_key":
		return "an API key with this secret exists"
	}
	return "the row exists"
}

func pgID(id domain.ID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }

func pgIDs(ids []domain.ID) []pgtype.UUID {
	out := make([]pgtype.UUID, len(ids))
	for i, id := range ids {
		out[i] = pgID(id)
	}
	return out
}

func optID(id *domain.ID) pgtype.UUID {
	if id == nil {
		return pgtype.UUID{}
	}
	return pgID(*id)
}

func fromPgIDs(ids []pgtype.UUID) []domain.ID {
	out := make([]domain.ID, len(ids))
	for i, id := range ids {
		out[i] = domain.ID(id.Bytes)
	}
	return out
}
