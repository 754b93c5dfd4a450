package faulttest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestGroupCommitReplyLost loses the reply to a statement that writes a group
// of single POSTs (they queued behind writes held in flight): it committed,
// and every request of the group must be told that its write may or may not
// be stored — none may get a 2xx, none a 500 — and each response must be
// stored once.
func TestGroupCommitReplyLost(t *testing.T) {
	NeedSlow(t)
	proxy, _, c, pool := setUpProxied(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	post := func(ext, model string) Reply {
		body, _ := json.Marshal(map[string]any{"external_id": ext, "model": model, "prompt": "p " + ext, "response": "an answer"})
		return c.Do(http.MethodPost, "/v1/evaluations/"+evalName+"/responses", "application/json", body)
	}

	// Hold writes in flight: they wait for a model's rollup lock
	// (db/queries/ingest.sql), which this transaction holds.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(e.id::text || '/held', 7341)) FROM evaluations e WHERE e.name = $1`,
		evalName); err != nil {
		t.Fatal(err)
	}
	// Writes to one evaluation run a few at a time: hold all the writers in
	// flight (the held posts beyond them queue), then queue the rest.
	const held, n = 6, 8
	replies := make([]Reply, held+n)
	var wg sync.WaitGroup
	for i := range held {
		wg.Go(func() { replies[i] = post(fmt.Sprint("g", i), "held") })
	}
	time.Sleep(2 * time.Second)
	var waiting int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory' AND query LIKE '%InsertResponsesAtOnce%'`).
		Scan(&waiting); err != nil {
		t.Fatal(err)
	}
	if waiting == 0 || waiting >= held {
		t.Fatalf("%d of %d posts wait on the lock, want some (the writers) but not all", waiting, held)
	}
	// The next statement of that kind is a group's: lose its reply.
	proxy.LoseNextReplyTo("InsertResponsesAtOnce")
	for i := held; i < held+n; i++ {
		wg.Go(func() { replies[i] = post(fmt.Sprint("g", i), "m") })
	}
	time.Sleep(2 * time.Second) // the posts are scored and queue behind the held writes
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if proxy.Cuts() != 1 {
		t.Fatalf("the proxy lost %d replies, want 1", proxy.Cuts())
	}
	lost := 0
	for i, r := range replies {
		var p struct{ Detail string }
		_ = json.Unmarshal(r.Body, &p)
		switch {
		case r.Unavailable() && strings.Contains(p.Detail, "may or may not have been stored"):
			lost++
		case r.Status == http.StatusCreated:
			// A held write, or one written after the group.
		default:
			t.Errorf("post g%d = %s, want a 503 saying the write may or may not be stored (or a 201)", i, r)
		}
	}
	if lost < 2 {
		t.Errorf("%d posts were in the statement whose reply was lost, want the group of them", lost)
	}
	var stored, scores int
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT r.id), count(s.scorer) FROM responses r
		LEFT JOIN scores s ON s.evaluation_id = r.evaluation_id AND s.response_id = r.id WHERE r.external_id LIKE 'g%'`).
		Scan(&stored, &scores); err != nil {
		t.Fatal(err)
	}
	if stored != held+n || scores != held+n {
		t.Errorf("stored %d responses with %d scores, want %d of each (the lost statement committed once)", stored, scores, held+n)
	}
	t.Logf("%d posts waited on the lock; %d of %d shared the statement whose reply was lost", waiting, lost, held+n)
	// Each client may re-post: it finds its response stored.
	for i := range held + n {
		if r := post(fmt.Sprint("g", i), "m"); r.Status != http.StatusOK {
			t.Errorf("re-post of g%d = %s, want 200 (stored)", i, r)
		}
	}
}
