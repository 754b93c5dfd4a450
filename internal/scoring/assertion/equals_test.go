package assertion

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

func TestEquals(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 1<<20)
	tests := []struct {
		name      string
		params    string
		item      scoring.Item
		pass      bool
		firstDiff int // checked when the texts differ
		source    string
	}{
		{"equal", `{"value":"Paris"}`, scoring.Item{Response: "Paris"}, true, 0, "value"},
		{"trimmed by default", `{"value":"Paris"}`, scoring.Item{Response: "  Paris\n"}, true, 0, "value"},
		{"value trimmed too", `{"value":" Paris "}`, scoring.Item{Response: "Paris"}, true, 0, "value"},
		{"no trim", `{"value":"Paris","trim":false}`, scoring.Item{Response: " Paris"}, false, 0, "value"},
		{"case sensitive by default", `{"value":"paris"}`, scoring.Item{Response: "PARIS"}, false, 0, "value"},
		{"case insensitive", `{"value":"paris","case_sensitive":false}`, scoring.Item{Response: "PARIS"}, true, 0, "value"},
		{"case insensitive unicode", `{"value":"Ñandú","case_sensitive":false}`, scoring.Item{Response: "ñANDÚ"}, true, 0, "value"},
		// "Par" agrees, then 'i' != 'j' at code point 3.
		{"differs inside", `{"value":"Paris"}`, scoring.Item{Response: "Parjs"}, false, 3, "value"},
		{"response is a prefix", `{"value":"Paris"}`, scoring.Item{Response: "Par"}, false, 3, "value"},
		{"response extends the value", `{"value":"Paris"}`, scoring.Item{Response: "Paris, France"}, false, 5, "value"},
		// "日本" agrees, then 語 != 人 at code point 2.
		{"differs after multibyte", `{"value":"日本語"}`, scoring.Item{Response: "日本人"}, false, 2, "value"},
		{"empty value and empty response", `{"value":""}`, scoring.Item{Response: ""}, true, 0, "value"},
		{"empty value and blank response", `{"value":""}`, scoring.Item{Response: " \n\t"}, true, 0, "value"},
		{"empty value and text", `{"value":""}`, scoring.Item{Response: "x"}, false, 0, "value"},
		{"reference equal", `{"use_reference":true}`, scoring.Item{Response: "42\n", Reference: "42", HasReference: true}, true, 0, "reference"},
		{"reference differs", `{"use_reference":true}`, scoring.Item{Response: "41", Reference: "42", HasReference: true}, false, 1, "reference"},
		{"very long equal", `{"use_reference":true}`, scoring.Item{Response: long, Reference: long, HasReference: true}, true, 0, "reference"},
		{"very long differs at end", `{"use_reference":true}`, scoring.Item{Response: long + "y", Reference: long + "z", HasReference: true}, false, 1 << 20, "reference"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			pass, details := run(t, build(t, "equals", tt.params), tt.item)
			if pass != tt.pass {
				t.Errorf("passed = %v, want %v", pass, tt.pass)
			}
			if details["source"] != tt.source {
				t.Errorf("source = %v, want %v", details["source"], tt.source)
			}
			fd, has := details["first_difference"]
			if has == tt.pass {
				t.Fatalf("first_difference = %v present %v, want present %v", fd, has, !tt.pass)
			}
			if has && int(fd.(float64)) != tt.firstDiff {
				t.Errorf("first_difference = %v, want %d", fd, tt.firstDiff)
			}
		})
	}
}

func TestEqualsNeedsReferenceWhenConfigured(t *testing.T) {
	t.Parallel()
	s := build(t, "equals", `{"use_reference":true}`)
	_, err := s.Score(context.Background(), scoring.Item{Response: "42"})
	if !errors.Is(err, errNoReference) {
		t.Errorf("Score without reference: err = %v, want %v", err, errNoReference)
	}
}
