package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// IdempotencyTTL is how long an Idempotency-Key's reply is kept.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKeyLen bounds an Idempotency-Key header.
const MaxIdempotencyKeyLen = 255

// Errors of the idempotency protocol; the HTTP adapter maps them to 409 and 422.
var (
	// ErrIdempotencyInProgress: a request with this key is still running.
	ErrIdempotencyInProgress = fmt.Errorf("%w: a request with this Idempotency-Key is still in progress; retry later", domain.ErrConflict)
	// ErrIdempotencyMismatch: the key was used with a different request.
	ErrIdempotencyMismatch = errors.New("this Idempotency-Key was used with a different request (method, path or body); use a new key")
)

// Idempotency implements Idempotency-Key with Stripe's semantics: the first
// request's reply is stored and replayed to retries with the same key, method, path
// and body for 24 hours; the same key with a different request is refused; a retry
// while the first is still running is refused. Keys are scoped to the API key.
type Idempotency struct{ d Deps }

// IdempotentRequest identifies a request for the protocol.
type IdempotentRequest struct {
	APIKeyID domain.ID
	Key      string
	Method   string
	Path     string
	Body     []byte
}

// Reply is a stored reply to replay.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
	Location    string
	// Keep stores a server-error reply instead of releasing the key: set when the
	// request's write may have been committed (its COMMIT reply was lost), so a
	// retry must not run it again.
	Keep bool
}

// Begin claims the key for a new request (proceed true), or returns the stored
// reply of the first request (a replay). It fails with ErrIdempotencyInProgress or
// ErrIdempotencyMismatch.
func (u *Idempotency) Begin(ctx context.Context, r IdempotentRequest) (proceed bool, replay Reply, err error) {
	if r.Key == "" || len(r.Key) > MaxIdempotencyKeyLen {
		return false, Reply{}, domain.Invalid("Idempotency-Key", "must be 1 to %d characters", MaxIdempotencyKeyLen)
	}
	sum := sha256.Sum256(r.Body)
	now := u.d.now()
	rec := ports.IdempotencyRecord{
		APIKeyID: r.APIKeyID, Key: r.Key, Method: r.Method, Path: r.Path, RequestHash: sum[:],
		CreatedAt: now, ExpiresAt: now.Add(IdempotencyTTL),
	}
	claimed, err := u.d.Stores.Idempotency.ClaimIdempotencyKey(ctx, rec)
	if err != nil {
		return false, Reply{}, err
	}
	if claimed {
		return true, Reply{}, nil
	}
	got, err := u.d.Stores.Idempotency.GetIdempotencyKey(ctx, r.APIKeyID, r.Key)
	if errors.Is(err, domain.ErrNotFound) {
		// Released between the claim and the read (the first request failed): the
		// client may simply retry.
		return false, Reply{}, ErrIdempotencyInProgress
	}
	if err != nil {
		return false, Reply{}, err
	}
	switch {
	case got.Method != r.Method || got.Path != r.Path || !bytes.Equal(got.RequestHash, sum[:]):
		return false, Reply{}, ErrIdempotencyMismatch
	case got.Status == 0:
		return false, Reply{}, ErrIdempotencyInProgress
	}
	return false, Reply{Status: got.Status, ContentType: got.ContentType, Body: got.Body, Location: got.Location}, nil
}

// Finish stores the reply of a request that Begin let proceed. Server errors (5xx)
// are not stored: the key is released so that a retry runs the request again, as
// nothing was committed by a request that failed that way — unless reply.Keep says
// the outcome is unknown, when the error is stored and replayed, so a retry cannot
// write the batch a second time. (If even that cannot be stored, the key stays in
// progress and retries get 409 until it expires: safe, if unhelpful.)
func (u *Idempotency) Finish(ctx context.Context, r IdempotentRequest, reply Reply) error {
	if reply.Status >= 500 && !reply.Keep {
		return u.d.Stores.Idempotency.ReleaseIdempotencyKey(ctx, r.APIKeyID, r.Key)
	}
	return u.d.Stores.Idempotency.CompleteIdempotencyKey(ctx, ports.IdempotencyRecord{
		APIKeyID: r.APIKeyID, Key: r.Key, Status: reply.Status, ContentType: reply.ContentType, Body: reply.Body, Location: reply.Location,
	})
}

// Sweep deletes expired keys; the server runs it now and then.
func (u *Idempotency) Sweep(ctx context.Context) (int64, error) {
	return u.d.Stores.Idempotency.DeleteExpiredIdempotencyKeys(ctx, u.d.now())
}

// RateLimit is a per-key token bucket shared by every service process.
type RateLimit struct {
	d     Deps
	rate  float64
	burst float64
}

// NewRateLimit returns a limiter of rate requests a second per key with bursts of
// burst; a rate of 0 turns limiting off.
func NewRateLimit(d Deps, rate, burst float64) (*RateLimit, error) {
	if rate < 0 || math.IsNaN(rate) || burst < 0 || math.IsNaN(burst) {
		return nil, errors.New("rate limit: rate and burst must be non-negative")
	}
	if rate > 0 && burst < 1 {
		burst = math.Max(1, rate)
	}
	return &RateLimit{d: d, rate: rate, burst: burst}, nil
}

// Enabled reports whether limiting is on.
func (u *RateLimit) Enabled() bool { return u != nil && u.rate > 0 }

// Allow takes a token for the key, or says how long until one is available.
func (u *RateLimit) Allow(ctx context.Context, apiKeyID domain.ID) (ok bool, retryAfter time.Duration, err error) {
	if !u.Enabled() {
		return true, 0, nil
	}
	granted, left, err := u.d.Stores.RateLimits.TakeToken(ctx, apiKeyID, u.rate, u.burst, u.d.now())
	if err != nil || granted {
		return granted, 0, err
	}
	wait := time.Duration((1 - left) / u.rate * float64(time.Second))
	return false, max(wait, time.Millisecond), nil
}
