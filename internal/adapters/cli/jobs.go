package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func workerCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run background jobs only, without the API (RLHF_WORKERS of them at once)",
		Long: `Run background jobs (judge runs, rescores, purges of deleted evaluations) and the
periodic housekeeping, without serving the API, until SIGTERM or SIGINT. Then running jobs
get RLHF_SHUTDOWN_TIMEOUT to finish; any still running are handed back to the queue and
resumed by another worker from where they stopped.

Any number of worker and serve processes can share one database: each job is taken by one
of them at a time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return env.Work(cmd.Context())
		},
	}
}

func jobsCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "jobs",
		Aliases: []string{"job"},
		Short:   "List, show and cancel background jobs",
	}
	cmd.AddCommand(jobsListCmd(env), jobsShowCmd(env), jobsCancelCmd(env))
	return cmd
}

func jobsListCmd(env Env) *cobra.Command {
	var format, evaluation, kind, status string
	var limit int
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List jobs, newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			if limit < 0 {
				return usageError("--limit must be 0 (all) or more; got %d", limit)
			}
			return withBackend(cmd, env, func(b *Backend) error {
				var all []domain.Job
				cursor, more := "", false
				for {
					size := domain.MaxPageSize
					if limit > 0 {
						size = min(size, limit-len(all))
					}
					page, err := b.Jobs.List(cmd.Context(), app.ListJobsInput{
						Evaluation: evaluation, Kind: kind, Status: status, Cursor: cursor, Limit: size,
					})
					if err != nil {
						return err
					}
					all = append(all, page.Items...)
					if page.Next == "" {
						break
					}
					if limit > 0 && len(all) >= limit {
						more = true
						break
					}
					cursor = page.Next
				}
				if err := printJobs(cmd.OutOrStdout(), all, format); err != nil {
					return err
				}
				if more {
					fmt.Fprintf(cmd.ErrOrStderr(), "showing the newest %d jobs; there are more (--limit 0 lists all)\n", len(all))
				}
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&evaluation, "evaluation", "", "only jobs of this evaluation (id, or name of a live one)")
	cmd.Flags().StringVar(&kind, "kind", "", "only jobs of this kind (rescore, purge_evaluation, judge_run, ...)")
	cmd.Flags().StringVar(&status, "status", "", "only jobs in this status (queued, running, succeeded, failed, cancelled)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many jobs (0: all)")
	return cmd
}

func jobsShowCmd(env Env) *cobra.Command {
	return jobCmd(env, "show ID", "Show one job with its progress and outcome",
		func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error) {
			return b.Jobs.Get(cmd.Context(), id)
		})
}

func jobsCancelCmd(env Env) *cobra.Command {
	return jobCmd(env, "cancel ID", "Cancel a job (a running one stops within seconds, keeping its recorded work)",
		func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error) {
			return b.Jobs.Cancel(cmd.Context(), id)
		})
}

// jobCmd is a command on one job that prints it.
func jobCmd(env Env, use, short string, do func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error)) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("%s takes one job id", use)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			return withBackend(cmd, env, func(b *Backend) error {
				j, err := do(b, cmd, args[0])
				if err != nil {
					return err
				}
				return printJob(cmd.OutOrStdout(), j, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	return cmd
}

func printJobs(w io.Writer, jobs []domain.Job, format string) error {
	if format == "json" {
		out := make([]app.JobView, len(jobs))
		for i, j := range jobs {
			out[i] = app.ViewJob(j)
		}
		return encodeIndented(w, out)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tDONE/TOTAL\tFAILED\tEVALUATION\tCREATED\tFINISHED")
	for _, j := range jobs {
		ev := "-"
		if j.EvaluationID != nil {
			ev = j.EvaluationID.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%d\t%s\t%s\t%s\n", j.ID, j.Kind, j.Status, j.Done, j.Total, j.Failed, ev,
			j.CreatedAt.Format(time.RFC3339), fmtTime(j.FinishedAt))
	}
	return tw.Flush()
}

func printJob(w io.Writer, j domain.Job, format string) error {
	v := app.ViewJob(j)
	if format == "json" {
		return encodeIndented(w, v)
	}
	ev := "-"
	if v.Evaluation != nil {
		ev = *v.Evaluation
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	rows := [][2]string{
		{"id", v.ID}, {"kind", v.Kind}, {"evaluation", ev}, {"status", v.Status},
		{"progress", fmt.Sprintf("%d/%d done, %d failed, %d cached", v.Done, v.Total, v.Failed, v.Cached)},
		{"tokens", strconv.FormatInt(v.Tokens, 10)}, {"cost", strconv.FormatFloat(v.Cost, 'f', -1, 64)},
		{"created", v.CreatedAt.Format(time.RFC3339)}, {"started", fmtTime(v.StartedAt)}, {"finished", fmtTime(v.FinishedAt)},
	}
	if v.Error != "" {
		rows = append(rows, [2]string{"error", v.Error})
	}
	if v.Report != nil {
		b, err := json.Marshal(v.Report)
		if err != nil {
			return fmt.Errorf("encode the report: %w", err)
		}
		rows = append(rows, [2]string{"report", string(b)})
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
