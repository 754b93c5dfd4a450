package porttest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// mustKey stores an API key for the stores keyed by one.
func mustKey(t *testing.T, s ports.APIKeyStore) domain.APIKey {
	t.Helper()
	token, err := domain.NewKeyToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := domain.APIKey{ID: newID(), Name: uniqueName("key"), Prefix: domain.KeyDisplayPrefix(token), Hash: domain.HashKeyToken(token),
		Scopes: []domain.Scope{domain.ScopeWrite}, CreatedAt: now()}
	if err := s.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	return k
}

func testIdempotency(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Idempotency
	k := mustKey(t, h.Stores.APIKeys)
	t0 := now()
	rec := ports.IdempotencyRecord{APIKeyID: k.ID, Key: uniqueName("idem"), Method: "POST", Path: "/v1/evaluations",
		RequestHash: []byte{1, 2, 3}, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}

	claimed, err := s.ClaimIdempotencyKey(ctx, rec)
	if err != nil || !claimed {
		t.Fatalf("first claim = %v, %v; want true", claimed, err)
	}
	if claimed, err := s.ClaimIdempotencyKey(ctx, rec); err != nil || claimed {
		t.Fatalf("second claim of a live key = %v, %v; want false", claimed, err)
	}
	got, err := s.GetIdempotencyKey(ctx, k.ID, rec.Key)
	if err != nil || got.Status != 0 || got.Method != "POST" || got.Path != rec.Path || !bytes.Equal(got.RequestHash, rec.RequestHash) {
		t.Fatalf("in-progress record = %+v, %v", got, err)
	}
	if _, err := s.GetIdempotencyKey(ctx, k.ID, "never-used"); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetIdempotencyKey(unknown) = %v, want ErrNotFound", err)
	}

	// Released while in progress: a retry may claim it again.
	if err := s.ReleaseIdempotencyKey(ctx, k.ID, rec.Key); err != nil {
		t.Fatal(err)
	}
	if claimed, err := s.ClaimIdempotencyKey(ctx, rec); err != nil || !claimed {
		t.Fatalf("claim after release = %v, %v; want true", claimed, err)
	}
	done := rec
	done.Status, done.ContentType, done.Body, done.Location = 201, "application/json", []byte(`{"id":"x"}`), "/v1/evaluations/x"
	if err := s.CompleteIdempotencyKey(ctx, done); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetIdempotencyKey(ctx, k.ID, rec.Key)
	if err != nil || got.Status != 201 || got.ContentType != done.ContentType || !bytes.Equal(got.Body, done.Body) || got.Location != done.Location {
		t.Fatalf("completed record = %+v, %v", got, err)
	}
	// A completed reply is never released: it is replayed until it expires.
	if err := s.ReleaseIdempotencyKey(ctx, k.ID, rec.Key); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetIdempotencyKey(ctx, k.ID, rec.Key); err != nil || got.Status != 201 {
		t.Fatalf("release removed a completed reply: %+v, %v", got, err)
	}
	// Keys are per API key.
	other := mustKey(t, h.Stores.APIKeys)
	theirs := rec
	theirs.APIKeyID = other.ID
	if claimed, err := s.ClaimIdempotencyKey(ctx, theirs); err != nil || !claimed {
		t.Fatalf("another API key's claim of the same key = %v, %v; want true", claimed, err)
	}

	// An expired record is replaced by a new claim, and swept.
	later := rec
	later.CreatedAt, later.ExpiresAt, later.RequestHash = t0.Add(25*time.Hour), t0.Add(49*time.Hour), []byte{9}
	if claimed, err := s.ClaimIdempotencyKey(ctx, later); err != nil || !claimed {
		t.Fatalf("claim of an expired key = %v, %v; want true", claimed, err)
	}
	if got, _ := s.GetIdempotencyKey(ctx, k.ID, rec.Key); got.Status != 0 || !bytes.Equal(got.RequestHash, []byte{9}) {
		t.Fatalf("the expired reply was not replaced: %+v", got)
	}
	n, err := s.DeleteExpiredIdempotencyKeys(ctx, t0.Add(50*time.Hour))
	if err != nil || n < 2 {
		t.Fatalf("DeleteExpiredIdempotencyKeys = %d, %v; want at least the 2 records of this test", n, err)
	}
	if _, err := s.GetIdempotencyKey(ctx, k.ID, rec.Key); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("an expired record survived the sweep: %v", err)
	}
}

func testRateLimits(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.RateLimits
	k := mustKey(t, h.Stores.APIKeys)
	t0 := now()
	// A fresh bucket holds burst tokens: 3 requests pass at once, the 4th waits.
	for i := 0; i < 3; i++ {
		granted, left, err := s.TakeToken(ctx, k.ID, 1, 3, t0)
		if err != nil || !granted {
			t.Fatalf("take %d = %v (%v left), %v; want granted", i, granted, left, err)
		}
	}
	granted, left, err := s.TakeToken(ctx, k.ID, 1, 3, t0)
	if err != nil || granted || left >= 1 {
		t.Fatalf("take from an empty bucket = %v, %v left, %v; want refused", granted, left, err)
	}
	// Refills at rate per second, up to burst.
	granted, _, err = s.TakeToken(ctx, k.ID, 1, 3, t0.Add(1500*time.Millisecond))
	if err != nil || !granted {
		t.Fatalf("take after 1.5 s at 1/s = %v, %v; want granted", granted, err)
	}
	_, left, _ = s.TakeToken(ctx, k.ID, 1, 3, t0.Add(time.Hour))
	if math.Abs(left-2) > 1e-6 {
		t.Errorf("after an hour and one take %v tokens are left, want the burst 3 less 1", left)
	}
	// Concurrent takes of one key never hand out more than the bucket holds.
	k2 := mustKey(t, h.Stores.APIKeys)
	var mu sync.Mutex
	grants := 0
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g, _, err := s.TakeToken(ctx, k2.ID, 0.001, 5, t0)
			if err != nil {
				t.Error(err)
				return
			}
			if g {
				mu.Lock()
				grants++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if grants != 5 {
		t.Errorf("20 concurrent takes from a bucket of 5 granted %d", grants)
	}
}
