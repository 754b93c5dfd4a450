// Package repetition holds the repetition scorer, which measures how much a response
// repeats itself: lexical diversity (distinct-1, distinct-2), the share of repeated
// word 4-grams, and runs of identical lines. Degenerate looping, where a policy
// emits the same phrase or line again and again, is a classic failure of RLHF
// training, and these numbers make it visible.
package repetition

import (
	"context"
	"encoding/json"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// maxShown bounds, in code points, the text that details echo back.
const maxShown = 200

// Repetition describes the repetition scorer. Definitions:
//
// Tokens. The response is split into word tokens, then each token is lowercased
// code point by code point (Unicode simple lowercase mapping). A word character is
// a code point in Unicode category L (letters), M (marks) or N (numbers), except
// the Han, Hiragana and Katakana scripts, each of whose characters is a token of its
// own (those scripts do not put spaces between words). A token is a maximal run of
// word characters, where an apostrophe (U+0027 or U+2019) directly between two word
// characters joins them ("don't" is one token). Everything else separates tokens.
// No Unicode normalization is applied: a precomposed "é" and "e" + U+0301 differ.
// As a regular expression, with W the word characters, tokens are the leftmost-first
// matches of [\p{Han}\p{Hiragana}\p{Katakana}]|W+(?:['’]W+)*.
//
// With T tokens, the n-grams are the T-n+1 windows of n consecutive tokens, and
//
//   - distinct_1, distinct_2: distinct n-grams / total n-grams for n = 1, 2, the
//     distinct-n of Li et al. (2016) in the common per-n-gram normalization (Li et
//     al. divided by the number of tokens; for n = 1 the two agree); 0 when there
//     are no n-grams;
//   - value (also repeated_4gram_share): 4-gram occurrences beyond the first of their
//     kind / total 4-grams, that is 1 - distinct-4; 0 when T < 4;
//   - top_4gram, top_4gram_count: the most frequent 4-gram (ties go to the one that
//     occurs first) and its count, present only when some 4-gram occurs twice;
//   - longest_line_run: the longest run of identical consecutive lines, where lines
//     are split at "\n", compared after trimming white space, and blank lines are
//     skipped (they neither count nor break a run); 0 when there are no non-blank
//     lines; repeated_line: that line (cut to 200 code points), present only when
//     the run is at least 2; ties go to the first run.
//
// Lower is better: 0 means no 4-gram repeats.
func Repetition() scoring.Type {
	return scoring.Type{
		UnitInterval: true,
		Name:         "repetition",
		Description:  "Measures self-repetition: distinct-1/2, the share of repeated word 4-grams (value) and the longest run of identical lines.",
		ParamsSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{}}`),
		Better:       scoring.LowerIsBetter,
		New: func(params json.RawMessage) (scoring.Scorer, error) {
			var p struct{}
			if err := scoring.DecodeParams(params, &p); err != nil {
				return nil, err
			}
			return scoring.ScorerFunc(score), nil
		},
	}
}

func score(_ context.Context, it scoring.Item) (scoring.Result, error) {
	s := analyze(it.Response)
	details := map[string]any{
		"tokens":               s.tokens,
		"distinct_1":           s.distinct1,
		"distinct_2":           s.distinct2,
		"repeated_4gram_share": s.repeated4,
		"longest_line_run":     s.lineRun,
	}
	if s.lineRun >= 2 {
		details["repeated_line"] = excerpt(s.line)
	}
	if s.topCount >= 2 {
		details["top_4gram"] = excerpt(s.top4gram)
		details["top_4gram_count"] = s.topCount
	}
	return scoring.Result{Value: s.repeated4, Details: details}, nil
}

// stats is what analyze measures; see Repetition for the definitions.
type stats struct {
	tokens    int
	distinct1 float64
	distinct2 float64
	repeated4 float64
	top4gram  string
	topCount  int
	lineRun   int
	line      string
}

func analyze(text string) stats {
	toks := tokenize(text)
	// Intern tokens as small integers so n-grams are cheap fixed-size map keys.
	ids := make([]int32, len(toks))
	vocab := make(map[string]int32, len(toks))
	for i, t := range toks {
		id, ok := vocab[t]
		if !ok {
			id = int32(len(vocab))
			vocab[t] = id
		}
		ids[i] = id
	}
	st := stats{tokens: len(toks)}
	if len(ids) >= 1 {
		st.distinct1 = float64(len(vocab)) / float64(len(ids))
	}
	if len(ids) >= 2 {
		seen := make(map[[2]int32]struct{}, len(ids)-1)
		for i := 0; i+2 <= len(ids); i++ {
			seen[[2]int32{ids[i], ids[i+1]}] = struct{}{}
		}
		st.distinct2 = float64(len(seen)) / float64(len(ids)-1)
	}
	if len(ids) >= 4 {
		total := len(ids) - 3
		counts := make(map[[4]int32]int, total)
		gram := func(i int) [4]int32 { return [4]int32{ids[i], ids[i+1], ids[i+2], ids[i+3]} }
		for i := 0; i < total; i++ {
			counts[gram(i)]++
		}
		st.repeated4 = float64(total-len(counts)) / float64(total)
		// Scanning positions in order, the first to carry the top count is the first
		// occurrence of the earliest of the most frequent 4-grams.
		top := 0
		for i := 0; i < total; i++ {
			if c := counts[gram(i)]; c > st.topCount {
				st.topCount, top = c, i
			}
		}
		st.top4gram = strings.Join(toks[top:top+4], " ")
	}
	st.lineRun, st.line = longestLineRun(text)
	return st
}

// longestLineRun returns the length of the longest run of identical consecutive
// non-blank lines (compared trimmed) and that line; the first run wins ties.
func longestLineRun(text string) (int, string) {
	best, bestLine := 0, ""
	run, prev := 0, ""
	for rest := text; ; {
		line, after, more := strings.Cut(rest, "\n")
		if line = strings.TrimSpace(line); line != "" {
			if run > 0 && line == prev {
				run++
			} else {
				run, prev = 1, line
			}
			if run > best {
				best, bestLine = run, line
			}
		}
		if !more {
			break
		}
		rest = after
	}
	return best, bestLine
}

// firstCJK is the lowest code point in the Han, Hiragana and Katakana scripts.
const firstCJK = 0x2E80

// isCJK reports whether r belongs to a script whose characters are tokens of their own.
func isCJK(r rune) bool {
	return r >= firstCJK && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// isWord reports whether r is a word character that joins runs.
func isWord(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return (unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r)) && !isCJK(r)
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

// tokenize splits text into lowercased word tokens; see Repetition.
func tokenize(text string) []string {
	var out []string
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case isCJK(r):
			out = append(out, text[i:i+size])
			i += size
		case isWord(r):
			start := i
			i += size
			for i < len(text) {
				r, size := utf8.DecodeRuneInString(text[i:])
				if isWord(r) {
					i += size
					continue
				}
				if isApostrophe(r) {
					if next, _ := utf8.DecodeRuneInString(text[i+size:]); i+size < len(text) && isWord(next) {
						i += size
						continue
					}
				}
				break
			}
			out = append(out, lower(text[start:i]))
		default:
			i += size
		}
	}
	return out
}

// lower maps each code point of s to its simple lowercase form.
func lower(s string) string {
	return strings.Map(unicode.ToLower, s)
}

// excerpt makes s safe and short enough to echo in details: NUL becomes U+FFFD and
// text beyond maxShown code points is cut and marked with "…". Tokens and trimmed
// lines of valid UTF-8 input are valid UTF-8; invalid input is repaired too.
func excerpt(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	n := 0
	for i := range s {
		if n == maxShown {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
