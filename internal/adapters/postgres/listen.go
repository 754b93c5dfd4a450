package postgres

import (
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// lookupChannel is where the database announces changed keys and evaluations
// (migration 00014).
const lookupChannel = "rlhf_lookups"

// ListenForChanges tells l of every change to API keys and evaluations, as the
// database announces them, until ctx ends. It listens on a connection of its
// own (opened like the pool's, not taken from it), says Listening(true) once
// the LISTEN is in place and Listening(false) as soon as the connection fails,
// then opens another, waiting retry between attempts. It returns when ctx ends,
// having said Listening(false).
func ListenForChanges(ctx context.Context, pool *pgxpool.Pool, l ports.ChangeListener, log *slog.Logger, retry time.Duration) {
	defer l.Listening(false)
	for {
		err := listenOnce(ctx, pool, l)
		l.Listening(false)
		if ctx.Err() != nil {
			return
		}
		log.Warn("listening for key and evaluation changes failed; lookups go to the database until it is back",
			"error", err, "retry_in", retry.String())
		select {
		case <-ctx.Done():
			return
		case <-time.After(retry):
		}
	}
}

// listenOnce opens a connection, listens and relays notices until the
// connection fails or ctx ends.
func listenOnce(ctx context.Context, pool *pgxpool.Pool, l ports.ChangeListener) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+lookupChannel); err != nil {
		return err
	}
	// From here every committed change reaches this connection; what was read
	// before may be stale, and Listening drops it.
	l.Listening(true)
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		l.Changed()
	}
}
