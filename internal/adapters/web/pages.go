package web

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/view"
)

func (s *Server) routes() {
	m := s.mux
	static, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree always has it
	}
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	m.Handle("GET /static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	}))
	read, admin := domain.ScopeRead, domain.ScopeAdmin
	m.HandleFunc("GET /signin", s.signInPage)
	m.HandleFunc("POST /signin", s.signIn)
	m.HandleFunc("POST /signout", s.page(read, s.signOut))
	m.HandleFunc("GET /{$}", s.page(read, s.evaluations))
	m.HandleFunc("GET /evaluations", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/"+query("q", r.URL.Query().Get("q")), http.StatusMovedPermanently)
	})
	m.HandleFunc("GET /evaluations/{eval}", s.page(read, s.evaluation))
	m.HandleFunc("GET /evaluations/{eval}/activity", s.page(read, s.activity))
	m.HandleFunc("POST /evaluations/{eval}/delete", s.page(admin, s.deleteEvaluation))
	m.HandleFunc("GET /evaluations/{eval}/responses", s.page(read, s.responses))
	m.HandleFunc("GET /evaluations/{eval}/responses/{id}", s.page(read, s.response))
	m.HandleFunc("GET /evaluations/{eval}/diff", s.page(read, s.diff))
	m.HandleFunc("GET /evaluations/{eval}/preferences", s.page(read, s.preferences))
	m.HandleFunc("GET /evaluations/{eval}/preferences/heatmaps", s.page(read, s.heatmaps))
	m.HandleFunc("GET /evaluations/{eval}/preferences/agreement", s.page(read, s.agreement))
	m.HandleFunc("GET /evaluations/{eval}/comparisons", s.page(read, s.comparisons))
	m.HandleFunc("GET /jobs", s.page(read, s.jobs))
	m.HandleFunc("POST /jobs/{id}/cancel", s.page(domain.ScopeWrite, s.cancelJob))
	m.HandleFunc("GET /keys", s.page(admin, s.keys))
	m.HandleFunc("POST /keys", s.page(admin, s.createKey))
	m.HandleFunc("POST /keys/{id}/revoke", s.page(admin, s.revokeKey))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, fmt.Errorf("%w: no page at %s", domain.ErrNotFound, r.URL.Path))
	})
}

// form reads query or form values, collecting one error per bad field.
type form struct {
	v    url.Values
	errs []error
}

func newForm(r *http.Request) *form {
	if r.Method == http.MethodPost {
		_ = r.ParseForm()
		return &form{v: r.PostForm}
	}
	return &form{v: r.URL.Query()}
}

func (f *form) str(name string) string { return strings.TrimSpace(f.v.Get(name)) }

func (f *form) optStr(name string) *string {
	if s := f.str(name); s != "" {
		return &s
	}
	return nil
}

func (f *form) optFloat(name string) *float64 {
	s := f.str(name)
	if s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		f.errs = append(f.errs, domain.Invalid(name, "must be a number; got %q", s))
		return nil
	}
	return &v
}

func (f *form) optBool(name string) *bool {
	switch s := f.str(name); s {
	case "":
		return nil
	case "true", "false":
		b := s == "true"
		return &b
	default:
		f.errs = append(f.errs, domain.Invalid(name, "must be true or false; got %q", s))
		return nil
	}
}

func (f *form) intIn(name string, def, lo, hi int) int {
	s := f.str(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		f.errs = append(f.errs, domain.Invalid(name, "must be a whole number from %d to %d; got %q", lo, hi, s))
		return def
	}
	return n
}

func (f *form) done() error { return errors.Join(f.errs...) }

// checked fails on the form's errors, else finds the evaluation the page is about.
func (s *Server) checked(ctx context.Context, f *form, ref string) (domain.Evaluation, error) {
	if err := f.done(); err != nil {
		return domain.Evaluation{}, err
	}
	return s.svc.Evaluations.Get(ctx, ref)
}

