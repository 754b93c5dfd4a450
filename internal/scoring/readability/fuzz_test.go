package readability

import (
	"context"
	"encoding/json"
	"math"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func FuzzCount(f *testing.F) {
	for _, s := range []string{
		"", "The cat sat on the mat.", "e.g. this", "3.14.15", "a-", "-a", "a--b", "'a'", "x'\xff", "東京。と",
		"Wait… what?!\n\n- list\n# heading", "\"Stop!\")", "rhythm area", "\xff\xfe", "e\u0301\u0301-",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c := Count(text)
		if c.Words < 0 || c.Sentences > c.Words || (c.Words > 0) != (c.Sentences > 0) || c.Syllables < c.Words {
			t.Fatalf("Count(%q) = %+v, inconsistent", text, c)
		}
		res, err := score(context.Background(), scoring.Item{Response: text})
		if err != nil {
			t.Fatalf("score: %v", err)
		}
		if math.IsNaN(res.Value) || math.IsInf(res.Value, 0) {
			t.Fatalf("value(%q) = %v, want finite", text, res.Value)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("marshal result of %q: %v", text, err)
		}
	})
}

func FuzzSyllables(f *testing.F) {
	for _, s := range []string{"", "readability", "y", "ye", "les", "es", "ed", "le", "Ÿ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, word string) {
		n := Syllables(word)
		if n < 1 || n > len(word)+1 {
			t.Fatalf("Syllables(%q) = %d, want between 1 and %d", word, n, len(word)+1)
		}
	})
}
