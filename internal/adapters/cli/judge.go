package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

func judgeCmd(env Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "judge",
		Short: "Judge outputs with a model judge",
	}
	cmd.AddCommand(judgePairsCmd(env), judgeRunCmd(env))
	return cmd
}

type judgePairLine struct {
	ID          json.RawMessage `json:"id"`
	Instruction string          `json:"instruction"`
	Output1     *string         `json:"output_1"`
	Output2     *string         `json:"output_2"`
}

type judgeCallJSON struct {
	Order             string   `json:"order"`
	RequestHash       string   `json:"request_hash"`
	Verdict           *float64 `json:"verdict"`
	ParseError        string   `json:"parse_error,omitempty"`
	Content           string   `json:"content"`
	FinishReason      string   `json:"finish_reason,omitempty"`
	SystemFingerprint string   `json:"system_fingerprint,omitempty"`
	InputTokens       int      `json:"input_tokens"`
	OutputTokens      int      `json:"output_tokens"`
	Attempts          int      `json:"attempts"`
	LatencyMS         float64  `json:"latency_ms"`
	Cost              float64  `json:"cost"`
}

type judgePairJSON struct {
	ID         json.RawMessage `json:"id"`
	Preference *float64        `json:"preference"`
	Identical  bool            `json:"identical,omitempty"`
	ParseError string          `json:"parse_error,omitempty"`
	Error      string          `json:"error,omitempty"`
	Calls      []judgeCallJSON `json:"calls"`
}

