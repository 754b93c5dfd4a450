package web

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

// The charts are SVG drawn on the server: their geometry is computed here and the
// templates write it out, escaping every label.

// Bar is one histogram bar.
type Bar struct {
	X, Y, W, H float64
	Title      string
}

// HistogramChart is a histogram's geometry.
type HistogramChart struct {
	W, H       float64
	Bars       []Bar
	Low, High  string
	MaxCount   int64
	BaselineY  float64
	LabelY     float64
	RightLabel float64
}

func histogramChart(h app.Histogram) HistogramChart {
	const w, ht, pad = 320.0, 110.0, 14.0
	c := HistogramChart{W: w, H: ht + pad + 4, BaselineY: ht, LabelY: ht + pad, RightLabel: w}
	if len(h.Bins) == 0 {
		return c
	}
	for _, b := range h.Bins {
		c.MaxCount = max(c.MaxCount, b.Count)
	}
	c.Low, c.High = formatNum(h.Bins[0].Low), formatNum(h.Bins[len(h.Bins)-1].High)
	bw := w / float64(len(h.Bins))
	for i, b := range h.Bins {
		bh := 0.0
		if c.MaxCount > 0 {
			bh = (ht - 4) * float64(b.Count) / float64(c.MaxCount)
		}
		c.Bars = append(c.Bars, Bar{X: float64(i)*bw + 0.5, Y: ht - bh, W: math.Max(bw-1, 0.5), H: bh,
			Title: fmt.Sprintf("%s to %s: %d", formatNum(b.Low), formatNum(b.High), b.Count)})
	}
	return c
}

// IntervalRow is one model's rating and interval in an interval plot.
type IntervalRow struct {
	Model          string
	Y              float64
	X, X1, X2      float64
	Rating, Lo, Hi string
}

// Tick is an axis tick.
type Tick struct {
	X     float64
	Label string
}

// IntervalChart is the geometry of a Chatbot Arena style plot: each model's
// rating as a point with its bootstrap interval, best first.
type IntervalChart struct {
	W, H, Left, Right float64
	Rows              []IntervalRow
	Ticks             []Tick
	AxisY             float64
}

func intervalChart(rs []view.Rating) IntervalChart {
	const rowH, top = 24.0, 10.0
	longest := 0
	for _, r := range rs {
		longest = max(longest, utf8.RuneCountInString(r.Model))
	}
	left := 7*float64(min(longest, 40)) + 16
	right := left + 520
	c := IntervalChart{W: right + 20, Left: left, Right: right}
	if len(rs) == 0 {
		return c
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rs {
		lo, hi = math.Min(lo, math.Min(r.CILow, r.Rating)), math.Max(hi, math.Max(r.CIHigh, r.Rating))
	}
	if hi-lo < 1 {
		lo, hi = lo-1, hi+1
	}
	span := hi - lo
	lo, hi = lo-0.05*span, hi+0.05*span
	x := func(v float64) float64 { return left + (right-left)*(v-lo)/(hi-lo) }
	for i, r := range rs {
		c.Rows = append(c.Rows, IntervalRow{Model: r.Model, Y: top + rowH*float64(i) + rowH/2, X: x(r.Rating), X1: x(r.CILow), X2: x(r.CIHigh),
			Rating: fmt.Sprintf("%.0f", r.Rating), Lo: fmt.Sprintf("%.0f", r.CILow), Hi: fmt.Sprintf("%.0f", r.CIHigh)})
	}
	c.AxisY = top + rowH*float64(len(rs)) + 4
	c.H = c.AxisY + 22
	step := niceStep((hi - lo) / 6)
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		c.Ticks = append(c.Ticks, Tick{X: x(v), Label: formatNum(v)})
	}
	return c
}

// niceStep rounds a tick step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// Cell is one heatmap cell.
type Cell struct {
	X, Y, Size float64
	Fill, Ink  string
	Text       string
	Title      string
}

// Label is a heatmap axis label.
type Label struct {
	X, Y float64
	Text string
}

// Heatmap is the geometry of a model × model matrix.
type Heatmap struct {
	W, H      float64
	Cells     []Cell
	RowLabels []Label
	ColLabels []Label
}

// heatmapMax bounds how many models a heatmap draws.
const heatmapMax = 30

