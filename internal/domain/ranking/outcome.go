package ranking

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Outcome counts Count comparisons between a response of ModelA and a response of
// ModelB that share the same Preference (the probability that B is better, in [0,1];
// NaN marks comparisons without a judgement, which are skipped and counted).
type Outcome struct {
	ModelA     string
	ModelB     string
	Preference float64
	Count      int
}

// Battle is one comparison, as it happened: ModelA's response against ModelB's, with
// Preference the probability that B is better (NaN when there is no judgement).
type Battle struct {
	ModelA     string
	ModelB     string
	Preference float64
}

// Aggregate counts identical battles. Each battle is first put in canonical
// orientation — the lexicographically smaller model name as ModelA, with the
// preference replaced by 1 − p when the sides are swapped — so that a battle and its
// mirror image land in the same Outcome. The result is sorted by ModelA, ModelB and
// Preference (NaN last). Aggregate does not validate; the functions that consume
// Outcomes do.
func Aggregate(battles []Battle) []Outcome {
	// Interning names first keeps the hot map keyed by small fixed-size values.
	ids := make(map[string]int32)
	var names []string
	intern := func(s string) int32 {
		if id, ok := ids[s]; ok {
			return id
		}
		id := int32(len(names))
		ids[s] = id
		names = append(names, s)
		return id
	}
	type key struct {
		a, b int32
		p    uint64 // math.Float64bits of the preference; all NaNs share one key
	}
	nanBits := math.Float64bits(math.NaN())
	counts := make(map[key]int)
	for _, bt := range battles {
		a, b, p := bt.ModelA, bt.ModelB, bt.Preference
		if b < a {
			a, b, p = b, a, 1-p
		}
		k := key{a: intern(a), b: intern(b)}
		if math.IsNaN(p) {
			k.p = nanBits
		} else {
			k.p = math.Float64bits(p + 0) // + 0 folds −0 into +0
		}
		counts[k]++
	}
	out := make([]Outcome, 0, len(counts))
	for k, c := range counts {
		out = append(out, Outcome{
			ModelA:     names[k.a],
			ModelB:     names[k.b],
			Preference: math.Float64frombits(k.p),
			Count:      c,
		})
	}
	slices.SortFunc(out, compareOutcomes)
	return out
}

// compareOutcomes orders outcomes by ModelA, ModelB, then Preference with NaN last.
func compareOutcomes(x, y Outcome) int {
	if c := cmp.Compare(x.ModelA, y.ModelA); c != 0 {
		return c
	}
	if c := cmp.Compare(x.ModelB, y.ModelB); c != 0 {
		return c
	}
	xn, yn := math.IsNaN(x.Preference), math.IsNaN(y.Preference)
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	}
	return cmp.Compare(x.Preference, y.Preference)
}

// validateOutcomes checks what every consumer needs: named models, a non-negative
// count, and a preference that is NaN (no judgement) or lies in [0,1].
func validateOutcomes(outcomes []Outcome) error {
	for i, o := range outcomes {
		field := fmt.Sprintf("outcomes[%d]", i)
		switch {
		case o.ModelA == "":
			return domain.Invalid(field+".model_a", "must not be empty")
		case o.ModelB == "":
			return domain.Invalid(field+".model_b", "must not be empty")
		case o.Count < 0:
			return domain.Invalid(field+".count", "must not be negative; got %d", o.Count)
		case !math.IsNaN(o.Preference) && !(o.Preference >= 0 && o.Preference <= 1):
			return domain.Invalid(field+".preference", "must be between 0 and 1 (the probability that B is better); got %v", o.Preference)
		}
	}
	return nil
}

// validateBattles applies validateOutcomes' rules to battles.
func validateBattles(battles []Battle) error {
	for i, b := range battles {
		field := fmt.Sprintf("battles[%d]", i)
		switch {
		case b.ModelA == "":
			return domain.Invalid(field+".model_a", "must not be empty")
		case b.ModelB == "":
			return domain.Invalid(field+".model_b", "must not be empty")
		case !math.IsNaN(b.Preference) && !(b.Preference >= 0 && b.Preference <= 1):
			return domain.Invalid(field+".preference", "must be between 0 and 1 (the probability that B is better); got %v", b.Preference)
		}
	}
	return nil
}
