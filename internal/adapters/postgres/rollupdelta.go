package postgres

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres/internal/dbsqlc"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// A bulk ingest folds the scores it inserts into the rollups from memory: the
// scores are in hand when their chunk is written, so reading them back through
// the scores' primary key (once for the rollups and once more for the
// histograms) would only repeat work. rollupDelta gathers, per scorer and model,
// the counts and each distinct value with how often it occurs; the database then
// buckets the values with score_bucket, its one definition of a bucket. Distinct
// values are few for most scorers (counts, flags, lengths); for continuous ones
// the delta is folded in whenever it holds maxDeltaValues of them, so memory
// stays bounded whatever the size of the request.

// maxDeltaValues is how many distinct values (over every scorer and model) a
// rollup delta holds before it is folded in.
var maxDeltaValues = 1 << 15

type rollupKey struct{ scorer, model string }

type rollupValue struct {
	rollupKey
	value float64
}

type rollupCounts struct{ nScores, nPassKnown, nPassed, nErrors int64 }

// rollupDelta is what a transaction has yet to fold into one rollup shard.
type rollupDelta struct {
	evalID domain.ID
	shard  int16
	counts map[rollupKey]*rollupCounts
	values map[rollupValue]int64
}

func newRollupDelta(shard int16) *rollupDelta {
	return &rollupDelta{shard: shard, counts: map[rollupKey]*rollupCounts{}, values: map[rollupValue]int64{}}
}

// addInserted adds the scores of the responses of a chunk that were inserted
// (ids, in any order; all of them when len(ids) == len(rs)).
func (d *rollupDelta) addInserted(rs []domain.Response, ids []domain.ID) {
	if len(ids) == len(rs) {
		for _, r := range rs {
			d.add(r)
		}
		return
	}
	in := make(map[domain.ID]bool, len(ids))
	for _, id := range ids {
		in[id] = true
	}
	for _, r := range rs {
		if in[r.ID] {
			d.add(r)
		}
	}
}

// add adds one stored response's scores.
func (d *rollupDelta) add(r domain.Response) {
	d.evalID = r.EvaluationID
	for _, sc := range r.Scores {
		k := rollupKey{sc.Scorer, r.Model}
		c := d.counts[k]
		if c == nil {
			c = &rollupCounts{}
			d.counts[k] = c
		}
		c.nScores++
		if sc.Value != nil {
			d.values[rollupValue{k, *sc.Value}]++
		}
		if sc.Passed != nil {
			c.nPassKnown++
			if *sc.Passed {
				c.nPassed++
			}
		}
		if sc.Error != "" {
			c.nErrors++
		}
	}
}

// full reports whether the delta should be folded in before it grows further.
func (d *rollupDelta) full() bool { return len(d.values) >= maxDeltaValues }

// flush folds the delta into its shard, under the models' shared rollup lock
// (db/queries/ingest.sql), and empties it.
func (d *rollupDelta) flush(ctx context.Context, q *dbsqlc.Queries) error {
	if len(d.counts) == 0 {
		return nil
	}
	keys := slices.SortedFunc(maps.Keys(d.counts), func(a, b rollupKey) int {
		return cmp.Or(cmp.Compare(a.scorer, b.scorer), cmp.Compare(a.model, b.model))
	})
	models := map[string]bool{}
	for _, k := range keys {
		models[k.model] = true
	}
	ev := pgID(d.evalID)
	if err := q.ShareModelRollups(ctx, dbsqlc.ShareModelRollupsParams{EvaluationID: ev, Models: slices.Sorted(maps.Keys(models))}); err != nil {
		return translate(err)
	}
	if err := q.AddRollups(ctx, d.rollups(ev, keys)); err != nil {
		return translate(err)
	}
	if len(d.values) > 0 {
		h := dbsqlc.AddHistogramsParams{EvaluationID: ev, Shard: d.shard}
		for v, n := range d.values {
			h.Scorers = append(h.Scorers, v.scorer)
			h.Models = append(h.Models, v.model)
			h.Values = append(h.Values, v.value)
			h.Counts = append(h.Counts, n)
		}
		if err := q.AddHistograms(ctx, h); err != nil {
			return translate(err)
		}
	}
	clear(d.counts)
	clear(d.values)
	return nil
}

// moments are the count, mean, sum of squared deviations and extremes of one
// scorer and model's values.
type moments struct {
	n             int64
	sum, mean, m2 float64
	lo, hi        float64
}

// rollups computes the rows of AddRollups, one per key, in key order: the mean
// in one pass over the distinct values and M2 around it in a second.
func (d *rollupDelta) rollups(ev pgtype.UUID, keys []rollupKey) dbsqlc.AddRollupsParams {
	mom := make(map[rollupKey]*moments, len(keys))
	for _, k := range keys {
		mom[k] = &moments{lo: math.Inf(1), hi: math.Inf(-1)}
	}
	for v, n := range d.values {
		m := mom[v.rollupKey]
		m.n += n
		m.sum += float64(n) * v.value
		m.lo, m.hi = min(m.lo, v.value), max(m.hi, v.value)
	}
	for _, m := range mom {
		if m.n > 0 {
			m.mean = m.sum / float64(m.n)
		}
	}
	for v, n := range d.values {
		m := mom[v.rollupKey]
		dev := v.value - m.mean
		m.m2 += float64(n) * dev * dev
	}
	p := dbsqlc.AddRollupsParams{EvaluationID: ev, Shard: d.shard}
	for _, k := range keys {
		c, m := d.counts[k], mom[k]
		if m.n == 0 {
			m.lo, m.hi = 0, 0 // stored as NULL
		}
		p.Scorers = append(p.Scorers, k.scorer)
		p.Models = append(p.Models, k.model)
		p.NScores = append(p.NScores, c.nScores)
		p.Ns = append(p.Ns, m.n)
		p.Means = append(p.Means, m.mean)
		p.M2s = append(p.M2s, m.m2)
		p.MinValues = append(p.MinValues, m.lo)
		p.MaxValues = append(p.MaxValues, m.hi)
		p.NPassKnown = append(p.NPassKnown, c.nPassKnown)
		p.NPassed = append(p.NPassed, c.nPassed)
		p.NErrors = append(p.NErrors, c.nErrors)
	}
	return p
}
