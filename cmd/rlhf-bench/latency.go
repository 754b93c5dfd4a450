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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
)

// loadResult is one closed-loop run at one concurrency: only requests that both
// start and finish inside the measured window count.
type loadResult struct {
	p50, p99 time.Duration
	rps      float64
	failed   int
	firstErr error
}

// runLoad keeps conc operations in flight (each client starts its next one when
// the last is done) for warmup plus dur, and measures the last dur. op gets a
// sequence number unique within the run.
func runLoad(ctx context.Context, op func(seq int64) error, conc int, warmup, dur time.Duration) loadResult {
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
				err := op(seq.Add(1))
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
	var r loadResult
	for w := range conc {
		all = append(all, lat[w]...)
		r.failed += failed[w]
		if r.firstErr == nil {
			r.firstErr = errs[w]
		}
	}
	slices.Sort(all)
	r.p50, r.p99 = percentile(all, 0.50), percentile(all, 0.99)
	r.rps = float64(len(all)) / dur.Seconds()
	return r
}

// postOp POSTs body(seq) to url and expects status want, reading the whole reply.
func postOp(ctx context.Context, client *http.Client, url, key string, want int, body func(seq int64) []byte) func(int64) error {
	return func(seq int64) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body(seq)))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if err == nil && res.StatusCode != want {
			err = fmt.Errorf("status %d, want %d", res.StatusCode, want)
		}
		return err
	}
}

// singleBodies builds one-response JSON bodies from a pool of generated responses,
// each with its own external_id.
type singleBodies struct {
	items []genResponse
	frags [][]byte // each object after its external_id: `"model":…}`
}

