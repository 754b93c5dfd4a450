package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// large returns the large evaluation, loading it on first use, so the queries
// and dashboard sections share one load. Notes come with the first call only.
func (e *env) large(ctx context.Context, o options, logf func(string, ...any)) (*bigEval, []string, error) {
	if e.big != nil {
		return e.big, nil, nil
	}
	load := loadBig
	if o.reuse != "" {
		load = openBig
	}
	b, notes, err := load(ctx, e, o, logf)
	if err != nil {
		return nil, nil, err
	}
	e.big = b
	return b, notes, nil
}

// webClient is a browser's view of the dashboard: a signed-in session cookie.
type webClient struct {
	base string
	hc   *http.Client
}

func signIn(ctx context.Context, base, key string) (*webClient, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := newHTTPClient(4)
	hc.Jar = jar
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/signin", strings.NewReader(url.Values{"key": {key}}.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign in: status %d, want 303", res.StatusCode)
	}
	return &webClient{base: base, hc: hc}, nil
}

// get fetches a page, reads all of it and returns how long that took; anything
// but a 200 is an error.
func (w *webClient) get(ctx context.Context, path string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	res, err := w.hc.Do(req)
	if err != nil {
		return 0, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	d := time.Since(start)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: status %d: %.300s", path, res.StatusCode, body)
	}
	return d, nil
}

// page is one dashboard page and its baseline: the API request for the same data
// where the API has one, else the SQL that dominates the page, run with pgx.
type page struct {
	measure, path string
	baseline      string
	apiPath       string
	sql           string
	args          []any
}

