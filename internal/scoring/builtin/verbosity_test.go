package builtin_test

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/verbosity"
)

// TestVerbosityAlpacaEval measures the verbosity scorer's ratio on AlpacaEval's
// annotations, where every model answers the same instructions as the baseline
// (gpt4_1106_preview) and a judge states its preference: the ratio is each model's
// length over the baseline's, the verbosity scorer with the baseline's answer as
// the reference. It reports the judge's mean preference for the model by ratio
// bucket, and how many outputs the default threshold flags per model, and checks
// the length bias the threshold rests on: outputs more than twice the baseline's
// length are preferred more often than outputs of about its length, which are
// preferred more often than outputs under half of it.
func TestVerbosityAlpacaEval(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(*labelData, realdata.SourceAlpacaEval)
	files, err := filepath.Glob(filepath.Join(dir, "*.annotations.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skipf("AlpacaEval annotations not found in %s (pass -args -data DIR or set RLHF_DATA)", dir)
	}
	buckets := []struct {
		name   string
		max    float64
		n      int
		prefer float64
	}{{"< 0.5", 0.5, 0, 0}, {"0.5-1", 1, 0, 0}, {"1-2", verbosity.DefaultMaxRatio, 0, 0}, {"> 2", 1e18, 0, 0}}
	type modelCount struct {
		model          string
		flagged, total int
	}
	var models []modelCount
	for _, path := range files {
		rows, err := realdata.AlpacaAnnotations(path)
		if err != nil {
			t.Fatal(err)
		}
		mc := modelCount{}
		for _, r := range rows {
			if r.Generator1 == r.Generator2 || r.Preference == nil {
				continue // the baseline against itself, or no verdict
			}
			mc.model = r.Generator2
			ratio := verbosity.Ratio(verbosity.Words(r.Output2), verbosity.Words(r.Output1))
			mc.total++
			if ratio > verbosity.DefaultMaxRatio {
				mc.flagged++
			}
			p := *r.Preference - 1
			if *r.Preference == 0 {
				p = 0.5 // AlpacaEval's older encoding of a draw
			}
			for i := range buckets {
				if ratio < buckets[i].max || i == len(buckets)-1 {
					buckets[i].n++
					buckets[i].prefer += p
					break
				}
			}
		}
		if mc.total > 0 {
			models = append(models, mc)
		}
	}
	sort.Slice(models, func(i, j int) bool { return models[i].model < models[j].model })
	for _, m := range models {
		t.Logf("%-36s %4d of %4d outputs over %.0fx the baseline's length", m.model, m.flagged, m.total, verbosity.DefaultMaxRatio)
	}
	mean := make([]float64, len(buckets))
	for i, b := range buckets {
		if b.n == 0 {
			t.Fatalf("no outputs with a length ratio in %s", b.name)
		}
		mean[i] = b.prefer / float64(b.n)
		t.Logf("length ratio %-6s %5d outputs, judge's mean preference for the model %.3f", b.name, b.n, mean[i])
	}
	if !(mean[0] < mean[1] && mean[1] < mean[2] && mean[2] < mean[3]) {
		t.Errorf("mean preference by length ratio %v does not rise with the ratio", mean)
	}
}
