// Command rlhf-eval is the rlhf-eval service and its command-line tools: serve the
// REST API, migrate the database, manage API keys, score files offline.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/cli"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/dataset"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, testable end to end: it returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := loadConfig()
	if err != nil {
		fmt.Fprintf(stderr, "rlhf-eval: %v\n", err)
		return 2
	}
	level, _ := cfg.logLevel()
	log := newLogger(stderr, level)
	reg, err := builtin.Registry()
	if err != nil {
		fmt.Fprintf(stderr, "rlhf-eval: scorer registry: %v\n", err)
		return 1
	}
	root := newRoot(cfg, log, reg)
	cmd := cli.NewRoot(cli.Env{
		Stdin: stdin, Stdout: stdout, Stderr: stderr, Registry: reg,
		Serve:   root.serve,
		Migrate: root.migrate,
		Open:    root.open,

		ServerURL: cfg.ServerURL, APIKey: cfg.APIKey, LoginFile: loginFile(),
		JudgeCaller: func(jc judging.Config) (judging.Caller, error) {
			return openai.NewCallers(os.Getenv, nil).For(jc.Name, jc)
		},
		Work:     root.work,
		Datasets: dataset.Readers{},
	})
	cmd.SetArgs(args)
	if err := cmd.ExecuteContext(ctx); err != nil {
		if msg := err.Error(); msg != "" {
			fmt.Fprintf(stderr, "rlhf-eval: %s\n", msg)
		}
		return cli.ExitCode(err)
	}
	return 0
}

// newLogger logs JSON when stderr is not a terminal (a service under a supervisor)
// and text when a person is watching.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return slog.New(slog.NewTextHandler(w, opts))
		}
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}
