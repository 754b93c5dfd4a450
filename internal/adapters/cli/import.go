package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
)

// Datasets reads the dataset files the import and leaderboard commands take. The
// composition root passes internal/adapters/dataset's readers.
type Datasets interface {
	// AlpacaEval reads an AlpacaEval annotations file; annotator names the judge of
	// entries without an annotator field.
	AlpacaEval(r io.Reader, annotator string) iter.Seq2[app.ImportRecord, error]
	// HHRLHF reads Anthropic HH-RLHF pairs, naming every response's model and every
	// comparison's annotator.
	HHRLHF(r io.Reader, model, annotator string) iter.Seq2[app.ImportRecord, error]
	// JSONL reads responses and comparisons in the API's request shapes.
	JSONL(r io.Reader) iter.Seq2[app.ImportRecord, error]
	// AlpacaBattles reads an AlpacaEval annotations file as battles between its
	// generators.
	AlpacaBattles(r io.Reader) ([]ranking.Battle, error)
}

var errNoDatasets = errors.New("this build has no dataset readers")

// maxShownImportErrors bounds the record errors printed; the rest are counted.
const maxShownImportErrors = 20

func importCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Import responses and comparisons from files into an evaluation",
		Long: `Import responses and pairwise comparisons from a file into an evaluation, creating the
evaluation if it does not exist. Imports go through the same validation, scoring and
idempotency as the API: importing the same file twice creates nothing the second time.

Progress goes to stderr, the summary to stdout. Bad records are reported on stderr with
their line (or entry) and left out; the exit code is then 1.`,
	}
	cmd.AddCommand(importAlpacaEvalCmd(env), importHHRLHFCmd(env), importJSONLCmd(env))
	return cmd
}

// importRun holds the flags every import command shares.
type importRun struct {
	evaluation string
	scorers    []string
	batch      int
	format     string
}

func (r *importRun) flags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.evaluation, "evaluation", "", "evaluation name (created if missing)")
	cmd.Flags().StringSliceVar(&r.scorers, "scorer", nil, "scorer type with default params for a new evaluation (repeatable)")
	cmd.Flags().IntVar(&r.batch, "batch-size", app.DefaultImportBatch, "responses (and comparisons) per transaction")
	cmd.Flags().StringVar(&r.format, "format", "table", "summary format: table or json")
}

func oneFile(kind string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != 1 {
			return usageError("import %s takes one file (or - for stdin)", kind)
		}
		return nil
	}
}

// run imports file, read by read, into the evaluation.
func (r *importRun) run(cmd *cobra.Command, env Env, kind, file string, read func(io.Reader) iter.Seq2[app.ImportRecord, error]) error {
	if err := checkFormat(r.format, "table", "json"); err != nil {
		return err
	}
	if r.evaluation == "" {
		return usageError("--evaluation is required")
	}
	if r.batch < 1 {
		return usageError("--batch-size must be at least 1; got %d", r.batch)
	}
	var cfgs []domain.ScorerConfig
	for _, t := range r.scorers {
		cfgs = append(cfgs, domain.ScorerConfig{Type: t})
	}
	if len(cfgs) > 0 {
		if _, err := env.Registry.Normalize(cfgs); err != nil {
			return usageError("--scorer: %v (see rlhf-eval scorers)", err)
		}
	}
	in, closeIn, err := openMaybeGzip(file, cmd.InOrStdin())
	if err != nil {
		return err
	}
	defer closeIn()
	stderr := cmd.ErrOrStderr()
	prog := newImportProgress(stderr)
	shown := 0
	opts := app.ImportInput{
		Evaluation: r.evaluation, Scorers: cfgs, BatchSize: r.batch,
		Description: fmt.Sprintf("imported from %s (%s)", filepath.Base(file), kind),
		Progress:    prog.update,
		RecordError: func(ref string, err error) {
			shown++
			switch {
			case shown <= maxShownImportErrors:
				prog.clear()
				fmt.Fprintf(stderr, "%s: %s: %s\n", file, ref, strings.ReplaceAll(err.Error(), "\n", "; "))
			case shown == maxShownImportErrors+1:
				prog.clear()
				fmt.Fprintf(stderr, "%s: further errors are counted but not shown\n", file)
			}
		},
	}
	if env.Datasets == nil {
		return errNoDatasets
	}
	var st app.ImportStats
	err = withBackend(cmd, env, func(b *Backend) error {
		imp, err := app.NewImports(b.Services)
		if err != nil {
			return err
		}
		st, err = imp.Import(cmd.Context(), opts, read(in))
		return err
	})
	prog.done()
	if st.Evaluation == "" { // the evaluation could not be found or created
		return err
	}
	if len(cfgs) > 0 && !st.EvaluationCreated {
		fmt.Fprintf(stderr, "note: evaluation %q existed; --scorer applies only when the import creates it\n", st.Evaluation)
	}
	if perr := printImportStats(cmd.OutOrStdout(), st, r.format); perr != nil && err == nil {
		err = perr
	}
	if err != nil {
		return fmt.Errorf("%s: import stopped after %d records: %w", file, st.Records, err)
	}
	if st.Errors > 0 {
		fmt.Fprintf(stderr, "%d of %d records failed\n", st.Errors, st.Records)
		return silentExit(1)
	}
	return nil
}

