package stats

import (
	"cmp"
	"fmt"
	"slices"
)

// Observation is one response's score on one scorer, keyed by the prompt it answers.
type Observation struct {
	PromptID string
	Value    float64
	// Passed is the response's pass verdict, nil when the scorer gave none.
	Passed *bool
}

// Pair is one prompt's score in a base and a candidate evaluation. Where a prompt has
// several responses on one side, that side's Value is their mean and its Pass is the
// fraction of its responses with a verdict that passed.
type Pair struct {
	PromptID   string
	Base, Cand float64
	// BasePass and CandPass are pass fractions in [0, 1] (exactly 0 or 1 for a single
	// response); nil when none of that side's responses had a verdict.
	BasePass, CandPass *float64
}

// Pairing is the result of joining two evaluations' observations by prompt.
type Pairing struct {
	// Pairs holds one entry per prompt present on both sides, ordered by PromptID so
	// that everything computed from it (the bootstrap in particular) is independent of
	// the order the observations arrived in.
	Pairs []Pair
	// BaseOnly and CandOnly count the prompts present on only one side.
	BaseOnly, CandOnly int
}

// PairByPrompt averages each side's observations per prompt and joins the two sides on
// PromptID. It returns ErrInvalid if a value is NaN or infinite.
func PairByPrompt(base, cand []Observation) (Pairing, error) {
	b, err := averageByPrompt(base)
	if err != nil {
		return Pairing{}, fmt.Errorf("base: %w", err)
	}
	c, err := averageByPrompt(cand)
	if err != nil {
		return Pairing{}, fmt.Errorf("candidate: %w", err)
	}
	var out Pairing
	for id, bv := range b {
		cv, ok := c[id]
		if !ok {
			out.BaseOnly++
			continue
		}
		p := Pair{
			PromptID: id,
			Base:     bv.mean(), Cand: cv.mean(),
			BasePass: bv.passRate(), CandPass: cv.passRate(),
		}
		if !finite(p.Base, p.Cand) {
			return Pairing{}, fmt.Errorf("prompt %q: mean overflows float64: %w", id, ErrInvalid)
		}
		out.Pairs = append(out.Pairs, p)
	}
	out.CandOnly = len(c) - len(out.Pairs)
	slices.SortFunc(out.Pairs, func(x, y Pair) int { return cmp.Compare(x.PromptID, y.PromptID) })
	return out, nil
}

// promptAgg accumulates one prompt's observations on one side.
type promptAgg struct {
	sum              sum
	n                int
	passed, verdicts int
}

func (a *promptAgg) mean() float64 { return a.sum.value() / float64(a.n) }

func (a *promptAgg) passRate() *float64 {
	if a.verdicts == 0 {
		return nil
	}
	r := float64(a.passed) / float64(a.verdicts)
	return &r
}

func averageByPrompt(obs []Observation) (map[string]*promptAgg, error) {
	m := make(map[string]*promptAgg)
	for i, o := range obs {
		if !finite(o.Value) {
			return nil, fmt.Errorf("observation %d (prompt %q) value is %v: %w", i, o.PromptID, o.Value, ErrInvalid)
		}
		a := m[o.PromptID]
		if a == nil {
			a = &promptAgg{}
			m[o.PromptID] = a
		}
		a.sum.add(o.Value)
		a.n++
		if o.Passed != nil {
			a.verdicts++
			if *o.Passed {
				a.passed++
			}
		}
	}
	return m, nil
}
