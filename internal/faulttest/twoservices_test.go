package faulttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestTwoServicesShareOneDatabase runs two service processes on one database at
// once, as behind a load balancer: neither keeps state the other cannot see.
func TestTwoServicesShareOneDatabase(t *testing.T) {
	f := setUp(t)
	a := f.svc
	b := StartService(t, f.cluster.URL(dbName))
	adminA, adminB := f.admin, NewClient(b.Base, f.key, clientTimeout)

	// A key created through A works on B.
	var key struct{ ID, Key string }
	adminA.JSON(t, http.MethodPost, "/v1/keys", map[string]any{"name": "writer", "scopes": []string{"write"}}, http.StatusCreated, &key)
	writerA, writerB := NewClient(a.Base, key.Key, clientTimeout), NewClient(b.Base, key.Key, clientTimeout)
	writerB.JSON(t, http.MethodGet, "/v1/evaluations/"+evalName, nil, http.StatusOK, nil)

	// An evaluation created through B, changed through A, is read through B.
	writerB.JSON(t, http.MethodPost, "/v1/evaluations", map[string]any{
		"name": "shared", "scorers": []map[string]any{{"type": "length"}},
	}, http.StatusCreated, nil)
	writerA.JSON(t, http.MethodPatch, "/v1/evaluations/shared", map[string]any{"description": "patched through A"}, http.StatusOK, nil)
	var ev struct{ Description string }
	writerB.JSON(t, http.MethodGet, "/v1/evaluations/shared", nil, http.StatusOK, &ev)
	if ev.Description != "patched through A" {
		t.Errorf("description read through B = %q, want %q", ev.Description, "patched through A")
	}

	// Responses written through B are read through A, with their scores.
	type item struct {
		ID         string                    `json:"id"`
		ExternalID string                    `json:"external_id"`
		Scores     map[string]map[string]any `json:"scores"`
	}
	type bulk struct {
		Items    []item `json:"items"`
		Created  int    `json:"created"`
		Existing int    `json:"existing"`
	}
	ndjson := func(prefix string, n int) []byte {
		var buf bytes.Buffer
		for i := range n {
			line, _ := json.Marshal(map[string]any{
				"external_id": fmt.Sprintf("%s-%02d", prefix, i), "model": "m", "prompt": fmt.Sprintf("prompt %d", i), "response": "an answer",
			})
			buf.Write(append(line, '\n'))
		}
		return buf.Bytes()
	}
	r := writerB.Do(http.MethodPost, "/v1/evaluations/shared/responses", "application/x-ndjson", ndjson("b", 10))
	var written bulk
	if err := json.Unmarshal(r.Body, &written); err != nil || r.Status != http.StatusCreated || written.Created != 10 {
		t.Fatalf("post through B = %s, want 201 with 10 created", r)
	}
	var read struct{ Items []item }
	writerA.JSON(t, http.MethodGet, "/v1/evaluations/shared/responses?limit=100", nil, http.StatusOK, &read)
	ids := map[string]string{}
	for _, it := range written.Items {
		ids[it.ExternalID] = it.ID
	}
	if len(read.Items) != 10 {
		t.Errorf("read through A: %d responses, want the 10 written through B", len(read.Items))
	}
	for _, it := range read.Items {
		if ids[it.ExternalID] != it.ID || it.Scores["length"] == nil {
			t.Errorf("read through A: %s = %s with scores %v; B wrote id %s with a length score", it.ExternalID, it.ID, it.Scores, ids[it.ExternalID])
		}
	}

	// Both processes race to store the same 20 external ids: each is stored
	// once, and every reply from either process names the same response.
	const racers, n = 8, 20
	replies := make([]bulk, racers)
	statuses := make([]int, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := writerA
			if i%2 == 1 {
				c = writerB
			}
			r := c.Do(http.MethodPost, "/v1/evaluations/shared/responses", "application/x-ndjson", ndjson("race", n))
			statuses[i] = r.Status
			_ = json.Unmarshal(r.Body, &replies[i])
		}()
	}
	wg.Wait()
	created, existing := 0, 0
	raced := map[string]string{}
	for i, rep := range replies {
		if statuses[i] != http.StatusCreated && statuses[i] != http.StatusOK {
			t.Errorf("racer %d: status %d, want 201 or 200", i, statuses[i])
		}
		created += rep.Created
		existing += rep.Existing
		for _, it := range rep.Items {
			if prev, ok := raced[it.ExternalID]; ok && prev != it.ID {
				t.Errorf("%s is %s in one reply and %s in another", it.ExternalID, prev, it.ID)
			}
			raced[it.ExternalID] = it.ID
		}
	}
	// 8 posts of the same 20 ids: 20 created in all, the other 7×20 = 140 found existing.
	if created != n || existing != (racers-1)*n || len(raced) != n {
		t.Errorf("racing posts: %d created, %d existing, %d distinct ids; want %d, %d, %d", created, existing, len(raced), n, (racers-1)*n, n)
	}
	var stored int
	if err := f.pool(t).QueryRow(t.Context(), `
		SELECT count(*) FROM responses r JOIN evaluations e ON e.id = r.evaluation_id
		WHERE e.name = 'shared' AND r.external_id LIKE 'race-%'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Errorf("stored %d racing responses, want %d", stored, n)
	}
	t.Logf("%d racing posts through two processes: %d created, %d existing, %d stored", racers, created, existing, stored)

	// Each process keeps the keys and evaluations it looked up while it hears
	// of changes to them; a change made through one is seen by the other as
	// soon as the database's notice arrives, which it sends at the commit.
	within := func(what string, ok func() bool) {
		t.Helper()
		start := time.Now()
		for !ok() {
			if time.Since(start) > 2*time.Second {
				t.Errorf("%s: not seen after %v", what, time.Since(start).Round(time.Millisecond))
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		t.Logf("%s: seen after %v", what, time.Since(start).Round(time.Microsecond))
	}
	// An evaluation renamed through B is no longer found under its old name by
	// A, which has just written to it under that name.
	writerA.Do(http.MethodPost, "/v1/evaluations/shared/responses", "application/x-ndjson", ndjson("a", 1))
	writerB.JSON(t, http.MethodPatch, "/v1/evaluations/shared", map[string]any{"name": "renamed"}, http.StatusOK, nil)
	within("the rename on A", func() bool {
		r := writerA.Do(http.MethodPost, "/v1/evaluations/shared/responses", "application/x-ndjson", ndjson("after-rename", 1))
		return r.Status == http.StatusNotFound && r.Problem()
	})
	writerA.JSON(t, http.MethodPost, "/v1/evaluations/renamed/responses", map[string]any{"model": "m", "prompt": "p", "response": "r"}, http.StatusCreated, nil)

	// A key revoked through B is refused by B at once, and by A.
	adminB.JSON(t, http.MethodDelete, "/v1/keys/"+key.ID, nil, http.StatusOK, nil)
	if r := writerB.Do(http.MethodGet, "/v1/evaluations/renamed", "", nil); r.Status != http.StatusUnauthorized || !r.Problem() {
		t.Errorf("revoked key on B: %s, want 401 problem+json", r)
	}
	within("the revocation on A", func() bool {
		r := writerA.Do(http.MethodGet, "/v1/evaluations/renamed", "", nil)
		return r.Status == http.StatusUnauthorized && r.Problem()
	})
}
