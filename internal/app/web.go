package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/domain/ranking"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// Sessions signs people in to the dashboard with an API key and keeps their
// sessions. A session acts with its key's scopes and ends when it expires, when
// its key is revoked or expires, or at sign-out.
type Sessions struct {
	d     Deps
	store ports.SessionStore
	keys  *Keys
	ttl   time.Duration
	rand  io.Reader
}

// DefaultSessionTTL is how long a dashboard session lasts.
const DefaultSessionTTL = 12 * time.Hour

// NewSessions returns the session use case; ttl 0 means DefaultSessionTTL.
func NewSessions(d Deps, store ports.SessionStore, ttl time.Duration) (*Sessions, error) {
	keys, err := NewKeys(d)
	if err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("app: no session store")
	}
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &Sessions{d: d, store: store, keys: keys, ttl: ttl, rand: rand.Reader}, nil
}

// Session is a live session with its key.
type Session struct {
	Key       domain.APIKey
	CSRF      string
	ExpiresAt time.Time
}

// CheckCSRF reports whether token is the session's CSRF token.
func (s Session) CheckCSRF(token string) bool {
	return token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.CSRF)) == 1
}

func (u *Sessions) randomToken() (string, error) {
	var b [32]byte
	if _, err := io.ReadFull(u.rand, b[:]); err != nil {
		return "", fmt.Errorf("draw a session token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// SignIn checks an API key and opens a session for it, returning the session's
// token (given to the browser once, stored only as its hash). The session ends no
// later than the key expires.
func (u *Sessions) SignIn(ctx context.Context, apiKey string) (string, Session, error) {
	key, err := u.keys.Authenticate(ctx, strings.TrimSpace(apiKey))
	if err != nil {
		return "", Session{}, err
	}
	token, err := u.randomToken()
	if err != nil {
		return "", Session{}, err
	}
	csrf, err := u.randomToken()
	if err != nil {
		return "", Session{}, err
	}
	now := u.d.now()
	exp := now.Add(u.ttl)
	if key.ExpiresAt != nil && key.ExpiresAt.Before(exp) {
		exp = *key.ExpiresAt
	}
	s := domain.Session{TokenHash: sha256.Sum256([]byte(token)), APIKeyID: key.ID, CSRF: csrf, CreatedAt: now, ExpiresAt: exp}
	if err := u.store.CreateSession(ctx, s); err != nil {
		return "", Session{}, err
	}
	return token, Session{Key: key, CSRF: csrf, ExpiresAt: exp}, nil
}

// Resume returns the session a token belongs to. An unknown or expired session,
// or one whose key was revoked or has expired, is domain.ErrUnauthenticated (and
// the stale sessions are deleted).
func (u *Sessions) Resume(ctx context.Context, token string) (Session, error) {
	if token == "" || len(token) > 100 {
		return Session{}, fmt.Errorf("%w: not signed in", domain.ErrUnauthenticated)
	}
	hash := sha256.Sum256([]byte(token))
	s, err := u.store.GetSession(ctx, hash)
	if errors.Is(err, domain.ErrNotFound) {
		return Session{}, fmt.Errorf("%w: the session has ended; sign in again", domain.ErrUnauthenticated)
	}
	if err != nil {
		return Session{}, err
	}
	now := u.d.Clock.Now()
	if !now.Before(s.ExpiresAt) {
		if err := u.store.DeleteSession(ctx, hash); err != nil {
			return Session{}, err
		}
		return Session{}, fmt.Errorf("%w: the session has expired; sign in again", domain.ErrUnauthenticated)
	}
	key, err := u.d.Stores.APIKeys.GetAPIKey(ctx, s.APIKeyID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return Session{}, err
	}
	if err != nil || key.RevokedAt != nil || !key.Usable(now) {
		if _, err := u.store.DeleteSessionsOfKey(ctx, s.APIKeyID); err != nil {
			return Session{}, err
		}
		return Session{}, fmt.Errorf("%w: the session's API key was revoked or has expired; sign in again", domain.ErrUnauthenticated)
	}
	return Session{Key: key, CSRF: s.CSRF, ExpiresAt: s.ExpiresAt}, nil
}

// SignOut ends the session of token.
func (u *Sessions) SignOut(ctx context.Context, token string) error {
	return u.store.DeleteSession(ctx, sha256.Sum256([]byte(token)))
}

// Sweep deletes expired sessions.
func (u *Sessions) Sweep(ctx context.Context) (int64, error) {
	return u.store.DeleteExpiredSessions(ctx, u.d.Clock.Now())
}

// Dashboard answers the queries of the web dashboard that the API does not have:
// evaluation lists with activity, response search, pairwise matrices, histograms
// and the prompts that regressed most.
type Dashboard struct {
	d     Deps
	store ports.DashboardStore
}

// NewDashboard returns the dashboard use case.
func NewDashboard(d Deps, store ports.DashboardStore) (*Dashboard, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("app: no dashboard store")
	}
	return &Dashboard{d: d, store: store}, nil
}

// Bounds of dashboard queries.
const (
	MaxSearchLen      = 200
	maxListedModels   = 12
	DashboardPageSize = 25
)

// EvaluationOverview is one evaluation with its counts, models and last activity
// (the creation time of its newest response or comparison, else its own update).
type EvaluationOverview struct {
	Evaluation   domain.Evaluation
	Responses    int64
	Comparisons  int64
	Models       []string
	MoreModels   bool
	LastActivity time.Time
}

// likePattern turns search text into a case-insensitive LIKE pattern matching it
// anywhere, with LIKE's own wildcards escaped.
func likePattern(text string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(text) + "%"
}

func checkSearch(field, s string) error {
	switch {
	case utf8.RuneCountInString(s) > MaxSearchLen:
		return domain.Invalid(field, "must be at most %d characters", MaxSearchLen)
	case !utf8.ValidString(s) || strings.ContainsRune(s, 0):
		return domain.Invalid(field, "is not valid text")
	}
	return nil
}

// Evaluations lists evaluations whose name or description contains search, a page
// at a time in name order; Next is the name to continue after. Their activity
// comes from Overview, one evaluation at a time: counting a large evaluation's
// rows takes a while, and a list should not wait for all of them.
func (u *Dashboard) Evaluations(ctx context.Context, search, after string, limit int) (domain.Page[domain.Evaluation], error) {
	var page domain.Page[domain.Evaluation]
	if err := errors.Join(checkSearch("q", search), checkSearch("after", after)); err != nil {
		return page, err
	}
	limit, err := pageLimit(limit)
	if err != nil {
		return page, err
	}
	var afterp *string
	if after != "" {
		afterp = &after
	}
	es, err := u.store.SearchEvaluations(ctx, likePattern(search), afterp, limit+1)
	if err != nil {
		return page, err
	}
	if len(es) > limit {
		es = es[:limit]
		page.Next = es[limit-1].Name
	}
	page.Items = es
	return page, nil
}

// Overview returns one evaluation with its activity.
func (u *Dashboard) Overview(ctx context.Context, evalRef string) (EvaluationOverview, error) {
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return EvaluationOverview{}, err
	}
	return u.overview(ctx, e)
}

func (u *Dashboard) overview(ctx context.Context, e domain.Evaluation) (EvaluationOverview, error) {
	a, err := u.store.EvaluationActivity(ctx, e.ID)
	if err != nil {
		return EvaluationOverview{}, err
	}
	models, err := u.store.EvaluationModels(ctx, e.ID, maxListedModels+1)
	if err != nil {
		return EvaluationOverview{}, err
	}
	o := EvaluationOverview{Evaluation: e, Responses: a.Responses, Comparisons: a.Comparisons, Models: models, LastActivity: e.UpdatedAt}
	if len(models) > maxListedModels {
		o.Models, o.MoreModels = models[:maxListedModels], true
	}
	for _, id := range []*domain.ID{a.LastResponse, a.LastComparison} {
		if id != nil {
			if t, ok := idTime(*id); ok && t.After(o.LastActivity) {
				o.LastActivity = t
			}
		}
	}
	return o, nil
}

// idTime reads the millisecond timestamp of a UUIDv7.
func idTime(id domain.ID) (time.Time, bool) {
	if id[6]>>4 != 7 {
		return time.Time{}, false
	}
	ms := int64(id[0])<<40 | int64(id[1])<<32 | int64(id[2])<<24 | int64(id[3])<<16 | int64(id[4])<<8 | int64(id[5])
	return time.UnixMilli(ms).UTC(), true
}

// ResponseSearchInput filters an evaluation's responses. Scorer with Passed, Min
// or Max keeps the responses whose score from Scorer matches; Text matches the
// prompt or the response, case-insensitively. After and Before are response ids
// (at most one of them): the page starts after After, or ends before Before.
type ResponseSearchInput struct {
	Model, Scorer, Text *string
	Passed              *bool
	Min, Max            *float64
	After, Before       string
	Limit               int
}

// ResponsePage is a page of responses in id (creation) order; Prev and Next are
// the ids to pass as Before and After for the neighbouring pages, empty at either
// end. A text search reads at most SearchScan candidates per page: Partial says
// it stopped there before filling the page, and Next (or Prev, walking back)
// continues from where it stopped.
type ResponsePage struct {
	Evaluation domain.Evaluation
	Items      []domain.Response
	Prev, Next string
	Partial    bool
	Scanned    int
}

// SearchScan bounds how many candidates one page of a text search reads, so a
// page answers in bounded time however rare the text is.
const SearchScan = 1000

// SearchResponses returns a keyset page of an evaluation's responses matching in.
func (u *Dashboard) SearchResponses(ctx context.Context, evalRef string, in ResponseSearchInput) (ResponsePage, error) {
	var page ResponsePage
	var errs []error
	q := ports.ResponseSearch{Model: in.Model, Scorer: in.Scorer, Passed: in.Passed, Min: in.Min, Max: in.Max}
	if in.Text != nil {
		errs = append(errs, checkSearch("q", *in.Text))
		p := likePattern(*in.Text)
		q.Pattern, q.Scan = &p, SearchScan
	}
	if in.Scorer == nil {
		for _, f := range []struct {
			name string
			on   bool
		}{{"passed", in.Passed != nil}, {"min", in.Min != nil}, {"max", in.Max != nil}} {
			if f.on {
				errs = append(errs, domain.Invalid(f.name, "filters on a scorer's scores; choose a scorer too"))
			}
		}
	}
	for _, v := range []struct {
		name string
		v    *float64
	}{{"min", in.Min}, {"max", in.Max}} {
		if v.v != nil && (math.IsNaN(*v.v) || math.IsInf(*v.v, 0)) {
			errs = append(errs, domain.Invalid(v.name, "must be a finite number"))
		}
	}
	if in.Min != nil && in.Max != nil && *in.Min > *in.Max {
		errs = append(errs, domain.Invalid("max", "must not be below min (%v)", *in.Min))
	}
	if in.After != "" && in.Before != "" {
		errs = append(errs, domain.Invalid("before", "give after or before, not both"))
	}
	for _, c := range []struct {
		name string
		s    string
		dst  **domain.ID
	}{{"after", in.After, &q.After}, {"before", in.Before, &q.Before}} {
		if c.s == "" {
			continue
		}
		id, err := domain.ParseID(c.s)
		if err != nil {
			errs = append(errs, domain.Invalid(c.name, "must be a response id"))
			continue
		}
		*c.dst = &id
	}
	limit, err := pageLimit(in.Limit)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return page, err
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return page, err
	}
	page.Evaluation = e
	q.EvaluationID, q.Limit = e.ID, limit+1
	hits, err := u.store.SearchResponseIDs(ctx, q)
	if err != nil {
		return page, err
	}
	ids := hits.IDs
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	if q.Before != nil {
		slices.Reverse(ids)
	}
	// Walking forward, a page after a position has one before it; walking back, the
	// page before a position has one after it. A text search that stopped at its
	// bound continues from the last candidate it read.
	if hits.ScannedTo != nil {
		page.Partial, page.Scanned = true, SearchScan
	}
	switch {
	case q.Before != nil:
		if len(ids) > 0 {
			page.Next = ids[len(ids)-1].String()
		}
		if more {
			page.Prev = ids[0].String()
		} else if hits.ScannedTo != nil {
			page.Prev = hits.ScannedTo.String()
		}
	default:
		if more {
			page.Next = ids[len(ids)-1].String()
		} else if hits.ScannedTo != nil {
			page.Next = hits.ScannedTo.String()
		}
		if q.After != nil && len(ids) > 0 {
			page.Prev = ids[0].String()
		}
	}
	if len(ids) == 0 {
		return page, nil
	}
	rs, err := u.d.Stores.Responses.GetResponses(ctx, e.ID, ids)
	if err != nil {
		return page, err
	}
	byID := make(map[domain.ID]domain.Response, len(rs))
	for _, r := range rs {
		byID[r.ID] = r
	}
	for _, id := range ids {
		if r, ok := byID[id]; ok { // deleted since: left out
			page.Items = append(page.Items, r)
		}
	}
	return page, nil
}

