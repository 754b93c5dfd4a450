package openai

import (
	"context"
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		h    http.Header
		want time.Duration
	}{
		{"none", http.Header{}, 0},
		{"seconds", http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{"milliseconds win", http.Header{"Retry-After": {"3"}, "Retry-After-Ms": {"250"}}, 250 * time.Millisecond},
		{"http date", http.Header{"Retry-After": {now.Add(7 * time.Second).Format(http.TimeFormat)}}, 7 * time.Second},
		{"past date", http.Header{"Retry-After": {now.Add(-time.Hour).Format(http.TimeFormat)}}, 0},
		{"garbage", http.Header{"Retry-After": {"soon"}}, 0},
	}
	for _, tt := range tests {
		if got := retryAfter(tt.h, now); got != tt.want {
			t.Errorf("%s: retryAfter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBackoffGrowsWithJitterAndCap(t *testing.T) {
	t.Parallel()
	c := &Caller{baseBackoff: 100 * time.Millisecond, maxBackoff: time.Second}
	for n := 1; n <= 8; n++ {
		full := min(100*time.Millisecond<<(n-1), time.Second)
		for i := 0; i < 50; i++ {
			d := c.backoff(n, 0)
			if d < full/2 || d > full {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, full/2, full)
			}
		}
	}
	if d := c.backoff(1, 2*time.Second); d != 2*time.Second {
		t.Errorf("Retry-After 2s gives %v", d)
	}
	if d := c.backoff(1, time.Hour); d != maxRetryAfter {
		t.Errorf("Retry-After 1h gives %v, want the cap %v", d, maxRetryAfter)
	}
}

func TestBucketWaitsForRefill(t *testing.T) {
	b := newBucket(6000) // 100 a second, burst 6000
	ctx := t.Context()
	// A wait that does not sleep returns before it looks at its context, so a
	// cancelled one tells, without a clock, that the full bucket served at once.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	start := time.Now()
	if err := b.wait(cancelled, 6000); err != nil {
		t.Fatalf("a full bucket made the first wait sleep: %v", err)
	}
	if err := b.wait(ctx, 20); err != nil { // 20 tokens at 100/s: 0.2s
		t.Fatal(err)
	}
	if d := time.Since(start); d < 180*time.Millisecond || d > time.Second {
		t.Errorf("waiting for 20 tokens at 100/s took %v", d)
	}
}
