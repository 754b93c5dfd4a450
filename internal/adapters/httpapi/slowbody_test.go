package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
)

// trickle posts prefix at once and then one byte every 50ms until ctx is done,
// when it breaks the request off. It returns the reply, if one came.
func (a *testAPI) trickle(ctx context.Context, path, prefix string) (reply, error) {
	pr, pw := io.Pipe()
	go func() {
		if _, err := pw.Write([]byte(prefix)); err != nil {
			return
		}
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				pw.CloseWithError(errors.New("the client stopped"))
				return
			case <-tick.C:
				if _, err := pw.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.http.URL+path, pr)
	if err != nil {
		return reply{}, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	req.Header.Set("Authorization", "Bearer "+a.admin)
	return readReply(a.http.Client().Do(req))
}

// TestSlowUploadsHoldNoConnections: uploads that send just over a chunk and
// then trickle hold no database connection; uploads that send more than two
// chunks and then trickle hold at most BulkWriters of them, each for at most
// BulkStall, and are then refused with 408 and nothing stored. Meanwhile
// /readyz and ordinary requests keep answering.
func TestSlowUploadsHoldNoConnections(t *testing.T) {
	const writers, stall = 2, 1500 * time.Millisecond
	a := newTestAPIWith(t, Config{}, app.Limits{BulkWriters: writers, BulkStall: stall})
	const name = "slow"
	evalID := a.newEvaluation(t, name)
	path := "/v1/evaluations/" + name + "/responses"

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	type result struct {
		r   reply
		err error
	}
	holding := make([]result, 4)
	for i := range 10 {
		// Just over a chunk, then an item cut short, then a trickle.
		body := ndjson("m", externalIDs(fmt.Sprintf("over-%d", i), 1100)) + `{"external_id": "late", `
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = a.trickle(ctx, path, body) }()
	}
	held := make(chan struct{}, len(holding))
	for i := range holding {
		body := ndjson("m", externalIDs(fmt.Sprintf("hold-%d", i), 2100)) + `{"external_id": "late", `
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.trickle(ctx, path, body)
			holding[i] = result{r, err}
			held <- struct{}{}
		}()
	}

	// While they trickle: the service answers, and no more than the bulk
	// writers sit idle in a transaction.
	maxIdle := 0
	deadline := time.Now().Add(2*stall + 2*time.Second)
	for time.Now().Before(deadline) {
		start := time.Now()
		if r, err := a.send(http.MethodGet, "/readyz", "", "", nil); err != nil || r.status != http.StatusOK {
			t.Errorf("readyz during slow uploads = %d %s %v", r.status, r.body, err)
		}
		if r, err := a.send(http.MethodGet, path+"?limit=5", "", "", nil); err != nil || r.status != http.StatusOK {
			t.Errorf("list during slow uploads = %d %s %v", r.status, r.body, err)
		}
		one := fmt.Sprintf(`{"model": "m", "prompt": "p", "response": "r %d"}`, time.Now().UnixNano())
		if r, err := a.send(http.MethodPost, path, "application/json", one, nil); err != nil || r.status != http.StatusCreated {
			t.Errorf("single post during slow uploads = %d %s %v", r.status, r.body, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("three ordinary requests took %v during slow uploads", d)
		}
		var idle int
		if err := a.pool.QueryRow(context.Background(),
			`SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'`).Scan(&idle); err != nil {
			t.Fatal(err)
		}
		maxIdle = max(maxIdle, idle)
		time.Sleep(100 * time.Millisecond)
	}
	if maxIdle > writers {
		t.Errorf("%d connections idle in transaction at once, want at most %d (the bulk writers)", maxIdle, writers)
	}
	// Every holding upload gets its turn and its stall: the writers' tokens pass
	// on stall by stall. How soon depends on the machine (scoring a chunk under
	// the race detector on a loaded machine takes seconds), so wait for their
	// replies, with a bound, before the trickles stop.
	bound := time.After(time.Minute)
wait:
	for range holding {
		select {
		case <-held:
		case <-bound:
			t.Errorf("not every holding upload was answered within a minute")
			break wait
		}
	}
	cancel()
	wg.Wait()
	for i, res := range holding {
		var p struct{ Type, Detail string }
		_ = json.Unmarshal(res.r.body, &p)
		if res.err != nil || res.r.status != http.StatusRequestTimeout || !strings.HasSuffix(p.Type, "request-timeout") {
			t.Errorf("holding upload %d = %d %s %v, want a 408 problem", i, res.r.status, res.r.body, res.err)
		}
	}
	var stored int
	if err := a.pool.QueryRow(context.Background(),
		`SELECT count(*) FROM responses WHERE evaluation_id = $1 AND (external_id LIKE 'hold-%' OR external_id LIKE 'over-%')`, evalID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Errorf("%d responses of the cut-off uploads were stored, want none", stored)
	}
}
