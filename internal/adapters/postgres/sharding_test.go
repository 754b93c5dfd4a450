package postgres_test

import (
	"context"
	"slices"
	"sort"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// How each table would be placed if the database were sharded by evaluation with
// Citus (docs/scaling.md). Every table of the schema must be named here, so a new
// table is a decision, not an accident.
var (
	// distributed tables grow with the data and are sharded by evaluation_id,
	// co-located, so that every query of one evaluation runs on one node.
	distributed = []string{"responses", "scores", "comparisons", "score_rollups", "score_histograms", "judgments", "pending_scores", "comparison_outcomes", "comparison_pairs", "agreement_judgements", "prompt_mean_states", "prompt_means", "response_counts"}
	// reference tables are small and copied to every node.
	reference = []string{"evaluations", "api_keys", "judges"}
	// local tables stay on the coordinator: bookkeeping that no distributed query joins.
	local = []string{"goose_db_version", "idempotency_keys", "rate_buckets", "jobs", "web_sessions"}
	// localPrefixes are whole families of bookkeeping tables (River's job queue).
	localPrefixes = []string{"river_"}
)

const shardKey = "evaluation_id"

// TestSchemaCanBeShardedByEvaluation checks the rules that sharding by
// evaluation_id puts on the schema, so a change that would block it fails here:
//   - every table is classified (distributed, reference or local);
//   - a distributed table has a NOT NULL evaluation_id, and every primary key and
//     unique constraint includes it (a distributed table can only enforce
//     uniqueness within one shard);
//   - a foreign key between distributed tables includes evaluation_id on both
//     sides, in the same position (co-location: the referenced row is on the
//     same node);
//   - no reference or local table has a foreign key to a distributed table.
func TestSchemaCanBeShardedByEvaluation(t *testing.T) {
	t.Parallel()
	pool := testdb.Pool(t)
	ctx := context.Background()

	rows, err := pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	isLocal := func(name string) bool {
		if slices.Contains(local, name) {
			return true
		}
		for _, p := range localPrefixes {
			if len(name) >= len(p) && name[:len(p)] == p {
				return true
			}
		}
		return false
	}
	for _, name := range tables {
		if !slices.Contains(distributed, name) && !slices.Contains(reference, name) && !isLocal(name) {
			t.Errorf("table %s is not classified as distributed, reference or local for sharding by %s; see docs/scaling.md", name, shardKey)
		}
	}
	for _, name := range distributed {
		if !slices.Contains(tables, name) {
			t.Errorf("distributed table %s does not exist; update the classification", name)
		}
	}

	// The shard key is NOT NULL on every distributed table.
	for _, name := range distributed {
		var nullable string
		err := pool.QueryRow(ctx, `SELECT is_nullable FROM information_schema.columns
			WHERE table_schema = 'public' AND table_name = $1 AND column_name = $2`, name, shardKey).Scan(&nullable)
		if err != nil {
			t.Errorf("distributed table %s has no %s column: %v", name, shardKey, err)
			continue
		}
		if nullable != "NO" {
			t.Errorf("%s.%s is nullable", name, shardKey)
		}
	}

	// Constraints, with their columns in key order.
	type constraint struct {
		table, name, kind, refTable string
		cols, refCols               []string
	}
	crows, err := pool.Query(ctx, `
		SELECT c.conrelid::regclass::text, c.conname, c.contype::text,
		       coalesce(c.confrelid::regclass::text, ''),
		       ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
		             JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n ORDER BY k.i)::text[],
		       ARRAY(SELECT a.attname FROM unnest(coalesce(c.confkey, '{}')) WITH ORDINALITY k(n, i)
		             JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n ORDER BY k.i)::text[]
		FROM pg_constraint c JOIN pg_namespace s ON s.oid = c.connamespace
		WHERE s.nspname = 'public' AND c.contype IN ('p', 'u', 'f')`)
	if err != nil {
		t.Fatal(err)
	}
	var cons []constraint
	for crows.Next() {
		var c constraint
		if err := crows.Scan(&c.table, &c.name, &c.kind, &c.refTable, &c.cols, &c.refCols); err != nil {
			t.Fatal(err)
		}
		cons = append(cons, c)
	}
	if err := crows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Slice(cons, func(i, j int) bool { return cons[i].name < cons[j].name })
	checked := 0
	for _, c := range cons {
		dist := slices.Contains(distributed, c.table)
		switch {
		case dist && (c.kind == "p" || c.kind == "u"):
			checked++
			if !slices.Contains(c.cols, shardKey) {
				t.Errorf("%s: %s key %v of distributed table %s does not include %s", c.name, map[string]string{"p": "primary", "u": "unique"}[c.kind], c.cols, c.table, shardKey)
			}
		case dist && c.kind == "f" && slices.Contains(distributed, c.refTable):
			checked++
			i := slices.Index(c.cols, shardKey)
			if i < 0 || i >= len(c.refCols) || c.refCols[i] != shardKey {
				t.Errorf("%s: foreign key %s%v → %s%v between distributed tables does not match %s on both sides",
					c.name, c.table, c.cols, c.refTable, c.refCols, shardKey)
			}
		case !dist && c.kind == "f" && slices.Contains(distributed, c.refTable):
			checked++
			t.Errorf("%s: %s is not distributed but has a foreign key to distributed table %s", c.name, c.table, c.refTable)
		}
	}
	if checked == 0 {
		t.Fatal("no constraint of a distributed table was checked; the query found nothing")
	}
}
