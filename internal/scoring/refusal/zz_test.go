package refusal

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"testing"
)

func TestZZScores(t *testing.T) {
	f, err := os.Open("/tmp/d2_items.jsonl")
	if err != nil {
		t.Skip()
	}
	d, _ := NewDetector(nil, 0)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var it struct {
			ID, Split, Prompt, Text string
			Ref                     bool
		}
		json.Unmarshal(sc.Bytes(), &it)
		v := d.DetectPrompt(it.Text, it.Prompt)
		m := ""
		if v.Matched != nil {
			m = v.Matched.Text
		}
		if v.Score > 0.25 {
			fmt.Printf("%v %.3f %s %s %v %q\n", it.Ref, v.Score, it.Split, it.ID[len(it.ID)-24:], v.Discounts, m)
		}
	}
}
