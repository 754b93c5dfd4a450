package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

func judgesCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "judges",
		Short: "Create and list judge configurations",
	}
	cmd.AddCommand(judgesCreateCmd(env), judgesListCmd(env))
	return cmd
}

type judgeJSON struct {
	Name       string          `json:"name"`
	Version    int             `json:"version"`
	Kind       string          `json:"kind"`
	Config     json.RawMessage `json:"config"`
	ConfigHash string          `json:"config_hash"`
	CreatedAt  time.Time       `json:"created_at"`
}

func toJudgeJSON(j domain.Judge) judgeJSON {
	return judgeJSON{Name: j.Name, Version: j.Version, Kind: j.Kind, Config: json.RawMessage(j.Config), ConfigHash: j.ConfigHash, CreatedAt: j.CreatedAt}
}

func judgeServices(b *Backend) (*app.Judges, *app.JudgeRuns, error) {
	if b.Judges == nil || b.JudgeRuns == nil {
		return nil, nil, errors.New("this database backend has no judge stores")
	}
	return b.Judges, b.JudgeRuns, nil
}

func judgesCreateCmd(env Env) *cobra.Command {
	var file, format string
	cmd := &cobra.Command{
		Use:   "create --file judge.json",
		Short: "Store a judge configuration (a new version when the name exists with another configuration)",
		Long: `Store a judge configuration read from a JSON file ("-" reads standard input). Posting a
name with a configuration it does not have yet stores the next version and keeps the
earlier ones; an identical configuration returns the version that has it.`,
		Example: `  rlhf-eval judges create --file judge.json
  cat judge.json | rlhf-eval judges create --file - --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			if file == "" {
				return usageError("--file is required (a judge configuration in JSON, or - for standard input)")
			}
			var data []byte
			var err error
			if file == "-" {
				data, err = io.ReadAll(cmd.InOrStdin())
			} else {
				data, err = os.ReadFile(file)
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", file, err)
			}
			var j judgeJSON
			var created bool
			err = dual(cmd, env, func(s *Server) error {
				res, err := s.send(cmd.Context(), request{method: http.MethodPost, path: "/v1/judges", body: data,
					contentType: "application/json", header: map[string]string{"Idempotency-Key": newIdempotencyKey()}})
				if err != nil {
					return err
				}
				defer res.Body.Close()
				created = res.StatusCode == http.StatusCreated
				return json.NewDecoder(res.Body).Decode(&j)
			}, func(b *Backend) error {
				judges, _, err := judgeServices(b)
				if err != nil {
					return err
				}
				dj, c, err := judges.Create(cmd.Context(), data)
				j, created = toJudgeJSON(dj), c
				return err
			})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				return encodeIndented(w, j)
			}
			what := "stored as a new version"
			if !created {
				what = "unchanged: this configuration is stored already"
			}
			fmt.Fprintf(w, "judge %s version %d (%s): %s\n", j.Name, j.Version, j.Kind, what)
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "the judge configuration (JSON); - reads standard input")
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

func judgesListCmd(env Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List judges, each at its latest version",
		Example: `  rlhf-eval judges list
  rlhf-eval judges list --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			var all []judgeJSON
			err := dual(cmd, env, func(s *Server) error {
				var err error
				all, err = allPages[judgeJSON](cmd.Context(), s, "/v1/judges", nil, 0)
				return err
			}, func(b *Backend) error {
				judges, _, err := judgeServices(b)
				if err != nil {
					return err
				}
				cursor := ""
				for {
					page, err := judges.List(cmd.Context(), cursor, domain.MaxPageSize)
					if err != nil {
						return err
					}
					for _, j := range page.Items {
						all = append(all, toJudgeJSON(j))
					}
					if page.Next == "" {
						return nil
					}
					cursor = page.Next
				}
			})
			if err != nil {
				return err
			}
			if format == "json" {
				return printJSON(cmd.OutOrStdout(), all)
			}
			return printRows(cmd.OutOrStdout(), format, all, []string{"NAME", "VERSION", "KIND", "CREATED"}, func(j judgeJSON) []string {
				return []string{j.Name, strconv.Itoa(j.Version), j.Kind, j.CreatedAt.Format(time.RFC3339)}
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	return cmd
}

func judgeRunCmd(env Env) *cobra.Command {
	var evaluation, judge, baseline string
	var models []string
	var version int
	var noCache, wait bool
	var poll time.Duration
	cmd := &cobra.Command{
		Use:   "run --evaluation E --judge NAME [--baseline M] [--models a,b] [--wait]",
		Short: "Start a judge run (a background job) over an evaluation",
		Long: `Start a judge run: a background job that a serving or worker process runs. A pairwise
judge compares each selected model's response with the baseline's response to the same
prompt and stores each verdict as a comparison; a pointwise or reward judge stores a
score under its name on each response of the selected models.

Without --wait the queued job is printed as JSON. With --wait a progress line goes to
standard error (done/total, rate, ETA, cost) until the job ends; the finished job is
printed as JSON, and the exit code is 1 when it failed or was cancelled.`,
		Example: `  rlhf-eval judge run --evaluation arena --judge gpt4o-pairwise --baseline chat-v1 --wait
  rlhf-eval judge run -e chat-v2 --judge refusal-judge --models chat-v2 --no-cache`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case evaluation == "":
				return usageError("--evaluation is required")
			case judge == "":
				return usageError("--judge is required")
			case version < 0:
				return usageError("--version must be positive")
			case poll <= 0:
				return usageError("--poll must be positive")
			}
			in := app.JudgeRunInput{Judge: judge, JudgeVersion: version, Baseline: baseline}
			if cmd.Flags().Changed("models") {
				in.Models = models
			}
			if noCache {
				off := false
				in.Cache = &off
			}
			var job view.Job
			var get func() (view.Job, error)
			err := dual(cmd, env, func(s *Server) error {
				body := map[string]any{"judge": judge, "baseline": baseline}
				if version > 0 {
					body["judge"] = map[string]any{"name": judge, "version": version}
				}
				if in.Models != nil {
					body["models"] = in.Models
				}
				if in.Cache != nil {
					body["cache"] = *in.Cache
				}
				get = func() (view.Job, error) {
					var v view.Job
					err := s.get(cmd.Context(), "/v1/jobs/"+seg(job.ID), nil, &v)
					return v, err
				}
				return s.postJSON(cmd.Context(), evalPath(evaluation)+"/judge-runs", body, &job)
			}, func(b *Backend) error {
				_, runs, err := judgeServices(b)
				if err != nil {
					return err
				}
				j, err := runs.Start(cmd.Context(), evaluation, in)
				job = view.JobOf(j)
				get = func() (view.Job, error) {
					j, err := b.Jobs.Get(cmd.Context(), job.ID)
					return view.JobOf(j), err
				}
				if err == nil && wait {
					job, err = waitForJob(cmd, get, job, poll)
				}
				return err
			})
			if err != nil {
				return err
			}
			if wait && !domain.JobStatus(job.Status).Final() {
				// Server mode waits here, outside the database backend.
				if job, err = waitForJob(cmd, get, job, poll); err != nil {
					return err
				}
			}
			if err := encodeIndented(cmd.OutOrStdout(), job); err != nil {
				return err
			}
			if wait && job.Status != string(domain.JobSucceeded) {
				fmt.Fprintf(cmd.ErrOrStderr(), "rlhf-eval: judge run %s %s: %s\n", job.ID, job.Status, job.Error)
				return silentExit(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&evaluation, "evaluation", "", "the evaluation's name or id")
	cmd.Flags().StringVar(&judge, "judge", "", "the judge's name")
	cmd.Flags().IntVar(&version, "version", 0, "the judge version (default: the latest)")
	cmd.Flags().StringVar(&baseline, "baseline", "", "pairwise judges: the model every other model is compared with")
	cmd.Flags().StringSliceVar(&models, "models", nil, "the models to judge (comma-separated; default every model but the baseline)")
	cmd.Flags().BoolVar(&noCache, "no-cache", false, "make every call afresh instead of reusing stored answers")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the job to end, showing its progress on standard error")
	cmd.Flags().DurationVar(&poll, "poll", time.Second, "with --wait, how often to read the job's progress")
	return cmd
}

// waitForJob polls the job until it ends, writing a progress line to stderr at
// every change: done/total, failures, the rate since waiting began, the ETA at
// that rate, and the cost so far. On a terminal the line is redrawn in place.
func waitForJob(cmd *cobra.Command, get func() (view.Job, error), job view.Job, poll time.Duration) (view.Job, error) {
	w := cmd.ErrOrStderr()
	redraw := isTerminal(w)
	start, startDone := time.Now(), job.Done
	last := ""
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		line := progressLine(job, time.Since(start), startDone)
		if line != last {
			if redraw {
				fmt.Fprintf(w, "\r\x1b[K%s", line)
			} else {
				fmt.Fprintln(w, line)
			}
			last = line
		}
		if domain.JobStatus(job.Status).Final() {
			if redraw {
				fmt.Fprintln(w)
			}
			return job, nil
		}
		select {
		case <-cmd.Context().Done():
			if redraw {
				fmt.Fprintln(w)
			}
			return job, fmt.Errorf("stopped waiting for job %s (it goes on; cancel it with rlhf-eval jobs cancel %s): %w", job.ID, job.ID, cmd.Context().Err())
		case <-t.C:
		}
		var err error
		if job, err = get(); err != nil {
			return job, err
		}
	}
}

func progressLine(job view.Job, elapsed time.Duration, startDone int64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "judge run %s: %s %d/%d", job.ID, job.Status, job.Done, job.Total)
	if job.Failed > 0 {
		fmt.Fprintf(&b, " (%d failed)", job.Failed)
	}
	if job.Cached > 0 {
		fmt.Fprintf(&b, " (%d cached)", job.Cached)
	}
	final := domain.JobStatus(job.Status).Final()
	if n := job.Done - startDone; n > 0 && elapsed > 0 {
		rate := float64(n) / elapsed.Seconds()
		fmt.Fprintf(&b, ", %.1f/s", rate)
		if left := job.Total - job.Done; left > 0 && !final {
			fmt.Fprintf(&b, ", ETA %s", time.Duration(float64(left)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	fmt.Fprintf(&b, ", cost $%.4f", job.Cost)
	if job.Status == string(domain.JobQueued) {
		b.WriteString(" (waiting for a worker: rlhf-eval serve or rlhf-eval worker)")
	}
	return b.String()
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
