package httpapi

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/metrics"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
)

// TestScoreIsBounded: POST /v1/score refuses too many scorers (422) and too much
// work (413) before scoring anything.
func TestScoreIsBounded(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{MaxScoreScorers: 3, MaxScoreWork: 10})
	scorers := func(n int) string {
		var s []string
		for i := 0; i < n; i++ {
			s = append(s, fmt.Sprintf(`{"name":"len%d","type":"length"}`, i))
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	items := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"response":"x"},`, n), ",") + "]"
	}
	for _, tc := range []struct {
		name           string
		scorers, items int
		status         int
		field          string
	}{
		{"within the bounds", 2, 5, 200, ""},
		{"too many scorers", 4, 1, 422, "scorers"},
		{"too much work", 3, 4, 413, ""},
	} {
		r := a.post("/v1/score", `{"scorers":`+scorers(tc.scorers)+`,"items":`+items(tc.items)+`}`)
		if r.status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, r.status, r.body, tc.status)
			continue
		}
		if tc.status != 200 {
			if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("%s: Content-Type %q", tc.name, ct)
			}
			if got := problemField(t, r); got != tc.field {
				t.Errorf("%s: names %q, want %q", tc.name, got, tc.field)
			}
		}
	}
	// The defaults apply when none are configured.
	d := newTestAPI(t, Config{})
	if r := d.post("/v1/score", `{"scorers":`+scorers(DefaultMaxScoreScorers+1)+`,"items":[{"response":"x"}]}`); r.status != 422 {
		t.Errorf("%d scorers with the defaults: %d, want 422", DefaultMaxScoreScorers+1, r.status)
	}
}

// TestListPagesAreBoundedByBytes: a page of long texts is cut short by bytes with
// a cursor to the rest, and paging through returns every item once, in order.
func TestListPagesAreBoundedByBytes(t *testing.T) {
	t.Parallel()
	a := newTestAPILimits(t, Config{}, app.Limits{MaxPageBytes: 64 << 10})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"pages"}`), 201)
	long := strings.Repeat("z", 30_000)
	var items []string
	for i := 0; i < 9; i++ {
		items = append(items, fmt.Sprintf(`{"external_id":"r%d","model":"m","prompt":"p","response":"%s"}`, i, long))
	}
	wantStatus(t, a.post("/v1/evaluations/pages/responses", "["+strings.Join(items, ",")+"]"), 201)
	for i := 0; i < 9; i++ {
		wantStatus(t, a.post("/v1/evaluations/pages/comparisons", fmt.Sprintf(`{"response_a":"r%d","response_b":"r%d","winner":"a","rationale":"%s"}`, i, (i+1)%9, long)), 201)
	}
	for _, path := range []string{"/v1/evaluations/pages/responses", "/v1/evaluations/pages/comparisons"} {
		var got []string
		pages, cursor := 0, ""
		for {
			q := path + "?limit=10"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			r := a.get(q)
			wantStatus(t, r, 200)
			if len(r.body) > 100<<10 {
				t.Errorf("%s page %d is %d bytes, over the budget of 64 KiB plus one item", path, pages, len(r.body))
			}
			page := decodeJSON[listOut[map[string]any]](t, r)
			if len(page.Items) == 0 {
				t.Fatalf("%s page %d is empty", path, pages)
			}
			for _, it := range page.Items {
				got = append(got, it["id"].(string))
			}
			pages++
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		if len(got) != 9 || pages < 5 {
			t.Errorf("%s: %d items over %d pages, want 9 items over at least 5 pages (two 30 KB items per 64 KiB page)", path, len(got), pages)
		}
		seen := map[string]bool{}
		for i, id := range got {
			if seen[id] || (i > 0 && id <= got[i-1]) {
				t.Errorf("%s: item %d (%s) repeated or out of order", path, i, id)
			}
			seen[id] = true
		}
	}
	// Short items still fill a page by rows.
	wantStatus(t, a.post("/v1/evaluations", `{"name":"short-pages"}`), 201)
	wantStatus(t, a.post("/v1/evaluations/short-pages/responses", `[{"model":"m","prompt":"p","response":"a"},{"model":"m","prompt":"p","response":"b"},{"model":"m","prompt":"p","response":"c"}]`), 201)
	if page := decodeJSON[listOut[responseOut]](t, a.get("/v1/evaluations/short-pages/responses?limit=2")); len(page.Items) != 2 || page.NextCursor == nil {
		t.Errorf("short page = %d items, next %v; want 2 and a cursor", len(page.Items), page.NextCursor)
	}
}