func newSingleBodies(g *textGen, n int) singleBodies {
	var sb singleBodies
	sb.items = genResponses(g, n, 8, "lat")
	for _, r := range sb.items {
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

// txOp is the database's share of one POST, for reference: one transaction that
// inserts the response and its three precomputed scores with plain INSERTs and
// commits. Nothing the service does for a single response can take less.
func txOp(ctx context.Context, pool *pgxpool.Pool, evalID domain.ID, sb singleBodies, scored [][][]any) func(int64) error {
	ids := system.IDs{}
	eid := pgUUID(evalID)
	now := time.Now().UTC()
	return func(seq int64) error {
		k := int(seq) % len(sb.items)
		r := sb.items[k]
		id := pgUUID(ids.NewID())
		promptID := domain.PromptHash(r.Prompt)
		return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			b.Queue(`INSERT INTO responses (evaluation_id, id, external_id, prompt_id, model, prompt, response, metadata, created_at, updated_at)
			         VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8, $8)`,
				eid, id, fmt.Sprintf("pgx-%d-%d", now.UnixNano(), seq), promptID, r.Model, r.Prompt, r.Response, now)
			for _, s := range scored[k] {
				b.Queue(`INSERT INTO scores (evaluation_id, response_id, scorer, model, prompt_id, value, passed, details, error, created_at)
				         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
					eid, id, s[2], r.Model, promptID, s[5], s[6], s[7], s[8], now)
			}
			return tx.SendBatch(ctx, b).Close()
		})
	}
}

// benchLatency measures section 2.
func benchLatency(ctx context.Context, e *env, o options, logf func(string, ...any)) ([]row, []string, error) {
	const evalName = "latency"
	evalText, err := e.api.createEvaluation(ctx, evalName, scorersJSON())
	if err != nil {
		return nil, nil, err
	}
	evalID, err := domain.ParseID(evalText)
	if err != nil {
		return nil, nil, err
	}
	echoURL, stopEcho, err := startEcho()
	if err != nil {
		return nil, nil, err
	}
	defer stopEcho()
	maxConc := slices.Max(o.conc)
	svcClient, echoClient := newHTTPClient(maxConc), newHTTPClient(maxConc)
	svcURL := e.svc.base + "/v1/evaluations/" + evalName + "/responses"
	bodies := newSingleBodies(newTextGen(o.seed+1), 512)

	// Scores for the reference transactions, from the real scorers.
	reg, err := builtin.Registry()
	if err != nil {
		return nil, nil, err
	}
	set, err := reg.Build(benchScorers())
	if err != nil {
		return nil, nil, err
	}
	outcomes, err := set.ScoreBatch(ctx, itemsOf(bodies.items))
	if err != nil {
		return nil, nil, err
	}
	scored := make([][][]any, len(outcomes))
	for i := range outcomes {
		if scored[i], err = scoreRows(pgUUID(evalID), pgUUID(evalID), "", "", outcomes[i], time.Now()); err != nil {
			return nil, nil, err
		}
	}
	pc, err := pgxpool.ParseConfig(e.dbURL)
	if err != nil {
		return nil, nil, err
	}
	pc.MaxConns = int32(maxConc)
	txPool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, err
	}
	defer txPool.Close()

	type series struct{ p50, p99, rps []float64 }
	svcRuns := make([]series, len(o.conc))
	echoRuns := make([]series, len(o.conc))
	txRuns := make([]series, len(o.conc))
	failed := make([]int, len(o.conc))
	svcPerTx := make([][]float64, len(o.conc)) // requests per write transaction, per repetition
	var firstErr error
	measure := func(s *series, name string, rep, c int, op func(int64) error) loadResult {
		r := runLoad(ctx, op, c, o.warmup, o.duration)
		s.p50 = append(s.p50, r.p50.Seconds())
		s.p99 = append(s.p99, r.p99.Seconds())
		s.rps = append(s.rps, r.rps)
		logf("latency %d/%d c=%d: %-9s p50 %s p99 %s %.0f/s (%d failed)", rep, o.reps, c, name,
			formatValue(latency, r.p50.Seconds()), formatValue(latency, r.p99.Seconds()), r.rps, r.failed)
		return r
	}
	for rep := 1; rep <= o.reps; rep++ {
		for i, c := range o.conc {
			runs := []func(){
				func() {
					r := measure(&svcRuns[i], "rlhf-eval", rep, c,
						postOp(ctx, svcClient, svcURL, e.api.key, http.StatusCreated, bodies.body(fmt.Sprintf("lat-%d-%d-", rep, c))))
					failed[i] += r.failed
					if firstErr == nil && r.firstErr != nil {
						firstErr = fmt.Errorf("c=%d: %w", c, r.firstErr)
					}
					perTx, err := requestsPerWrite(ctx, txPool, evalID, fmt.Sprintf("lat-%d-%d-", rep, c))
					if err != nil {
						logf("latency: count the write transactions: %v", err)
						return
					}
					svcPerTx[i] = append(svcPerTx[i], perTx)
				},
				func() {
					r := measure(&echoRuns[i], "echo", rep, c, postOp(ctx, echoClient, echoURL, e.api.key, http.StatusOK, bodies.body("echo-")))
					if r.failed > 0 {
						logf("latency: the echo baseline failed %d requests at c=%d: %v", r.failed, c, r.firstErr)
					}
				},
				func() {
					r := measure(&txRuns[i], "pgx tx", rep, c, txOp(ctx, txPool, evalID, bodies, scored))
					if r.failed > 0 {
						logf("latency: the reference transactions failed %d times at c=%d: %v", r.failed, c, r.firstErr)
					}
				},
			}
			// Rotate the order across repetitions, so drift in the machine's load
			// does not always favour the same one.
			for k := range runs {
				runs[(k+rep)%len(runs)]()
			}
			if ctx.Err() != nil {
				return nil, nil, ctx.Err()
			}
		}
	}

	const base = "bare echo handler, same bodies"
	const floor = "pgx transaction: one response and its 3 scores"
	var rows []row
	rpsAt := map[int]float64{}
	for i, c := range o.conc {
		rpsAt[c] = median(svcRuns[i].rps)
	}
	for i, c := range o.conc {
		s, b, t := svcRuns[i], echoRuns[i], txRuns[i]
		p99 := row{section: "2 single POST", measure: fmt.Sprintf("c=%d p99", c), unit: latency, value: median(s.p99), baseline: base, base: median(b.p99)}
		rps := row{section: "2 single POST", measure: fmt.Sprintf("c=%d requests/s", c), unit: perSecond, value: median(s.rps), baseline: base, base: median(b.rps)}
		if c == 16 {
			p99.goal, p99.met = "< 10 ms", yesNo(p99.value < 0.010)
			if one, ok := rpsAt[1]; ok {
				rps.goal = "keeps up: ≥ c=1 rate, no errors"
				rps.met = yesNo(rps.value >= one && failed[i] == 0)
			}
		}
		// The same figures against the database's own floor: what is left of the
		// service's cost once the database's share is counted.
		p99Floor := row{section: "2 single POST", measure: fmt.Sprintf("c=%d p99 against the database's floor", c), unit: latency,
			value: median(s.p99), baseline: floor, base: median(t.p99)}
		rpsFloor := row{section: "2 single POST", measure: fmt.Sprintf("c=%d requests/s against the database's floor", c), unit: perSecond,
			value: median(s.rps), baseline: floor, base: median(t.rps)}
		if c == 16 {
			p99Floor.goal, p99Floor.met = "≤ 1.5× floor", yesNo(p99Floor.ratio() <= 1.5)
			rpsFloor.goal, rpsFloor.met = "≥ floor", yesNo(rpsFloor.ratio() >= 1)
		}
		rows = append(rows,
			row{section: "2 single POST", measure: fmt.Sprintf("c=%d p50", c), unit: latency, value: median(s.p50), baseline: base, base: median(b.p50)},
			p99, rps,
			row{section: "2 single POST", measure: fmt.Sprintf("for reference, c=%d: p99 of a pgx transaction inserting one response and its 3 scores", c),
				unit: latency, value: median(t.p99), baseline: base, base: median(b.p99)},
			p99Floor, rpsFloor,
		)
	}
	var notes []string
	for i, c := range o.conc {
		if len(svcPerTx[i]) > 0 {
			notes = append(notes, fmt.Sprintf("single POST, c=%d: %.2f requests per write transaction (the floor's: 1), from the stored rows' xmin, "+
				"median over the repetitions", c, median(svcPerTx[i])))
		}
	}
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

// requestsPerWrite is how many of the responses whose external id starts with
// prefix each transaction that wrote them stored: every row carries the id of
// the transaction that inserted it (xmin), and each such transaction is one
// commit, one WAL flush.
func requestsPerWrite(ctx context.Context, pool *pgxpool.Pool, evalID domain.ID, prefix string) (float64, error) {
	var rows, txs int64
	err := pool.QueryRow(ctx, `SELECT count(*), count(DISTINCT xmin::text) FROM responses
		WHERE evaluation_id = $1 AND external_id LIKE $2 || '%'`, pgUUID(evalID), prefix).Scan(&rows, &txs)
	if err != nil {
		return 0, err
	}
	if txs == 0 {
		return 0, fmt.Errorf("no response stored with the external id prefix %q", prefix)
	}
	return float64(rows) / float64(txs), nil
}