// PairMatrix returns the win rate and the number of battles of every model against
// every other one, from the evaluation's comparisons (kind "" for every annotator
// kind).
func (u *Dashboard) PairMatrix(ctx context.Context, evalRef, kind string) (ranking.PairwiseWinRates, error) {
	in := LeaderboardInput{AnnotatorKind: kind}
	if kind != "" && !domain.AnnotatorKind(kind).Valid() {
		return ranking.PairwiseWinRates{}, domain.Invalid("annotator_kind", "must be human, model or heuristic; got %q", kind)
	}
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return ranking.PairwiseWinRates{}, err
	}
	counts, err := u.d.Stores.Preferences.ComparisonOutcomes(ctx, in.query(e.ID))
	if err != nil {
		return ranking.PairwiseWinRates{}, err
	}
	outcomes := make([]ranking.Outcome, len(counts))
	for i, c := range counts {
		outcomes[i] = ranking.Outcome{ModelA: c.ModelA, ModelB: c.ModelB, Preference: c.Preference, Count: int(c.Count)}
	}
	return ranking.WinRateMatrix(outcomes)
}

// HistogramBin is one equal-width bin of a scorer's values.
type HistogramBin struct {
	Low, High float64
	Count     int64
}

// Histogram is the distribution of one scorer's values over every model.
type Histogram struct {
	Scorer string
	Bins   []HistogramBin
}

