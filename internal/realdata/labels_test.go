package realdata

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dataDir is the shared real-data folder (/work/shared/data when the repository is
// checked out at /work/main). It is read in place, never copied.
var dataDir = flag.String("data", filepath.Join("..", "..", "..", "shared", "data"),
	"folder holding alpaca_eval/ and hh-rlhf/ for the real-data checks")

const (
	labelsPath   = "../../testdata/labels/refusal-and-failures.tsv"
	heldout2Path = "../../testdata/labels/heldout-2.tsv"
	heldout3Path = "../../testdata/labels/heldout-3.tsv"
)

// TestLabelsFile checks the committed label file row by row (ReadLabels) and holds it
// to what the detectors' evaluation needs: at least 800 labelled outputs from both
// sources, at least 300 of them held out, and positives of every label to measure.
func TestLabelsFile(t *testing.T) {
	t.Parallel()
	labels, err := ReadLabels(labelsPath)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, l := range labels {
		count[l.Source]++
		count[l.Split]++
		for name, on := range map[string]bool{
			"refusal": l.Refusal, "truncated": l.Truncated, "prompt_echo": l.PromptEcho, "hedging": l.Hedging,
		} {
			if on {
				count[name+"/"+l.Split]++
			}
		}
	}
	t.Logf("%d labels: %v", len(labels), count)
	if len(labels) < 800 {
		t.Errorf("%d labels, want at least 800", len(labels))
	}
	if count["heldout"] < 300 {
		t.Errorf("%d held-out labels, want at least 300", count["heldout"])
	}
	for _, key := range []string{
		SourceAlpacaEval, SourceHHRLHF,
		"refusal/dev", "refusal/heldout", "truncated/heldout", "prompt_echo/heldout", "hedging/heldout",
	} {
		if count[key] == 0 {
			t.Errorf("no %s labels", key)
		}
	}
}

// TestHeldout2File checks the second, fresh held-out set: well-formed, held out
// whole, drawn from both sources, with refusals to measure, and sharing no id with
// the first set (whose held-out part has since been used for development).
func TestHeldout2File(t *testing.T) {
	t.Parallel()
	labels, err := ReadLabels(heldout2Path)
	if err != nil {
		t.Fatal(err)
	}
	first, err := ReadLabels(labelsPath)
	if err != nil {
		t.Fatal(err)
	}
	firstIDs := map[string]bool{}
	for _, l := range first {
		firstIDs[l.ID] = true
	}
	count := map[string]int{}
	for _, l := range labels {
		if l.Split != SplitHeldout2 {
			t.Errorf("%s: split %q, want %q", l.ID, l.Split, SplitHeldout2)
		}
		if firstIDs[l.ID] {
			t.Errorf("%s is in the first set too", l.ID)
		}
		count[l.Source]++
		if l.Refusal {
			count["refusal/"+l.Source]++
		}
	}
	t.Logf("%d labels: %v", len(labels), count)
	if len(labels) < 500 {
		t.Errorf("%d labels, want at least 500", len(labels))
	}
	for _, key := range []string{SourceAlpacaEval, SourceHHRLHF, "refusal/" + SourceAlpacaEval, "refusal/" + SourceHHRLHF} {
		if count[key] == 0 {
			t.Errorf("no %s labels", key)
		}
	}
}

// TestHeldout3File checks the third held-out set: well-formed, held out whole,
// drawn from both sources, with refusals to measure in each, and sharing no id with
// the first two sets.
func TestHeldout3File(t *testing.T) {
	labels, err := ReadLabels(heldout3Path)
	if err != nil {
		t.Fatal(err)
	}
	earlier := map[string]string{}
	for _, path := range []string{labelsPath, heldout2Path} {
		ls, err := ReadLabels(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			earlier[l.ID] = filepath.Base(path)
		}
	}
	count := map[string]int{}
	for _, l := range labels {
		if l.Split != SplitHeldout3 {
			t.Errorf("%s: split %q, want %q", l.ID, l.Split, SplitHeldout3)
		}
		if f, ok := earlier[l.ID]; ok {
			t.Errorf("%s is in %s too", l.ID, f)
		}
		count[l.Source]++
		if l.Refusal {
			count["refusal/"+l.Source]++
		}
	}
	t.Logf("%d labels: %v", len(labels), count)
	if len(labels) < 500 {
		t.Errorf("%d labels, want at least 500", len(labels))
	}
	for _, key := range []string{SourceAlpacaEval, SourceHHRLHF, "refusal/" + SourceAlpacaEval, "refusal/" + SourceHHRLHF} {
		if count[key] == 0 {
			t.Errorf("no %s labels", key)
		}
	}
}

func TestReadLabelsRejects(t *testing.T) {
	t.Parallel()
	const header = "id\tsource\tpool\tsplit\trefusal\trefusal_type\trefusal_reason\ttruncated\tprompt_echo\tlanguage_mismatch\thedging\tnote\n"
	hh := HHID(7, "chosen")
	alp := AlpacaID("claude-2.1.annotations.json.gz", 3, "output_2")
	row := func(id, source, pool, split, rest string) string {
		return strings.Join([]string{id, source, pool, split, rest}, "\t") + "\n"
	}
	good := row(hh, SourceHHRLHF, "hh-random", Split(hh), "1\tfull\tpolicy\t0\t0\t0\t1\t-") +
		row(alp, SourceAlpacaEval, "refuser", Split(alp), "0\t-\t-\t1\t0\t0\t0\tcut mid-list")
	wrongSplit := "dev"
	if Split(hh) == "dev" {
		wrongSplit = "heldout"
	}
	tests := []struct {
		name, body, wantErr string
	}{
		{"good", header + good, ""},
		{"bad header", strings.Replace(header, "hedging", "hedge", 1) + good, "header"},
		{"short row", header + hh + "\thh-rlhf\n", "columns"},
		{"source differs from id", header + row(hh, SourceAlpacaEval, "random", Split(hh), "0\t-\t-\t0\t0\t0\t0\t-"), "source"},
		{"pool of the other source", header + row(hh, SourceHHRLHF, "random", Split(hh), "0\t-\t-\t0\t0\t0\t0\t-"), "pool"},
		{"split not the hash", header + row(hh, SourceHHRLHF, "hh-random", wrongSplit, "0\t-\t-\t0\t0\t0\t0\t-"), "split"},
		{"flag not 0 or 1", header + row(hh, SourceHHRLHF, "hh-random", Split(hh), "0\t-\t-\tyes\t0\t0\t0\t-"), "truncated"},
		{"type on a non-refusal", header + row(hh, SourceHHRLHF, "hh-random", Split(hh), "0\tfull\tpolicy\t0\t0\t0\t0\t-"), "non-refusal"},
		{"refusal without type", header + row(hh, SourceHHRLHF, "hh-random", Split(hh), "1\t-\tpolicy\t0\t0\t0\t0\t-"), "refusal_type"},
		{"unknown reason", header + row(hh, SourceHHRLHF, "hh-random", Split(hh), "1\tfull\tmoral\t0\t0\t0\t0\t-"), "refusal_reason"},
		{"empty note", header + row(hh, SourceHHRLHF, "hh-random", Split(hh), "0\t-\t-\t0\t0\t0\t0\t"), "note"},
		{"id twice", header + good + row(hh, SourceHHRLHF, "hh-random", Split(hh), "0\t-\t-\t0\t0\t0\t0\t-"), "already labelled"},
		{"heldout2 after a hashed split", header + good + row(HHID(8, "chosen"), SourceHHRLHF, "hh-random", SplitHeldout2, "0\t-\t-\t0\t0\t0\t0\t-"), "all heldout2, all heldout3 or all hashed"},
		{"hashed split after heldout2", header + row(HHID(8, "chosen"), SourceHHRLHF, "hh-random", SplitHeldout2, "0\t-\t-\t0\t0\t0\t0\t-") + good, "all heldout2, all heldout3 or all hashed"},
		{"heldout3 after heldout2", header + row(HHID(8, "chosen"), SourceHHRLHF, "hh-random", SplitHeldout2, "0\t-\t-\t0\t0\t0\t0\t-") +
			row(HHID(9, "chosen"), SourceHHRLHF, "hh-random", SplitHeldout3, "0\t-\t-\t0\t0\t0\t0\t-"), "all heldout2, all heldout3 or all hashed"},
		{"hashed split after heldout3", header + row(HHID(8, "chosen"), SourceHHRLHF, "hh-random", SplitHeldout3, "0\t-\t-\t0\t0\t0\t0\t-") + good, "all heldout2, all heldout3 or all hashed"},
		{"unknown split", header + row(hh, SourceHHRLHF, "hh-random", "heldout4", "0\t-\t-\t0\t0\t0\t0\t-"), "split"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "labels.tsv")
			if err := os.WriteFile(path, []byte(tt.body), 0o600); err != nil {
				t.Fatal(err)
			}
			labels, err := ReadLabels(path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				want := []Label{
					{ID: hh, Source: SourceHHRLHF, Pool: "hh-random", Split: Split(hh), Refusal: true, RefusalType: "full", RefusalReason: "policy", Hedging: true},
					{ID: alp, Source: SourceAlpacaEval, Pool: "refuser", Split: Split(alp), Truncated: true, Note: "cut mid-list"},
				}
				if len(labels) != len(want) || labels[0] != want[0] || labels[1] != want[1] {
					t.Errorf("labels = %+v, want %+v", labels, want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want one mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// TestReadLabelsWholeSplit reads a file of the second and of the third set: every
// row held out whole, whatever its id hashes to.
func TestReadLabelsWholeSplit(t *testing.T) {
	t.Parallel()
	const header = "id\tsource\tpool\tsplit\trefusal\trefusal_type\trefusal_reason\ttruncated\tprompt_echo\tlanguage_mismatch\thedging\tnote\n"
	for _, split := range []string{SplitHeldout2, SplitHeldout3} {
		t.Run(split, func(t *testing.T) {
			var body strings.Builder
			body.WriteString(header)
			var ids []string
			for line := 1; line <= 20; line++ {
				id := HHID(line, "rejected")
				ids = append(ids, id)
				body.WriteString(id + "\thh-rlhf\thh-harm-short\t" + split + "\t0\t-\t-\t0\t0\t0\t0\t-\n")
			}
			path := filepath.Join(t.TempDir(), "labels.tsv")
			if err := os.WriteFile(path, []byte(body.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			labels, err := ReadLabels(path)
			if err != nil {
				t.Fatal(err)
			}
			hashedDev := 0
			for i, l := range labels {
				if l.ID != ids[i] || l.Split != split {
					t.Errorf("row %d = %s %s, want %s %s", i, l.ID, l.Split, ids[i], split)
				}
				if Split(l.ID) == "dev" {
					hashedDev++
				}
			}
			if hashedDev == 0 {
				t.Fatalf("no id of the file hashes to dev, so the file does not show that %s overrides the hash", split)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	const file = "m.annotations.json.gz"
	c := &Corpus{
		alpaca: map[string][]alpacaRow{file: {
			{Instruction: "say hi", Output1: "hi", Generator1: "base", Output2: "hello", Generator2: "m"},
		}},
		hh: []HHPair{{
			Chosen:   "\n\nHuman: q1\n\nAssistant: a1\n\nHuman: q2\n\nAssistant:  good answer ",
			Rejected: "\n\nHuman: q1\n\nAssistant: a1\n\nHuman: q2\n\nAssistant:",
		}},
	}
	tests := []struct {
		id      string
		want    Response
		wantErr string
	}{
		{id: AlpacaID(file, 0, "output_1"), want: Response{Source: SourceAlpacaEval, Generator: "base", Prompt: "say hi", Text: "hi"}},
		{id: AlpacaID(file, 0, "output_2"), want: Response{Source: SourceAlpacaEval, Generator: "m", Prompt: "say hi", Text: "hello"}},
		{id: HHID(1, "chosen"), want: Response{Source: SourceHHRLHF, Prompt: "\n\nHuman: q1\n\nAssistant: a1\n\nHuman: q2", Text: "good answer"}},
		{id: HHID(1, "rejected"), want: Response{Source: SourceHHRLHF, Prompt: "\n\nHuman: q1\n\nAssistant: a1\n\nHuman: q2", Text: ""}},
		{id: AlpacaID(file, 1, "output_2"), wantErr: "row 1 outside"},
		{id: AlpacaID("other.json.gz", 0, "output_2"), wantErr: "no AlpacaEval file"},
		{id: AlpacaID(file, 0, "output_3"), wantErr: "field"},
		{id: HHID(0, "chosen"), wantErr: "line 0 outside"},
		{id: HHID(2, "chosen"), wantErr: "line 2 outside"},
		{id: HHID(1, "both"), wantErr: "field"},
		{id: "hh-rlhf/other.jsonl.gz:1:chosen", wantErr: "HH-RLHF file"},
		{id: "web/x:1:y", wantErr: "source"},
		{id: "alpaca_eval/" + file + ":first:output_2", wantErr: "not a number"},
		{id: "alpaca_eval/" + file, wantErr: "want <source>"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			got, err := c.Resolve(tt.id)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("Resolve(%q) err = %v, want one mentioning %q", tt.id, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.want.ID = tt.id
			if got != tt.want {
				t.Errorf("Resolve(%q) = %+v, want %+v", tt.id, got, tt.want)
			}
		})
	}
}

func TestOpenCorpusAbsent(t *testing.T) {
	t.Parallel()
	_, err := OpenCorpus(t.TempDir())
	if !errors.Is(err, ErrNoData) {
		t.Errorf("err = %v, want ErrNoData", err)
	}
}

// TestLabelsResolveRealData resolves every labelled id against the real data: each
// must name an existing, non-empty output (the sample skipped empty ones).
func TestLabelsResolveRealData(t *testing.T) {
	t.Parallel()
	corpus, err := OpenCorpus(*dataDir)
	if errors.Is(err, ErrNoData) {
		t.Skipf("real data not found under %s, so the label ids were not resolved (pass -args -data DIR): %v", *dataDir, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{labelsPath, heldout2Path, heldout3Path} {
		labels, err := ReadLabels(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range labels {
			r, err := corpus.Resolve(l.ID)
			if err != nil {
				t.Error(err)
				continue
			}
			if strings.TrimSpace(r.Text) == "" || r.Prompt == "" {
				t.Errorf("%s: empty prompt or response", l.ID)
			}
		}
		t.Logf("resolved %d labelled ids of %s against %s", len(labels), path, *dataDir)
	}
}
