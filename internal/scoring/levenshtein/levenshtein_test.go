package levenshtein

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// TestDistance checks distances against nltk 3.8's nltk.metrics.distance.edit_distance
// (substitution cost 1, no transpositions), which gave every expected value here;
// the classic ones are also textbook results (kitten/sitting 3, flaw/lawn 2,
// intention/execution 5).
func TestDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"kitten sitting", "kitten", "sitting", 3},
		{"sitting kitten", "sitting", "kitten", 3},
		{"flaw lawn", "flaw", "lawn", 2},
		{"intention execution", "intention", "execution", 5},
		{"both empty", "", "", 0},
		{"empty first", "", "abc", 3},
		{"empty second", "abc", "", 3},
		{"equal", "abc", "abc", 0},
		{"precomposed accent", "café", "cafe", 1},
		{"decomposed against precomposed", "cafe\u0301", "café", 2},
		{"han", "日本語", "日本", 1},
		{"emoji skin tone modifier", "👍🏽", "👍", 1},
		{"case differs", "Σίσυφος", "σίσυφος", 1},
		{"saturday sunday", "saturday", "sunday", 3},
		{"rosettacode", "rosettacode", "raisethysword", 8},
		{"rotation over a word boundary", strings.Repeat("a", 70) + "b", "b" + strings.Repeat("a", 70), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Distance(context.Background(), []rune(tt.a), []rune(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if dp, _ := distanceDP(context.Background(), []rune(tt.a), []rune(tt.b)); dp != tt.want {
				t.Errorf("distanceDP(%q, %q) = %d, want %d", tt.a, tt.b, dp, tt.want)
			}
		})
	}
}

func score1(t *testing.T, params, response, reference string) scoring.Result {
	t.Helper()
	s, err := Levenshtein().New(json.RawMessage(params))
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Score(context.Background(), scoring.Item{Response: response, Reference: reference, HasReference: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestScorer checks the value 1 − d/max(len) (by hand from the distances above) and
// case folding: Kitten/kITTEN differ in all 6 letters, and with case_sensitive false
// in none; ß folds
// only to ẞ, so "straße" → "STRASSE" still needs ß→S and one inserted S (d = 2 of 7).
func TestScorer(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, params, response, reference string
		value                             float64
		distance                          int
	}{
		{"both empty", `{}`, "", "", 1, 0},
		{"one empty", `{}`, "", "abc", 0, 3},
		{"kitten", `{}`, "kitten", "sitting", 1 - 3.0/7, 3},
		{"code points not bytes", `{}`, "café", "cafe", 1 - 1.0/4, 1},
		{"decomposed", `{}`, "cafe\u0301", "café", 1 - 2.0/5, 2},
		{"case sensitive by default", `{}`, "Kitten", "kITTEN", 0, 6},
		{"case insensitive", `{"case_sensitive":false}`, "Kitten", "kITTEN", 1, 0},
		{"kelvin sign folds with k", `{"case_sensitive":false}`, "\u212Aelvin", "kelvin", 1, 0},
		{"greek final sigma folds", `{"case_sensitive":false}`, "ΟΔΟΣ", "οδος", 1, 0},
		{"sharp s is not ss", `{"case_sensitive":false}`, "straße", "STRASSE", 1 - 2.0/7, 2},
		{"explicit case sensitive", `{"case_sensitive":true}`, "ΟΔΟΣ", "οδος", 0, 4},
		{"invalid utf-8 is one U+FFFD per byte", `{}`, "a\xff\xfe", "a\uFFFD\uFFFD", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := score1(t, tt.params, tt.response, tt.reference)
			if math.Abs(res.Value-tt.value) > 1e-15 {
				t.Errorf("value = %v, want %v", res.Value, tt.value)
			}
			if res.Details["distance"] != tt.distance {
				t.Errorf("distance = %v, want %d", res.Details["distance"], tt.distance)
			}
		})
	}
}

// TestLongInput: "a"×100,000 against the same with k letters replaced by "b" has
// distance exactly k (each b must be paid for, and k substitutions suffice), and the
// bit-parallel blocks handle it quickly.
func TestLongInput(t *testing.T) {
	t.Parallel()
	a := []rune(strings.Repeat("a", 100000))
	b := append([]rune(nil), a...)
	for i := 0; i < 37; i++ {
		b[i*2701] = 'b'
	}
	got, err := Distance(context.Background(), a, b)
	if err != nil || got != 37 {
		t.Errorf("Distance = %d, %v, want 37", got, err)
	}
}

// TestManyDistinctRunes forces the fallback to the dynamic programme (a pattern of
// 8,200 distinct runes needs 8,200 × 129 mask words, over the limit): replacing every
// second rune with one absent from the text gives distance 4,100 by the same argument
// as above.
func TestManyDistinctRunes(t *testing.T) {
	t.Parallel()
	a := make([]rune, 8200)
	for i := range a {
		a[i] = rune(0x4E00 + i)
	}
	b := append([]rune(nil), a...)
	for i := 0; i < len(b); i += 2 {
		b[i] = 'x'
	}
	if p := newPattern(a); p.distinct*p.words <= maxPeqWords {
		t.Fatalf("pattern table %d words, want over %d", p.distinct*p.words, maxPeqWords)
	}
	got, err := Distance(context.Background(), a, b)
	if err != nil || got != 4100 {
		t.Errorf("Distance = %d, %v, want 4100", got, err)
	}
}

func TestHonoursContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a := []rune(strings.Repeat("ab", 5000))
	b := []rune(strings.Repeat("ba", 5000))
	if _, err := Distance(ctx, a, b); !errors.Is(err, context.Canceled) {
		t.Errorf("Distance on a cancelled context = %v, want context.Canceled", err)
	}
}

