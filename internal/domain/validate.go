package domain

import (
	"encoding/json"
	"unicode/utf8"
)

// MaxMetadataBytes bounds the encoded size of a metadata object.
const MaxMetadataBytes = 64 << 10

// ValidateLabel checks a short one-line string (an id, a model or annotator name):
// at most max bytes of UTF-8 without control characters.
func ValidateLabel(field, s string, max int) error {
	switch {
	case len(s) > max:
		return Invalid(field, "must be at most %d bytes", max)
	case !utf8.ValidString(s):
		return Invalid(field, "is not valid UTF-8")
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return Invalid(field, "must not contain control characters")
		}
	}
	return nil
}

// ValidateText checks free text (a prompt, a model output, a rationale): valid
// UTF-8 without NUL characters, which PostgreSQL's text cannot hold.
func ValidateText(field, s string) error {
	if !utf8.ValidString(s) {
		return Invalid(field, "is not valid UTF-8")
	}
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return Invalid(field, "must not contain NUL characters")
		}
	}
	return nil
}

// ValidateMetadata checks that a metadata object encodes as JSON within
// MaxMetadataBytes.
func ValidateMetadata(field string, m map[string]any) error {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return Invalid(field, "cannot be encoded as JSON: %v", err)
	}
	if len(b) > MaxMetadataBytes {
		return Invalid(field, "is %d bytes encoded; at most %d allowed", len(b), MaxMetadataBytes)
	}
	return nil
}
