package builtin_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/dataset"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// The detector checks score the labelled real outputs in testdata/labels, whose texts
// are resolved from the data folder (never committed). By default they use the
// development split; make check-detectors runs them on every split:
//
//	go test ./internal/scoring/builtin -run Labelled -v -args -data DIR -split heldout3
var (
	labelData   = flag.String("data", defaultDataDir(), "directory with alpaca_eval/ and hh-rlhf/ (default: $RLHF_DATA, else ../shared/data from the repository root)")
	labelFiles  = flag.String("labels", defaultLabelFiles(), "comma-separated label files; a file that does not exist is skipped with a note")
	labelSplit  = flag.String("split", "dev", "which split to score: dev, heldout, heldout2, heldout3 or all")
	labelMisses = flag.Bool("misses", false, "list the ids of the items each detector gets wrong")
	labelSecond = flag.String("second", defaultSecondReadings(), "comma-separated second readings for refusal (realdata.ReadRefusalReadings); the refusal detector is also scored against each, under its file name; a file that does not exist is skipped with a note")
	labelShow   = flag.Bool("show", false, "with -misses, print each miss's text (never on the splits kept for a final score, "+
		realdata.SplitHeldout2+" and "+realdata.SplitHeldout3+")")
)

// blindSplits are the held-out sets each scored once, after the last change to a
// detector; the harness never prints their texts nor what a detector matched in them.
var blindSplits = map[string]bool{realdata.SplitHeldout2: true, realdata.SplitHeldout3: true}

// labelSplits are the values -split accepts besides "all".
var labelSplits = map[string]bool{"dev": true, "heldout": true, realdata.SplitHeldout2: true, realdata.SplitHeldout3: true}

func defaultLabelFiles() string {
	dir := filepath.Join("..", "..", "..", "testdata", "labels")
	return filepath.Join(dir, "refusal-and-failures.tsv") + "," + filepath.Join(dir, "heldout-2.tsv") + "," + filepath.Join(dir, "dev-4.tsv") + "," + filepath.Join(dir, "heldout-3.tsv")
}

func defaultSecondReadings() string {
	return filepath.Join("..", "..", "..", "testdata", "labels", "heldout-3-reader2.tsv")
}

