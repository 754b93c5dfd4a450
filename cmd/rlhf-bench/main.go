// Command rlhf-bench is the end-to-end benchmark behind `make bench`. It builds the
// rlhf-eval binary, starts it against a database it creates for the run (and drops
// afterwards), and measures three things, each as a ratio against a baseline taken
// in the same run on the same machine:
//
//  1. ingest: responses per second through the bulk POST route with the length,
//     refusal and pii scorers configured, against pgx CopyFrom of the same rows and
//     their scores straight into the same tables;
//  2. single-response POSTs at several concurrencies (p50, p99, requests per
//     second), against a bare echo handler that replies 200, served by this process;
//  3. read latency on a large evaluation (summary, filtered and deep list pages,
//     Bradley–Terry leaderboards), loaded with COPY rather than HTTP, against the
//     least SQL that could answer each request, run directly with pgx;
//  4. dashboard page views on the same evaluation, against the API request for
//     the same data or the SQL that dominates the page.
//
// Every figure is the median of several repetitions, because the machine is shared.
// Run `rlhf-bench -h` for the flags; `--quick` is a smoke run of a few seconds.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "rlhf-bench: %v\n", err)
		os.Exit(1)
	}
}

// defaultAdminURL is the server the benchmark creates its database on, unless
// RLHF_BENCH_DATABASE_URL or --database-url says otherwise.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// options are the command's flags.
type options struct {
	adminURL    string
	sections    map[string]bool
	quick       bool
	reps        int
	seed        uint64
	out         string
	binary      string
	keep        bool
	reuse       string
	ingestRows  int
	batch       int
	streams     int
	conc        []int
	duration    time.Duration
	warmup      time.Duration
	responses   int
	comparisons int
	models      int
	deepPage    int
}

var allSections = []string{"ingest", "latency", "queries", "dashboard"}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("rlhf-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	adminURL := os.Getenv("RLHF_BENCH_DATABASE_URL")
	if adminURL == "" {
		adminURL = defaultAdminURL
	}
	var o options
	var sections, conc string
	fs.StringVar(&o.adminURL, "database-url", adminURL, "a PostgreSQL server (any database on it) where the run creates and drops its own database (default $RLHF_BENCH_DATABASE_URL)")
	fs.StringVar(&sections, "sections", strings.Join(allSections, ","), "comma-separated sections to run: ingest, latency, queries, dashboard")
	fs.BoolVar(&o.quick, "quick", false, "a smoke run of a few seconds: small sizes, one repetition (explicit flags still win)")
	fs.IntVar(&o.reps, "reps", 5, "repetitions of every measurement; the table shows medians")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the data generator")
	fs.StringVar(&o.out, "out", "", "also write the report (machine, settings, table) to this file")
	fs.StringVar(&o.binary, "binary", "", "use this rlhf-eval binary instead of building ./cmd/rlhf-eval")
	fs.BoolVar(&o.keep, "keep", false, "keep the database at the end (its URL is printed) for EXPLAIN ANALYZE")
	fs.StringVar(&o.reuse, "reuse", "", "run the queries and dashboard sections on this database, kept by an earlier run with --keep and the same --responses, --comparisons, --models and --seed, instead of creating and loading one (it is kept, and migrated by the service as usual)")
	fs.IntVar(&o.ingestRows, "ingest-rows", 20000, "ingest: responses per repetition")
	fs.IntVar(&o.batch, "batch", 5000, "ingest: responses per bulk request (and per COPY transaction)")
	fs.IntVar(&o.streams, "streams", 1, "ingest: batches in flight at once, on both sides")
	fs.StringVar(&conc, "concurrency", "1,16,64", "latency: comma-separated numbers of concurrent clients")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "latency: measured time per concurrency and repetition")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "latency: unmeasured time before each measurement")
	fs.IntVar(&o.responses, "responses", 1_000_000, "queries: responses in the large evaluation (3 scores each)")
	fs.IntVar(&o.comparisons, "comparisons", 1_000_000, "queries: comparisons in the large evaluation")
	fs.IntVar(&o.models, "models", 50, "queries: models in the large evaluation")
	fs.IntVar(&o.deepPage, "deep-page", 10_000, "queries: which 50-response page the deep keyset page is (capped to the data)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if o.quick {
		// A smoke run: every code path, small sizes.
		quick := map[string]func(){
			"reps":        func() { o.reps = 1 },
			"ingest-rows": func() { o.ingestRows = 2000 },
			"batch":       func() { o.batch = 1000 },
			"duration":    func() { o.duration = 500 * time.Millisecond },
			"warmup":      func() { o.warmup = 100 * time.Millisecond },
			"responses":   func() { o.responses = 20_000 },
			"comparisons": func() { o.comparisons = 20_000 },
			"models":      func() { o.models = 10 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
	}
	o.sections = map[string]bool{}
	for _, s := range strings.Split(sections, ",") {
		s = strings.TrimSpace(s)
		known := false
		for _, k := range allSections {
			known = known || s == k
		}
		if !known {
			return o, fmt.Errorf("--sections: unknown section %q (want %s)", s, strings.Join(allSections, ", "))
		}
		o.sections[s] = true
	}
	for _, c := range strings.Split(conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(c))
		if err != nil || n < 1 {
			return o, fmt.Errorf("--concurrency: %q is not a positive integer", c)
		}
		o.conc = append(o.conc, n)
	}
	switch {
	case o.reps < 1:
		return o, errors.New("--reps must be at least 1")
	case o.ingestRows < 1 || o.batch < 1 || o.streams < 1:
		return o, errors.New("--ingest-rows, --batch and --streams must be positive")
	case o.models < 2:
		return o, errors.New("--models must be at least 2 (comparisons need two)")
	case o.responses < o.models:
		return o, errors.New("--responses must be at least --models")
	case o.comparisons < 1 || o.deepPage < 1:
		return o, errors.New("--comparisons and --deep-page must be positive")
	case o.duration <= 0 || o.warmup < 0:
		return o, errors.New("--duration must be positive and --warmup not negative")
	case o.reuse != "" && (o.sections["ingest"] || o.sections["latency"]):
		return o, errors.New("--reuse serves the queries and dashboard sections only: ingest and latency write into the database")
	}
	return o, nil
}

