package realdata

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const heldout3Reader2Path = "../../testdata/labels/heldout-3-reader2.tsv"

func TestConfusion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name                    string
		c                       Confusion
		kappa, prec, recall, f1 float64
	}{
		{
			// po = 0.85; A says yes 0.25, B 0.30; pe = 0.25*0.30 + 0.75*0.70 = 0.6;
			// kappa = 0.25/0.4.
			name: "typical", c: Confusion{Both: 20, AOnly: 5, BOnly: 10, Neither: 65},
			kappa: 0.625, prec: 20.0 / 30, recall: 20.0 / 25, f1: 40.0 / 55,
		},
		{
			// Agreement no better than chance: B says yes at A's rate, independently.
			// po = 0.5, pe = 0.5.
			name: "chance", c: Confusion{Both: 25, AOnly: 25, BOnly: 25, Neither: 25},
			kappa: 0, prec: 0.5, recall: 0.5, f1: 0.5,
		},
		{
			name: "perfect", c: Confusion{Both: 7, Neither: 93},
			kappa: 1, prec: 1, recall: 1, f1: 1,
		},
		{
			// pe = 1: kappa undefined; no yes from either reader, so P, R, F1 are 0.
			name: "never yes", c: Confusion{Neither: 10},
			kappa: math.NaN(), prec: 0, recall: 0, f1: 0,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, m := range []struct {
				name      string
				got, want float64
			}{
				{"kappa", tc.c.Kappa(), tc.kappa},
				{"precision", tc.c.Precision(), tc.prec},
				{"recall", tc.c.Recall(), tc.recall},
				{"f1", tc.c.F1(), tc.f1},
				// With the roles exchanged precision and recall swap; kappa and F1 stay.
				{"swapped precision", tc.c.Swap().Precision(), tc.recall},
				{"swapped recall", tc.c.Swap().Recall(), tc.prec},
				{"swapped kappa", tc.c.Swap().Kappa(), tc.kappa},
				{"swapped f1", tc.c.Swap().F1(), tc.f1},
			} {
				if !sameFloat(m.got, m.want) {
					t.Errorf("%s = %v, want %v", m.name, m.got, m.want)
				}
			}
		})
	}
}

func sameFloat(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) < 1e-12
}

