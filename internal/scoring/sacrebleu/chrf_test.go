package sacrebleu

import (
	"reflect"
	"strings"
	"testing"
)

// corpusCHRF scores parallel hypotheses and single references as sacrebleu's
// corpus_chrf does: per-segment statistics, summed.
func corpusCHRF(t *testing.T, opts CHRFOptions, hyps, refs []string) CHRFScore {
	t.Helper()
	m, err := NewCHRFMetric(opts)
	if err != nil {
		t.Fatal(err)
	}
	stats := make([]CHRFStats, len(hyps))
	for i := range hyps {
		stats[i] = m.Stats(hyps[i], []string{refs[i]})
	}
	got, err := CorpusCHRF(stats, opts)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Expected scores are sacrebleu's test/test_chrf.py, asserted there within 1e-4:
// test_cases (eps_smoothing, beta 3), test_cases_effective_order (beta 3),
// test_cases_keep_whitespace (beta 3) and test_sentence_level_chrf (eps_smoothing,
// default beta 2).
func TestCHRFSacrebleuCases(t *testing.T) {
	t.Parallel()
	eps3 := CHRFOptions{CharOrder: 6, Beta: 3, EpsSmoothing: true}
	eff3 := CHRFOptions{CharOrder: 6, Beta: 3}
	ws3 := CHRFOptions{CharOrder: 6, Beta: 3, Whitespace: true}
	eps2 := CHRFOptions{CharOrder: 6, Beta: 2, EpsSmoothing: true}
	tests := []struct {
		name       string
		opts       CHRFOptions
		hyps, refs []string
		want       float64
	}{
		{"eps disjoint", eps3, []string{"abcdefg"}, []string{"hijklmnop"}, 0.0},
		{"eps single chars", eps3, []string{"a"}, []string{"b"}, 0.0},
		{"eps empty hyp b", eps3, []string{""}, []string{"b"}, 0.0},
		{"eps empty hyp ref", eps3, []string{""}, []string{"ref"}, 0.0},
		{"eps empty hyp reference", eps3, []string{""}, []string{"reference"}, 0.0},
		{"eps aa ab", eps3, []string{"aa"}, []string{"ab"}, 8.3333},
		{"eps two segments", eps3, []string{"a", "b"}, []string{"a", "c"}, 8.3333},
		{"eps a a", eps3, []string{"a"}, []string{"a"}, 16.6667},
		{"eps spaced", eps3, []string{"a b c"}, []string{"a b c"}, 50.0},
		{"eps whitespace ignored", eps3, []string{"a b c"}, []string{"abc"}, 50.0},
		{"eps risk assessment", eps3,
			[]string{" risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 63.361730},
		{"eps obama", eps3,
			[]string{" Die    Beziehung zwischen  Obama und Netanjahu ist nicht gerade  freundlich. "},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 64.1302698},
		{"eps identical", eps3, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, []string{"Niemand hat die Absicht, eine Mauer zu errichten"}, 100.0},

		{"effective a a", eff3, []string{"a"}, []string{"a"}, 100.0},
		{"effective empty hyp", eff3, []string{""}, []string{"reference"}, 0.0},
		{"effective spaced", eff3, []string{"a b c"}, []string{"a b c"}, 100.0},
		{"effective whitespace ignored", eff3, []string{"a b c"}, []string{"abc"}, 100.0},
		{"effective empty hyp c", eff3, []string{""}, []string{"c"}, 0.0},
		{"effective two segments", eff3, []string{"a", "b"}, []string{"a", "c"}, 50.0},
		{"effective aa ab", eff3, []string{"aa"}, []string{"ab"}, 25.0},

		{"whitespace obama", ws3,
			[]string{"Die Beziehung zwischen Obama und Netanjahu ist nicht gerade freundlich."},
			[]string{"Das Verhältnis zwischen Obama und Netanyahu ist nicht gerade freundschaftlich."}, 67.3481606},
		{"whitespace risk assessment", ws3,
			[]string{"risk assessment must be made of those who are qualified and expertise in the sector - these are the scientists ."},
			[]string{"risk assessment has to be undertaken by those who are qualified and expert in that area - that is the scientists ."}, 65.2414427},

		{"sentence czech 1", eps2,
			[]string{"Co nás nejvíc trápí, protože lékaři si vybírají, kdo bude žít a kdo zemře."},
			[]string{"Nejvíce smutní jsme z toho, že musíme rozhodovat o tom, kdo bude žít a kdo zemře."}, 39.14078509},
		{"sentence czech 2", eps2,
			[]string{"Nebo prostě nemají vybavení, které by jim pomohlo, uvedli lékaři."},
			[]string{"A někdy nemáme ani potřebný materiál, abychom jim pomohli, popsali lékaři."}, 31.22557079},
		{"sentence czech 3", eps2,
			[]string{"Lapali po dechu, jejich životy skončily dřív, než skutečně začaly."},
			[]string{"Lapali po dechu a pak jejich život skončil - dřív, než skutečně mohl začít, připomněli."}, 57.15704367},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := corpusCHRF(t, tt.opts, tt.hyps, tt.refs)
			if !near(got.Score, tt.want, 1e-4) {
				t.Errorf("chrf = %.8f, want %v", got.Score, tt.want)
			}
		})
	}
}

// Expected values come from an oracle run: sacrebleu 2.x's CHRF (metrics/chrf.py and
// metrics/helpers.py) transcribed into Python 3.11. chrF uses no transcendental
// functions, so the Go arithmetic, done in the same order, must agree exactly.
func TestSentenceCHRFOracleCases(t *testing.T) {
	t.Parallel()
	const (
		p1h = "The quick brown fox jumps over the lazy dog."
		p1r = "A quick brown fox jumped over the lazy dog."
		p2h = "Der schnelle braune Fuchs springt über den faulen Hund."
		p2r = "Der schnelle, braune Fuchs sprang über den faulen Hund!"
	)
	def := DefaultCHRFOptions()
	pp := CHRFOptions{CharOrder: 6, WordOrder: 2, Beta: 2}
	longHyp := strings.Repeat("the cat sat on the mat . ", 500)
	longRef := strings.Repeat("the cat sat on a mat . ", 500)
	tests := []struct {
		name      string
		opts      CHRFOptions
		hyp, ref  string
		wantScore float64
		wantStats CHRFStats
	}{
		{"default", def, p1h, p1r, 82.72049125618447,
			CHRFStats{36, 35, 33, 35, 34, 30, 34, 33, 28, 33, 32, 26, 32, 31, 24, 31, 30, 22}},
		{"chrF++", pp, p1h, p1r, 80.3758036095243,
			CHRFStats{36, 35, 33, 35, 34, 30, 34, 33, 28, 33, 32, 26, 32, 31, 24, 31, 30, 22, 10, 10, 8, 9, 9, 6}},
		{"chrF++ punctuation", pp, p2h, p2r, 74.35949188053058,
			CHRFStats{47, 47, 44, 46, 46, 40, 45, 45, 36, 44, 44, 33, 43, 43, 30, 42, 42, 27, 10, 11, 8, 9, 10, 5}},
		{"chinese", def, "我喜欢吃苹果。", "我爱吃苹果。", 36.21449559255632,
			CHRFStats{7, 6, 5, 6, 5, 3, 5, 4, 2, 4, 3, 1, 3, 2, 0, 2, 1, 0}},
		{"greek lowercase", CHRFOptions{CharOrder: 6, Beta: 2, Lowercase: true}, "ΟΔΟΣ ΚΑΙ ΠΟΛΗ", "οδο\u03c2 και πολη", 100,
			CHRFStats{11, 11, 11, 10, 10, 10, 9, 9, 9, 8, 8, 8, 7, 7, 7, 6, 6, 6}},
		{"greek case-sensitive", def, "ΟΔΟΣ ΚΑΙ ΠΟΛΗ", "οδο\u03c2 και πολη", 0,
			CHRFStats{11, 11, 0, 10, 10, 0, 9, 9, 0, 8, 8, 0, 7, 7, 0, 6, 6, 0}},
		{"keep whitespace", CHRFOptions{CharOrder: 6, Beta: 2, Whitespace: true}, p1h, p1r, 86.17955456101949,
			CHRFStats{44, 43, 41, 43, 42, 38, 42, 41, 36, 41, 40, 34, 40, 39, 32, 39, 38, 30}},
		{"chrF++ eps", CHRFOptions{CharOrder: 6, WordOrder: 2, Beta: 2, EpsSmoothing: true}, p2h, p2r, 74.34014767490564,
			CHRFStats{47, 47, 44, 46, 46, 40, 45, 45, 36, 44, 44, 33, 43, 43, 30, 42, 42, 27, 10, 11, 8, 9, 10, 5}},
		{"eps short", CHRFOptions{CharOrder: 6, Beta: 2, EpsSmoothing: true}, "ab", "abc", 21.16402116402116,
			CHRFStats{2, 3, 2, 1, 2, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		{"order 3 beta 1", CHRFOptions{CharOrder: 3, Beta: 1}, "Revenue rose 3.5% to €1,200 in 2023.", "Revenue increased 3.5% to €1,200 in 2023.", 80.24267311940183,
			CHRFStats{30, 35, 29, 29, 34, 25, 28, 33, 22}},
		{"long chrF++", pp, longHyp, longRef, 76.8351134957594,
			CHRFStats{9000, 8000, 7500, 8999, 7999, 6999, 8998, 7998, 6498, 8997, 7997, 5997, 8996, 7996, 5496, 8995, 7995, 4996, 3500, 3500, 3000, 3499, 3499, 2499}},
		// An order with no reference n-grams reports no hypothesis n-grams either.
		{"empty hypothesis", def, "", "abc", 0,
			CHRFStats{0, 3, 0, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// The reference has no 3- to 6-grams, so the hypothesis's are not counted.
		{"reference shorter than order", def, "abcd", "ab", 78.12499999999999,
			CHRFStats{4, 2, 2, 3, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}},
		// "(hi)" splits to "(hi" and ")" (sacrebleu issue #124), "there!" to "there" and "!".
		{"chrF++ word splitting", pp, "(hi) there!", "hi there", 41.92967108983681,
			CHRFStats{10, 7, 7, 9, 6, 5, 8, 5, 3, 7, 4, 2, 6, 3, 1, 5, 2, 0, 4, 2, 1, 3, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := NewCHRFMetric(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := m.Sentence(tt.hyp, []string{tt.ref})
			if !reflect.DeepEqual(got.Stats, tt.wantStats) {
				t.Errorf("stats = %v, want %v", got.Stats, tt.wantStats)
			}
			if got.Score != tt.wantScore {
				t.Errorf("chrf = %v, want %v", got.Score, tt.wantScore)
			}
		})
	}
}

// Expected values are an oracle run of the transcribed sacrebleu 2.x corpus_chrf. The
// first segment's reference is shorter than most orders, so its uncounted hypothesis
// n-grams change the corpus sum, not just that sentence.
func TestCorpusCHRFOracleCase(t *testing.T) {
	t.Parallel()
	got := corpusCHRF(t, DefaultCHRFOptions(), []string{"abcd", "hello world"}, []string{"ab", "hello there world"})
	want := CHRFStats{14, 17, 12, 12, 15, 9, 8, 13, 6, 7, 12, 4, 6, 11, 2, 5, 10, 0}
	if !reflect.DeepEqual(got.Stats, want) {
		t.Errorf("summed stats = %v, want %v", got.Stats, want)
	}
	if got.Score != 40.4731496180416 {
		t.Errorf("corpus chrf = %v, want 40.4731496180416", got.Score)
	}
}

// Hand derivations: word splitting as sacrebleu's _remove_punctuation.
func TestSplitPunctuation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want []string
	}{
		{"(hi)", []string{"(hi", ")"}},
		{"end.", []string{"end", "."}},
		{"'quoted", []string{"'", "quoted"}},
		{"! x", []string{"!", "x"}},
		{"«non-ascii»", []string{"«non-ascii»"}},
		{"über.", []string{"über", "."}},
	}
	for _, tt := range tests {
		if got := splitPunctuation(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitPunctuation(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Expected strings follow sacrebleu's CHRFSignature and CHRFScore naming ("chrF" + beta
// + one "+" per word order).
func TestCHRFSignatureAndName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		opts     CHRFOptions
		wantSig  string
		wantName string
	}{
		{"defaults", DefaultCHRFOptions(), "nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0", "chrF2"},
		{"chrF++ variant", CHRFOptions{CharOrder: 6, WordOrder: 2, Beta: 2, Lowercase: true, Whitespace: true, EpsSmoothing: true},
			"nrefs:1|case:lc|eff:no|nc:6|nw:2|space:yes|version:2.6.0", "chrF2++"},
		{"beta 3", CHRFOptions{CharOrder: 4, Beta: 3}, "nrefs:1|case:mixed|eff:yes|nc:4|nw:0|space:no|version:2.6.0", "chrF3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m, err := NewCHRFMetric(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Signature(1); got != tt.wantSig {
				t.Errorf("signature = %q, want %q", got, tt.wantSig)
			}
			if got := m.Name(); got != tt.wantName {
				t.Errorf("name = %q, want %q", got, tt.wantName)
			}
		})
	}
}

func TestCHRFRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		opts CHRFOptions
	}{
		{"zero value", CHRFOptions{}},
		{"char order too high", CHRFOptions{CharOrder: MaxCharOrder + 1, Beta: 2}},
		{"negative word order", CHRFOptions{CharOrder: 6, WordOrder: -1, Beta: 2}},
		{"beta zero", CHRFOptions{CharOrder: 6}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := NewCHRFMetric(tt.opts); err == nil {
				t.Errorf("NewCHRFMetric(%+v) succeeded, want an error", tt.opts)
			}
		})
	}
	m, err := NewCHRFMetric(DefaultCHRFOptions())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Compute(CHRFStats{1, 2, 3}); err == nil {
		t.Error("Compute of 3 values for 6 orders succeeded, want an error")
	}
	if _, err := m.Corpus([]CHRFStats{make(CHRFStats, 18), make(CHRFStats, 24)}); err == nil {
		t.Error("Corpus with a chrF++-sized segment succeeded, want an error")
	}
}
