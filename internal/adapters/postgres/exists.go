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
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		return false, fmt.Errorf("parse database url: %w", redactURLError(err))
	}
	name := cfg.Database
	switch name {
	case "":
		return false, errors.New("the database url names no database")
	case "postgres":
		return true, nil
	}
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return false, fmt.Errorf("connect to the maintenance database: %w", translate(err))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	exists, err := dbsqlc.New(conn).DatabaseExists(ctx, name)
	if err != nil {
		return false, fmt.Errorf("look for database %q: %w", name, translate(err))
	}
	return exists, nil
}
