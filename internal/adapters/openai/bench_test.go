package openai_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
)

// The endpoint answers in benchLatency and the judge keeps benchConcurrency
// requests in flight, so no client can do better than benchConcurrency ÷
// benchLatency judgments a second (3,200/s).
const (
	benchLatency     = 20 * time.Millisecond
	benchConcurrency = 64
)

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchCompletion is a chat completion as OpenAI sends it for a one-token answer
// with top_logprobs.
const benchCompletion = `{"id":"chatcmpl-bench","object":"chat.completion","created":1764720000,"model":"bench",` +
	`"choices":[{"index":0,"message":{"role":"assistant","content":"A","refusal":null,"annotations":[]},` +
	`"logprobs":{"content":[{"token":"A","logprob":-0.4,"bytes":[65],"top_logprobs":[{"token":"A","logprob":-0.4,"bytes":[65]},` +
	`{"token":"B","logprob":-1.1,"bytes":[66]},{"token":"The","logprob":-6,"bytes":[84,104,101]}]}],"refusal":null},` +
	`"finish_reason":"length"}],"usage":{"prompt_tokens":700,"completion_tokens":1,"total_tokens":701,` +
	`"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,` +
	`"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_bench"}`

// benchServer answers every chat request after benchLatency with
// benchCompletion. It reads but does not decode the request, so that the
// process's CPU is the client's (openaitest, which checks each request, is for
// correctness, not for measuring). conns counts the connections opened to it.
func benchServer(b *testing.B) (url string, conns *atomic.Int64) {
	body := []byte(benchCompletion)
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(benchLatency)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	conns = new(atomic.Int64)
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			conns.Add(1)
		}
	}
	s.Start()
	b.Cleanup(s.Close)
	return s.URL + "/v1", conns
}

// runParallel calls fn(i) for i in [0, n) from benchConcurrency goroutines and
// reports the rate against the endpoint's bound, the process CPU per call and
// the connections opened to the endpoint (at most benchConcurrency when the
// client keeps its connections alive).
func runParallel(b *testing.B, conns *atomic.Int64, fn func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	for w := 0; w < benchConcurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := fn(i); err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(t0), cpuTime()-cpu0
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d of %d calls failed", failed.Load(), b.N)
	}
	rate := float64(b.N) / elapsed.Seconds()
	bound := benchConcurrency / benchLatency.Seconds()
	b.ReportMetric(rate, "judgments/s")
	b.ReportMetric(rate/bound, "of-bound")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	b.ReportMetric(float64(conns.Load()), "conns")
}

// BenchmarkPairwiseJudge measures pairwise judgments (order random, logprobs
// parser, the shipped template) against a fake endpoint that answers in 20 ms,
// at concurrency 64, beside plain HTTP requests to the same endpoint at the same
// concurrency as the baseline. Goal: judgments/s ≥ 0.8 of the bound. For the
// size the issue names: go test -run '^$' -bench PairwiseJudge -benchtime 20000x
// ./internal/adapters/openai
func BenchmarkPairwiseJudge(b *testing.B) {
	b.Run("baseline=raw-http", func(b *testing.B) {
		base, conns := benchServer(b)
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 512}}
		body := `{"model": "bench", "messages": [{"role": "user", "content": "x"}], "max_tokens": 1, "logprobs": true, "top_logprobs": 5}`
		runParallel(b, conns, func(int) error {
			resp, err := client.Post(base+"/chat/completions", "application/json", strings.NewReader(body))
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			_, err = io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			return err
		})
	})
	b.Run("judge", func(b *testing.B) {
		base, conns := benchServer(b)
		cfg, err := judging.DecodeConfig([]byte(fmt.Sprintf(`{"name": "bench", "kind": "pairwise", "order": "random",
			"endpoint": {"base_url": %q, "model": "bench"}, "parser": {"type": "logprobs"},
			"limits": {"concurrency": %d}}`, base, benchConcurrency)))
		if err != nil {
			b.Fatal(err)
		}
		caller, err := openai.NewCallers(func(string) string { return "" }, nil).For("bench", cfg)
		if err != nil {
			b.Fatal(err)
		}
		judge, err := judging.New(cfg, caller, judging.Options{})
		if err != nil {
			b.Fatal(err)
		}
		out1 := strings.Repeat("The first answer explains the idea in some detail. ", 20)
		out2 := strings.Repeat("The second answer is shorter. ", 12)
		runParallel(b, conns, func(i int) error {
			res, err := judge.Pair(context.Background(), judging.Pair{Key: fmt.Sprint(i), Instruction: fmt.Sprintf("Question %d: why?", i),
				Output1: out1, Output2: out2})
			if err != nil {
				return err
			}
			if res.Preference == nil || math.IsNaN(*res.Preference) {
				return fmt.Errorf("no preference: %s", res.ParseError)
			}
			return nil
		})
	})
}
