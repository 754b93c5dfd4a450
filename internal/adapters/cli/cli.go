// Package cli is the command-line adapter: cobra commands that parse flags, call the
// same use cases as the HTTP API, and print results. It stays thin; the
// composition root in cmd/rlhf-eval supplies the backends.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Backend is the set of use cases bound to a database connection.
type Backend struct {
	app.Services
	Close func()
}

// Env is what the commands get from the composition root.
type Env struct {
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer
	Registry *scoring.Registry
	// Serve runs the API until ctx ends.
	Serve func(ctx context.Context) error
	// Migrate runs "migrate up|down|status", printing to w.
	Migrate func(ctx context.Context, direction string, w io.Writer) error
	// Open connects to the database and returns the use cases.
	Open func(ctx context.Context) (*Backend, error)
	// ServerURL and APIKey (RLHF_URL, RLHF_API_KEY) put the data commands in server
	// mode: they go through that server's REST API instead of the database.
	ServerURL, APIKey string
	// LoginFile is where `rlhf-eval login` keeps a server and key ("" for none).
	LoginFile string
	// JudgeCaller returns the client of a judge's endpoint, for judging offline.
	JudgeCaller func(cfg judging.Config) (judging.Caller, error)
	// Work runs background jobs until ctx ends.
	Work func(ctx context.Context) error
	// Datasets reads the files of the import commands.
	Datasets Datasets
}

// exitError carries an exit code other than 1 (usage errors are 2).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// ExitCode returns the exit code err asks for: 2 for usage errors, the code of a
// command that failed after printing its own report, 1 otherwise. An error with an
// empty message has been reported already and needs no further printing.
func ExitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// silentExit is an exit code for a command that has printed what went wrong.
func silentExit(code int) error { return &exitError{code: code, err: errors.New("")} }

func usageError(format string, args ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, args...)}
}

// NewRoot returns the rlhf-eval command tree.
func NewRoot(env Env) *cobra.Command {
	root := &cobra.Command{
		Use:   "rlhf-eval",
		Short: "Evaluate LLM responses and preferences for RLHF",
		Long: `rlhf-eval scores model responses with reference-exact metrics and detectors, turns
pairwise preferences into leaderboards, and exports preference pairs for training.

Configuration comes from RLHF_* environment variables and a .env file.

Commands that read or write data talk to a server's REST API when one is configured
(--server URL, or RLHF_URL, with RLHF_API_KEY; or once with "rlhf-eval login"), which
is all a user with only an API key needs. Without a server they open the database at
RLHF_DATABASE_URL directly, as serve, migrate and keys create always do.`,
		Example: `  rlhf-eval serve
  RLHF_URL=http://localhost:8080 RLHF_API_KEY=rlhf_... rlhf-eval evaluations list
  rlhf-eval evaluations diff chat-v1 chat-v2 --fail-on-regression`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError("%v (see %s --help)", err, c.CommandPath())
	})
	root.AddCommand(
		serveCmd(env),
		migrateCmd(env),
		keysCmd(env),
		scoreCmd(env),
		scorersCmd(env),
		evaluationsCmd(env),
		leaderboardCmd(env),
		agreementCmd(env),
		importCmd(env),
		responsesCmd(env),
		comparisonsCmd(env),
		loginCmd(env),
		logoutCmd(env),
		versionCmd(),
		jobsCmd(env), workerCmd(env),
		judgesCmd(env), judgeCmd(env),
		healthcheckCmd(),
	)
	root.PersistentFlags().String("server", "", "the rlhf-eval server to talk to (default $RLHF_URL, else the login file's)")
	strictGroups(root)
	return root
}

// strictGroups makes every command that only groups others refuse what is not one
// of them: a mistyped subcommand is a usage error (exit 2), never help and exit 0,
// so a typo in a CI script fails. A group given nothing prints its help.
func strictGroups(c *cobra.Command) {
	for _, sub := range c.Commands() {
		strictGroups(sub)
	}
	if !c.HasSubCommands() || c.Runnable() {
		return
	}
	c.SuggestionsMinimumDistance = 2
	c.Args = func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return nil
		}
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "; did you mean " + strings.Join(s, " or ") + "?"
		}
		return usageError("%s (see %s --help)", msg, cmd.CommandPath())
	}
	c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
}

func serveCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use: "serve",
		Example: `  rlhf-eval serve
  RLHF_API_PORT=9090 RLHF_WORKERS=0 rlhf-eval serve`,
		Short: "Serve the REST API (creates and migrates the database as configured)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return env.Serve(cmd.Context())
		},
	}
}

func migrateCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use: "migrate up|down|status",
		Example: `  rlhf-eval migrate status
  rlhf-eval migrate up`,
		Short: "Apply, roll back or list database migrations",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 || (args[0] != "up" && args[0] != "down" && args[0] != "status") {
				return usageError("migrate takes one of up, down, status")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return env.Migrate(cmd.Context(), args[0], cmd.OutOrStdout())
		},
	}
	return cmd
}

// withBackend opens the database for the duration of fn.
func withBackend(cmd *cobra.Command, env Env, fn func(b *Backend) error) error {
	b, err := env.Open(cmd.Context())
	if err != nil {
		return err
	}
	defer b.Close()
	return fn(b)
}
