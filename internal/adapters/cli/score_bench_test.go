package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

var (
	benchData = flag.String("data", filepath.Join("..", "..", "..", "..", "shared", "data"),
		"directory with alpaca_eval/ (BenchmarkScoreCommand)")
	benchBaseline = flag.String("baseline-binary", "",
		"BenchmarkScoreCommand: also time `score` of this rlhf-eval binary (e.g. one built from an older commit)")
)

// scoreBenchInput writes the AlpacaEval outputs under -data as a score command's
// input, {"id", "prompt", "response", "reference"} per line (each model's output_2
// against the baseline's output_1), skipping the benchmark when they are absent. It
// returns the file, its size and its number of lines.
func scoreBenchInput(b *testing.B) (string, int64, int) {
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
	path := filepath.Join(b.TempDir(), "responses.jsonl")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	lines := 0
	for _, name := range files {
		rows, err := realdata.AlpacaAnnotations(name)
		if err != nil {
			b.Fatal(err)
		}
		for i, r := range rows {
			id := fmt.Sprintf("%s/%d", filepath.Base(name), i)
			if err := enc.Encode(map[string]string{"id": id, "prompt": r.Instruction, "response": r.Output2, "reference": r.Output1}); err != nil {
				b.Fatal(err)
			}
			lines++
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, fi.Size(), lines
}

// timing is one measured run: wall time and CPU time.
type timing struct{ wall, cpu float64 }

func selfCPU(b *testing.B) float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// inProcess times fn in this process.
func inProcess(b *testing.B, fn func() error) timing {
	b.Helper()
	cpu, start := selfCPU(b), time.Now()
	if err := fn(); err != nil {
		b.Fatal(err)
	}
	return timing{wall: time.Since(start).Seconds(), cpu: selfCPU(b) - cpu}
}

// command times a child process.
func command(b *testing.B, name string, args ...string) timing {
	b.Helper()
	cmd := exec.Command(name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s %v: %v\n%s", name, args, err, stderr.String())
	}
	ps := cmd.ProcessState
	return timing{wall: time.Since(start).Seconds(), cpu: (ps.UserTime() + ps.SystemTime()).Seconds()}
}

func medianOf(ts []timing) timing {
	walls, cpus := make([]float64, len(ts)), make([]float64, len(ts))
	for i, t := range ts {
		walls[i], cpus[i] = t.wall, t.cpu
	}
	med := func(xs []float64) float64 {
		slices.Sort(xs)
		if len(xs)%2 == 1 {
			return xs[len(xs)/2]
		}
		return (xs[len(xs)/2-1] + xs[len(xs)/2]) / 2
	}
	return timing{wall: med(walls), cpu: med(cpus)}
}

// BenchmarkScoreCommand times `rlhf-eval score` on real responses against reading
// the file with cat and against the same scorers alone, in process on every core,
// on the same lines decoded beforehand. Each iteration runs all of them once, in
// turn; the log shows the medians.
func BenchmarkScoreCommand(b *testing.B) {
	path, size, lines := scoreBenchInput(b)
	reg, err := builtin.Registry()
	if err != nil {
		b.Fatal(err)
	}
	for _, scorers := range [][]string{{"length", "refusal", "pii"}, {"bleu", "chrf"}} {
		b.Run(strings.Join(scorers, "+"), func(b *testing.B) {
			args := []string{"score", "--input", path, "--output", os.DevNull}
			var cfgs []domain.ScorerConfig
			for _, s := range scorers {
				args = append(args, "--scorer", s)
				cfgs = append(cfgs, domain.ScorerConfig{Type: s})
			}
			sc := app.NewScoring(reg, app.Limits{})
			set, err := sc.Prepare(cfgs)
			if err != nil {
				b.Fatal(err)
			}
			items := decodeBenchItems(b, path)
			var cat, alone, score, baseline []timing
			for b.Loop() {
				b.StopTimer()
				cat = append(cat, command(b, "sh", "-c", `cat "$1" > /dev/null`, "sh", path))
				alone = append(alone, inProcess(b, func() error {
					_, err := sc.Score(context.Background(), set, items)
					return err
				}))
				if *benchBaseline != "" {
					baseline = append(baseline, command(b, *benchBaseline, args...))
				}
				b.StartTimer()
				score = append(score, inProcess(b, func() error {
					root, errb := rootWith(reg, os.Stdout)
					root.SetArgs(args)
					if err := root.ExecuteContext(context.Background()); err != nil {
						return errors.Join(err, errors.New(errb.String()))
					}
					return nil
				}))
			}
			mb := float64(size) / 1e6
			row := func(name string, t timing) string {
				return fmt.Sprintf("%-34s %9.0f lines/s %8.1f MB/s  %.2f cores", name, float64(lines)/t.wall, mb/t.wall, t.cpu/t.wall)
			}
			c, a, s := medianOf(cat), medianOf(alone), medianOf(score)
			msg := fmt.Sprintf("%d lines, %.1f MB, %d runs, medians:\n%s\n%s\n%s",
				lines, mb, len(score), row("cat FILE > /dev/null", c), row("scorers alone, in process", a), row("rlhf-eval score", s))
			if len(baseline) > 0 {
				msg += "\n" + row("baseline binary", medianOf(baseline))
			}
			msg += fmt.Sprintf("\nscore: %.2fx the scorers alone, %.3fx cat", a.wall/s.wall, c.wall/s.wall)
			b.Log(msg)
			b.ReportMetric(float64(lines)/s.wall, "lines/s")
			b.ReportMetric(mb/s.wall, "MB/s")
			b.ReportMetric(s.cpu/s.wall, "cores")
		})
	}
}

// decodeBenchItems reads the file as the score command does, for the scorers alone.
func decodeBenchItems(b *testing.B, path string) []app.ScoreItem {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var items []app.ScoreItem
	for i, line := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		item, _, err := parseScoreLine(line, i+1)
		if err != nil {
			b.Fatal(err)
		}
		items = append(items, item)
	}
	return items
}
