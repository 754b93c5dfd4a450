package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// A chunk of input lines is scored and encoded as one unit: up to scoreChunkLines
// lines, or scoreChunkBytes of input, whichever comes first, so that memory stays
// flat whatever the file and line sizes.
const (
	scoreChunkLines = 512
	scoreChunkBytes = 4 << 20
)

type scoreLine struct {
	ID        json.RawMessage `json:"id"`
	Prompt    string          `json:"prompt"`
	Response  *string         `json:"response"`
	Reference *string         `json:"reference"`
	Context   []messageJSON   `json:"context"`
}

// messageJSON is one turn of an input line's context.
type messageJSON struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type scoreJSON struct {
	Value   *float64       `json:"value"`
	Passed  *bool          `json:"passed"`
	Details map[string]any `json:"details"`
	Error   string         `json:"error,omitempty"`
}

func scoreCmd(env Env) *cobra.Command {
	var input, output, scorersFile, format string
	var types []string
	var summary bool
	cmd := &cobra.Command{
		Use: "score --input FILE.jsonl|- (--scorer TYPE ... | --scorers-file FILE.json)",
		Example: `  rlhf-eval score --input answers.jsonl --scorer bleu --scorer refusal --summary
  cat answers.jsonl | rlhf-eval score --input - --scorers-file scorers.json --format csv --output scores.csv`,
		Short: "Score a JSONL file of responses offline (no database needed)",
		Long: `Score each line of a JSONL file, {"id", "prompt", "response", "reference"}, with the given
scorers, and write one line per input: {"id": ..., "scores": {"<name>": {"value", "passed", "details"}}}.

--scorer TYPE adds a scorer with default params (repeatable); --scorers-file reads a JSON
array of scorer configurations ({"name", "type", "params", "pass"}). Bad lines are reported
on stderr with their line number and skipped; the exit code is 1 if any line failed.
--summary prints per-scorer statistics (and corpus BLEU/chrF) after the scores: on stdout
when --output names a file, otherwise on stderr so stdout stays machine-readable.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "jsonl", "csv", "table"); err != nil {
				return err
			}
			if input == "" {
				return usageError("--input is required (a file, or - for stdin)")
			}
			cfgs, err := scorerConfigs(types, scorersFile)
			if err != nil {
				return err
			}
			sc := app.NewScoring(env.Registry, app.Limits{})
			set, err := sc.Prepare(cfgs)
			if err != nil {
				return usageError("%v", err)
			}
			in, size, closeIn, err := openInput(input, cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer closeIn()
			out := cmd.OutOrStdout()
			summaryOut := cmd.ErrOrStderr()
			if output != "" && output != "-" {
				f, err := os.Create(output)
				if err != nil {
					return err
				}
				defer f.Close()
				out, summaryOut = f, cmd.OutOrStdout()
			}
			r := &scoreRun{
				ctx: cmd.Context(), sc: sc, set: set, format: format, out: out, errOut: cmd.ErrOrStderr(),
				progress: newProgress(cmd.ErrOrStderr(), size), keepOutcomes: summary,
			}
			if err := r.run(in); err != nil {
				return err
			}
			if summary {
				sums, err := app.SummarizeOutcomes(set, r.outcomes)
				if err != nil {
					return err
				}
				views := make([]view.ScorerSummary, len(sums))
				for i, s := range sums {
					views[i] = s.View(false)
				}
				if err := printSummary(summaryOut, views, "table"); err != nil {
					return err
				}
			}
			if r.failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "%d of %d lines failed\n", r.failed, r.lines)
				return silentExit(1)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "JSONL input file, or - for stdin (.gz not needed: pipe through zcat)")
	cmd.Flags().StringSliceVar(&types, "scorer", nil, "scorer type with default params (repeatable)")
	cmd.Flags().StringVar(&scorersFile, "scorers-file", "", "JSON array of scorer configurations")
	cmd.Flags().StringVar(&format, "format", "jsonl", "output format: jsonl, csv or table")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write scores to this file instead of stdout")
	cmd.Flags().BoolVar(&summary, "summary", false, "print per-scorer statistics at the end")
	return cmd
}

// scorerFileJSON is one entry of a --scorers-file: the scorer configuration the
// API takes, {"name": ..., "type": ..., "params": {...}, "pass": {"min": ..., "max": ...}}.
type scorerFileJSON struct {
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Params json.RawMessage `json:"params"`
	Pass   *struct {
		Min *float64 `json:"min"`
		Max *float64 `json:"max"`
	} `json:"pass"`
}

func scorerConfigs(types []string, file string) ([]domain.ScorerConfig, error) {
	var cfgs []domain.ScorerConfig
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		var in []scorerFileJSON
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, usageError("%s: want a JSON array of scorer configurations: %v", file, err)
		}
		for _, c := range in {
			cfg := domain.ScorerConfig{Name: c.Name, Type: c.Type, Params: c.Params}
			if c.Pass != nil {
				cfg.Pass = &domain.PassBand{Min: c.Pass.Min, Max: c.Pass.Max}
			}
			cfgs = append(cfgs, cfg)
		}
	}
	for _, t := range types {
		cfgs = append(cfgs, domain.ScorerConfig{Type: t})
	}
	if len(cfgs) == 0 {
		return nil, usageError("give --scorer TYPE (repeatable) or --scorers-file FILE.json; see rlhf-eval scorers")
	}
	return cfgs, nil
}

func openInput(name string, stdin io.Reader) (io.Reader, int64, func(), error) {
	if name == "-" {
		return stdin, 0, func() {}, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, nil, err
	}
	var size int64
	if fi, err := f.Stat(); err == nil {
		size = fi.Size()
	}
	return f, size, func() { f.Close() }, nil
}

type scoreRun struct {
	ctx          context.Context
	sc           *app.Scoring
	set          *scoring.Set
	format       string
	out          io.Writer
	errOut       io.Writer
	progress     *progress
	keepOutcomes bool
	outcomes     [][]scoring.Outcome

	lines, failed int
	table         *tabwriter.Writer
}

// scoreChunk is a run of input lines on its way through the pipeline.
type scoreChunk struct {
	// Set by the reader.
	raw     [][]byte // the non-blank lines
	lineNos []int    // their line numbers
	read    int64    // input bytes read up to the chunk's end
	lines   int      // non-blank lines up to the chunk's end

	// Set by a scorer, before done is closed.
	items    []app.ScoreItem
	ids      []json.RawMessage
	failures []string // "line N: reason" for lines that could not be scored, in order
	outcomes [][]scoring.Outcome
	encoded  bytes.Buffer // the jsonl or csv output of the items
	err      error
	done     chan struct{}
}

// run scores every line of in and writes the results in input order. Three stages
// overlap: one goroutine cuts the input into chunks of lines, GOMAXPROCS goroutines
// decode, check, score and encode whole chunks (each spreading its chunk's scoring
// over the cores as ScoreBatch does), and this goroutine writes the chunks out in
// order as they complete. A chunk lives from the reader to the writer, and the
// writer's queue holds 2·GOMAXPROCS, so at most 2·GOMAXPROCS+2 chunks are in memory.
func (r *scoreRun) run(in io.Reader) error {
	if err := r.header(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.ctx)
	defer cancel()
	workers := runtime.GOMAXPROCS(0)
	ordered := make(chan *scoreChunk, 2*workers)
	queue := make(chan *scoreChunk, workers)
	var readErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(ordered)
		defer close(queue)
		readErr = r.read(ctx, in, ordered, queue)
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range queue {
				r.score(ctx, c)
				close(c.done)
			}
		}()
	}
	err := r.writeChunks(ctx, ordered)
	cancel()
	wg.Wait()
	if err == nil {
		err = readErr
	}
	if err != nil {
		return err
	}
	r.progress.done(r.lines)
	return r.footer()
}

// read cuts in into chunks and hands each to the writer (in order) and to the
// scorers, until the input ends, reading fails or ctx is cancelled.
func (r *scoreRun) read(ctx context.Context, in io.Reader, ordered, queue chan<- *scoreChunk) error {
	br := bufio.NewReaderSize(in, 1<<20)
	var (
		lineNo, lines int
		read          int64
		chunkBytes    int
	)
	c := &scoreChunk{done: make(chan struct{})}
	for {
		line, err := br.ReadBytes('\n')
		read += int64(len(line))
		chunkBytes += len(line)
		if len(bytes.TrimSpace(line)) > 0 {
			lineNo++
			lines++
			c.raw, c.lineNos = append(c.raw, line), append(c.lineNos, lineNo)
		} else if len(line) > 0 {
			lineNo++
		}
		last := err != nil
		if last || len(c.raw) == scoreChunkLines || chunkBytes >= scoreChunkBytes {
			c.read, c.lines = read, lines
			for _, ch := range []chan<- *scoreChunk{ordered, queue} {
				select {
				case ch <- c:
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			c, chunkBytes = &scoreChunk{done: make(chan struct{})}, 0
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// score decodes, checks, scores and encodes one chunk.
func (r *scoreRun) score(ctx context.Context, c *scoreChunk) {
	for i, line := range c.raw {
		item, id, err := parseScoreLine(line, c.lineNos[i])
		if err == nil {
			err = r.sc.Check(r.set, item)
		}
		if err != nil {
			c.failures = append(c.failures, fmt.Sprintf("line %d: %v", c.lineNos[i], err))
		} else {
			c.items, c.ids = append(c.items, item), append(c.ids, id)
		}
	}
	c.raw = nil
	if len(c.items) == 0 {
		return
	}
	c.outcomes, c.err = r.sc.Score(ctx, r.set, c.items)
	if c.err != nil {
		return
	}
	switch r.format {
	case "jsonl":
		for i, outs := range c.outcomes {
			if c.err = encodeJSONLine(&c.encoded, c.ids[i], outs); c.err != nil {
				return
			}
		}
	case "csv":
		w := csv.NewWriter(&c.encoded)
		for i, outs := range c.outcomes {
			w.Write(csvRow(c.ids[i], outs))
		}
		w.Flush()
		c.err = w.Error()
	}
	if r.keepOutcomes {
		for i, o := range c.outcomes {
			c.outcomes[i] = stripDetails(o)
		}
	}
}

// writeChunks writes the chunks in input order, each once it is scored: first the
// failures of its lines, then its results.
func (r *scoreRun) writeChunks(ctx context.Context, ordered <-chan *scoreChunk) error {
	for c := range ordered {
		select {
		case <-c.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		for _, f := range c.failures {
			r.failed++
			fmt.Fprintln(r.errOut, f)
		}
		r.lines = c.lines
		if len(c.items) > 0 {
			if c.err != nil {
				return c.err
			}
			if r.keepOutcomes {
				r.outcomes = append(r.outcomes, c.outcomes...)
			}
			if err := r.writeChunk(c); err != nil {
				return err
			}
		}
		r.progress.update(c.read, r.lines)
	}
	return nil
}

func (r *scoreRun) writeChunk(c *scoreChunk) error {
	if r.format == "table" {
		for i, outs := range c.outcomes {
			cells := []string{unquote(c.ids[i])}
			for _, o := range outs {
				cells = append(cells, cell(o))
			}
			if _, err := fmt.Fprintln(r.table, strings.Join(cells, "\t")); err != nil {
				return err
			}
		}
		return nil
	}
	_, err := r.out.Write(c.encoded.Bytes())
	return err
}

func parseScoreLine(line []byte, lineNo int) (app.ScoreItem, json.RawMessage, error) {
	var l scoreLine
	if err := json.Unmarshal(line, &l); err != nil {
		return app.ScoreItem{}, nil, fmt.Errorf("not a JSON object: %v", err)
	}
	id := l.ID
	if len(id) == 0 || string(id) == "null" {
		id = json.RawMessage(strconv.Itoa(lineNo))
	}
	it := app.ScoreItem{ID: string(id), Prompt: l.Prompt, Response: l.Response, Reference: l.Reference}
	if len(l.Context) > 0 {
		it.Context = make([]domain.Message, len(l.Context))
		for i, m := range l.Context {
			it.Context[i] = domain.Message{Role: m.Role, Content: m.Content}
		}
	}
	return it, id, nil
}

// stripDetails keeps only what a summary needs from outcomes kept for --summary.
func stripDetails(os []scoring.Outcome) []scoring.Outcome {
	out := make([]scoring.Outcome, len(os))
	for i, o := range os {
		out[i] = o
		if st, ok := o.Result.Details["stats"]; ok {
			out[i].Result.Details = map[string]any{"stats": st}
		} else {
			out[i].Result.Details = nil
		}
	}
	return out
}

func (r *scoreRun) header() error {
	switch r.format {
	case "csv":
		w := csv.NewWriter(r.out)
		head := []string{"id"}
		for _, b := range r.set.Scorers() {
			head = append(head, b.Config.Name, b.Config.Name+".passed", b.Config.Name+".error")
		}
		w.Write(head)
		w.Flush()
		return w.Error()
	case "table":
		r.table = tabwriter.NewWriter(r.out, 0, 4, 2, ' ', 0)
		head := []string{"ID"}
		for _, b := range r.set.Scorers() {
			head = append(head, strings.ToUpper(b.Config.Name))
		}
		_, err := fmt.Fprintln(r.table, strings.Join(head, "\t"))
		return err
	}
	return nil
}

func csvRow(id json.RawMessage, outs []scoring.Outcome) []string {
	row := []string{unquote(id)}
	for _, o := range outs {
		if o.Err != nil {
			row = append(row, "", "", o.Err.Error())
			continue
		}
		passed := ""
		if o.Result.Passed != nil {
			passed = strconv.FormatBool(*o.Result.Passed)
		}
		row = append(row, strconv.FormatFloat(o.Result.Value, 'g', -1, 64), passed, "")
	}
	return row
}

// encodeJSONLine appends one output line, {"id", "scores": {name: score}}, to buf.
func encodeJSONLine(buf *bytes.Buffer, id json.RawMessage, outs []scoring.Outcome) error {
	line := struct {
		ID     json.RawMessage      `json:"id"`
		Scores map[string]scoreJSON `json:"scores"`
	}{ID: id, Scores: make(map[string]scoreJSON, len(outs))}
	for _, o := range outs {
		line.Scores[o.Name] = toScoreJSON(o)
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	buf.Write(b)
	return buf.WriteByte('\n')
}

func toScoreJSON(o scoring.Outcome) scoreJSON {
	if o.Err != nil {
		return scoreJSON{Details: map[string]any{}, Error: o.Err.Error()}
	}
	v := o.Result.Value
	d := o.Result.Details
	if d == nil {
		d = map[string]any{}
	}
	return scoreJSON{Value: &v, Passed: o.Result.Passed, Details: d}
}

func cell(o scoring.Outcome) string {
	if o.Err != nil {
		return "error"
	}
	s := strconv.FormatFloat(o.Result.Value, 'g', 4, 64)
	if o.Result.Passed != nil {
		if *o.Result.Passed {
			s += " pass"
		} else {
			s += " FAIL"
		}
	}
	return s
}

func unquote(id json.RawMessage) string {
	var s string
	if json.Unmarshal(id, &s) == nil {
		return s
	}
	return string(id)
}

func (r *scoreRun) footer() error {
	if r.format == "table" {
		return r.table.Flush()
	}
	return nil
}

// printSummary prints scorer summaries as a table or JSON.
func printSummary(w io.Writer, sums []view.ScorerSummary, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(sums)
	}
	t := newTable(w, format, true)
	byModel := false
	for _, s := range sums {
		byModel = byModel || s.Model != nil
	}
	head := []string{"SCORER"}
	if byModel {
		head = append(head, "MODEL")
	}
	t.row(append(head, "N", "MEAN", "95% CI", "SD", "MIN", "P10", "P50", "P90", "MAX", "PASS", "ERRORS", "CORPUS")...)
	for _, s := range sums {
		row := []string{s.Scorer}
		if byModel && s.Model != nil {
			row = append(row, *s.Model)
		}
		ci := "-"
		if s.CILow != nil && s.CIHigh != nil {
			ci = fmt.Sprintf("[%s, %s]", num(s.CILow), num(s.CIHigh))
		}
		corpus := "-"
		if sc, ok := s.Corpus["score"].(float64); ok {
			corpus = strconv.FormatFloat(sc, 'f', 2, 64)
		}
		pass := "-"
		if s.PassRate != nil {
			pass = strconv.FormatFloat(100**s.PassRate, 'f', 1, 64) + "%"
		}
		t.row(append(row, strconv.FormatInt(s.N, 10), num(s.Mean), ci, num(s.SD), num(s.Min), num(s.P10), num(s.P50),
			num(s.P90), num(s.Max), pass, strconv.FormatInt(s.Errors, 10), corpus)...)
	}
	return t.flush()
}

func num(f *float64) string {
	if f == nil {
		return "-"
	}
	return strconv.FormatFloat(*f, 'g', 4, 64)
}

func scorersCmd(env Env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: "scorers",
		Example: `  rlhf-eval scorers
  rlhf-eval scorers --format json`,
		Short: "List the scorer types and their params",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "table", "json", "csv"); err != nil {
				return err
			}
			types := env.Registry.Types()
			sort.Slice(types, func(i, j int) bool { return types[i].Name < types[j].Name })
			w := cmd.OutOrStdout()
			if format == "json" {
				type typeJSON struct {
					Name           string          `json:"name"`
					Description    string          `json:"description"`
					NeedsReference bool            `json:"needs_reference"`
					Better         string          `json:"better"`
					ParamsSchema   json.RawMessage `json:"params_schema"`
				}
				out := make([]typeJSON, len(types))
				for i, t := range types {
					out[i] = typeJSON{t.Name, t.Description, t.NeedsReference, string(t.Better), t.ParamsSchema}
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := newTable(w, format, false)
			tw.row("TYPE", "REFERENCE", "BETTER", "PARAMS", "DESCRIPTION")
			for _, t := range types {
				ref := "-"
				if t.NeedsReference {
					ref = "needed"
				}
				tw.row(t.Name, ref, string(t.Better), paramNames(t.ParamsSchema), t.Description)
			}
			return tw.flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: table, csv or json (with each type's params schema)")
	return cmd
}

func paramNames(schema json.RawMessage) string {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if json.Unmarshal(schema, &s) != nil || len(s.Properties) == 0 {
		return "-"
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// progress draws a progress line on stderr when it is a terminal.
type progress struct {
	w     io.Writer
	total int64
	on    bool
	start time.Time
}

func newProgress(w io.Writer, total int64) *progress {
	on := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			on = true
		}
	}
	return &progress{w: w, total: total, on: on, start: time.Now()}
}

func (p *progress) update(read int64, lines int) {
	if !p.on {
		return
	}
	rate := float64(lines) / time.Since(p.start).Seconds()
	if p.total > 0 {
		frac := float64(read) / float64(p.total)
		bar := strings.Repeat("█", int(frac*30)) + strings.Repeat("░", 30-int(frac*30))
		fmt.Fprintf(p.w, "\r%s %3.0f%%  %d lines  %.0f/s ", bar, 100*frac, lines, rate)
		return
	}
	fmt.Fprintf(p.w, "\r%d lines  %.0f/s ", lines, rate)
}

func (p *progress) done(lines int) {
	if p.on {
		fmt.Fprintf(p.w, "\r%d lines scored in %s%s\n", lines, time.Since(p.start).Round(time.Millisecond), strings.Repeat(" ", 30))
	}
}
