package domain

import (
	"encoding/hex"
	"errors"
)

// ID identifies an entity: a UUID, version 7 for everything the service creates, so
// identifiers sort by creation time.
type ID [16]byte

// ErrBadID reports text that is not a UUID in its canonical 36-character form.
var ErrBadID = errors.New("not a UUID (want the form 0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f)")

// ParseID parses the canonical textual form of a UUID (hex digits, case-insensitive,
// hyphens after digits 8, 12, 16 and 20).
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return id, ErrBadID
	}
	var raw [32]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		raw[n] = s[i]
		n++
	}
	if _, err := hex.Decode(id[:], raw[:]); err != nil {
		return ID{}, ErrBadID
	}
	return id, nil
}

// IsZero reports whether id is the nil UUID.
func (id ID) IsZero() bool { return id == ID{} }

// String returns the canonical lowercase form.
func (id ID) String() string {
	var b [36]byte
	hex.Encode(b[0:8], id[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], id[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], id[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], id[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], id[10:16])
	return string(b[:])
}
