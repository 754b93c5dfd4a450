package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's Chromium, which the dashboard tests drive.
const chromiumPath = "/usr/bin/chromium"

var screenshotDir = flag.String("screenshots", "",
	"directory to write the dashboard's screenshots to (e.g. ../../docs/screenshots); none when empty")

// The payloads a hostile client might post as model output. They must reach the
// page as text: no dialog, no script, no link, no handler.
const (
	xssScript  = `<script>alert("script")</script>`
	xssHandler = `<img src=x onerror="alert('handler')">`
	xssLink    = `<a href="javascript:alert('link')">click me</a>`
)

// stepTimeout bounds each step of a browser test.
const stepTimeout = 15 * time.Second

// browser is a headless Chromium tab that records every console error, uncaught
// exception, CSP violation and dialog.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	problems []string
	dialogs  []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("chromium not found at %s (CI=true: install it with apt-get install chromium): %v", chromiumPath, err)
		}
		t.Skipf("chromium not found at %s: %v", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	// The first call starts the browser and binds its life to ctx, so it has no
	// deadline; every later step gets its own.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, log.Enable, struct{}{}); err != nil {
		t.Fatalf("enable the log domain: %v", err)
	}
	// Every CSP violation is also reported by the page itself, in case the browser
	// logs it nowhere else. Scripts added by DevTools are exempt from the policy.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `document.addEventListener("securitypolicyviolation", e => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
	}); err != nil {
		t.Fatalf("add the CSP listener: %v", err)
	}
	err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value))
				}
				b.problems = append(b.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(parts, " ")))
			}
		case *runtime.EventExceptionThrown:
			b.problems = append(b.problems, "exception: "+ev.ExceptionDetails.Text)
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
				b.problems = append(b.problems, fmt.Sprintf("log %s (%s): %s %s", ev.Entry.Level, ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *page.EventJavascriptDialogOpening:
			b.dialogs = append(b.dialogs, ev.Message)
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	})
	if err != nil {
		t.Fatalf("listen to the tab: %v", err)
	}
	return b
}

// do runs actions and fails the test on an error, naming the step.
func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

func (b *browser) open(path string, waitFor string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(waitFor)))
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func eval[T any](b *browser, js string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", js, err)
	}
	return v
}

func (b *browser) location() string {
	b.t.Helper()
	u, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.t.Fatal(err)
	}
	return strings.TrimPrefix(u, b.base)
}

// allow forgets the recorded problems that contain s: a status the step expects,
// such as the 401 of a refused sign-in, which the browser logs as a failed load.
func (b *browser) allow(s string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	var keep []string
	found := false
	for _, p := range b.problems {
		if strings.Contains(p, s) {
			found = true
			continue
		}
		keep = append(keep, p)
	}
	if !found {
		b.t.Errorf("the browser logged no %q", s)
	}
	b.problems = keep
}

// clean fails when anything went wrong in the page since the last call.
func (b *browser) clean(where string) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.problems {
		b.t.Errorf("%s: %s", where, p)
	}
	for _, d := range b.dialogs {
		b.t.Errorf("%s: a dialog opened: %q", where, d)
	}
	b.problems, b.dialogs = nil, nil
}

