package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/sacrebleu"
)

// scoreRoot returns the command tree with the length scorer and BLEU (which needs a
// reference), writing to stdout.
func scoreRoot(t *testing.T, stdout io.Writer) (*cobra.Command, *scoring.Registry, *bytes.Buffer) {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length(), sacrebleu.BLEU())
	if err != nil {
		t.Fatal(err)
	}
	root, errb := rootWith(reg, stdout)
	return root, reg, errb
}

// rootWith returns the command tree with reg, writing to stdout and to the returned
// buffer for stderr.
func rootWith(reg *scoring.Registry, stdout io.Writer) (*cobra.Command, *bytes.Buffer) {
	var errb bytes.Buffer
	root := NewRoot(Env{Stdout: stdout, Stderr: &errb, Stdin: strings.NewReader(""), Registry: reg,
		Open: func(context.Context) (*Backend, error) { return nil, errors.New("no database in this test") }})
	return root, &errb
}

// scoreInput writes a JSONL file of n lines to score: mostly good lines with
// responses of a few words (some of about 900 KB, so that chunks also end by size),
// and among them blank lines and lines that cannot be scored. It returns the file and
// the failure expected of each line number that has one.
func scoreInput(t *testing.T, n int) (string, map[int]string) {
	t.Helper()
	var b strings.Builder
	bad := map[int]string{}
	for i := 1; i <= n; i++ {
		switch {
		case i%97 == 0:
			b.WriteString("{not json\n")
			bad[i] = "not a JSON object"
		case i%89 == 0:
			fmt.Fprintf(&b, "{\"id\": %d, \"reference\": \"r\"}\n", i)
			bad[i] = "response: is required"
		case i%83 == 0:
			fmt.Fprintf(&b, "{\"id\": %d, \"response\": \"r\"}\n", i)
			bad[i] = `reference: is required by scorer "bleu"`
		case i%71 == 0:
			b.WriteString(" \n")
		default:
			resp := strings.Repeat("word ", i%13)
			if i%401 == 0 {
				resp = strings.Repeat("long answer ", 75_000)
			}
			line, _ := json.Marshal(map[string]any{"id": fmt.Sprintf("r%d", i), "response": resp, "reference": "word word"})
			b.Write(line)
			b.WriteByte('\n')
		}
	}
	path := filepath.Join(t.TempDir(), "in.jsonl")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, bad
}

// TestScorePipelineMatchesLineByLine scores more lines than several chunks hold and
// compares the output with scoring each line alone, in order, and the errors with
// one report per bad line, in order.
func TestScorePipelineMatchesLineByLine(t *testing.T) {
	t.Parallel()
	path, bad := scoreInput(t, 2000)
	for _, format := range []string{"jsonl", "csv", "table"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			root, reg, errb := scoreRoot(t, &out)
			root.SetArgs([]string{"score", "--input", path, "--scorer", "length", "--scorer", "bleu", "--format", format})
			err := root.ExecuteContext(context.Background())
			if ExitCode(err) != 1 {
				t.Fatalf("exit %d (%v), want 1 for the bad lines", ExitCode(err), err)
			}

			// The plain definition: each line decoded, checked and scored alone.
			sc := app.NewScoring(reg, app.Limits{})
			set, err := sc.Prepare([]domain.ScorerConfig{{Type: "length"}, {Type: "bleu"}})
			if err != nil {
				t.Fatal(err)
			}
			var want bytes.Buffer
			r := &scoreRun{format: format, set: set, out: &want}
			if err := r.header(); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var wantErrs []string
			nonBlank := 0
			for i, line := range strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n") {
				if strings.TrimSpace(line) == "" {
					continue
				}
				nonBlank++
				item, id, err := parseScoreLine([]byte(line), i+1)
				if err == nil {
					err = sc.Check(set, item)
				}
				if err != nil {
					wantErrs = append(wantErrs, fmt.Sprintf("line %d: %v", i+1, err))
					if !strings.Contains(err.Error(), bad[i+1]) || bad[i+1] == "" {
						t.Fatalf("line %d: %v, want an error with %q", i+1, err, bad[i+1])
					}
					continue
				}
				outcomes, err := sc.Score(context.Background(), set, []app.ScoreItem{item})
				if err != nil {
					t.Fatal(err)
				}
				switch format {
				case "jsonl":
					err = encodeJSONLine(&want, id, outcomes[0])
				case "csv":
					w := csv.NewWriter(&want)
					w.Write(csvRow(id, outcomes[0]))
					w.Flush()
					err = w.Error()
				case "table":
					err = r.writeChunk(&scoreChunk{ids: []json.RawMessage{id}, outcomes: outcomes})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if err := r.footer(); err != nil {
				t.Fatal(err)
			}
			if len(wantErrs) != len(bad) {
				t.Fatalf("%d lines fail alone, want %d", len(wantErrs), len(bad))
			}
			if got := out.String(); got != want.String() {
				t.Errorf("output differs from scoring line by line (%d bytes, want %d)", len(got), want.Len())
			}
			wantStderr := strings.Join(wantErrs, "\n") + fmt.Sprintf("\n%d of %d lines failed\n", len(bad), nonBlank)
			if got := errb.String(); got != wantStderr {
				t.Errorf("stderr = %q, want %q", got, wantStderr)
			}
		})
	}
}

// failingWriter fails every write after the first n bytes.
type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		return 0, errors.New("disk full")
	}
	w.n -= len(p)
	return len(p), nil
}

// TestScoreStopsOnFailure: a failed write or a cancelled context ends the run with
// its error, without waiting for the rest of the input.
func TestScoreStopsOnFailure(t *testing.T) {
	t.Parallel()
	path, _ := scoreInput(t, 3000)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name string
		out  io.Writer
		ctx  context.Context
		want string
	}{
		{"write fails", &failingWriter{n: 10_000}, context.Background(), "disk full"},
		{"cancelled", io.Discard, cancelled, context.Canceled.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root, _, _ := scoreRoot(t, c.out)
			root.SetArgs([]string{"score", "--input", path, "--scorer", "length"})
			done := make(chan error, 1)
			go func() { done <- root.ExecuteContext(c.ctx) }()
			select {
			case err := <-done:
				if err == nil || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("error %v, want one with %q", err, c.want)
				}
			case <-time.After(time.Minute):
				t.Fatal("score did not stop")
			}
		})
	}
}
