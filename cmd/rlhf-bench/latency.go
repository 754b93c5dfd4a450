package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// loadResult is one closed-loop run at one concurrency: only requests that both
// start and finish inside the measured window count.
type loadResult struct {
	p50, p99 time.Duration
	rps      float64
	n        int
	failed   int
	firstErr error
}

// target is where a load run sends its POSTs and the status it expects.
type target struct {
	url    string
	key    string
	client *http.Client
	want   int
}

// runLoad keeps conc requests in flight (each client sends its next request when
// the last one is answered) for warmup plus dur, and measures the last dur.
func runLoad(ctx context.Context, t target, body func(seq int64) []byte, conc int, warmup, dur time.Duration) loadResult {
	var seq atomic.Int64
	from := time.Now().Add(warmup)
	end := from.Add(dur)
	lat := make([][]time.Duration, conc)
	failed := make([]int, conc)
	errs := make([]error, conc)
	var wg sync.WaitGroup
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				if t0.After(end) {
					return
				}
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(body(seq.Add(1))))
				if err != nil {
					errs[w] = err
					return
				}
				req.Header.Set("Authorization", "Bearer "+t.key)
				req.Header.Set("Content-Type", "application/json")
				res, err := t.client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != t.want {
						err = fmt.Errorf("status %d, want %d", res.StatusCode, t.want)
					}
				}
				t1 := time.Now()
				if t0.Before(from) || t1.After(end) {
					continue
				}
				if err != nil {
					failed[w]++
					if errs[w] == nil {
						errs[w] = err
					}
					continue
				}
				lat[w] = append(lat[w], t1.Sub(t0))
			}
		}()
	}
	wg.Wait()
	var all []time.Duration
	r := loadResult{}
	for w := range conc {
		all = append(all, lat[w]...)
		r.failed += failed[w]
		if r.firstErr == nil {
			r.firstErr = errs[w]
		}
	}
	slices.Sort(all)
	r.n = len(all)
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	r.rps = float64(len(all)) / dur.Seconds()
	return r
}

// singleBodies builds one-response JSON bodies from a pool of generated responses,
// each with its own external_id.
type singleBodies struct {
	frags [][]byte // the object after its external_id: `"model":…}`
}

func newSingleBodies(g *textGen, n int) singleBodies {
	var sb singleBodies
	for _, r := range genResponses(g, n, 8, "lat") {
		b, _ := json.Marshal(struct {
			Model    string `json:"model"`
			Prompt   string `json:"prompt"`
			Response string `json:"response"`
		}{r.Model, r.Prompt, r.Response})
		sb.frags = append(sb.frags, b[1:])
	}
	return sb
}

func (sb singleBodies) body(prefix string) func(seq int64) []byte {
	return func(seq int64) []byte {
		frag := sb.frags[int(seq)%len(sb.frags)]
		b := make([]byte, 0, len(frag)+len(prefix)+40)
		b = append(b, `{"external_id":"`...)
		b = append(b, prefix...)
		b = strconv.AppendInt(b, seq, 10)
		b = append(b, `",`...)
		return append(b, frag...)
	}
}

