package faulttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// dbStats is the part of pg_stat_database that says what a workload cost the
// database.
type dbStats struct {
	commits, inserted, updated, deleted, returned, fetched, blocksHit, blocksRead int64
	activeMS                                                                      float64
}

func readDBStats(ctx context.Context, b *testing.B, c *Cluster) dbStats {
	b.Helper()
	conn, err := pgx.Connect(ctx, c.URL(dbName))
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var s dbStats
	err = conn.QueryRow(ctx, `SELECT xact_commit, tup_inserted, tup_updated, tup_deleted, tup_returned, tup_fetched,
		blks_hit, blks_read, active_time FROM pg_stat_database WHERE datname = current_database()`).
		Scan(&s.commits, &s.inserted, &s.updated, &s.deleted, &s.returned, &s.fetched, &s.blocksHit, &s.blocksRead, &s.activeMS)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkJudgeRunDatabaseCost measures what one judged pair of a judge run costs
// the database, through the real service on a private cluster that nothing else
// uses: transactions, rows written and read, buffer accesses and the time
// backends spent executing statements (pg_stat_database.active_time), per pair.
// The endpoint answers at once, so the run is as fast as the service and the
// database let it be. Statistics are read after the service's backends exit,
// which flushes them; the setup is measured apart and left out. Run it with
//
//	go test ./internal/faulttest -run '^$' -bench JudgeRunDatabaseCost -benchtime 1x
func BenchmarkJudgeRunDatabaseCost(b *testing.B) {
	const pairs = 1000
	env := []string{"RLHF_WORKERS=2", "JUDGE_E2E_KEY=" + judgeKey}
	f := setUp(b, env...)
	postPairs(b, f.admin, pairs, false)
	e := newJudgeEndpoint(b, 0, "")
	createJudge(b, f.admin, "costed", e, "JUDGE_E2E_KEY", `, "order": "fixed", "limits": {"concurrency": 8}`)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		// Restart the service so the setup's (and the last round's) statistics
		// are flushed before the snapshot.
		f.svc.Terminate(b)
		<-f.svc.Exited()
		f.svc = StartService(b, f.cluster.URL(dbName), env...)
		f.admin = NewClient(f.svc.Base, f.key, clientTimeout)
		before := readDBStats(ctx, b, f.cluster)
		start := time.Now()
		loc := startRun(b, f.admin, map[string]any{"judge": "costed", "baseline": "base", "cache": false})
		job := waitJob(b, f.admin, loc, 5*time.Minute, ended)
		elapsed := time.Since(start)
		if job.Status != "succeeded" || job.Done != pairs {
			b.Fatalf("job = %+v; want %d pairs judged", job, pairs)
		}
		f.svc.Terminate(b)
		<-f.svc.Exited()
		time.Sleep(500 * time.Millisecond) // the exiting backends' last statistics
		after := readDBStats(ctx, b, f.cluster)
		per := func(a, z int64) float64 { return float64(z-a) / pairs }
		b.ReportMetric(per(before.commits, after.commits), "commits/pair")
		b.ReportMetric(per(before.inserted, after.inserted), "rows-inserted/pair")
		b.ReportMetric(per(before.updated, after.updated), "rows-updated/pair")
		b.ReportMetric(per(before.returned+before.fetched, after.returned+after.fetched), "rows-read/pair")
		b.ReportMetric(per(before.blocksHit+before.blocksRead, after.blocksHit+after.blocksRead), "buffers/pair")
		b.ReportMetric((after.activeMS-before.activeMS)*1000/pairs, "db-active-µs/pair")
		b.ReportMetric(float64(elapsed.Microseconds())/pairs, "wall-µs/pair")
		fmt.Printf("judge run of %d pairs: %s wall, database active %.0f ms\n", pairs, elapsed.Round(time.Millisecond), after.activeMS-before.activeMS)
		f.svc = StartService(b, f.cluster.URL(dbName), env...)
		f.admin = NewClient(f.svc.Base, f.key, clientTimeout)
	}
}
