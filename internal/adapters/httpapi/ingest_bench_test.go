package httpapi

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
)

// BenchmarkSinglePost posts one response per request from 16 clients at once,
// through the whole stack (HTTP, auth, scoring, the one-statement write), for
// CPU, mutex and block profiles of the single-write path:
//
//	go test -run '^$' -bench SinglePost -cpuprofile cpu.out -mutexprofile mu.out ./internal/adapters/httpapi
func BenchmarkSinglePost(b *testing.B) {
	a := newTestAPIWith(b, Config{}, app.Limits{})
	name := fmt.Sprintf("single-bench-%d-%d", b.N, time.Now().UnixNano())
	r := a.do(http.MethodPost, "/v1/evaluations", a.admin, "application/json",
		fmt.Sprintf(`{"name": %q, "scorers": [{"type": "length"}, {"type": "refusal"}, {"type": "pii"}]}`, name))
	if r.status != http.StatusCreated {
		b.Fatalf("create evaluation = %d %s", r.status, r.body)
	}
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20)
	var seq atomic.Int64
	var failed atomic.Int64
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := seq.Add(1)
			body := fmt.Sprintf(`{"external_id": "e%d", "model": "m%d", "prompt": "prompt %d", "response": %q}`, i, i%8, i, text)
			r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/json", body, nil)
			if err != nil || r.status != http.StatusCreated {
				failed.Add(1)
			}
		}
	})
	if n := failed.Load(); n > 0 {
		b.Errorf("%d posts failed", n)
	}
}

// BenchmarkBulkPost posts NDJSON bodies of 5,000 responses of about 1.5 KB with
// Prefer: return=minimal and with the full reply, through the whole stack (decoding, scoring with length,
// refusal and pii, COPY, rollups), for a CPU profile of the bulk path:
//
//	go test -run '^$' -bench BulkPost -cpuprofile cpu.out ./internal/adapters/httpapi
func BenchmarkBulkPost(b *testing.B) {
	b.Run("minimal", func(b *testing.B) { benchmarkBulkPost(b, http.Header{"Prefer": {"return=minimal"}}) })
	b.Run("full", func(b *testing.B) { benchmarkBulkPost(b, nil) })
}

func benchmarkBulkPost(b *testing.B, header http.Header) {
	a := newTestAPIWith(b, Config{}, app.Limits{})
	name := fmt.Sprintf("bulk-bench-%d-%d", b.N, time.Now().UnixNano())
	r := a.do(http.MethodPost, "/v1/evaluations", a.admin, "application/json",
		fmt.Sprintf(`{"name": %q, "scorers": [{"type": "length"}, {"type": "refusal"}, {"type": "pii"}]}`, name))
	if r.status != http.StatusCreated {
		b.Fatalf("create evaluation = %d %s", r.status, r.body)
	}
	const batch = 5000
	text := strings.Repeat("The quick brown fox jumps over the lazy dog while the cat sleeps. ", 23)
	prompt := strings.Repeat("prompt ", 40)
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		b.StopTimer()
		var body strings.Builder
		for i := range batch {
			fmt.Fprintf(&body, `{"external_id": "b%d-%d", "model": "m%d", "prompt": "%s %d", "response": "%s %d"}`+"\n", n, i, i%8, prompt, i, text, i)
		}
		b.StartTimer()
		r, err := a.send(http.MethodPost, "/v1/evaluations/"+name+"/responses", "application/x-ndjson", body.String(), header)
		if err != nil || r.status != http.StatusCreated {
			b.Fatalf("bulk post = %d %s, %v", r.status, r.body, err)
		}
	}
	b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "responses/s")
}
