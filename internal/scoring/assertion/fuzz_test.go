package assertion

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// direct builds a scorer with its constructor alone, skipping the registry's schema
// check, so fuzz targets that vary params stay fast.
func direct(t *testing.T, newScorer func(json.RawMessage) (scoring.Scorer, error), params string) scoring.Scorer {
	t.Helper()
	s, err := newScorer(json.RawMessage(params))
	if err != nil {
		t.Fatalf("new(%s): %v", params, err)
	}
	return s
}

// fuzzSeeds are inputs worth starting every fuzz target from.
var fuzzSeeds = []string{
	"", " ", "\x00", "\xff\xfe", "Sure! ```json\n{\"a\": [1, 2.5e3, null]}\n```",
	"ß STRASSE İstanbul ΣΊΣΥΦΟΣ ﬁ", "日本語のテキスト", "a\r\nb\r\n", "````\n```\n````",
	"{\"name\": \"Ada\", \"age\": 36}", "[[[[[[[[", "\"\\ud800\"", "e\u0301",
}

// scoreFuzz scores item and checks what must hold for any input: no error, a
// finite value of 0 or 1 that agrees with Passed, details that marshal to JSON.
func scoreFuzz(t *testing.T, s scoring.Scorer, item scoring.Item) bool {
	t.Helper()
	res, err := s.Score(context.Background(), item)
	if err != nil {
		t.Fatalf("Score(%q): %v", item.Response, err)
	}
	if res.Passed == nil || math.IsNaN(res.Value) || math.IsInf(res.Value, 0) || (res.Value != 0 && res.Value != 1) || (res.Value == 1) != *res.Passed {
		t.Fatalf("Score(%q) = value %v passed %v, want 0/1 agreeing with passed", item.Response, res.Value, res.Passed)
	}
	if _, err := json.Marshal(res); err != nil {
		t.Fatalf("marshal details of %q: %v", item.Response, err)
	}
	return *res.Passed
}

func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Add("Hello, World! 123")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fold(s), cases.Fold().String(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzContains(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "a")
		f.Add(s, "SS")
	}
	f.Fuzz(func(t *testing.T, resp, value string) {
		// Params arrive as JSON, so a value is non-empty valid UTF-8.
		if value == "" || !utf8.ValidString(value) {
			return
		}
		vals, _ := json.Marshal([]string{value})
		cs := direct(t, newContains, `{"values":`+string(vals)+`}`)
		if got, want := scoreFuzz(t, cs, scoring.Item{Response: resp}), strings.Contains(resp, value); got != want {
			t.Errorf("contains(%q, %q) = %v, want %v", resp, value, got, want)
		}
		ci := direct(t, newContains, `{"values":`+string(vals)+`,"case_sensitive":false,"mode":"none"}`)
		if got, want := scoreFuzz(t, ci, scoring.Item{Response: resp}), !strings.Contains(fold(resp), fold(value)); got != want {
			t.Errorf("contains none, folded (%q, %q) = %v, want %v", resp, value, got, want)
		}
	})
}

func FuzzRegex(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	s1 := build(f, "regex", `{"pattern":"\\p{L}+\\s*$","flags":"m"}`)
	s2 := build(f, "regex", `{"pattern":"(?:ab|a)*c","flags":"is","must_match":false}`)
	f.Fuzz(func(t *testing.T, resp string) {
		scoreFuzz(t, s1, scoring.Item{Response: resp})
		scoreFuzz(t, s2, scoring.Item{Response: resp})
	})
}

func FuzzEquals(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, " "+s)
		f.Add(s, strings.ToUpper(s))
	}
	f.Fuzz(func(t *testing.T, resp, ref string) {
		item := scoring.Item{Response: resp, Reference: ref, HasReference: true}
		exact := direct(t, newEquals, `{"use_reference":true,"trim":false}`)
		if got, want := scoreFuzz(t, exact, item), resp == ref; got != want {
			t.Errorf("equals(%q, %q) = %v, want %v", resp, ref, got, want)
		}
		loose := direct(t, newEquals, `{"use_reference":true,"case_sensitive":false}`)
		want := fold(strings.TrimSpace(resp)) == fold(strings.TrimSpace(ref))
		if got := scoreFuzz(t, loose, item); got != want {
			t.Errorf("equals folded trimmed (%q, %q) = %v, want %v", resp, ref, got, want)
		}
		if d := firstDifference(resp, ref); d < 0 || (resp != ref && d > min(len(resp), len(ref))) {
			t.Errorf("firstDifference(%q, %q) = %d, out of range", resp, ref, d)
		}
	})
}

func FuzzStartsWith(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s, "s")
		f.Add(" "+s, "ss")
	}
	f.Fuzz(func(t *testing.T, resp, value string) {
		// Params arrive as JSON, so a value is non-empty valid UTF-8.
		if value == "" || !utf8.ValidString(value) {
			return
		}
		v, _ := json.Marshal(value)
		raw := direct(t, newStartsWith, `{"value":`+string(v)+`,"trim_leading_space":false}`)
		if got, want := scoreFuzz(t, raw, scoring.Item{Response: resp}), strings.HasPrefix(resp, value); got != want {
			t.Errorf("starts_with(%q, %q) = %v, want %v", resp, value, got, want)
		}
		// Folding only a prefix of the response must decide as folding all of it.
		ci := direct(t, newStartsWith, `{"value":`+string(v)+`,"case_sensitive":false}`)
		want := strings.HasPrefix(fold(strings.TrimLeftFunc(resp, unicode.IsSpace)), fold(value))
		if got := scoreFuzz(t, ci, scoring.Item{Response: resp}); got != want {
			t.Errorf("starts_with folded (%q, %q) = %v, want %v", resp, value, got, want)
		}
	})
}

func FuzzJSON(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	plain := build(f, "json", `{}`)
	fenced := build(f, "json", `{"extract":"fenced","schema":`+personSchema+`}`)
	f.Fuzz(func(t *testing.T, resp string) {
		got := scoreFuzz(t, plain, scoring.Item{Response: resp})
		if want := json.Valid([]byte(strings.TrimSpace(resp))); got != want {
			t.Errorf("json(%q) = %v, json.Valid = %v", resp, got, want)
		}
		scoreFuzz(t, fenced, scoring.Item{Response: resp})
	})
}
