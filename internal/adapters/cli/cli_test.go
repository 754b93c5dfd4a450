package cli

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
)

func testRoot(t *testing.T) (*cobra.Command, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	root := NewRoot(Env{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Registry: reg,
		Open: func(context.Context) (*Backend, error) { return nil, errors.New("no database in this test") }})
	return root, &out, &errb
}

func walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		walk(sub, fn)
	}
}

// TestEveryCommandHasExamples keeps `--help` useful: each command that does
// something shows how it is called.
func TestEveryCommandHasExamples(t *testing.T) {
	t.Parallel()
	root, _, _ := testRoot(t)
	walk(root, func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" || c.HasSubCommands() || c.Parent() != nil && c.Parent().Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", c.CommandPath())
		}
	})
}

// TestDataCommandsPrintCSV: every command with an output format offers the
// three a user may pipe elsewhere.
func TestDataCommandsPrintCSV(t *testing.T) {
	t.Parallel()
	root, _, _ := testRoot(t)
	walk(root, func(c *cobra.Command) {
		f := c.Flags().Lookup("format")
		if f == nil {
			return
		}
		switch c.CommandPath() {
		case "rlhf-eval keys create", "rlhf-eval import alpaca-eval", "rlhf-eval import hh-rlhf", "rlhf-eval import jsonl",
			"rlhf-eval responses post", "rlhf-eval comparisons post", "rlhf-eval score", "rlhf-eval judges create":
			return // they print one result or stream their own formats
		}
		for _, want := range []string{"json", "csv"} {
			if !strings.Contains(f.Usage, want) {
				t.Errorf("%s --format does not offer %s: %q", c.CommandPath(), want, f.Usage)
			}
		}
	})
}

// TestMistypedSubcommandIsAUsageError: a typo exits 2 (with a suggestion), so a CI
// script with one fails instead of printing help and passing.
func TestMistypedSubcommandIsAUsageError(t *testing.T) {
	t.Parallel()
	cases := [][]string{{"evaluatons"}, {"evaluations", "sumary", "x"}, {"keys", "craete"}, {"responses", "lst"}, {"import", "alpaca"}}
	for _, args := range cases {
		root, out, _ := testRoot(t)
		root.SetArgs(args)
		err := root.ExecuteContext(context.Background())
		if ExitCode(err) != 2 {
			t.Errorf("%v: exit %d (%v), want 2; stdout %q", args, ExitCode(err), err, out.String())
		}
	}
	root, out, _ := testRoot(t)
	root.SetArgs([]string{"evaluations"})
	if err := root.ExecuteContext(context.Background()); err != nil || !strings.Contains(out.String(), "Available Commands") {
		t.Errorf("a bare group should print its help: %v %q", err, out.String())
	}
}

func TestServerModeNeedsAKey(t *testing.T) {
	t.Parallel()
	root, _, _ := testRoot(t)
	root.SetArgs([]string{"--server", "http://127.0.0.1:1", "evaluations", "list"})
	err := root.ExecuteContext(context.Background())
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "RLHF_API_KEY") {
		t.Fatalf("no key: %v (exit %d)", err, ExitCode(err))
	}
	root, _, _ = testRoot(t)
	root.SetArgs([]string{"evaluations", "list"})
	err = root.ExecuteContext(context.Background())
	if ExitCode(err) != 2 || !strings.Contains(err.Error(), "needs a server") {
		t.Fatalf("no server: %v (exit %d)", err, ExitCode(err))
	}
}
