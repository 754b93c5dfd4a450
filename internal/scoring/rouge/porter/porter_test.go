package porter

import (
	"strings"
	"testing"
)

// TestStem checks words covering every rule of every step, the irregular table and
// NLTK's departures from the paper. The examples are the paper's own (Porter 1980,
// quoted in NLTK's docstrings); every expected stem is the output of the oracle
// nltk 3.8 PorterStemmer() (mode NLTK_EXTENSIONS, as rouge-score constructs it) on
// the same word, which for some paper examples differs from the paper's intermediate
// result because all steps run.
func TestStem(t *testing.T) {
	t.Parallel()
	tests := []struct{ word, want string }{
		{"caresses", "caress"},
		{"ponies", "poni"},
		{"ties", "tie"},
		{"caress", "caress"},
		{"cats", "cat"},
		{"feed", "feed"},
		{"agreed", "agre"},
		{"plastered", "plaster"},
		{"bled", "bled"},
		{"motoring", "motor"},
		{"sing", "sing"},
		{"conflated", "conflat"},
		{"troubled", "troubl"},
		{"sized", "size"},
		{"hopping", "hop"},
		{"tanned", "tan"},
		{"falling", "fall"},
		{"hissing", "hiss"},
		{"fizzed", "fizz"},
		{"failing", "fail"},
		{"filing", "file"},
		{"happy", "happi"},
		{"sky", "sky"},
		{"relational", "relat"},
		{"conditional", "condit"},
		{"rational", "ration"},
		{"valenci", "valenc"},
		{"hesitanci", "hesit"},
		{"digitizer", "digit"},
		{"conformabli", "conform"},
		{"radicalli", "radic"},
		{"differentli", "differ"},
		{"vileli", "vile"},
		{"analogousli", "analog"},
		{"vietnamization", "vietnam"},
		{"predication", "predic"},
		{"operator", "oper"},
		{"feudalism", "feudal"},
		{"decisiveness", "decis"},
		{"hopefulness", "hope"},
		{"callousness", "callous"},
		{"formaliti", "formal"},
		{"sensitiviti", "sensit"},
		{"sensibiliti", "sensibl"},
		{"triplicate", "triplic"},
		{"formative", "form"},
		{"formalize", "formal"},
		{"electriciti", "electr"},
		{"electrical", "electr"},
		{"hopeful", "hope"},
		{"goodness", "good"},
		{"revival", "reviv"},
		{"allowance", "allow"},
		{"inference", "infer"},
		{"airliner", "airlin"},
		{"gyroscopic", "gyroscop"},
		{"adjustable", "adjust"},
		{"defensible", "defens"},
		{"irritant", "irrit"},
		{"replacement", "replac"},
		{"adjustment", "adjust"},
		{"dependent", "depend"},
		{"adoption", "adopt"},
		{"homologou", "homolog"},
		{"communism", "commun"},
		{"activate", "activ"},
		{"angulariti", "angular"},
		{"homologous", "homolog"},
		{"effective", "effect"},
		{"bowdlerize", "bowdler"},
		{"probate", "probat"},
		{"rate", "rate"},
		{"cease", "ceas"},
		{"controll", "control"},
		{"roll", "roll"},
		{"dies", "die"},
		{"died", "die"},
		{"spied", "spi"},
		{"flies", "fli"},
		{"enjoy", "enjoy"},
		{"spy", "spi"},
		{"skies", "sky"},
		{"dying", "die"},
		{"news", "news"},
		{"innings", "inning"},
		{"proceed", "proceed"},
		{"exceed", "exceed"},
		{"succeed", "succeed"},
		{"howe", "howe"},
		{"generalli", "gener"},
		{"geology", "geolog"},
		{"theology", "theolog"},
		{"hopefulli", "hope"},
		{"Sky", "ski"},
		{"SKIES", "ski"},
		{"Running", "run"},
		{"2nd", "2nd"},
		{"abc123ing", "abc123"},
		{"yyyy", "yyyi"},
		{"syzygy", "syzygi"},
		{"toy", "toy"},
	}
	for _, tt := range tests {
		t.Run(tt.word, func(t *testing.T) {
			t.Parallel()
			if got := Stem(tt.word); got != tt.want {
				t.Errorf("Stem(%q) = %q, want %q", tt.word, got, tt.want)
			}
		})
	}
}

// TestStemLeavesOtherWordsAlone checks the documented contract for input outside
// ASCII letters and digits: it is returned unchanged.
func TestStemLeavesOtherWordsAlone(t *testing.T) {
	t.Parallel()
	for _, w := range []string{"", "café", "naïvely", "well-known", "running!", "日本語", "a b"} {
		if got := Stem(w); got != w {
			t.Errorf("Stem(%q) = %q, want it unchanged", w, got)
		}
	}
}

func isLowerAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

// FuzzStem checks invariants that hold for every input: no panic; a word of ASCII
// letters and digits stems to a non-empty lowercase word no longer than it; anything
// else comes back unchanged.
func FuzzStem(f *testing.F) {
	for _, s := range []string{"running", "yyyyy", "generalizations", "Skies", "a1b2", "ied", "café"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, w string) {
		got := Stem(w)
		if w == "" || !isLowerAlnum(strings.ToLower(w)) || strings.ToLower(w) != asciiLower(w) {
			if got != w {
				t.Fatalf("Stem(%q) = %q, want it unchanged", w, got)
			}
			return
		}
		if got == "" || !isLowerAlnum(got) || len(got) > len(w) {
			t.Fatalf("Stem(%q) = %q: want a non-empty [a-z0-9] word no longer than the input", w, got)
		}
	})
}

func BenchmarkStem(b *testing.B) {
	words := strings.Fields("the generalizations of relational databases were hopefully conditionally " +
		"formalized by communities adjusting their effective operational predications")
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		Stem(words[i%len(words)])
	}
}
