package httpapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// peakHeap samples the heap every few milliseconds while fn runs and returns
// the largest value above the heap before it. The collector runs often meanwhile
// (GOGC=10), so that the samples follow the live heap, not the garbage between
// two collections.
func peakHeap(fn func()) (peak uint64) {
	defer debug.SetGCPercent(debug.SetGCPercent(10))
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var top atomic.Uint64
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > top.Load() {
				top.Store(ms.HeapAlloc)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	if top.Load() < base {
		return 0
	}
	return top.Load() - base
}

// TestFullReplyStreams posts bulk bodies of two sizes, three times apart, without
// Prefer: return=minimal, generating the body and reading the reply as streams;
// the heap the service needs must not grow with the body.
func TestFullReplyStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("posts 35 MB")
	}
	a := newTestAPI(t, Config{MaxBatchItems: 100_000})
	text := strings.Repeat("All work and no play makes a dull reply. ", 25) // about 1 kB
	post := func(name string, n int) (items int, bodyBytes int64) {
		pr, pw := io.Pipe()
		var written atomic.Int64
		go func() {
			bw := bufio.NewWriter(pw)
			for i := range n {
				line, _ := json.Marshal(map[string]any{"external_id": fmt.Sprint("r", i), "model": fmt.Sprint("m", i%4),
					"prompt": fmt.Sprint("prompt ", i), "response": fmt.Sprint(text, i)})
				k, _ := bw.Write(append(line, '\n'))
				written.Add(int64(k))
			}
			pw.CloseWithError(bw.Flush())
		}()
		req, err := http.NewRequest(http.MethodPost, a.http.URL+"/v1/evaluations/"+name+"/responses", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-ndjson")
		req.Header.Set("Authorization", "Bearer "+a.admin)
		res, err := a.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		if res.StatusCode != http.StatusCreated {
			b, _ := io.ReadAll(res.Body)
			t.Fatalf("post %d items = %d %s", n, res.StatusCode, b)
		}
		// Read the reply as a stream too: count the items and check the counts.
		dec := json.NewDecoder(res.Body)
		for _, want := range []string{"{", "items", "["} {
			tok, err := dec.Token()
			if err != nil || fmt.Sprint(tok) != want {
				t.Fatalf("reply token = %v, %v; want %s", tok, err, want)
			}
		}
		for dec.More() {
			var r struct {
				ExternalID string `json:"external_id"`
			}
			if err := dec.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprint("r", items); r.ExternalID != want {
				t.Fatalf("reply item %d is %q, want %q", items, r.ExternalID, want)
			}
			items++
		}
		rest, _ := io.ReadAll(io.MultiReader(dec.Buffered(), res.Body))
		if got, want := strings.TrimSpace(string(rest)), fmt.Sprintf(`],"created":%d,"existing":0}`, n); got != want {
			t.Errorf("reply ends %q, want %q", got, want)
		}
		return items, written.Load()
	}
	var peaks [2]uint64
	var sizes [2]int64
	for k, n := range []int{8000, 24000} {
		name := fmt.Sprint("big-", n)
		a.newEvaluation(t, name)
		var items int
		peaks[k] = peakHeap(func() { items, sizes[k] = post(name, n) })
		if items != n {
			t.Errorf("reply of %d items, want %d", items, n)
		}
		t.Logf("%d items, %.1f MB of NDJSON: peak heap %.1f MB above the start", n, float64(sizes[k])/1e6, float64(peaks[k])/1e6)
	}
	// Both sizes are past the chunks a write keeps in flight (read ahead, being
	// scored, being copied, kept for a replay). Three times the body may cost
	// the ids of the extra items (tens of bytes each) and the garbage collector's
	// timing (a few MB from run to run on a busy machine), not a share of the
	// body: a reply held in memory costs several times the body.
	if grew, body := float64(peaks[1])-float64(peaks[0]), float64(sizes[1]-sizes[0]); grew > 0.5*body {
		t.Errorf("peak heap grew by %.1f MB for %.1f MB more body; want it flat in the body size", grew/1e6, body/1e6)
	}
}
