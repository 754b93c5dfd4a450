package postgres

import (
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// SetMaxDeltaValues lowers the rollup delta's bound, so that a test can make an
// ingest fold its scores in early; the returned function restores it. Only a
// test that is not parallel may call it.
func SetMaxDeltaValues(n int) (restore func()) {
	old := maxDeltaValues
	maxDeltaValues = n
	return func() { maxDeltaValues = old }
}

// GroupStatements is how many statements the group writer of stores (built by
// NewStores) has sent.
func GroupStatements(s ports.Stores) int64 {
	return s.Responses.(*ResponseStore).group.statements.Load()
}

// GroupQueued is how many small writes to eval wait for the one in flight.
func GroupQueued(s ports.Stores, eval domain.ID) int {
	return s.Responses.(*ResponseStore).group.queued(eval)
}

// GroupIdle waits until the group writer of stores has no goroutine left, and
// reports a queue left behind.
func GroupIdle(s ports.Stores) error { return s.Responses.(*ResponseStore).group.idle() }

// SetGroupWriters sets how many writes to one evaluation the group writer of
// stores runs at once; call it before the stores are used.
func SetGroupWriters(s ports.Stores, n int) { s.Responses.(*ResponseStore).group.writers = n }
