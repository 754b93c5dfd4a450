package dataset_test

import (
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/dataset"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
)

func TestReadAlpacaBattles(t *testing.T) {
	t.Parallel()
	const good = `[
 {"instruction": "a", "output_1": "x", "generator_1": "base", "output_2": "y", "generator_2": "m", "preference": 1.75, "raw_completion": {"k": 1}},
 {"generator_1": "base", "generator_2": "m", "preference": null},
 {"generator_1": "base", "generator_2": "n", "preference": 1}
]`
	got, err := dataset.ReadAlpacaBattles(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []ranking.Battle{{ModelA: "base", ModelB: "m", Preference: 0.75}, {ModelA: "base", ModelB: "m"}, {ModelA: "base", ModelB: "n", Preference: 0}}
	if len(got) != len(want) {
		t.Fatalf("battles = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ModelA != w.ModelA || g.ModelB != w.ModelB {
			t.Errorf("battle %d = %+v, want %+v", i, g, w)
		}
		if i == 1 { // no judgement: NaN, skipped by the rankings
			if !math.IsNaN(g.Preference) {
				t.Errorf("battle 1 preference = %v, want NaN for a null preference", g.Preference)
			}
		} else if g.Preference != w.Preference {
			t.Errorf("battle %d preference = %v, want %v", i, g.Preference, w.Preference)
		}
	}
	if got, err := dataset.ReadAlpacaBattles(strings.NewReader("[]")); err != nil || got == nil || len(got) != 0 {
		t.Errorf("empty list = %v, %v; want no battles and no error", got, err)
	}

	bad := []struct{ name, file, want string }{
		{"not a list", `{"generator_1": "a"}`, "not an AlpacaEval annotations file"},
		{"preference above 2", `[{"generator_1": "a", "generator_2": "b", "preference": 2.5}]`, "entry 0: preference 2.5 is outside [1,2]"},
		{"preference 0", `[{"generator_1": "a", "generator_2": "b", "preference": 1}, {"generator_1": "a", "generator_2": "b", "preference": 0}]`, "entry 1: preference 0 is outside [1,2]"},
		{"wrong type", `[{"generator_1": 3, "generator_2": "b", "preference": 1}]`, "entry 0: generator_1"},
		{"truncated", `[{"generator_1": "a", "generator_2": "b", "preference": 1}, {"gen`, "entry 1"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := dataset.ReadAlpacaBattles(strings.NewReader(c.file))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("ReadAlpacaBattles = %v, %v; want an error mentioning %q", got, err, c.want)
			}
		})
	}
}
