package faulttest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// jobView is the part of GET /v1/jobs/{id} the test reads.
type jobView struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Total  int64  `json:"total"`
	Done   int64  `json:"done"`
	Error  string `json:"error"`
}

// TestRescoreSurvivesSIGKILL changes the scorers of an evaluation of many
// responses, which starts a rescore job, kills the service with SIGKILL while the
// job is half done, and starts a new service process on the same database. The
// new process takes the job over once the dead one's lease lapses and finishes
// it: every response has the new score and none the old, the job counted each
// response exactly once (its progress commits with each batch, so a batch done
// twice would count twice), and the summary's rollups agree with the scores.
func TestRescoreSurvivesSIGKILL(t *testing.T) {
	NeedSlow(t)
	const n = 12_000
	env := []string{"RLHF_JOB_LEASE=2s", "RLHF_WORKERS=2"}
	f := setUp(t, env...)
	for start := 0; start < n; start += 2000 {
		var body bytes.Buffer
		for i := start; i < start+2000; i++ {
			fmt.Fprintf(&body, `{"external_id":"r%d","model":"m%d","prompt":"Question %d?","response":"%s","reference":"an answer to question %d"}`+"\n",
				i, i%3, i, "an answer "+fmt.Sprint(i%97), i)
		}
		if r := f.admin.DoHeader(http.MethodPost, "/v1/evaluations/"+evalName+"/responses", "application/x-ndjson", body.Bytes(),
			http.Header{"Prefer": {"return=minimal"}}); r.Status != http.StatusCreated {
			t.Fatalf("ingest: %s", r)
		}
	}

	r := f.admin.JSON(t, http.MethodPatch, "/v1/evaluations/"+evalName, map[string]any{
		"scorers": []map[string]any{{"type": "length", "name": "words"}, {"type": "bleu"}},
	}, http.StatusOK, nil)
	loc := r.Header.Get("Location")
	if loc == "" {
		t.Fatal("the scorer change started no job (no Location)")
	}

	// Kill the service once the job has done some batches and not all.
	var atKill jobView
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		f.admin.JSON(t, http.MethodGet, loc, nil, http.StatusOK, &atKill)
		if atKill.Done > 0 {
			break
		}
		if time.Now().After(deadline) || atKill.Status != "queued" && atKill.Status != "running" {
			t.Fatalf("the job did not get going: %+v", atKill)
		}
	}
	if err := f.svc.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-f.svc.Exited()
	killed := time.Now()
	pool := f.pool(t)
	var doneAtKill int64
	if err := pool.QueryRow(context.Background(), `SELECT done FROM jobs WHERE id = $1`, atKill.ID).Scan(&doneAtKill); err != nil {
		t.Fatal(err)
	}
	if doneAtKill <= 0 || doneAtKill >= n {
		t.Fatalf("at the kill the job had done %d of %d; the kill did not land mid-job", doneAtKill, n)
	}
	t.Logf("killed with %d of %d responses rescored", doneAtKill, n)

	svc := StartService(t, f.cluster.URL(dbName), env...)
	admin := NewClient(svc.Base, f.key, clientTimeout)
	var job jobView
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		admin.JSON(t, http.MethodGet, loc, nil, http.StatusOK, &job)
		if job.Status != "queued" && job.Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the job did not finish within 30s of the restart: %+v", job)
		}
	}
	t.Logf("finished %s after the kill", time.Since(killed).Round(100*time.Millisecond))
	if job.Status != "succeeded" || job.Total != n || job.Done != n {
		t.Fatalf("job = %+v, want succeeded with %d of %d done", job, n, n)
	}
	var attempts int
	if err := pool.QueryRow(context.Background(), `SELECT attempts FROM jobs WHERE id = $1`, job.ID).Scan(&attempts); err != nil {
		t.Fatal(err)
	}
	if attempts < 2 {
		t.Errorf("the job ran in %d attempt(s); the second process did not take it over", attempts)
	}

	counts := map[string]int64{}
	rows, err := pool.Query(context.Background(), `SELECT s.scorer, count(*) FROM scores s JOIN evaluations e ON e.id = s.evaluation_id WHERE e.name = $1 GROUP BY s.scorer`, evalName)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var scorer string
		var c int64
		if err := rows.Scan(&scorer, &c); err != nil {
			t.Fatal(err)
		}
		counts[scorer] = c
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(counts) != 2 || counts["words"] != n || counts["bleu"] != n {
		t.Errorf("scores per scorer = %v, want words and bleu %d each and no length", counts, n)
	}

	var rollups, exact struct {
		Scorers []struct {
			Scorer string   `json:"scorer"`
			N      int64    `json:"n"`
			Mean   *float64 `json:"mean"`
			Min    *float64 `json:"min"`
			Max    *float64 `json:"max"`
		} `json:"scorers"`
	}
	admin.JSON(t, http.MethodGet, "/v1/evaluations/"+evalName+"/summary", nil, http.StatusOK, &rollups)
	admin.JSON(t, http.MethodGet, "/v1/evaluations/"+evalName+"/summary?exact=true", nil, http.StatusOK, &exact)
	if len(rollups.Scorers) != 2 || len(exact.Scorers) != 2 {
		t.Fatalf("summary rows: %d from the rollups, %d from the scores; want 2", len(rollups.Scorers), len(exact.Scorers))
	}
	for i, a := range rollups.Scorers {
		b := exact.Scorers[i]
		if a.Scorer != b.Scorer || a.N != n || b.N != n || *a.Min != *b.Min || *a.Max != *b.Max || math.Abs(*a.Mean-*b.Mean) > 1e-9*math.Abs(*b.Mean) {
			t.Errorf("summary of %s from the rollups n %d mean %v min %v max %v; from the scores %s n %d mean %v min %v max %v",
				a.Scorer, a.N, *a.Mean, *a.Min, *a.Max, b.Scorer, b.N, *b.Mean, *b.Min, *b.Max)
		}
	}
}
