package cli

import (
	"github.com/spf13/cobra"
)

func evaluationsCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "evaluations",
		Aliases: []string{"evaluation", "evals"},
		Short:   "Summaries and regression diffs of stored evaluations",
	}
	cmd.AddCommand(evaluationsSummaryCmd(env))
	return cmd
}

func evaluationsSummaryCmd(env Env) *cobra.Command {
	var format, groupBy string
	cmd := &cobra.Command{
		Use:   "summary NAME",
		Short: "Per-scorer statistics of an evaluation (n, mean, sd, percentiles, pass rate, 95% CI)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("summary takes the evaluation's name or id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json"); err != nil {
				return err
			}
			return withBackend(cmd, env, func(b *Backend) error {
				s, err := b.Summaries.Summary(cmd.Context(), args[0], groupBy)
				if err != nil {
					return err
				}
				return printSummary(cmd.OutOrStdout(), s.Scorers, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table or json")
	cmd.Flags().StringVar(&groupBy, "group-by", "", "model: one row per scorer and model")
	return cmd
}