// benchDashboard measures section 4: the time of a signed-in page view on the
// large evaluation, wall clock on loopback (the server's time plus a fraction of
// a millisecond), against its baseline.
func benchDashboard(ctx context.Context, e *env, o options, logf func(string, ...any)) ([]row, []string, error) {
	b, notes, err := e.large(ctx, o, logf)
	if err != nil {
		return nil, nil, err
	}
	w, err := signIn(ctx, e.api.base, e.api.key)
	if err != nil {
		return nil, nil, err
	}
	model := b.modelTags[b.models/2]
	deep := max(2, min(o.deepPage, b.n/25))
	var afterID, someID pgtype.UUID
	if err := e.pool.QueryRow(ctx, `SELECT id FROM responses WHERE evaluation_id = $1 ORDER BY id OFFSET $2 LIMIT 1`,
		b.id, 25*(deep-1)-1).Scan(&afterID); err != nil {
		return nil, nil, fmt.Errorf("find the id before page %d: %w", deep, err)
	}
	if err := e.pool.QueryRow(ctx, `SELECT id FROM responses WHERE evaluation_id = $1 ORDER BY id OFFSET $2 LIMIT 1`,
		b.id, b.n/2).Scan(&someID); err != nil {
		return nil, nil, err
	}
	after, _ := afterID.Value()
	one, _ := someID.Value()
	word := strings.Fields(b.prompts[0])[0]
	r := "/evaluations/" + b.name
	pages := []page{
		{measure: "/ (the evaluation list; each row's counts load after it)", path: "/",
			baseline: "GET /v1/evaluations", apiPath: "/v1/evaluations"},
		{measure: "… its counts, loaded after it (one row of /)", path: r + "/activity?view=row",
			baseline: "count the responses and comparisons, by pgx",
			sql:      `SELECT (SELECT count(*) FROM responses WHERE evaluation_id = $1), (SELECT count(*) FROM comparisons WHERE evaluation_id = $1)`, args: []any{b.id}},
		{measure: "an evaluation (summary, histograms)", path: r,
			baseline: "GET …/summary", apiPath: "/v1/evaluations/" + b.name + "/summary"},
		{measure: "… its per-model table, loaded after it", path: r + "?view=by-model&sort=mean",
			baseline: "GET …/summary?group_by=model", apiPath: "/v1/evaluations/" + b.name + "/summary?group_by=model"},
		{measure: "responses, page 1", path: r + "/responses",
			baseline: "GET …/responses?limit=25", apiPath: "/v1/evaluations/" + b.name + "/responses?limit=25"},
		{measure: fmt.Sprintf("responses, page %s forward", groupThousands(int64(deep))), path: r + "/responses?after=" + fmt.Sprint(after),
			baseline: "the page's rows, by pgx", sql: `SELECT * FROM responses WHERE evaluation_id = $1 AND id > $2 ORDER BY id LIMIT 26`, args: []any{b.id, afterID}},
		{measure: fmt.Sprintf("responses, page %s back", groupThousands(int64(deep-1))), path: r + "/responses?before=" + fmt.Sprint(after),
			baseline: "the page's rows, by pgx", sql: `SELECT * FROM responses WHERE evaluation_id = $1 AND id < $2 ORDER BY id DESC LIMIT 26`, args: []any{b.id, afterID}},
		{measure: "responses, model + refusal failed", path: r + "/responses?model=" + url.QueryEscape(model) + "&scorer=refusal&passed=false",
			baseline: "GET …/responses (same filters, limit 25)", apiPath: "/v1/evaluations/" + b.name + "/responses?limit=25&scorer=refusal&passed=false&model=" + url.QueryEscape(model)},
		{measure: "responses, length score from 50 to 80", path: r + "/responses?scorer=length&min=50&max=80",
			baseline: "the page via the scores index, by pgx",
			sql:      `SELECT response_id FROM scores WHERE evaluation_id = $1 AND scorer = 'length' AND value BETWEEN 50 AND 80 ORDER BY response_id LIMIT 26`, args: []any{b.id}},
		{measure: fmt.Sprintf("responses, text search %q", word), path: r + "/responses?q=" + url.QueryEscape(word),
			baseline: "the ILIKE page, by pgx",
			sql:      `SELECT id FROM responses WHERE evaluation_id = $1 AND (prompt ILIKE $2 OR response ILIKE $2) ORDER BY id LIMIT 26`, args: []any{b.id, "%" + word + "%"}},
		{measure: "responses, text search for a word no response has (the page reads 1,000 rows, the baseline all)", path: r + "/responses?q=zyzzyva",
			baseline: "the ILIKE page, by pgx",
			sql:      `SELECT id FROM responses WHERE evaluation_id = $1 AND (prompt ILIKE $2 OR response ILIKE $2) ORDER BY id LIMIT 26`, args: []any{b.id, "%zyzzyva%"}},
		{measure: "one response with its scores", path: r + "/responses/" + fmt.Sprint(one),
			baseline: "GET …/responses/{id}", apiPath: "/v1/evaluations/" + b.name + "/responses/" + fmt.Sprint(one)},
		{measure: "preferences (BT with 100 bootstrap rounds, win rates, interval plot)", path: r + "/preferences",
			baseline: "GET …/leaderboard?method=bt&bootstrap=100", apiPath: "/v1/evaluations/" + b.name + "/leaderboard?method=bt&bootstrap=100&seed=1"},
		{measure: "… its heatmaps, loaded after it", path: r + "/preferences/heatmaps",
			baseline: "pair outcomes in SQL, by pgx",
			sql:      `SELECT model_a, model_b, preference, count(*) FROM comparisons WHERE evaluation_id = $1 GROUP BY model_a, model_b, preference`, args: []any{b.id}},
		{measure: "… its annotator agreement, loaded after it", path: r + "/preferences/agreement",
			baseline: "GET …/agreement", apiPath: "/v1/evaluations/" + b.name + "/agreement"},
		{measure: "comparisons, page 1 (10 with both responses)", path: r + "/comparisons",
			baseline: "GET …/comparisons?limit=10", apiPath: "/v1/evaluations/" + b.name + "/comparisons?limit=10"},
		// The default rounds: 1,000, or as many as the draw limit allows at this
		// size. Measured with the per-prompt means cached (diffRows first makes
		// the cache stale and times its refresh).
		{measure: "diff of the evaluation against itself, default bootstrap rounds, per-prompt means cached (paired deltas, CIs, the prompts that moved most)",
			path:     r + "/diff?candidate=" + url.QueryEscape(b.name),
			baseline: "GET …/diff/{candidate}", apiPath: "/v1/evaluations/" + b.name + "/diff/" + b.name},
		{measure: "jobs", path: "/jobs", baseline: "GET /v1/jobs", apiPath: "/v1/jobs"},
		{measure: "API keys", path: "/keys", baseline: "GET /v1/keys", apiPath: "/v1/keys"},
	}
	var rows []row
	for _, p := range pages {
		if strings.HasPrefix(p.measure, "diff ") {
			stale, err := diffRows(ctx, e, w, b, p, logf)
			if err != nil {
				return nil, nil, err
			}
			rows = append(rows, stale...)
		}
		rw := row{section: "4 dashboard", measure: p.measure, unit: latency, baseline: p.baseline, goal: "< 200 ms", met: "no"}
		// One untimed view first: it warms the caches and checks the page works.
		if _, err := w.get(ctx, p.path); err != nil {
			return nil, nil, err
		}
		if _, err := p.runBaseline(ctx, e); err != nil {
			return nil, nil, fmt.Errorf("baseline of %s: %w", p.measure, err)
		}
		var svc, base []float64
		for range o.reps {
			d, err := w.get(ctx, p.path)
			if err != nil {
				return nil, nil, err
			}
			svc = append(svc, d.Seconds())
			if d, err = p.runBaseline(ctx, e); err != nil {
				return nil, nil, err
			}
			base = append(base, d.Seconds())
		}
		rw.value, rw.base = median(svc), median(base)
		rw.met = yesNo(rw.value < 0.200)
		logf("dashboard: %s: %s (baseline %s)", p.measure, formatValue(latency, rw.value), formatValue(latency, rw.base))
		rows = append(rows, rw)
	}
	notes = append(notes, "dashboard: wall-clock time of a signed-in page view over loopback, the whole HTML read; "+
		"the baseline is the API request for the same data where there is one, else the SQL that dominates the page")
	return rows, notes, nil
}