// --- sign-in ---

type signInData struct {
	Next  string
	Error string
}

// safeNext keeps a post-sign-in target only when it is a path on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") || !Owns(strings.SplitN(next, "?", 2)[0]) {
		return "/"
	}
	return next
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signin", nil, "Sign in", signInData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	if err := checkOrigin(r); err != nil {
		s.fail(w, r, nil, err)
		return
	}
	f := newForm(r)
	next := safeNext(f.str("next"))
	token, sess, err := s.svc.Sessions.SignIn(r.Context(), f.str("key"))
	if err != nil {
		if errors.Is(err, domain.ErrUnauthenticated) {
			s.render(w, r, http.StatusUnauthorized, "signin", nil, "Sign in",
				signInData{Next: next, Error: "That API key was not accepted: " + strings.TrimPrefix(err.Error(), domain.ErrUnauthenticated.Error()+": ")})
			return
		}
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: token, Path: "/", Expires: sess.ExpiresAt, MaxAge: int(time.Until(sess.ExpiresAt).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secure(r),
	})
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	if c, err := r.Cookie(cookieName); err == nil {
		if err := s.svc.Sessions.SignOut(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: secure(r)})
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
	return nil
}

// --- evaluations ---

type evaluationsData struct {
	Q, After string
	Page     domain.Page[domain.Evaluation]
}

func (s *Server) evaluations(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	f := newForm(r)
	d := evaluationsData{Q: f.str("q"), After: f.str("after")}
	page, err := s.svc.Dashboard.Evaluations(r.Context(), d.Q, d.After, app.DashboardPageSize)
	if err != nil {
		return err
	}
	d.Page = page
	s.render(w, r, http.StatusOK, "evaluations", sess, "Evaluations", d)
	return nil
}

type scorerPanel struct {
	Summary view.ScorerSummary
	Chart   *HistogramChart
}

type evaluationData struct {
	Evaluation domain.Evaluation
	Scorers    []scorerPanel
	ByModel    []view.ScorerSummary
	Sort, Dir  string
	Candidates []string
}

// modelSorts are the per-model table's sortable columns.
var modelSorts = map[string]func(a, b view.ScorerSummary) int{
	"scorer": func(a, b view.ScorerSummary) int { return cmp.Compare(a.Scorer, b.Scorer) },
	"model":  func(a, b view.ScorerSummary) int { return cmp.Compare(deref(a.Model), deref(b.Model)) },
	"n":      func(a, b view.ScorerSummary) int { return cmp.Compare(a.N, b.N) },
	"mean":   func(a, b view.ScorerSummary) int { return cmpOpt(a.Mean, b.Mean) },
	"pass":   func(a, b view.ScorerSummary) int { return cmpOpt(a.PassRate, b.PassRate) },
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// cmpOpt orders missing values first.
func cmpOpt(a, b *float64) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Compare(*a, *b)
}

