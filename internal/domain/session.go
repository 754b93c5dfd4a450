package domain

import "time"

// Session is a signed-in dashboard session. It acts with its API key's scopes and
// lasts until ExpiresAt, or until the key is revoked or expires, whichever comes
// first. Only the SHA-256 of its token is stored.
type Session struct {
	TokenHash [32]byte
	APIKeyID  ID
	// CSRF is the token every form that changes data must send back.
	CSRF      string
	CreatedAt time.Time
	ExpiresAt time.Time
}
