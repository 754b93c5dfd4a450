package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
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
		Example: `  rlhf-eval worker
  RLHF_WORKERS=8 rlhf-eval worker`,
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
		Example: `  rlhf-eval jobs list
  rlhf-eval jobs list --evaluation chat-v2 --kind judge_run --status running --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			if limit < 0 {
				return usageError("--limit must be 0 (all) or more; got %d", limit)
			}
			var all []view.Job
			more := false
			err := dual(cmd, env, func(s *Server) error {
				var err error
				all, err = allPages[view.Job](cmd.Context(), s, "/v1/jobs",
					map[string]string{"evaluation": evaluation, "kind": kind, "status": status, "limit": pageSize(limit)}, limit)
				return err
			}, func(b *Backend) error {
				cursor := ""
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
					for _, j := range page.Items {
						all = append(all, view.JobOf(j))
					}
					if page.Next == "" {
						return nil
					}
					if limit > 0 && len(all) >= limit {
						more = true
						return nil
					}
					cursor = page.Next
				}
			})
			if err != nil {
				return err
			}
			if err := printJobs(cmd.OutOrStdout(), all, format); err != nil {
				return err
			}
			if more {
				fmt.Fprintf(cmd.ErrOrStderr(), "showing the newest %d jobs; there are more (--limit 0 lists all)\n", len(all))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().StringVar(&evaluation, "evaluation", "", "only jobs of this evaluation (id, or name of a live one)")
	cmd.Flags().StringVar(&kind, "kind", "", "only jobs of this kind (rescore, purge_evaluation, judge_run, ...)")
	cmd.Flags().StringVar(&status, "status", "", "only jobs in this status (queued, running, succeeded, failed, cancelled)")
	cmd.Flags().IntVar(&limit, "limit", 50, "at most this many jobs (0: all)")
	return cmd
}

func jobsShowCmd(env Env) *cobra.Command {
	return jobCmd(env, "show ID", "Show one job with its progress and outcome", "  rlhf-eval jobs show 0193a0c4-5b6e-7c2d-9e1f-2a3b4c5d6e7f",
		func(s *Server, cmd *cobra.Command, id string, v *view.Job) error {
			return s.get(cmd.Context(), "/v1/jobs/"+seg(id), nil, v)
		},
		func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error) {
			return b.Jobs.Get(cmd.Context(), id)
		})
}

func jobsCancelCmd(env Env) *cobra.Command {
	return jobCmd(env, "cancel ID", "Cancel a job (a running one stops within seconds, keeping its recorded work)",
		"  rlhf-eval jobs cancel 0193a0c4-5b6e-7c2d-9e1f-2a3b4c5d6e7f",
		func(s *Server, cmd *cobra.Command, id string, v *view.Job) error {
			return s.postJSON(cmd.Context(), "/v1/jobs/"+seg(id)+"/cancel", map[string]any{}, v)
		},
		func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error) {
			return b.Jobs.Cancel(cmd.Context(), id)
		})
}

// jobCmd is a command on one job that prints it, through the server or the database.
func jobCmd(env Env, use, short, example string, remote func(s *Server, cmd *cobra.Command, id string, v *view.Job) error,
	local func(b *Backend, cmd *cobra.Command, id string) (domain.Job, error)) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: example,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("%s takes one job id", use)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			var v view.Job
			err := dual(cmd, env, func(s *Server) error {
				return remote(s, cmd, args[0], &v)
			}, func(b *Backend) error {
				j, err := local(b, cmd, args[0])
				v = view.JobOf(j)
				return err
			})
			if err != nil {
				return err
			}
			return printJob(cmd.OutOrStdout(), v, format)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	return cmd
}

func printJobs(w io.Writer, jobs []view.Job, format string) error {
	if format == "json" {
		if jobs == nil {
			jobs = []view.Job{}
		}
		return encodeIndented(w, jobs)
	}
	t := newTable(w, format, false)
	t.row("ID", "KIND", "STATUS", "DONE/TOTAL", "FAILED", "EVALUATION", "CREATED", "FINISHED")
	for _, j := range jobs {
		ev := "-"
		if j.Evaluation != nil {
			ev = *j.Evaluation
		}
		t.row(j.ID, j.Kind, j.Status, fmt.Sprintf("%d/%d", j.Done, j.Total), strconv.FormatInt(j.Failed, 10), ev,
			j.CreatedAt.Format(time.RFC3339), fmtTime(j.FinishedAt))
	}
	return t.flush()
}

func printJob(w io.Writer, v view.Job, format string) error {
	if format == "json" {
		return encodeIndented(w, v)
	}
	ev := "-"
	if v.Evaluation != nil {
		ev = *v.Evaluation
	}
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
	t := newTable(w, format, false)
	if format == "csv" {
		t.row("FIELD", "VALUE")
	}
	for _, r := range rows {
		t.row(r[0], r[1])
	}
	return t.flush()
}

func encodeIndented(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
