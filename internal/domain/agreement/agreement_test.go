package agreement

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// matrix turns reliability data — one row per annotator, one column per item, "*" for
// a missing label — into labels. Annotators are named c0, c1, ..., items u00, u01, ...
func matrix(rows ...string) []Label {
	var labels []Label
	for a, row := range rows {
		for i, v := range strings.Fields(row) {
			if v == "*" {
				continue
			}
			labels = append(labels, Label{
				Item:      "u" + string(rune('0'+i/10)) + string(rune('0'+i%10)),
				Annotator: "c" + string(rune('0'+a)),
				Label:     v,
			})
		}
	}
	return labels
}

// columns turns one row per item (one label per annotator, "*" for missing) into labels.
func columns(items ...string) []Label {
	var labels []Label
	for i, item := range items {
		for a, v := range strings.Fields(item) {
			if v == "*" {
				continue
			}
			labels = append(labels, Label{
				Item:      "i" + string(rune('A'+i)),
				Annotator: "r" + string(rune('0'+a)),
				Label:     v,
			})
		}
	}
	return labels
}

func near(got *float64, want, tol float64) bool {
	return got != nil && math.Abs(*got-want) <= tol
}

func show(p *float64) any {
	if p == nil {
		return "nil"
	}
	return *p
}

func TestKrippendorffAlphaPublished(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data []string
		want float64
		tol  float64
	}{
		{
			// Wikipedia's computational example (3 coders, 15 units); nominal alpha
			// 0.691358 in pln-fing-udelar/fast-krippendorff tests/test_krippendorff.py
			// (test_nominal_metric_reliability_data).
			name: "wikipedia example",
			data: []string{
				"* * * * * 3 4 1 2 1 1 3 3 * 3",
				"1 * 2 1 3 3 4 3 * * * * * * *",
				"* * 2 1 3 4 4 * 2 1 1 3 3 * 4",
			},
			want: 0.691358, tol: 5e-7,
		},
		{
			// Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the
			// 4-observer, 12-unit example with missing values: nominal alpha 0.743 (also
			// the nominal doctest of fast-krippendorff's krippendorff.py).
			name: "krippendorff 2011",
			data: []string{
				"1 2 3 3 2 1 4 1 2 * * *",
				"1 2 3 3 2 2 4 1 2 5 * 3",
				"* 3 3 3 2 3 4 2 2 5 1 *",
				"1 2 3 3 2 4 4 1 2 5 1 *",
			},
			want: 0.743, tol: 5e-4,
		},
		{
			// String labels: fast-krippendorff tests/test_krippendorff.py
			// test_string_labels_nominal, 0.722222. By hand: pairable values n = 11
			// (pos 6, neg 3, neu 2), Σ_{c≠k} n_c n_k = 121 − 49 = 72; only the third unit
			// (neu, neu, pos) disagrees, contributing (9 − 5)/2 = 2; α = 1 − 10·2/72.
			name: "string labels",
			data: []string{
				"pos neg neu *",
				"pos neg neu pos",
				"pos neg pos pos",
			},
			want: 1 - 20.0/72, tol: 1e-12,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compute(matrix(tt.data...))
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.KrippendorffAlpha, tt.want, tt.tol) {
				t.Errorf("alpha = %v, want %v", show(r.KrippendorffAlpha), tt.want)
			}
		})
	}
}

