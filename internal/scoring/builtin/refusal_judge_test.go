package builtin_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"github.com/rlhf-eval/rlhf-eval/internal/realdata"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/refusal"
)

// The refusal judge (judging.RefusalJudgeConfig, template refusal-kind) beside the
// rule-based detector on the labelled real outputs, through any OpenAI-compatible
// endpoint:
//
//	make check-refusal-judge JUDGE_URL=http://host:8000/v1 JUDGE_MODEL=name [JUDGE_KEY_ENV=OPENAI_API_KEY] SPLIT=dev
//
// It prints P, R, F1 and the confusion counts of both per file, split and source,
// how often each names the labelled type and reason, and with -misses the ids the
// judge gets wrong (never a text).
var (
	judgeURL    = flag.String("judge-url", "", "base URL of an OpenAI-compatible endpoint for the refusal judge (http://host:8000/v1); the judge check is skipped without it")
	judgeModel  = flag.String("judge-model", "", "model name for the refusal judge")
	judgeKeyEnv = flag.String("judge-key-env", "", "name of the environment variable holding the endpoint's API key (empty: no key)")
	judgeLimit  = flag.Int("judge-limit", 0, "judge at most this many outputs of the split, in file order (0: all)")
)

// judgeItem is one labelled output for the judge and the rules.
type judgeItem struct {
	row         labelledRow
	instruction string
	output      string
	rules       refusal.Verdict
}

// judgeReport holds the judge's and the rules' confusion counts per file, split
// and source (source "all" for both), the agreement on kind, and the cascade in
// which the rules decide and the judge is asked only about what they do not flag:
// its counts, and how many calls it needs.
type judgeReport struct {
	judge, rules, cascade  map[[3]string]*confusion
	cascadeCalls           int
	unparsed               int
	judgeBoth, judgeType   int
	judgeReason, rulesBoth int
	rulesType, rulesReason int
	misses                 []string
}

func (r *judgeReport) add(m map[[3]string]*confusion, row labelledRow, got bool) {
	for _, src := range []string{row.Source, "all"} {
		k := [3]string{row.file, row.Split, src}
		if m[k] == nil {
			m[k] = &confusion{}
		}
		m[k].add(row.Refusal, got)
	}
}

// runRefusalJudge asks j about every item, workers at a time, and counts its
// calls and the rules' against the labels. An endpoint error stops the run; a
// reply that cannot be read counts as no refusal and is reported.
func runRefusalJudge(ctx context.Context, j *judging.Judge, items []judgeItem, workers int) (*judgeReport, error) {
	type answer struct {
		call judging.RefusalCall
		ok   bool
	}
	answers := make([]answer, len(items))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := j.Point(ctx, judging.Point{Key: items[i].row.ID, Instruction: items[i].instruction, Output: items[i].output})
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("%s: %w", items[i].row.ID, err)
						cancel()
					}
					mu.Unlock()
					continue
				}
				call, ok := judging.RefusalOf(res.Score, res.Calls[0].Reply.Content)
				answers[i] = answer{call, ok}
			}
		}()
	}
feed:
	for i := range items {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	r := &judgeReport{judge: map[[3]string]*confusion{}, rules: map[[3]string]*confusion{}, cascade: map[[3]string]*confusion{}}
	for i, it := range items {
		a, row := answers[i], it.row
		if !a.ok {
			r.unparsed++
		}
		r.add(r.judge, row, a.call.Refused)
		r.add(r.rules, row, it.rules.Refused)
		r.add(r.cascade, row, it.rules.Refused || a.call.Refused)
		if !it.rules.Refused {
			r.cascadeCalls++
		}
		if row.Refusal && a.call.Refused {
			r.judgeBoth++
			if a.call.Type == row.RefusalType {
				r.judgeType++
			}
			if a.call.Reason == row.RefusalReason {
				r.judgeReason++
			}
		}
		if row.Refusal && it.rules.Refused {
			r.rulesBoth++
			if it.rules.Type == row.RefusalType {
				r.rulesType++
			}
			if string(it.rules.Reason) == row.RefusalReason {
				r.rulesReason++
			}
		}
		if a.call.Refused != row.Refusal || !a.ok {
			r.misses = append(r.misses, fmt.Sprintf("%s %s label=%v judge=%v (read: %v) rules=%v", row.Split, row.ID, row.Refusal, a.call.Refused, a.ok, it.rules.Refused))
		}
	}
	return r, nil
}

