package httpapi

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestIntervalsRespectTheRange: every interval the API reports stays within the
// range of what it estimates and names its method; rates are shares from 0 to 1;
// an evaluation has one shape in every reply.
func TestIntervalsRespectTheRange(t *testing.T) {
	t.Parallel()
	a := newTestAPI(t, Config{})
	wantStatus(t, a.post("/v1/evaluations", `{"name":"ranges","scorers":[{"type":"refusal"},{"type":"bleu"},{"type":"length","pass":{"max":3}}]}`), 201)
	// One refusal in three, low BLEU, and lengths of 1, 2 and 9 words: the Student t
	// intervals of these means go below 0 (refusal, bleu) or above 1 (refusal).
	var rs []string
	for i, resp := range []string{"I cannot help with that.", "The cat sat on a mat today", "Paris is the capital of France and it is large"} {
		for _, m := range []string{"m1", "m2", "m3"} {
			rs = append(rs, fmt.Sprintf(`{"external_id":"%s-%d","prompt_id":"p%d","model":"%s","prompt":"p%d","response":%q,"reference":"The cat is on the mat"}`,
				m, i, i, m, i, resp))
		}
	}
	wantStatus(t, a.post("/v1/evaluations/ranges/responses", "["+strings.Join(rs, ",")+"]"), 201)

	sum := decodeJSON[map[string]any](t, a.get("/v1/evaluations/ranges/summary"))
	ev, ok := sum["evaluation"].(map[string]any)
	if !ok || ev["name"] != "ranges" || ev["id"] == nil {
		t.Errorf("summary evaluation = %v, want {id, name}", sum["evaluation"])
	}
	methods := map[string]string{}
	for _, row := range sum["scorers"].([]any) {
		r := row.(map[string]any)
		name := r["scorer"].(string)
		lo, hi, mean := r["ci_low"].(float64), r["ci_high"].(float64), r["mean"].(float64)
		methods[name], _ = r["ci_method"].(string)
		if !(lo <= mean && mean <= hi) {
			t.Errorf("%s: interval [%v, %v] misses the mean %v", name, lo, hi, mean)
		}
		if name != "length" && (lo < 0 || hi > 1) {
			t.Errorf("%s: interval [%v, %v] leaves [0, 1]", name, lo, hi)
		}
		if name == "length" {
			plo, phi := r["pass_rate_ci_low"].(float64), r["pass_rate_ci_high"].(float64)
			if pr := r["pass_rate"].(float64); !(0 <= plo && plo <= pr && pr <= phi && phi <= 1) || r["pass_rate_ci_method"] != "wilson" {
				t.Errorf("pass rate %v with interval [%v, %v] (%v)", pr, plo, phi, r["pass_rate_ci_method"])
			}
		}
	}
	if want := map[string]string{"refusal": "wilson", "bleu": "logit", "length": "student_t"}; fmt.Sprint(methods) != fmt.Sprint(want) {
		t.Errorf("interval methods = %v, want %v", methods, want)
	}

	// Preferences: m1 beats m2 on every prompt but one tie; m3 loses everything.
	var cs []string
	for i := 0; i < 3; i++ {
		w := "a"
		if i == 0 {
			w = "tie"
		}
		cs = append(cs, fmt.Sprintf(`{"response_a":"m1-%d","response_b":"m2-%d","winner":"%s"}`, i, i, w),
			fmt.Sprintf(`{"response_a":"m1-%d","response_b":"m3-%d","winner":"a"}`, i, i),
			fmt.Sprintf(`{"response_a":"m2-%d","response_b":"m3-%d","winner":"a"}`, i, i))
	}
	wantStatus(t, a.post("/v1/evaluations/ranges/comparisons", "["+strings.Join(cs, ",")+"]"), 201)
	type rating struct {
		Model    string   `json:"model"`
		Rating   float64  `json:"rating"`
		CILow    float64  `json:"ci_low"`
		CIHigh   float64  `json:"ci_high"`
		CIMethod string   `json:"ci_method"`
		WinRate  *float64 `json:"win_rate"`
	}
	type board struct {
		Evaluation json.RawMessage `json:"evaluation"`
		Ratings    []rating        `json:"ratings"`
	}
	wr := decodeJSON[board](t, a.get("/v1/evaluations/ranges/leaderboard?method=winrate&baseline=m2"))
	for _, r := range wr.Ratings {
		if r.WinRate == nil || *r.WinRate < 0 || *r.WinRate > 1 || r.Rating != *r.WinRate {
			t.Errorf("winrate %s: rating %v, win_rate %v; want one share from 0 to 1", r.Model, r.Rating, r.WinRate)
		}
		if r.CILow < 0 || r.CIHigh > 1 || !(r.CILow <= r.Rating && r.Rating <= r.CIHigh) || (r.CIMethod != "logit" && r.CIMethod != "wilson") {
			t.Errorf("winrate %s: %v in [%v, %v] by %q; want an interval within [0, 1] around it", r.Model, r.Rating, r.CILow, r.CIHigh, r.CIMethod)
		}
	}
	for _, method := range []string{"bt", "elo"} {
		lb := decodeJSON[board](t, a.get("/v1/evaluations/ranges/leaderboard?method="+method+"&bootstrap=200&seed=1"))
		if string(lb.Evaluation) != string(decodeJSON[board](t, a.get("/v1/evaluations/ranges/leaderboard?method=winrate&baseline=m2")).Evaluation) {
			t.Errorf("%s: evaluation %s differs in shape", method, lb.Evaluation)
		}
		for _, r := range lb.Ratings {
			if !(r.CILow < r.CIHigh) || r.CIMethod != "bootstrap_percentile" {
				t.Errorf("%s %s: interval [%v, %v] by %q; want a bootstrap interval with width", method, r.Model, r.CILow, r.CIHigh, r.CIMethod)
			}
			if r.WinRate == nil || *r.WinRate < 0 || *r.WinRate > 1 {
				t.Errorf("%s %s: win_rate %v, want a share from 0 to 1", method, r.Model, r.WinRate)
			}
		}
	}
	var sumEval json.RawMessage
	sumEval, _ = json.Marshal(sum["evaluation"])
	var a1, a2 map[string]any
	json.Unmarshal(sumEval, &a1)
	json.Unmarshal(wr.Evaluation, &a2)
	if fmt.Sprint(a1) != fmt.Sprint(a2) {
		t.Errorf("summary evaluation %v, leaderboard evaluation %v: want one shape", a1, a2)
	}
}