// heatmaps draws the win-fraction (row model's win rate against the column model)
// and battle-count matrices, models in the order given (best first).
func heatmaps(m ranking.PairwiseWinRates, order []string) (win, count Heatmap) {
	index := map[string]int{}
	for i, name := range m.Models {
		index[name] = i
	}
	var models []string
	for _, name := range order {
		if _, ok := index[name]; ok && len(models) < heatmapMax {
			models = append(models, name)
		}
	}
	var maxCount int
	for _, a := range models {
		for _, b := range models {
			maxCount = max(maxCount, m.Count[index[a]][index[b]])
		}
	}
	// Room for the labels: row labels at the left, column labels slanted at 50°
	// above, about 6.5 px a character at 11 px.
	longest := 0
	for _, name := range models {
		longest = max(longest, utf8.RuneCountInString(name))
	}
	const cell = 34.0
	labelLen := 6.5 * float64(min(longest, 40))
	left, top := labelLen+14, labelLen*0.77+14
	k := float64(len(models))
	for _, h := range []*Heatmap{&win, &count} {
		h.W, h.H = left+cell*k+labelLen*0.64+10, top+cell*k+10
		for i, name := range models {
			h.RowLabels = append(h.RowLabels, Label{X: left - 6, Y: top + cell*float64(i) + cell/2 + 4, Text: name})
			h.ColLabels = append(h.ColLabels, Label{X: left + cell*float64(i) + cell/2, Y: top - 6, Text: name})
		}
	}
	for i, a := range models {
		for j, b := range models {
			n := m.Count[index[a]][index[b]]
			x, y := left+cell*float64(j), top+cell*float64(i)
			wc := Cell{X: x, Y: y, Size: cell - 1, Fill: "#eee", Ink: "#555"}
			cc := wc
			if n > 0 && i != j {
				r := m.WinRate[index[a]][index[b]] / 100
				wc.Fill, wc.Ink = diverging(r), inkFor(math.Abs(r-0.5)*2)
				wc.Text = fmt.Sprintf("%.0f", 100*r)
				wc.Title = fmt.Sprintf("%s beats %s in %.1f%% of %d", a, b, 100*r, n)
				f := math.Sqrt(float64(n) / float64(maxCount))
				cc.Fill, cc.Ink = sequential(f), inkFor(f)
				cc.Text = compactCount(n)
				cc.Title = fmt.Sprintf("%s vs %s: %d comparisons", a, b, n)
			}
			win.Cells = append(win.Cells, wc)
			count.Cells = append(count.Cells, cc)
		}
	}
	return win, count
}

// diverging maps 0..1 to red..white..blue.
func diverging(v float64) string {
	v = math.Max(0, math.Min(1, v))
	if v < 0.5 {
		t := v / 0.5
		return rgb(200+55*t, 60+195*t, 60+195*t)
	}
	t := (v - 0.5) / 0.5
	return rgb(255-205*t, 255-145*t, 255-35*t)
}

// sequential maps 0..1 to white..dark blue.
func sequential(v float64) string {
	v = math.Max(0, math.Min(1, v))
	return rgb(255-225*v, 255-175*v, 255-95*v)
}

func inkFor(strength float64) string {
	if strength > 0.6 {
		return "#fff"
	}
	return "#111"
}

func rgb(r, g, b float64) string {
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round(r)), int(math.Round(g)), int(math.Round(b)))
}

func compactCount(n int) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	case n >= 1000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

// KappaCell is one pair of annotators in the Cohen's kappa matrix.
type KappaCell struct {
	Text, Title, Class string
}

// KappaMatrix is Cohen's kappa of every pair of annotators as a table.
type KappaMatrix struct {
	Annotators []string
	Rows       [][]KappaCell
}

func kappaMatrix(cs []view.Cohen) KappaMatrix {
	var m KappaMatrix
	index := map[string]int{}
	for _, c := range cs {
		for _, a := range []string{c.A, c.B} {
			if _, ok := index[a]; !ok {
				index[a] = len(m.Annotators)
				m.Annotators = append(m.Annotators, a)
			}
		}
	}
	k := len(m.Annotators)
	m.Rows = make([][]KappaCell, k)
	for i := range m.Rows {
		m.Rows[i] = make([]KappaCell, k)
		m.Rows[i][i] = KappaCell{Text: "—", Class: "self"}
	}
	for _, c := range cs {
		cell := KappaCell{Text: "–", Title: fmt.Sprintf("%s and %s: %d items in common", c.A, c.B, c.N)}
		if c.Kappa != nil {
			cell.Text = fmt.Sprintf("%.2f", *c.Kappa)
			switch {
			case *c.Kappa >= 0.6:
				cell.Class = "good"
			case *c.Kappa >= 0.2:
				cell.Class = "fair"
			default:
				cell.Class = "poor"
			}
		}
		i, j := index[c.A], index[c.B]
		m.Rows[i][j], m.Rows[j][i] = cell, cell
	}
	return m
}

// byMeanWinRate orders models by their mean win rate against the models they
// met, best first (ties by name).
func byMeanWinRate(m ranking.PairwiseWinRates) []string {
	mean := make(map[string]float64, len(m.Models))
	for i, name := range m.Models {
		var sum float64
		var n int
		for j := range m.Models {
			if i != j && m.Count[i][j] > 0 {
				sum += m.WinRate[i][j]
				n++
			}
		}
		if n > 0 {
			mean[name] = sum / float64(n)
		}
	}
	order := slices.Clone(m.Models)
	slices.SortStableFunc(order, func(a, b string) int { return cmp.Compare(mean[b], mean[a]) })
	return order
}
