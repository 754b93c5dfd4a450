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

	// Baselines, measured before the uploads on this machine at its present
	// load (the race detector and a busy CPU make them seconds): three ordinary
	// requests, and one upload of as many items as a holding one, stored whole.
	ordinary := func() time.Duration {
		start := time.Now()
		if r, err := a.send(http.MethodGet, "/readyz", "", "", nil); err != nil || r.status != http.StatusOK {
			t.Errorf("readyz = %d %s %v", r.status, r.body, err)
		}
		if r, err := a.send(http.MethodGet, path+"?limit=5", "", "", nil); err != nil || r.status != http.StatusOK {
			t.Errorf("list = %d %s %v", r.status, r.body, err)
		}
		one := fmt.Sprintf(`{"model": "m", "prompt": "p", "response": "r %d"}`, time.Now().UnixNano())
		if r, err := a.send(http.MethodPost, path, "application/json", one, nil); err != nil || r.status != http.StatusCreated {
			t.Errorf("single post = %d %s %v", r.status, r.body, err)
		}
		return time.Since(start)
	}
	var base time.Duration
	for range 3 {
		base = max(base, ordinary())
	}
	start := time.Now()
	if r, err := a.send(http.MethodPost, path, "application/x-ndjson", ndjson("m", externalIDs("base", 2100)), nil); err != nil || r.status != http.StatusCreated {
		t.Fatalf("baseline upload = %d %s %v", r.status, r.body, err)
	}
	baseUpload := time.Since(start)
	t.Logf("baselines: three ordinary requests %v, an upload of 2100 items %v", base, baseUpload)

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
	// writers sit idle in a transaction. The ordinary requests share the CPU
	// with the 14 uploads being read and scored, so they may take up to 15
	// times their baseline; one that waited for a connection an upload held
	// would wait out a stall on top.
	limit := stall + 15*base
	maxIdle := 0
	deadline := time.Now().Add(2*stall + 2*time.Second)
	for time.Now().Before(deadline) {
		if d := ordinary(); d > limit {
			t.Errorf("three ordinary requests took %v during slow uploads, want at most %v (the stall and 15 times the %v they took before)", d, limit, base)
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
	// replies before the trickles stop, bounded by the baseline: the uploads
	// carry 19,400 items, 9 times the baseline's 2,100; twice that, and the
	// stalls of the two rounds of writers.
	wait := 2*stall + 20*baseUpload
	bound := time.After(wait)
waiting:
	for range holding {
		select {
		case <-held:
		case <-bound:
			t.Errorf("not every holding upload was answered within %v (20 times the baseline upload's %v and two stalls)", wait, baseUpload)
			break waiting
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

// TestRefusedSlowUploadIsAnswered: a bulk POST refused before its body is read (no
// such evaluation) is answered while the client is still sending. net/http reads
// and discards the rest of an unread body before it replies, to keep the
// connection; a client that keeps sending would wait for its answer until the
// server's read timeout, minutes later.
func TestRefusedSlowUploadIsAnswered(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan reply, 1)
	go func() {
		r, _ := a.trickle(ctx, "/v1/evaluations/no-such-evaluation/responses", ndjson("m", externalIDs("refused", 3)))
		got <- r
	}()
	select {
	case r := <-got:
		if r.status != http.StatusNotFound {
			t.Errorf("upload to a missing evaluation = %d %s, want 404", r.status, r.body)
		}
	case <-time.After(time.Minute):
		t.Fatal("no answer within a minute while the body kept coming")
	}
}
