package rouge

import (
	"context"
	"math/rand/v2"
	"testing"
)

// TestLCSLengthAgainstDP compares the bit-parallel LCS with the textbook dynamic
// programme on random sequences whose lengths straddle the 64-bit word boundaries.
func TestLCSLengthAgainstDP(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, 63, 64, 65, 127, 128, 129, 300} {
		for _, alphabet := range []int{1, 2, 4, 26, 500} {
			a := randomTokens(rng, n, alphabet)
			b := randomTokens(rng, rng.IntN(2*n+2), alphabet)
			got, err := lcsLength(ctx, a, b, alphabet)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := lcsLengthDP(ctx, a, b)
			if got != want {
				t.Errorf("n=%d alphabet=%d: lcsLength = %d, want %d (dynamic programme)", n, alphabet, got, want)
			}
		}
	}
}

func randomTokens(rng *rand.Rand, n, alphabet int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(rng.IntN(alphabet))
	}
	return out
}

func bytesToTokens(b []byte, alphabet int) []int32 {
	out := make([]int32, len(b))
	for i, c := range b {
		out[i] = int32(int(c) % alphabet)
	}
	return out
}

// FuzzLCS checks the bit-parallel LCS against the dynamic programme, and that the
// summary-level LCS of one line against one line is plain ROUGE-L.
func FuzzLCS(f *testing.F) {
	f.Add([]byte("abcbdab"), []byte("bdcaba"), uint8(26))
	f.Add(make([]byte, 130), make([]byte, 70), uint8(1))
	f.Fuzz(func(t *testing.T, x, y []byte, alpha uint8) {
		alphabet := int(alpha%32) + 1
		a, b := bytesToTokens(x, alphabet), bytesToTokens(y, alphabet)
		ctx := context.Background()
		got, err := lcsLength(ctx, a, b, alphabet)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := lcsLengthDP(ctx, a, b)
		if got != want {
			t.Fatalf("lcsLength = %d, want %d", got, want)
		}
		if len(a)*len(b) > maxTableCells/64 {
			return
		}
		sum, err := summaryLCS(ctx, [][]int32{a}, [][]int32{b}, alphabet)
		if err != nil {
			t.Fatal(err)
		}
		l, _ := scoreLCS(ctx, a, b, alphabet)
		if sum != l {
			t.Fatalf("one-line summaryLCS = %+v, want scoreLCS %+v", sum, l)
		}
	})
}
