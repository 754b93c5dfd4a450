package web

import (
	"reflect"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

func join(ss []Segment) string {
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s.Text)
	}
	return b.String()
}

func TestWordDiff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		a, b         string
		wantA, wantB []Segment
	}{
		{"equal", "one two", "one two", []Segment{{Text: "one two"}}, []Segment{{Text: "one two"}}},
		{"a phrase replaced", "the cat sat down", "the dog ran down",
			[]Segment{{Text: "the "}, {Text: "cat sat", Mark: "del"}, {Text: " down"}},
			[]Segment{{Text: "the "}, {Text: "dog ran", Mark: "ins"}, {Text: " down"}}},
		{"appended", "go", "go  home\n",
			[]Segment{{Text: "go"}},
			[]Segment{{Text: "go  "}, {Text: "home", Mark: "ins"}, {Text: "\n"}}},
		{"empty side", "", "new words", nil, []Segment{{Text: "new words", Mark: "ins"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ga, gb, ok := wordDiff(tt.a, tt.b)
			if !ok {
				t.Fatal("not diffed")
			}
			if !reflect.DeepEqual(ga, tt.wantA) || !reflect.DeepEqual(gb, tt.wantB) {
				t.Errorf("wordDiff = %q | %q, want %q | %q", ga, gb, tt.wantA, tt.wantB)
			}
			if join(ga) != tt.a || join(gb) != tt.b {
				t.Errorf("segments do not rebuild the texts: %q, %q", join(ga), join(gb))
			}
		})
	}
	long := strings.Repeat("w ", 3000)
	if _, _, ok := wordDiff(long, long+"x"); ok {
		t.Error("a 3000 × 3001 word diff ran; it should be refused as too long")
	}
}

func TestSegments(t *testing.T) {
	t.Parallel()
	text := "Mail é@x.io or call; I can't help."
	scores := []domain.Score{
		{Scorer: "pii", Details: map[string]any{"findings": []any{
			map[string]any{"type": "email", "start": 5.0, "end": 12.0},
			map[string]any{"type": "bogus", "start": 6.0, "end": 99.0}, // past the end: dropped
			map[string]any{"type": "split", "start": 6.0, "end": 7.0},  // inside é: dropped
		}}},
		{Scorer: "refusal", Details: map[string]any{"category": "direct", "matched": map[string]any{"text": "I can't help", "start": 22.0, "end": 34.0}}},
		{Scorer: "length", Details: map[string]any{"words": 7.0}},
	}
	got := segments(text, spansOf(text, scores))
	want := []Segment{
		{Text: "Mail "},
		{Text: "é@x.io", Mark: "pii", Label: "pii: email"},
		{Text: " or call; "},
		{Text: "I can't help", Mark: "refusal", Label: "refusal: refusal cue (direct)"},
		{Text: "."},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("segments = %q, want %q", got, want)
	}
	if join(got) != text {
		t.Errorf("segments rebuild %q, want %q", join(got), text)
	}
}
