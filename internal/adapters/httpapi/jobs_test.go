package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestJobsAPI(t *testing.T) {
	a := newTestAPI(t, Config{})
	// Five rescore jobs in one evaluation and one in another; no worker runs here,
	// so they stay queued (but for the ones a later change cancelled).
	wantStatus(t, a.post("/v1/evaluations", `{"name":"jobs-one","scorers":[{"type":"length"}]}`), 201)
	wantStatus(t, a.post("/v1/evaluations", `{"name":"jobs-two","scorers":[{"type":"length"}]}`), 201)
	var made []string
	for i := range 5 {
		r := a.do("PATCH", "/v1/evaluations/jobs-one", a.write, "application/json",
			fmt.Sprintf(`{"scorers":[{"type":"length","pass":{"max":%d}}]}`, i+1))
		wantStatus(t, r, 200)
		made = append(made, r.header.Get("Location")[len("/v1/jobs/"):])
	}
	wantStatus(t, a.do("PATCH", "/v1/evaluations/jobs-two", a.write, "application/json", `{"scorers":[]}`), 200)

	type page struct {
		Items []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"items"`
		NextCursor *string `json:"next_cursor"`
	}
	list := func(query string) page {
		t.Helper()
		r := a.get("/v1/jobs?" + query)
		wantStatus(t, r, 200)
		var p page
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// Pages of two, newest first, each job once.
	var seen []string
	cursor := ""
	for range 10 {
		p := list("evaluation=jobs-one&limit=2&cursor=" + url.QueryEscape(cursor))
		for _, j := range p.Items {
			seen = append(seen, j.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if len(seen) != 5 {
		t.Fatalf("paged through %d jobs, want 5: %v", len(seen), seen)
	}
	for i, id := range seen {
		if id != made[4-i] {
			t.Errorf("job %d of the pages = %s, want %s (newest first)", i, id, made[4-i])
		}
	}
	// Each change cancelled the rescore it replaced.
	if p := list("evaluation=jobs-one&status=queued"); len(p.Items) != 1 || p.Items[0].ID != made[4] {
		t.Errorf("queued jobs of jobs-one = %+v, want only the newest", p.Items)
	}
	if p := list("evaluation=jobs-one&status=cancelled"); len(p.Items) != 4 {
		t.Errorf("cancelled jobs of jobs-one = %d, want 4", len(p.Items))
	}
	// A cursor belongs to its filters.
	first := list("evaluation=jobs-one&limit=2")
	wantStatus(t, a.get("/v1/jobs?evaluation=jobs-two&limit=2&cursor="+url.QueryEscape(*first.NextCursor)), 400)
	wantStatus(t, a.get("/v1/jobs?kind="+strings.Repeat("k", 65)), 400)
	wantStatus(t, a.get("/v1/jobs?limit=0&limit=1"), 400)

	// Cancelling needs the write scope; a finished job stays as it is.
	wantStatus(t, a.do("POST", "/v1/jobs/"+made[4]+"/cancel", a.read, "", ""), 403)
	wantStatus(t, a.do("POST", "/v1/jobs/"+made[4]+"/cancel", a.write, "", ""), 200)
	r := a.do("POST", "/v1/jobs/"+made[0]+"/cancel", a.write, "", "")
	wantStatus(t, r, 200)
	var j struct {
		Status     string  `json:"status"`
		FinishedAt *string `json:"finished_at"`
	}
	if err := json.Unmarshal(r.body, &j); err != nil || j.Status != "cancelled" || j.FinishedAt == nil {
		t.Errorf("cancel of a cancelled job = %s, want it cancelled with its finish time", r.body)
	}
}
