package domain

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"canonical", "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f", true},
		{"upper case", "0190B6F1-7C7E-7A3B-8F3E-2F5A9C0D1E2F", true},
		{"nil uuid", "00000000-0000-0000-0000-000000000000", true},
		{"no hyphens", "0190b6f17c7e7a3b8f3e2f5a9c0d1e2f", false},
		{"braces", "{0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f}", false},
		{"hyphen misplaced", "0190b6f1-7c7e7-a3b-8f3e-2f5a9c0d1e2f", false},
		{"not hex", "0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2g", false},
		{"empty", "", false},
		{"a name", "my-evaluation", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			id, err := ParseID(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseID(%q) error = %v, want ok %v", tt.in, err, tt.ok)
			}
			if tt.ok && id.String() != strings.ToLower(tt.in) {
				t.Errorf("String() = %q, want %q", id.String(), strings.ToLower(tt.in))
			}
		})
	}
}

func TestValidateEvaluationName(t *testing.T) {
	t.Parallel()
	for name, ok := range map[string]bool{
		"demo": true, "gpt-4o.2024_05": true, "0-start": true,
		"": false, "Demo": false, "has space": false, "-dash": false, "ümlaut": false,
		strings.Repeat("a", MaxNameLen): true, strings.Repeat("a", MaxNameLen+1): false,
		"0190b6f1-7c7e-7a3b-8f3e-2f5a9c0d1e2f": false,
	} {
		if err := ValidateEvaluationName(name); (err == nil) != ok {
			t.Errorf("ValidateEvaluationName(%q) = %v, want ok %v", name, err, ok)
		}
	}
}

