package web

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
)

// funcs are the templates' helpers. None of them returns template.HTML: every
// value they produce is escaped like any other.
var funcs = template.FuncMap{
	"num":     formatNum,
	"opt":     formatOpt,
	"pct":     formatPct,
	"optpct":  formatOptPct,
	"p":       formatP,
	"when":    formatTime,
	"optwhen": formatOptTime,
	"signed":  formatSigned,
	"query":   query,
	"has":     hasScope,
	"winner":  func(c domain.Comparison) string { return string(c.Winner()) },
	"join":    strings.Join,
	"fixed":   formatFixed,
	"add2":    func(a, b float64) float64 { return a + b },
	"sub2":    func(a, b float64) float64 { return a - b },
	"list":    func(xs ...string) []string { return xs },
	"label":   columnLabel,
	"deref":   derefAny,
	"signedpct": func(v *float64) string {
		if v == nil {
			return "–"
		}
		s := strconv.FormatFloat(100**v, 'f', 1, 64) + " pp"
		if *v > 0 {
			s = "+" + s
		}
		return s
	},
	"signedf": func(v float64) string { return formatSigned(&v) },
}

// columnLabel names a sortable column.
func columnLabel(col string) string {
	return map[string]string{"scorer": "Scorer", "model": "Model", "n": "n", "mean": "Mean", "pass": "Pass rate"}[col]
}

// derefAny returns what a pointer points at (templates cannot).
func derefAny(v any) any {
	switch p := v.(type) {
	case *bool:
		return p != nil && *p
	case *string:
		if p == nil {
			return ""
		}
		return *p
	case *int:
		if p == nil {
			return 0
		}
		return *p
	case *float64:
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	return v
}

// formatNum prints a number with about four significant digits.
func formatNum(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case v == math.Trunc(v) && math.Abs(v) < 1e9:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 1000:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func formatOpt(v *float64) string {
	if v == nil {
		return "–"
	}
	return formatNum(*v)
}

func formatPct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

func formatOptPct(v *float64) string {
	if v == nil {
		return "–"
	}
	return formatPct(*v)
}

func formatSigned(v *float64) string {
	if v == nil {
		return "–"
	}
	s := formatNum(*v)
	if *v > 0 {
		s = "+" + s
	}
	return s
}

// formatP prints a p-value as papers do.
func formatP(v *float64) string {
	switch {
	case v == nil:
		return "–"
	case *v < 0.001:
		return "< 0.001"
	}
	return strconv.FormatFloat(*v, 'f', 3, 64)
}

func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func formatOptTime(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return formatTime(*t)
}

// query builds a query string from name, value pairs, leaving out empty values.
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			v.Set(kv[i], kv[i+1])
		}
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

func hasScope(k domain.APIKey, scope string) bool { return k.Allows(domain.Scope(scope)) }

// fmtFloatParam prints a float for a URL.
func fmtFloatParam(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func fmtBoolParam(v *bool) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

// formatFixed prints a number (or a pointer to one) with a fixed number of decimals.
func formatFixed(v any, decimals int) string {
	switch x := v.(type) {
	case float64:
		return strconv.FormatFloat(x, 'f', decimals, 64)
	case *float64:
		if x != nil {
			return strconv.FormatFloat(*x, 'f', decimals, 64)
		}
	}
	return "–"
}
