// Package dataset reads the files the import command loads: AlpacaEval annotations,
// Anthropic HH-RLHF pairs and JSONL in the API's own shapes. Each reader turns a
// file into app.ImportRecord values, so the import use case sees responses and
// comparisons, never a file format.
package dataset

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
)

// Reasons a record imports no comparison, as counted in app.ImportStats.Skipped.
const (
	SkipNullPreference = "null preference"
	SkipSelfComparison = "self-comparison"
)

// NoteDialoguesDiffer counts HH-RLHF pairs whose dialogues differ before their
// final turns (see ReadHHRLHF).
const NoteDialoguesDiffer = "dialogues differ before the final turn"

// hexHash is the first n hex digits of the SHA-256 of the parts, each followed by
// a NUL byte so that ("ab", "c") and ("a", "bc") differ.
func hexHash(n int, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:n]
}

// boundedID returns id, or, when it is longer than an external id may be, prefix
// followed by "sha256/" and the hash of id.
func boundedID(prefix, id string) string {
	if len(id) <= domain.MaxExternalIDLen {
		return id
	}
	return prefix + "sha256/" + hexHash(64, id)
}

// maxImportLine bounds one line of a JSONL import.
const maxImportLine = 64 << 20

// lineReader reads the non-blank lines of a JSONL file with their 1-based numbers.
type lineReader struct {
	sc   *bufio.Scanner
	line int
}

func newLineReader(r io.Reader) *lineReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxImportLine)
	return &lineReader{sc: sc}
}

// next returns the next non-blank line, or io.EOF after the last one.
func (l *lineReader) next() (int, []byte, error) {
	for l.sc.Scan() {
		l.line++
		if text := bytes.TrimSpace(l.sc.Bytes()); len(text) > 0 {
			return l.line, text, nil
		}
	}
	if err := l.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return 0, nil, fmt.Errorf("line %d: longer than %d MiB", l.line+1, maxImportLine>>20)
		}
		return 0, nil, fmt.Errorf("line %d: %w", l.line+1, err)
	}
	return 0, nil, io.EOF
}

// jsonLineError words a decoding error of one line.
func jsonLineError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te) && te.Field != "":
		return domain.Invalid(te.Field, "must be a %s; got a JSON %s", te.Type, te.Value)
	case errors.As(err, &te):
		return fmt.Errorf("want a JSON object; got a JSON %s", te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d: %w", se.Offset, err)
	}
	return err
}

// Readers offers the readers with their options as plain arguments, for callers
// that take them as an interface (the CLI, from the composition root).
type Readers struct{}

// AlpacaEval reads an AlpacaEval annotations file (see ReadAlpacaEval).
func (Readers) AlpacaEval(r io.Reader, annotator string) iter.Seq2[app.ImportRecord, error] {
	return ReadAlpacaEval(r, AlpacaEvalOptions{Annotator: annotator})
}

// HHRLHF reads Anthropic HH-RLHF pairs (see ReadHHRLHF).
func (Readers) HHRLHF(r io.Reader, model, annotator string) iter.Seq2[app.ImportRecord, error] {
	return ReadHHRLHF(r, HHRLHFOptions{Model: model, Annotator: annotator})
}

// AlpacaBattles reads an AlpacaEval annotations file as battles (see ReadAlpacaBattles).
func (Readers) AlpacaBattles(r io.Reader) ([]ranking.Battle, error) { return ReadAlpacaBattles(r) }

// JSONL reads responses and comparisons in the API's request shapes (see ReadJSONL).
func (Readers) JSONL(r io.Reader) iter.Seq2[app.ImportRecord, error] { return ReadJSONL(r) }
