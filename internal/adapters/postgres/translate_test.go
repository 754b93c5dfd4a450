package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// TestTranslate checks which driver errors become which domain errors. Every
// way a connection can be lost must become domain.ErrUnavailable (a 503 with
// Retry-After), never an unknown error (a 500).
func TestTranslate(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  error
		want error // nil: returned unchanged
	}{
		{"no rows", pgx.ErrNoRows, domain.ErrNotFound},
		{"unique violation", &pgconn.PgError{Code: "23505", ConstraintName: "evaluations_name_key"}, domain.ErrConflict},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, domain.ErrUnavailable},
		{"starting up", &pgconn.PgError{Code: "57P03"}, domain.ErrUnavailable},
		{"connection failure", &pgconn.PgError{Code: "08006"}, domain.ErrUnavailable},
		{"serialization failure", &pgconn.PgError{Code: "40001"}, domain.ErrUnavailable},
		{"server closed mid-message", io.ErrUnexpectedEOF, domain.ErrUnavailable},
		{"server closed between messages", io.EOF, domain.ErrUnavailable},
		{"wrapped EOF", fmt.Errorf("copy: %w", io.ErrUnexpectedEOF), domain.ErrUnavailable},
		{"closed connection", fmt.Errorf("query: %w", pgconn.ErrConnClosed), domain.ErrUnavailable},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, domain.ErrUnavailable},
		{"syntax error", &pgconn.PgError{Code: "42601"}, nil},
		{"unknown", errors.New("something else"), nil},
		{"canceled", context.Canceled, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := translate(tc.err)
			if tc.want == nil {
				if got != tc.err {
					t.Errorf("translate(%v) = %v, want it unchanged", tc.err, got)
				}
				return
			}
			if !errors.Is(got, tc.want) {
				t.Errorf("translate(%v) = %v, want %v", tc.err, got, tc.want)
			}
			if tc.want == domain.ErrUnavailable && !errors.Is(got, tc.err) {
				t.Errorf("translate(%v) = %v, which no longer wraps the cause", tc.err, got)
			}
		})
	}
}

// TestCommitError checks that only a COMMIT the server answered is reported as
// not stored; a COMMIT whose reply was lost is ErrOutcomeUnknown.
func TestCommitError(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		err         error
		unavailable bool
		unknown     bool
	}{
		{"serialization failure", &pgconn.PgError{Code: "40001"}, true, false},
		{"terminated before committing", &pgconn.PgError{Code: "57P01"}, true, false},
		{"reply lost, pgx v5.12", fmt.Errorf("commit: %w", pgconn.ErrConnClosed), true, true},
		{"server closed mid-reply", io.ErrUnexpectedEOF, true, true},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}, true, true},
		{"deadline", context.DeadlineExceeded, true, true},
		{"client gone", context.Canceled, false, false},
		{"rolled back", pgx.ErrTxCommitRollback, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := commitError(tc.err)
			if u := errors.Is(got, domain.ErrUnavailable); u != tc.unavailable {
				t.Errorf("commitError(%v) = %v: unavailable = %v, want %v", tc.err, got, u, tc.unavailable)
			}
			if u := errors.Is(got, domain.ErrOutcomeUnknown); u != tc.unknown {
				t.Errorf("commitError(%v) = %v: outcome unknown = %v, want %v", tc.err, got, u, tc.unknown)
			}
			if !errors.Is(got, tc.err) {
				t.Errorf("commitError(%v) = %v, which no longer wraps the cause", tc.err, got)
			}
		})
	}
}
