package app_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// movableClock is a clock the test sets.
type movableClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *movableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *movableClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newDashboard(t *testing.T) (app.Services, *app.Dashboard, *app.Sessions, *movableClock) {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	d := appDepsWith(t, reg)
	clock := &movableClock{now: time.Now()}
	d.Clock = clock
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	store := postgres.NewWebStore(testdb.Pool(t))
	dash, err := app.NewDashboard(d, store)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := app.NewSessions(d, store, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return svc, dash, sessions, clock
}

// TestSearchResponsesReadsBoundedWindows walks a text search for a rare word over
// more responses than one page reads, and checks that it finds every match once,
// says where it stopped, and pages back to where it started.
func TestSearchResponsesReadsBoundedWindows(t *testing.T) {
	t.Parallel()
	svc, dash, _, _ := newDashboard(t)
	ctx := context.Background()
	if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "web-search", Scorers: []domain.ScorerConfig{{Type: "length"}}}); err != nil {
		t.Fatal(err)
	}
	n := 2*app.SearchScan + 500
	needles := map[int]bool{5: true, app.SearchScan + 100: true, 2*app.SearchScan + 400: true}
	for start := 0; start < n; start += 100 {
		var batch []app.ResponseInput
		for i := start; i < min(n, start+100); i++ {
			text := fmt.Sprintf("answer %d", i)
			if needles[i] {
				text = fmt.Sprintf("a NeedLe_%% answer %d", i)
			}
			batch = append(batch, app.ResponseInput{ExternalID: fmt.Sprint(i), Model: "m", Prompt: fmt.Sprintf("q%d", i), Response: &text})
		}
		if _, err := svc.Responses.Ingest(ctx, "web-search", app.Items(batch), app.IngestOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The search is literal: "_%" are not wildcards, and case does not matter.
	text := "needle_%"
	var found []string
	var pages []app.ResponsePage
	after := ""
	for range 10 {
		p, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Text: &text, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, p)
		for _, r := range p.Items {
			found = append(found, r.ExternalID)
		}
		if p.Next == "" {
			break
		}
		after = p.Next
	}
	want := []string{"5", fmt.Sprint(app.SearchScan + 100), fmt.Sprint(2*app.SearchScan + 400)}
	if strings.Join(found, ",") != strings.Join(want, ",") {
		t.Errorf("search found %v, want %v", found, want)
	}
	if len(pages) != 3 || !pages[0].Partial || !pages[1].Partial || pages[2].Partial {
		t.Errorf("got %d pages, partial %v %v %v; want 3, the first two stopped at the scan bound", len(pages), pages[0].Partial, pages[1].Partial, pages[len(pages)-1].Partial)
	}
	// Without text, pages are full and paging back returns the same page.
	p1, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{After: p1.Next, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	back, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Before: p2.Prev, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	ids := func(p app.ResponsePage) string {
		var s []string
		for _, r := range p.Items {
			s = append(s, r.ExternalID)
		}
		return strings.Join(s, ",")
	}
	if ids(p1) != "0,1,2" || ids(p2) != "3,4,5" || ids(back) != ids(p1) || back.Prev != "" || p1.Prev != "" {
		t.Errorf("pages %q, %q, back %q (prev %q); want 0,1,2 then 3,4,5 then 0,1,2 with no previous", ids(p1), ids(p2), ids(back), back.Prev)
	}
	// Score filters walk the scorer's scores: the needles have 4 words, the rest 2.
	lo, hi := 3.0, 4.0
	scorer := "length"
	p, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Scorer: &scorer, Min: &lo, Max: &hi, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(want, ","); ids(p) != want {
		t.Errorf("length 3 to 4 words gave %q, want the needle responses %s", ids(p), want)
	}
	// One bound alone, a page at a time forward and back again.
	var fwd, fwdIDs []string
	in := app.ResponseSearchInput{Scorer: &scorer, Min: &lo, Limit: 1}
	for range 10 {
		p, err := dash.SearchResponses(ctx, "web-search", in)
		if err != nil {
			t.Fatal(err)
		}
		fwd = append(fwd, ids(p))
		for _, r := range p.Items {
			fwdIDs = append(fwdIDs, r.ID.String())
		}
		if p.Next == "" {
			break
		}
		in.After = p.Next
	}
	if got := strings.Join(fwd, ","); got != strings.Join(want, ",") {
		t.Errorf("at least 3 words, a page at a time: %q, want %s", got, strings.Join(want, ","))
	}
	two := 2.0
	if len(fwdIDs) != 3 {
		t.Fatalf("at least 3 words found %d responses, want 3", len(fwdIDs))
	}
	back2, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Scorer: &scorer, Min: &lo, Max: &hi, Before: fwdIDs[2], Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(back2); got != fwd[0]+","+fwd[1] || back2.Prev != "" {
		t.Errorf("the two before the third needle: %q (prev %q), want %s,%s and no previous", got, back2.Prev, fwd[0], fwd[1])
	}
	short, err := dash.SearchResponses(ctx, "web-search", app.ResponseSearchInput{Scorer: &scorer, Max: &two, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(short); got != "0,1" {
		t.Errorf("at most 2 words: %q, want the first two responses 0,1", got)
	}
	for name, in := range map[string]app.ResponseSearchInput{
		"max":    {Scorer: &scorer, Min: &hi, Max: func() *float64 { v := 1.0; return &v }()},
		"min":    {Min: &lo},
		"passed": {Passed: func() *bool { b := true; return &b }()},
		"after":  {After: "nope"},
		"before": {After: p1.Next, Before: p1.Next},
	} {
		_, err := dash.SearchResponses(ctx, "web-search", in)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Field != name {
			t.Errorf("%s: error %v, want a validation error naming %s", name, err, name)
		}
	}
}

// TestSessions signs in, resumes, and checks that expiry, revoking the key and
// signing out each end the session.
func TestSessions(t *testing.T) {
	t.Parallel()
	svc, _, sessions, clock := newDashboard(t)
	ctx := context.Background()
	token, key, err := svc.Keys.Create(ctx, app.KeyInput{Name: "web", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := sessions.SignIn(ctx, "rlhf_wrong"); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("sign in with a bad key: %v, want ErrUnauthenticated", err)
	}
	st, s, err := sessions.SignIn(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if st == token || len(st) < 40 || s.CSRF == "" || s.CSRF == st {
		t.Errorf("session token %q, CSRF %q: want fresh random tokens unlike the key", st, s.CSRF)
	}
	got, err := sessions.Resume(ctx, st)
	if err != nil || got.Key.ID != key.ID || !got.CheckCSRF(s.CSRF) || got.CheckCSRF("") || got.CheckCSRF(s.CSRF+"x") {
		t.Fatalf("resume = %+v, %v", got, err)
	}
	clock.add(time.Hour + time.Second)
	if _, err := sessions.Resume(ctx, st); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("resume after expiry: %v, want ErrUnauthenticated", err)
	}
	st, _, err = sessions.SignIn(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Keys.Revoke(ctx, key.ID.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Resume(ctx, st); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("resume after revoking the key: %v, want ErrUnauthenticated", err)
	}
	token2, _, err := svc.Keys.Create(ctx, app.KeyInput{Name: "web2", Scopes: []string{"admin"}})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err = sessions.SignIn(ctx, token2)
	if err != nil {
		t.Fatal(err)
	}
	if err := sessions.SignOut(ctx, st); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Resume(ctx, st); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("resume after sign-out: %v, want ErrUnauthenticated", err)
	}
}

// TestOverviewCounts checks an evaluation's counts of responses and comparisons
// as comparisons come and go, one of them with its response.
func TestOverviewCounts(t *testing.T) {
	svc, dash, _, _ := newDashboard(t)
	ctx := context.Background()
	if _, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "web-counts"}); err != nil {
		t.Fatal(err)
	}
	var rs []app.ResponseInput
	for i := range 4 {
		text := fmt.Sprintf("answer %d", i)
		rs = append(rs, app.ResponseInput{ExternalID: fmt.Sprint("r", i), Model: fmt.Sprint("m", i%2), Prompt: "q", Response: &text})
	}
	if _, err := svc.Responses.Ingest(ctx, "web-counts", app.Items(rs), app.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	half := 0.5
	cs := []app.ComparisonInput{
		{ExternalID: "c1", ResponseA: "r0", ResponseB: "r1", Preference: &half, AnnotatorKind: "human"},
		{ExternalID: "c2", ResponseA: "r2", ResponseB: "r3", Preference: &half, AnnotatorKind: "human"},
		{ExternalID: "c3", ResponseA: "r0", ResponseB: "r3", Preference: &half, AnnotatorKind: "model"},
	}
	if _, err := svc.Comparisons.Ingest(ctx, "web-counts", app.Items(cs), app.IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	check := func(when string, responses, comparisons int64) {
		t.Helper()
		o, err := dash.Overview(ctx, "web-counts")
		if err != nil {
			t.Fatal(err)
		}
		if o.Responses != responses || o.Comparisons != comparisons {
			t.Errorf("%s: %d responses, %d comparisons; want %d and %d", when, o.Responses, o.Comparisons, responses, comparisons)
		}
	}
	check("stored", 4, 3)
	if err := svc.Comparisons.Delete(ctx, "web-counts", "c2"); err != nil {
		t.Fatal(err)
	}
	check("a comparison deleted", 4, 2)
	if err := svc.Responses.Delete(ctx, "web-counts", "r0"); err != nil {
		t.Fatal(err)
	}
	check("a response deleted with its two comparisons", 3, 0)
}
