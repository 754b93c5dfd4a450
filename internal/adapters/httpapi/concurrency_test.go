package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
)

// The races below are ones clients hit in practice. Each runs a few bounded
// rounds; every request must succeed (no 409 from a rollup rebuild, no 503
// from a deadlock the server could have avoided or retried), and afterwards
// the rollups must agree with the scores they summarise.

// concurrencyScorers are the scorers of the evaluations here: a length with a
// pass threshold and a 0/1 flag, so rollups, pass counts and histograms all move.
const concurrencyScorers = `[{"type": "length", "pass": {"max": 6}}, {"type": "refusal"}]`

// send is a request that may run on any goroutine: it returns its error
// instead of failing the test.
func (a *testAPI) send(method, path, contentType, body string, header http.Header) (reply, error) {
	req, err := http.NewRequest(method, a.http.URL+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+a.admin)
	for k, v := range header {
		req.Header[k] = v
	}
	return readReply(a.http.Client().Do(req))
}

// readReply reads a whole reply.
func readReply(res *http.Response, err error) (reply, error) {
	if err != nil {
		return reply{}, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return reply{status: res.StatusCode, header: res.Header, body: b}, err
}

// ndjson is a body of responses with the given external ids.
func ndjson(model string, ids []string) string {
	var b strings.Builder
	for k, id := range ids {
		text := strings.Repeat("word ", 1+k%9)
		if k%5 == 0 {
			text = "I'm sorry, but I can't help with that."
		}
		line, _ := json.Marshal(map[string]any{"external_id": id, "model": model, "prompt": "prompt " + id, "response": text})
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

func externalIDs(prefix string, n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return ids
}

// newEvaluation creates an evaluation with concurrencyScorers and returns its id.
func (a *testAPI) newEvaluation(t *testing.T, name string) string {
	t.Helper()
	r := a.do(http.MethodPost, "/v1/evaluations", a.admin, "application/json",
		fmt.Sprintf(`{"name": %q, "scorers": %s}`, name, concurrencyScorers))
	if r.status != http.StatusCreated {
		t.Fatalf("create evaluation = %d %s", r.status, r.body)
	}
	var e struct{ ID string }
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatal(err)
	}
	return e.ID
}

// checkRollups compares every rollup and histogram of the evaluation with the
// scores themselves.
func (a *testAPI) checkRollups(t *testing.T, evalID string) {
	t.Helper()
	var bad []string
	rows, err := a.pool.Query(context.Background(), `
		WITH exact AS (
			SELECT scorer, model, count(*) AS n_scores, count(value) AS n, count(*) FILTER (WHERE passed) AS n_passed,
			       count(passed) AS n_pass_known, count(error) AS n_errors, min(value) AS mn, max(value) AS mx, avg(value) AS mean
			FROM scores WHERE evaluation_id = $1 GROUP BY scorer, model
		), roll AS (
			SELECT scorer, model, sum(n_scores)::bigint AS n_scores, sum(n)::bigint AS n, sum(n_passed)::bigint AS n_passed,
			       sum(n_pass_known)::bigint AS n_pass_known, sum(n_errors)::bigint AS n_errors, min(min_value) AS mn,
			       max(max_value) AS mx, sum(mean * n) / nullif(sum(n), 0) AS mean
			FROM score_rollups WHERE evaluation_id = $1 GROUP BY scorer, model
		), hist AS (
			SELECT scorer, model, sum(count)::bigint AS n FROM score_histograms WHERE evaluation_id = $1 GROUP BY scorer, model
		)
		SELECT format('%s/%s: scores %s rollup %s histogram %s', scorer, model, row(e.n_scores, e.n, e.n_passed, e.n_pass_known, e.n_errors, e.mn, e.mx, e.mean),
		              row(r.n_scores, r.n, r.n_passed, r.n_pass_known, r.n_errors, r.mn, r.mx, r.mean), h.n)
		FROM exact e FULL JOIN roll r USING (scorer, model) LEFT JOIN hist h USING (scorer, model)
		WHERE row(e.n_scores, e.n, e.n_passed, e.n_pass_known, e.n_errors, e.mn, e.mx) IS DISTINCT FROM
		      row(r.n_scores, r.n, r.n_passed, r.n_pass_known, r.n_errors, r.mn, r.mx)
		   OR abs(e.mean - r.mean) > 1e-9 * greatest(1, abs(e.mean))
		   OR coalesce(h.n, 0) <> coalesce(e.n, 0)`, evalID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		bad = append(bad, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		t.Errorf("rollups disagree with the scores:\n%s", strings.Join(bad, "\n"))
	}
}

// count returns the evaluation's responses.
func (a *testAPI) countResponses(t *testing.T, evalID string) int {
	t.Helper()
	var n int
	if err := a.pool.QueryRow(context.Background(), `SELECT count(*) FROM responses WHERE evaluation_id = $1`, evalID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runAll runs the functions at once and returns their errors.
func runAll(fns ...func() error) []error {
	errs := make([]error, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	return errs
}

// expect checks a reply's status.
func expect(r reply, err error, what string, statuses ...int) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if !slices.Contains(statuses, r.status) {
		return fmt.Errorf("%s = %d %s, want %v", what, r.status, r.body, statuses)
	}
	return nil
}

// TestOppositeOrderBulkPosts posts the same external ids in opposite orders at
// once: one request of a chunk, and one of several chunks whose overlap spans
// chunks (the deadlock there is retried with the chunks replayed).
func TestOppositeOrderBulkPosts(t *testing.T) {
	a := newTestAPI(t, Config{})
	for _, size := range []int{300, 2500} {
		for round := range 3 {
			name := fmt.Sprintf("opposite-%d-%d", size, round)
			evalID := a.newEvaluation(t, name)
			ids := externalIDs("x", size)
			reversed := slices.Clone(ids)
			slices.Reverse(reversed)
			var created [2]int
			errs := runAll(
				func() error { return postCounting(a, name, ids, &created[0]) },
				func() error { return postCounting(a, name, reversed, &created[1]) },
			)
			for _, err := range errs {
				if err != nil {
					t.Errorf("size %d round %d: %v", size, round, err)
				}
			}
			if created[0]+created[1] != size {
				t.Errorf("size %d round %d: created %d + %d, want %d in all", size, round, created[0], created[1], size)
			}
			if n := a.countResponses(t, evalID); n != size {
				t.Errorf("size %d round %d: %d responses stored, want %d", size, round, n, size)
			}
			a.checkRollups(t, evalID)
		}
	}
}

func postCounting(a *testAPI, eval string, ids []string, created *int) error {
	r, err := a.send(http.MethodPost, "/v1/evaluations/"+eval+"/responses", "application/x-ndjson", ndjson("m", ids),
		http.Header{"Prefer": {"return=minimal"}})
	if err := expect(r, err, "post", http.StatusOK, http.StatusCreated); err != nil {
		return err
	}
	var out struct{ Created, Existing int }
	if err := json.Unmarshal(r.body, &out); err != nil {
		return err
	}
	*created = out.Created
	if out.Created+out.Existing != len(ids) {
		return fmt.Errorf("post counted %d created and %d existing, want %d in all", out.Created, out.Existing, len(ids))
	}
	return nil
}

// TestConcurrentDeletes deletes ten responses of one model (and of two) at once.
func TestConcurrentDeletes(t *testing.T) {
	a := newTestAPI(t, Config{})
	for round := range 3 {
		name := fmt.Sprintf("deletes-%d", round)
		evalID := a.newEvaluation(t, name)
		for _, model := range []string{"m1", "m2"} {
			if r := a.do(http.MethodPost, "/v1/evaluations/"+name+"/responses", a.admin, "application/x-ndjson",
				ndjson(model, externalIDs(model, 40))); r.status != http.StatusCreated {
				t.Fatalf("post = %d %s", r.status, r.body)
			}
		}
		var fns []func() error
		for i := range 10 {
			id := fmt.Sprintf("m1-%05d", i)
			if round == 2 && i%2 == 1 {
				id = fmt.Sprintf("m2-%05d", i)
			}
			fns = append(fns, func() error {
				r, err := a.send(http.MethodDelete, "/v1/evaluations/"+name+"/responses/"+id, "", "", nil)
				return expect(r, err, "delete "+id, http.StatusNoContent)
			})
		}
		for _, err := range runAll(fns...) {
			if err != nil {
				t.Errorf("round %d: %v", round, err)
			}
		}
		if n := a.countResponses(t, evalID); n != 70 {
			t.Errorf("round %d: %d responses left, want 70", round, n)
		}
		a.checkRollups(t, evalID)
	}
}

// TestDeletesRaceIngests runs disjoint ingests (single items and small and large
// batches) beside deletes of stored responses of the same models.
func TestDeletesRaceIngests(t *testing.T) {
	a := newTestAPI(t, Config{})
	const name = "race"
	evalID := a.newEvaluation(t, name)
	for _, model := range []string{"m1", "m2"} {
		if r := a.do(http.MethodPost, "/v1/evaluations/"+name+"/responses", a.admin, "application/x-ndjson",
			ndjson(model, externalIDs("old-"+model, 30))); r.status != http.StatusCreated {
			t.Fatalf("post = %d %s", r.status, r.body)
		}
	}
	post := func(model, prefix string, n, batches int) func() error {
		return func() error {
			for b := range batches {
				ids := externalIDs(fmt.Sprintf("%s-%d", prefix, b), n)
				r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/x-ndjson", ndjson(model, ids), nil)
				if err := expect(r, err, "post "+prefix, http.StatusCreated); err != nil {
					return err
				}
			}
			return nil
		}
	}
	del := func(model string, from, to int) func() error {
		return func() error {
			for i := from; i < to; i++ {
				id := fmt.Sprintf("old-%s-%05d", model, i)
				r, err := a.send(http.MethodDelete, "/v1/evaluations/"+name+"/responses/"+id, "", "", nil)
				if err := expect(r, err, "delete "+id, http.StatusNoContent); err != nil {
					return err
				}
			}
			return nil
		}
	}
	errs := runAll(
		post("m1", "single-a", 1, 15), post("m1", "single-b", 1, 15), post("m2", "single-c", 1, 15),
		post("m1", "small", 40, 4), post("m2", "bulk2", 1200, 1), post("m1", "bulk1", 1500, 1),
		del("m1", 0, 10), del("m1", 10, 20), del("m2", 0, 10), del("m2", 10, 20),
	)
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n, want := a.countResponses(t, evalID), 60-40+15*3+40*4+1200+1500; n != want {
		t.Errorf("%d responses stored, want %d", n, want)
	}
	a.checkRollups(t, evalID)
}

// TestDisjointWriters runs six writers of disjoint batches into one evaluation.
func TestDisjointWriters(t *testing.T) {
	a := newTestAPI(t, Config{})
	const name = "disjoint"
	evalID := a.newEvaluation(t, name)
	var fns []func() error
	for w := range 6 {
		fns = append(fns, func() error {
			for b := range 8 {
				ids := externalIDs(fmt.Sprintf("w%d-b%d", w, b), 100)
				r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/x-ndjson",
					ndjson(fmt.Sprintf("m%d", (w+b)%3), ids), nil)
				if err := expect(r, err, "post", http.StatusCreated); err != nil {
					return err
				}
			}
			return nil
		})
	}
	for _, err := range runAll(fns...) {
		if err != nil {
			t.Error(err)
		}
	}
	if n := a.countResponses(t, evalID); n != 6*8*100 {
		t.Errorf("%d responses stored, want %d", n, 6*8*100)
	}
	a.checkRollups(t, evalID)
}