// Histograms bins each scorer's values into at most bins equal-width bins between
// its minimum and maximum, from the histograms maintained on ingest (buckets of
// 0.2% relative width) that the summary read, so its cost does not grow with the
// number of scores and a page showing both reads the rollups once. A summary
// with Exact read no histograms and has none.
func (s Summary) Histograms(bins int) ([]Histogram, error) {
	if bins < 1 || bins > 200 {
		return nil, domain.Invalid("bins", "must be from 1 to 200")
	}
	return histogramsOf(s.buckets, bins), nil
}

func histogramsOf(buckets []ports.HistogramBucket, bins int) []Histogram {
	byScorer := map[string][]ports.HistogramBucket{}
	var names []string
	for _, b := range buckets {
		if _, ok := byScorer[b.Scorer]; !ok {
			names = append(names, b.Scorer)
		}
		byScorer[b.Scorer] = append(byScorer[b.Scorer], b)
	}
	sort.Strings(names)
	out := make([]Histogram, 0, len(names))
	for _, name := range names {
		bs := byScorer[name]
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, b := range bs {
			lo, hi = math.Min(lo, b.Min), math.Max(hi, b.Max)
		}
		n := bins
		if lo == hi {
			n = 1
		}
		h := Histogram{Scorer: name, Bins: make([]HistogramBin, n)}
		width := (hi - lo) / float64(n)
		for i := range h.Bins {
			h.Bins[i].Low, h.Bins[i].High = lo+float64(i)*width, lo+float64(i+1)*width
		}
		h.Bins[n-1].High = hi
		for _, b := range bs {
			i := 0
			if width > 0 {
				i = int(((b.Min+b.Max)/2 - lo) / width)
			}
			h.Bins[min(max(i, 0), n-1)].Count += b.Count
		}
		out = append(out, h)
	}
	return out
}

