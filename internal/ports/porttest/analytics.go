package porttest

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// The analytics and preference cases write a few responses, scores and
// comparisons with known values and check every aggregate against numbers the
// test computes itself from those rows.

// writeResponses stores responses with their scores through the response store,
// the one write path of these cases.
func writeResponses(t *testing.T, h Harness, rs ...domain.Response) {
	t.Helper()
	ins, err := h.Stores.Responses.InsertResponses(context.Background(), rs)
	if err != nil || len(ins) != len(rs) {
		t.Fatalf("InsertResponses = %d ids, %v; want %d", len(ins), err, len(rs))
	}
}

// writeComparisons stores comparisons through the comparison store.
func writeComparisons(t *testing.T, h Harness, cs ...domain.Comparison) {
	t.Helper()
	ins, err := h.Stores.Comparisons.InsertComparisons(context.Background(), cs)
	if err != nil || len(ins) != len(cs) {
		t.Fatalf("InsertComparisons = %d ids, %v; want %d", len(ins), err, len(cs))
	}
}

// scored is a response of an evaluation with the given scores.
func scored(e domain.Evaluation, ext, model, prompt string, scores ...domain.Score) domain.Response {
	for i := range scores {
		scores[i].CreatedAt = now()
		if scores[i].Details == nil {
			scores[i].Details = map[string]any{}
		}
	}
	return domain.Response{
		ID: newID(), EvaluationID: e.ID, ExternalID: ext, PromptID: domain.PromptHash(prompt), Model: model,
		Prompt: prompt, Text: model + " answers " + prompt, Metadata: map[string]any{}, CreatedAt: now(),
		Context: []domain.Message{{Role: "system", Content: "context of " + prompt}}, Scores: scores,
	}
}

// val is a score with a value, a pass verdict (nil: unknown) and optional stats.
func val(scorer string, v float64, passed *bool, stats ...float64) domain.Score {
	sc := domain.Score{Scorer: scorer, Value: &v, Passed: passed}
	if stats != nil {
		sc.Details = map[string]any{"stats": stats}
	}
	return sc
}

// failed is a score whose scorer failed: an error and no value.
func failed(scorer string) domain.Score {
	return domain.Score{Scorer: scorer, Error: scorer + " timed out"}
}

// group keys aggregates by scorer and model.
type group struct{ scorer, model string }

// expectedStats is what the test computes from the scores it wrote.
type expectedStats struct {
	nScores, nPassKnown, nPassed, nErrors int64
	values                                []float64
}

func (x expectedStats) mean() float64 {
	s := 0.0
	for _, v := range x.values {
		s += v
	}
	return s / float64(len(x.values))
}

// m2 is the sum of squared deviations from the mean.
func (x expectedStats) m2() float64 {
	m, s := x.mean(), 0.0
	for _, v := range x.values {
		s += (v - m) * (v - m)
	}
	return s
}

