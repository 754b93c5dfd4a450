package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// probe is one read request and the baseline it is held against: the least SQL
// that could answer it, run directly with pgx, every row read.
type probe struct {
	measure  string
	path     string
	baseline string
	sql      string
	args     []any
	// then runs a second statement with the ids the first returned (a page's scores).
	thenScores bool
	goal       string
	limit      float64 // seconds; 0 when the row has no goal
	// optional routes may not exist yet: a 404 from the router is reported as
	// "route missing" instead of failing the run.
	optional bool
}

// benchQueries measures section 3.
func benchQueries(ctx context.Context, e *env, o options, logf func(string, ...any)) ([]row, []string, error) {
	b, notes, err := e.large(ctx, o, logf)
	if err != nil {
		return nil, nil, err
	}
	model := b.modelTags[b.models/2]
	pagePath := "/v1/evaluations/" + b.name + "/responses"

	// The deep page: page p of 50 starts after row 50(p-1) in id order. Its cursor
	// is page 1's next_cursor with the id swapped for that row's (the cursor is
	// base64url JSON whose "i" is the last id seen); walking 10,000 pages by HTTP
	// would measure the walk, not the page.
	page := max(2, min(o.deepPage, b.n/50))
	var afterID pgtype.UUID
	if err := e.pool.QueryRow(ctx, `SELECT id FROM responses WHERE evaluation_id = $1 ORDER BY id OFFSET $2 LIMIT 1`,
		b.id, 50*(page-1)-1).Scan(&afterID); err != nil {
		return nil, nil, fmt.Errorf("find the id before page %d: %w", page, err)
	}
	deepCursor, cursorErr := deepPageCursor(ctx, e, pagePath, afterID)

	const pageSQL = `SELECT * FROM responses WHERE evaluation_id = $1 %s ORDER BY id LIMIT 51`
	probes := []probe{
		{measure: "GET …/summary", path: "/v1/evaluations/large/summary",
			baseline: "one pass: count, avg per scorer",
			sql:      `SELECT scorer, count(*), avg(value) FROM scores WHERE evaluation_id = $1 GROUP BY scorer`, args: []any{b.id},
			goal: "< 300 ms", limit: 0.300},
		{measure: "GET …/summary?exact=true (percentiles from every score)", path: "/v1/evaluations/large/summary?exact=true",
			baseline: "one pass: count, avg per scorer",
			sql:      `SELECT scorer, count(*), avg(value) FROM scores WHERE evaluation_id = $1 GROUP BY scorer`, args: []any{b.id}},
		{measure: "GET …/summary?group_by=model", path: "/v1/evaluations/large/summary?group_by=model",
			baseline: "one pass: count, avg per scorer, model",
			sql:      `SELECT scorer, model, count(*), avg(value) FROM scores WHERE evaluation_id = $1 GROUP BY scorer, model`, args: []any{b.id}},
		{measure: "GET …/responses?model=X&limit=50 (page 1)", path: pagePath + "?limit=50&model=" + url.QueryEscape(model),
			baseline: "the page and its scores, by pgx",
			sql:      fmt.Sprintf(pageSQL, "AND model = $2"), args: []any{b.id, model}, thenScores: true},
	}
	deep := probe{measure: fmt.Sprintf("GET …/responses?limit=50, deep keyset page (page %s)", groupThousands(int64(page))),
		baseline: "the page and its scores, by pgx",
		sql:      fmt.Sprintf(pageSQL, "AND id > $2"), args: []any{b.id, afterID}, thenScores: true}
	if cursorErr == nil {
		deep.path = pagePath + "?limit=50&cursor=" + url.QueryEscape(deepCursor)
	}
	probes = append(probes, deep,
		probe{measure: "GET …/responses?scorer=refusal&passed=false&limit=50", path: pagePath + "?limit=50&scorer=refusal&passed=false",
			baseline: "the page via the scores index, and its scores",
			sql: `SELECT r.* FROM scores s JOIN responses r ON r.evaluation_id = s.evaluation_id AND r.id = s.response_id
			      WHERE s.evaluation_id = $1 AND s.scorer = 'refusal' AND s.passed = false ORDER BY s.response_id LIMIT 51`,
			args: []any{b.id}, thenScores: true},
		probe{measure: "GET …/leaderboard?method=bt&bootstrap=100", path: "/v1/evaluations/large/leaderboard?method=bt&bootstrap=100",
			baseline: "pair counts and preference sums in SQL",
			sql:      `SELECT model_a, model_b, count(*), sum(preference) FROM comparisons WHERE evaluation_id = $1 GROUP BY model_a, model_b`,
			args:     []any{b.id}, goal: "< 5 s", limit: 5, optional: true},
		probe{measure: "GET …/leaderboard?method=bt&bootstrap=0", path: "/v1/evaluations/large/leaderboard?method=bt&bootstrap=0",
			baseline: "pair counts and preference sums in SQL",
			sql:      `SELECT model_a, model_b, count(*), sum(preference) FROM comparisons WHERE evaluation_id = $1 GROUP BY model_a, model_b`,
			args:     []any{b.id}, goal: "< 1 s", limit: 1, optional: true},
	)

	var rows []row
	for _, p := range probes {
		r := row{section: "3 reads", measure: p.measure, unit: latency, baseline: p.baseline, goal: p.goal}
		var svc, base []float64
		// One untimed request first: it warms the cache and tells whether the route exists.
		if p.path == "" {
			r.na = "cursor format not understood: " + cursorErr.Error()
		} else {
			status, body, err := e.api.do(ctx, http.MethodGet, p.path, "", nil)
			switch {
			case err != nil:
				return nil, nil, err
			case status == http.StatusNotFound && p.optional && strings.Contains(string(body), "no such route"):
				r.na = "route missing"
			case status != http.StatusOK:
				if !p.optional {
					return nil, nil, fmt.Errorf("GET %s: status %d: %.300s", p.path, status, body)
				}
				r.na = fmt.Sprintf("status %d: %.120s", status, body)
			}
		}
		if _, err := p.runBaseline(ctx, e); err != nil {
			return nil, nil, fmt.Errorf("baseline of %s: %w", p.measure, err)
		}
		for rep := 1; rep <= o.reps; rep++ {
			if r.na == "" {
				d, err := e.api.timed(ctx, http.MethodGet, p.path, "", nil, http.StatusOK)
				if err != nil {
					return nil, nil, err
				}
				svc = append(svc, d.Seconds())
			}
			d, err := p.runBaseline(ctx, e)
			if err != nil {
				return nil, nil, err
			}
			base = append(base, d.Seconds())
		}
		r.base = median(base)
		if r.na == "" {
			r.value = median(svc)
			if p.limit > 0 {
				r.met = yesNo(r.value < p.limit)
			}
			logf("queries: %s: %s (baseline %s)", p.measure, formatValue(latency, r.value), formatValue(latency, r.base))
		} else {
			logf("queries: %s: n/a (%s)", p.measure, r.na)
			if p.limit > 0 {
				r.met = "–"
			}
		}
		rows = append(rows, r)
	}
	return rows, notes, nil
}

