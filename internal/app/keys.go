package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Keys is the API key use case.
type Keys struct {
	d    Deps
	rand io.Reader
}

// NewKeys returns the API key use case, drawing secrets from crypto/rand.
func NewKeys(d Deps) (*Keys, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return &Keys{d: d, rand: rand.Reader}, nil
}

// KeyInput creates an API key.
type KeyInput struct {
	Name      string
	Scopes    []string
	ExpiresAt *time.Time
}

// Create issues a key. The token is returned once and never stored.
func (u *Keys) Create(ctx context.Context, in KeyInput) (token string, key domain.APIKey, err error) {
	var errs []error
	if in.Name == "" {
		errs = append(errs, domain.Invalid("name", "is required"))
	}
	errs = append(errs, domain.ValidateLabel("name", in.Name, domain.MaxNameLen))
	if len(in.Scopes) == 0 {
		errs = append(errs, domain.Invalid("scopes", "give at least one of read, write, admin"))
	}
	seen := map[domain.Scope]bool{}
	var scopes []domain.Scope
	for i, s := range in.Scopes {
		sc := domain.Scope(s)
		if !sc.Valid() {
			errs = append(errs, domain.Invalid(fmt.Sprintf("scopes[%d]", i), "must be read, write or admin; got %q", s))
			continue
		}
		if !seen[sc] {
			seen[sc] = true
			scopes = append(scopes, sc)
		}
	}
	now := u.d.now()
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		errs = append(errs, domain.Invalid("expires_at", "must be in the future"))
	}
	if err := errors.Join(errs...); err != nil {
		return "", domain.APIKey{}, err
	}
	token, err = domain.NewKeyToken(u.rand)
	if err != nil {
		return "", domain.APIKey{}, err
	}
	key = domain.APIKey{
		ID: u.d.IDs.NewID(), Name: in.Name, Prefix: domain.KeyDisplayPrefix(token), Hash: domain.HashKeyToken(token),
		Scopes: scopes, CreatedAt: now, ExpiresAt: in.ExpiresAt,
	}
	if key.ExpiresAt != nil {
		t := key.ExpiresAt.UTC().Truncate(time.Microsecond)
		key.ExpiresAt = &t
	}
	if err := u.d.Stores.APIKeys.CreateAPIKey(ctx, key); err != nil {
		return "", domain.APIKey{}, err
	}
	return token, key, nil
}

// Authenticate returns the key a token belongs to. A malformed token is refused
// without a database query; an unknown, revoked or expired one is
// domain.ErrUnauthenticated.
func (u *Keys) Authenticate(ctx context.Context, token string) (domain.APIKey, error) {
	if err := domain.CheckKeyToken(token); err != nil {
		return domain.APIKey{}, err
	}
	hash := domain.HashKeyToken(token)
	k, ok := u.d.lookups.key(hash)
	if !ok {
		gen, _ := u.d.lookups.begin()
		var err error
		k, err = u.d.Stores.APIKeys.GetAPIKeyByHash(ctx, hash)
		if errors.Is(err, domain.ErrNotFound) {
			return domain.APIKey{}, fmt.Errorf("%w: unknown API key", domain.ErrUnauthenticated)
		}
		if err != nil {
			return domain.APIKey{}, err
		}
		u.d.lookups.putKey(gen, k)
	}
	// The lookup is by hash already; comparing again in constant time keeps the
	// check itself free of timing differences whatever the index does.
	if subtle.ConstantTimeCompare(k.Hash[:], hash[:]) != 1 {
		return domain.APIKey{}, fmt.Errorf("%w: unknown API key", domain.ErrUnauthenticated)
	}
	now := u.d.Clock.Now()
	switch {
	case k.RevokedAt != nil:
		return domain.APIKey{}, fmt.Errorf("%w: API key %s was revoked", domain.ErrUnauthenticated, k.Prefix)
	case !k.Usable(now):
		return domain.APIKey{}, fmt.Errorf("%w: API key %s has expired", domain.ErrUnauthenticated, k.Prefix)
	}
	// last_used_at is kept to the minute: most requests need no write at all.
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= time.Minute {
		t := now.UTC().Truncate(time.Microsecond)
		if err := u.d.Stores.APIKeys.TouchAPIKey(ctx, k.ID, t); err != nil {
			return domain.APIKey{}, err
		}
		u.d.lookups.touched(hash, t)
	}
	return k, nil
}

// List returns a page of keys (never their secrets).
func (u *Keys) List(ctx context.Context, cursorText string, limit int) (domain.Page[domain.APIKey], error) {
	var page domain.Page[domain.APIKey]
	limit, err := pageLimit(limit)
	if err != nil {
		return page, err
	}
	c, after, err := decodeCursor(cursorText, "keys")
	if err != nil {
		return page, err
	}
	var afterp *domain.ID
	if c != nil {
		afterp = &after
	}
	items, err := u.d.Stores.APIKeys.ListAPIKeys(ctx, afterp, limit+1)
	if err != nil {
		return page, err
	}
	if len(items) > limit {
		items = items[:limit]
		page.Next = encodeCursor("keys", "", items[limit-1].ID)
	}
	page.Items = items
	return page, nil
}

// Revoke revokes a key by id; it stays listed with its revocation time.
func (u *Keys) Revoke(ctx context.Context, ref string) (domain.APIKey, error) {
	id, err := domain.ParseID(ref)
	if err != nil {
		return domain.APIKey{}, domain.Invalid("id", "%v", err)
	}
	err = u.d.Stores.APIKeys.RevokeAPIKey(ctx, id, u.d.now())
	u.d.lookups.Changed()
	if err != nil {
		return domain.APIKey{}, wrapNotFound(err, "API key %s", ref)
	}
	return u.d.Stores.APIKeys.GetAPIKey(ctx, id)
}