func TestComputeHandDerived(t *testing.T) {
	t.Parallel()
	// Annotators x, y, z (r0, r1, r2); items:
	//   A: a a a    B: a b a    C: b b *    D: tie * b    E: a * *
	// Percent agreement over pairable A–D: 1, 2/6, 1, 0 → (7/3)/4 = 7/12.
	// Cohen x–y on A, B, C: x = a a b, y = a b b; p_o = 2/3, p_e = (2·1 + 1·2)/9 = 4/9,
	//   κ = (2/9)/(5/9) = 0.4.
	// Cohen x–z on A, B, D: x = a a tie, z = a a b; p_o = 2/3, p_e = 2·2/9, κ = 0.4.
	// Cohen y–z on A, B: y = a b, z = a a; p_o = ½, p_e = 1·2/4 = ½, κ = 0.
	// Fleiss: two items have 3 labels and two have 2; the tie goes to 3, so A and B:
	//   P_A = (9 − 3)/6 = 1, P_B = (4 + 1 − 3)/6 = 1/3, P̄ = 2/3; p_a = 5/6, p_b = 1/6,
	//   P_e = 26/36; κ = (24/36 − 26/36)/(10/36) = −0.2, with C and D excluded.
	// Krippendorff: n = 10 pairable values (a 5, b 4, tie 1), Σ_{c≠k} n_c n_k =
	//   100 − 42 = 58; disagreements B: (9 − 5)/2 = 2, D: (4 − 2)/1 = 2;
	//   α = 1 − 9·4/58 = 11/29.
	r, err := Compute(columns("a a a", "a b a", "b b *", "tie * b", "a * *"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Items != 5 || r.Annotators != 3 || r.Labels != 11 || r.PairableItems != 4 ||
		strings.Join(r.Categories, ",") != "a,b,tie" {
		t.Errorf("counts = %d items, %d annotators, %d labels, %d pairable, categories %v; want 5, 3, 11, 4, [a b tie]",
			r.Items, r.Annotators, r.Labels, r.PairableItems, r.Categories)
	}
	if !near(r.Agreement, 7.0/12, 1e-12) {
		t.Errorf("agreement = %v, want %v", show(r.Agreement), 7.0/12)
	}
	wantCohen := []struct {
		a, b      string
		n         int
		agreement float64
		kappa     float64
	}{
		{"r0", "r1", 3, 2.0 / 3, 0.4},
		{"r0", "r2", 3, 2.0 / 3, 0.4},
		{"r1", "r2", 2, 0.5, 0},
	}
	if len(r.Cohen) != len(wantCohen) {
		t.Fatalf("cohen = %+v, want %d pairs", r.Cohen, len(wantCohen))
	}
	for i, w := range wantCohen {
		g := r.Cohen[i]
		if g.AnnotatorA != w.a || g.AnnotatorB != w.b || g.N != w.n || math.Abs(g.Agreement-w.agreement) > 1e-12 || !near(g.Kappa, w.kappa, 1e-12) {
			t.Errorf("cohen[%d] = %+v (kappa %v), want %+v", i, g, show(g.Kappa), w)
		}
	}
	if f := r.Fleiss; !near(f.Kappa, -0.2, 1e-12) || f.Raters != 3 || f.Items != 2 || f.Excluded != 2 {
		t.Errorf("fleiss = %+v (kappa %v), want kappa -0.2 over 2 items of 3 raters, 2 excluded", f, show(f.Kappa))
	}
	if !near(r.KrippendorffAlpha, 11.0/29, 1e-12) {
		t.Errorf("alpha = %v, want %v", show(r.KrippendorffAlpha), 11.0/29)
	}
}

func TestCohenKappaMatchesSklearn(t *testing.T) {
	t.Parallel()
	// sklearn 1.2.1 metrics.cohen_kappa_score(x, y) = 0.45945945945945943.
	x := strings.Fields("a a b tie b a a b b a tie tie a b a b a a tie b")
	y := strings.Fields("a b b tie a a a b tie a tie b a b b b a tie tie a")
	var labels []Label
	for i := range x {
		item := string(rune('A' + i))
		labels = append(labels, Label{item, "x", x[i]}, Label{item, "y", y[i]})
	}
	r, err := Compute(labels)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Cohen) != 1 || r.Cohen[0].N != 20 || !near(r.Cohen[0].Kappa, 0.45945945945945943, 1e-12) {
		t.Errorf("cohen = %+v, want one pair over 20 items with kappa 0.459459...", r.Cohen)
	}
}

func TestFleissKappaMatchesStatsmodels(t *testing.T) {
	t.Parallel()
	// statsmodels 0.13.5 stats.inter_rater.fleiss_kappa(aggregate_raters(data)[0],
	// method="fleiss") = 0.30864197530864196 for these 8 items × 4 raters.
	r, err := Compute(columns(
		"a a a b", "b b b b", "a tie a a", "tie tie b tie",
		"a b a b", "b b a b", "a a a a", "tie a b tie",
	))
	if err != nil {
		t.Fatal(err)
	}
	if f := r.Fleiss; !near(f.Kappa, 0.30864197530864196, 1e-12) || f.Raters != 4 || f.Items != 8 || f.Excluded != 0 {
		t.Errorf("fleiss = %+v (kappa %v), want 0.308642 over 8 items of 4 raters", f, show(f.Kappa))
	}
}

func TestComputeUndefined(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		labels        []Label
		wantAgreement *float64
		wantPairs     int
	}{
		{
			// Everyone always says "a": agreement is perfect but no kappa or alpha is
			// defined (expected agreement is 1).
			name:          "one category only",
			labels:        columns("a a", "a a", "a *"),
			wantAgreement: ptr(1),
			wantPairs:     1,
		},
		{
			name:      "no pairable items",
			labels:    columns("a *", "* b", "tie *"),
			wantPairs: 0,
		},
		{
			name: "no labels",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := Compute(tt.labels)
			if err != nil {
				t.Fatal(err)
			}
			if (tt.wantAgreement == nil) != (r.Agreement == nil) || (tt.wantAgreement != nil && *r.Agreement != *tt.wantAgreement) {
				t.Errorf("agreement = %v, want %v", show(r.Agreement), show(tt.wantAgreement))
			}
			if len(r.Cohen) != tt.wantPairs {
				t.Errorf("cohen pairs = %d, want %d", len(r.Cohen), tt.wantPairs)
			}
			for _, c := range r.Cohen {
				if c.Kappa != nil {
					t.Errorf("cohen %s–%s kappa = %v, want nil", c.AnnotatorA, c.AnnotatorB, *c.Kappa)
				}
			}
			if r.Fleiss.Kappa != nil || r.KrippendorffAlpha != nil {
				t.Errorf("fleiss = %v, alpha = %v, want nil, nil", show(r.Fleiss.Kappa), show(r.KrippendorffAlpha))
			}
		})
	}
}

func TestComputeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		labels []Label
		field  string
	}{
		{"empty item", []Label{{Annotator: "x", Label: "a"}}, "labels[0].item"},
		{"empty annotator", []Label{{Item: "i", Label: "a"}}, "labels[0].annotator"},
		{"empty label", []Label{{Item: "i", Annotator: "x"}}, "labels[0].label"},
		{"labelled twice", []Label{{"i", "x", "a"}, {"j", "x", "a"}, {"i", "x", "b"}}, "labels[2]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compute(tt.labels)
			var verr *domain.ValidationError
			if !errors.As(err, &verr) || verr.Field != tt.field {
				t.Errorf("error = %v, want a ValidationError on %q", err, tt.field)
			}
		})
	}
}
