package postgres_test

import (
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/ports/porttest"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

func TestConformance(t *testing.T) {
	t.Parallel()
	pool := testdb.Pool(t)
	porttest.Run(t, porttest.Harness{Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool)})
}
