package assertion

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Length describes the length scorer. It counts the response's
//
//   - characters: Unicode code points (invalid UTF-8 bytes count one each),
//   - words: maximal runs of non-space characters (strings.Fields, Unicode spaces),
//   - lines: "\n"-separated lines, a trailing newline not opening a new one; 0 when empty,
//   - bytes: UTF-8 bytes.
//
// Its value is the word count, so a pass block such as {"max": 300} bounds verbosity.
func Length() scoring.Type {
	return scoring.Type{
		Name:         "length",
		Description:  "Counts the response's characters (code points), words and lines; value is the word count.",
		ParamsSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{}}`),
		Better:       scoring.NoDirection,
		Linear:       true, // TestLongInput
		New: func(params json.RawMessage) (scoring.Scorer, error) {
			var p struct{}
			if err := scoring.DecodeParams(params, &p); err != nil {
				return nil, err
			}
			return scoring.ScorerFunc(scoreLength), nil
		},
	}
}

func scoreLength(_ context.Context, it scoring.Item) (scoring.Result, error) {
	s := it.Response
	words := countWords(s)
	return scoring.Result{
		Value: float64(words),
		Details: map[string]any{
			"characters": utf8.RuneCountInString(s),
			"words":      words,
			"lines":      countLines(s),
			"bytes":      len(s),
		},
	}, nil
}

// countWords is len(strings.Fields(s)) without building the fields.
func countWords(s string) int {
	words, inWord := 0, false
	for i := 0; i < len(s); {
		space := false
		if c := s[i]; c < utf8.RuneSelf {
			space = c == ' ' || '\t' <= c && c <= '\r'
			i++
		} else {
			r, size := utf8.DecodeRuneInString(s[i:])
			space = unicode.IsSpace(r)
			i += size
		}
		if !space && !inWord {
			words++
		}
		inWord = !space
	}
	return words
}

func countLines(s string) int {
	if s == "" {
		return 0
	}
	return strings.Count(strings.TrimSuffix(s, "\n"), "\n") + 1
}