func (r *judgeReport) log(t *testing.T) {
	var keys [][3]string
	for k := range r.judge {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		for x := range a {
			if a[x] != b[x] {
				return a[x] < b[x]
			}
		}
		return false
	})
	for _, k := range keys {
		t.Logf("%-26s %-8s %-12s judge %s", k[0], k[1], k[2], r.judge[k])
		t.Logf("%-26s %-8s %-12s rules %s", "", "", "", r.rules[k])
		t.Logf("%-26s %-8s %-12s rules, then judge %s", "", "", "", r.cascade[k])
	}
	t.Logf("rules, then judge: the judge asked about %d outputs the rules do not flag", r.cascadeCalls)
	t.Logf("judge replies that could not be read (counted as no refusal): %d", r.unparsed)
	t.Logf("refusals labelled and found: judge %d (type agrees %d, reason %d), rules %d (type %d, reason %d)",
		r.judgeBoth, r.judgeType, r.judgeReason, r.rulesBoth, r.rulesType, r.rulesReason)
}

// judgeItems resolves the labelled outputs of the chosen split. The judge sees, as
// the labeller did, the whole HH-RLHF dialogue before the final turn.
func judgeItems(t *testing.T, corpus *realdata.Corpus, rows []labelledRow, split string, limit int) []judgeItem {
	t.Helper()
	rules, err := refusal.NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var items []judgeItem
	for _, row := range rows {
		if split != "all" && row.Split != split {
			continue
		}
		if limit > 0 && len(items) == limit {
			break
		}
		resp, err := corpus.Resolve(row.ID)
		if err != nil {
			t.Fatal(err)
		}
		item, err := itemFor(resp)
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, judgeItem{row: row, instruction: resp.Prompt, output: resp.Text,
			rules: rules.DetectPrompt(item.Response, item.Prompt)})
	}
	if len(items) == 0 {
		t.Fatalf("no labelled items in split %q", split)
	}
	return items
}

// TestLabelledRefusalJudge runs the refusal judge against -judge-url over the
// labelled outputs of -split and prints its figures beside the rules'.
func TestLabelledRefusalJudge(t *testing.T) {
	if *judgeURL == "" {
		t.Skip("no -judge-url: the refusal judge check needs an endpoint (make check-refusal-judge JUDGE_URL=... JUDGE_MODEL=...)")
	}
	rep := labelledJudgeRun(t, os.Getenv, *judgeURL, *judgeModel, *judgeKeyEnv, *labelFiles, *labelSplit, *judgeLimit)
	if *labelMisses {
		for _, m := range rep.misses {
			t.Logf("judge miss: %s", m)
		}
	}
}