func (s *Server) evaluation(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	f := newForm(r)
	d := evaluationData{Sort: f.str("sort"), Dir: f.str("dir")}
	if d.Sort == "" {
		d.Sort = "scorer"
	}
	by, ok := modelSorts[d.Sort]
	if !ok {
		f.errs = append(f.errs, domain.Invalid("sort", "must be scorer, model, n, mean or pass; got %q", d.Sort))
	}
	if d.Dir != "" && d.Dir != "desc" && d.Dir != "asc" {
		f.errs = append(f.errs, domain.Invalid("dir", "must be asc or desc; got %q", d.Dir))
	}
	mode := f.str("view")
	if mode != "" && mode != "by-model" {
		f.errs = append(f.errs, domain.Invalid("view", "must be by-model or nothing; got %q", mode))
	}
	e, err := s.checked(ctx, f, ref)
	if err != nil {
		return err
	}
	d.Evaluation = e
	// The per-model table is a second summary; the page fetches it after it shows.
	if mode == "by-model" {
		grouped, err := s.svc.Summaries.Summary(ctx, ref, app.SummaryInput{GroupBy: "model"})
		if err != nil {
			return err
		}
		d.ByModel = grouped.View().Scorers
		slices.SortStableFunc(d.ByModel, func(a, b view.ScorerSummary) int {
			c := by(a, b)
			if d.Dir == "desc" {
				c = -c
			}
			return c
		})
		s.fragment(w, r, "evaluation", "by-model", d)
		return nil
	}
	sum, err := s.svc.Summaries.Summary(ctx, ref, app.SummaryInput{})
	if err != nil {
		return err
	}
	hs, err := sum.Histograms(24)
	if err != nil {
		return err
	}
	charts := map[string]*HistogramChart{}
	for _, h := range hs {
		c := histogramChart(h)
		charts[h.Scorer] = &c
	}
	for _, sc := range sum.View().Scorers {
		d.Scorers = append(d.Scorers, scorerPanel{Summary: sc, Chart: charts[sc.Scorer]})
	}
	if d.Candidates, err = s.candidates(ctx, e.ID); err != nil {
		return err
	}
	s.render(w, r, http.StatusOK, "evaluation", sess, e.Name, d)
	return nil
}

// activity is an evaluation's counts, models and last activity, as a row of the
// evaluation list (view=row) or the facts of the evaluation page (view=facts).
// Pages load it after they show, since counting a large evaluation takes time.
func (s *Server) activity(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	view := newForm(r).str("view")
	if view != "row" && view != "facts" {
		return domain.Invalid("view", "must be row or facts; got %q", view)
	}
	o, err := s.svc.Dashboard.Overview(r.Context(), r.PathValue("eval"))
	if err != nil {
		return err
	}
	if view == "row" {
		s.fragment(w, r, "evaluations", "row", o)
	} else {
		s.fragment(w, r, "evaluation", "facts", o)
	}
	return nil
}

// candidates names the evaluations a diff can compare with (the first 200 by
// name).
func (s *Server) candidates(ctx context.Context, except domain.ID) ([]string, error) {
	page, err := s.svc.Evaluations.List(ctx, app.ListEvaluationsInput{Sort: "name", Limit: 200})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range page.Items {
		if e.ID != except {
			out = append(out, e.Name)
		}
	}
	return out, nil
}

