package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// runCLI runs the binary against the package's database and returns stdout, stderr and
// the exit code.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runWith(t, testdb.URL(t), args...)
}

// importStats is the JSON summary of rlhf-eval import --format json.
type importStats struct {
	Evaluation          string         `json:"evaluation"`
	EvaluationCreated   bool           `json:"evaluation_created"`
	Records             int            `json:"records"`
	ResponsesCreated    int            `json:"responses_created"`
	ResponsesExisting   int            `json:"responses_existing"`
	ComparisonsCreated  int            `json:"comparisons_created"`
	ComparisonsExisting int            `json:"comparisons_existing"`
	Skipped             map[string]int `json:"skipped"`
	Notes               map[string]int `json:"notes"`
	Errors              int            `json:"errors"`
}

// runImport runs an import command with --format json and decodes its summary.
func runImport(t *testing.T, wantCode int, args ...string) (importStats, string) {
	t.Helper()
	stdout, stderr, code := runCLI(t, append(args, "--format", "json")...)
	if code != wantCode {
		t.Fatalf("%v: exit %d, want %d\nstderr:\n%s", args, code, wantCode, stderr)
	}
	var st importStats
	if err := json.Unmarshal([]byte(stdout), &st); err != nil {
		t.Fatalf("%v: summary %q: %v", args, stdout, err)
	}
	return st, stderr
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	var data []byte
	if strings.HasSuffix(name, ".gz") {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(content))
		zw.Close()
		data = buf.Bytes()
	} else {
		data = []byte(content)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// winRates reads a win-rate leaderboard through the CLI: model → win rate.
// winRates returns each model's win rate in percent, as AlpacaEval publishes it
// (the API reports shares from 0 to 1).
func winRates(t *testing.T, eval, baseline string) map[string]float64 {
	t.Helper()
	stdout, stderr, code := runCLI(t, "evaluations", "leaderboard", eval, "--method", "winrate", "--baseline", baseline, "--format", "json")
	if code != 0 {
		t.Fatalf("leaderboard: exit %d\n%s", code, stderr)
	}
	var lb struct {
		Ratings []struct {
			Model   string   `json:"model"`
			WinRate *float64 `json:"win_rate"`
		} `json:"ratings"`
	}
	if err := json.Unmarshal([]byte(stdout), &lb); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range lb.Ratings {
		if r.WinRate != nil {
			out[r.Model] = 100 * *r.WinRate
		}
	}
	return out
}

// TestImportCommands imports small files of each kind twice through the binary.
func TestImportCommands(t *testing.T) {
	// A judged pair, a null preference and the baseline against itself, gzipped.
	alpaca := writeFile(t, "m1.annotations.json.gz", `[
 {"instruction": "Name a colour.", "output_1": "Red.", "generator_1": "base", "output_2": "Blue.", "generator_2": "m1", "preference": 1.25},
 {"instruction": "Count to two.", "output_1": "1, 2.", "generator_1": "base", "output_2": "one two", "generator_2": "m1", "preference": null},
 {"instruction": "Name a colour.", "output_1": "Red.", "generator_1": "base", "output_2": "Red.", "generator_2": "base", "preference": 1.5}
]`)
	st, stderr := runImport(t, 0, "import", "alpaca-eval", alpaca, "--evaluation", "cli-alpaca")
	want := importStats{Evaluation: "cli-alpaca", EvaluationCreated: true, Records: 3, ResponsesCreated: 4, ResponsesExisting: 1,
		ComparisonsCreated: 1, Skipped: map[string]int{"null preference": 1, "self-comparison": 1}, Notes: map[string]int{}}
	if !statsEqual(st, want) {
		t.Errorf("alpaca-eval import = %+v, want %+v", st, want)
	}
	if !strings.Contains(stderr, "3 records:") {
		t.Errorf("stderr has no progress line: %q", stderr)
	}
	st, _ = runImport(t, 0, "import", "alpaca-eval", alpaca, "--evaluation", "cli-alpaca")
	want = importStats{Evaluation: "cli-alpaca", Records: 3, ResponsesExisting: 5, ComparisonsExisting: 1,
		Skipped: map[string]int{"null preference": 1, "self-comparison": 1}, Notes: map[string]int{}}
	if !statsEqual(st, want) {
		t.Errorf("alpaca-eval re-import = %+v, want %+v", st, want)
	}
	// One comparison at preference 1.25 − 1 = 0.25: m1's win rate is 25.
	if got := winRates(t, "cli-alpaca", "base"); len(got) != 1 || got["m1"] != 25 {
		t.Errorf("win rates = %v, want m1: 25", got)
	}

	hh := writeFile(t, "hh.jsonl", `{"chosen": "\n\nHuman: Hi\n\nAssistant: Hello!", "rejected": "\n\nHuman: Hi\n\nAssistant: Go away."}
{"chosen": "\n\nHuman: Help\n\nAssistant: ", "rejected": "\n\nHuman: Help\n\nAssistant: Sure."}
{"chosen": "no turns", "rejected": "\n\nHuman: Hi\n\nAssistant: Hi."}
`)
	st, stderr = runImport(t, 1, "import", "hh-rlhf", hh, "--evaluation", "cli-hh", "--model", "helpful-v1")
	want = importStats{Evaluation: "cli-hh", EvaluationCreated: true, Records: 3, ResponsesCreated: 4, ComparisonsCreated: 2, Errors: 1,
		Skipped: map[string]int{}, Notes: map[string]int{}}
	if !statsEqual(st, want) {
		t.Errorf("hh-rlhf import = %+v, want %+v", st, want)
	}
	if !strings.Contains(stderr, hh+": line 3: chosen:") || !strings.Contains(stderr, "1 of 3 records failed") {
		t.Errorf("stderr does not name the bad line: %q", stderr)
	}
	stdout, stderr, code := runCLI(t, "evaluations", "export", "cli-hh", "--format", "dpo")
	if code != 0 {
		t.Fatalf("export: %d %s", code, stderr)
	}
	pairs := dpoPairs(t, stdout)
	sort.Strings(pairs)
	if wantPairs := []string{"\x00Sure.", "Hello!\x00Go away."}; !slices.Equal(pairs, wantPairs) {
		t.Errorf("dpo pairs = %q, want %q", pairs, wantPairs)
	}

	mixed := writeFile(t, "mixed.jsonl", `{"external_id": "a1", "model": "a", "prompt": "2+2?", "response": "4"}
{"external_id": "b1", "model": "b", "prompt": "2+2?", "response": "5"}
{"external_id": "c1", "response_a": "a1", "response_b": "b1", "winner": "a"}
`)
	for i, wantCreated := range []int{2, 0} {
		st, _ := runImport(t, 0, "import", "jsonl", mixed, "--evaluation", "cli-jsonl")
		if st.ResponsesCreated != wantCreated || st.ComparisonsCreated != wantCreated/2 || st.ResponsesExisting != 2-wantCreated {
			t.Errorf("jsonl import %d = %+v, want %d responses and %d comparisons created", i+1, st, wantCreated, wantCreated/2)
		}
	}
}

func statsEqual(a, b importStats) bool {
	return a.Evaluation == b.Evaluation && a.EvaluationCreated == b.EvaluationCreated && a.Records == b.Records &&
		a.ResponsesCreated == b.ResponsesCreated && a.ResponsesExisting == b.ResponsesExisting &&
		a.ComparisonsCreated == b.ComparisonsCreated && a.ComparisonsExisting == b.ComparisonsExisting &&
		a.Errors == b.Errors && mapsEqual(a.Skipped, b.Skipped) && mapsEqual(a.Notes, b.Notes)
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// dpoPairs reads a plain DPO export: one "chosen\x00rejected" per line.
// dpoPrompts returns the prompts of a DPO export's lines.
func dpoPrompts(t *testing.T, export string) []string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(export), "\n") {
		var p struct{ Prompt string }
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatalf("export line %q: %v", line, err)
		}
		out = append(out, p.Prompt)
	}
	return out
}

func dpoPairs(t *testing.T, export string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(export))
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for sc.Scan() {
		var p struct{ Prompt, Chosen, Rejected string }
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		out = append(out, p.Chosen+"\x00"+p.Rejected)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