func importAlpacaEvalCmd(env Env) *cobra.Command {
	var r importRun
	var annotator string
	cmd := &cobra.Command{
		Use:     "alpaca-eval FILE.json[.gz] --evaluation NAME",
		Example: `  rlhf-eval import alpaca-eval claude-2.1.annotations.json.gz --evaluation alpaca`,
		Short:   "Import an AlpacaEval annotations file (pairs judged by a model)",
		Long: `Import an AlpacaEval annotations file: a JSON list (gzipped if the name ends in .gz) of
{instruction, output_1, generator_1, output_2, generator_2, preference, annotator}, where
preference − 1 is the judge's probability that output_2 is better.

Each output becomes a response of model generator_N; each judged pair a comparison with
response_a = output_1, annotator_kind model. Responses are keyed by generator, instruction
and output, so the baseline's outputs repeated in every model's file are stored once.
Entries with a null preference import their responses only; entries comparing a response
with itself (the baseline's own file) are skipped. Both are counted in the summary.`,
		Args: oneFile("alpaca-eval"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd, env, "alpaca-eval", args[0], func(in io.Reader) iter.Seq2[app.ImportRecord, error] {
				return env.Datasets.AlpacaEval(in, annotator)
			})
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVar(&annotator, "annotator", "alpaca_eval", "annotator for entries without an annotator field")
	return cmd
}

func importHHRLHFCmd(env Env) *cobra.Command {
	var r importRun
	var model, annotator string
	cmd := &cobra.Command{
		Use:     "hh-rlhf FILE.jsonl[.gz] --evaluation NAME",
		Example: `  rlhf-eval import hh-rlhf harmless-base-test.jsonl.gz --evaluation hh`,
		Short:   "Import Anthropic HH-RLHF chosen/rejected dialogue pairs",
		Long: `Import Anthropic HH-RLHF JSONL (gzipped if the name ends in .gz): one {"chosen",
"rejected"} pair of "\n\nHuman: ..." / "\n\nAssistant: ..." dialogues per line.

The final Assistant turns are the two responses and the chosen one wins; the last Human
turn the dialogues share is the prompt and the turns before it the context. Pairs whose
dialogues differ before the final turn are imported from their shared turns and counted
in the summary's notes.`,
		Args: oneFile("hh-rlhf"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd, env, "hh-rlhf", args[0], func(in io.Reader) iter.Seq2[app.ImportRecord, error] {
				return env.Datasets.HHRLHF(in, model, annotator)
			})
		},
	}
	r.flags(cmd)
	cmd.Flags().StringVar(&model, "model", "hh-rlhf", "model name of the responses")
	cmd.Flags().StringVar(&annotator, "annotator", "hh-rlhf", "annotator of the comparisons")
	return cmd
}

func importJSONLCmd(env Env) *cobra.Command {
	var r importRun
	cmd := &cobra.Command{
		Use:     "jsonl FILE.jsonl[.gz] --evaluation NAME",
		Example: `  rlhf-eval import jsonl my-responses-and-comparisons.jsonl --evaluation mine`,
		Short:   "Import responses and comparisons in the API's own shapes, one per line",
		Long: `Import JSONL (gzipped if the name ends in .gz) where each line is a response, as POSTed
to /v1/evaluations/{eval}/responses ({"model", "prompt", "response", ...}), or a
comparison, as POSTed to /v1/evaluations/{eval}/comparisons ({"response_a",
"response_b", "winner" or "preference", ...}). Lines are stored in file order, so a
comparison may name a response from an earlier line by its external_id. A line without
external_id gets one derived from its content, so re-importing creates nothing.`,
		Args: oneFile("jsonl"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return r.run(cmd, env, "jsonl", args[0], func(in io.Reader) iter.Seq2[app.ImportRecord, error] {
				return env.Datasets.JSONL(in)
			})
		},
	}
	r.flags(cmd)
	return cmd
}

// importProgress prints running totals on stderr: a counter rewritten in place on
// a terminal, one line per batch otherwise.
type importProgress struct {
	w     io.Writer
	tty   bool
	start time.Time
	shown bool
}

func newImportProgress(w io.Writer) *importProgress {
	p := &importProgress{w: w, start: time.Now()}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *importProgress) update(st app.ImportStats) {
	line := fmt.Sprintf("%d records: %d responses, %d comparisons, %d skipped, %d errors (%.1fs)",
		st.Records, st.ResponsesCreated+st.ResponsesExisting, st.ComparisonsCreated+st.ComparisonsExisting,
		st.SkippedTotal(), st.Errors, time.Since(p.start).Seconds())
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.shown = true
		return
	}
	fmt.Fprintln(p.w, line)
}

// clear ends a counter line before other output.
func (p *importProgress) clear() {
	if p.tty && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

func (p *importProgress) done() {
	if p.tty && p.shown {
		fmt.Fprintln(p.w)
		p.shown = false
	}
}

func printImportStats(w io.Writer, st app.ImportStats, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(st)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	created := ""
	if st.EvaluationCreated {
		created = " (created)"
	}
	fmt.Fprintf(tw, "evaluation\t%s%s\n", st.Evaluation, created)
	fmt.Fprintf(tw, "records\t%d\n", st.Records)
	fmt.Fprintf(tw, "responses\t%d created, %d existing\n", st.ResponsesCreated, st.ResponsesExisting)
	fmt.Fprintf(tw, "comparisons\t%d created, %d existing\n", st.ComparisonsCreated, st.ComparisonsExisting)
	fmt.Fprintf(tw, "skipped\t%d%s\n", st.SkippedTotal(), breakdown(st.Skipped))
	if len(st.Notes) > 0 {
		fmt.Fprintf(tw, "notes\t%s\n", strings.TrimSuffix(strings.TrimPrefix(breakdown(st.Notes), " ("), ")"))
	}
	fmt.Fprintf(tw, "errors\t%d\n", st.Errors)
	return tw.Flush()
}

// breakdown formats counts by reason, " (a: 1, b: 2)", or "" when there are none.
func breakdown(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v > 0 {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return ""
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}
