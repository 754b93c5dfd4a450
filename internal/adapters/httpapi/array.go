package httpapi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// arrayScanner splits a JSON array body into its elements in one pass over the
// bytes. encoding/json's Decoder rescans the whitespace it has buffered each time
// it refills its buffer, so a body that arrives in small reads (a gzip stream, a
// slow client) full of whitespace took time quadratic in its size; here every byte
// is examined once and each element is then decoded on its own.
type arrayScanner struct {
	r *bufio.Reader
	// offset counts the bytes read; decoded counts the bytes handed to the strict
	// decoder. Both are at most the body's length (the fuzz target checks it).
	offset, decoded int64
}

func (s *arrayScanner) byte() (byte, error) {
	b, err := s.r.ReadByte()
	if err == nil {
		s.offset++
	}
	return b, err
}

// skipSpace returns the next byte that is not JSON whitespace.
func (s *arrayScanner) skipSpace() (byte, error) {
	for {
		b, err := s.byte()
		if err != nil {
			return 0, err
		}
		switch b {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return b, nil
	}
}

// object reads the rest of an object whose '{' was just read, tracking strings
// and nesting, and returns its bytes; the strict decoder checks its syntax.
func (s *arrayScanner) object(prefix string) ([]byte, error) {
	buf := []byte{'{'}
	depth, inString, escaped := 1, false, false
	for depth > 0 {
		b, err := s.byte()
		if err != nil {
			return nil, s.readFailure(err, prefix)
		}
		buf = append(buf, b)
		if len(buf) > MaxNDJSONLine {
			return nil, badRequest(prefix, "the item is longer than %d bytes", MaxNDJSONLine)
		}
		switch {
		case inString && escaped:
			escaped = false
		case inString && b == '\\':
			escaped = true
		case inString:
			inString = b != '"'
		case b == '"':
			inString = true
		case b == '{' || b == '[':
			depth++
		case b == '}' || b == ']':
			depth--
		}
	}
	return buf, nil
}

func (s *arrayScanner) readFailure(err error, prefix string) error {
	if errors.Is(err, io.EOF) {
		return badRequest(prefix, "malformed JSON: the body ends early")
	}
	return readError(err, "")
}

// decodeArray streams the elements of a JSON array of objects: each element is
// decoded strictly on its own, so memory holds one element at a time and the work
// is linear in the body.
func decodeArray[T any](s *arrayScanner, maxItems int, add func(T) error) error {
	if b, err := s.skipSpace(); err != nil || b != '[' {
		return badRequest("", "the body must be a JSON array")
	}
	for n := 0; ; n++ {
		prefix := fmt.Sprintf("[%d]", n)
		b, err := s.skipSpace()
		if err != nil {
			return s.readFailure(err, prefix)
		}
		if n > 0 {
			switch b {
			case ']':
				return s.end()
			case ',':
			default:
				return badRequest(prefix, "malformed JSON at byte %d of the body: expected ',' or ']' after an item, got %q", s.offset, b)
			}
			if b, err = s.skipSpace(); err != nil {
				return s.readFailure(err, prefix)
			}
		} else if b == ']' {
			return s.end()
		}
		if n >= maxItems {
			return badRequest("", "the batch has more than %d items; split it", maxItems)
		}
		if b != '{' {
			return badRequest(prefix, "expected a JSON object")
		}
		raw, err := s.object(prefix)
		if err != nil {
			return err
		}
		s.decoded += int64(len(raw))
		var v T
		if err := decodeStrict(raw, &v, prefix); err != nil {
			return err
		}
		if err := add(v); err != nil {
			return err
		}
	}
}

// end accepts only whitespace after the closing ']'.
func (s *arrayScanner) end() error {
	_, err := s.skipSpace()
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		return readError(err, "")
	}
	return badRequest("", "unexpected data after the JSON array")
}
