package ranking

import (
	"math"
	"testing"
)

func TestAggregate(t *testing.T) {
	t.Parallel()
	nan := math.NaN()
	battles := []Battle{
		{ModelA: "b", ModelB: "a", Preference: 1},   // → a–b at 0
		{ModelA: "a", ModelB: "b", Preference: 0},   // same outcome, already canonical
		{ModelA: "a", ModelB: "b", Preference: 0.5}, // tie
		{ModelA: "b", ModelB: "a", Preference: 0.5}, // the same tie mirrored
		{ModelA: "b", ModelB: "a", Preference: 0.25},
		{ModelA: "a", ModelB: "b", Preference: nan},
		{ModelA: "b", ModelB: "a", Preference: nan},
		{ModelA: "c", ModelB: "c", Preference: 0.5},
	}
	want := []Outcome{
		{ModelA: "a", ModelB: "b", Preference: 0, Count: 2},
		{ModelA: "a", ModelB: "b", Preference: 0.5, Count: 2},
		{ModelA: "a", ModelB: "b", Preference: 0.75, Count: 1},
		{ModelA: "a", ModelB: "b", Preference: nan, Count: 2},
		{ModelA: "c", ModelB: "c", Preference: 0.5, Count: 1},
	}
	got := Aggregate(battles)
	if len(got) != len(want) {
		t.Fatalf("Aggregate = %+v, want %+v", got, want)
	}
	for i := range want {
		g, w := got[i], want[i]
		samePref := g.Preference == w.Preference || (math.IsNaN(g.Preference) && math.IsNaN(w.Preference))
		if g.ModelA != w.ModelA || g.ModelB != w.ModelB || !samePref || g.Count != w.Count {
			t.Errorf("outcome %d = %+v, want %+v", i, g, w)
		}
	}
}

func TestAggregateMatchesRawBattles(t *testing.T) {
	t.Parallel()
	// Aggregating must not change any statistic: fitting raw battles one outcome each
	// gives the same ratings as fitting their aggregate.
	battles := syntheticBattles(7, 6, 3000)
	raw := make([]Outcome, len(battles))
	for i, b := range battles {
		raw[i] = Outcome{ModelA: b.ModelA, ModelB: b.ModelB, Preference: b.Preference, Count: 1}
	}
	a, err := BradleyTerry(Aggregate(battles), BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := BradleyTerry(raw, BTOptions{Rounds: -1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Ratings {
		if a.Ratings[i].Model != b.Ratings[i].Model || math.Abs(a.Ratings[i].Rating-b.Ratings[i].Rating) > 1e-9 {
			t.Errorf("aggregated %+v, raw %+v", a.Ratings[i], b.Ratings[i])
		}
	}
}
