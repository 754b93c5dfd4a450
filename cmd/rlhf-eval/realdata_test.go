package main

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/dataset"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

// The real-data checks read datasets that are never committed. By default they use
// ../../../shared/data and a quick subset of the AlpacaEval files, and skip when
// the data is absent; make check-data runs every file:
//
//	go test ./cmd/rlhf-eval -run RealData -v -args -data /path/to/data -data-all
var (
	dataDir = flag.String("data", filepath.Join("..", "..", "..", "shared", "data"),
		"directory with alpaca_eval/ and hh-rlhf/ for the real-data checks")
	dataAll = flag.Bool("data-all", false, "check every AlpacaEval annotations file, not a quick subset")
)

// quickAlpacaFiles are the AlpacaEval files checked without -data-all: a model
// whose generator is named differently from its leaderboard row (NullModel's is
// "example"), an ordinary model, and the baseline's own file.
var quickAlpacaFiles = []string{"NullModel", "claude-2.1", "gpt4_1106_preview"}

// realData returns the path of a dataset under -data, skipping the test when it is
// absent.
func realData(t *testing.T, rel string) string {
	t.Helper()
	path, err := filepath.Abs(filepath.Join(*dataDir, rel)) // the binary runs elsewhere
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real data not found at %s (pass -args -data DIR to run this check): %v", path, err)
	}
	return path
}

// alpacaFile is what the check needs of an AlpacaEval annotations file.
type alpacaFile struct {
	entries      int
	model        string // generator_2
	selfCompared int    // entries with generator_1 = generator_2 and equal outputs
	instructions []string
}

func readAlpacaFile(t *testing.T, path string) alpacaFile {
	t.Helper()
	entries, err := realdata.AlpacaAnnotations(path)
	if err != nil {
		t.Fatal(err)
	}
	out := alpacaFile{entries: len(entries)}
	for _, e := range entries {
		out.model = e.Generator2
		out.instructions = append(out.instructions, e.Instruction)
		if e.Generator1 == e.Generator2 && e.Output1 == e.Output2 {
			out.selfCompared++
		}
	}
	return out
}

// mustLeaderboard reads leaderboard.csv or fails the test.
func mustLeaderboard(t *testing.T, path string) map[string]float64 {
	t.Helper()
	board, err := realdata.AlpacaLeaderboard(path)
	if err != nil {
		t.Fatal(err)
	}
	return board
}

