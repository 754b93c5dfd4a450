package domain

import (
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"math/big"
	"strings"
	"time"
)

// Scope is a permission an API key carries. Scopes nest: admin includes write, and
// write includes read.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"
	ScopeWrite Scope = "write"
	ScopeAdmin Scope = "admin"
)

func (s Scope) level() int {
	switch s {
	case ScopeRead:
		return 1
	case ScopeWrite:
		return 2
	case ScopeAdmin:
		return 3
	}
	return 0
}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s.level() > 0 }

// APIKey is a stored credential. The secret itself is never stored: only its SHA-256
// and a short display prefix that lets people tell keys apart.
type APIKey struct {
	ID         ID
	Name       string
	Prefix     string
	Hash       [32]byte
	Scopes     []Scope
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
	RevokedAt  *time.Time
}

// Allows reports whether the key grants need.
func (k APIKey) Allows(need Scope) bool {
	for _, s := range k.Scopes {
		if s.level() >= need.level() {
			return true
		}
	}
	return false
}

// Usable reports whether the key is neither revoked nor expired at now.
func (k APIKey) Usable(now time.Time) bool {
	if k.RevokedAt != nil {
		return false
	}
	return k.ExpiresAt == nil || now.Before(*k.ExpiresAt)
}

// API key token format, in the manner of GitHub's: a type prefix that leak scanners
// can match, 32 base62 characters of randomness (about 190 bits), and a 6-character
// base62 CRC-32 checksum of the random part, so that a mistyped or truncated key is
// refused without touching the database:
//
//	rlhf_<32 random base62><6 checksum base62>
const (
	KeyTypePrefix   = "rlhf_"
	keyRandomLen    = 32
	keyChecksumLen  = 6
	keyLen          = len(KeyTypePrefix) + keyRandomLen + keyChecksumLen
	keyDisplayChars = 8
	base62          = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// NewKeyToken draws a fresh key from rnd (crypto/rand.Reader in production).
func NewKeyToken(rnd io.Reader) (string, error) {
	var b strings.Builder
	b.Grow(keyLen)
	b.WriteString(KeyTypePrefix)
	buf := make([]byte, 64)
	random := make([]byte, 0, keyRandomLen)
	for len(random) < keyRandomLen {
		if _, err := io.ReadFull(rnd, buf); err != nil {
			return "", fmt.Errorf("draw key randomness: %w", err)
		}
		for _, c := range buf {
			// Rejection sampling keeps the alphabet uniform: 248 = 4*62.
			if c < 248 && len(random) < keyRandomLen {
				random = append(random, base62[c%62])
			}
		}
	}
	b.Write(random)
	b.WriteString(keyChecksum(string(random)))
	return b.String(), nil
}

func keyChecksum(random string) string {
	n := new(big.Int).SetUint64(uint64(crc32.ChecksumIEEE([]byte(random))))
	s := n.Text(62)
	// big.Int's base-62 alphabet is 0-9a-zA-Z; ours puts upper case first. Map it.
	out := make([]byte, keyChecksumLen)
	for i := range out {
		out[i] = '0'
	}
	for i := 0; i < len(s); i++ {
		out[keyChecksumLen-len(s)+i] = base62[strings.IndexByte("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", s[i])]
	}
	return string(out)
}

// CheckKeyToken verifies a token's shape and checksum. It needs no database, so
// garbage is turned away cheaply.
func CheckKeyToken(token string) error {
	if len(token) != keyLen || !strings.HasPrefix(token, KeyTypePrefix) {
		return fmt.Errorf("%w: not an rlhf-eval API key", ErrUnauthenticated)
	}
	body := token[len(KeyTypePrefix):]
	for i := 0; i < len(body); i++ {
		if strings.IndexByte(base62, body[i]) < 0 {
			return fmt.Errorf("%w: not an rlhf-eval API key", ErrUnauthenticated)
		}
	}
	random, sum := body[:keyRandomLen], body[keyRandomLen:]
	if keyChecksum(random) != sum {
		return fmt.Errorf("%w: API key checksum does not match (mistyped or truncated?)", ErrUnauthenticated)
	}
	return nil
}

// HashKeyToken returns the SHA-256 of a token, which is what is stored.
func HashKeyToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// KeyDisplayPrefix returns the part of a token shown in listings: the type prefix and
// the first characters of the random part.
func KeyDisplayPrefix(token string) string {
	if len(token) < len(KeyTypePrefix)+keyDisplayChars {
		return token
	}
	return token[:len(KeyTypePrefix)+keyDisplayChars]
}
