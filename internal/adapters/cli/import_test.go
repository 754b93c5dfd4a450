package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
)

// TestImportRefusesBadInvocations checks that bad flags and files are refused
// before the database is opened.
func TestImportRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing.jsonl")
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no evaluation", []string{"import", "jsonl", missing}, 2, "--evaluation is required"},
		{"no file", []string{"import", "hh-rlhf", "--evaluation", "x"}, 2, "takes one file"},
		{"two files", []string{"import", "alpaca-eval", "a.json", "b.json", "--evaluation", "x"}, 2, "takes one file"},
		{"bad format", []string{"import", "jsonl", missing, "--evaluation", "x", "--format", "yaml"}, 2, "--format"},
		{"unknown scorer", []string{"import", "jsonl", missing, "--evaluation", "x", "--scorer", "nope"}, 2, "--scorer"},
		{"zero batch", []string{"import", "jsonl", missing, "--evaluation", "x", "--batch-size", "0"}, 2, "--batch-size"},
		{"unknown flag", []string{"import", "jsonl", missing, "--evaluation", "x", "--colour"}, 2, "colour"},
		{"missing file", []string{"import", "jsonl", missing, "--evaluation", "x"}, 1, "missing.jsonl"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			root := NewRoot(Env{
				Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Registry: reg,
				Open: func(context.Context) (*Backend, error) {
					t.Errorf("the database was opened")
					return nil, errors.New("no database in this test")
				},
			})
			root.SetArgs(c.args)
			err := root.ExecuteContext(context.Background())
			if err == nil {
				t.Fatalf("%v succeeded", c.args)
			}
			if got := ExitCode(err); got != c.code {
				t.Errorf("exit code = %d, want %d (%v)", got, c.code, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error = %q, want it to mention %q", err, c.want)
			}
		})
	}
}

func TestPrintImportStats(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		st   app.ImportStats
		want string
	}{
		{
			name: "created with skips and notes",
			st: app.ImportStats{
				Evaluation: "alpaca", EvaluationCreated: true, Records: 805, ResponsesCreated: 1610, ComparisonsCreated: 803,
				Skipped: map[string]int{"self-comparison": 1, "null preference": 1},
				Notes:   map[string]int{"dialogues differ before the final turn": 5}, Errors: 0,
			},
			want: "evaluation   alpaca (created)\n" +
				"records      805\n" +
				"responses    1610 created, 0 existing\n" +
				"comparisons  803 created, 0 existing\n" +
				"skipped      2 (null preference: 1, self-comparison: 1)\n" +
				"notes        dialogues differ before the final turn: 5\n" +
				"errors       0\n",
		},
		{
			name: "re-import",
			st: app.ImportStats{Evaluation: "hh", Records: 3, ResponsesExisting: 6, ComparisonsExisting: 3, Errors: 1,
				Skipped: map[string]int{}, Notes: map[string]int{}},
			want: "evaluation   hh\n" +
				"records      3\n" +
				"responses    0 created, 6 existing\n" +
				"comparisons  0 created, 3 existing\n" +
				"skipped      0\n" +
				"errors       1\n",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			if err := printImportStats(&buf, c.st, "table"); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != c.want {
				t.Errorf("summary =\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}