// startEcho serves the baseline: an echo router with the same route that reads
// the body and replies 200 with no content. It runs in this process, on its own port.
func startEcho() (url string, stop func(), err error) {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.POST("/v1/evaluations/:eval/responses", func(c echo.Context) error {
		if _, err := io.Copy(io.Discard, c.Request().Body); err != nil {
			return err
		}
		return c.NoContent(http.StatusOK)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	stop = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}
	return "http://" + ln.Addr().String() + "/v1/evaluations/echo/responses", stop, nil
}

// benchLatency measures section 2.
func benchLatency(ctx context.Context, e *env, o options, logf func(string, ...any)) ([]row, []string, error) {
	const evalName = "latency"
	if _, err := e.api.createEvaluation(ctx, evalName, scorersJSON()); err != nil {
		return nil, nil, err
	}
	echoURL, stopEcho, err := startEcho()
	if err != nil {
		return nil, nil, err
	}
	defer stopEcho()
	maxConc := slices.Max(o.conc)
	svc := target{url: e.svc.base + "/v1/evaluations/" + evalName + "/responses", key: e.api.key, client: newHTTPClient(maxConc), want: http.StatusCreated}
	bare := target{url: echoURL, key: e.api.key, client: newHTTPClient(maxConc), want: http.StatusOK}
	bodies := newSingleBodies(newTextGen(o.seed+1), 512)

	type series struct{ p50, p99, rps []float64 }
	svcRuns := make([]series, len(o.conc))
	echoRuns := make([]series, len(o.conc))
	failed := make([]int, len(o.conc))
	var firstErr error
	add := func(s *series, r loadResult) {
		s.p50 = append(s.p50, r.p50.Seconds())
		s.p99 = append(s.p99, r.p99.Seconds())
		s.rps = append(s.rps, r.rps)
	}
	for rep := 1; rep <= o.reps; rep++ {
		for i, c := range o.conc {
			runSvc := func() {
				r := runLoad(ctx, svc, bodies.body(fmt.Sprintf("lat-%d-%d-", rep, c)), c, o.warmup, o.duration)
				add(&svcRuns[i], r)
				failed[i] += r.failed
				if firstErr == nil && r.firstErr != nil {
					firstErr = fmt.Errorf("c=%d: %w", c, r.firstErr)
				}
				logf("latency %d/%d c=%d: rlhf-eval p50 %s p99 %s %.0f req/s (%d failed)", rep, o.reps, c,
					formatValue(latency, r.p50.Seconds()), formatValue(latency, r.p99.Seconds()), r.rps, r.failed)
			}
			runEcho := func() {
				r := runLoad(ctx, bare, bodies.body("echo-"), c, o.warmup, o.duration)
				add(&echoRuns[i], r)
				if r.failed > 0 {
					logf("latency: the echo baseline failed %d requests at c=%d: %v", r.failed, c, r.firstErr)
				}
				logf("latency %d/%d c=%d: echo      p50 %s p99 %s %.0f req/s", rep, o.reps, c,
					formatValue(latency, r.p50.Seconds()), formatValue(latency, r.p99.Seconds()), r.rps)
			}
			if rep%2 == 1 {
				runSvc()
				runEcho()
			} else {
				runEcho()
				runSvc()
			}
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
		}
	}

	const base = "bare echo handler, same bodies"
	var rows []row
	rpsAt := map[int]float64{}
	for i, c := range o.conc {
		rpsAt[c] = median(svcRuns[i].rps)
	}
	for i, c := range o.conc {
		s, b := svcRuns[i], echoRuns[i]
		p99 := row{section: "2 single POST", measure: fmt.Sprintf("c=%d p99", c), unit: latency, value: median(s.p99), baseline: base, base: median(b.p99)}
		rps := row{section: "2 single POST", measure: fmt.Sprintf("c=%d requests/s", c), unit: perSecond, value: median(s.rps), baseline: base, base: median(b.rps)}
		if c == 16 {
			p99.goal, p99.met = "< 10 ms", yesNo(p99.value < 0.010)
			if one, ok := rpsAt[1]; ok {
				rps.goal = "keeps up: ≥ c=1 rate, no errors"
				rps.met = yesNo(rps.value >= one && failed[i] == 0)
			}
		}
		rows = append(rows,
			row{section: "2 single POST", measure: fmt.Sprintf("c=%d p50", c), unit: latency, value: median(s.p50), baseline: base, base: median(b.p50)},
			p99, rps)
	}
	var notes []string
	for i, c := range o.conc {
		if failed[i] > 0 {
			notes = append(notes, fmt.Sprintf("single POST: rlhf-eval failed %d requests at c=%d over all repetitions", failed[i], c))
		}
	}
	if firstErr != nil {
		notes = append(notes, fmt.Sprintf("single POST: first failure: %.200v", firstErr))
	}
	return rows, notes, nil
}
