// Package agreement measures how far annotators agree with each other, and how far a
// scorer agrees with the annotators' preferences.
//
// Compute takes nominal labels (any label set: a/b/tie for pairwise judgements, or
// any other categories) given by annotators to items, with missing labels allowed,
// and reports percent agreement, Cohen's kappa for every annotator pair, Fleiss'
// kappa and Krippendorff's alpha. ScorerAccuracy measures a reward model or metric
// against pairwise preferences as RewardBench does. A statistic that is undefined for
// the data (no pairable items, a single category) is reported as nil, never as NaN.
package agreement

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// Label is the category one annotator gave one item.
type Label struct {
	Item      string
	Annotator string
	Label     string
}

// Report holds the agreement statistics of a set of labels.
type Report struct {
	// Items, Annotators and Labels count distinct items, distinct annotators and labels.
	Items, Annotators, Labels int
	// Categories lists the distinct labels, sorted.
	Categories []string
	// PairableItems counts items with at least two labels; only they carry information
	// about agreement.
	PairableItems int
	// Agreement is percent agreement as a proportion in [0,1]: for each pairable item,
	// the share of its annotator pairs that gave the same label, Σ_c n_c(n_c − 1) /
	// (n(n − 1)) with n_c the item's labels in category c and n its labels; then the mean
	// over pairable items. It is nil when no item is pairable.
	Agreement *float64
	// Cohen has Cohen's kappa for every pair of annotators that labelled at least one
	// item in common, sorted by annotator names.
	Cohen []CohenKappa
	// Fleiss is Fleiss' kappa; see FleissKappa for how items with different numbers of
	// labels are handled.
	Fleiss FleissKappa
	// KrippendorffAlpha is Krippendorff's alpha for nominal data, nil when undefined.
	//
	// Definition (Krippendorff, "Computing Krippendorff's Alpha-Reliability", 2011):
	// over pairable units u with m_u values, the coincidence matrix o_ck adds, for every
	// ordered pair of values c, k from different coders in u, 1/(m_u − 1). With
	// n_c = Σ_k o_ck and n = Σ_c n_c (the number of pairable values),
	// α = 1 − (n − 1)·Σ_{c≠k} o_ck / Σ_{c≠k} n_c·n_k. Missing labels are simply absent.
	// It is undefined (nil) when fewer than two pairable values exist or all pairable
	// values fall in one category.
	KrippendorffAlpha *float64
}

// CohenKappa is Cohen's kappa between two annotators over the items both labelled:
// κ = (p_o − p_e) / (1 − p_e), with p_o the share of those items on which they agree
// and p_e = Σ_c (a_c/N)(b_c/N) from each annotator's label counts a_c, b_c — as
// sklearn.metrics.cohen_kappa_score computes it. Kappa is nil when p_e = 1 (both used
// one and the same category throughout).
type CohenKappa struct {
	AnnotatorA, AnnotatorB string
	// N counts the items both labelled.
	N int
	// Agreement is p_o.
	Agreement float64
	Kappa     *float64
}

// FleissKappa is Fleiss' kappa (Fleiss 1971). The standard definition needs the same
// number n of labels on every item; here n is the most common number of labels among
// pairable items (the larger one on a tie) and only items with exactly n labels take
// part, the rest being counted in Excluded. Over those N items,
// P_i = (Σ_c n_ic² − n) / (n(n − 1)), P̄ = mean P_i, p_c = Σ_i n_ic / (N·n),
// P_e = Σ_c p_c², κ = (P̄ − P_e) / (1 − P_e) — statsmodels'
// stats.inter_rater.fleiss_kappa(method="fleiss"). For data with varying numbers of
// labels per item, Krippendorff's alpha uses every label and is the better summary.
type FleissKappa struct {
	// Kappa is nil when no item is pairable or all the items' labels are one category.
	Kappa *float64
	// Raters is n; Items is N.
	Raters, Items int
	// Excluded counts pairable items with a number of labels other than n.
	Excluded int
}