func TestReadRefusalReadingsRejects(t *testing.T) {
	t.Parallel()
	const header = "id\trefusal\trefusal_type\trefusal_reason\tnote\n"
	const good = "hh-rlhf/harmless-base-test.jsonl.gz:1:chosen\t1\tfull\tpolicy\t-\n"
	for _, tc := range []struct {
		name, text, want string
	}{
		{"header", "id\trefusal\tnote\n" + good, ":1: header"},
		{"columns", header + "hh-rlhf/x.jsonl.gz:1:chosen\t0\t-\t-\n", ":2: 4 columns, want 5"},
		{"source", header + "other/x.json:1:output_2\t0\t-\t-\t-\n", ":2: id \"other/x.json:1:output_2\" is from neither"},
		{"refusal value", header + "hh-rlhf/x.jsonl.gz:1:chosen\tyes\t-\t-\t-\n", ":2: refusal \"yes\", want 0 or 1"},
		{"type on non-refusal", header + "hh-rlhf/x.jsonl.gz:1:chosen\t0\tfull\t-\t-\n", ":2: refusal_type \"full\" and refusal_reason \"-\" on a non-refusal"},
		{"no type", header + "hh-rlhf/x.jsonl.gz:1:chosen\t1\t-\tpolicy\t-\n", ":2: refusal_type \"-\", want full or partial"},
		{"reason", header + "hh-rlhf/x.jsonl.gz:1:chosen\t1\tfull\tmood\t-\n", ":2: refusal_reason \"mood\""},
		{"empty note", header + "hh-rlhf/x.jsonl.gz:1:chosen\t0\t-\t-\t\n", ":2: note is empty"},
		{"duplicate", header + good + good, ":3: id hh-rlhf/harmless-base-test.jsonl.gz:1:chosen already labelled on line 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "reading.tsv")
			if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadRefusalReadings(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadRefusalReadings = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCompareRefusals(t *testing.T) {
	t.Parallel()
	hh := func(n int) string { return fmt.Sprintf("hh-rlhf/harmless-base-test.jsonl.gz:%d:chosen", n) }
	al := func(n int) string { return fmt.Sprintf("alpaca_eval/m.json.gz:%d:output_2", n) }
	yes := func(id, typ, reason string) Label {
		src, _, _ := strings.Cut(id, "/")
		return Label{ID: id, Source: src, Refusal: true, RefusalType: typ, RefusalReason: reason}
	}
	no := func(id string) Label {
		src, _, _ := strings.Cut(id, "/")
		return Label{ID: id, Source: src}
	}
	a := []Label{
		yes(hh(1), "full", "policy"), yes(hh(2), "full", "other"), no(hh(3)), no(hh(4)),
		yes(al(1), "partial", "capability"), yes(al(2), "full", "capability"), no(al(3)),
	}
	read := func(l Label) RefusalReading {
		return RefusalReading{ID: l.ID, Refusal: l.Refusal, RefusalType: l.RefusalType, RefusalReason: l.RefusalReason}
	}
	// The second reading, in another order: agrees on hh 1 and 4, alpaca 1 and 3;
	// calls hh 2 no and hh 3 yes; agrees alpaca 2 is a refusal but not on its type.
	b := []RefusalReading{
		read(no(al(3))), read(yes(hh(3), "full", "other")), read(no(hh(2))), read(a[0]), read(a[3]),
		read(a[4]), read(yes(al(2), "partial", "capability")),
	}
	ag, err := CompareRefusals(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want Confusion
	}{
		{"all", ag.All, Confusion{Both: 3, AOnly: 1, BOnly: 1, Neither: 2}},
		{SourceHHRLHF, ag.BySource[SourceHHRLHF], Confusion{Both: 1, AOnly: 1, BOnly: 1, Neither: 1}},
		{SourceAlpacaEval, ag.BySource[SourceAlpacaEval], Confusion{Both: 2, Neither: 1}},
	} {
		if c.got != c.want {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if ag.SameType != 2 || ag.SameReason != 3 || ag.SameTypeAndReason != 2 {
		t.Errorf("same type, reason, both = %d, %d, %d, want 2, 3, 2", ag.SameType, ag.SameReason, ag.SameTypeAndReason)
	}
	if got, want := strings.Join(ag.Split, " "), hh(2)+" "+hh(3); got != want {
		t.Errorf("split = %s, want %s", got, want)
	}
	if got, want := strings.Join(ag.KindsDiffer, " "), al(2); got != want {
		t.Errorf("kinds differ = %s, want %s", got, want)
	}

	if _, err := CompareRefusals(a, b[1:]); err == nil || !strings.Contains(err.Error(), al(3)+" is labelled but not in the second reading") {
		t.Errorf("CompareRefusals without %s = %v, want it named", al(3), err)
	}
	extra := append(append([]RefusalReading{}, b...), read(no(hh(9))))
	if _, err := CompareRefusals(a, extra); err == nil || !strings.Contains(err.Error(), hh(9)+" is in the second reading but not labelled") {
		t.Errorf("CompareRefusals with %s extra = %v, want it named", hh(9), err)
	}
}

// TestHeldout3SecondReading measures how far the second, independent reading of the
// third held-out set agrees with its labels on refusal, and prints the table in
// docs/labelling.md ("How far two readers agree"): go test -v -run
// TestHeldout3SecondReading ./internal/realdata. Only the two label files are read.
func TestHeldout3SecondReading(t *testing.T) {
	t.Parallel()
	readings, err := ReadRefusalReadings(heldout3Reader2Path) // committed: missing is a failure
	if err != nil {
		t.Fatal(err)
	}
	labels, err := ReadLabels(heldout3Path)
	if err != nil {
		t.Fatal(err)
	}
	if len(readings) != len(labels) {
		t.Fatalf("%d readings, %d labels", len(readings), len(labels))
	}
	for i, r := range readings {
		if r.ID != labels[i].ID {
			t.Fatalf("reading %d is %s, label %d is %s: want the label file's order", i+1, r.ID, i+1, labels[i].ID)
		}
	}
	ag, err := CompareRefusals(labels, readings)
	if err != nil {
		t.Fatal(err)
	}

	// The counts must add up to what each file says on its own.
	var aYes, bYes int
	for i := range labels {
		if labels[i].Refusal {
			aYes++
		}
		if readings[i].Refusal {
			bYes++
		}
	}
	if got := ag.All.Both + ag.All.AOnly; got != aYes {
		t.Errorf("reader 1 refusals in the table %d, in the file %d", got, aYes)
	}
	if got := ag.All.Both + ag.All.BOnly; got != bYes {
		t.Errorf("reader 2 refusals in the table %d, in the file %d", got, bYes)
	}
	var sum Confusion
	for _, c := range ag.BySource {
		sum.Both += c.Both
		sum.AOnly += c.AOnly
		sum.BOnly += c.BOnly
		sum.Neither += c.Neither
	}
	if sum != ag.All || len(ag.BySource) != 2 {
		t.Errorf("by source %v does not add up to %+v", ag.BySource, ag.All)
	}
	// A split call is a hard case by definition: the guide asks for a note on those.
	note := map[string]string{}
	for _, r := range readings {
		note[r.ID] = r.Note
	}
	for _, id := range ag.Split {
		if note[id] == "" {
			t.Errorf("%s: the readers split, and reader 2 left no note", id)
		}
	}

	var b strings.Builder
	fmt.Fprintln(&b, "| | outputs | both refusal | reader 1 only | reader 2 only | neither | kappa | reader 2 against 1: P / R | reader 1 against 2: P / R | F1 |")
	fmt.Fprintln(&b, "|---|---|---|---|---|---|---|---|---|---|")
	for _, row := range []struct {
		name string
		c    Confusion
	}{
		{"HH-RLHF", ag.BySource[SourceHHRLHF]},
		{"AlpacaEval", ag.BySource[SourceAlpacaEval]},
		{"all", ag.All},
	} {
		c := row.c
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %.3f | %.3f / %.3f | %.3f / %.3f | %.3f |\n",
			row.name, c.N(), c.Both, c.AOnly, c.BOnly, c.Neither, c.Kappa(),
			c.Precision(), c.Recall(), c.Swap().Precision(), c.Swap().Recall(), c.F1())
	}
	both := ag.All.Both
	fmt.Fprintf(&b, "\nOf the %d outputs both call refusals: same type (full/partial) %d, same reason %d, both %d.\n",
		both, ag.SameType, ag.SameReason, ag.SameTypeAndReason)
	fmt.Fprintf(&b, "Split on refusal: %s\nSame refusal, other type or reason: %s\n",
		strings.Join(ag.Split, " "), strings.Join(ag.KindsDiffer, " "))
	t.Logf("agreement on refusal, %s against %s:\n%s", filepath.Base(heldout3Reader2Path), filepath.Base(heldout3Path), b.String())
}