func (s *Server) deleteEvaluation(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	if err := s.svc.Evaluations.Delete(r.Context(), r.PathValue("eval")); err != nil {
		return err
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// --- responses ---

type responseRow struct {
	R              domain.Response
	Prompt, Output string
}

type responsesData struct {
	Evaluation                         domain.Evaluation
	Models                             []string
	Model, Scorer, Passed, Min, Max, Q string
	Rows                               []responseRow
	PrevQuery, NextQuery, FirstQuery   string
	Filtered, Partial                  bool
	Scanned                            int
}

func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	rs := []rune(s)
	return string(rs[:n]) + "…"
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	f := newForm(r)
	in := app.ResponseSearchInput{Model: f.optStr("model"), Scorer: f.optStr("scorer"), Text: f.optStr("q"),
		Passed: f.optBool("passed"), Min: f.optFloat("min"), Max: f.optFloat("max"),
		After: f.str("after"), Before: f.str("before"), Limit: f.intIn("limit", app.DashboardPageSize, 1, 200)}
	if err := f.done(); err != nil {
		return err
	}
	page, err := s.svc.Dashboard.SearchResponses(ctx, ref, in)
	if err != nil {
		return err
	}
	models, err := s.svc.Dashboard.Models(ctx, ref, 200)
	if err != nil {
		return err
	}
	d := responsesData{Evaluation: page.Evaluation, Models: models, Model: f.str("model"), Scorer: f.str("scorer"),
		Passed: fmtBoolParam(in.Passed), Min: fmtFloatParam(in.Min), Max: fmtFloatParam(in.Max), Q: f.str("q")}
	d.Partial, d.Scanned = page.Partial, page.Scanned
	d.Filtered = d.Model != "" || d.Scorer != "" || d.Q != "" || d.Passed != "" || d.Min != "" || d.Max != ""
	filters := []string{"model", d.Model, "scorer", d.Scorer, "passed", d.Passed, "min", d.Min, "max", d.Max, "q", d.Q, "limit", f.str("limit")}
	if page.Prev != "" {
		d.PrevQuery = query(append(filters, "before", page.Prev)...)
	}
	if page.Next != "" {
		d.NextQuery = query(append(filters, "after", page.Next)...)
	}
	if in.After != "" || in.Before != "" {
		d.FirstQuery = query(filters...)
		if d.FirstQuery == "" {
			d.FirstQuery = "?"
		}
	}
	for _, x := range page.Items {
		d.Rows = append(d.Rows, responseRow{R: x, Prompt: excerpt(x.Prompt, 140), Output: excerpt(x.Text, 220)})
	}
	s.render(w, r, http.StatusOK, "responses", sess, "Responses · "+page.Evaluation.Name, d)
	return nil
}

type scoreRow struct {
	S       domain.Score
	Details string
}

type responseData struct {
	Evaluation domain.Evaluation
	R          domain.Response
	Output     []Segment
	Marked     bool
	Scores     []scoreRow
	Metadata   string
}

func (s *Server) response(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	e, err := s.svc.Evaluations.Get(ctx, ref)
	if err != nil {
		return err
	}
	x, err := s.svc.Responses.Get(ctx, ref, r.PathValue("id"))
	if err != nil {
		return err
	}
	spans := spansOf(x.Text, x.Scores)
	d := responseData{Evaluation: e, R: x, Output: segments(x.Text, spans), Marked: len(spans) > 0}
	for _, sc := range x.Scores {
		d.Scores = append(d.Scores, scoreRow{S: sc, Details: indentJSON(sc.Details)})
	}
	if len(x.Metadata) > 0 {
		d.Metadata = indentJSON(x.Metadata)
	}
	s.render(w, r, http.StatusOK, "response", sess, "Response · "+e.Name, d)
	return nil
}

func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// --- diff ---

type promptDiff struct {
	C           app.PromptChange
	Prompt      string
	BaseText    []Segment
	CandText    []Segment
	Diffed      bool
	BaseID      string
	CandidateID string
}

type diffData struct {
	Base       domain.Evaluation
	Candidate  string
	Candidates []string
	Report     *view.Diff
	Scorer     string
	Better     string
	Prompts    []promptDiff
	// Preparing holds the jobs refreshing the per-prompt means the diff waits
	// for; Poll is the address of the diff's body, which the waiting page asks for
	// again until it comes.
	Preparing []domain.Job
	// Failed holds those of them that failed for the scores as they stand: the
	// page shows their errors and stops asking.
	Failed []domain.Job
	Poll   string
}

// diff shows the per-scorer verdicts of a candidate against the base and the
// prompts that got worst. It only reads cached per-prompt means: when one side's
// are stale it shows at once that they are being prepared, and its body asks for
// itself again (view=body) every second until the job is done.
func (s *Server) diff(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	f := newForm(r)
	d := diffData{Candidate: f.str("candidate"), Scorer: f.str("scorer")}
	view := f.str("view")
	if view != "" && view != "body" {
		return domain.Invalid("view", "must be body or nothing; got %q", view)
	}
	var rounds *int // unset: the default, or as many as the pairs allow
	if f.str("bootstrap") != "" {
		n := f.intIn("bootstrap", app.DefaultBootstrapRounds, 0, app.MaxBootstrapRounds)
		rounds = &n
	}
	base, err := s.checked(ctx, f, ref)
	if err != nil {
		return err
	}
	d.Base = base
	if d.Candidates, err = s.candidates(ctx, base.ID); err != nil {
		return err
	}
	if d.Candidate == "" {
		s.render(w, r, http.StatusOK, "diff", sess, "Diff · "+base.Name, d)
		return nil
	}
	show := func() error {
		if view == "body" {
			s.fragment(w, r, "diff", "body", d)
			return nil
		}
		s.render(w, r, http.StatusOK, "diff", sess, "Diff · "+base.Name+" → "+d.Candidate, d)
		return nil
	}
	rep, err := s.svc.Diffs.Diff(ctx, ref, d.Candidate, app.DiffInput{Rounds: rounds, Seed: 1, CachedOnly: true})
	if err != nil {
		return err
	}
	if len(rep.Preparing) > 0 {
		d.Preparing = rep.Preparing
		for _, j := range rep.Preparing {
			if j.Status == domain.JobFailed {
				// Asked again, it would fail again: say why instead of waiting.
				d.Failed = append(d.Failed, j)
			}
		}
		if len(d.Failed) > 0 {
			return show()
		}
		d.Poll = "/evaluations/" + url.PathEscape(base.Name) + "/diff" +
			query("candidate", d.Candidate, "scorer", d.Scorer, "bootstrap", f.str("bootstrap"), "view", "body")
		return show()
	}
	v := rep.View()
	d.Report = &v
	// The prompts shown: the requested scorer's, else the first regression's, else
	// the first scorer with a direction.
	var pick *app.ScorerDiff
	for i := range rep.Scorers {
		sc := &rep.Scorers[i]
		switch {
		case d.Scorer != "" && sc.Scorer == d.Scorer:
			pick = sc
		case d.Scorer == "" && pick == nil && slices.Contains(rep.Regressions, sc.Scorer):
			pick = sc
		}
	}
	if d.Scorer != "" && pick == nil {
		return domain.Invalid("scorer", "%q is not a scorer of these evaluations", d.Scorer)
	}
	for i := range rep.Scorers {
		if pick == nil && rep.Scorers[i].Better != scoring.NoDirection {
			pick = &rep.Scorers[i]
		}
	}
	if pick != nil {
		d.Scorer, d.Better = pick.Scorer, string(pick.Better)
		changes, err := s.svc.Dashboard.RegressedPrompts(ctx, rep, pick.Scorer, pick.Better, 5)
		if err != nil {
			return err
		}
		for _, c := range changes {
			pd := promptDiff{C: c}
			var a, b string
			if c.BaseResponse != nil {
				a, pd.Prompt, pd.BaseID = c.BaseResponse.Text, c.BaseResponse.Prompt, c.BaseResponse.ID.String()
			}
			if c.CandidateResponse != nil {
				b, pd.CandidateID = c.CandidateResponse.Text, c.CandidateResponse.ID.String()
				if pd.Prompt == "" {
					pd.Prompt = c.CandidateResponse.Prompt
				}
			}
			pd.BaseText, pd.CandText, pd.Diffed = wordDiff(a, b)
			d.Prompts = append(d.Prompts, pd)
		}
	}
	return show()
}

// --- preferences ---

type preferencesData struct {
	Evaluation       domain.Evaluation
	Kind, Baseline   string
	Models           []string
	BT               view.Leaderboard
	WinRates         map[string]view.Rating
	BaselineBattles  int
	Plot             IntervalChart
	WinMap, CountMap Heatmap
	Agreement        view.Agreement
	Kappa            KappaMatrix
	Empty            bool
}

func (s *Server) preferences(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	f := newForm(r)
	d := preferencesData{Kind: f.str("kind"), Baseline: f.str("baseline")}
	rounds := f.intIn("bootstrap", app.DefaultLeaderboardRounds, 0, 1000)
	e, err := s.checked(ctx, f, ref)
	if err != nil {
		return err
	}
	d.Evaluation = e
	bt, err := s.svc.Preferences.Leaderboard(ctx, ref, app.LeaderboardInput{Method: app.MethodBT, Rounds: &rounds, Seed: 1, AnnotatorKind: d.Kind})
	if err != nil {
		return err
	}
	d.BT = bt
	if len(bt.Ratings) == 0 {
		d.Empty = true
		s.render(w, r, http.StatusOK, "preferences", sess, "Preferences · "+e.Name, d)
		return nil
	}
	for _, rt := range bt.Ratings {
		d.Models = append(d.Models, rt.Model)
	}
	slices.Sort(d.Models)
	if d.Baseline == "" {
		// The default baseline: the model with the most battles (in AlpacaEval's
		// files, the reference every other model was compared with).
		most := bt.Ratings[0]
		for _, rt := range bt.Ratings {
			if rt.Battles > most.Battles {
				most = rt
			}
		}
		d.Baseline = most.Model
	} else if !slices.Contains(d.Models, d.Baseline) {
		return domain.Invalid("baseline", "%q has no comparisons in this evaluation", d.Baseline)
	}
	wr, err := s.svc.Preferences.Leaderboard(ctx, ref, app.LeaderboardInput{Method: app.MethodWinRate, Baseline: d.Baseline, AnnotatorKind: d.Kind})
	if err != nil {
		return err
	}
	d.WinRates = map[string]view.Rating{}
	for _, rt := range wr.Ratings {
		d.WinRates[rt.Model] = rt
	}
	d.Plot = intervalChart(bt.Ratings)
	s.render(w, r, http.StatusOK, "preferences", sess, "Preferences · "+e.Name, d)
	return nil
}

type heatmapsData struct {
	WinMap, CountMap Heatmap
}

// heatmaps draws the head-to-head matrices, models ordered by their mean win
// rate against the others; the preferences page loads it after it shows.
func (s *Server) heatmaps(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	m, err := s.svc.Dashboard.PairMatrix(r.Context(), r.PathValue("eval"), newForm(r).str("kind"))
	if err != nil {
		return err
	}
	var d heatmapsData
	d.WinMap, d.CountMap = heatmaps(m, byMeanWinRate(m))
	s.fragment(w, r, "preferences", "heatmaps", d)
	return nil
}

type agreementData struct {
	Agreement view.Agreement
	Kappa     KappaMatrix
}

// agreement shows annotator agreement; the preferences page loads it after it
// shows, since it reads every judgement.
func (s *Server) agreement(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	ag, err := s.svc.Preferences.Agreement(r.Context(), r.PathValue("eval"), newForm(r).str("kind"))
	if err != nil {
		return err
	}
	s.fragment(w, r, "preferences", "agreement", agreementData{Agreement: ag, Kappa: kappaMatrix(ag.CohenKappa)})
	return nil
}

// --- comparisons ---

type comparisonRow struct {
	C        domain.Comparison
	Winner   string
	Prompt   string
	A, B     string
	AID, BID string
}

type comparisonsData struct {
	Evaluation             domain.Evaluation
	Annotator, Model, Kind string
	Rows                   []comparisonRow
	NextQuery, FirstQuery  string
}

func (s *Server) comparisons(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	ctx, ref := r.Context(), r.PathValue("eval")
	f := newForm(r)
	d := comparisonsData{Annotator: f.str("annotator"), Model: f.str("model"), Kind: f.str("kind")}
	cursor := f.str("cursor")
	e, err := s.checked(ctx, f, ref)
	if err != nil {
		return err
	}
	d.Evaluation = e
	page, err := s.svc.Comparisons.List(ctx, ref, app.ListComparisonsInput{Annotator: f.optStr("annotator"), Model: f.optStr("model"),
		AnnotatorKind: f.optStr("kind"), Cursor: cursor, Limit: 10})
	if err != nil {
		return err
	}
	filters := []string{"annotator", d.Annotator, "model", d.Model, "kind", d.Kind}
	if page.Next != "" {
		d.NextQuery = query(append(filters, "cursor", page.Next)...)
	}
	if cursor != "" {
		if d.FirstQuery = query(filters...); d.FirstQuery == "" {
			d.FirstQuery = "?"
		}
	}
	for _, c := range page.Items {
		row := comparisonRow{C: c, Winner: string(c.Winner()), AID: c.ResponseA.String(), BID: c.ResponseB.String()}
		a, err := s.svc.Responses.Get(ctx, ref, row.AID)
		if err != nil {
			return err
		}
		b, err := s.svc.Responses.Get(ctx, ref, row.BID)
		if err != nil {
			return err
		}
		row.Prompt, row.A, row.B = a.Prompt, a.Text, b.Text
		d.Rows = append(d.Rows, row)
	}
	s.render(w, r, http.StatusOK, "comparisons", sess, "Comparisons · "+e.Name, d)
	return nil
}

// --- API keys ---

type keysData struct {
	Keys    []domain.APIKey
	Next    string
	Created *createdKey
	Now     time.Time
}

type createdKey struct {
	Key    domain.APIKey
	Secret string
}

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, sess *app.Session, cursor string, created *createdKey) error {
	page, err := s.svc.Keys.List(r.Context(), cursor, 100)
	if err != nil {
		return err
	}
	d := keysData{Keys: page.Items, Next: page.Next, Created: created, Now: time.Now()}
	status := http.StatusOK
	if created != nil {
		status = http.StatusCreated
	}
	s.render(w, r, status, "keys", sess, "API keys", d)
	return nil
}

