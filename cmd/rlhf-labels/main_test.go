package main

import (
	"errors"
	"flag"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

var dataDir = flag.String("data", filepath.Join("..", "..", "..", "shared", "data"),
	"folder holding alpaca_eval/ and hh-rlhf/ for the real-data checks")

// TestSampleIsTheLabelledOne draws the sample again and checks that it is, item for
// item and in order, the one in the label file: the labels rest on a sample that
// anyone can reproduce from the data and the seed.
func TestSampleIsTheLabelledOne(t *testing.T) {
	t.Parallel()
	corpus, err := realdata.OpenCorpus(*dataDir)
	if errors.Is(err, realdata.ErrNoData) {
		t.Skipf("real data not found under %s, so the sample was not drawn (pass -args -data DIR): %v", *dataDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	labels, err := realdata.ReadLabels(filepath.Join("..", "..", "testdata", "labels", "refusal-and-failures.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	items := draw(corpus)
	if len(items) != len(labels) {
		t.Fatalf("drew %d items, the label file has %d", len(items), len(labels))
	}
	for i, it := range items {
		if l := labels[i]; it.id != l.ID || it.pool != l.Pool || it.source != l.Source {
			t.Fatalf("item %d = %s (%s), label file has %s (%s)", i, it.id, it.pool, l.ID, l.Pool)
		}
	}
}

// TestSecondSampleIsTheLabelledOne draws the second set again, twice, leaving out
// the first set's ids, and checks that both draws are, item for item and in order,
// the one in heldout-2.tsv, and that no item of it is in the first set.
func TestSecondSampleIsTheLabelledOne(t *testing.T) {
	t.Parallel()
	corpus, err := realdata.OpenCorpus(*dataDir)
	if errors.Is(err, realdata.ErrNoData) {
		t.Skipf("real data not found under %s, so the second sample was not drawn (pass -args -data DIR): %v", *dataDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	first, err := realdata.ReadLabels(filepath.Join("..", "..", "testdata", "labels", "refusal-and-failures.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	labels, err := realdata.ReadLabels(filepath.Join("..", "..", "testdata", "labels", "heldout-2.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	exclude := labelIDs(first)
	for round := range 2 {
		items := draw2(corpus, exclude)
		if len(items) != len(labels) {
			t.Fatalf("draw %d: drew %d items, the label file has %d", round, len(items), len(labels))
		}
		for i, it := range items {
			if l := labels[i]; it.id != l.ID || it.pool != l.Pool || it.source != l.Source {
				t.Fatalf("draw %d: item %d = %s (%s), label file has %s (%s)", round, i, it.id, it.pool, l.ID, l.Pool)
			}
			if exclude[it.id] {
				t.Fatalf("draw %d: item %d = %s is in the first set", round, i, it.id)
			}
		}
	}
}

// TestThirdSampleIsTheLabelledOne draws the third set again, leaving out the first
// two sets' ids, and checks that it is, item for item and in order, the one in
// heldout-3.tsv, with the pool sizes fixed for it, and that no item of it is in an
// earlier set.
func TestThirdSampleIsTheLabelledOne(t *testing.T) {
	corpus, err := realdata.OpenCorpus(*dataDir)
	if errors.Is(err, realdata.ErrNoData) {
		t.Skipf("real data not found under %s, so the third sample was not drawn (pass -args -data DIR): %v", *dataDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	exclude := map[string]bool{}
	for _, name := range []string{"refusal-and-failures.tsv", "heldout-2.tsv"} {
		labels, err := realdata.ReadLabels(filepath.Join("..", "..", "testdata", "labels", name))
		if err != nil {
			t.Fatal(err)
		}
		maps.Copy(exclude, labelIDs(labels))
	}
	labels, err := realdata.ReadLabels(filepath.Join("..", "..", "testdata", "labels", "heldout-3.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	items := draw3(corpus, exclude)
	if len(labels) != len(items) {
		t.Fatalf("drew %d items, the label file has %d", len(items), len(labels))
	}
	pools := map[string]int{}
	for i, it := range items {
		pools[it.pool]++
		if exclude[it.id] {
			t.Errorf("item %d = %s is in an earlier set", i, it.id)
		}
		if l := labels[i]; it.id != l.ID || it.pool != l.Pool || it.source != l.Source {
			t.Fatalf("item %d = %s (%s), label file has %s (%s)", i, it.id, it.pool, l.ID, l.Pool)
		}
	}
	want := map[string]int{
		"hh-random": n3HH, "hh-harm-short": n3HHHarmShort + n3bHHHarmShort, "random": n3AlpacaRandom,
		"refuser-short": n3RefuserShort, "claude-short": n3ClaudeShort + n3bClaudeShort, "sensitive": n3Sensitive,
	}
	for pool, n := range want {
		if pools[pool] != n {
			t.Errorf("pool %s: drew %d, want %d", pool, pools[pool], n)
		}
	}
	if pools["hh-harm-opener"] == 0 {
		t.Error("the hh-harm-opener census drew nothing")
	}
	t.Logf("drew %d items %v", len(items), pools)
}

func TestExcerpt(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 700) + strings.Repeat("é", 400) + strings.Repeat("z", 300)
	tests := []struct {
		name, in, want string
	}{
		{"short kept whole", "hello", "hello"},
		{"just over head+tail kept whole", strings.Repeat("x", 1049), strings.Repeat("x", 1049)},
		{"long cut in the middle", long, strings.Repeat("a", 700) + "\n[... 400 chars cut ...]\n" + strings.Repeat("z", 300)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := excerpt(tt.in, 700, 300); got != tt.want {
				t.Errorf("excerpt = %.60q..., want %.60q...", got, tt.want)
			}
		})
	}
}

func TestRunRejects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		wantErr string
	}{
		{nil, "want a command"},
		{[]string{"label"}, "want a command"},
		{[]string{"show", "-data", t.TempDir()}, "want a label TSV"},
		{[]string{"sample", "-data", t.TempDir()}, "real data absent"},
		{[]string{"sample", "-round", "4"}, "-round 4, want 1, 2 or 3"},
		{[]string{"sample", "-round", "0"}, "-round 0, want 1, 2 or 3"},
	}
	for _, tt := range tests {
		var out strings.Builder
		if err := run(tt.args, &out); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("run(%q) err = %v, want one mentioning %q", tt.args, err, tt.wantErr)
		}
	}
}
