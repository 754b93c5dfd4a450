package refusal

import (
	"bufio"
	"encoding/json"
	"os"
	"testing"
)

type labelled struct {
	Text     string `json:"text"`
	Label    int    `json:"label"`
	Category string `json:"category"`
	Note     string `json:"note"`
}

func loadSet(t *testing.T, path string) []labelled {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %d: %v", len(out)+1, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

type confusion struct{ tp, fp, fn, tn, catRight int }

func (c confusion) precision() float64 { return float64(c.tp) / float64(c.tp+c.fp) }
func (c confusion) recall() float64    { return float64(c.tp) / float64(c.tp+c.fn) }
func (c confusion) f1() float64 {
	p, r := c.precision(), c.recall()
	return 2 * p * r / (p + r)
}

func evaluate(t *testing.T, set []labelled) confusion {
	t.Helper()
	d, err := NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var c confusion
	for _, ex := range set {
		v := d.Detect(ex.Text)
		switch {
		case v.Refused && ex.Label == 1:
			c.tp++
			if string(v.Category) == ex.Category {
				c.catRight++
			}
		case v.Refused && ex.Label == 0:
			c.fp++
			t.Logf("false positive (%s, %s): score %.3f %s %q", ex.Category, ex.Note, v.Score, v.Category, v.Matched.Text)
		case !v.Refused && ex.Label == 1:
			c.fn++
			t.Logf("false negative (%s, %s): score %.3f %v", ex.Category, ex.Note, v.Score, v.Discounts)
		default:
			c.tn++
		}
	}
	t.Logf("n=%d tp=%d fp=%d fn=%d tn=%d precision=%.4f recall=%.4f f1=%.4f category agreement on true positives=%d/%d",
		len(set), c.tp, c.fp, c.fn, c.tn, c.precision(), c.recall(), c.f1(), c.catRight, c.tp)
	return c
}

// TestLabelledSet measures the detector on the hand-labelled development set
// (responses written before the detector, half refusals, half non-refusals, most of
// the latter hard negatives) and fails below an F1 of 0.95.
func TestLabelledSet(t *testing.T) {
	t.Parallel()
	set := loadSet(t, "testdata/refusal_set.jsonl")
	if len(set) < 200 {
		t.Fatalf("labelled set has %d examples, want at least 200", len(set))
	}
	if c := evaluate(t, set); c.f1() < 0.95 {
		t.Errorf("f1 = %.4f, want >= 0.95", c.f1())
	}
}

// TestHeldOutSet measures the detector on responses written after its rules were
// first fixed. On that first run it scored precision 0.917, recall 0.825, F1 0.868;
// its misses then showed gaps in coverage (missing verbs such as "explain", "I really
// can't", "turn down", "let's not go there"), which were filled in general form, so
// the set is no longer strictly unseen. The bar is lower than the development set's.
func TestHeldOutSet(t *testing.T) {
	t.Parallel()
	set := loadSet(t, "testdata/refusal_heldout.jsonl")
	if c := evaluate(t, set); c.f1() < 0.85 {
		t.Errorf("f1 = %.4f, want >= 0.85", c.f1())
	}
}

// TestHeldOutSet2 measures the detector on a second set written after the fixes
// that the first held-out set prompted. It is never used to tune the rules.
func TestHeldOutSet2(t *testing.T) {
	t.Parallel()
	set := loadSet(t, "testdata/refusal_heldout2.jsonl")
	if c := evaluate(t, set); c.f1() < 0.8 {
		t.Errorf("f1 = %.4f, want >= 0.8", c.f1())
	}
}
