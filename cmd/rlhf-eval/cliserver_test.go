package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runAs runs the binary with env and returns stdout, stderr and the exit code.
func runAs(t *testing.T, env []string, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env, cmd.Dir = env, t.TempDir()
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func mustCLI(t *testing.T, env []string, args ...string) string {
	t.Helper()
	out, errOut, code := runAs(t, env, "", args...)
	if code != 0 {
		t.Fatalf("rlhf-eval %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// TestCLIServerMode uses the CLI as a user who holds only an API key: the database
// URL points nowhere, so every command must go through the REST API.
func TestCLIServerMode(t *testing.T) {
	s := startServer(t)
	key := createKey(t, s.env, "admin")
	home := t.TempDir()
	base := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"RLHF_DATABASE_URL=postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}
	env := append(append([]string{}, base...), "RLHF_URL="+s.base, "RLHF_API_KEY="+key)

	mustCLI(t, env, "evaluations", "create", "cli-v1", "--description", "first", "--scorers", `[{"type": "length"}, {"type": "refusal"}]`)
	mustCLI(t, env, "evaluations", "create", "cli-v2", "--scorers", `[{"type": "length"}, {"type": "refusal"}]`)

	dir := t.TempDir()
	write := func(name string, n int, answer func(i int) string) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			fmt.Fprintf(&b, `{"external_id": "q%d", "prompt_id": "p%d", "model": %q, "prompt": "question %d", "response": %q}`+"\n",
				i, i, strings.TrimSuffix(name, ".jsonl"), i, answer(i))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	v1 := write("cli-v1.jsonl", 2500, func(i int) string { return fmt.Sprintf("The answer to %d is here.", i) })
	v2 := write("cli-v2.jsonl", 2500, func(i int) string {
		if i%3 == 0 {
			return "I'm sorry, but I can't help with that request."
		}
		return fmt.Sprintf("The answer to %d is here.", i)
	})

	out := mustCLI(t, env, "responses", "post", v1, "--evaluation", "cli-v1", "--chunk", "1000", "--format", "json")
	var st struct{ Items, Created, Existing, Requests int }
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatal(err, out)
	}
	if st.Items != 2500 || st.Created != 2500 || st.Requests != 3 {
		t.Fatalf("first post = %+v, want 2500 items created in 3 requests", st)
	}
	// The same upload again resumes: every chunk is replayed, nothing is new.
	mustCLI(t, env, "responses", "post", v1, "-e", "cli-v1", "--chunk", "1000")
	mustCLI(t, env, "responses", "post", v2, "-e", "cli-v2", "--chunk", "700")

	out = mustCLI(t, env, "responses", "list", "-e", "cli-v1", "--limit", "0", "--format", "json")
	var rs []map[string]any
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2500 {
		t.Fatalf("responses list = %d items, want 2500 (nothing posted twice)", len(rs))
	}
	out = mustCLI(t, env, "responses", "list", "-e", "cli-v1", "--limit", "5", "--format", "csv")
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 6 || !strings.HasPrefix(lines[0], "ID,EXTERNAL_ID,MODEL") {
		t.Fatalf("csv list:\n%s", out)
	}
	out = mustCLI(t, env, "responses", "show", "q3", "-e", "cli-v2")
	if !strings.Contains(out, `"refusal"`) || !strings.Contains(out, `"external_id": "q3"`) {
		t.Fatalf("show:\n%s", out)
	}

	out = mustCLI(t, env, "evaluations", "list", "--format", "csv")
	if !strings.Contains(out, "cli-v1,") || !strings.Contains(out, "cli-v2,") {
		t.Fatalf("evaluations list:\n%s", out)
	}
	out = mustCLI(t, env, "evaluations", "summary", "cli-v2")
	if !strings.Contains(out, "refusal") || !strings.Contains(out, "2500") {
		t.Fatalf("summary:\n%s", out)
	}
	// v2 refuses a third of the prompts: a significant regression on refusal.
	out, errOut, code := runAs(t, env, "", "evaluations", "diff", "cli-v1", "cli-v2", "--bootstrap", "50", "--fail-on-regression")
	if code != 1 || !strings.Contains(errOut, "regression: refusal") || !strings.Contains(out, "REGRESSION") {
		t.Fatalf("diff --fail-on-regression: exit %d\n%s\n%s", code, out, errOut)
	}

	// Comparisons, leaderboard and export through the API.
	var cs strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&cs, `{"response_a": "a%d", "response_b": "b%d", "winner": "b", "annotator": "ann"}`+"\n", i, i)
	}
	mustCLI(t, env, "evaluations", "create", "cli-arena")
	var rsb strings.Builder
	for i := 0; i < 30; i++ {
		fmt.Fprintf(&rsb, `{"external_id": "a%d", "model": "ma", "prompt": "p%d", "response": "x"}`+"\n", i, i)
		fmt.Fprintf(&rsb, `{"external_id": "b%d", "model": "mb", "prompt": "p%d", "response": "y"}`+"\n", i, i)
	}
	rp, cp := filepath.Join(dir, "arena.jsonl"), filepath.Join(dir, "cmp.jsonl")
	_ = os.WriteFile(rp, []byte(rsb.String()), 0o644)
	_ = os.WriteFile(cp, []byte(cs.String()), 0o644)
	mustCLI(t, env, "responses", "post", rp, "-e", "cli-arena")
	mustCLI(t, env, "comparisons", "post", cp, "-e", "cli-arena")
	out = mustCLI(t, env, "evaluations", "leaderboard", "cli-arena", "--method", "winrate", "--baseline", "ma", "--format", "json")
	if !strings.Contains(out, `"mb"`) {
		t.Fatalf("leaderboard:\n%s", out)
	}
	out = mustCLI(t, env, "evaluations", "export", "cli-arena", "--format", "dpo")
	if n := strings.Count(out, "\n"); n != 30 {
		t.Fatalf("export wrote %d lines, want 30:\n%s", n, out)
	}

	// Bad input is the server's problem document, with a non-zero exit.
	_, errOut, code = runAs(t, env, "", "evaluations", "create", "Bad Name")
	if code != 1 || !strings.Contains(errOut, "name") || !strings.Contains(errOut, "HTTP 400") {
		t.Fatalf("bad name: exit %d, %s", code, errOut)
	}
	// A mistyped subcommand is a usage error.
	if _, errOut, code = runAs(t, env, "", "evaluations", "lsit"); code != 2 || !strings.Contains(errOut, "did you mean list") {
		t.Fatalf("typo: exit %d, %s", code, errOut)
	}

	// login stores the server and key; then no variables are needed. The key is
	// never echoed.
	out, errOut, code = runAs(t, base, key+"\n", "login", "--server", s.base, "--with-key")
	if code != 0 || strings.Contains(out+errOut, key) {
		t.Fatalf("login: exit %d\n%s\n%s", code, out, errOut)
	}
	fi, err := os.Stat(filepath.Join(home, ".config", "rlhf-eval", "login.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("login file: %v %v", fi, err)
	}
	if out := mustCLI(t, base, "evaluations", "show", "cli-v1"); !strings.Contains(out, `"description": "first"`) {
		t.Fatalf("show after login:\n%s", out)
	}
	_, errOut, code = runAs(t, base, "rlhf_wrongwrongwrongwrongwrongwrongwr000000\n", "login", "--server", s.base, "--with-key")
	if code == 0 || !strings.Contains(errOut, "HTTP 401") {
		t.Fatalf("login with a bad key: exit %d, %s", code, errOut)
	}
	mustCLI(t, base, "evaluations", "delete", "cli-arena", "--yes")
	mustCLI(t, base, "logout")
	// Logged out, the CLI is back in local mode, and the database it names is not
	// there.
	if _, _, code := runAs(t, base, "", "evaluations", "summary", "cli-v1"); code == 0 {
		t.Fatal("summary after logout reached a server")
	}
}
