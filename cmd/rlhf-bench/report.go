package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// median is the middle of xs, or the mean of the two middle values when their
// number is even; NaN for none.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// percentile is the nearest-rank percentile of sorted durations: the smallest value
// with at least p of them at or below it (p in (0, 1]).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	k = max(0, min(k, len(sorted)-1))
	return sorted[k]
}

// unit says how a row's figures read and which way is better.
type unit int

const (
	perSecond unit = iota // a rate: higher is better
	latency               // seconds: lower is better
)

// row is one line of the table: the service's figure, the baseline's figure from
// the same run, and the goal it is held to, if any.
type row struct {
	section  string
	measure  string
	unit     unit
	value    float64 // per second, or seconds
	baseline string  // what the baseline is
	base     float64
	goal     string
	met      string // "yes", "no", or "" when the row has no goal
	na       string // why there is no figure ("route missing"), if so
}

func (r row) ratio() float64 { return r.value / r.base }

func formatValue(u unit, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case u == perSecond:
		return groupThousands(int64(math.Round(v))) + "/s"
	case v >= 1:
		return fmt.Sprintf("%.2f s", v)
	case v >= 0.1:
		return fmt.Sprintf("%.0f ms", v*1e3)
	case v >= 0.001:
		return fmt.Sprintf("%.2f ms", v*1e3)
	default:
		return fmt.Sprintf("%.0f µs", v*1e6)
	}
}

func groupThousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + groupThousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// report is what a run prints.
type report struct {
	machine  machine
	settings []string
	rows     []row
	notes    []string
}

// markdown renders the report as one Markdown table with the machine above it.
func (r report) markdown() string {
	var b strings.Builder
	m := r.machine
	fmt.Fprintf(&b, "Machine: %s, %s cores, %s RAM; PostgreSQL %s; %s; %s; load average %s at the start, %s at the end\n\n",
		m.CPU, m.Cores, m.RAM, m.PostgreSQL, m.Go, m.Date, m.LoadBefore, loadAverage())
	fmt.Fprintf(&b, "Service built from %s.\n\n", m.Revision)
	for _, s := range r.settings {
		fmt.Fprintf(&b, "- %s\n", s)
	}
	b.WriteString("\n| section | measure | rlhf-eval | baseline | baseline value | ratio | goal | met |\n")
	b.WriteString("|---|---|---:|---|---:|---:|---|---|\n")
	for _, x := range r.rows {
		if x.na != "" {
			fmt.Fprintf(&b, "| %s | %s | n/a (%s) | %s | %s | – | %s | %s |\n",
				x.section, x.measure, x.na, x.baseline, formatValue(x.unit, x.base), x.goal, x.met)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s× | %s | %s |\n",
			x.section, x.measure, formatValue(x.unit, x.value), x.baseline, formatValue(x.unit, x.base),
			formatRatio(x.ratio()), x.goal, x.met)
	}
	if len(r.notes) > 0 {
		b.WriteString("\n")
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	return b.String()
}

func formatRatio(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "–"
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}
