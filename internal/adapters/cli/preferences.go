package cli

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/agreement"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// openMaybeGzip opens a file, or stdin for "-", decompressing .gz files.
func openMaybeGzip(name string, stdin io.Reader) (io.Reader, func(), error) {
	if name == "-" {
		return stdin, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasSuffix(name, ".gz") {
		return f, func() { f.Close() }, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return zr, func() { zr.Close(); f.Close() }, nil
}

func leaderboardFlags(cmd *cobra.Command, in *app.LeaderboardInput, rounds *int) {
	cmd.Flags().StringVar(&in.Method, "method", "bt", "bt (Bradley–Terry), elo (online Elo) or winrate (against --baseline)")
	cmd.Flags().StringVar(&in.Baseline, "baseline", "", "baseline model for --method winrate")
	cmd.Flags().IntVar(rounds, "bootstrap", app.DefaultLeaderboardRounds, "bootstrap rounds for Bradley–Terry intervals (0: none)")
	cmd.Flags().Uint64Var(&in.Seed, "seed", 0, "bootstrap seed")
	cmd.Flags().StringVar(&in.Anchor, "anchor", "", "pin a model's rating, model=rating (default: ratings average 1000)")
	cmd.Flags().Float64Var(&in.K, "k", 0, "online Elo step (default 4)")
}

// leaderboardCmd is the offline leaderboard over a file of comparisons.
func leaderboardCmd(env Env) *cobra.Command {
	var input, from, format string
	var in app.LeaderboardInput
	rounds := app.DefaultLeaderboardRounds
	cmd := &cobra.Command{
		Use: "leaderboard --input FILE [--from jsonl|alpaca-eval] --method bt|elo|winrate",
		Example: `  rlhf-eval leaderboard --input battles.jsonl --method bt --bootstrap 100 --format json
  rlhf-eval leaderboard --input claude-2.1.annotations.json.gz --from alpaca-eval --method winrate --baseline gpt4_1106_preview`,
		Short: "Rank models from a file of pairwise comparisons (no database needed)",
		Long: `Rank models from pairwise comparisons in a file.

--from jsonl (the default): one comparison per line, either
  {"model_a": "x", "model_b": "y", "winner": "model_a"|"model_b"|"tie"} or
  {"model_a": "x", "model_b": "y", "preference": p}  (p = probability that model_b is better).
--from alpaca-eval: an AlpacaEval annotations file (a JSON list, optionally .gz) with
  generator_1, generator_2 and preference in [1,2] (p = preference - 1; nulls are skipped).

Lines are read in order, which is the time order online Elo uses.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "json", "table", "csv"); err != nil {
				return err
			}
			if input == "" {
				return usageError("--input is required")
			}
			in.Rounds = &rounds
			opts, err := app.PrepareLeaderboard(&in)
			if err != nil {
				return usageError("%v", err)
			}
			r, closeIn, err := openMaybeGzip(input, cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer closeIn()
			var battles []ranking.Battle
			switch from {
			case "jsonl":
				battles, err = readBattlesJSONL(r)
			case "alpaca-eval":
				if env.Datasets == nil {
					return errNoDatasets
				}
				battles, err = env.Datasets.AlpacaBattles(r)
			default:
				return usageError("--from must be jsonl or alpaca-eval; got %q", from)
			}
			if err != nil {
				return err
			}
			var v view.Leaderboard
			if in.Method == app.MethodElo {
				v, err = app.EloLeaderboard(battles, in, opts)
			} else {
				v, err = app.OutcomeLeaderboard(ranking.Aggregate(battles), in, opts)
			}
			if err != nil {
				return err
			}
			return printLeaderboard(cmd.OutOrStdout(), v, format)
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "comparisons file (.gz allowed), or - for stdin")
	cmd.Flags().StringVar(&from, "from", "jsonl", "input format: jsonl or alpaca-eval")
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, json or csv")
	leaderboardFlags(cmd, &in, &rounds)
	return cmd
}

func readBattlesJSONL(r io.Reader) ([]ranking.Battle, error) {
	var out []ranking.Battle
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" {
			continue
		}
		var l struct {
			ModelA     string   `json:"model_a"`
			ModelB     string   `json:"model_b"`
			Winner     *string  `json:"winner"`
			Preference *float64 `json:"preference"`
		}
		if err := json.Unmarshal([]byte(text), &l); err != nil {
			return nil, fmt.Errorf("line %d: %v", line, err)
		}
		if l.ModelA == "" || l.ModelB == "" {
			return nil, fmt.Errorf("line %d: model_a and model_b are required", line)
		}
		var p float64
		switch {
		case l.Winner != nil && l.Preference != nil:
			return nil, fmt.Errorf("line %d: give winner or preference, not both", line)
		case l.Preference != nil:
			p = *l.Preference
			if !(p >= 0 && p <= 1) {
				return nil, fmt.Errorf("line %d: preference must be between 0 and 1; got %v", line, p)
			}
		case l.Winner != nil:
			switch *l.Winner {
			case "model_a":
				p = 0
			case "model_b":
				p = 1
			case "tie", "tie (bothbad)":
				p = 0.5
			default:
				return nil, fmt.Errorf("line %d: winner must be model_a, model_b or tie; got %q", line, *l.Winner)
			}
		default:
			return nil, fmt.Errorf("line %d: give winner or preference", line)
		}
		out = append(out, ranking.Battle{ModelA: l.ModelA, ModelB: l.ModelB, Preference: p})
	}
	return out, sc.Err()
}

func printLeaderboard(w io.Writer, v view.Leaderboard, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	if format != "csv" {
		fmt.Fprintf(w, "method %s, %d comparisons", v.Method, v.Comparisons)
		if v.Skipped > 0 {
			fmt.Fprintf(w, " (%d without a judgement skipped)", v.Skipped)
		}
		if v.BootstrapRounds > 0 {
			fmt.Fprintf(w, ", %d bootstrap rounds (seed %d)", v.BootstrapRounds, v.Seed)
		}
		fmt.Fprintln(w)
		for _, warn := range v.Warnings {
			fmt.Fprintln(w, "warning:", warn)
		}
	}
	t := newTable(w, format, true)
	// The table shows rates in percent; JSON keeps the API's shares from 0 to 1.
	label, scale := "RATING", 1.0
	if v.Method == app.MethodWinRate {
		label, scale = "WIN RATE %", 100
	}
	t.row("RANK", "MODEL", label, "95% CI", "RANKS", "BATTLES", "WIN %", "FLAGS")
	for _, r := range v.Ratings {
		wr := "-"
		if r.WinRate != nil {
			wr = strconv.FormatFloat(100**r.WinRate, 'f', 1, 64)
		}
		flags := strings.Join(r.Flags, ",")
		if flags == "" {
			flags = "-"
		}
		t.row(strconv.Itoa(r.Rank), r.Model, fmt.Sprintf("%.1f", scale*r.Rating), fmt.Sprintf("[%.1f, %.1f]", scale*r.CILow, scale*r.CIHigh),
			fmt.Sprintf("%d-%d", r.RankLow, r.RankHigh), strconv.Itoa(r.Battles), wr, flags)
	}
	return t.flush()
}

// agreementCmd is the offline agreement over a file of labels.
func agreementCmd(env Env) *cobra.Command {
	var input string
	cmd := &cobra.Command{
		Use:     "agreement --input FILE",
		Example: `  rlhf-eval agreement --input labels.jsonl`,
		Short:   "Inter-annotator agreement of a file of labels (no database needed)",
		Long: `Compute percent agreement, Cohen's kappa per annotator pair, Fleiss' kappa and
Krippendorff's alpha (nominal) from JSONL lines {"item", "annotator", "label"}.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return usageError("--input is required")
			}
			r, closeIn, err := openMaybeGzip(input, cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer closeIn()
			var labels []agreement.Label
			sc := bufio.NewScanner(r)
			sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
			line := 0
			for sc.Scan() {
				line++
				text := strings.TrimSpace(sc.Text())
				if text == "" {
					continue
				}
				var l struct {
					Item      json.RawMessage `json:"item"`
					Annotator string          `json:"annotator"`
					Label     json.RawMessage `json:"label"`
				}
				if err := json.Unmarshal([]byte(text), &l); err != nil {
					return fmt.Errorf("line %d: %v", line, err)
				}
				labels = append(labels, agreement.Label{Item: unquote(l.Item), Annotator: l.Annotator, Label: unquote(l.Label)})
			}
			if err := sc.Err(); err != nil {
				return err
			}
			v, err := app.AgreementOf(labels)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "labels file (.gz allowed), or - for stdin")
	return cmd
}
