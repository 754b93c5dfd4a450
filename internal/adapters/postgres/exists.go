package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
)

// DatabaseExists reports whether the database named in dbURL exists, asking the
// server's "postgres" maintenance database with the same credentials. It creates
// nothing: commands that only report (migrate status) use it instead of
// EnsureDatabase.
func DatabaseExists(ctx context.Context, dbURL string) (bool, error) {
	conn, _, exists, err := lookUpDatabase(ctx, dbURL)
	if conn != nil {
		conn.Close(context.WithoutCancel(ctx))
	}
	return exists, err
}

// lookUpDatabase connects to the maintenance database of dbURL's server and
// reports whether dbURL's database exists; the "postgres" database always does
// (conn is nil then). The caller closes conn when it is not nil.
func lookUpDatabase(ctx context.Context, dbURL string) (conn *pgx.Conn, name string, exists bool, err error) {
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return nil, "", false, fmt.Errorf("parse database url: %w", redactURLError(err))
	}
	name = cfg.Database
	switch name {
	case "":
		return nil, "", false, errors.New("the database url names no database")
	case "postgres":
		return nil, name, true, nil
	}
	cfg.Database = "postgres"
	conn, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, name, false, fmt.Errorf("connect to the maintenance database: %w", translate(err))
	}
	exists, err = dbsqlc.New(conn).DatabaseExists(ctx, name)
	if err != nil {
		return conn, name, false, fmt.Errorf("look for database %q: %w", name, translate(err))
	}
	return conn, name, exists, nil
}
