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
