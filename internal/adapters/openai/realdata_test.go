package openai_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
)

// The real-data check reads AlpacaEval's annotations, which are never committed.
// By default it looks in RLHF_REAL_DATA or ../../../../shared/data and checks a
// quick subset of the files; make check-data checks them all:
//
//	go test ./internal/adapters/openai -run RealData -v -args -data /path/to/data -data-all
var (
	dataDir = flag.String("data", defaultDataDir(), "directory with alpaca_eval/ for the real-data check")
	dataAll = flag.Bool("data-all", false, "check every AlpacaEval annotations file, not a quick subset")
)

func defaultDataDir() string {
	if d := os.Getenv("RLHF_REAL_DATA"); d != "" {
		return d
	}
	return filepath.Join("..", "..", "..", "..", "shared", "data")
}

// quickAlpacaFiles: the adversarial NullModel, and two ordinary models.
var quickAlpacaFiles = []string{"NullModel", "claude-2.1", "alpaca-7b"}

// rawCompletion is the part of a recorded judge reply the fake endpoint serves.
type rawCompletion struct {
	FinishReason string `json:"finish_reason"`
	Message      struct {
		Content string `json:"content"`
	} `json:"message"`
	Logprobs struct {
		Content []struct {
			Token       string  `json:"token"`
			Logprob     float64 `json:"logprob"`
			TopLogprobs []struct {
				Token   string  `json:"token"`
				Logprob float64 `json:"logprob"`
			} `json:"top_logprobs"`
		} `json:"content"`
	} `json:"logprobs"`
	TotalTokens float64 `json:"total_tokens"`
}

// reply turns the recording into the fake's answer; mirrored exchanges the
// tokens m and M, which is the recorded judge's answer to the swapped order if
// the judge has no position bias.
func (rc rawCompletion) reply(mirrored bool) openaitest.Reply {
	swap := func(tok string) string {
		if !mirrored {
			return tok
		}
		switch tok {
		case "m":
			return "M"
		case "M":
			return "m"
		}
		return tok
	}
	r := openaitest.Reply{Content: swap(rc.Message.Content), FinishReason: rc.FinishReason,
		PromptTokens: int(rc.TotalTokens) - 1, CompletionTokens: 1}
	for _, t := range rc.Logprobs.Content {
		tok := openaitest.Token{Token: swap(t.Token), Logprob: t.Logprob}
		for _, c := range t.TopLogprobs {
			tok.TopLogprobs = append(tok.TopLogprobs, openaitest.Candidate{Token: swap(c.Token), Logprob: c.Logprob})
		}
		r.Tokens = append(r.Tokens, tok)
	}
	return r
}

// pFirst is P(m) among {m, M} in the recording's first-token top logprobs.
func (rc rawCompletion) pFirst() float64 {
	lp := map[string]float64{"m": math.Inf(-1), "M": math.Inf(-1)}
	for _, c := range rc.Logprobs.Content[0].TopLogprobs {
		if _, ok := lp[c.Token]; ok {
			lp[c.Token] = c.Logprob
		}
	}
	return math.Exp(lp["m"]) / (math.Exp(lp["m"]) + math.Exp(lp["M"]))
}

var alpacaPlaceholder = regexp.MustCompile(`{([^ \s]+?)}`)

// alpacaMessages builds the messages AlpacaEval sends for a template, written
// here independently of the judging package: each placeholder, in order of first
// appearance, replaces its first occurrence in the text so far; the prompt is
// then trimmed and split at <|im_start|> into role (first line) and content (up
// to <|im_end|>, trimmed).
func alpacaMessages(template string, values map[string]string) []domain.Message {
	p := template
	seen := map[string]bool{}
	for _, m := range alpacaPlaceholder.FindAllStringSubmatch(template, -1) {
		if seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		p = strings.Replace(p, "{"+m[1]+"}", values[m[1]], 1)
	}
	p = strings.TrimSpace(p)
	var out []domain.Message
	for _, part := range strings.Split(p, "<|im_start|>")[1:] {
		role, rest, _ := strings.Cut(part, "\n")
		content, _, _ := strings.Cut(rest, "<|im_end|>")
		out = append(out, domain.Message{Role: strings.TrimSpace(role), Content: strings.TrimSpace(content)})
	}
	return out
}

func messagesKey(msgs []domain.Message) string {
	b, _ := json.Marshal(msgs)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func realDataDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(*dataDir, "alpaca_eval"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("real data not found at %s, so the AlpacaEval reproduction was not run (pass -args -data DIR or set RLHF_REAL_DATA): %v", dir, err)
	}
	return dir
}