func (x expectedStats) extremes() (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, v := range x.values {
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

// percentile is the exact percentile with linear interpolation between the
// closest ranks (rank (n-1)·p of the sorted values).
func (x expectedStats) percentile(p float64) float64 {
	v := append([]float64(nil), x.values...)
	sort.Float64s(v)
	r := float64(len(v)-1) * p
	i := int(math.Floor(r))
	if i+1 >= len(v) {
		return v[i]
	}
	return v[i] + (r-float64(i))*(v[i+1]-v[i])
}

// expectScores groups the scores of rs by scorer, and by model too when byModel.
func expectScores(rs []domain.Response, byModel bool) map[group]*expectedStats {
	out := map[group]*expectedStats{}
	for _, r := range rs {
		for _, sc := range r.Scores {
			k := group{scorer: sc.Scorer}
			if byModel {
				k.model = r.Model
			}
			x := out[k]
			if x == nil {
				x = &expectedStats{}
				out[k] = x
			}
			x.nScores++
			if sc.Value != nil {
				x.values = append(x.values, *sc.Value)
			}
			if sc.Passed != nil {
				x.nPassKnown++
				if *sc.Passed {
					x.nPassed++
				}
			}
			if sc.Error != "" {
				x.nErrors++
			}
		}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func testAnalytics(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Analytics
	base := mustEvaluation(t, h.Stores.Evaluations)
	yes, no := ptr(true), ptr(false)
	// Scorer q has values, verdicts (one unknown) and a failure; bleu carries stats
	// arrays; chrf carries stats too but is never asked for; down only fails.
	// q is 2 for both models, so their histograms share a bucket.
	rs := []domain.Response{
		scored(base, "b1", "m1", "p1", val("q", 0.5, no), val("bleu", 10, nil, 1, 2, 3), val("chrf", 1, nil, 9, 9)),
		scored(base, "b2", "m1", "p2", val("q", 2, yes), val("bleu", 20, nil, 4, 5, 6)),
		scored(base, "b3", "m1", "p3", failed("q"), failed("bleu")),
		scored(base, "b4", "m2", "p1", val("q", -1.5, no), val("bleu", 30, nil, 7, 8, 0.5), failed("down")),
		scored(base, "b5", "m2", "p2", val("q", 2, nil), failed("down")),
		scored(base, "b6", "m2", "p2", val("q", 3, yes), val("bleu", 2, nil, 10, 20, 30.25)),
		scored(base, "b7", "m1", "p1", val("q", 2, no)),
	}
	// Several writes, so the rollups are folded more than once.
	writeResponses(t, h, rs[:2]...)
	writeResponses(t, h, rs[2:5]...)
	writeResponses(t, h, rs[5:]...)

	t.Run("SummarizeScores", func(t *testing.T) {
		for _, byModel := range []bool{false, true} {
			got, err := s.SummarizeScores(ctx, base.ID, byModel)
			if err != nil {
				t.Fatalf("SummarizeScores(byModel %v): %v", byModel, err)
			}
			want := expectScores(rs, byModel)
			if len(got) != len(want) {
				t.Errorf("SummarizeScores(byModel %v) = %d groups %+v, want %d", byModel, len(got), got, len(want))
			}
			for _, a := range got {
				x := want[group{a.Scorer, a.Model}]
				if x == nil {
					t.Errorf("SummarizeScores(byModel %v) has unexpected group %q/%q", byModel, a.Scorer, a.Model)
					continue
				}
				delete(want, group{a.Scorer, a.Model})
				n := int64(len(x.values))
				if a.NScores != x.nScores || a.N != n || a.NPassKnown != x.nPassKnown || a.NPassed != x.nPassed || a.NErrors != x.nErrors {
					t.Errorf("%s/%s counts = scores %d, n %d, pass known %d, passed %d, errors %d; want %d, %d, %d, %d, %d",
						a.Scorer, a.Model, a.NScores, a.N, a.NPassKnown, a.NPassed, a.NErrors, x.nScores, n, x.nPassKnown, x.nPassed, x.nErrors)
				}
				if n == 0 {
					continue
				}
				lo, hi := x.extremes()
				if !near(a.Mean, x.mean()) || !near(a.Min, lo) || !near(a.Max, hi) ||
					!near(a.P10, x.percentile(0.1)) || !near(a.P50, x.percentile(0.5)) || !near(a.P90, x.percentile(0.9)) {
					t.Errorf("%s/%s = mean %v, min %v, max %v, p10 %v, p50 %v, p90 %v; want %v, %v, %v, %v, %v, %v",
						a.Scorer, a.Model, a.Mean, a.Min, a.Max, a.P10, a.P50, a.P90,
						x.mean(), lo, hi, x.percentile(0.1), x.percentile(0.5), x.percentile(0.9))
				}
				if sd := math.Sqrt(x.m2() / float64(n-1)); n > 1 && !near(a.SD, sd) {
					t.Errorf("%s/%s sd = %v, want %v", a.Scorer, a.Model, a.SD, sd)
				}
			}
			for k := range want {
				t.Errorf("SummarizeScores(byModel %v) lacks group %q/%q", byModel, k.scorer, k.model)
			}
		}
		empty := mustEvaluation(t, h.Stores.Evaluations)
		if got, err := s.SummarizeScores(ctx, empty.ID, true); err != nil || len(got) != 0 {
			t.Errorf("SummarizeScores(no scores) = %+v, %v; want none", got, err)
		}
		if groups, buckets, err := s.ScoreRollups(ctx, empty.ID); err != nil || len(groups)+len(buckets) != 0 {
			t.Errorf("ScoreRollups(no scores) = %+v, %+v, %v; want none", groups, buckets, err)
		}
		if got, err := s.PromptMeans(ctx, empty.ID); err != nil || len(got) != 0 {
			t.Errorf("PromptMeans(no scores) = %+v, %v; want none", got, err)
		}
	})

	t.Run("ScoreRollups agree with the scores written", func(t *testing.T) {
		checkRollups(t, s, base.ID, rs)
	})

	t.Run("ScoreRollups follow a deleted response", func(t *testing.T) {
		ev := mustEvaluation(t, h.Stores.Evaluations)
		mine := []domain.Response{
			scored(ev, "d1", "m1", "p1", val("q", 1, yes)),
			scored(ev, "d2", "m1", "p2", val("q", 5, no), failed("down")),
			scored(ev, "d3", "m2", "p1", val("q", 7, yes)),
		}
		writeResponses(t, h, mine...)
		if err := h.Stores.Responses.DeleteResponse(ctx, ev.ID, mine[1].ID); err != nil {
			t.Fatal(err)
		}
		checkRollups(t, s, ev.ID, []domain.Response{mine[0], mine[2]})
	})

	t.Run("SumScoreStats", func(t *testing.T) {
		got, err := s.SumScoreStats(ctx, base.ID, []string{"bleu"})
		if err != nil {
			t.Fatal(err)
		}
		want := map[group][]float64{}
		for _, r := range rs {
			for _, sc := range r.Scores {
				st, ok := sc.Details["stats"].([]float64)
				if sc.Scorer != "bleu" || !ok {
					continue
				}
				k := group{sc.Scorer, r.Model}
				sum := want[k]
				for i, v := range st {
					if i == len(sum) {
						sum = append(sum, 0)
					}
					sum[i] += v
				}
				want[k] = sum
			}
		}
		if len(got) != len(want) {
			t.Errorf("SumScoreStats = %+v, want %v", got, want)
		}
		for _, g := range got {
			w, ok := want[group{g.Scorer, g.Model}]
			if !ok || fmt.Sprint(g.Stats) != fmt.Sprint(w) {
				t.Errorf("SumScoreStats %s/%s = %v, want %v", g.Scorer, g.Model, g.Stats, w)
			}
		}
		if got, err := s.SumScoreStats(ctx, base.ID, nil); err != nil || len(got) != 0 {
			t.Errorf("SumScoreStats(no scorers) = %+v, %v; want none", got, err)
		}
	})

	t.Run("PromptMeans", func(t *testing.T) {
		cand := mustEvaluation(t, h.Stores.Evaluations)
		// p1 answered twice by one model; a score without a value (p3 failed on
		// the base side) is left out; scorers differ between the evaluations.
		cs := []domain.Response{
			scored(cand, "c1", "m3", "p1", val("q", 1, yes)),
			scored(cand, "c2", "m3", "p2", val("q", 6, no), val("bleu", 40, nil)),
			scored(cand, "c3", "m4", "p2", val("q", 8, yes)),
			scored(cand, "c4", "m3", "p4", val("q", 9, nil), val("only", 1, yes)),
			scored(cand, "c5", "m3", "p1", val("q", 2, nil)),
		}
		writeResponses(t, h, cs...)
		// Per scorer and prompt: the count and mean of the values, and the share
		// passed of those with a value whose verdict is known (nil when none is).
		type side struct {
			sum, n, passed, known float64
		}
		expect := func(list []domain.Response) string {
			out := map[group]*side{}
			for _, r := range list {
				for _, sc := range r.Scores {
					if sc.Value == nil {
						continue
					}
					k := group{sc.Scorer, r.PromptID}
					if out[k] == nil {
						out[k] = &side{}
					}
					out[k].sum += *sc.Value
					out[k].n++
					if sc.Passed != nil {
						out[k].known++
						if *sc.Passed {
							out[k].passed++
						}
					}
				}
			}
			keys := make([]group, 0, len(out))
			for k := range out {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(i, j int) bool {
				if keys[i].scorer != keys[j].scorer {
					return keys[i].scorer < keys[j].scorer
				}
				return keys[i].model < keys[j].model // the prompt id, bytewise
			})
			var b strings.Builder
			for _, k := range keys {
				x := out[k]
				pass := "nil"
				if x.known > 0 {
					pass = fmt.Sprintf("%.9g", x.passed/x.known)
				}
				fmt.Fprintf(&b, "%s/%s n%v %.9g %s\n", k.scorer, k.model, x.n, x.sum/x.n, pass)
			}
			return b.String()
		}
		show := func(ms []ports.PromptMeans) string {
			var b strings.Builder
			for _, m := range ms {
				for i, p := range m.PromptIDs {
					pass := "nil"
					if m.PassRates[i] != nil {
						pass = fmt.Sprintf("%.9g", *m.PassRates[i])
					}
					fmt.Fprintf(&b, "%s/%s n%d %.9g %s\n", m.Scorer, p, m.N[i], m.Means[i], pass)
				}
			}
			return b.String()
		}
		for _, side := range []struct {
			e  domain.Evaluation
			rs []domain.Response
		}{{base, rs}, {cand, cs}} {
			got, err := s.PromptMeans(ctx, side.e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := show(got), expect(side.rs); g != w {
				t.Errorf("PromptMeans of %s =\n%swant\n%s", side.e.Name, g, w)
			}
		}
	})
}

// checkRollups merges the rollup shards of an evaluation and checks them, and its
// histogram buckets, against the scores of rs.
func checkRollups(t *testing.T, s ports.AnalyticsStore, evalID domain.ID, rs []domain.Response) {
	t.Helper()
	groups, buckets, err := s.ScoreRollups(context.Background(), evalID)
	if err != nil {
		t.Fatal(err)
	}
	type merged struct {
		nScores, n, nPassKnown, nPassed, nErrs int64
		sum, min, max                          float64
		shards                                 []ports.RollupGroup
	}
	got := map[group]*merged{}
	for _, g := range groups {
		k := group{g.Scorer, g.Model}
		m := got[k]
		if m == nil {
			m = &merged{min: math.Inf(1), max: math.Inf(-1)}
			got[k] = m
		}
		m.nScores += g.NScores
		m.n += g.N
		m.nPassKnown += g.NPassKnown
		m.nPassed += g.NPassed
		m.nErrs += g.NErrs
		m.shards = append(m.shards, g)
		if g.N == 0 {
			if g.Mean != nil || g.M2 != nil || g.Min != nil || g.Max != nil {
				t.Errorf("rollup %s/%s with n 0 has moments %+v, want nil", g.Scorer, g.Model, g)
			}
			continue
		}
		if g.Mean == nil || g.M2 == nil || g.Min == nil || g.Max == nil {
			t.Errorf("rollup %s/%s with n %d lacks moments: %+v", g.Scorer, g.Model, g.N, g)
			continue
		}
		m.sum += float64(g.N) * *g.Mean
		m.min, m.max = math.Min(m.min, *g.Min), math.Max(m.max, *g.Max)
	}
	want := expectScores(rs, true)
	if len(got) != len(want) {
		t.Errorf("ScoreRollups has %d scorer/model groups, want %d", len(got), len(want))
	}
	for k, x := range want {
		m := got[k]
		if m == nil {
			t.Errorf("ScoreRollups lacks %s/%s", k.scorer, k.model)
			continue
		}
		n := int64(len(x.values))
		if m.nScores != x.nScores || m.n != n || m.nPassKnown != x.nPassKnown || m.nPassed != x.nPassed || m.nErrs != x.nErrors {
			t.Errorf("rollup %s/%s counts = scores %d, n %d, pass known %d, passed %d, errors %d; want %d, %d, %d, %d, %d",
				k.scorer, k.model, m.nScores, m.n, m.nPassKnown, m.nPassed, m.nErrs, x.nScores, n, x.nPassKnown, x.nPassed, x.nErrors)
		}
		if n == 0 || m.n != n {
			continue
		}
		// The shards' sums of squared deviations, each moved to the overall mean.
		mean, m2 := m.sum/float64(m.n), 0.0
		for _, g := range m.shards {
			if g.N > 0 && g.Mean != nil && g.M2 != nil {
				m2 += *g.M2 + float64(g.N)*(*g.Mean-mean)*(*g.Mean-mean)
			}
		}
		lo, hi := x.extremes()
		if !near(mean, x.mean()) || !near(m2, x.m2()) || m.min != lo || m.max != hi {
			t.Errorf("rollup %s/%s = mean %v, m2 %v, min %v, max %v; want %v, %v, %v, %v", k.scorer, k.model, mean, m2, m.min, m.max, x.mean(), x.m2(), lo, hi)
		}
	}

	// Buckets come ordered by scorer, model and value; each holds exactly the
	// written values between its min and max, so together they count n.
	counted := map[group]int64{}
	type scorerValue struct {
		scorer string
		v      float64
	}
	indexOf := map[scorerValue]map[int32]bool{}
	for i, b := range buckets {
		k := group{b.Scorer, b.Model}
		counted[k] += b.Count
		if i > 0 {
			p := buckets[i-1]
			pk := group{p.Scorer, p.Model}
			if pk == k && (p.Index >= b.Index || p.Max >= b.Min) {
				t.Errorf("bucket %s/%s #%d [%v, %v] does not follow #%d [%v, %v]", b.Scorer, b.Model, b.Index, b.Min, b.Max, p.Index, p.Min, p.Max)
			}
			if pk.scorer > k.scorer || pk.scorer == k.scorer && pk.model > k.model {
				t.Errorf("bucket %s/%s comes after %s/%s", b.Scorer, b.Model, p.Scorer, p.Model)
			}
		}
		x := want[k]
		if x == nil {
			t.Errorf("bucket of %s/%s, which has no values", b.Scorer, b.Model)
			continue
		}
		var in int64
		hasMin, hasMax := false, false
		for _, v := range x.values {
			if v >= b.Min && v <= b.Max {
				in++
				sv := scorerValue{b.Scorer, v}
				if indexOf[sv] == nil {
					indexOf[sv] = map[int32]bool{}
				}
				indexOf[sv][b.Index] = true
			}
			hasMin, hasMax = hasMin || v == b.Min, hasMax || v == b.Max
		}
		if in != b.Count || !hasMin || !hasMax {
			t.Errorf("bucket %s/%s #%d [%v, %v] counts %d; the written values in it are %d (min and max written: %v, %v)",
				b.Scorer, b.Model, b.Index, b.Min, b.Max, b.Count, in, hasMin, hasMax)
		}
	}
	for k, x := range want {
		if counted[k] != int64(len(x.values)) {
			t.Errorf("buckets of %s/%s count %d, want n = %d", k.scorer, k.model, counted[k], len(x.values))
		}
	}
	for sv, idx := range indexOf {
		if len(idx) != 1 {
			t.Errorf("%s value %v falls in buckets with different indexes %v across models", sv.scorer, sv.v, idx)
		}
	}
}

func testPreferences(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Preferences
	e := mustEvaluation(t, h.Stores.Evaluations)
	// Prompt x has three models, prompt y two. Scorer s scores every response; t
	// fails on b, so comparisons with b count for s only.
	ra := scored(e, "", "m1", "x", val("s", 1, nil), val("t", 0, nil))
	rb := scored(e, "rb", "m2", "x", val("s", 2, nil), failed("t"))
	rc := scored(e, "rc", "m3", "x", val("s", 2, nil), val("t", 7, nil))
	rd := scored(e, "rd", "m1", "y", val("s", 5, nil), val("t", 1, nil))
	re := scored(e, "re", "m2", "y", val("s", 3, nil), val("t", 1, nil))
	rs := []domain.Response{ra, rb, rc, rd, re}
	writeResponses(t, h, rs...)

	t0 := now()
	var cs []domain.Comparison
	// Creation order is the order of cs: ids and times both increase.
	mk := func(a, b domain.Response, pref float64, annotator string, kind domain.AnnotatorKind) {
		c, err := domain.NewComparison(domain.Comparison{
			ID: newID(), EvaluationID: e.ID, ExternalID: fmt.Sprintf("c%d", len(cs)+1), Preference: pref, Annotator: annotator,
			AnnotatorKind: kind, Metadata: map[string]any{}, CreatedAt: t0.Add(time.Duration(len(cs)) * time.Second),
		}, a, b)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
	}
	human, model, heuristic := domain.AnnotatorHuman, domain.AnnotatorModel, domain.AnnotatorHeuristic
	mk(ra, rb, 1, "alice", human)
	mk(rb, ra, 0, "bob", human)
	mk(ra, rb, 0.5, "judge", model)
	mk(ra, rb, 0, "alice", human) // alice changes her mind: her latest label of a/b
	mk(ra, rc, 0.75, "alice", human)
	mk(rd, re, 0.25, "carol", heuristic)
	mk(re, rd, 1, "", human)   // nameless
	mk(rd, re, 0.5, "", human) // nameless again: nothing says it is the same annotator
	mk(rd, re, 0, "dave", human)
	writeComparisons(t, h, cs...)

	byID := map[domain.ID]domain.Response{}
	for _, r := range rs {
		byID[r.ID] = r
	}
	// pairOf orients a comparison: its responses in id order, and the
	// probability that the second (Hi) is better.
	pairOf := func(c domain.Comparison) (lo, hi domain.ID, prefHi float64) {
		if bytes.Compare(c.ResponseA[:], c.ResponseB[:]) < 0 {
			return c.ResponseA, c.ResponseB, c.Preference
		}
		return c.ResponseB, c.ResponseA, 1 - c.Preference
	}
	kinds := []*domain.AnnotatorKind{nil, &human, &model}
	kindName := func(k *domain.AnnotatorKind) string {
		if k == nil {
			return "all"
		}
		return string(*k)
	}
	of := func(k *domain.AnnotatorKind) []domain.Comparison {
		var out []domain.Comparison
		for _, c := range cs {
			if k == nil || c.AnnotatorKind == *k {
				out = append(out, c)
			}
		}
		return out
	}
	q := func(k *domain.AnnotatorKind) ports.PreferenceQuery {
		return ports.PreferenceQuery{EvaluationID: e.ID, AnnotatorKind: k}
	}

	t.Run("an evaluation without comparisons has no aggregates", func(t *testing.T) {
		none := ports.PreferenceQuery{EvaluationID: mustEvaluation(t, h.Stores.Evaluations).ID}
		outcomes, err1 := s.ComparisonOutcomes(ctx, none)
		battles, err2 := s.ComparisonBattles(ctx, none, nil, 10)
		labels, err3 := s.AgreementLabels(ctx, none)
		counts, err4 := s.ScorerAgreementCounts(ctx, none)
		pairs, err5 := s.ExportPairs(ctx, none, nil, 10)
		if n := len(outcomes) + len(battles) + len(labels) + len(counts) + len(pairs); n != 0 {
			t.Errorf("empty evaluation: %d outcomes, %d battles, %d labels, %d scorer counts, %d pairs; want none",
				len(outcomes), len(battles), len(labels), len(counts), len(pairs))
		}
		for _, err := range []error{err1, err2, err3, err4, err5} {
			if err != nil {
				t.Error(err)
			}
		}
	})
	checkOutcomes := func(t *testing.T) {
		t.Helper()
		for _, k := range kinds {
			want := map[ports.OutcomeCount]int64{}
			for _, c := range of(k) {
				want[ports.OutcomeCount{ModelA: c.ModelA, ModelB: c.ModelB, Preference: c.Preference}]++
			}
			got, err := s.ComparisonOutcomes(ctx, q(k))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: ComparisonOutcomes = %+v, want %v", kindName(k), got, want)
			}
			for _, o := range got {
				n := o.Count
				o.Count = 0
				if want[o] != n {
					t.Errorf("%s: outcome %s vs %s at %v counts %d, want %d", kindName(k), o.ModelA, o.ModelB, o.Preference, n, want[o])
				}
			}
		}
	}
	t.Run("ComparisonOutcomes", checkOutcomes)

	t.Run("ComparisonBattles pages in creation order", func(t *testing.T) {
		for _, k := range kinds {
			var want []string
			for _, c := range of(k) {
				want = append(want, fmt.Sprintf("%v %s-%s %v", c.ID, c.ModelA, c.ModelB, c.Preference))
			}
			var got []string
			var after *domain.ID
			for pages := 0; pages <= len(cs); pages++ {
				page, err := s.ComparisonBattles(ctx, q(k), after, 3)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > 3 {
					t.Fatalf("%s: page of %d battles, limit 3", kindName(k), len(page))
				}
				for _, b := range page {
					got = append(got, fmt.Sprintf("%v %s-%s %v", b.ID, b.ModelA, b.ModelB, b.Preference))
				}
				if len(page) < 3 {
					break
				}
				after = &page[len(page)-1].ID
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: battles =\n%v\nwant\n%v", kindName(k), got, want)
			}
		}
	})

	checkLabels := func(t *testing.T) {
		t.Helper()
		for _, k := range kinds {
			// Each named annotator's latest label per pair, for pairs that two or
			// more named annotators labelled.
			type key struct {
				lo, hi    domain.ID
				annotator string
			}
			latest := map[key]domain.Comparison{}
			for _, c := range of(k) {
				lo, hi, _ := pairOf(c)
				kk := key{lo, hi, c.Annotator}
				if prev, ok := latest[kk]; c.Annotator != "" && (!ok || c.CreatedAt.After(prev.CreatedAt)) {
					latest[kk] = c
				}
			}
			annotators := map[[2]domain.ID]int{}
			for kk := range latest {
				annotators[[2]domain.ID{kk.lo, kk.hi}]++
			}
			var want []string
			for kk, c := range latest {
				if annotators[[2]domain.ID{kk.lo, kk.hi}] >= 2 {
					_, _, p := pairOf(c)
					want = append(want, fmt.Sprintf("%v<%v %s %v", kk.lo, kk.hi, kk.annotator, p))
				}
			}
			got, err := s.AgreementLabels(ctx, q(k))
			if err != nil {
				t.Fatal(err)
			}
			var have []string
			for _, l := range got {
				if bytes.Compare(l.Lo[:], l.Hi[:]) >= 0 {
					t.Errorf("%s: label with Lo %v not below Hi %v", kindName(k), l.Lo, l.Hi)
				}
				have = append(have, fmt.Sprintf("%v<%v %s %v", l.Lo, l.Hi, l.Annotator, l.Preference))
			}
			sort.Strings(want)
			sort.Strings(have)
			if fmt.Sprint(have) != fmt.Sprint(want) {
				t.Errorf("%s: AgreementLabels =\n%v\nwant\n%v", kindName(k), have, want)
			}
		}
	}
	t.Run("AgreementLabels", checkLabels)

	t.Run("ScorerAgreementCounts", func(t *testing.T) {
		value := func(id domain.ID, scorer string) *float64 {
			for _, sc := range byID[id].Scores {
				if sc.Scorer == scorer {
					return sc.Value
				}
			}
			return nil
		}
		for _, k := range kinds {
			want := map[string]*ports.ScorerAgreementCount{}
			for _, scorer := range []string{"s", "t"} {
				for _, c := range of(k) {
					a, b := value(c.ResponseA, scorer), value(c.ResponseB, scorer)
					if a == nil || b == nil {
						continue
					}
					w := want[scorer]
					if w == nil {
						w = &ports.ScorerAgreementCount{Scorer: scorer}
						want[scorer] = w
					}
					// The preferred response's score against the other's.
					preferred, other := *b, *a
					if c.Preference < 0.5 {
						preferred, other = *a, *b
					}
					switch {
					case c.Preference == 0.5:
						w.Ties++
						continue
					case preferred > other:
						w.PreferredHigher++
					case preferred < other:
						w.PreferredLower++
					default:
						w.EqualScores++
					}
					w.Judged++
				}
			}
			got, err := s.ScorerAgreementCounts(ctx, q(k))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Errorf("%s: ScorerAgreementCounts = %+v, want %d scorers", kindName(k), got, len(want))
			}
			for _, g := range got {
				if w := want[g.Scorer]; w == nil || g != *w {
					t.Errorf("%s: ScorerAgreementCounts %s = %+v, want %+v", kindName(k), g.Scorer, g, w)
				}
			}
		}
	})

	t.Run("ExportPairs merges judgements and pages", func(t *testing.T) {
		for _, k := range kinds {
			type acc struct {
				sum, min, max float64
				n             int64
				annotators    map[string]bool
				nameless      int64
			}
			merged := map[[2]domain.ID]*acc{}
			for _, c := range of(k) {
				lo, hi, p := pairOf(c)
				m := merged[[2]domain.ID{lo, hi}]
				if m == nil {
					m = &acc{min: p, max: p, annotators: map[string]bool{}}
					merged[[2]domain.ID{lo, hi}] = m
				}
				m.sum += p
				m.n++
				m.min, m.max = math.Min(m.min, p), math.Max(m.max, p)
				// Nameless judgements cannot be told apart: each counts as an
				// annotator of its own.
				if c.Annotator == "" {
					m.nameless++
				} else {
					m.annotators[c.Annotator] = true
				}
			}
			var want []string
			for pair, m := range merged {
				lo, hi := byID[pair[0]], byID[pair[1]]
				want = append(want, exportLine(ports.ExportPair{
					Lo: pair[0], Hi: pair[1], Preference: m.sum / float64(m.n), MinPreference: m.min, MaxPreference: m.max,
					Judgements: m.n, Annotators: int64(len(m.annotators)) + m.nameless, PromptID: lo.PromptID, Prompt: lo.Prompt, Context: lo.Context,
					ModelLo: lo.Model, ResponseLo: lo.Text, ExternalIDLo: lo.ExternalID, ModelHi: hi.Model, ResponseHi: hi.Text, ExternalIDHi: hi.ExternalID,
				}))
			}
			sort.Strings(want) // the ids lead, and their text sorts as their bytes
			for _, limit := range []int{1, 2, 100} {
				var got []string
				var after *[2]domain.ID
				for pages := 0; pages <= len(cs); pages++ {
					page, err := s.ExportPairs(ctx, q(k), after, limit)
					if err != nil {
						t.Fatal(err)
					}
					if len(page) > limit {
						t.Fatalf("%s: page of %d pairs, limit %d", kindName(k), len(page), limit)
					}
					for _, p := range page {
						got = append(got, exportLine(p))
					}
					if len(page) < limit {
						break
					}
					last := page[len(page)-1]
					after = &[2]domain.ID{last.Lo, last.Hi}
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("%s, limit %d: ExportPairs =\n%v\nwant\n%v", kindName(k), limit, got, want)
				}
			}
		}
	})

	// Outcome counts and agreement's pairs follow every later write: comparisons
	// added one at a time to outcomes and pairs that exist, a comparison deleted, and
	// a response deleted with its comparisons.
	t.Run("aggregates follow later writes and deletes", func(t *testing.T) {
		before := len(cs)
		mk(rb, ra, 0, "carol", human)  // a third annotator of a/b, an outcome counted before
		mk(rc, ra, 0.25, "bob", human) // a second annotator of a/c
		for _, c := range cs[before:] {
			writeComparisons(t, h, c)
		}
		checkOutcomes(t)
		checkLabels(t)

		if err := h.Stores.Comparisons.DeleteComparison(ctx, e.ID, cs[1].ID); err != nil { // bob's b/a
			t.Fatal(err)
		}
		cs = slices.Delete(cs, 1, 2)
		checkOutcomes(t)
		checkLabels(t)

		if err := h.Stores.Responses.DeleteResponse(ctx, e.ID, rc.ID); err != nil {
			t.Fatal(err)
		}
		cs = slices.DeleteFunc(cs, func(c domain.Comparison) bool { return c.ResponseA == rc.ID || c.ResponseB == rc.ID })
		checkOutcomes(t)
		checkLabels(t)
	})
}

// exportLine prints every field of an export pair, the mean preference to 12
// digits (it is a mean of a few judgements, computed in another order).
func exportLine(p ports.ExportPair) string {
	return fmt.Sprintf("%v<%v pref %.12g [%v, %v] judgements %d annotators %d; prompt %s %q %v; lo %s %q %q; hi %s %q %q",
		p.Lo, p.Hi, p.Preference, p.MinPreference, p.MaxPreference, p.Judgements, p.Annotators, p.PromptID, p.Prompt, p.Context,
		p.ModelLo, p.ResponseLo, p.ExternalIDLo, p.ModelHi, p.ResponseHi, p.ExternalIDHi)
}