// runBaseline runs the probe's SQL, reads every row and, for a page, fetches the
// scores of its responses, and returns how long it took.
func (p probe) runBaseline(ctx context.Context, e *env) (time.Duration, error) {
	start := time.Now()
	rows, err := e.pool.Query(ctx, p.sql, p.args...)
	if err != nil {
		return 0, err
	}
	var ids []pgtype.UUID
	for rows.Next() {
		raw := rows.RawValues()
		// A page's id is the second column of responses, in binary: 16 bytes.
		if p.thenScores && len(raw) > 1 && len(raw[1]) == 16 {
			id := pgtype.UUID{Valid: true}
			copy(id.Bytes[:], raw[1])
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if p.thenScores {
		if len(ids) == 0 {
			return 0, fmt.Errorf("the page is empty")
		}
		srows, err := e.pool.Query(ctx, `SELECT * FROM scores WHERE evaluation_id = $1 AND response_id = ANY($2)`, p.args[0], ids)
		if err != nil {
			return 0, err
		}
		for srows.Next() {
			_ = srows.RawValues()
		}
		srows.Close()
		if err := srows.Err(); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// deepPageCursor returns a cursor that continues the list after the given id,
// made from a real cursor of the same list.
func deepPageCursor(ctx context.Context, e *env, path string, after pgtype.UUID) (string, error) {
	status, body, err := e.api.do(ctx, http.MethodGet, path+"?limit=50", "", nil)
	if err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("page 1: status %d", status)
	}
	var page struct {
		NextCursor string `json:"next_cursor"`
	}
	if err := json.Unmarshal(body, &page); err != nil || page.NextCursor == "" {
		return "", fmt.Errorf("page 1 has no next_cursor")
	}
	raw, err := base64.RawURLEncoding.DecodeString(page.NextCursor)
	if err != nil {
		return "", fmt.Errorf("next_cursor is not base64url: %w", err)
	}
	var c map[string]any
	if err := json.Unmarshal(raw, &c); err != nil {
		return "", fmt.Errorf("next_cursor is not JSON: %w", err)
	}
	if _, ok := c["i"].(string); !ok {
		return "", fmt.Errorf("next_cursor has no id field \"i\"")
	}
	v, err := after.Value()
	if err != nil {
		return "", err
	}
	c["i"] = v
	raw, _ = json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw), nil
}