// TestRealDataAlpacaEvalJudge replays AlpacaEval's recorded judge replies from a
// fake endpoint that answers only requests whose messages are exactly what
// AlpacaEval sends for its weighted GPT-4-Turbo template, and checks that a judge
// configured with that template file and the logprobs parser reproduces every
// recorded preference and each model's published win rate (leaderboard.csv), to
// 1e-6, in orders random and both, with 429s and 500s injected.
func TestRealDataAlpacaEvalJudge(t *testing.T) {
	t.Parallel()
	dir := realDataDir(t)
	tmplBytes, err := os.ReadFile(filepath.Join(dir, "judges", "alpaca_eval_clf.txt"))
	if err != nil {
		t.Fatal(err)
	}
	yaml, err := os.ReadFile(filepath.Join(dir, "judges", "weighted_alpaca_eval_gpt4_turbo.configs.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The judge below mirrors the evaluator's configuration; fail if it changed.
	for _, want := range []string{`model_name: "gpt-4-1106-preview"`, "max_tokens: 1", "temperature: 1", "top_logprobs: 5",
		`fn_completion_parser: "logprob_parser"`, `numerator_token: "m"`, `denominator_tokens: ["m", "M"]`, "is_binarize: false"} {
		if !strings.Contains(string(yaml), want) {
			t.Fatalf("the evaluator configuration no longer says %s", want)
		}
	}
	template := string(tmplBytes)
	board, err := realdata.AlpacaLeaderboard(filepath.Join(dir, "leaderboard.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.annotations.json.gz"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no annotation files in %s (%v)", dir, err)
	}
	sort.Strings(files)
	if !*dataAll {
		files = slices.DeleteFunc(files, func(f string) bool {
			return !slices.Contains(quickAlpacaFiles, strings.TrimSuffix(filepath.Base(f), ".annotations.json.gz"))
		})
		t.Logf("checking %d of the AlpacaEval files; -data-all (make check-data) checks them all", len(files))
	}

	// The fake endpoint: recorded replies keyed by the exact messages of each order.
	var mu sync.Mutex
	replies := map[string]openaitest.Reply{}
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-replay", Fingerprint: "fp_a24b4d720c",
		Chat: openaitest.Flaky(7, "1", func(req openaitest.Request) openaitest.Reply {
			mu.Lock()
			r, ok := replies[messagesKey(req.Messages)]
			mu.Unlock()
			if !ok {
				return openaitest.Reply{Status: 400, ErrorMessage: "no recorded reply for these messages"}
			}
			return r
		})})
	callers := openai.NewCallers(env(map[string]string{"REPLAY_KEY": "sk-replay"}), nil).WithBackoff(time.Millisecond, 10*time.Millisecond)

	checked := 0
	for _, path := range files {
		stem := strings.TrimSuffix(filepath.Base(path), ".annotations.json.gz")
		rows, err := realdata.AlpacaAnnotations(path)
		if err != nil {
			t.Fatal(err)
		}
		recorded := 0
		for i, r := range rows {
			if r.Output1 == r.Output2 {
				continue
			}
			if len(r.RawCompletion) == 0 || string(r.RawCompletion) == "null" || r.Preference == nil {
				recorded = -1
				break
			}
			var rc rawCompletion
			if err := json.Unmarshal(r.RawCompletion, &rc); err != nil || len(rc.Logprobs.Content) == 0 {
				t.Fatalf("%s row %d: raw_completion: %v", stem, i, err)
			}
			// Which order the judge saw: AlpacaEval's preference is 2 − P(m) as
			// shown, and 3 minus that when it had swapped the outputs.
			pm := rc.pFirst()
			as12, as21 := 2-pm, 1+pm
			order12 := math.Abs(as12-*r.Preference) <= math.Abs(as21-*r.Preference)
			if d := math.Min(math.Abs(as12-*r.Preference), math.Abs(as21-*r.Preference)); d > 1e-6 {
				t.Errorf("%s row %d: the recording (P(m) = %v) does not give the recorded preference %v", stem, i, pm, *r.Preference)
			}
			values := map[string]string{"instruction": r.Instruction, "output_1": r.Output1, "output_2": r.Output2}
			swapped := map[string]string{"instruction": r.Instruction, "output_1": r.Output2, "output_2": r.Output1}
			shown, other := values, swapped
			if !order12 {
				shown, other = swapped, values
			}
			mu.Lock()
			replies[messagesKey(alpacaMessages(template, shown))] = rc.reply(false)
			replies[messagesKey(alpacaMessages(template, other))] = rc.reply(true)
			mu.Unlock()
			recorded++
		}
		if recorded < 0 {
			t.Logf("%s: rows without a recorded judge reply (annotated another way); not replayable", stem)
			continue
		}
		want, inBoard := board[stem]
		for _, order := range []string{judging.OrderRandom, judging.OrderBoth} {
			cfgJSON, _ := json.Marshal(map[string]any{
				"name": "weighted_alpaca_eval_gpt4_turbo", "kind": "pairwise", "order": order,
				"endpoint": map[string]any{"base_url": srv.BaseURL(), "model": "gpt-4-1106-preview", "api_key_env": "REPLAY_KEY"},
				"template": template,
				"parser":   map[string]any{"type": "logprobs", "first": "m", "second": "M"},
				"params":   map[string]any{"max_tokens": 1, "temperature": 1, "top_logprobs": 5},
				"price":    map[string]any{"input_per_million": 10, "output_per_million": 30},
				"limits":   map[string]any{"concurrency": 16, "max_attempts": 6},
			})
			cfg, err := judging.DecodeConfig(cfgJSON)
			if err != nil {
				t.Fatal(err)
			}
			caller, err := callers.For(cfg.Name, cfg)
			if err != nil {
				t.Fatal(err)
			}
			judge, err := judging.New(cfg, caller, judging.Options{})
			if err != nil {
				t.Fatal(err)
			}
			prefs, stats := judgeAll(t, judge, rows)
			sum := 0.0
			for i, r := range rows {
				if prefs[i] == nil {
					t.Fatalf("%s %s row %d: no preference", stem, order, i)
				}
				if math.Abs(*prefs[i]-(*r.Preference-1)) > 1e-6 {
					t.Errorf("%s %s row %d: preference %.10f, recorded %.10f", stem, order, i, *prefs[i], *r.Preference-1)
				}
				sum += *prefs[i]
			}
			wr := 100 * sum / float64(len(rows))
			if stats.calls > 0 && stats.retried == 0 {
				t.Errorf("%s %s: no 429 or 500 was retried", stem, order)
			}
			t.Logf("%s (%s) order %s: %d rows, %d identical, %d calls (%d shown swapped), %d retried attempts; win rate %.9f",
				stem, r0gen(rows), order, len(rows), stats.identical, stats.calls, stats.swapped, stats.retried, wr)
			if !inBoard {
				// Each row's preference was checked; there is no published rate.
				t.Logf("%s: no row in leaderboard.csv", stem)
				continue
			}
			if stats.calls == 0 {
				// The baseline against itself: every pair a tie, 50 by definition.
				t.Logf("%s: every pair identical; leaderboard.csv says %v", stem, want)
				continue
			}
			t.Logf("%s order %s: leaderboard.csv %.9f, |diff| %.2g", stem, order, want, math.Abs(wr-want))
			if math.Abs(wr-want) > 1e-6 {
				t.Errorf("%s order %s: win rate %.9f, leaderboard.csv %.9f", stem, order, wr, want)
			}
			checked++
		}
	}
	if checked == 0 {
		t.Error("no file was replayed")
	}
}

func r0gen(rows []realdata.AlpacaAnnotation) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[0].Generator2
}