// TestComputationsHonourTheDeadline: a diff or leaderboard bootstrap that outlasts
// the request timeout stops with 503, and bootstraps too large for one request are
// refused up front.
func TestComputationsHonourTheDeadline(t *testing.T) {
	a := newTestAPI(t, Config{})
	const prompts = 1000
	for _, ev := range []string{"deadline-a", "deadline-b"} {
		wantStatus(t, a.post("/v1/evaluations", `{"name":"`+ev+`","scorers":[{"type":"length"}]}`), 201)
		var rs []string
		for i := 0; i < prompts; i++ {
			rs = append(rs, fmt.Sprintf(`{"external_id":"r%d","prompt_id":"p%d","model":"%s","prompt":"p%d","response":"%s"}`,
				i, i, ev, i, strings.Repeat("w ", i%7+len(ev)%3)))
		}
		wantStatus(t, a.post("/v1/evaluations/"+ev+"/responses", "["+strings.Join(rs, ",")+"]"), 201)
	}
	// Online Elo over 3 models and 900 battles.
	wantStatus(t, a.post("/v1/evaluations", `{"name":"deadline-elo"}`), 201)
	var rs, cs []string
	for i := 0; i < 300; i++ {
		for _, m := range []string{"m1", "m2", "m3"} {
			rs = append(rs, fmt.Sprintf(`{"external_id":"%s-%d","prompt_id":"p%d","model":"%s","prompt":"p","response":"x"}`, m, i, i, m))
		}
		cs = append(cs, fmt.Sprintf(`{"response_a":"m1-%d","response_b":"m2-%d","preference":%g}`, i, i, float64(i%3)/2),
			fmt.Sprintf(`{"response_a":"m2-%d","response_b":"m3-%d","preference":%g}`, i, i, float64(i%2)),
			fmt.Sprintf(`{"response_a":"m3-%d","response_b":"m1-%d","preference":%g}`, i, i, float64((i+1)%3)/2))
	}
	wantStatus(t, a.post("/v1/evaluations/deadline-elo/responses", "["+strings.Join(rs, ",")+"]"), 201)
	wantStatus(t, a.post("/v1/evaluations/deadline-elo/comparisons", "["+strings.Join(cs, ",")+"]"), 201)

	// Too much resampling for one request: refused before any work.
	for _, tc := range []struct{ path, field string }{
		{"/v1/evaluations/deadline-a/diff/deadline-b?bootstrap=50000", "bootstrap"},
		{"/v1/evaluations/deadline-elo/leaderboard?method=elo&bootstrap=2000&k=4", ""},
	} {
		r := a.get(tc.path)
		if tc.field == "" {
			wantStatus(t, r, 200) // 2,000 rounds × 900 battles is within the bound
			continue
		}
		if r.status != 400 || problemField(t, r) != tc.field {
			t.Errorf("GET %s = %d %s, want 400 naming %s", tc.path, r.status, r.body, tc.field)
		}
	}

	s, err := New(ServicesFrom(a.svc, postgres.NewPinger(a.pool)), Config{RequestTimeout: 5 * time.Millisecond},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for _, path := range []string{
		"/v1/evaluations/deadline-a/diff/deadline-b?bootstrap=20000",
		"/v1/evaluations/deadline-elo/leaderboard?method=elo&bootstrap=10000",
		"/v1/evaluations/deadline-elo/leaderboard?method=bt&bootstrap=10000",
	} {
		req, _ := http.NewRequest("GET", hs.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+a.read)
		r := a.raw(req)
		if r.status != 503 || decodeJSON[Problem](t, r).Type != problemTypeBase+"timeout" {
			t.Errorf("GET %s with a 5 ms timeout = %d %s, want a 503 timeout", path, r.status, r.body)
		}
	}
}

// TestMetricLabelsAreBounded: made-up methods and unmatched paths do not mint
// new series.
func TestMetricLabelsAreBounded(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	m := metrics.New(nil)
	s, err := New(ServicesFrom(a.svc, postgres.NewPinger(a.pool)), Config{Observer: m, MetricsHandler: m.Handler()},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler())
	defer hs.Close()
	for i := 0; i < 20; i++ {
		for _, req := range []*http.Request{
			must(http.NewRequest(fmt.Sprintf("BREW%d", i), hs.URL+"/v1/evaluations", nil)),
			must(http.NewRequest("GET", hs.URL+fmt.Sprintf("/no/such/route/%d", i), nil)),
			must(http.NewRequest(fmt.Sprintf("X%d", i), hs.URL+fmt.Sprintf("/nowhere/%d", i), nil)),
		} {
			req.Header.Set("Authorization", "Bearer "+a.read)
			a.raw(req)
		}
	}
	req := must(http.NewRequest("GET", hs.URL+"/metrics", nil))
	req.Header.Set("Authorization", "Bearer "+a.read)
	body := string(a.raw(req).body)
	sc := bufio.NewScanner(strings.NewReader(body))
	series := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "rlhf_http_requests_total{") {
			continue
		}
		series++
		if strings.Contains(line, "BREW") || strings.Contains(line, `method="X`) || strings.Contains(line, "/no/such") || strings.Contains(line, "/nowhere") {
			t.Errorf("a client-chosen label value reached the metrics: %s", line)
		}
	}
	if series == 0 || series > 6 {
		t.Errorf("%d request series after 60 requests with made-up methods and paths, want a handful:\n%s", series, body)
	}
	if !strings.Contains(body, `method="OTHER"`) || !strings.Contains(body, `route="unmatched"`) {
		t.Errorf("the folded label values are missing:\n%s", body)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestWhitespaceBodiesAreLinear: megabytes of whitespace inside a gzip array body
// (which arrives in small reads) decode in one pass. encoding/json's Decoder took
// time quadratic in the whitespace here: 30 s of CPU for a 31 KB gzip body.
//
// The bound is a ratio of two timings in this run, so the race detector and a busy
// machine do not trip it: the same body with a quarter of the whitespace is the
// baseline. One pass takes about 4 times as long on 4 times the whitespace;
// encoding/json's Decoder took 16 times (2 MiB 0.2 s, 4 MiB 0.8 s). A shared CPU only
// ever makes a timing too long, so a ratio over the bound is measured again, keeping
// the fastest post of each size, before it fails.
func TestWhitespaceBodiesAreLinear(t *testing.T) {
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"spaces"}`), 201)
	item := `{"model":"m","prompt":"p","response":"r"}`
	const spaces = 16 << 20
	body := func(spaces int) []byte { return gz(t, "["+strings.Repeat(" ", spaces)+item+",\n\t"+item+" ] ") }
	post := func(body []byte) time.Duration {
		req, _ := http.NewRequest("POST", a.http.URL+"/v1/evaluations/spaces/responses", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
		req.Header.Set("Authorization", "Bearer "+a.write)
		start := time.Now()
		r := a.raw(req)
		took := time.Since(start)
		if r.status != 201 || decodeJSON[batchOut[responseOut]](t, r).Created != 2 {
			t.Fatalf("%d KB of gzip holding whitespace: %d %s, want 2 created", len(body)>>10, r.status, r.body)
		}
		return took
	}
	quarter, whole := body(spaces/4), body(spaces)
	var part, all time.Duration
	for i := range 3 {
		p, w := post(quarter), post(whole)
		if i == 0 || p < part {
			part = p
		}
		if i == 0 || w < all {
			all = w
		}
		if all <= 10*part {
			t.Logf("%d MiB of whitespace in %v, %d MiB in %v", spaces>>20, all, spaces>>22, part)
			return
		}
	}
	t.Errorf("%d MiB of whitespace took %v, %.1f times the %v of a quarter of it (fastest of 3 posts each), want at most 10 (linear: about 4)",
		spaces>>20, all, float64(all)/float64(part), part)
}

// FuzzArrayWorkPerByte: the array decoder's work is bounded per input byte, not
// by wall clock: it reads every byte of the body at most once, and hands each
// element's bytes to the strict decoder once, however the body is split into
// reads. (A decoder that rescans buffered input, as encoding/json's did for
// whitespace, fails the first property once its scanner is counted.)
func FuzzArrayWorkPerByte(f *testing.F) {
	for _, s := range append(decodeSeeds, "[   "+strings.Repeat(" ", 4096)+`{"model":"m"}`+"\n\t ]", `[{"a":"}{"},{}]`, `[{"a":"\\"}]`) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		s := &arrayScanner{r: bufio.NewReaderSize(iotest.OneByteReader(strings.NewReader(body)), 16)}
		items := 0
		err := decodeArray(s, 1000, func(responseIn) error { items++; return nil })
		if err != nil && !decodeErrorOK(err) {
			t.Fatalf("decodeArray(%q) error %v is not a 4xx problem", body, err)
		}
		if s.offset > int64(len(body)) {
			t.Fatalf("read %d bytes of a %d-byte body", s.offset, len(body))
		}
		if s.decoded > s.offset {
			t.Fatalf("handed %d bytes to the strict decoder after reading %d", s.decoded, s.offset)
		}
		if err == nil && s.offset != int64(len(body)) {
			t.Fatalf("accepted %q after reading %d of %d bytes", body, s.offset, len(body))
		}
	})
}
