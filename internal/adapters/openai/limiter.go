package openai

import (
	"context"
	"sync"
	"time"
)

// limiter bounds one key's use of its endpoint across every goroutine of the
// process: at most concurrency requests in flight, requests and tokens per minute
// as token buckets (0: unbounded).
type limiter struct {
	sem      chan struct{}
	requests *bucket
	tokens   *bucket
}

func newLimiter(concurrency, rpm, tpm int) *limiter {
	if concurrency < 1 {
		concurrency = 1
	}
	return &limiter{sem: make(chan struct{}, concurrency), requests: newBucket(rpm), tokens: newBucket(tpm)}
}

// acquire waits for a request slot, one request of the per-minute budget and
// estTokens of the token budget. release must be called once the request ends.
func (l *limiter) acquire(ctx context.Context, estTokens int) error {
	if err := l.requests.wait(ctx, 1); err != nil {
		return err
	}
	if err := l.tokens.wait(ctx, float64(estTokens)); err != nil {
		return err
	}
	select {
	case l.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *limiter) release() { <-l.sem }

// settle charges the token budget for what a request really used beyond (or
// below) its estimate.
func (l *limiter) settle(estTokens, usedTokens int) {
	l.tokens.charge(float64(usedTokens - estTokens))
}

// bucket is a token bucket holding up to perMinute tokens, refilled evenly.
// A wait takes its tokens at once and sleeps until the balance it left is paid
// back, so waiters are served in arrival order and never starve.
type bucket struct {
	mu       sync.Mutex
	perSec   float64
	capacity float64
	balance  float64
	last     time.Time
}

func newBucket(perMinute int) *bucket {
	if perMinute <= 0 {
		return nil
	}
	return &bucket{perSec: float64(perMinute) / 60, capacity: float64(perMinute), balance: float64(perMinute), last: time.Now()}
}

func (b *bucket) refill(now time.Time) {
	b.balance = min(b.capacity, b.balance+now.Sub(b.last).Seconds()*b.perSec)
	b.last = now
}

func (b *bucket) wait(ctx context.Context, n float64) error {
	if b == nil || n <= 0 {
		return nil
	}
	n = min(n, b.capacity) // a request larger than a minute's budget waits for a full bucket
	b.mu.Lock()
	b.refill(time.Now())
	b.balance -= n
	var d time.Duration
	if b.balance < 0 {
		d = time.Duration(-b.balance / b.perSec * float64(time.Second))
	}
	b.mu.Unlock()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		b.charge(-n)
		return ctx.Err()
	}
}

// charge takes n more tokens (or gives -n back).
func (b *bucket) charge(n float64) {
	if b == nil || n == 0 {
		return
	}
	b.mu.Lock()
	b.refill(time.Now())
	b.balance = min(b.capacity, b.balance-n)
	b.mu.Unlock()
}
