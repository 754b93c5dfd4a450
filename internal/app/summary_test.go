package app_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

func near(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*b))
}

// TestSummaryMatchesOfflineDefinitions computes a summary in SQL and the same summary
// offline (Go percentiles, Go corpus BLEU over Go-summed statistics): two
// independent routes to the same definitions must agree.
func TestSummaryMatchesOfflineDefinitions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, _ := builtin.Registry()
	five := 5.0
	cfgs := []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &five}}, {Type: "bleu"}}
	full, err := app.NewServices(appDepsWith(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	e, err := full.Evaluations.Create(ctx, app.EvaluationInput{Name: "summary", Scorers: cfgs})
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Fields("the quick brown fox jumps over a lazy dog while seven cats sleep on warm mats")
	var in []app.ResponseInput
	var items []scoring.Item
	for i := 0; i < 37; i++ {
		resp := strings.Join(words[i%7:i%7+1+i%9], " ")
		ref := strings.Join(words[(i+1)%5:(i+1)%5+3+i%6], " ")
		model := fmt.Sprint("m", i%3)
		in = append(in, app.ResponseInput{Model: model, Prompt: fmt.Sprint("prompt ", i), Response: &resp, Reference: &ref})
		items = append(items, scoring.Item{Response: resp, Reference: ref, HasReference: true})
	}
	if _, err := ingest(ctx, full, e.Name, in, false); err != nil {
		t.Fatal(err)
	}
	got, err := full.Summaries.Summary(ctx, e.Name, app.SummaryInput{Exact: true})
	if err != nil {
		t.Fatal(err)
	}
	set, err := reg.Build(cfgs)
	if err != nil {
		t.Fatal(err)
	}
	outcomes, err := set.ScoreBatch(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	want, err := app.SummarizeOutcomes(set, outcomes)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Scorers) != 2 {
		t.Fatalf("summary has %d scorers, want 2", len(got.Scorers))
	}
	byName := map[string]app.ScorerSummary{}
	for _, s := range want {
		byName[s.Scorer] = s
	}
	for _, g := range got.Scorers {
		w := byName[g.Scorer]
		if g.N != 37 || g.N != w.N || !near(g.Mean, w.Mean) || !near(g.SD, w.SD) || !near(g.Min, w.Min) || !near(g.Max, w.Max) ||
			!near(g.P10, w.P10) || !near(g.P50, w.P50) || !near(g.P90, w.P90) || !near(g.PassRate, w.PassRate) ||
			!near(&g.CI.Lo, &w.CI.Lo) || !near(&g.CI.Hi, &w.CI.Hi) {
			t.Errorf("%s: SQL summary %+v\nwant offline %+v", g.Scorer, g, w)
		}
		if g.Scorer == "bleu" {
			gs, ws := g.Corpus["score"].(float64), w.Corpus["score"].(float64)
			if gs != ws || gs <= 0 {
				t.Errorf("corpus bleu SQL %v, offline %v", gs, ws)
			}
		}
		if g.Scorer == "length" && (g.PassRate == nil || g.Better != scoring.NoDirection) {
			t.Errorf("length summary = %+v, want a pass rate", g)
		}
	}
	byModel, err := full.Summaries.Summary(ctx, e.Name, app.SummaryInput{GroupBy: "model"})
	if err != nil {
		t.Fatal(err)
	}
	total := int64(0)
	for _, s := range byModel.Scorers {
		if s.Scorer == "length" {
			total += s.N
		}
		if s.Model == "" {
			t.Errorf("grouped row without a model: %+v", s)
		}
	}
	if len(byModel.Scorers) != 6 || total != 37 {
		t.Errorf("by model: %d rows, %d length values; want 6 rows, 37 values", len(byModel.Scorers), total)
	}
	// The rollups give the same numbers as the exact summary: exactly for the
	// moments and counts, and for percentiles within the histogram's 0.2% buckets.
	rolled, err := full.Summaries.Summary(ctx, e.Name, app.SummaryInput{})
	if err != nil {
		t.Fatal(err)
	}
	assertSummariesAgree(t, rolled.Scorers, got.Scorers, 2e-3)
	if _, err := full.Summaries.Summary(ctx, e.Name, app.SummaryInput{GroupBy: "prompt"}); err == nil {
		t.Errorf("group_by=prompt was accepted")
	}
}

// assertSummariesAgree compares summaries row by row: counts exactly, moments to
// 1e-9, percentiles to the relative tolerance pctTol.
func assertSummariesAgree(t *testing.T, got, want []app.ScorerSummary, pctTol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d summary rows, want %d", len(got), len(want))
	}
	within := func(a, b *float64, tol float64) bool {
		if a == nil || b == nil {
			return a == b
		}
		return math.Abs(*a-*b) <= tol*math.Max(1, math.Abs(*b))
	}
	for i := range got {
		g, w := got[i], want[i]
		if g.Scorer != w.Scorer || g.Model != w.Model || g.N != w.N || g.NScores != w.NScores || g.Errors != w.Errors || g.NPassKnown != w.NPassKnown {
			t.Errorf("row %d counts: got %+v, want %+v", i, g, w)
			continue
		}
		if !within(g.Mean, w.Mean, 1e-9) || !within(g.SD, w.SD, 1e-9) || !within(g.Min, w.Min, 0) || !within(g.Max, w.Max, 0) ||
			!within(g.PassRate, w.PassRate, 0) {
			t.Errorf("%s/%s moments: got mean %v sd %v min %v max %v pass %v; want %v %v %v %v %v", g.Scorer, g.Model,
				deref(g.Mean), deref(g.SD), deref(g.Min), deref(g.Max), deref(g.PassRate), deref(w.Mean), deref(w.SD), deref(w.Min), deref(w.Max), deref(w.PassRate))
		}
		if !within(g.P10, w.P10, pctTol) || !within(g.P50, w.P50, pctTol) || !within(g.P90, w.P90, pctTol) {
			t.Errorf("%s/%s percentiles: got %v %v %v, want %v %v %v", g.Scorer, g.Model, deref(g.P10), deref(g.P50), deref(g.P90),
				deref(w.P10), deref(w.P50), deref(w.P90))
		}
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

// TestRollupsUnderConcurrencyAndDeletes ingests from many goroutines (so batches
// land on different shards and merge) and deletes some responses; the rollup
// summary must keep matching the exact one, per scorer and per model.
func TestRollupsUnderConcurrencyAndDeletes(t *testing.T) {
	t.Parallel()
	reg, _ := builtin.Registry()
	svc, err := app.NewServices(appDepsWith(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ten := 10.0
	if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "rollups",
		Scorers: []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &ten}}, {Type: "refusal"}, {Type: "readability"}}}); err != nil {
		t.Fatal(err)
	}
	texts := []string{"I can't help with that.", "Sure, here is a short answer.", "The mitochondria is the powerhouse of the cell, as biology teachers like to say.",
		"", "No.", "Here are three steps: first, second, and third; then you are done with the whole procedure."}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < 5; b++ {
				var in []app.ResponseInput
				for i := 0; i < 7; i++ {
					txt := texts[(w+b+i)%len(texts)] + strings.Repeat(" more", (w*b+i)%13)
					in = append(in, app.ResponseInput{ExternalID: fmt.Sprintf("w%d-b%d-i%d", w, b, i), Model: fmt.Sprint("m", (w+i)%3),
						Prompt: fmt.Sprint("p", i), Response: &txt})
				}
				if _, err := ingest(ctx, svc, "rollups", in, false); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, ext := range []string{"w0-b0-i0", "w3-b2-i5", "w7-b4-i6"} {
		if err := svc.Responses.Delete(ctx, "rollups", ext); err != nil {
			t.Fatal(err)
		}
	}
	for _, groupBy := range []string{"", "model"} {
		exact, err := svc.Summaries.Summary(ctx, "rollups", app.SummaryInput{GroupBy: groupBy, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		rolled, err := svc.Summaries.Summary(ctx, "rollups", app.SummaryInput{GroupBy: groupBy})
		if err != nil {
			t.Fatal(err)
		}
		if exact.Scorers[0].NScores != 277 && groupBy == "" {
			t.Errorf("n_scores = %d, want 8*5*7-3 = 277", exact.Scorers[0].NScores)
		}
		assertSummariesAgree(t, rolled.Scorers, exact.Scorers, 2e-3)
	}
}

// TestBulkRollupsMatchExact ingests requests of several chunks (which fold their
// scores into the rollups from memory rather than from the stored rows): one
// with external ids stored before and repeated within it, and two at once that
// share ids, so that the later one's chunks go through the staging path and
// must count only what they inserted. The rollups must then agree with the
// scores, per model and overall.
func TestBulkRollupsMatchExact(t *testing.T) {
	t.Parallel()
	reg, _ := builtin.Registry()
	deps := appDepsWith(t, reg)
	deps.Limits.MaxBatchItems = 5000
	svc, err := app.NewServices(deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	forty := 40.0
	if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "bulk-rollups",
		Scorers: []domain.ScorerConfig{{Type: "length", Pass: &domain.PassBand{Max: &forty}}, {Type: "refusal"}, {Type: "readability"}}}); err != nil {
		t.Fatal(err)
	}
	words := strings.Fields("the cat sat on a mat while seven tired engineers argued about indexes I cannot help with that request")
	response := func(ext string, i int) app.ResponseInput {
		var b strings.Builder
		for k := 0; k < 3+(i*7)%41; k++ {
			if k > 0 {
				b.WriteString(" ")
			}
			b.WriteString(words[(i*13+k*k)%len(words)])
			if (i+k)%9 == 0 {
				b.WriteString(".")
			}
		}
		txt := b.String()
		return app.ResponseInput{ExternalID: ext, Model: fmt.Sprint("m", i%4), Prompt: fmt.Sprint("p", i%50), Response: &txt}
	}
	var first []app.ResponseInput
	for i := 0; i < 200; i++ {
		first = append(first, response(fmt.Sprint("x", i), i))
	}
	if _, err := ingest(ctx, svc, "bulk-rollups", first, false); err != nil {
		t.Fatal(err)
	}
	// 2,500 items: 100 stored before, 41 repeated within the request.
	var big []app.ResponseInput
	for i := 100; i < 2560; i++ {
		big = append(big, response(fmt.Sprint("x", i), i))
		if i%60 == 0 {
			big = append(big, response(fmt.Sprint("x", i-30), i+1))
		}
	}
	res, err := svc.Responses.Ingest(ctx, "bulk-rollups", app.Items(big), app.IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 2360 {
		t.Fatalf("created %d, want 2360", res.Created)
	}
	// Two requests at once with 1,200 ids in common.
	var wg sync.WaitGroup
	created := make([]int, 2)
	errs := make([]error, 2)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var in []app.ResponseInput
			for i := 0; i < 2200; i++ {
				ext := fmt.Sprint("shared", i)
				if i >= 1200 {
					ext = fmt.Sprint("own", w, "-", i)
				}
				in = append(in, response(ext, i+w))
			}
			r, err := svc.Responses.Ingest(ctx, "bulk-rollups", app.Items(in), app.IngestOptions{})
			created[w], errs[w] = r.Created, err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := created[0] + created[1]; got != 1200+2*1000 {
		t.Fatalf("the concurrent requests created %d responses, want %d", got, 1200+2*1000)
	}
	// 2,600 items, the first 2,000 new: ingest stops looking external ids up once
	// a chunk finds none stored, so the 600 stored ones in the third chunk are
	// left to the write to skip. The reply still names what was stored before.
	var late []app.ResponseInput
	for i := 0; i < 2000; i++ {
		late = append(late, response(fmt.Sprint("late", i), i))
	}
	for i := 0; i < 600; i++ {
		late = append(late, response(fmt.Sprint("x", i), i+3))
	}
	before, err := svc.Responses.Get(ctx, "bulk-rollups", "x599")
	if err != nil {
		t.Fatal(err)
	}
	lateRes, err := svc.Responses.Ingest(ctx, "bulk-rollups", app.Items(late), app.IngestOptions{Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if lateRes.Created != 2000 || lateRes.Existing != 600 {
		t.Fatalf("created %d and found %d, want 2000 and 600", lateRes.Created, lateRes.Existing)
	}
	lateItems, err := app.Collect(lateRes.Items)
	if err != nil {
		t.Fatal(err)
	}
	if got := lateItems[len(lateItems)-1]; got.Created || got.Response.ID != before.ID || got.Response.Text != before.Text {
		t.Fatalf("the reply's last item is %+v (created %v), want the stored x599 %s", got.Response.ID, got.Created, before.ID)
	}
	for _, groupBy := range []string{"", "model"} {
		exact, err := svc.Summaries.Summary(ctx, "bulk-rollups", app.SummaryInput{GroupBy: groupBy, Exact: true})
		if err != nil {
			t.Fatal(err)
		}
		rolled, err := svc.Summaries.Summary(ctx, "bulk-rollups", app.SummaryInput{GroupBy: groupBy})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(200 + 2360 + 3200 + 2000); groupBy == "" && exact.Scorers[0].NScores != want {
			t.Errorf("n_scores = %d, want %d", exact.Scorers[0].NScores, want)
		}
		assertSummariesAgree(t, rolled.Scorers, exact.Scorers, 2e-3)
	}
}
