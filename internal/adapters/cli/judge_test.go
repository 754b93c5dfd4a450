package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/judging"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai/openaitest"
)

// judgeFile writes a pairwise logprobs judge for srv and returns its path.
func judgeFile(t *testing.T, srv *openaitest.Server, extra string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "judge.json")
	cfg := `{"name": "cli-judge", "kind": "pairwise", "order": "both",
		"endpoint": {"base_url": "` + srv.BaseURL() + `", "model": "judge-1", "api_key_env": "CLI_JUDGE_KEY"},
		"template": "<|im_start|>user\nQ: {instruction}\nfirst: {output_1}\nsecond: {output_2}\n<|im_end|>",
		"parser": {"type": "logprobs", "first": "1", "second": "2"},
		"price": {"input_per_million": 1, "output_per_million": 1}` + extra + `}`
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// lengthJudge prefers the longer output shown, with P = len/(len1+len2).
func lengthJudge(req openaitest.Request) openaitest.Reply {
	u := req.Messages[len(req.Messages)-1].Content
	_, rest, _ := strings.Cut(u, "first: ")
	first, second, _ := strings.Cut(rest, "\nsecond: ")
	p := float64(len(first)) / float64(len(first)+len(second))
	return openaitest.Reply{Content: "1", Tokens: []openaitest.Token{{Token: "1", Logprob: math.Log(p),
		TopLogprobs: []openaitest.Candidate{{Token: "1", Logprob: math.Log(p)}, {Token: "2", Logprob: math.Log(1 - p)}}}}}
}

func runJudgePairs(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	root := NewRoot(Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		JudgeCaller: func(cfg judging.Config) (judging.Caller, error) {
			return openai.NewCallers(os.Getenv, nil).For(cfg.Name, cfg)
		}})
	root.SetArgs(append([]string{"judge", "pairs"}, args...))
	err := root.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func TestJudgePairs(t *testing.T) {
	t.Setenv("CLI_JUDGE_KEY", "sk-cli")
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-cli", Chat: openaitest.Flaky(4, "1", func(req openaitest.Request) openaitest.Reply {
		rep := lengthJudge(req)
		rep.Delay = time.Duration(len(req.Messages[0].Content)%7) * time.Millisecond // finish out of order
		return rep
	})})
	var in strings.Builder
	type want struct {
		id   string
		pref float64
	}
	var wants []want
	for i := 0; i < 30; i++ {
		o1, o2 := strings.Repeat("a", 1+i), strings.Repeat("b", 31-i)
		line, _ := json.Marshal(map[string]any{"id": i, "instruction": "q" + strings.Repeat("?", i), "output_1": o1, "output_2": o2})
		in.Write(append(line, '\n'))
		wants = append(wants, want{id: string(rune('0' + i%10)), pref: float64(len(o2)) / float64(len(o1)+len(o2))})
	}
	in.WriteString(`{"id": "same", "instruction": "q", "output_1": "x", "output_2": "x"}` + "\n")
	in.WriteString("\n")
	in.WriteString(`{"id": "bad", "instruction": "q", "output_1": "x"}` + "\n")
	in.WriteString(`not json` + "\n")

	stdout, stderr, err := runJudgePairs(t, in.String(), "--input", "-", "--judge", judgeFile(t, srv, ""), "--concurrency", "8")
	if ExitCode(err) != 1 {
		t.Errorf("exit code %d (%v), want 1 for the bad lines", ExitCode(err), err)
	}
	if !strings.Contains(stderr, "line 33: output_2 is required") || !strings.Contains(stderr, "line 34: want a JSON object") {
		t.Errorf("stderr does not report the bad lines by number:\n%s", stderr)
	}
	var got []judgePairJSON
	for _, l := range strings.Split(strings.TrimSpace(stdout), "\n") {
		var o judgePairJSON
		if err := json.Unmarshal([]byte(l), &o); err != nil {
			t.Fatalf("output line %q: %v", l, err)
		}
		got = append(got, o)
	}
	if len(got) != 31 {
		t.Fatalf("%d output lines, want 31:\n%s", len(got), stdout)
	}
	for i := 0; i < 30; i++ {
		if string(got[i].ID) != jsonInt(i) {
			t.Fatalf("line %d has id %s: output is not in input order", i, got[i].ID)
		}
		if got[i].Preference == nil || math.Abs(*got[i].Preference-wants[i].pref) > 1e-12 {
			t.Errorf("id %d: preference %v, want %v", i, got[i].Preference, wants[i].pref)
		}
		if len(got[i].Calls) != 2 || got[i].Calls[0].Order != "12" || got[i].Calls[1].Order != "21" || len(got[i].Calls[0].RequestHash) != 64 {
			t.Errorf("id %d: calls %+v", i, got[i].Calls)
		}
	}
	if last := got[30]; string(last.ID) != `"same"` || !last.Identical || *last.Preference != 0.5 || len(last.Calls) != 0 {
		t.Errorf("identical outputs: %+v", last)
	}
	if n := len(srv.Requests()); n < 60 {
		t.Errorf("the endpoint saw %d requests, want 60 and the injected failures", n)
	}
}

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }

func TestJudgePairsStopsOnRefusal(t *testing.T) {
	t.Setenv("CLI_JUDGE_KEY", "sk-wrong")
	srv := openaitest.New(t, openaitest.Options{APIKey: "sk-cli", Chat: lengthJudge})
	var in strings.Builder
	for i := 0; i < 50; i++ {
		in.WriteString(`{"id": 1, "instruction": "q", "output_1": "a", "output_2": "bb"}` + "\n")
	}
	_, _, err := runJudgePairs(t, in.String(), "--input", "-", "--judge", judgeFile(t, srv, ""))
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "Incorrect API key provided") {
		t.Errorf("err = %v, want the endpoint's 401 message", err)
	}
	if n := len(srv.Requests()); n > 16 {
		t.Errorf("%d requests after a 401, want the run stopped", n)
	}
}

func TestJudgePairsRefusesBadInvocations(t *testing.T) {
	t.Parallel()
	srv := openaitest.New(t, openaitest.Options{})
	bad := filepath.Join(t.TempDir(), "bad.json")
	_ = os.WriteFile(bad, []byte(`{"name": "x", "kind": "pairwise", "endpoint": {"base_url": "ftp://h", "model": "m"}, "parser": {"type": "verdict"}, "colour": 1}`), 0o600)
	point := filepath.Join(t.TempDir(), "point.json")
	_ = os.WriteFile(point, []byte(`{"name": "x", "kind": "pointwise", "endpoint": {"base_url": "http://h/v1", "model": "m"}, "parser": {"type": "score", "min": 1, "max": 10}}`), 0o600)
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--judge", judgeFile(t, srv, "")}, 2, "--input is required"},
		{[]string{"--input", "-"}, 2, "--judge is required"},
		{[]string{"--input", "-", "--judge", bad}, 2, "endpoint.base_url"},
		{[]string{"--input", "-", "--judge", bad}, 2, "colour: unknown field"},
		{[]string{"--input", "-", "--judge", point}, 2, "needs a pairwise judge"},
		{[]string{"--input", "-", "--judge", judgeFile(t, srv, ""), "--concurrency", "-1"}, 2, "--concurrency"},
		{[]string{"--input", "-", "--judge", judgeFile(t, srv, "")}, 1, "CLI_JUDGE_KEY"},
	}
	for _, c := range cases {
		_, _, err := runJudgePairs(t, "", c.args...)
		if err == nil || ExitCode(err) != c.code || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: err = %v (exit %d), want exit %d mentioning %q", c.args, err, ExitCode(err), c.code, c.want)
		}
	}
}
