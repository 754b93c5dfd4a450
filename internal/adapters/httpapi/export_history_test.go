package httpapi

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestExportKeepsTheConversation: DPO and KTO exports carry the whole multi-turn
// context by default; dropping it is an option a client asks for.
func TestExportKeepsTheConversation(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"history"}`), 201)
	ctx := `"context":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}]`
	wantStatus(t, a.post("/v1/evaluations/history/responses", `[{"external_id":"a","model":"m1","prompt":"And now?","response":"Now.",`+ctx+`},
		{"external_id":"b","model":"m2","prompt":"And now?","response":"Later.",`+ctx+`}]`), 201)
	wantStatus(t, a.post("/v1/evaluations/history/comparisons", `{"response_a":"a","response_b":"b","winner":"a"}`), 201)

	export := func(q string) []map[string]any {
		t.Helper()
		r := a.get("/v1/evaluations/history/export" + q)
		wantStatus(t, r, 200)
		var out []map[string]any
		for _, line := range strings.Split(strings.TrimSpace(string(r.body)), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("export%s line %q: %v", q, line, err)
			}
			out = append(out, m)
		}
		return out
	}
	const full = "\n\nSystem: Be brief.\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: And now?\n\nAssistant:"
	turns := func(v any) []string {
		var out []string
		for _, m := range v.([]any) {
			mm := m.(map[string]any)
			out = append(out, mm["role"].(string)+":"+mm["content"].(string))
		}
		return out
	}
	for _, tc := range []struct {
		q      string
		prompt any // a string, or the roles:contents of the messages
	}{
		{"", full},
		{"?format=dpo&history=full", full},
		{"?format=kto", full},
		{"?history=last", "And now?"},
		{"?format=kto&history=last", "And now?"},
		{"?conversational=true", []string{"system:Be brief.", "user:Hi", "assistant:Hello!", "user:And now?"}},
		{"?format=kto&conversational=true", []string{"system:Be brief.", "user:Hi", "assistant:Hello!", "user:And now?"}},
		{"?conversational=true&history=last", []string{"user:And now?"}},
	} {
		lines := export(tc.q)
		for _, l := range lines {
			var got any = l["prompt"]
			if _, ok := tc.prompt.([]string); ok {
				got = turns(l["prompt"])
			}
			if g, w := mustJSON(t, got), mustJSON(t, tc.prompt); g != w {
				t.Errorf("export%s prompt = %s, want %s", tc.q, g, w)
			}
		}
		if l := lines[0]; l["chosen"] != nil && l["chosen"] != "Now." && !strings.Contains(mustJSON(t, l["chosen"]), "Now.") {
			t.Errorf("export%s chosen = %v, want the preferred response", tc.q, l["chosen"])
		}
	}
	if r := a.get("/v1/evaluations/history/export?history=some"); r.status != 400 || problemField(t, r) != "history" {
		t.Errorf("history=some: %d %s, want 400 naming history", r.status, r.body)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