// run is the whole command.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	env, err := setUp(ctx, o, logf)
	if env != nil {
		defer env.tearDown(logf)
	}
	if err != nil {
		return err
	}
	rep := report{machine: env.machine, settings: o.describe()}
	if o.sections["ingest"] {
		rows, err := benchIngest(ctx, env, o, logf)
		if err != nil {
			return fmt.Errorf("ingest: %w", err)
		}
		rep.rows = append(rep.rows, rows...)
	}
	if o.sections["latency"] {
		rows, notes, err := benchLatency(ctx, env, o, logf)
		if err != nil {
			return fmt.Errorf("latency: %w", err)
		}
		rep.rows = append(rep.rows, rows...)
		rep.notes = append(rep.notes, notes...)
	}
	if o.sections["queries"] {
		rows, notes, err := benchQueries(ctx, env, o, logf)
		if err != nil {
			return fmt.Errorf("queries: %w", err)
		}
		rep.rows = append(rep.rows, rows...)
		rep.notes = append(rep.notes, notes...)
	}
	if o.sections["dashboard"] {
		rows, notes, err := benchDashboard(ctx, env, o, logf)
		if err != nil {
			return fmt.Errorf("dashboard: %w", err)
		}
		rep.rows = append(rep.rows, rows...)
		rep.notes = append(rep.notes, notes...)
	}
	text := rep.markdown()
	fmt.Fprint(stdout, text)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(text), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	return nil
}

// describe lists the settings that shape the figures, for the report.
func (o options) describe() []string {
	var s []string
	if o.sections["ingest"] {
		s = append(s, fmt.Sprintf("ingest: %d responses per repetition, NDJSON batches of %d, %d stream(s)", o.ingestRows, o.batch, o.streams))
	}
	if o.sections["latency"] {
		cs := make([]string, len(o.conc))
		for i, c := range o.conc {
			cs[i] = strconv.Itoa(c)
		}
		s = append(s, fmt.Sprintf("latency: concurrency %s, %s measured after %s warm-up", strings.Join(cs, ", "), o.duration, o.warmup))
	}
	if o.sections["queries"] || o.sections["dashboard"] {
		s = append(s, fmt.Sprintf("queries and dashboard: %d responses × 3 scores and %d comparisons among %d models", o.responses, o.comparisons, o.models))
	}
	s = append(s, fmt.Sprintf("repetitions: %d (medians shown), seed %d", o.reps, o.seed))
	return s
}
