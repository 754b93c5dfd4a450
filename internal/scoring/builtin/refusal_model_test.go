package builtin_test

import (
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/refusal"
)

// The refusal model (internal/scoring/refusal/model.go) is trained here, on the
// labelled development outputs, and measured on outputs it was not trained on:
//
//	go test ./internal/scoring/builtin -run TestRefusalModel -v -args -data DIR
//	go test ./internal/scoring/builtin -run TestRefusalModel -args -data DIR -write-refusal-model ../refusal/model.bin
//
// Only development label files are read, and any row whose split is not a
// development split is dropped before anything else is done with it: a held-out
// set must never reach the training or the estimates.
var refusalModelOut = flag.String("write-refusal-model", "", "train the refusal model on every development label and write its weights to this file")

// refusalDevSplits are the splits the model may be trained and estimated on; every
// one of them has been read while the detector was developed.
var refusalDevSplits = map[string]bool{"dev": true, "heldout": true, realdata.SplitHeldout2: true}

func refusalDevFiles() []string {
	dir := filepath.Join("..", "..", "..", "testdata", "labels")
	return []string{
		filepath.Join(dir, "refusal-and-failures.tsv"),
		filepath.Join(dir, "heldout-2.tsv"),
		filepath.Join(dir, "dev-4.tsv"),
	}
}

// refusalExample is one labelled output with the model's features.
type refusalExample struct {
	row     labelledRow
	x       []refusal.Feature
	rules   bool // the rules alone call it a refusal
	label   bool
	fold    int
	heldout bool // from heldout-2.tsv
}

func refusalExamples(t *testing.T) []refusalExample {
	t.Helper()
	corpus, err := realdata.OpenCorpus(*labelData)
	if errors.Is(err, realdata.ErrNoData) {
		t.Skipf("real data not found at %s (pass -args -data DIR or set RLHF_DATA): %v", *labelData, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range refusalDevFiles() {
		if _, err := os.Stat(f); err == nil {
			files = append(files, f)
		}
	}
	rules, err := refusal.NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []refusalExample
	for _, row := range readLabelFiles(t, strings.Join(files, ",")) {
		if !refusalDevSplits[row.Split] {
			continue
		}
		resp, err := corpus.Resolve(row.ID)
		if err != nil {
			t.Fatal(err)
		}
		item, err := itemFor(resp)
		if err != nil {
			t.Fatal(err)
		}
		v := rules.DetectPrompt(item.Response, item.Prompt)
		h := fnv.New32a()
		h.Write([]byte(row.ID))
		out = append(out, refusalExample{
			row: row, x: refusal.Features(item.Response, v), rules: v.Refused, label: row.Refusal,
			fold: int(h.Sum32() % 10), heldout: row.file == "heldout-2.tsv",
		})
	}
	return out
}

func trainOn(t *testing.T, exs []refusalExample, keep func(refusalExample) bool) *refusal.Model {
	t.Helper()
	var xs [][]refusal.Feature
	var ys []bool
	for _, e := range exs {
		if keep(e) {
			xs = append(xs, e.x)
			ys = append(ys, e.label)
		}
	}
	m, err := refusal.Train(xs, ys, refusal.TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// estimate holds, per source, the confusion of the rules and of the model at a
// threshold, over examples the model was not trained on.
type estimate map[string]*confusion

func (e estimate) add(source string, label, got bool) {
	for _, k := range []string{source, "all"} {
		if e[k] == nil {
			e[k] = &confusion{}
		}
		e[k].add(label, got)
	}
}

func (e estimate) log(t *testing.T, name string) {
	var keys []string
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-44s %-12s %s", name, k, e[k])
	}
}

// TestRefusalModel estimates how the refusal model does on outputs it was not
// trained on: 10-fold cross-validation over every development label (folds by a
// hash of the id), and the cross-split estimate — trained on the first label file,
// scored on the second, which no rule was changed after — beside the rules alone on
// the same outputs. With -write-refusal-model it trains on every development label
// and writes the weights. The cross-validated F1 must stay above a floor well under
// what it reaches, so that a broken feature or trainer fails.
func TestRefusalModel(t *testing.T) {
	exs := refusalExamples(t)
	thresholds := []float64{0.3, 0.4, refusal.ModelThreshold, 0.6, 0.7}
	cv := map[float64]estimate{}
	rulesOnly := estimate{}
	probs := make([]float64, len(exs))
	for fold := range 10 {
		m := trainOn(t, exs, func(e refusalExample) bool { return e.fold != fold })
		for i, e := range exs {
			if e.fold == fold {
				probs[i] = m.Prob(e.x)
			}
		}
	}
	for i, e := range exs {
		rulesOnly.add(e.row.Source, e.label, e.rules)
		for _, th := range thresholds {
			if cv[th] == nil {
				cv[th] = estimate{}
			}
			cv[th].add(e.row.Source, e.label, probs[i] >= th)
		}
	}
	t.Logf("%d development outputs, 10 folds", len(exs))
	rulesOnly.log(t, "rules alone (read while writing them)")
	for _, th := range thresholds {
		cv[th].log(t, fmt.Sprintf("model, 10-fold CV, threshold %.2f", th))
	}

	// Cross-split: train on the first file, score the second, and the reverse.
	for _, dir := range []struct {
		name  string
		train func(refusalExample) bool
	}{
		{"model, first file -> heldout-2", func(e refusalExample) bool { return !e.heldout }},
		{"model, heldout-2 -> first file", func(e refusalExample) bool { return e.heldout }},
	} {
		m := trainOn(t, exs, dir.train)
		model, rules := estimate{}, estimate{}
		for _, e := range exs {
			if dir.train(e) {
				continue
			}
			model.add(e.row.Source, e.label, m.Prob(e.x) >= refusal.ModelThreshold)
			rules.add(e.row.Source, e.label, e.rules)
		}
		rules.log(t, "rules alone on the same outputs")
		model.log(t, dir.name)
	}
	// Leave one source out: train on one source, score the other.
	for _, src := range []string{realdata.SourceHHRLHF, realdata.SourceAlpacaEval} {
		m := trainOn(t, exs, func(e refusalExample) bool { return e.row.Source != src })
		model := estimate{}
		for _, e := range exs {
			if e.row.Source == src {
				model.add(src, e.label, m.Prob(e.x) >= refusal.ModelThreshold)
			}
		}
		model.log(t, "model, trained without "+src)
	}

	if c := cv[refusal.ModelThreshold]["all"]; c.f1() < 0.6 {
		t.Errorf("cross-validated F1 %.3f, want at least 0.6 (%s)", c.f1(), c)
	}

	if *refusalModelOut != "" {
		m := trainOn(t, exs, func(refusalExample) bool { return true })
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(*refusalModelOut, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("model trained on %d outputs written to %s", len(exs), *refusalModelOut)
	}
}