// TestAgainstDP compares the bit-parallel paths with the dynamic programme on random
// pairs with lengths around the word boundaries.
func TestAgainstDP(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 5))
	ctx := context.Background()
	for _, n := range []int{1, 2, 63, 64, 65, 127, 128, 129, 200, 513} {
		for _, alphabet := range []int{2, 4, 30, 3000} {
			a := randomRunes(rng, n, alphabet)
			b := randomRunes(rng, rng.IntN(2*n+1), alphabet)
			got, _ := Distance(ctx, a, b)
			want, _ := distanceDP(ctx, a, b)
			if got != want {
				t.Errorf("n=%d alphabet=%d: Distance = %d, want %d", n, alphabet, got, want)
			}
		}
	}
}

func randomRunes(rng *rand.Rand, n, alphabet int) []rune {
	out := make([]rune, n)
	for i := range out {
		out[i] = rune('a' + rng.IntN(alphabet))
	}
	return out
}

func TestRegistry(t *testing.T) {
	t.Parallel()
	reg, err := scoring.NewRegistry(Levenshtein())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Build([]domain.ScorerConfig{{Type: "levenshtein", Params: json.RawMessage(`{"case_sensitive":"no"}`)}}); err == nil {
		t.Error("Build accepted case_sensitive \"no\"")
	}
	if _, err := reg.Build([]domain.ScorerConfig{{Type: "levenshtein", Params: json.RawMessage(`{"max_length":10}`)}}); err == nil {
		t.Error("Build accepted an unknown param")
	}
	set, err := reg.Build([]domain.ScorerConfig{{Type: "levenshtein"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := set.Score(context.Background(), scoring.Item{Response: "flaw", Reference: "lawn", HasReference: true})
	if err != nil || out[0].Err != nil {
		t.Fatalf("Score: %v %v", err, out[0].Err)
	}
	if out[0].Result.Value != 0.5 {
		t.Errorf("value = %v, want 0.5 (1 - 2/4)", out[0].Result.Value)
	}
}

// FuzzDistance checks the bit-parallel distance against the dynamic programme, on
// raw strings and on the same bytes squeezed into a small alphabet (to make matches
// frequent), and the bounds |len a − len b| ≤ d ≤ max(len a, len b) and symmetry.
func FuzzDistance(f *testing.F) {
	f.Add("kitten", "sitting", uint8(0))
	f.Add(strings.Repeat("ab", 40), strings.Repeat("ba", 41), uint8(2))
	f.Fuzz(func(t *testing.T, x, y string, alpha uint8) {
		ctx := context.Background()
		a, b := []rune(x), []rune(y)
		if alpha > 0 {
			a, b = squeeze(x, int(alpha%8)+1), squeeze(y, int(alpha%8)+1)
		}
		got, _ := Distance(ctx, a, b)
		want, _ := distanceDP(ctx, a, b)
		if got != want {
			t.Fatalf("Distance = %d, want %d for %q, %q", got, want, string(a), string(b))
		}
		if rev, _ := Distance(ctx, b, a); rev != got {
			t.Fatalf("Distance not symmetric: %d, reversed %d", got, rev)
		}
		lo, hi := len(a)-len(b), max(len(a), len(b))
		if lo < 0 {
			lo = -lo
		}
		if got < lo || got > hi {
			t.Fatalf("Distance %d outside [%d, %d]", got, lo, hi)
		}
	})
}

func squeeze(s string, alphabet int) []rune {
	out := make([]rune, len(s))
	for i := 0; i < len(s); i++ {
		out[i] = rune('a' + int(s[i])%alphabet)
	}
	return out
}

// BenchmarkLevenshtein scores a ~2 KB response against a ~2 KB reference that shares
// most of its text (a light edit), and against an unrelated one.
func BenchmarkLevenshtein(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 9))
	words := strings.Fields("the model answered question with short summary main points reward preference human")
	var sb strings.Builder
	for sb.Len() < 2048 {
		sb.WriteString(words[rng.IntN(len(words))])
		sb.WriteByte(' ')
	}
	ref := sb.String()
	edited := strings.ReplaceAll(ref, "model", "system")
	var ub strings.Builder
	for ub.Len() < 2048 {
		ub.WriteString(words[rng.IntN(len(words))])
		ub.WriteByte(' ')
	}
	s, err := Levenshtein().New(json.RawMessage(`{}`))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, response string }{{"edited", edited}, {"unrelated", ub.String()}} {
		b.Run(bc.name, func(b *testing.B) {
			item := scoring.Item{Response: bc.response, Reference: ref, HasReference: true}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Score(ctx, item); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
		})
	}
}
