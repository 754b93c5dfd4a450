package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

func evaluationsCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "evaluations",
		Aliases: []string{"evaluation", "evals"},
		Short:   "Create, list and delete evaluations; their summaries, diffs, leaderboards and exports",
	}
	cmd.AddCommand(evaluationsListCmd(env), evaluationsShowCmd(env), evaluationsCreateCmd(env), evaluationsDeleteCmd(env),
		evaluationsSummaryCmd(env), evaluationsDiffCmd(env), evaluationsLeaderboardCmd(env),
		evaluationsAgreementCmd(env), evaluationsExportCmd(env))
	return cmd
}

func evaluationsSummaryCmd(env Env) *cobra.Command {
	var format, groupBy string
	var exact bool
	cmd := &cobra.Command{
		Use: "summary NAME",
		Example: `  rlhf-eval evaluations summary chat-v2
  rlhf-eval evaluations summary chat-v2 --group-by model --format csv`,
		Short: "Per-scorer statistics of an evaluation (n, mean, sd, percentiles, pass rate, 95% CI)",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError("summary takes the evaluation's name or id")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			return dual(cmd, env, func(s *Server) error {
				var v view.Summary
				q := queryOf("group_by", groupBy, "exact", strconv.FormatBool(exact))
				if err := s.get(cmd.Context(), evalPath(args[0])+"/summary", q, &v); err != nil {
					return err
				}
				return printSummary(cmd.OutOrStdout(), v.Scorers, format)
			}, func(b *Backend) error {
				s, err := b.Summaries.Summary(cmd.Context(), args[0], app.SummaryInput{GroupBy: groupBy, Exact: exact})
				if err != nil {
					return err
				}
				return printSummary(cmd.OutOrStdout(), s.View().Scorers, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().StringVar(&groupBy, "group-by", "", "model: one row per scorer and model")
	cmd.Flags().BoolVar(&exact, "exact", false, "exact percentiles from every score (slower) instead of the rollups' histograms")
	return cmd
}

func evaluationsDiffCmd(env Env) *cobra.Command {
	var format, scorer string
	var alpha float64
	var rounds int
	var seed uint64
	var failOnRegression bool
	cmd := &cobra.Command{
		Use: "diff BASE CANDIDATE",
		Example: `  rlhf-eval evaluations diff chat-v1 chat-v2
  rlhf-eval evaluations diff chat-v1 chat-v2 --format json --fail-on-regression`,
		Short: "Compare two evaluations prompt by prompt, per scorer, with significance tests",
		Long: `Pair the two evaluations' responses by prompt_id (averaging per prompt where a prompt has
several) and report per scorer: pairs, both means, the mean difference with a 95% paired-bootstrap
interval, Wilcoxon signed-rank and paired t-test p-values (McNemar's exact test for 0/1 scores),
wins/ties/losses, pass-rate change, and whether it is a significant regression given the
scorer's better direction.

With --fail-on-regression the exit code is 1 when any scorer regressed significantly
(p < --alpha), so a training pipeline can gate on it.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError("diff takes two evaluations: BASE CANDIDATE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			in := app.DiffInput{Alpha: alpha, Rounds: &rounds, Seed: seed, Scorer: scorer}
			var v view.Diff
			err := dual(cmd, env, func(s *Server) error {
				q := queryOf("alpha", strconv.FormatFloat(alpha, 'g', -1, 64), "bootstrap", strconv.Itoa(rounds),
					"seed", strconv.FormatUint(seed, 10), "scorer", scorer)
				return s.get(cmd.Context(), evalPath(args[0])+"/diff/"+seg(args[1]), q, &v)
			}, func(b *Backend) error {
				rep, err := b.Diffs.Diff(cmd.Context(), args[0], args[1], in)
				v = rep.View()
				return err
			})
			if err != nil {
				return err
			}
			if err := printDiff(cmd.OutOrStdout(), v, format); err != nil {
				return err
			}
			if failOnRegression && len(v.Regressions) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "regression: %s (p < %g)\n", strings.Join(v.Regressions, ", "), v.Alpha)
				return silentExit(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().Float64Var(&alpha, "alpha", app.DefaultAlpha, "significance level")
	cmd.Flags().IntVar(&rounds, "bootstrap", app.DefaultBootstrapRounds, "paired-bootstrap rounds for the interval of the mean difference (0 skips it)")
	cmd.Flags().Uint64Var(&seed, "seed", 0, "bootstrap seed (same seed, same interval)")
	cmd.Flags().StringVar(&scorer, "scorer", "", "compare only this scorer")
	cmd.Flags().BoolVar(&failOnRegression, "fail-on-regression", false, "exit 1 when any scorer regresses significantly")
	return cmd
}

func printDiff(w io.Writer, v view.Diff, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if format != "csv" {
		fmt.Fprintf(w, "%s → %s (alpha %g, %d bootstrap rounds, seed %d)\n", v.Base.Name, v.Candidate.Name, v.Alpha, v.BootstrapRounds, v.Seed)
	}
	t := newTable(w, format, true)
	t.row("SCORER", "BETTER", "PAIRS", "BASE", "CANDIDATE", "DIFF", "95% CI", "W/T/L", "PASS Δ", "TEST", "P", "VERDICT")
	for _, s := range v.Scorers {
		ci, wtl, passd, test := "-", "-", "-", "-"
		if s.MeanDiffCILow != nil {
			ci = fmt.Sprintf("[%s, %s]", num(s.MeanDiffCILow), num(s.MeanDiffCIHigh))
		}
		if s.Wins != nil {
			wtl = fmt.Sprintf("%d/%d/%d", *s.Wins, *s.Ties, *s.Losses)
		}
		if s.PassRateChange != nil {
			passd = strconv.FormatFloat(100**s.PassRateChange, 'f', 1, 64) + "pp"
		}
		if s.Test != nil {
			test = *s.Test
		}
		verdict := "-"
		switch {
		case s.Regression:
			verdict = "REGRESSION"
		case s.Improvement:
			verdict = "improved"
		case s.Significant:
			verdict = "changed"
		case s.NPairs > 0:
			verdict = "no sig. change"
		}
		t.row(s.Scorer, s.Better, strconv.Itoa(s.NPairs), num(s.BaseMean), num(s.CandidateMean), num(s.MeanDiff), ci, wtl, passd, test, num(s.P), verdict)
	}
	return t.flush()
}

func evaluationsLeaderboardCmd(env Env) *cobra.Command {
	var format, kind string
	var in app.LeaderboardInput
	rounds := app.DefaultLeaderboardRounds
	cmd := &cobra.Command{
		Use: "leaderboard NAME",
		Example: `  rlhf-eval evaluations leaderboard arena --method bt --bootstrap 200 --seed 1
  rlhf-eval evaluations leaderboard alpaca --method winrate --baseline gpt4_1106_preview`,
		Short: "Rank an evaluation's models from its comparisons",
		Args:  exactArgs(1, "leaderboard takes the evaluation's name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			in.Rounds, in.AnnotatorKind = &rounds, kind
			return dual(cmd, env, func(s *Server) error {
				q := queryOf("method", in.Method, "baseline", in.Baseline, "bootstrap", strconv.Itoa(rounds),
					"seed", strconv.FormatUint(in.Seed, 10), "annotator_kind", kind, "anchor", in.Anchor)
				if in.K != 0 {
					q.Set("k", strconv.FormatFloat(in.K, 'g', -1, 64))
				}
				var v view.Leaderboard
				if err := s.get(cmd.Context(), evalPath(args[0])+"/leaderboard", q, &v); err != nil {
					return err
				}
				return printLeaderboard(cmd.OutOrStdout(), v, format)
			}, func(b *Backend) error {
				v, err := b.Preferences.Leaderboard(cmd.Context(), args[0], in)
				if err != nil {
					return err
				}
				return printLeaderboard(cmd.OutOrStdout(), v, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	cmd.Flags().StringVar(&kind, "annotator-kind", "", "only comparisons by human, model or heuristic annotators")
	leaderboardFlags(cmd, &in, &rounds)
	return cmd
}

func evaluationsExportCmd(env Env) *cobra.Command {
	var in app.ExportInput
	var output string
	cmd := &cobra.Command{
		Use: "export NAME --format dpo|kto|jsonl|csv",
		Example: `  rlhf-eval evaluations export hh --format dpo -o hh-dpo.jsonl
  rlhf-eval evaluations export arena --format kto --conversational --min-margin 0.2`,
		Short: "Export preference pairs for DPO / reward-model training",
		Long: `Write an evaluation's comparisons as training data. Judgements of the same pair of
responses (by several annotators) are merged by mean preference. dpo writes TRL's preference
format {"prompt", "chosen", "rejected"} for every non-tie pair; kto writes TRL's unpaired format
{"prompt", "completion", "label"}; --conversational writes lists of {role, content} messages
carrying the context. jsonl and csv write every merged pair with its texts and statistics.`,
		Args: exactArgs(1, "export takes the evaluation's name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			open := func() (io.Writer, func() error, error) {
				if output == "" || output == "-" {
					return cmd.OutOrStdout(), func() error { return nil }, nil
				}
				f, err := os.Create(output)
				if err != nil {
					return nil, nil, err
				}
				return f, f.Close, nil
			}
			return dual(cmd, env, func(s *Server) error {
				q := queryOf("format", in.Format, "conversational", strconv.FormatBool(in.Conversational),
					"min_margin", strconv.FormatFloat(in.MinMargin, 'g', -1, 64), "annotator_kind", in.AnnotatorKind,
					"agreed_only", strconv.FormatBool(in.AgreedOnly))
				res, err := s.send(cmd.Context(), request{method: http.MethodGet, path: evalPath(args[0]) + "/export", query: q})
				if err != nil {
					return err
				}
				defer res.Body.Close()
				w, closeOut, err := open()
				if err != nil {
					return err
				}
				n, err := io.Copy(w, res.Body)
				if err != nil {
					// The server aborts an export it cannot finish: never mistake
					// what arrived for the whole.
					closeOut()
					return fmt.Errorf("the export was cut short after %d bytes (the output is incomplete): %w", n, err)
				}
				return closeOut()
			}, func(b *Backend) error {
				x, err := b.Preferences.PrepareExport(cmd.Context(), args[0], in)
				if err != nil {
					return err
				}
				w, closeOut, err := open()
				if err != nil {
					return err
				}
				defer closeOut()
				st, err := x.WriteTo(cmd.Context(), w)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%d pairs, %d written; skipped %d ties, %d below the margin, %d where annotators disagree\n",
					st.Pairs, st.Written, st.Ties, st.BelowMargin, st.Disagreed)
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&in.Format, "format", "dpo", "dpo, kto, jsonl or csv")
	cmd.Flags().BoolVar(&in.Conversational, "conversational", false, "TRL's conversational form (dpo, kto)")
	cmd.Flags().StringVar(&in.History, "history", "full", "full: dpo and kto prompts carry the whole conversation; last: only the last user turn")
	cmd.Flags().Float64Var(&in.MinMargin, "min-margin", 0, "keep pairs whose merged preference is at least this far from 0.5")
	cmd.Flags().StringVar(&in.AnnotatorKind, "annotator-kind", "", "only judgements by human, model or heuristic annotators")
	cmd.Flags().BoolVar(&in.AgreedOnly, "agreed-only", false, "keep pairs where no judgement disagrees with the merged preference")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write to this file instead of stdout")
	return cmd
}

func evaluationsAgreementCmd(env Env) *cobra.Command {
	var kind string
	var scorers bool
	cmd := &cobra.Command{
		Use: "agreement NAME",
		Example: `  rlhf-eval evaluations agreement arena
  rlhf-eval evaluations agreement arena --scorers --annotator-kind human`,
		Short: "Annotator agreement (or, with --scorers, scorer-human agreement) of an evaluation",
		Args:  exactArgs(1, "agreement takes the evaluation's name or id"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return dual(cmd, env, func(s *Server) error {
				path := evalPath(args[0]) + "/agreement"
				if scorers {
					path = evalPath(args[0]) + "/scorer-agreement"
				}
				var raw json.RawMessage
				if err := s.get(cmd.Context(), path, queryOf("annotator_kind", kind), &raw); err != nil {
					return err
				}
				return printJSON(cmd.OutOrStdout(), raw)
			}, func(b *Backend) error {
				var v any
				var err error
				if scorers {
					v, err = b.Preferences.ScorerAgreement(cmd.Context(), args[0], kind)
				} else {
					v, err = b.Preferences.Agreement(cmd.Context(), args[0], kind)
				}
				if err != nil {
					return err
				}
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(v)
			})
		},
	}
	cmd.Flags().StringVar(&kind, "annotator-kind", "", "only judgements by human, model or heuristic annotators")
	cmd.Flags().BoolVar(&scorers, "scorers", false, "measure each scorer against the preferences instead")
	return cmd
}

func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return usageError("%s", msg)
		}
		return nil
	}
}