// PromptChange is one prompt's mean score in two evaluations, with a response to
// it from each.
type PromptChange struct {
	PromptID  string
	Base      float64
	Candidate float64
	// Delta is Candidate − Base; Worse is how much worse the candidate is in the
	// scorer's better direction (positive: a regression).
	Delta, Worse      float64
	BaseResponse      *domain.Response
	CandidateResponse *domain.Response
}

// MaxPromptChanges bounds RegressedPrompts.
const MaxPromptChanges = 50

// RegressedPrompts returns the n prompts whose score from scorer got worst from
// the report's base to its candidate (better is the scorer's direction; for
// "none", a larger absolute change counts as worse), each with a response from
// both sides. It reads the pairs the report compared, so the prompts and the
// verdict above them come from the same per-prompt means.
func (u *Dashboard) RegressedPrompts(ctx context.Context, rep DiffReport, scorer string, better scoring.Direction, n int) ([]PromptChange, error) {
	if n < 1 || n > MaxPromptChanges {
		return nil, domain.Invalid("n", "must be from 1 to %d", MaxPromptChanges)
	}
	base, cand := rep.Base, rep.Candidate
	var out []PromptChange
	for _, sd := range rep.Scorers {
		if sd.Scorer != scorer {
			continue
		}
		for _, p := range sd.Pairs {
			c := PromptChange{PromptID: p.PromptID, Base: p.Base, Candidate: p.Cand, Delta: p.Cand - p.Base}
			switch better {
			case scoring.HigherIsBetter:
				c.Worse = -c.Delta
			case scoring.LowerIsBetter:
				c.Worse = c.Delta
			default:
				c.Worse = math.Abs(c.Delta)
			}
			if c.Worse > 0 {
				out = append(out, c)
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Worse != out[j].Worse {
			return out[i].Worse > out[j].Worse
		}
		return out[i].PromptID < out[j].PromptID
	})
	if len(out) > n {
		out = out[:n]
	}
	for i := range out {
		for _, side := range []struct {
			e   domain.Evaluation
			dst **domain.Response
		}{{base, &out[i].BaseResponse}, {cand, &out[i].CandidateResponse}} {
			pid := out[i].PromptID
			rs, err := u.d.Stores.Responses.ListResponses(ctx, ports.ResponseQuery{EvaluationID: side.e.ID, PromptID: &pid, Limit: 1})
			if err != nil {
				return nil, err
			}
			if len(rs) > 0 {
				*side.dst = &rs[0]
			}
		}
	}
	return out, nil
}

// Models returns up to limit of an evaluation's models in name order.
func (u *Dashboard) Models(ctx context.Context, evalRef string, limit int) ([]string, error) {
	e, err := resolveEvaluation(ctx, u.d.Stores.Evaluations, evalRef)
	if err != nil {
		return nil, err
	}
	return u.store.EvaluationModels(ctx, e.ID, limit)
}
