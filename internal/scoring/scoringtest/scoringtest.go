// Package scoringtest holds checks that the scorers' tests share.
package scoringtest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Input is a long text built as Head, then Unit N times, then Tail, so that a
// shorter text of the same shape can be built to time against.
type Input struct {
	Head, Unit, Tail string
	N                int
}

// Text returns the whole text.
func (in Input) Text() string { return in.Head + strings.Repeat(in.Unit, in.N) + in.Tail }

const (
	// shrink is how much shorter the baseline text is: linear work on the whole
	// text takes about shrink times as long, quadratic work shrink² times.
	shrink = 4
	// maxRatio is the bound on that ratio, well between the two.
	maxRatio = 10
	// floor is a time under which the whole text passes whatever the ratio: on
	// inputs this fast the ratio is mostly fixed costs.
	floor = 20 * time.Millisecond
	// attempts is how often a ratio over the bound is measured before it fails.
	attempts = 6
)

// LinearTime runs fn on in's text and on the same shape with a quarter of the
// units, and fails t when the whole text takes more than maxRatio times the
// quarter. The bound is a ratio of two timings in this run, so a slow machine
// or the race detector does not trip it, while a super-linear blow-up does.
// Each timing is the CPU time of the thread running fn (where the platform
// tells it), which other processes on a busy machine do not inflate; a ratio
// over the bound is measured again, keeping the fastest run of each, before it
// fails. It returns fn's result on the whole text.
func LinearTime[R any](t testing.TB, in Input, fn func(string) R) R {
	t.Helper()
	text := in.Text()
	small := in
	small.N = in.N / shrink
	smallText := small.Text()
	var got R
	var part, whole time.Duration
	for i := range attempts {
		p := timed(func() { fn(smallText) })
		w := timed(func() { got = fn(text) })
		if i == 0 || p < part {
			part = p
		}
		if i == 0 || w < whole {
			whole = w
		}
		if whole <= floor || whole <= maxRatio*part {
			t.Logf("%d bytes in %v, %d bytes in %v", len(text), whole, len(smallText), part)
			return got
		}
	}
	t.Errorf("%d bytes took %v, %.1f times the %v of %d bytes of the same shape (fastest of %d runs each); linear work takes about %d times, the bound is %d",
		len(text), whole, float64(whole)/float64(max(part, 1)), part, len(smallText), attempts, shrink, maxRatio)
	return got
}

// timed returns the time f takes on one locked OS thread, after a collection
// so that no earlier garbage is charged to it.
func timed(f func()) time.Duration {
	runtime.GC()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := threadTime()
	f()
	return threadTime() - start
}