func TestKeyToken(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		tok, err := NewKeyToken(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(tok) != keyLen || !strings.HasPrefix(tok, KeyTypePrefix) {
			t.Fatalf("token %q has the wrong shape", tok)
		}
		if err := CheckKeyToken(tok); err != nil {
			t.Fatalf("CheckKeyToken(fresh %q) = %v", tok, err)
		}
		if seen[tok] {
			t.Fatalf("token %q drawn twice", tok)
		}
		seen[tok] = true
		// Every single-character typo in the body is caught by the checksum or the
		// alphabet (CRC-32 detects all single-symbol errors in inputs this short).
		pos := len(KeyTypePrefix) + i%(keyRandomLen+keyChecksumLen)
		for _, c := range []byte{'0', 'a', 'Z', '-'} {
			if tok[pos] == c {
				continue
			}
			typo := tok[:pos] + string(c) + tok[pos+1:]
			if err := CheckKeyToken(typo); !errors.Is(err, ErrUnauthenticated) {
				t.Errorf("CheckKeyToken(%q, typo at %d) = %v, want ErrUnauthenticated", typo, pos, err)
			}
		}
	}
	for _, bad := range []string{"", "rlhf_", "ghp_" + strings.Repeat("a", 36), KeyTypePrefix + strings.Repeat("a", 37)} {
		if err := CheckKeyToken(bad); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("CheckKeyToken(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
	// All-zero randomness maps to '0' characters (0 % 62 = 0), and the token it
	// makes must pass its own check.
	zero, err := NewKeyToken(bytes.NewReader(make([]byte, 64)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(zero, KeyTypePrefix+strings.Repeat("0", keyRandomLen)) || CheckKeyToken(zero) != nil {
		t.Errorf("token from zero bytes = %q", zero)
	}
	if _, err := NewKeyToken(bytes.NewReader(nil)); err == nil {
		t.Errorf("NewKeyToken with an exhausted source succeeded")
	}
}

func TestScopes(t *testing.T) {
	t.Parallel()
	k := APIKey{Scopes: []Scope{ScopeWrite}}
	if !k.Allows(ScopeRead) || !k.Allows(ScopeWrite) || k.Allows(ScopeAdmin) {
		t.Errorf("write key allows read %v write %v admin %v; want true true false", k.Allows(ScopeRead), k.Allows(ScopeWrite), k.Allows(ScopeAdmin))
	}
	now := time.Now()
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	if !(APIKey{ExpiresAt: &future}).Usable(now) || (APIKey{ExpiresAt: &past}).Usable(now) || (APIKey{RevokedAt: &past}).Usable(now) {
		t.Errorf("Usable is wrong for expiry or revocation")
	}
}

func TestNewComparison(t *testing.T) {
	t.Parallel()
	ev := ID{1}
	a := Response{ID: ID{2}, EvaluationID: ev, PromptID: "p", Model: "m1"}
	b := Response{ID: ID{3}, EvaluationID: ev, PromptID: "p", Model: "m2"}
	otherPrompt := Response{ID: ID{4}, EvaluationID: ev, PromptID: "q"}
	otherEval := Response{ID: ID{5}, EvaluationID: ID{9}, PromptID: "p"}
	base := Comparison{EvaluationID: ev, AnnotatorKind: AnnotatorHuman}
	with := func(p float64) Comparison { c := base; c.Preference = p; return c }
	tests := []struct {
		name  string
		c     Comparison
		a, b  Response
		field string
	}{
		{"ok", with(0.7), a, b, ""},
		{"bounds are inclusive", with(1), a, b, ""},
		{"preference above 1", with(1.5), a, b, "preference"},
		{"preference below 0", with(-0.01), a, b, "preference"},
		{"itself", with(0.5), a, a, "response_b"},
		{"other prompt", with(0.5), a, otherPrompt, "response_b"},
		{"other evaluation", with(0.5), a, otherEval, "response_b"},
		{"unknown kind", Comparison{EvaluationID: ev, AnnotatorKind: "robot"}, a, b, "annotator_kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewComparison(tt.c, tt.a, tt.b)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("NewComparison = %v", err)
				}
				if got.ModelA != "m1" || got.ModelB != "m2" || got.PromptID != "p" || got.ResponseA != a.ID {
					t.Errorf("NewComparison = %+v, want models and prompt copied", got)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Field != tt.field {
				t.Errorf("NewComparison error = %v, want a validation error on %q", err, tt.field)
			}
		})
	}
	for p, want := range map[float64]Winner{0: WinnerA, 0.49: WinnerA, 0.5: WinnerTie, 0.51: WinnerB, 1: WinnerB} {
		if got := (Comparison{Preference: p}).Winner(); got != want {
			t.Errorf("Winner(%v) = %v, want %v", p, got, want)
		}
	}
}

func TestPrefixField(t *testing.T) {
	t.Parallel()
	err := errors.Join(Invalid("name", "bad"), Invalid("[2].x", "worse"), Invalid("", "whole"))
	got := Fields(PrefixField("scorers[0]", err))
	want := []string{"scorers[0].name: bad", "scorers[0][2].x: worse", "scorers[0]: whole"}
	if len(got) != len(want) {
		t.Fatalf("Fields = %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Error() != want[i] {
			t.Errorf("field %d = %q, want %q", i, got[i].Error(), want[i])
		}
	}
	if Fields(errors.New("plain")) != nil {
		t.Errorf("Fields(plain error) is not empty")
	}
}

func TestPromptHash(t *testing.T) {
	t.Parallel()
	// SHA-256("hi") = 8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4;
	// the prompt id is its first 16 bytes.
	if got := PromptHash("hi"); got != "8f434346648f6b96df89dda901c5176b" {
		t.Errorf("PromptHash(hi) = %q", got)
	}
}

func TestPassBandContains(t *testing.T) {
	t.Parallel()
	lo, hi := 1.0, 3.0
	tests := []struct {
		name string
		band PassBand
		v    float64
		want bool
	}{
		{"inside both bounds", PassBand{Min: &lo, Max: &hi}, 2, true},
		{"on the lower bound", PassBand{Min: &lo, Max: &hi}, 1, true},
		{"on the upper bound", PassBand{Min: &lo, Max: &hi}, 3, true},
		{"below the lower bound", PassBand{Min: &lo, Max: &hi}, 0.5, false},
		{"above the upper bound", PassBand{Min: &lo, Max: &hi}, 3.5, false},
		{"min only, above", PassBand{Min: &lo}, 100, true},
		{"min only, below", PassBand{Min: &lo}, -1, false},
		{"max only, below", PassBand{Max: &hi}, -100, true},
		{"max only, above", PassBand{Max: &hi}, 4, false},
	}
	for _, tt := range tests {
		if got := tt.band.Contains(tt.v); got != tt.want {
			t.Errorf("%s: Contains(%v) = %v, want %v", tt.name, tt.v, got, tt.want)
		}
	}
}
