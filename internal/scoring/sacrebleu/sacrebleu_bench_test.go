package sacrebleu

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// BenchmarkAgainstSacrebleu reads real pairs (AlpacaEval: each model's output_2 as
// the hypothesis, the baseline's output_1 as the reference) and, with
// -sacrebleu-python, times sacrebleu's own sentence scores on the same pairs in the
// same run, interleaved with ours. See docs/benchmarks.md for the command.
var (
	benchData = flag.String("data", filepath.Join("..", "..", "..", "..", "shared", "data"),
		"directory with alpaca_eval/ (BenchmarkAgainstSacrebleu)")
	benchPython = flag.String("sacrebleu-python", "",
		"a Python interpreter that can import sacrebleu; BenchmarkAgainstSacrebleu then times sacrebleu on the same pairs")
	benchPairs = flag.Int("pairs", 0, "BenchmarkAgainstSacrebleu: use only the first N pairs (0: all)")
)

type textPair struct {
	Hyp string `json:"hyp"`
	Ref string `json:"ref"`
}

// alpacaPairs reads every AlpacaEval annotations file under -data, in file name order,
// skipping the benchmark when there is none.
func alpacaPairs(b *testing.B) []textPair {
	b.Helper()
	dir, err := filepath.Abs(filepath.Join(*benchData, "alpaca_eval"))
	if err != nil {
		b.Fatal(err)
	}
	files, err := realdata.AlpacaAnnotationFiles(dir)
	if errors.Is(err, realdata.ErrNoData) {
		b.Skipf("real data not found: %v (pass -args -data DIR)", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	var pairs []textPair
	for _, path := range files {
		rows, err := realdata.AlpacaAnnotations(path)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range rows {
			pairs = append(pairs, textPair{Hyp: r.Output2, Ref: r.Output1})
		}
	}
	if n := *benchPairs; n > 0 && n < len(pairs) {
		pairs = pairs[:n]
	}
	return pairs
}

// cpuSeconds is the user and system CPU time this process has used.
func cpuSeconds(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// sacrebleuRun is what testdata/sacrebleu_baseline.py prints.
type sacrebleuRun struct {
	Version    string    `json:"version"`
	Python     string    `json:"python"`
	CPUSeconds float64   `json:"cpu_seconds"`
	Scores     []float64 `json:"scores"`
	Stats      [][]int   `json:"stats"` // BLEU only
}

// compensatedPython reports whether a Python version adds floats in sum() with
// Neumaier's compensation (3.12 and later), as compensatedSum does. On older
// versions BLEU's geometric mean can differ from ours in the last bits.
func compensatedPython(version string) bool {
	var major, minor int
	fmt.Sscanf(version, "%d.%d", &major, &minor)
	return major > 3 || (major == 3 && minor >= 12)
}

// checkAgainst fails unless our scores (and BLEU statistics) are sacrebleu's, and
// returns the largest relative difference of a BLEU score that Python's uncompensated
// sum() leaves, which is 0 on Python 3.12 and later.
func checkAgainst(b *testing.B, metric string, py sacrebleuRun, scores []float64, stats [][]int) float64 {
	b.Helper()
	if len(py.Scores) != len(scores) {
		b.Fatalf("sacrebleu scored %d pairs, want %d", len(py.Scores), len(scores))
	}
	worst := 0.0
	for i, want := range py.Scores {
		got := scores[i]
		if stats != nil && !slices.Equal(stats[i], py.Stats[i]) {
			b.Fatalf("pair %d: %s statistics %v, sacrebleu %s gives %v", i, metric, stats[i], py.Version, py.Stats[i])
		}
		if got == want {
			continue
		}
		rel := math.Abs(got-want) / math.Max(math.Abs(want), 1)
		if stats == nil || compensatedPython(py.Python) || rel > 1e-13 {
			b.Fatalf("pair %d: %s = %v, sacrebleu %s on Python %s gives %v", i, metric, got, py.Version, py.Python, want)
		}
		worst = math.Max(worst, rel)
	}
	return worst
}

func runSacrebleu(b *testing.B, metric, pairsFile string) sacrebleuRun {
	b.Helper()
	script, err := filepath.Abs(filepath.Join("testdata", "sacrebleu_baseline.py"))
	if err != nil {
		b.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(*benchPython, script, metric, pairsFile)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %s %s: %v\n%s", *benchPython, script, metric, err, stderr.String())
	}
	var run sacrebleuRun
	if err := json.Unmarshal(stdout.Bytes(), &run); err != nil {
		b.Fatalf("sacrebleu baseline output: %v", err)
	}
	return run
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func BenchmarkAgainstSacrebleu(b *testing.B) {
	pairs := alpacaPairs(b)
	pairsFile := filepath.Join(b.TempDir(), "pairs.jsonl")
	f, err := os.Create(pairsFile)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, p := range pairs {
		if err := enc.Encode(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if *benchPython == "" {
		b.Logf("sacrebleu not measured: pass -args -sacrebleu-python PYTHON (an interpreter that imports sacrebleu)")
	}
	cases := []struct {
		name   string
		typ    scoring.Type
		params string
	}{
		{"bleu", BLEU(), `{}`},
		{"chrf", CHRF(), `{}`},
		{"chrf++", CHRF(), `{"word_order":2}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			reg, err := scoring.NewRegistry(c.typ)
			if err != nil {
				b.Fatal(err)
			}
			set, err := reg.Build([]domain.ScorerConfig{{Type: c.typ.Name, Params: json.RawMessage(c.params)}})
			if err != nil {
				b.Fatal(err)
			}
			sc := set.Scorers()[0].Scorer
			ctx := context.Background()
			results := make([]scoring.Result, len(pairs))
			var ours, theirs []float64
			var version string
			worst := 0.0
			for b.Loop() {
				var py sacrebleuRun
				if *benchPython != "" {
					b.StopTimer()
					py = runSacrebleu(b, c.name, pairsFile)
					theirs = append(theirs, py.CPUSeconds)
					version = py.Version + " on Python " + py.Python
					b.StartTimer()
				}
				start := cpuSeconds(b)
				for i, p := range pairs {
					results[i], err = sc.Score(ctx, scoring.Item{Response: p.Hyp, Reference: p.Ref, HasReference: true})
					if err != nil {
						b.Fatal(err)
					}
				}
				ours = append(ours, cpuSeconds(b)-start)
				if py.Scores != nil {
					b.StopTimer()
					scores := make([]float64, len(results))
					var stats [][]int
					for i, r := range results {
						scores[i] = r.Details["score"].(float64)
						if py.Stats != nil {
							stats = append(stats, r.Details["stats"].([]int))
						}
					}
					worst = math.Max(worst, checkAgainst(b, c.name, py, scores, stats))
					b.StartTimer()
				}
			}
			goCPU := median(ours)
			b.ReportMetric(float64(len(pairs))/goCPU, "pairs/cpu-s")
			b.ReportMetric(goCPU, "cpu-s/pass")
			msg := fmt.Sprintf("%s, %d pairs, %d passes: rlhf-eval median %.3f CPU-s (%.0f pairs/CPU-s)",
				c.name, len(pairs), len(ours), goCPU, float64(len(pairs))/goCPU)
			if len(theirs) > 0 {
				pyCPU := median(theirs)
				b.ReportMetric(pyCPU, "sacrebleu-cpu-s/pass")
				b.ReportMetric(pyCPU/goCPU, "x-sacrebleu")
				msg += fmt.Sprintf("; sacrebleu %s median %.3f CPU-s (%.0f pairs/CPU-s); ratio %.2fx; every score equal",
					version, pyCPU, float64(len(pairs))/pyCPU, pyCPU/goCPU)
				if worst > 0 {
					msg += fmt.Sprintf(" but for BLEU scores within %.1g relative (equal statistics; this Python's sum() is not compensated)", worst)
				}
			}
			b.Log(msg)
		})
	}
}