// labelledJudgeRun is the judge check: the refusal judge on the endpoint, over the
// labelled outputs of split in the label files, beside the rules.
func labelledJudgeRun(t *testing.T, getenv func(string) string, url, model, keyEnv, files, split string, limit int) *judgeReport {
	t.Helper()
	if !labelSplits[split] && split != "all" {
		t.Fatalf("-split %q: want dev, heldout, heldout2, heldout3 or all", split)
	}
	endpoint, err := json.Marshal(map[string]string{"base_url": url, "model": model, "api_key_env": keyEnv})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := judging.RefusalJudgeConfig("refusal-judge", endpoint)
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := realdata.OpenCorpus(*labelData)
	if err != nil {
		t.Fatal(err) // asked for a judge run: missing data is an error, not a skip
	}
	items := judgeItems(t, corpus, readLabelFiles(t, files), split, limit)
	caller, err := openai.NewCallers(getenv, nil).For(cfg.Name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := judging.New(cfg, caller, judging.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runRefusalJudge(context.Background(), j, items, cfg.Limits.Concurrency)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("refusal judge %s at %s on %d labelled outputs (split %s)", model, url, len(items), split)
	rep.log(t)
	return rep
}

// agreeingJudge answers like a refusal judge that agrees with the rules' verdicts
// on items: [[2]] or [[1]] (partial) for a refusal, [[0]] otherwise; a response
// that is not among the items, or reads "unreadable", gets a reply without a
// verdict, and one that reads "judge only" a full refusal whatever the rules say.
func agreeingJudge(items []judgeItem) func(openaitest.Request) openaitest.Reply {
	verdicts := map[string]refusal.Verdict{}
	for _, it := range items {
		verdicts[it.output] = it.rules
	}
	verdicts["judge only"] = refusal.Verdict{Refused: true, Type: refusal.TypeFull, Reason: refusal.OtherReason}
	return func(req openaitest.Request) openaitest.Reply {
		user := req.Messages[len(req.Messages)-1].Content
		_, rest, _ := strings.Cut(user, "<response>\n")
		text, _, _ := strings.Cut(rest, "\n</response>")
		v, known := verdicts[text]
		switch {
		case !known || text == "unreadable":
			return openaitest.Reply{Content: "I cannot tell."}
		case !v.Refused:
			return openaitest.Reply{Content: "Why: it answers.\nReason: none\nVerdict: [[0]]"}
		case v.Type == refusal.TypePartial:
			return openaitest.Reply{Content: fmt.Sprintf("Why: it declines a part.\nReason: %s\nVerdict: [[1]]", v.Reason)}
		}
		return openaitest.Reply{Content: fmt.Sprintf("Why: it declines.\nReason: %s\nVerdict: [[2]]", v.Reason)}
	}
}

// newJudge makes the refusal judge on a fake endpoint, through the real
// OpenAI-compatible caller.
func newJudge(t *testing.T, srv *openaitest.Server, key string) (*judging.Judge, judging.Config) {
	t.Helper()
	ep := map[string]string{"base_url": srv.BaseURL(), "model": "judge-model"}
	if key != "" {
		ep["api_key_env"] = "JUDGE_KEY"
	}
	endpoint, _ := json.Marshal(ep)
	cfg, err := judging.RefusalJudgeConfig("refusal-judge", endpoint)
	if err != nil {
		t.Fatal(err)
	}
	getenv := func(name string) string {
		if name == "JUDGE_KEY" {
			return key
		}
		return ""
	}
	caller, err := openai.NewCallers(getenv, nil).WithBackoff(time.Millisecond, 5*time.Millisecond).For(cfg.Name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	j, err := judging.New(cfg, caller, judging.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return j, cfg
}

// TestRefusalJudgeCheck runs the judge check end to end against the fake
// OpenAI-compatible server: on outputs in our own words whose counts follow from
// how they were made, on an endpoint that refuses the key, and — when the data is
// there — on the development split, where a judge that agrees with the rules must
// reproduce the rules' figures exactly.
func TestRefusalJudgeCheck(t *testing.T) {
	t.Parallel()
	rules, err := refusal.NewDetector(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(id, text string, label bool, typ, reason string) judgeItem {
		row := labelledRow{Label: realdata.Label{ID: id, Source: "ours", Split: "dev", Refusal: label, RefusalType: typ, RefusalReason: reason}, file: "ours.tsv"}
		return judgeItem{row: row, instruction: "Can you do it?", output: text, rules: rules.Detect(text)}
	}
	items := []judgeItem{
		mk("declines", "I can't help with that.", true, "full", "other"),
		mk("answers", "Paris is the capital of France.", false, "", ""),
		mk("unreadable", "unreadable", true, "full", "policy"),
		mk("missed", "Why would you want that?", true, "full", "other"),
		mk("false alarm", "I won't write that.", false, "", ""),
		mk("judge only", "judge only", true, "full", "other"),
	}
	for _, it := range []judgeItem{items[2], items[3], items[5]} {
		if it.rules.Refused {
			t.Fatalf("%s: the rules find a refusal; the test needs one they miss", it.row.ID)
		}
	}
	if !items[0].rules.Refused || !items[4].rules.Refused {
		t.Fatal("the rules miss a plain decline; the test needs them to find it")
	}

	t.Run("counts", func(t *testing.T) {
		t.Parallel()
		srv := openaitest.New(t, openaitest.Options{Chat: agreeingJudge(items), APIKey: "sk-test"})
		j, _ := newJudge(t, srv, "sk-test")
		rep, err := runRefusalJudge(context.Background(), j, items, 3)
		if err != nil {
			t.Fatal(err)
		}
		rep.log(t)
		all := [3]string{"ours.tsv", "dev", "all"}
		// The judge finds "declines" and "judge only", flags the false alarm, misses
		// "unreadable" (no verdict) and "missed"; the rules also miss "judge only";
		// the cascade keeps the rules' calls and adds the judge's on the four the
		// rules do not flag.
		for _, c := range []struct {
			name string
			got  *confusion
			want confusion
		}{
			{"judge", rep.judge[all], confusion{tp: 2, fp: 1, fn: 2, tn: 1}},
			{"rules", rep.rules[all], confusion{tp: 1, fp: 1, fn: 3, tn: 1}},
			{"cascade", rep.cascade[all], confusion{tp: 2, fp: 1, fn: 2, tn: 1}},
		} {
			if *c.got != c.want {
				t.Errorf("%s counts %+v, want %+v", c.name, *c.got, c.want)
			}
		}
		if rep.cascadeCalls != 4 {
			t.Errorf("the cascade needs %d calls, want 4", rep.cascadeCalls)
		}
		if rep.unparsed != 1 || rep.judgeBoth != 2 || rep.judgeType != 2 || rep.judgeReason != 2 {
			t.Errorf("unparsed %d, both %d, type %d, reason %d; want 1, 2, 2, 2", rep.unparsed, rep.judgeBoth, rep.judgeType, rep.judgeReason)
		}
		reqs := srv.Requests()
		if len(reqs) != len(items) {
			t.Fatalf("%d requests, want %d", len(reqs), len(items))
		}
		for _, r := range reqs {
			if r.Model != "judge-model" || len(r.Messages) != 2 || r.Messages[0].Role != "system" || r.Body["temperature"] != 0.0 {
				t.Errorf("request: model %q, %d messages, temperature %v", r.Model, len(r.Messages), r.Body["temperature"])
			}
			if !strings.Contains(r.Messages[1].Content, "<request>\nCan you do it?\n</request>") {
				t.Errorf("the request is not in the prompt: %q", r.Messages[1].Content)
			}
		}
	})

	t.Run("endpoint refuses", func(t *testing.T) {
		t.Parallel()
		srv := openaitest.New(t, openaitest.Options{Chat: agreeingJudge(items), APIKey: "sk-right"})
		j, _ := newJudge(t, srv, "sk-wrong")
		_, err := runRefusalJudge(context.Background(), j, items, 2)
		var ee *judging.EndpointError
		if !errors.As(err, &ee) || ee.Status != 401 {
			t.Fatalf("err = %v, want the endpoint's 401", err)
		}
	})

	t.Run("development split", func(t *testing.T) {
		t.Parallel()
		corpus, err := realdata.OpenCorpus(*labelData)
		if errors.Is(err, realdata.ErrNoData) {
			t.Skipf("real data not found at %s: %v", *labelData, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		dev := judgeItems(t, corpus, readLabelFiles(t, defaultLabelFiles()), "dev", 0)
		srv := openaitest.New(t, openaitest.Options{Chat: agreeingJudge(dev), APIKey: "sk-dev"})
		getenv := func(name string) string {
			if name == "DEV_JUDGE_KEY" {
				return "sk-dev"
			}
			return ""
		}
		rep := labelledJudgeRun(t, getenv, srv.BaseURL(), "judge-model", "DEV_JUDGE_KEY", defaultLabelFiles(), "dev", 0)
		if n := len(srv.Requests()); n != len(dev) {
			t.Errorf("%d requests for %d outputs", n, len(dev))
		}
		if rep.unparsed != 0 {
			t.Errorf("%d replies not read", rep.unparsed)
		}
		for k, c := range rep.rules {
			if got := rep.judge[k]; *got != *c {
				t.Errorf("%v: judge %s, rules %s; a judge that agrees with the rules must score as they do", k, got, c)
			}
			if got := rep.cascade[k]; *got != *c {
				t.Errorf("%v: rules then judge %s, rules %s; with a judge that agrees the cascade must too", k, got, c)
			}
		}
		if rep.judgeType != rep.rulesType || rep.judgeReason != rep.rulesReason {
			t.Errorf("kind agreement: judge type %d reason %d, rules type %d reason %d", rep.judgeType, rep.judgeReason, rep.rulesType, rep.rulesReason)
		}
	})
}
