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

func loadSet(t *testing.T) []labelled {
	t.Helper()
	f, err := os.Open("testdata/refusal_set.jsonl")
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

// TestLabelledSet measures the detector on the hand-labelled set in testdata
// (responses written before the detector, half refusals, half non-refusals, most of
// the latter hard negatives) and fails below an F1 of 0.95.
func TestLabelledSet(t *testing.T) {
	set := loadSet(t)
	if len(set) < 200 {
		t.Fatalf("labelled set has %d examples, want at least 200", len(set))
	}
	d, err := NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, tn, catRight int
	for _, ex := range set {
		v := d.Detect(ex.Text)
		switch {
		case v.Refused && ex.Label == 1:
			tp++
			if string(v.Category) == ex.Category {
				catRight++
			}
		case v.Refused && ex.Label == 0:
			fp++
			t.Logf("false positive (%s, %s): score %.3f %s %q", ex.Category, ex.Note, v.Score, v.Category, v.Matched.Text)
		case !v.Refused && ex.Label == 1:
			fn++
			t.Logf("false negative (%s, %s): score %.3f %v", ex.Category, ex.Note, v.Score, v.Discounts)
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	f1 := 2 * precision * recall / (precision + recall)
	t.Logf("n=%d tp=%d fp=%d fn=%d tn=%d precision=%.4f recall=%.4f f1=%.4f category agreement on true positives=%d/%d",
		len(set), tp, fp, fn, tn, precision, recall, f1, catRight, tp)
	if f1 < 0.95 {
		t.Errorf("f1 = %.4f, want >= 0.95", f1)
	}
}