// Compute reports percent agreement, Cohen's, Fleiss' and Krippendorff's statistics
// for nominal labels; see Report for the definitions. It fails if a label has an
// empty field or an annotator labelled an item twice.
func Compute(labels []Label) (Report, error) {
	type key struct{ item, annotator string }
	seen := make(map[key]bool, len(labels))
	for i, l := range labels {
		field := func() string { return fmt.Sprintf("labels[%d]", i) } // only for errors: it costs a format per label
		switch {
		case l.Item == "":
			return Report{}, domain.Invalid(field()+".item", "must not be empty")
		case l.Annotator == "":
			return Report{}, domain.Invalid(field()+".annotator", "must not be empty")
		case l.Label == "":
			return Report{}, domain.Invalid(field()+".label", "must not be empty")
		}
		k := key{l.Item, l.Annotator}
		if seen[k] {
			return Report{}, domain.Invalid(field(), "annotator %q labelled item %q more than once", l.Annotator, l.Item)
		}
		seen[k] = true
	}

	catIndex := indexOf(labels, func(l Label) string { return l.Label })
	annIndex := indexOf(labels, func(l Label) string { return l.Annotator })
	itemIndex := indexOf(labels, func(l Label) string { return l.Item })
	r := Report{
		Items:      len(itemIndex),
		Annotators: len(annIndex),
		Labels:     len(labels),
		Categories: sortedKeys(catIndex),
	}
	k := len(catIndex)

	// Per item: its (annotator, category) labels and its count per category.
	marks := make([][]mark, len(itemIndex))
	for _, l := range labels {
		i := itemIndex[l.Item]
		marks[i] = append(marks[i], mark{annIndex[l.Annotator], catIndex[l.Label]})
	}
	counts := make([][]int, len(itemIndex))
	for i, ms := range marks {
		counts[i] = make([]int, k)
		for _, m := range ms {
			counts[i][m.category]++
		}
	}

	// Percent agreement and Krippendorff's alpha.
	agreeSum := 0.0
	totalByCat := make([]int, k) // n_c over pairable values
	var disagree float64         // Σ_{c≠k} o_ck
	for i, ms := range marks {
		n := len(ms)
		if n < 2 {
			continue
		}
		r.PairableItems++
		same := 0 // Σ_c n_c(n_c − 1)
		sq := 0   // Σ_c n_c²
		for c, nc := range counts[i] {
			same += nc * (nc - 1)
			sq += nc * nc
			totalByCat[c] += nc
		}
		agreeSum += float64(same) / float64(n*(n-1))
		disagree += float64(n*n-sq) / float64(n-1)
	}
	if r.PairableItems > 0 {
		r.Agreement = ptr(agreeSum / float64(r.PairableItems))
	}
	nPairable, sqTotal := 0, 0
	for _, nc := range totalByCat {
		nPairable += nc
		sqTotal += nc * nc
	}
	if expected := nPairable*nPairable - sqTotal; expected > 0 {
		r.KrippendorffAlpha = ptr(1 - float64(nPairable-1)*disagree/float64(expected))
	}

	r.Fleiss = fleiss(counts)
	r.Cohen = cohen(marks, sortedKeys(annIndex), k)
	return r, nil
}

// fleiss computes FleissKappa from per-item category counts.
func fleiss(counts [][]int) FleissKappa {
	freq := make(map[int]int) // number of labels → pairable items with that many
	for _, c := range counts {
		if n := sum(c); n >= 2 {
			freq[n]++
		}
	}
	var f FleissKappa
	for n, items := range freq {
		if items > f.Items || (items == f.Items && n > f.Raters) {
			f.Raters, f.Items = n, items
		}
	}
	if f.Items == 0 {
		return f
	}
	n := f.Raters
	var pBar float64
	var byCat []int
	for _, c := range counts {
		m := sum(c)
		if m < 2 {
			continue
		}
		if m != n {
			f.Excluded++
			continue
		}
		if byCat == nil {
			byCat = make([]int, len(c))
		}
		sq := 0
		for j, nc := range c {
			sq += nc * nc
			byCat[j] += nc
		}
		pBar += float64(sq-n) / float64(n*(n-1))
	}
	pBar /= float64(f.Items)
	total := f.Items * n
	pe := 0.0
	for _, nc := range byCat {
		if nc == total {
			return f // one category only: P_e = 1
		}
		p := float64(nc) / float64(total)
		pe += p * p
	}
	f.Kappa = ptr((pBar - pe) / (1 - pe))
	return f
}

// mark is one label as indexes: who gave it and which category.
type mark struct{ annotator, category int }

// cohen computes Cohen's kappa for every annotator pair with items in common.
func cohen(items [][]mark, annotators []string, k int) []CohenKappa {
	type acc struct {
		n, agree int
		a, b     []int // label counts of the first and second annotator
	}
	type pairKey struct{ x, y int }
	accs := make(map[pairKey]*acc)
	for _, ms := range items {
		for _, x := range ms {
			for _, y := range ms {
				if x.annotator >= y.annotator {
					continue
				}
				pk := pairKey{x.annotator, y.annotator}
				ac := accs[pk]
				if ac == nil {
					ac = &acc{a: make([]int, k), b: make([]int, k)}
					accs[pk] = ac
				}
				ac.n++
				ac.a[x.category]++
				ac.b[y.category]++
				if x.category == y.category {
					ac.agree++
				}
			}
		}
	}
	out := make([]CohenKappa, 0, len(accs))
	for pk, ac := range accs {
		c := CohenKappa{
			AnnotatorA: annotators[pk.x],
			AnnotatorB: annotators[pk.y],
			N:          ac.n,
			Agreement:  float64(ac.agree) / float64(ac.n),
		}
		chance := 0 // Σ_c a_c·b_c = p_e·N²
		for j := range k {
			chance += ac.a[j] * ac.b[j]
		}
		if nn := ac.n * ac.n; chance < nn {
			c.Kappa = ptr(float64(ac.agree*ac.n-chance) / float64(nn-chance))
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y CohenKappa) int {
		if c := cmp.Compare(x.AnnotatorA, y.AnnotatorA); c != 0 {
			return c
		}
		return cmp.Compare(x.AnnotatorB, y.AnnotatorB)
	})
	return out
}

// indexOf numbers the distinct values of field in sorted order.
func indexOf(labels []Label, field func(Label) string) map[string]int {
	idx := make(map[string]int)
	for _, l := range labels {
		idx[field(l)] = 0
	}
	for i, v := range sortedKeys(idx) {
		idx[v] = i
	}
	return idx
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

func ptr(x float64) *float64 { return &x }