func (p page) runBaseline(ctx context.Context, e *env) (time.Duration, error) {
	if p.apiPath != "" {
		return e.api.timed(ctx, http.MethodGet, p.apiPath, "", nil, http.StatusOK)
	}
	start := time.Now()
	rows, err := e.pool.Query(ctx, p.sql, p.args...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
		_ = rows.RawValues()
	}
	rows.Close()
	return time.Since(start), rows.Err()
}

// diffRows measures what a diff costs before its per-prompt means are cached.
// It drops the large evaluation's cache (as any write to its scores makes it
// stale) and times the first view of the diff page, which answers at once that
// the means are being prepared; then the refresh job that view enqueued, alone,
// against the SQL that groups the scores per prompt; then, with the cache dropped
// again, the API's diff, which computes the means from the scores (while the
// refresh it enqueues runs beside it), against the SQL that paired the two sides
// per prompt before the cache. It leaves the cache fresh.
func diffRows(ctx context.Context, e *env, w *webClient, b *bigEval, p page, logf func(string, ...any)) ([]row, error) {
	drop := func() error {
		_, err := e.pool.Exec(ctx, `DELETE FROM prompt_mean_states WHERE evaluation_id = $1`, b.id)
		return err
	}
	// awaitRefresh waits for the newest refresh job of the evaluation and returns
	// how long it ran.
	awaitRefresh := func() (time.Duration, error) {
		var job pgtype.UUID
		if err := e.pool.QueryRow(ctx, `SELECT id FROM jobs WHERE evaluation_id = $1 AND kind = 'prompt_means' ORDER BY id DESC LIMIT 1`, b.id).Scan(&job); err != nil {
			return 0, fmt.Errorf("find the refresh job the diff enqueued: %w", err)
		}
		for {
			var status string
			var ran pgtype.Interval
			if err := e.pool.QueryRow(ctx, `SELECT status, COALESCE(finished_at - started_at, '0') FROM jobs WHERE id = $1`, job).Scan(&status, &ran); err != nil {
				return 0, err
			}
			switch status {
			case "succeeded":
				return time.Duration(ran.Microseconds) * time.Microsecond, nil
			case "failed", "cancelled":
				return 0, fmt.Errorf("the per-prompt means job %v %s", job, status)
			}
			select {
			case <-ctx.Done():
				return 0, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	if err := drop(); err != nil {
		return nil, fmt.Errorf("drop the cached per-prompt means: %w", err)
	}
	first, err := w.get(ctx, p.path)
	if err != nil {
		return nil, err
	}
	refresh, err := awaitRefresh()
	if err != nil {
		return nil, err
	}
	grouping := page{sql: `SELECT scorer, prompt_id, count(*), avg(value::text::numeric)::float8, avg(passed::int) FROM scores
		WHERE evaluation_id = $1 AND value IS NOT NULL GROUP BY scorer, prompt_id`, args: []any{b.id}}
	group, err := grouping.runBaseline(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("baseline of the refresh: %w", err)
	}
	if err := drop(); err != nil {
		return nil, err
	}
	live, err := p.runBaseline(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("the API's diff while stale: %w", err)
	}
	if _, err := awaitRefresh(); err != nil {
		return nil, err
	}
	pairing := page{sql: `WITH b AS (SELECT scorer, prompt_id, avg(value) v, avg(passed::int) p FROM scores WHERE evaluation_id = $1 AND value IS NOT NULL GROUP BY 1, 2),
		c AS (SELECT scorer, prompt_id, avg(value) v, avg(passed::int) p FROM scores WHERE evaluation_id = $1 AND value IS NOT NULL GROUP BY 1, 2)
		SELECT * FROM b FULL JOIN c USING (scorer, prompt_id) ORDER BY 1, 2`, args: []any{b.id}}
	paired, err := pairing.runBaseline(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("baseline of the stale API diff: %w", err)
	}
	rows := []row{
		{section: "4 dashboard", measure: "diff, first view with the per-prompt means stale (says they are being prepared; one view)",
			unit: latency, baseline: "GET …/diff/{candidate} below", goal: "< 200 ms",
			value: first.Seconds(), base: live.Seconds(), met: yesNo(first < 200*time.Millisecond)},
		{section: "4 dashboard", measure: "… the refresh job that view enqueued (per-prompt means of every scorer, stored; one run)",
			unit: latency, baseline: "the per-prompt grouping alone, by pgx", value: refresh.Seconds(), base: group.Seconds()},
		{section: "4 dashboard", measure: "GET …/diff/{candidate} with the per-prompt means stale (from the scores, its refresh running beside it; one request)",
			unit: latency, baseline: "both sides grouped and paired in SQL, as before the cache, by pgx", value: live.Seconds(), base: paired.Seconds()},
	}
	for _, r := range rows {
		logf("dashboard: %s: %s (baseline %s)", r.measure, formatValue(latency, r.value), formatValue(latency, r.base))
	}
	return rows, nil
}
