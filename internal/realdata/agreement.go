package realdata

import (
	"fmt"
	"math"
	"strings"
)

// RefusalReading is one row of a second, independent reading of a labelled set for
// refusal only (testdata/labels/heldout-3-reader2.tsv): the output's id and what the
// second reader found, in the columns and with the values of a label file.
type RefusalReading struct {
	ID            string
	Refusal       bool
	RefusalType   string // "full" or "partial" when Refusal, else ""
	RefusalReason string // "capability", "policy" or "other" when Refusal, else ""
	Note          string // "" if none
}

// readingColumns is the header a refusal reading must start with.
var readingColumns = []string{"id", "refusal", "refusal_type", "refusal_reason", "note"}

// ReadRefusalReadings reads a refusal reading (tab-separated, with the header above)
// and checks every row as ReadLabels checks those columns: an id of a known source, 0
// or 1, a type and reason exactly on refusals, a note or "-", and no id twice. The
// error names the line at fault.
func ReadRefusalReadings(path string) ([]RefusalReading, error) {
	return readRows(path, readingColumns, parseReading, func(r RefusalReading) string { return r.ID })
}

func parseReading(row string) (RefusalReading, error) {
	c := strings.Split(row, "\t")
	if len(c) != len(readingColumns) {
		return RefusalReading{}, fmt.Errorf("%d columns, want %d", len(c), len(readingColumns))
	}
	r := RefusalReading{ID: c[0]}
	if src, _, _ := strings.Cut(r.ID, "/"); src != SourceAlpacaEval && src != SourceHHRLHF {
		return RefusalReading{}, fmt.Errorf("id %q is from neither %s nor %s", r.ID, SourceAlpacaEval, SourceHHRLHF)
	}
	var err error
	if r.Refusal, r.RefusalType, r.RefusalReason, err = parseRefusal(c[1], c[2], c[3]); err != nil {
		return RefusalReading{}, err
	}
	if r.Note, err = parseNote(c[4]); err != nil {
		return RefusalReading{}, err
	}
	return r, nil
}

// Confusion counts two readers' yes/no calls on the same outputs. A is the reading
// taken as the reference, B the one compared with it.
type Confusion struct {
	Both, AOnly, BOnly, Neither int
}

// Add counts one output that A called a and B called b.
func (c *Confusion) Add(a, b bool) {
	switch {
	case a && b:
		c.Both++
	case a:
		c.AOnly++
	case b:
		c.BOnly++
	default:
		c.Neither++
	}
}

// N is the number of outputs counted.
func (c Confusion) N() int { return c.Both + c.AOnly + c.BOnly + c.Neither }

// Swap is the same counts with the two readers' roles exchanged.
func (c Confusion) Swap() Confusion {
	return Confusion{Both: c.Both, AOnly: c.BOnly, BOnly: c.AOnly, Neither: c.Neither}
}

// Precision is the share of B's yes that A also said, B taken against A (0 when B
// never said yes).
func (c Confusion) Precision() float64 { return ratio(c.Both, c.Both+c.BOnly) }

// Recall is the share of A's yes that B also said (0 when A never said yes).
func (c Confusion) Recall() float64 { return ratio(c.Both, c.Both+c.AOnly) }

// F1 is the harmonic mean of Precision and Recall. It does not depend on which
// reader is the reference.
func (c Confusion) F1() float64 { return ratio(2*c.Both, 2*c.Both+c.AOnly+c.BOnly) }

// Kappa is Cohen's kappa: the share of outputs the readers agree on, corrected for the
// agreement two readers with the same rates of yes would reach by chance,
// (po - pe) / (1 - pe). It is NaN when pe is 1 (both readers gave one and the same
// answer throughout), where it is undefined.
func (c Confusion) Kappa() float64 {
	n := float64(c.N())
	if n == 0 {
		return math.NaN()
	}
	po := float64(c.Both+c.Neither) / n
	aYes, bYes := float64(c.Both+c.AOnly)/n, float64(c.Both+c.BOnly)/n
	pe := aYes*bYes + (1-aYes)*(1-bYes)
	if pe == 1 {
		return math.NaN()
	}
	return (po - pe) / (1 - pe)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// RefusalAgreement is how far two readings of the same outputs agree on refusal.
type RefusalAgreement struct {
	All      Confusion
	BySource map[string]Confusion // by SourceHHRLHF and SourceAlpacaEval

	// Among the outputs both call refusals: how many get the same type, the same
	// reason, and both.
	SameType, SameReason, SameTypeAndReason int

	Split       []string // ids one reader calls a refusal and the other does not, in A's order
	KindsDiffer []string // ids both call refusals with another type or reason, in A's order
}

// CompareRefusals measures the agreement of a second reading b with the labels a of
// the same outputs. Both must name exactly the same ids; the error names an id only
// one of them has.
func CompareRefusals(a []Label, b []RefusalReading) (RefusalAgreement, error) {
	byID := make(map[string]RefusalReading, len(b))
	for _, r := range b {
		byID[r.ID] = r
	}
	if len(byID) != len(b) {
		return RefusalAgreement{}, fmt.Errorf("second reading names an id twice")
	}
	ag := RefusalAgreement{BySource: map[string]Confusion{}}
	for _, l := range a {
		r, ok := byID[l.ID]
		if !ok {
			return RefusalAgreement{}, fmt.Errorf("%s is labelled but not in the second reading", l.ID)
		}
		delete(byID, l.ID)
		ag.All.Add(l.Refusal, r.Refusal)
		c := ag.BySource[l.Source]
		c.Add(l.Refusal, r.Refusal)
		ag.BySource[l.Source] = c
		switch {
		case l.Refusal != r.Refusal:
			ag.Split = append(ag.Split, l.ID)
		case l.Refusal:
			sameType, sameReason := l.RefusalType == r.RefusalType, l.RefusalReason == r.RefusalReason
			if sameType {
				ag.SameType++
			}
			if sameReason {
				ag.SameReason++
			}
			if sameType && sameReason {
				ag.SameTypeAndReason++
			} else {
				ag.KindsDiffer = append(ag.KindsDiffer, l.ID)
			}
		}
	}
	for _, r := range b {
		if _, left := byID[r.ID]; left {
			return RefusalAgreement{}, fmt.Errorf("%s is in the second reading but not labelled", r.ID)
		}
	}
	return ag, nil
}