// shot saves a full-page screenshot when -screenshots is given.
func (b *browser) shot(name string) {
	b.t.Helper()
	if *screenshotDir == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(*screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(*screenshotDir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// api calls the REST API with a key.
type api struct {
	t    *testing.T
	base string
	key  string
}

func (a api) post(path, contentType, body string) {
	a.t.Helper()
	a.send(http.MethodPost, path, contentType, body)
}

func (a api) send(method, path, contentType, body string) {
	a.t.Helper()
	req, _ := http.NewRequest(method, a.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+a.key)
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(res.Body)
	if res.StatusCode >= 300 {
		a.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, buf.String())
	}
}

func ndjson(t *testing.T, items []map[string]any) string {
	t.Helper()
	var b strings.Builder
	for _, it := range items {
		line, err := json.Marshal(it)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

var (
	topics = []string{"water a fern", "boil an egg", "tie a bowline knot", "fold a paper crane", "patch a bicycle tube",
		"sharpen a kitchen knife", "plant garlic", "clean a cast iron pan", "brew green tea", "hang a picture frame"}
	steps = []string{"Gather what you need first.", "Work slowly and check each step.", "Finish by tidying up."}
)

// seedDashboard posts two checkpoints' answers (our own text), one of them with
// hostile payloads, and a three-model arena with three annotators.
func seedDashboard(t *testing.T, a api) {
	t.Helper()
	scorers := `[{"type": "length", "pass": {"max": 40}}, {"type": "refusal"}, {"type": "pii"}, {"type": "bleu"}]`
	a.post("/v1/evaluations", "application/json", `{"name": "dash-v1", "description": "first checkpoint", "scorers": `+scorers+`}`)
	desc, _ := json.Marshal("second checkpoint " + xssHandler)
	a.post("/v1/evaluations", "application/json", `{"name": "dash-v2", "description": `+string(desc)+`, "scorers": `+scorers+`}`)
	for _, ev := range []string{"dash-v1", "dash-v2"} {
		var items []map[string]any
		for i := range 30 {
			topic := topics[i%len(topics)]
			prompt := fmt.Sprintf("How do I %s? (variant %d)", topic, i/len(topics)+1)
			ref := fmt.Sprintf("To %s, %s %s", topic, steps[0], steps[1])
			out := ref
			if ev == "dash-v2" {
				switch {
				case i%7 == 3:
					out = "I'm sorry, but I can't help with that request."
				case i%5 == 1:
					out = fmt.Sprintf("To %s you could ask a friend. %s Write to helper%d@example.com for tips.", topic, steps[2], i)
				case i%3 == 0:
					out = fmt.Sprintf("To %s, %s %s %s", topic, steps[1], steps[0], steps[2])
				}
			}
			items = append(items, map[string]any{"external_id": fmt.Sprintf("q%02d", i+1), "model": ev, "prompt": prompt, "reference": ref, "response": out})
		}
		if ev == "dash-v2" {
			for i, p := range []string{xssScript, xssHandler, xssLink} {
				items = append(items, map[string]any{"external_id": fmt.Sprintf("xss%d", i+1), "model": ev,
					"prompt": "Repeat this: " + p, "reference": p, "response": "Here it is: " + p})
			}
		}
		a.post("/v1/evaluations/"+ev+"/responses", "application/x-ndjson", ndjson(t, items))
	}

	a.post("/v1/evaluations", "application/json", `{"name": "dash-arena", "description": "three models judged by three people"}`)
	models := []string{"alpha", "beta", "gamma"}
	var rs []map[string]any
	for i := range 12 {
		for _, m := range models {
			rs = append(rs, map[string]any{"external_id": fmt.Sprintf("%s-%d", m, i), "model": m,
				"prompt":   fmt.Sprintf("Explain how to %s.", topics[i%len(topics)]),
				"response": fmt.Sprintf("%s says: %s %s", m, steps[i%3], steps[(i+1)%3])})
		}
	}
	a.post("/v1/evaluations/dash-arena/responses", "application/x-ndjson", ndjson(t, rs))
	var cs []map[string]any
	for i := range 12 {
		for _, pair := range [][2]string{{"alpha", "beta"}, {"beta", "gamma"}, {"alpha", "gamma"}} {
			for k, who := range []string{"alice", "bob", "carol"} {
				// The first model of each pair usually wins; the annotators mostly
				// agree, each dissenting now and then.
				winner := "a"
				switch {
				case i%4 == 0:
					winner = "b"
				case i%5 == 0:
					winner = "tie"
				}
				if (i+2*k)%7 == 0 {
					winner = map[string]string{"a": "b", "b": "tie", "tie": "a"}[winner]
				}
				c := map[string]any{"response_a": fmt.Sprintf("%s-%d", pair[0], i), "response_b": fmt.Sprintf("%s-%d", pair[1], i),
					"winner": winner, "annotator": who, "rationale": "clearer steps"}
				if i == 0 && k == 0 {
					c["rationale"] = "A is better " + xssScript + " " + xssLink
				}
				cs = append(cs, c)
			}
		}
	}
	a.post("/v1/evaluations/dash-arena/comparisons", "application/x-ndjson", ndjson(t, cs))
}

// importAlpaca imports a few AlpacaEval annotation files into "alpaca" for the
// leaderboard screenshot, when the data is there.
func importAlpaca(t *testing.T, s *server) bool {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join(*dataDir, "alpaca_eval"))
	if err != nil {
		t.Fatal(err)
	}
	files := []string{"claude-2.1", "gpt-3.5-turbo-1106", "vicuna-13b-v1.5", "alpaca-7b", "gemma-7b-it", "Qwen-14B-Chat", "phi-2"}
	if _, err := os.Stat(filepath.Join(dir, files[0]+".annotations.json.gz")); err != nil {
		t.Logf("AlpacaEval data not found in %s; the leaderboard screenshot uses the seeded arena", dir)
		return false
	}
	for _, f := range files {
		cmd := exec.Command(binary(t), "import", "alpaca-eval", filepath.Join(dir, f+".annotations.json.gz"), "--evaluation", "alpaca")
		cmd.Env, cmd.Dir = s.env, t.TempDir()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("import %s: %v\n%s", f, err, out)
		}
	}
	return true
}

// TestDashboard drives the dashboard in Chromium: it signs in, walks every page on
// seeded data, filters, pages forward and back, opens a diff, reads the
// leaderboard, checks that hostile payloads stay inert text, manages keys and
// signs out, failing on any console error, CSP violation or dialog.
func TestDashboard(t *testing.T) {
	s := startServer(t)
	admin := createKey(t, s.env, "admin")
	a := api{t: t, base: s.base, key: admin}
	seedDashboard(t, a)
	withAlpaca := *screenshotDir != "" && importAlpaca(t, s)
	b := newBrowser(t, s.base)
	b.do("viewport", chromedp.EmulateViewport(1280, 900))

	// Not signed in: every page leads to the sign-in form.
	b.open("/evaluations/dash-v2", "#key")
	if loc := b.location(); !strings.HasPrefix(loc, "/signin?next=") {
		t.Errorf("not signed in, /evaluations/dash-v2 went to %s, want the sign-in page", loc)
	}
	b.do("sign in with a wrong key", chromedp.SendKeys(chromedp.CSS("#key"), "rlhf_nonsense"), chromedp.Click(chromedp.CSS(".signin button")),
		chromedp.WaitVisible(chromedp.CSS(".alert")))
	b.shot("signin")
	b.allow("status of 401")
	b.clean("sign-in page")
	b.do("sign in", chromedp.SendKeys(chromedp.CSS("#key"), admin), chromedp.Click(chromedp.CSS(".signin button")),
		chromedp.WaitVisible(chromedp.CSS(".signout")))
	if loc := b.location(); loc != "/evaluations/dash-v2" {
		t.Errorf("after sign-in the browser is at %s, want /evaluations/dash-v2", loc)
	}
	cookies := eval[string](b, `document.cookie`)
	if strings.Contains(cookies, "rlhf_session") {
		t.Errorf("the session cookie is readable from scripts: %q", cookies)
	}

	// Evaluations: the list and its search; each row's counts load after it.
	b.open("/", "#evaluations")
	b.do("counts", until(`!document.querySelector("#evaluations tr[aria-busy]")`))
	if got := b.text("#evaluations"); !strings.Contains(got, "108") {
		t.Errorf("evaluation list lacks the arena's 108 comparisons: %q", got)
	}
	for _, name := range []string{"dash-v1", "dash-v2", "dash-arena"} {
		if !strings.Contains(b.text("#evaluations"), name) {
			t.Errorf("evaluations list lacks %s", name)
		}
	}
	b.shot("evaluations")
	b.do("search", chromedp.SendKeys(chromedp.CSS("#q"), "arena"), chromedp.Click(chromedp.CSS("form[role=search] button")),
		until(`!document.querySelector("#evaluations").textContent.includes("dash-v1")`))
	if got := b.text("#evaluations"); !strings.Contains(got, "dash-arena") || strings.Contains(got, "dash-v2") {
		t.Errorf("search for arena lists %q", got)
	}
	if loc := b.location(); loc != "/?q=arena" {
		t.Errorf("search URL = %s, want /?q=arena (htmx pushes it)", loc)
	}
	b.clean("evaluations")

	// One evaluation: scorer cards with histograms, a sortable per-model table.
	b.open("/evaluations/dash-v2", "#activity")
	if n := eval[int](b, `document.querySelectorAll(".card svg.hist rect").length`); n == 0 {
		t.Error("the evaluation page draws no histogram bars")
	}
	if got := b.text("#activity"); !strings.Contains(got, "33") {
		t.Errorf("facts = %q, want 33 responses", got)
	}
	b.do("per-model table", chromedp.WaitVisible(chromedp.CSS("#by-model-table")))
	b.shot("evaluation")
	b.do("sort by mean", chromedp.Click(chromedp.CSS(`th a[href^="?sort=mean"]`)),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="ascending"] a[href*="sort=mean"]`)))
	b.do("sort by mean descending", chromedp.Click(chromedp.CSS(`th[aria-sort] a[href*="sort=mean"]`)),
		chromedp.WaitVisible(chromedp.CSS(`th[aria-sort="descending"]`)))
	b.clean("evaluation")

	// Responses: filter, then page forward and back.
	b.open("/evaluations/dash-v2/responses?limit=10", "#responses")
	first := eval[[]string](b, `[...document.querySelectorAll("#responses .rid")].map(a => a.textContent)`)
	if len(first) != 10 {
		t.Fatalf("first page has %d responses, want 10", len(first))
	}
	b.do("next page", chromedp.Click(chromedp.CSS(`a[rel=next]`)), chromedp.WaitVisible(chromedp.CSS(`a[rel=prev]`)))
	second := eval[[]string](b, `[...document.querySelectorAll("#responses .rid")].map(a => a.textContent)`)
	if len(second) != 10 || second[0] == first[0] {
		t.Errorf("second page = %v after %v", second, first)
	}
	b.do("next page again", chromedp.Click(chromedp.CSS(`a[rel=next]`)),
		until(fmt.Sprintf(`document.querySelector("#responses .rid").textContent != %q`, second[0])))
	b.do("back a page", chromedp.Click(chromedp.CSS(`a[rel=prev]`)),
		until(fmt.Sprintf(`document.querySelector("#responses .rid").textContent == %q`, second[0])))
	b.do("back to the first", chromedp.Click(chromedp.CSS(`a[rel=prev]`)),
		until(fmt.Sprintf(`document.querySelector("#responses .rid").textContent == %q`, first[0])))
	if got := eval[[]string](b, `[...document.querySelectorAll("#responses .rid")].map(a => a.textContent)`); strings.Join(got, ",") != strings.Join(first, ",") {
		t.Errorf("paging back gave %v, want %v", got, first)
	}
	if n := eval[int](b, `document.querySelectorAll("a[rel=prev]").length`); n != 0 {
		t.Error("the first page offers a previous page")
	}
	b.open("/evaluations/dash-v2/responses", "#f-scorer")
	b.do("filter failed refusals", chromedp.SetValue(chromedp.CSS("#f-scorer"), "length"), chromedp.SetValue(chromedp.CSS("#f-min"), "12"),
		chromedp.SendKeys(chromedp.CSS("#f-q"), "sorry"), chromedp.Click(chromedp.CSS(".filters .buttons button")),
		until(`location.search.includes("q=sorry")`))
	rows := eval[[]string](b, `[...document.querySelectorAll("#responses .output")].map(p => p.textContent)`)
	if len(rows) != 0 {
		t.Errorf("a refusal (9 words) matched length ≥ 12: %v", rows)
	}
	b.open("/evaluations/dash-v2/responses?q=sorry&scorer=length&max=12", "#responses")
	rows = eval[[]string](b, `[...document.querySelectorAll("#responses .output")].map(p => p.textContent)`)
	if len(rows) != 4 {
		t.Errorf("filter q=sorry, length ≤ 12 gave %d responses, want the 4 refusals: %v", len(rows), rows)
	}
	for _, r := range rows {
		if !strings.Contains(r, "sorry") {
			t.Errorf("text filter let through %q", r)
		}
	}
	b.shot("responses")
	b.open("/evaluations/dash-v2/responses?scorer=length&passed=false", "h1")
	b.open("/evaluations/dash-v2/responses?min=abc", "h1")
	if got := b.text("main"); !strings.Contains(got, "min") || !strings.Contains(got, "must be a number") {
		t.Errorf("a bad min shows %q, want the field and the reason", got)
	}
	b.allow("status of 400")
	b.clean("responses")

	// One response: the PII span and the refusal cue are marked, the rest is text.
	b.open("/evaluations/dash-v2/responses/q02", "#output")
	if got := b.text("#output mark.pii"); got != "helper1@example.com" {
		t.Errorf("PII mark = %q, want the e-mail address", got)
	}
	b.shot("response")
	b.open("/evaluations/dash-v2/responses/q04", "#output")
	if got := b.text("#output mark.refusal"); !strings.Contains(got, "sorry") && !strings.Contains(got, "can't") {
		t.Errorf("refusal mark = %q", got)
	}
	b.clean("response")

	// Hostile payloads are shown as text on every page that shows them.
	for i, p := range []string{xssScript, xssHandler, xssLink} {
		b.open(fmt.Sprintf("/evaluations/dash-v2/responses/xss%d", i+1), "#output")
		if got := b.text("#output"); got != "Here it is: "+p {
			t.Errorf("payload %d shows as %q, want it literally", i+1, got)
		}
		checkInert(b, fmt.Sprintf("response xss%d", i+1))
	}
	b.open("/evaluations/dash-v2/responses?q=Here+it+is", "#responses")
	checkInert(b, "responses list")
	b.open("/", "#evaluations")
	b.do("counts", until(`!document.querySelector("#evaluations tr[aria-busy]")`))
	checkInert(b, "evaluations list")
	if !strings.Contains(b.text("#evaluations"), xssHandler) {
		t.Error("the hostile description is not shown literally")
	}
	// The policy itself blocks an inline script, and the test sees it.
	b.do("inject an inline script", chromedp.Evaluate[chromedp.Void](
		`document.body.appendChild(Object.assign(document.createElement("script"), {textContent: "window.injected = 1"}))`))
	if got := eval[bool](b, `window.injected === 1`); got {
		t.Error("an inline script ran: the Content-Security-Policy did not block it")
	}
	b.mu.Lock()
	seen := len(b.problems)
	b.problems = nil
	b.mu.Unlock()
	if seen == 0 {
		t.Error("a blocked inline script was not reported: CSP violations would go unnoticed")
	}

	// Diff: verdict, per-scorer table, the prompts that regressed most, word diff.
	b.open("/evaluations/dash-v1", "#candidate")
	b.do("choose a candidate", chromedp.SetValue(chromedp.CSS("#candidate"), "dash-v2"), chromedp.Click(chromedp.CSS(`form[action$="/diff"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#diff-table")))
	if got := b.text("#verdict"); !strings.Contains(got, "Regressed") || !strings.Contains(got, "bleu") {
		t.Errorf("verdict = %q, want a bleu regression", got)
	}
	if n := eval[int](b, `document.querySelectorAll("article.pair").length`); n != 5 {
		t.Errorf("diff shows %d regressed prompts, want 5", n)
	}
	if n := eval[int](b, `document.querySelectorAll("article.pair del, article.pair ins").length`); n == 0 {
		t.Error("the word diff marks nothing")
	}
	b.shot("diff")
	b.clean("diff")

	// Preferences: leaderboard, interval plot, heatmaps, agreement.
	b.open("/evaluations/dash-arena/preferences", "#leaderboard")
	b.do("heatmaps and agreement", chromedp.WaitVisible(chromedp.CSS("#heatmaps")), chromedp.WaitVisible(chromedp.CSS("#agreement")))
	order := eval[[]string](b, `[...document.querySelectorAll("#leaderboard tbody tr td:nth-child(2)")].map(td => td.textContent.trim())`)
	if strings.Join(order, ",") != "alpha,beta,gamma" {
		t.Errorf("leaderboard order = %v, want alpha, beta, gamma", order)
	}
	if n := eval[int](b, `document.querySelectorAll("svg.intervals circle").length`); n != 3 {
		t.Errorf("interval plot has %d points, want 3", n)
	}
	if n := eval[int](b, `document.querySelectorAll("svg.heat").length`); n != 2 {
		t.Errorf("%d heatmaps, want 2", n)
	}
	if n := eval[int](b, `document.querySelectorAll("#kappa tbody tr").length`); n != 3 {
		t.Errorf("kappa matrix has %d rows, want 3", n)
	}
	b.do("win rate against gamma", chromedp.SetValue(chromedp.CSS("#baseline"), "gamma"), chromedp.Click(chromedp.CSS(`form[action$="/preferences"] button`)),
		until(`location.search.includes("baseline=gamma")`), chromedp.WaitVisible(chromedp.CSS("#leaderboard")))
	if got := b.text("#leaderboard thead"); !strings.Contains(got, "vs gamma") {
		t.Errorf("leaderboard header = %q, want the win rate against gamma", got)
	}
	if !withAlpaca {
		b.shot("preferences")
	}
	b.clean("preferences")

	// Comparisons: A and B side by side, the hostile rationale as text.
	b.open("/evaluations/dash-arena/comparisons?annotator=alice", "article.comparison")
	if n := eval[int](b, `document.querySelectorAll("article.comparison .sides section").length`); n != 20 {
		t.Errorf("comparisons page shows %d sides, want 10 comparisons × 2", n)
	}
	if got := b.text("article.comparison .rationale"); !strings.Contains(got, xssScript) {
		t.Errorf("rationale = %q, want the payload as text", got)
	}
	checkInert(b, "comparisons")
	b.shot("comparisons")
	b.do("next comparisons", chromedp.Click(chromedp.CSS(`a[rel=next]`)), until(`location.search.includes("cursor=")`))
	b.clean("comparisons")

	// API keys: create (the secret once), revoke.
	b.open("/keys", "#keys")
	b.shot("keys")
	b.do("create a key", chromedp.SendKeys(chromedp.CSS("#k-name"), "browser-made"), chromedp.Click(chromedp.CSS(`form[action="/keys"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#secret")))
	secret := b.text("#secret")
	if !strings.HasPrefix(secret, "rlhf_") {
		t.Errorf("new key secret = %q", secret)
	}
	b.do("revoke it", chromedp.Click(chromedp.CSS(`button[aria-label="Revoke browser-made"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(`button[aria-label="Revoke browser-made"]`)))
	if n := eval[int](b, `document.querySelectorAll("#secret").length`); n != 0 {
		t.Error("the secret is still shown after revoking")
	}
	b.clean("keys")

	// Jobs: deleting an evaluation from its page starts a purge, and changing an
	// evaluation's scorers a rescore; the jobs page follows them until they end.
	a.send(http.MethodPatch, "/v1/evaluations/dash-arena", "application/json", `{"scorers": [{"type": "length"}]}`)
	b.open("/evaluations/dash-v1", "details.danger")
	b.do("delete dash-v1", chromedp.Click(chromedp.CSS("details.danger summary")), chromedp.Click(chromedp.CSS("details.danger button")),
		until(`location.pathname == "/"`), chromedp.WaitVisible(chromedp.CSS("#evaluations")))
	if strings.Contains(b.text("#evaluations"), "dash-v1") {
		t.Error("dash-v1 is still listed after its deletion")
	}
	b.do("jobs page", chromedp.Click(chromedp.CSS(`header nav a[href="/jobs"]`)), chromedp.WaitVisible(chromedp.CSS("#jobs")))
	kinds := eval[[]string](b, `[...document.querySelectorAll("#jobs tbody tr td:first-child")].map(td => td.textContent)`)
	if !slices.Contains(kinds, "purge_evaluation") || !slices.Contains(kinds, "rescore") {
		t.Errorf("jobs page lists %v, want a purge and a rescore", kinds)
	}
	b.do("jobs finish", until(`[...document.querySelectorAll("#jobs tbody tr")].every(tr => tr.dataset.status == "succeeded")`))
	if n := eval[int](b, `document.querySelectorAll("#jobs-live[hx-trigger]").length`); n != 0 {
		t.Error("the jobs page still polls after every job finished")
	}
	b.shot("jobs")
	b.clean("jobs")

	if withAlpaca {
		b.open("/evaluations/alpaca/preferences", "#leaderboard")
		b.do("alpaca heatmaps", chromedp.WaitVisible(chromedp.CSS("#heatmaps")), chromedp.WaitVisible(chromedp.CSS("#agreement")))
		b.shot("preferences")
		b.clean("alpaca preferences")
	}
	// At phone width the pages still fit.
	b.do("phone", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	b.open("/evaluations/dash-v2/responses?limit=5", "#responses")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 400 {
		t.Errorf("responses page is %d px wide at phone width", w)
	}
	b.shot("phone-responses")
	b.do("desktop", chromedp.EmulateViewport(1280, 900))

	// Sign out ends the session: the pages lead to sign-in again.
	b.open("/", "#evaluations")
	b.do("sign out", chromedp.Click(chromedp.CSS(".signout button")), chromedp.WaitVisible(chromedp.CSS("#key")))
	b.open("/keys", "#key")
	b.clean("sign out")
}

// checkInert fails when the page has a script, a handler attribute or a
// javascript: link that the payloads could have made.
func checkInert(b *browser, where string) {
	b.t.Helper()
	n := eval[int](b, `document.querySelectorAll("script:not([src]), [onerror], [onclick], [onload], a[href^='javascript:' i], main img").length`)
	if n != 0 {
		b.t.Errorf("%s: %d scripts, handlers, javascript: links or images made it into the page", where, n)
	}
	b.clean(where)
}

// TestDashboardSessions checks sign-in, scopes, CSRF and session ends over plain
// HTTP (the browser test covers rendering).
func TestDashboardSessions(t *testing.T) {
	s := startServer(t)
	read, admin := createKey(t, s.env, "read"), createKey(t, s.env, "admin")
	a := api{t: t, base: s.base, key: admin}
	a.post("/v1/evaluations", "application/json", `{"name": "sess-eval"}`)

	signIn := func(key string, header http.Header) *http.Client {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest(http.MethodPost, s.base+"/signin", strings.NewReader(url.Values{"key": {key}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign in: status %d, want 303", res.StatusCode)
		}
		ck := res.Header.Get("Set-Cookie")
		for _, want := range []string{"HttpOnly", "SameSite=Strict", "Expires="} {
			if !strings.Contains(ck, want) {
				t.Errorf("session cookie %q lacks %s", ck, want)
			}
		}
		if secure := strings.Contains(ck, "Secure"); secure != (header.Get("X-Forwarded-Proto") == "https") {
			t.Errorf("session cookie %q: Secure is %v behind X-Forwarded-Proto %q", ck, secure, header.Get("X-Forwarded-Proto"))
		}
		return c
	}
	get := func(c *http.Client, path string) (int, string) {
		t.Helper()
		res, err := c.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		return res.StatusCode, buf.String()
	}
	post := func(c *http.Client, path string, form url.Values) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	csrfOf := func(c *http.Client) string {
		t.Helper()
		_, body := get(c, "/")
		_, rest, ok := strings.Cut(body, `name="csrf" value="`)
		if !ok {
			t.Fatal("no CSRF token on the page")
		}
		return rest[:strings.Index(rest, `"`)]
	}

	_ = signIn(admin, http.Header{"X-Forwarded-Proto": {"https"}})
	reader := signIn(read, nil)
	if code, body := get(reader, "/evaluations/sess-eval"); code != 200 || strings.Contains(body, "Delete sess-eval") {
		t.Errorf("read key: evaluation page %d, delete offered %v", code, strings.Contains(body, "Delete sess-eval"))
	}
	if code, _ := get(reader, "/keys"); code != http.StatusForbidden {
		t.Errorf("read key: /keys = %d, want 403", code)
	}
	if code := post(reader, "/evaluations/sess-eval/delete", url.Values{"csrf": {csrfOf(reader)}}); code != http.StatusForbidden {
		t.Errorf("read key: delete = %d, want 403", code)
	}
	// The pages' session is no credential for the API, and a key is none for pages.
	if code, _ := get(reader, "/v1/evaluations"); code != http.StatusUnauthorized {
		t.Errorf("session cookie on /v1/evaluations = %d, want 401", code)
	}

	adm := signIn(admin, nil)
	if code := post(adm, "/evaluations/sess-eval/delete", url.Values{}); code != http.StatusForbidden {
		t.Errorf("delete without CSRF token = %d, want 403", code)
	}
	if code := post(adm, "/evaluations/sess-eval/delete", url.Values{"csrf": {"forged"}}); code != http.StatusForbidden {
		t.Errorf("delete with a wrong CSRF token = %d, want 403", code)
	}
	if code, _ := get(adm, "/evaluations/sess-eval"); code != 200 {
		t.Fatalf("evaluation gone after refused deletes: %d", code)
	}
	if code := post(adm, "/evaluations/sess-eval/delete", url.Values{"csrf": {csrfOf(adm)}}); code != http.StatusSeeOther {
		t.Errorf("delete with the CSRF token = %d, want 303", code)
	}
	if code, _ := get(adm, "/evaluations/sess-eval"); code != http.StatusNotFound {
		t.Errorf("deleted evaluation page = %d, want 404", code)
	}

	// Revoking the read key ends its session.
	var keys struct {
		Items []struct{ ID, Name string } `json:"items"`
	}
	req, _ := http.NewRequest(http.MethodGet, s.base+"/v1/keys", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.NewDecoder(res.Body).Decode(&keys)
	res.Body.Close()
	for _, k := range keys.Items {
		if k.Name == "e2e-read" {
			if code := post(adm, "/keys/"+k.ID+"/revoke", url.Values{"csrf": {csrfOf(adm)}}); code != http.StatusSeeOther {
				t.Errorf("revoke = %d, want 303", code)
			}
		}
	}
	if code, _ := get(reader, "/"); code != http.StatusSeeOther {
		t.Errorf("session of a revoked key: / = %d, want a redirect to sign-in", code)
	}
	// Sign-out ends the admin session.
	if code := post(adm, "/signout", url.Values{"csrf": {csrfOf(adm)}}); code != http.StatusSeeOther {
		t.Errorf("sign out = %d", code)
	}
	if code, _ := get(adm, "/"); code != http.StatusSeeOther {
		t.Errorf("after sign-out / = %d, want a redirect to sign-in", code)
	}
	// The pages carry the security headers.
	res, err = http.Get(s.base + "/signin")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %s", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") == "" {
		t.Errorf("headers: %v", res.Header)
	}
}

// until waits for a JavaScript condition to hold in the page.
func until(js string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := chromedp.Poll[bool](js, chromedp.WithPollingTimeout(time.Until(deadline)))(ctx, t)
			// A click that navigates destroys the page's execution context under a
			// poll begun before it: poll again, in the new page.
			if err == nil || !strings.Contains(err.Error(), "Cannot find context") || time.Now().After(deadline) {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}
