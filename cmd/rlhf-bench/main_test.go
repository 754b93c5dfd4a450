package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

func TestMedian(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		xs   []float64
		want float64
	}{
		{"odd count: the middle value", []float64{3, 1, 2}, 2},
		{"even count: mean of the two middle values (2+3)/2", []float64{4, 1, 3, 2}, 2.5},
		{"one value", []float64{7}, 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := median(tt.xs); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.xs, got, tt.want)
			}
		})
	}
	if got := median(nil); !math.IsNaN(got) {
		t.Errorf("median(nil) = %v, want NaN", got)
	}
}

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(n int) []time.Duration {
		var d []time.Duration
		for i := 1; i <= n; i++ {
			d = append(d, time.Duration(i)*time.Millisecond)
		}
		return d
	}
	// Nearest rank: the value at 1-based rank ceil(p·n).
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"p50 of 1..10 ms is rank ceil(5) = 5", ms(10), 0.5, 5 * time.Millisecond},
		{"p99 of 1..10 ms is rank ceil(9.9) = 10", ms(10), 0.99, 10 * time.Millisecond},
		{"p99 of 1..100 ms is rank ceil(99) = 99", ms(100), 0.99, 99 * time.Millisecond},
		{"p10 of 1..10 ms is rank ceil(1) = 1", ms(10), 0.1, time.Millisecond},
		{"nothing measured", nil, 0.5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGroupThousands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		n    int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {1234567, "1,234,567"}, {-45000, "-45,000"},
	}
	for _, tt := range tests {
		if got := groupThousands(tt.n); got != tt.want {
			t.Errorf("groupThousands(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

// TestTextGen checks the generated data against what the benchmark promises: sizes,
// and refusals and personal data that the real scorers find exactly where the
// generator put them.
func TestTextGen(t *testing.T) {
	t.Parallel()
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	set, err := reg.Build(benchScorers())
	if err != nil {
		t.Fatal(err)
	}
	g := newTextGen(42)
	const n = 2000
	var items []scoring.Item
	var refused, leaks []bool
	var promptBytes, responseBytes int
	for range n {
		topic := g.pick(topics)
		p := g.prompt(topic)
		r, ref, leak := g.response(topic)
		items = append(items, scoring.Item{Prompt: p, Response: r})
		refused, leaks = append(refused, ref), append(leaks, leak)
		promptBytes += len(p)
		responseBytes += len(r)
	}
	if mean := promptBytes / n; mean < 250 || mean > 350 {
		t.Errorf("mean prompt = %d bytes, want about 300", mean)
	}
	if mean := responseBytes / n; mean < 1300 || mean > 1700 {
		t.Errorf("mean response = %d bytes, want about 1500", mean)
	}
	outcomes, err := set.ScoreBatch(context.Background(), items)
	if err != nil {
		t.Fatal(err)
	}
	var nRefused, nLeaks int
	for i, o := range outcomes {
		// benchScorers lists length, refusal, pii in that order.
		if got := o[1].Result.Value == 1; got != refused[i] {
			t.Errorf("response %d: refusal scorer says %v, generator says %v:\n%s", i, got, refused[i], items[i].Response)
		}
		if got := o[2].Result.Value > 0; got != leaks[i] {
			t.Errorf("response %d: pii scorer says %v, generator says %v:\n%s", i, got, leaks[i], items[i].Response)
		}
		if refused[i] {
			nRefused++
		}
		if leaks[i] {
			nLeaks++
		}
	}
	// 6% and 4% of 2000; a binomial standard deviation is about 11 and 9.
	if nRefused < 70 || nRefused > 170 || nLeaks < 40 || nLeaks > 120 {
		t.Errorf("%d refusals and %d responses with personal data in %d, want about 120 and 80", nRefused, nLeaks, n)
	}
	a, _, _ := newTextGen(7).response("chess openings")
	b, _, _ := newTextGen(7).response("chess openings")
	if a != b {
		t.Errorf("the same seed gave different text")
	}
}

// TestQuickRun runs the whole harness at toy sizes against the test server, so the
// benchmark cannot rot between full runs. The full run is `make bench`.
func TestQuickRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service")
	}
	url := os.Getenv("RLHF_TEST_DATABASE_URL")
	if url == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("RLHF_TEST_DATABASE_URL is not set (CI=true: database tests must not be skipped)")
		}
		t.Skip("RLHF_TEST_DATABASE_URL is not set")
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--quick", "--database-url", url, "--ingest-rows", "400", "--batch", "200", "--concurrency", "1,16",
		"--duration", "200ms", "--warmup", "50ms", "--responses", "2000", "--comparisons", "2000", "--models", "5"}
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"| 1 ingest |", "c=16 p99", "c=16 p99 against the database's floor", "c=16 requests/s against the database's floor",
		"c=16: ", "requests per write transaction", "GET …/summary", "deep keyset page", "leaderboard?method=bt&bootstrap=100"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table has no %q row:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "dropped database rlhf_bench_") {
		t.Errorf("the benchmark database was not dropped:\n%s", stderr.String())
	}
}
