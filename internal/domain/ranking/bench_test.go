package ranking

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// syntheticBattles draws n battles among m models whose true strengths are spread
// evenly over ±2 natural units (≈ ±350 Elo points): each battle picks two different
// models at random, declares a tie with probability 0.2 and otherwise lets B win with
// the Bradley–Terry probability.
func syntheticBattles(seed uint64, m, n int) []Battle {
	rng := rand.New(rand.NewPCG(seed, 1))
	strength := make([]float64, m)
	names := make([]string, m)
	for i := range m {
		strength[i] = -2 + 4*float64(i)/float64(max(m-1, 1))
		names[i] = fmt.Sprintf("model-%03d", i)
	}
	battles := make([]Battle, n)
	for k := range battles {
		a := rng.IntN(m)
		b := rng.IntN(m - 1)
		if b >= a {
			b++
		}
		p := 0.5
		if rng.Float64() >= 0.2 {
			if rng.Float64() < 1/(1+math.Exp(strength[a]-strength[b])) {
				p = 1
			} else {
				p = 0
			}
		}
		battles[k] = Battle{ModelA: names[a], ModelB: names[b], Preference: p}
	}
	return battles
}

func BenchmarkAggregate1M(b *testing.B) {
	battles := syntheticBattles(1, 100, 1_000_000)
	b.ResetTimer()
	for b.Loop() {
		_ = Aggregate(battles)
	}
}

func BenchmarkBradleyTerry1M(b *testing.B) {
	outcomes := Aggregate(syntheticBattles(1, 100, 1_000_000))
	for _, rounds := range []int{-1, 100} {
		b.Run(fmt.Sprintf("rounds=%d", max(rounds, 0)), func(b *testing.B) {
			for b.Loop() {
				if _, err := BradleyTerry(outcomes, BTOptions{Rounds: rounds}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