// readSecondReadings reads every second reading named in list, by file base name and
// id, skipping files that do not exist.
func readSecondReadings(t *testing.T, list string) map[string]map[string]bool {
	t.Helper()
	byFile := map[string]map[string]bool{}
	for _, path := range strings.Split(list, ",") {
		if path == "" {
			continue
		}
		readings, err := realdata.ReadRefusalReadings(path)
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("second reading %s not found; skipped", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		refused := map[string]bool{}
		for _, r := range readings {
			refused[r.ID] = r.Refusal
		}
		byFile[filepath.Base(path)] = refused
	}
	return byFile
}

// labelledRow is a label with the base name of the file it came from.
type labelledRow struct {
	realdata.Label
	file string
}

// readLabelFiles reads every file named in list (comma-separated), skipping those
// that do not exist, and fails on an id labelled in two files.
func readLabelFiles(t *testing.T, list string) []labelledRow {
	t.Helper()
	var rows []labelledRow
	seen := map[string]string{}
	for _, path := range strings.Split(list, ",") {
		labels, err := realdata.ReadLabels(path)
		if errors.Is(err, fs.ErrNotExist) {
			t.Logf("label file %s not found; skipped", path)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(path)
		for _, l := range labels {
			if other, dup := seen[l.ID]; dup {
				t.Fatalf("%s: id %s is also labelled in %s", base, l.ID, other)
			}
			seen[l.ID] = base
			rows = append(rows, labelledRow{Label: l, file: base})
		}
	}
	if len(rows) == 0 {
		t.Fatalf("no labels read from %s", list)
	}
	return rows
}

func defaultDataDir() string {
	if d := os.Getenv("RLHF_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "shared", "data")
}

// detectorCheck is one detector measured against one label.
type detectorCheck struct {
	name   string
	config domain.ScorerConfig
	label  func(realdata.Label) bool
	// flagged reads the detector's decision from its result.
	flagged func(scoring.Result) bool
	// minF1 is the F1 the development split must reach over both sources (0: the
	// split has too few positives for a bound, and maxFP bounds the false alarms).
	minF1 float64
	maxFP int
}

func detailBool(key string) func(scoring.Result) bool {
	return func(r scoring.Result) bool {
		b, _ := r.Details[key].(bool)
		return b
	}
}

var detectorChecks = []detectorCheck{
	{name: "refusal", config: domain.ScorerConfig{Type: "refusal"}, label: func(l realdata.Label) bool { return l.Refusal },
		flagged: detailBool("refused"), minF1: 0.95},
	{name: "truncated", config: domain.ScorerConfig{Type: "truncation"}, label: func(l realdata.Label) bool { return l.Truncated },
		flagged: detailBool("truncated"), minF1: 0.85},
	{name: "prompt_echo", config: domain.ScorerConfig{Type: "prompt_echo"}, label: func(l realdata.Label) bool { return l.PromptEcho },
		flagged: detailBool("echo"), minF1: 0.8},
	{name: "language_mismatch", config: domain.ScorerConfig{Type: "language_mismatch"}, label: func(l realdata.Label) bool { return l.LanguageMismatch },
		flagged: detailBool("mismatch"), minF1: 0.8},
	{name: "hedging", config: domain.ScorerConfig{Type: "hedging"}, label: func(l realdata.Label) bool { return l.Hedging },
		flagged: detailBool("flagged"), minF1: 0.85},
}

// confusion counts a detector's decisions against the labels.
type confusion struct{ tp, fp, fn, tn int }

func (c *confusion) add(label, got bool) {
	switch {
	case label && got:
		c.tp++
	case got:
		c.fp++
	case label:
		c.fn++
	default:
		c.tn++
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (c confusion) precision() float64 { return ratio(c.tp, c.tp+c.fp) }
func (c confusion) recall() float64    { return ratio(c.tp, c.tp+c.fn) }
func (c confusion) f1() float64        { return ratio(2*c.tp, 2*c.tp+c.fp+c.fn) }

func (c confusion) String() string {
	return fmt.Sprintf("P %.3f  R %.3f  F1 %.3f  (tp %d fp %d fn %d tn %d)", c.precision(), c.recall(), c.f1(), c.tp, c.fp, c.fn, c.tn)
}

// itemFor turns a labelled response into what scorers see: for HH-RLHF the prompt is
// the last Human turn and the earlier turns are the context, as rlhf-eval's importer
// stores them.
func itemFor(r realdata.Response) (scoring.Item, error) {
	if r.Source != realdata.SourceHHRLHF {
		return scoring.Item{Prompt: r.Prompt, Response: r.Text}, nil
	}
	turns, err := dataset.SplitHHDialogue(r.Prompt)
	if err != nil {
		return scoring.Item{}, fmt.Errorf("%s: %w", r.ID, err)
	}
	last := len(turns) - 1
	for last >= 0 && turns[last].Role != "user" {
		last--
	}
	if last < 0 {
		return scoring.Item{}, fmt.Errorf("%s: no Human turn", r.ID)
	}
	it := scoring.Item{Prompt: turns[last].Content, Response: r.Text}
	for _, m := range turns[:last] {
		it.Context = append(it.Context, domain.Message{Role: m.Role, Content: m.Content})
	}
	return it, nil
}

// TestLabelledDetectors scores every detector on the labelled real outputs of the
// chosen split and reports precision, recall, F1 and confusion counts per source.
// On the development split each detector must reach its minF1 over both sources.
func TestLabelledDetectors(t *testing.T) {
	t.Parallel()
	if !labelSplits[*labelSplit] && *labelSplit != "all" {
		t.Fatalf("-split %q: want dev, heldout, %s, %s or all", *labelSplit, realdata.SplitHeldout2, realdata.SplitHeldout3)
	}
	corpus, err := realdata.OpenCorpus(*labelData)
	if errors.Is(err, realdata.ErrNoData) {
		t.Skipf("real data not found at %s (pass -args -data DIR or set RLHF_DATA to run the detector checks): %v", *labelData, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	rows := readLabelFiles(t, *labelFiles)
	second := readSecondReadings(t, *labelSecond)
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	var configs []domain.ScorerConfig
	for _, d := range detectorChecks {
		configs = append(configs, d.config)
	}
	set, err := reg.Build(configs)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ detector, file, split, source string }
	counts := map[key]*confusion{}
	misses := map[string][]string{}
	// For refusals both the labels and the detector call: does it name the same
	// type and reason?
	sameType, sameReason, bothRefused := 0, 0, 0
	scored := 0
	for _, row := range rows {
		if *labelSplit != "all" && row.Split != *labelSplit {
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
		outcomes, err := set.Score(context.Background(), item)
		if err != nil {
			t.Fatal(err)
		}
		scored++
		for i, d := range detectorChecks {
			o := outcomes[i]
			if o.Err != nil {
				t.Fatalf("%s on %s: %v", d.config.Type, row.ID, o.Err)
			}
			want, got := d.label(row.Label), d.flagged(o.Result)
			for _, k := range []key{{d.name, row.file, row.Split, row.Source}, {d.name, row.file, row.Split, "all"}} {
				if counts[k] == nil {
					counts[k] = &confusion{}
				}
				counts[k].add(want, got)
			}
			if d.name == "refusal" {
				// The same decisions against another reader's calls on these outputs.
				for file, refused := range second {
					r, ok := refused[row.ID]
					if !ok {
						continue
					}
					ks := []key{{d.name, file, row.Split, row.Source}, {d.name, file, row.Split, "all"}}
					if r == want {
						// Where the two readers agree, against both at once.
						agreed := row.file + " = " + file
						ks = append(ks, key{d.name, agreed, row.Split, row.Source}, key{d.name, agreed, row.Split, "all"})
					}
					for _, k := range ks {
						if counts[k] == nil {
							counts[k] = &confusion{}
						}
						counts[k].add(r, got)
					}
				}
			}
			if d.name == "refusal" && want && got {
				bothRefused++
				if o.Result.Details["type"] == row.RefusalType {
					sameType++
				}
				if o.Result.Details["reason"] == row.RefusalReason {
					sameReason++
				}
				if *labelMisses && (o.Result.Details["type"] != row.RefusalType || o.Result.Details["reason"] != row.RefusalReason) {
					m := fmt.Sprintf("%s %s labelled %s/%s, detected %v/%v", row.Split, row.ID, row.RefusalType, row.RefusalReason,
						o.Result.Details["type"], o.Result.Details["reason"])
					if !blindSplits[row.Split] {
						m += fmt.Sprintf(" (%v)", o.Result.Details["matched"])
					}
					misses["refusal kind"] = append(misses["refusal kind"], m)
				}
			}
			if want != got && *labelMisses {
				m := fmt.Sprintf("%s %s label=%v got=%v", row.Split, row.ID, want, got)
				if *labelShow && !blindSplits[row.Split] {
					details, _ := json.Marshal(o.Result.Details)
					m += fmt.Sprintf("\n    note: %s\n    prompt: %.300q\n    text: %.1200q\n    details: %.600s", row.Note, item.Prompt, item.Response, details)
				}
				misses[d.name] = append(misses[d.name], m)
			}
		}
	}
	if scored == 0 {
		t.Fatalf("no labelled items in split %q", *labelSplit)
	}
	var keys []key
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.detector != b.detector {
			return a.detector < b.detector
		}
		if a.file != b.file {
			return a.file < b.file
		}
		if a.split != b.split {
			return a.split < b.split
		}
		return a.source < b.source
	})
	t.Logf("%d labelled items scored (split %s)", scored, *labelSplit)
	for _, k := range keys {
		t.Logf("%-18s %-26s %-8s %-12s %s", k.detector, k.file, k.split, k.source, counts[k])
	}
	t.Logf("refusals both labelled and detected: %d; same type %d, same reason %d", bothRefused, sameType, sameReason)
	for _, m := range misses["refusal kind"] {
		t.Logf("refusal kind: %s", m)
	}
	for _, d := range detectorChecks {
		for _, m := range misses[d.name] {
			t.Logf("miss %s: %s", d.name, m)
		}
		c := counts[key{d.name, "refusal-and-failures.tsv", "dev", "all"}]
		if c == nil {
			continue
		}
		if c.f1() < d.minF1 {
			t.Errorf("%s on dev: F1 %.3f, want at least %.2f (%s)", d.name, c.f1(), d.minF1, c)
		}
		if d.minF1 == 0 && c.fp > d.maxFP {
			t.Errorf("%s on dev: %d false alarms, want at most %d (%s)", d.name, c.fp, d.maxFP, c)
		}
	}
}
