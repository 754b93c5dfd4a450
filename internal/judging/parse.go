package judging

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// parsePairwise reads a pairwise reply as P(the second shown output is better).
func (j *Judge) parsePairwise(r ChatReply) (float64, error) {
	switch j.cfg.Parser.Type {
	case ParserLogprobs:
		pFirst, err := logprobShare(r, j.cfg.Parser.First, j.cfg.Parser.Second)
		if err != nil {
			return 0, err
		}
		return 1 - pFirst, nil
	case ParserVerdict:
		return parseVerdict(r.Content, j.cfg.Parser.StrongWeight)
	}
	return 0, fmt.Errorf("parser %q cannot read a pairwise reply", j.cfg.Parser.Type)
}

// parsePointwise reads a pointwise reply as a score.
func (j *Judge) parsePointwise(r ChatReply) (float64, error) {
	switch j.cfg.Parser.Type {
	case ParserLogprobs:
		return logprobShare(r, j.cfg.Parser.First, j.cfg.Parser.Second)
	case ParserScore:
		return parseScore(r.Content, j.cfg.Parser)
	}
	return 0, fmt.Errorf("parser %q cannot read a pointwise reply", j.cfg.Parser.Type)
}

// logprobShare is AlpacaEval's logprob parser over the first generated token's
// top logprobs: P(first) = exp(lp_first − logsumexp(lp_first, lp_second)), a
// token absent from the top logprobs having probability 0. Both absent is a
// failure. With second == "" it is P(first) itself.
func logprobShare(r ChatReply, first, second string) (float64, error) {
	if len(r.Logprobs) == 0 {
		return 0, errors.New("the reply has no logprobs (the endpoint ignored top_logprobs?)")
	}
	top := r.Logprobs[0].TopLogprobs
	if len(top) == 0 {
		return 0, errors.New("the first token has no top_logprobs")
	}
	lpFirst, lpSecond := math.Inf(-1), math.Inf(-1)
	found := false
	// A later duplicate of a token wins, as in AlpacaEval's token map.
	for _, t := range top {
		switch {
		case t.Token == first:
			lpFirst, found = t.Logprob, true
		case second != "" && t.Token == second:
			lpSecond, found = t.Logprob, true
		}
	}
	if !found {
		return 0, fmt.Errorf("neither %q nor %q is among the first token's top_logprobs %s", first, second, tokenList(top))
	}
	if second == "" {
		return math.Exp(lpFirst), nil
	}
	return math.Exp(lpFirst - logSumExp(lpFirst, lpSecond)), nil
}

func logSumExp(a, b float64) float64 {
	m := math.Max(a, b)
	if math.IsInf(m, -1) {
		return m
	}
	return m + math.Log(math.Exp(a-m)+math.Exp(b-m))
}

func tokenList(top []TopLogprob) string {
	toks := make([]string, len(top))
	for i, t := range top {
		toks[i] = strconv.Quote(t.Token)
	}
	return "[" + strings.Join(toks, " ") + "]"
}

// verdictPattern matches MT-Bench's [[A]]/[[B]]/[[C]] and Arena-Hard's five-point
// [[A>>B]] … [[B>>A]] labels.
var verdictPattern = regexp.MustCompile(`\[\[\s*(A>>B|A>B|A=B|B=A|B>A|B>>A|A|B|C)\s*\]\]`)

// parseVerdict reads the last verdict label in text as P(B better). A strong
// verdict is certain (0 or 1); a weak one is worth 1/strongWeight of a strong one.
func parseVerdict(text string, strongWeight float64) (float64, error) {
	all := verdictPattern.FindAllStringSubmatch(text, -1)
	if len(all) == 0 {
		return 0, fmt.Errorf("no verdict such as [[A]], [[B]], [[C]] or [[A>B]] in the reply %q", truncate(text, 200))
	}
	weak := 0.5 / strongWeight
	switch all[len(all)-1][1] {
	case "A", "A>>B":
		return 0, nil
	case "B", "B>>A":
		return 1, nil
	case "A>B":
		return 0.5 - weak, nil
	case "B>A":
		return 0.5 + weak, nil
	}
	return 0.5, nil // C, A=B, B=A
}

var gradePattern = regexp.MustCompile(`\[\[\s*([-+]?[0-9]+(?:\.[0-9]+)?)\s*\]\]`)

// parseScore reads a grade: the last [[n]] in the text, or the number at
// p.Pointer in a JSON reply (optionally inside a ``` fence). It must lie in
// [p.Min, p.Max].
func parseScore(text string, p ParserConfig) (float64, error) {
	var v float64
	if p.Pointer != "" {
		body := strings.TrimSpace(text)
		if rest, ok := strings.CutPrefix(body, "```"); ok {
			rest = strings.TrimPrefix(rest, "json")
			body, _, _ = strings.Cut(rest, "```")
		}
		f, err := pointerNumber([]byte(body), p.Pointer)
		if err != nil {
			return 0, fmt.Errorf("grade: %w", err)
		}
		v = f
	} else {
		all := gradePattern.FindAllStringSubmatch(text, -1)
		if len(all) == 0 {
			return 0, fmt.Errorf("no grade such as [[7]] in the reply %q", truncate(text, 200))
		}
		f, err := strconv.ParseFloat(all[len(all)-1][1], 64)
		if err != nil {
			return 0, fmt.Errorf("grade %q: %w", all[len(all)-1][1], err)
		}
		v = f
	}
	if math.IsNaN(v) || v < p.Min || v > p.Max {
		return 0, fmt.Errorf("grade %v is outside [%v, %v]", v, p.Min, p.Max)
	}
	return v, nil
}