func (s *Server) keys(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	return s.keysPage(w, r, sess, newForm(r).str("cursor"), nil)
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	f := newForm(r)
	in := app.KeyInput{Name: f.str("name"), Scopes: f.v["scope"]}
	if days := f.intIn("expires_days", 0, 0, 3650); days > 0 {
		t := time.Now().Add(time.Duration(days) * 24 * time.Hour)
		in.ExpiresAt = &t
	}
	if err := f.done(); err != nil {
		return err
	}
	secret, key, err := s.svc.Keys.Create(r.Context(), in)
	if err != nil {
		return err
	}
	return s.keysPage(w, r, sess, "", &createdKey{Key: key, Secret: secret})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	if _, err := s.svc.Keys.Revoke(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/keys", http.StatusSeeOther)
	return nil
}

// --- jobs ---

type jobsData struct {
	Jobs   []domain.Job
	Live   bool
	Status string
	CSRF   string
	Write  bool
}

// jobs lists the newest jobs. While one is queued or running the table asks for
// itself again every two seconds (view=table), and stops once all are done.
func (s *Server) jobs(w http.ResponseWriter, r *http.Request, sess *app.Session) error {
	f := newForm(r)
	d := jobsData{Status: f.str("status"), CSRF: sess.CSRF, Write: sess.Key.Allows(domain.ScopeWrite)}
	view := f.str("view")
	if view != "" && view != "table" {
		return domain.Invalid("view", "must be table or nothing; got %q", view)
	}
	page, err := s.svc.Jobs.List(r.Context(), app.ListJobsInput{Status: d.Status, Limit: 50})
	if err != nil {
		return err
	}
	d.Jobs = page.Items
	for _, j := range d.Jobs {
		d.Live = d.Live || !j.Status.Final()
	}
	if view == "table" {
		s.fragment(w, r, "jobs", "table", d)
		return nil
	}
	s.render(w, r, http.StatusOK, "jobs", sess, "Jobs", d)
	return nil
}

func (s *Server) cancelJob(w http.ResponseWriter, r *http.Request, _ *app.Session) error {
	if _, err := s.svc.Jobs.Cancel(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/jobs", http.StatusSeeOther)
	return nil
}