type replayStats struct{ identical, calls, swapped, retried int }

// judgeAll judges every row with 16 workers and returns the preferences in row
// order.
func judgeAll(t *testing.T, judge *judging.Judge, rows []realdata.AlpacaAnnotation) ([]*float64, replayStats) {
	t.Helper()
	prefs := make([]*float64, len(rows))
	results := make([]judging.PairResult, len(rows))
	idx := make(chan int)
	var wg sync.WaitGroup
	var once sync.Once
	for w := 0; w < 16; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range idx {
				r := rows[i]
				res, err := judge.Pair(context.Background(), judging.Pair{Key: r.Instruction, Instruction: r.Instruction, Output1: r.Output1, Output2: r.Output2})
				if err != nil {
					once.Do(func() { t.Errorf("row %d: %v", i, err) })
					continue
				}
				if res.ParseError != "" {
					once.Do(func() { t.Errorf("row %d: parse error %s", i, res.ParseError) })
				}
				results[i], prefs[i] = res, res.Preference
			}
		}()
	}
	for i := range rows {
		idx <- i
	}
	close(idx)
	wg.Wait()
	var st replayStats
	for _, res := range results {
		if res.Identical {
			st.identical++
		}
		for _, c := range res.Calls {
			st.calls++
			st.retried += c.Reply.Attempts - 1
			if c.Order == judging.Shown21 {
				st.swapped++
			}
		}
	}
	return prefs, st
}