// TestRealDataAlpacaEval imports every AlpacaEval annotations file into one
// evaluation and checks each model's win rate against gpt4_1106_preview with the
// published AlpacaEval 2.0 leaderboard (leaderboard.csv's win_rate, the row whose
// samples folder is the file's name), to 1e-6.
func TestRealDataAlpacaEval(t *testing.T) {
	dir := realData(t, "alpaca_eval")
	const baseline = "gpt4_1106_preview"
	published := mustLeaderboard(t, filepath.Join(dir, "leaderboard.csv"))
	files, err := filepath.Glob(filepath.Join(dir, "*.annotations.json.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no annotation files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	if !*dataAll {
		files = slices.DeleteFunc(files, func(f string) bool {
			return !slices.Contains(quickAlpacaFiles, strings.TrimSuffix(filepath.Base(f), ".annotations.json.gz"))
		})
		t.Logf("checking %d of the AlpacaEval files; -data-all (make check-data) checks them all", len(files))
	}
	start := time.Now()
	const eval = "alpaca-eval-real"
	seen := map[string]bool{} // instructions whose baseline output is stored
	models := map[string]string{}
	for _, path := range files {
		stem := strings.TrimSuffix(filepath.Base(path), ".annotations.json.gz")
		af := readAlpacaFile(t, path)
		models[stem] = af.model
		st, _ := runImport(t, 0, "import", "alpaca-eval", path, "--evaluation", eval)
		// The baseline's outputs are stored once: an instruction seen in an earlier
		// file brings an existing response.
		existing := 0
		for _, in := range af.instructions {
			if seen[in] {
				existing++
			}
			seen[in] = true
		}
		wantCmp := af.entries - af.selfCompared
		wantResp := 2*af.entries - af.selfCompared
		if st.Records != af.entries || st.ComparisonsCreated != wantCmp || st.Skipped["self-comparison"] != af.selfCompared ||
			st.ResponsesExisting != existing || st.ResponsesCreated+st.ResponsesExisting != wantResp || st.Errors != 0 {
			t.Errorf("%s: import = %+v; want %d records, %d comparisons, %d self-comparisons, %d of %d responses existing",
				stem, st, af.entries, wantCmp, af.selfCompared, existing, wantResp)
		}
		t.Logf("%s: %d records, %d responses created, %d existing, %d comparisons, %d self-comparisons skipped",
			stem, st.Records, st.ResponsesCreated, st.ResponsesExisting, st.ComparisonsCreated, st.Skipped["self-comparison"])
	}
	imported := time.Since(start)

	got := winRates(t, eval, baseline)
	checked := 0
	for _, path := range files {
		stem := strings.TrimSuffix(filepath.Base(path), ".annotations.json.gz")
		model := models[stem]
		want, inCSV := published[stem]
		wr, rated := got[model]
		switch {
		case model == baseline:
			// The baseline's file compares each output with itself: nothing to
			// import, and its published 50 is the definition, not a measurement.
			if rated {
				t.Errorf("%s: the baseline has a win rate %v; its self-comparisons should all be skipped", stem, wr)
			}
			t.Logf("%s: baseline, every comparison skipped (published win_rate %v)", stem, want)
		case !rated:
			t.Errorf("%s: model %q has no win rate", stem, model)
		case !inCSV:
			t.Logf("%s (%s): win rate %.12f; no row in leaderboard.csv", stem, model, wr)
		default:
			checked++
			if math.Abs(wr-want) > 1e-6 {
				t.Errorf("%s (%s): win rate = %.12f, want %.12f (leaderboard.csv)", stem, model, wr, want)
			}
			t.Logf("%s (%s): win rate %.12f, leaderboard.csv %.12f, |diff| %.2g", stem, model, wr, want, math.Abs(wr-want))
		}
	}
	if checked == 0 {
		t.Errorf("no model file matched a leaderboard.csv row")
	}

	// Importing a file again creates nothing.
	st, _ := runImport(t, 0, "import", "alpaca-eval", files[0], "--evaluation", eval)
	if st.ResponsesCreated != 0 || st.ComparisonsCreated != 0 || st.ComparisonsExisting == 0 {
		t.Errorf("re-import of %s = %+v, want nothing created", files[0], st)
	}
	t.Logf("%d files imported in %s; %d win rates checked against leaderboard.csv", len(files), imported.Round(time.Millisecond), checked)
}

// hhFinalTurn is the text after a dialogue's last "\n\nAssistant:" marker, less the
// one space that follows the colon.
func hhFinalTurn(dialogue string) string {
	const marker = "\n\nAssistant:"
	i := strings.LastIndex(dialogue, marker)
	if i < 0 {
		return ""
	}
	return strings.TrimPrefix(dialogue[i+len(marker):], " ")
}

// TestRealDataHHRLHF imports the HH-RLHF harmless-base test split and checks that
// the DPO export has one line per source line, whose chosen and rejected texts are
// the source's final Assistant turns.
func TestRealDataHHRLHF(t *testing.T) {
	path := realData(t, filepath.Join("hh-rlhf", "harmless-base-test.jsonl.gz"))
	pairs, err := realdata.HHPairs(path)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	prompts := map[string]int{} // each dialogue up to its final Assistant cue
	emptyChosen := 0
	for _, p := range pairs {
		c := hhFinalTurn(p.Chosen)
		const cue = "\n\nAssistant:"
		prompts[p.Chosen[:strings.LastIndex(p.Chosen, cue)+len(cue)]]++
		if c == "" {
			emptyChosen++
		}
		want = append(want, c+"\x00"+hhFinalTurn(p.Rejected))
	}

	start := time.Now()
	st, _ := runImport(t, 0, "import", "hh-rlhf", path, "--evaluation", "hh-rlhf-real")
	imported := time.Since(start)
	if st.Records != len(want) || st.ComparisonsCreated != len(want) || st.ResponsesCreated != 2*len(want) || st.Errors != 0 {
		t.Errorf("import = %+v, want %d comparisons and %d responses created", st, len(want), 2*len(want))
	}
	stdout, stderr, code := runCLI(t, "evaluations", "export", "hh-rlhf-real", "--format", "dpo")
	if code != 0 {
		t.Fatalf("export: exit %d\n%s", code, stderr)
	}
	got := dpoPairs(t, stdout)
	// The default export keeps the whole conversation: each prompt is the source
	// dialogue up to the final Assistant cue, except where the chosen and rejected
	// dialogues differ before their final turns (the import keeps their shared turns).
	multiTurn, unmatched := 0, 0
	for _, p := range dpoPrompts(t, stdout) {
		if strings.Count(p, "\n\nHuman:") > 1 {
			multiTurn++
		}
		if prompts[p] > 0 {
			prompts[p]--
		} else {
			unmatched++
		}
	}
	if differ := st.Notes[dataset.NoteDialoguesDiffer]; unmatched > differ {
		t.Errorf("%d exported prompts are not their source dialogue; only the %d whose dialogues differ may not be", unmatched, differ)
	}
	sort.Strings(got)
	sort.Strings(want)
	if len(got) != len(want) {
		t.Errorf("export has %d lines, want %d", len(got), len(want))
	}
	if !slices.Equal(got, want) {
		for i := range min(len(got), len(want)) {
			if got[i] != want[i] {
				t.Errorf("first difference at sorted pair %d: %q, want %q", i, got[i], want[i])
				break
			}
		}
	}
	st2, _ := runImport(t, 0, "import", "hh-rlhf", path, "--evaluation", "hh-rlhf-real")
	if st2.ResponsesCreated != 0 || st2.ComparisonsCreated != 0 || st2.ComparisonsExisting != len(want) {
		t.Errorf("re-import = %+v, want nothing created", st2)
	}
	t.Logf("%d lines: %d comparisons created (import %s), %d export lines (%d multi-turn prompts kept whole, %d prompts not the source dialogue), %d with an empty chosen turn, notes %v",
		len(want), st.ComparisonsCreated, imported.Round(time.Millisecond), len(got), multiTurn, unmatched, emptyChosen, st.Notes)
}