func judgePairsCmd(env Env) *cobra.Command {
	var input, judgeFile string
	var concurrency int
	cmd := &cobra.Command{
		Use: "pairs --input FILE.jsonl|- --judge JUDGE.json [--concurrency N]",
		Example: `  rlhf-eval judge pairs --input pairs.jsonl --judge judge.json > verdicts.jsonl
  OPENAI_API_KEY=sk-... rlhf-eval judge pairs --input - --judge judge.json --concurrency 16 < pairs.jsonl`,
		Short: "Judge a JSONL file of output pairs offline with a pairwise judge (no database needed)",
		Long: `Judge each line of a JSONL file, {"id", "instruction", "output_1", "output_2"}, with the
pairwise judge configured in JUDGE.json (see docs/judges.md), and write one line per input, in
input order: {"id", "preference", "identical", "parse_error", "error", "calls": [...]}, where
preference is the judge's probability that output_2 is better (null when the reply could not
be parsed or the endpoint failed) and calls hold each request's order shown, hash, reply,
tokens, attempts, latency and cost.

The API key is read from the environment variable the judge's endpoint.api_key_env names.
--concurrency sets the requests in flight (default: the judge's limits.concurrency). Bad
lines are reported on stderr with their line number and skipped; an endpoint that refuses
the request (400, 401, 403, 404) stops the run. The exit code is 1 if any line failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if input == "" {
				return usageError("--input is required (a file, or - for stdin)")
			}
			if judgeFile == "" {
				return usageError("--judge is required: a judge configuration file (JSON)")
			}
			if concurrency < 0 || concurrency > 4096 {
				return usageError("--concurrency must be between 1 and 4096")
			}
			cfg, err := readJudgeConfig(judgeFile)
			if err != nil {
				return err
			}
			if cfg.Kind != judging.Pairwise {
				return usageError("%s: judge %q is %s; judge pairs needs a pairwise judge", judgeFile, cfg.Name, cfg.Kind)
			}
			if concurrency > 0 {
				cfg.Limits.Concurrency = concurrency
			}
			if env.JudgeCaller == nil {
				return errors.New("this build has no judge endpoint client")
			}
			caller, err := env.JudgeCaller(cfg)
			if err != nil {
				return err
			}
			judge, err := judging.New(cfg, caller, judging.Options{})
			if err != nil {
				return err
			}
			in, _, closeIn, err := openInput(input, cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer closeIn()
			run := &judgePairsRun{judge: judge, workers: cfg.Limits.Concurrency, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr()}
			return run.run(cmd.Context(), in)
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "JSONL input file, or - for stdin")
	cmd.Flags().StringVar(&judgeFile, "judge", "", "judge configuration (JSON)")
	cmd.Flags().IntVar(&concurrency, "concurrency", 0, "requests in flight (default: the judge's limits.concurrency)")
	return cmd
}

// readJudgeConfig reads and validates a judge file; its field errors make a usage
// error listing each field.
func readJudgeConfig(path string) (judging.Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return judging.Config{}, err
	}
	cfg, err := judging.DecodeConfig(b)
	if err != nil {
		var lines []string
		for _, f := range domain.Fields(err) {
			lines = append(lines, "  "+f.Error())
		}
		if len(lines) == 0 {
			return judging.Config{}, usageError("%s: %v", path, err)
		}
		return judging.Config{}, usageError("%s: invalid judge configuration:\n%s", path, strings.Join(lines, "\n"))
	}
	return cfg, nil
}

type judgePairsRun struct {
	judge   *judging.Judge
	workers int
	out     io.Writer
	errOut  io.Writer
}

// judgeItem is one input line on its way through the pipeline.
type judgeItem struct {
	idx    int
	lineNo int
	bad    error // a line that could not be read: reported, not judged
	id     json.RawMessage
	pair   judging.Pair
	result judging.PairResult
	err    error
}

// run reads lines, judges them with r.workers goroutines and writes the results in
// input order. At most a window of lines is in flight, so memory stays flat.
func (r *judgePairsRun) run(ctx context.Context, in io.Reader) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	window := make(chan struct{}, 4*r.workers)
	queue := make(chan *judgeItem)
	done := make(chan *judgeItem, 4*r.workers)
	var readErr error
	go func() {
		defer close(queue)
		readErr = r.read(ctx, in, window, queue, done)
	}()
	var wg sync.WaitGroup
	for w := 0; w < r.workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for it := range queue {
				it.result, it.err = r.judge.Pair(ctx, it.pair)
				var ee *judging.EndpointError
				if errors.As(it.err, &ee) && !ee.Retryable {
					cancel(it.err) // the endpoint refuses: every other request would fail alike
				}
				done <- it
			}
		}()
	}
	go func() {
		wg.Wait()
		close(done)
	}()

	start := time.Now()
	enc := json.NewEncoder(r.out)
	enc.SetEscapeHTML(false)
	pending := map[int]*judgeItem{}
	next := 0
	var lines, bad, failed, unparsed, verdicts, identical, tokens int
	var cost float64
	var writeErr error
	for it := range done {
		pending[it.idx] = it
		for {
			cur, ok := pending[next]
			if !ok {
				break
			}
			delete(pending, next)
			next++
			<-window
			lines++
			if cur.bad != nil {
				bad++
				fmt.Fprintf(r.errOut, "line %d: %v\n", cur.lineNo, cur.bad)
				continue
			}
			if context.Cause(ctx) != nil && cur.err != nil {
				failed++
				continue // stopped: the cause is reported once below
			}
			outLine := judgePairJSON{ID: cur.id, Preference: cur.result.Preference, Identical: cur.result.Identical,
				ParseError: cur.result.ParseError, Calls: []judgeCallJSON{}}
			switch {
			case cur.err != nil:
				failed++
				outLine.Error = cur.err.Error()
			case cur.result.Preference == nil:
				unparsed++
			default:
				verdicts++
				if cur.result.Identical {
					identical++
				}
			}
			for _, c := range cur.result.Calls {
				tokens += c.Reply.InputTokens + c.Reply.OutputTokens
				cost += c.Cost
				outLine.Calls = append(outLine.Calls, judgeCallJSON{
					Order: c.Order, RequestHash: c.RequestHash, Verdict: c.Verdict, ParseError: c.ParseError,
					Content: c.Reply.Content, FinishReason: c.Reply.FinishReason, SystemFingerprint: c.Reply.SystemFingerprint,
					InputTokens: c.Reply.InputTokens, OutputTokens: c.Reply.OutputTokens, Attempts: c.Reply.Attempts,
					LatencyMS: float64(c.Reply.Latency.Microseconds()) / 1000, Cost: c.Cost,
				})
			}
			if err := enc.Encode(outLine); err != nil && writeErr == nil {
				writeErr = err
				cancel(err)
			}
		}
	}
	if writeErr != nil {
		return writeErr
	}
	if cause := context.Cause(ctx); cause != nil {
		return fmt.Errorf("stopped after %d of the lines read: %w", lines-failed, cause)
	}
	if readErr != nil {
		return readErr
	}
	fmt.Fprintf(r.errOut, "%d lines in %s: %d verdicts (%d identical, no call), %d unparsable replies, %d failed, %d bad lines; %d tokens, cost %.6f\n",
		lines, time.Since(start).Round(time.Millisecond), verdicts, identical, unparsed, failed, bad, tokens, cost)
	if failed > 0 || bad > 0 {
		return silentExit(1)
	}
	return nil
}

// read parses input lines and hands them on: good ones to the workers, bad ones
// straight to the writer, each after taking a place in the window.
func (r *judgePairsRun) read(ctx context.Context, in io.Reader, window chan struct{}, queue, done chan<- *judgeItem) error {
	br := bufio.NewReaderSize(in, 1<<20)
	idx, lineNo := 0, 0
	for {
		line, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			lineNo++
			it := &judgeItem{idx: idx, lineNo: lineNo}
			idx++
			it.id, it.pair, it.bad = parseJudgePairLine(line)
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			dst := queue
			if it.bad != nil {
				dst = done
			}
			select {
			case dst <- it:
			case <-ctx.Done():
				return nil
			}
		} else if err == nil {
			lineNo++
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func parseJudgePairLine(line []byte) (json.RawMessage, judging.Pair, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	var l judgePairLine
	if err := dec.Decode(&l); err != nil {
		return nil, judging.Pair{}, fmt.Errorf("want a JSON object {\"id\", \"instruction\", \"output_1\", \"output_2\"}: %v", err)
	}
	switch {
	case len(l.ID) == 0 || string(l.ID) == "null":
		return nil, judging.Pair{}, errors.New("id is required")
	case l.Output1 == nil:
		return l.ID, judging.Pair{}, errors.New("output_1 is required")
	case l.Output2 == nil:
		return l.ID, judging.Pair{}, errors.New("output_2 is required")
	}
	// The instruction seeds order "random", as AlpacaEval seeds it.
	return l.ID, judging.Pair{Key: l.Instruction, Instruction: l.Instruction, Output1: *l.Output1, Output2: *l.Output2}, nil
}
