// Package porttest is the conformance suite of the store ports: every
// implementation of ports.Stores and ports.TxRunner runs it from its own tests, so
// they all behave as the core expects.
package porttest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
)

// Harness gives the suite fresh stores. Stores returns stores whose data is
// visible to Tx; tests use unique names so they can share one database.
type Harness struct {
	Stores ports.Stores
	Tx     ports.TxRunner
}

// Run runs the whole suite. Its groups run in parallel on the one database (each
// makes its own rows), as the stores are used concurrently in the service.
func Run(t *testing.T, h Harness) {
	t.Run("Evaluations", func(t *testing.T) { t.Parallel(); testEvaluations(t, h) })
	t.Run("Responses", func(t *testing.T) { t.Parallel(); testResponses(t, h) })
	t.Run("Comparisons", func(t *testing.T) { t.Parallel(); testComparisons(t, h) })
	t.Run("APIKeys", func(t *testing.T) { t.Parallel(); testAPIKeys(t, h) })
	t.Run("Idempotency", func(t *testing.T) { t.Parallel(); testIdempotency(t, h) })
	t.Run("RateLimits", func(t *testing.T) { t.Parallel(); testRateLimits(t, h) })
	t.Run("Tx", func(t *testing.T) { t.Parallel(); testTx(t, h) })
	t.Run("Jobs", func(t *testing.T) { t.Parallel(); testJobs(t, h) })
	t.Run("Maintenance", func(t *testing.T) { t.Parallel(); testMaintenance(t, h) })
	t.Run("ResponseCounts", func(t *testing.T) { t.Parallel(); testResponseCounts(t, h) })
	t.Run("Judges", func(t *testing.T) { t.Parallel(); testJudges(t, h) })
	t.Run("Analytics", func(t *testing.T) { t.Parallel(); testAnalytics(t, h) })
	t.Run("Preferences", func(t *testing.T) { t.Parallel(); testPreferences(t, h) })
	t.Run("Pending", func(t *testing.T) { t.Parallel(); testPending(t, h) })
	t.Run("PromptMeans", func(t *testing.T) { t.Parallel(); testPromptMeans(t, h) })
}

var seq atomic.Int64

// newID returns a UUIDv7-shaped id that sorts after every earlier one from this
// process: the millisecond clock plus a sequence in the random bits.
func newID() domain.ID {
	var id domain.ID
	ms := uint64(time.Now().UnixMilli())
	for i := 0; i < 6; i++ {
		id[i] = byte(ms >> (40 - 8*i))
	}
	n := uint64(seq.Add(1))
	id[6] = 0x70 | byte(n>>56)&0x0f
	id[7] = byte(n >> 48)
	id[8] = 0x80 | byte(n>>40)&0x3f
	for i := 9; i < 16; i++ {
		id[i] = byte(n >> (8 * (15 - i)))
	}
	return id
}

func uniqueName(prefix string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%x", prefix, b)
}

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func ptr[T any](v T) *T { return &v }

func mustEvaluation(t *testing.T, s ports.EvaluationStore) domain.Evaluation {
	t.Helper()
	n := now()
	e := domain.Evaluation{
		ID: newID(), Name: uniqueName("eval"), Description: "d",
		Scorers:  []domain.ScorerConfig{{Name: "len", Type: "length", Params: []byte(`{}`), Pass: &domain.PassBand{Max: ptr(10.0)}}},
		Metadata: map[string]any{"k": "v"}, CreatedAt: n, UpdatedAt: n,
	}
	if err := s.CreateEvaluation(context.Background(), e); err != nil {
		t.Fatalf("CreateEvaluation: %v", err)
	}
	return e
}

func response(e domain.Evaluation, ext, model, prompt string) domain.Response {
	v := float64(len(prompt))
	return domain.Response{
		ID: newID(), EvaluationID: e.ID, ExternalID: ext, PromptID: domain.PromptHash(prompt), Model: model,
		Prompt: prompt, Text: "answer to " + prompt, Metadata: map[string]any{}, CreatedAt: now(),
		Context: []domain.Message{{Role: "user", Content: "earlier"}},
		Scores: []domain.Score{
			{Scorer: "len", Value: &v, Passed: ptr(v < 5), Details: map[string]any{"words": 1.0}, CreatedAt: now()},
			{Scorer: "broken", Error: "scorer panicked", Details: map[string]any{}, CreatedAt: now()},
		},
	}
}

func testEvaluations(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Evaluations
	e := mustEvaluation(t, s)

	t.Run("get by id and name round-trips every field", func(t *testing.T) {
		got, err := s.GetEvaluation(ctx, e.ID)
		if err != nil {
			t.Fatalf("GetEvaluation: %v", err)
		}
		if got.Name != e.Name || got.Description != e.Description || !got.CreatedAt.Equal(e.CreatedAt) ||
			got.Metadata["k"] != "v" || len(got.Scorers) != 1 || got.Scorers[0].Type != "length" ||
			got.Scorers[0].Pass == nil || got.Scorers[0].Pass.Max == nil || *got.Scorers[0].Pass.Max != 10 || got.Scorers[0].Pass.Min != nil {
			t.Errorf("GetEvaluation = %+v, want %+v", got, e)
		}
		byName, err := s.GetEvaluationByName(ctx, e.Name)
		if err != nil || byName.ID != e.ID {
			t.Errorf("GetEvaluationByName = %v, %v; want id %v", byName.ID, err, e.ID)
		}
	})
	t.Run("missing is ErrNotFound", func(t *testing.T) {
		if _, err := s.GetEvaluation(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetEvaluation(missing) error = %v, want ErrNotFound", err)
		}
		if _, err := s.GetEvaluationByName(ctx, "no-such-evaluation"); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("GetEvaluationByName(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.DeleteEvaluation(ctx, newID()); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("DeleteEvaluation(missing) error = %v, want ErrNotFound", err)
		}
		if err := s.UpdateEvaluation(ctx, domain.Evaluation{ID: newID(), Name: uniqueName("x"), UpdatedAt: now()}); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("UpdateEvaluation(missing) error = %v, want ErrNotFound", err)
		}
	})
	t.Run("duplicate name is ErrConflict", func(t *testing.T) {
		dup := e
		dup.ID = newID()
		if err := s.CreateEvaluation(ctx, dup); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("CreateEvaluation(duplicate name) error = %v, want ErrConflict", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		u := e
		u.Name, u.Description, u.Metadata, u.UpdatedAt = uniqueName("renamed"), "new", map[string]any{"x": 1.0}, now().Add(time.Second)
		u.Scorers = nil
		if err := s.UpdateEvaluation(ctx, u); err != nil {
			t.Fatalf("UpdateEvaluation: %v", err)
		}
		got, err := s.GetEvaluation(ctx, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != u.Name || got.Description != "new" || got.Metadata["x"] != 1.0 || len(got.Scorers) != 0 || !got.UpdatedAt.Equal(u.UpdatedAt) || !got.CreatedAt.Equal(e.CreatedAt) {
			t.Errorf("after update = %+v, want %+v", got, u)
		}
	})
	t.Run("each sort order pages through every row in order", func(t *testing.T) {
		// Names chosen so name order differs from creation order.
		base := uniqueName("sort")
		var made []domain.Evaluation
		for i, suffix := range []string{"c", "a", "d", "b"} {
			n := now().Add(time.Duration(i) * time.Millisecond)
			ev := domain.Evaluation{ID: newID(), Name: base + "-" + suffix, CreatedAt: n, UpdatedAt: n.Add(time.Duration(10-i) * time.Second)}
			if err := s.CreateEvaluation(ctx, ev); err != nil {
				t.Fatal(err)
			}
			made = append(made, ev)
		}
		mine := func(list []domain.Evaluation) []string {
			var out []string
			for _, ev := range list {
				for _, m := range made {
					if m.ID == ev.ID {
						out = append(out, ev.Name[len(base)+1:])
					}
				}
			}
			return out
		}
		want := map[ports.EvaluationSort]string{
			ports.SortCreatedAsc: "cadb", ports.SortCreatedDesc: "bdac",
			ports.SortNameAsc: "abcd", ports.SortNameDesc: "dcba",
			ports.SortUpdatedAsc: "bdac", ports.SortUpdatedDesc: "cadb",
		}
		for sort, w := range want {
			var all []domain.Evaluation
			var after *ports.Keyset
			for pages := 0; pages < 10000; pages++ {
				page, err := s.ListEvaluations(ctx, ports.EvaluationQuery{Sort: sort, After: after, Limit: 2})
				if err != nil {
					t.Fatalf("ListEvaluations(%s): %v", sort, err)
				}
				all = append(all, page...)
				if len(page) < 2 {
					break
				}
				last := page[len(page)-1]
				key := last.CreatedAt.Format(time.RFC3339Nano)
				switch sort {
				case ports.SortNameAsc, ports.SortNameDesc:
					key = last.Name
				case ports.SortUpdatedAsc, ports.SortUpdatedDesc:
					key = last.UpdatedAt.Format(time.RFC3339Nano)
				}
				after = &ports.Keyset{Key: key, ID: last.ID}
			}
			got := ""
			for _, n := range mine(all) {
				got += n
			}
			if got != w {
				t.Errorf("ListEvaluations(%s) order of ours = %q, want %q", sort, got, w)
			}
			seen := map[domain.ID]bool{}
			for _, ev := range all {
				if seen[ev.ID] {
					t.Errorf("ListEvaluations(%s) returned %s twice", sort, ev.Name)
				}
				seen[ev.ID] = true
			}
		}
	})
	t.Run("delete cascades", func(t *testing.T) {
		ev := mustEvaluation(t, s)
		r := response(ev, "x1", "m", "p")
		if _, err := h.Stores.Responses.InsertResponses(ctx, []domain.Response{r}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteEvaluation(ctx, ev.ID); err != nil {
			t.Fatalf("DeleteEvaluation: %v", err)
		}
		got, err := h.Stores.Responses.GetResponses(ctx, ev.ID, []domain.ID{r.ID})
		if err != nil || len(got) != 0 {
			t.Errorf("responses after evaluation delete = %d, %v; want none", len(got), err)
		}
	})
}

func testResponses(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.Responses
	e := mustEvaluation(t, h.Stores.Evaluations)

	a := response(e, "ext-a", "m1", "p1")
	b := response(e, "", "m2", "p1")
	c := response(e, "ext-c", "m1", "p2")
	c.Reference = ptr("ref")
	inserted, err := s.InsertResponses(ctx, []domain.Response{a, b, c})
	if err != nil {
		t.Fatalf("InsertResponses: %v", err)
	}
	if len(inserted) != 3 || inserted[0] != a.ID || inserted[1] != b.ID || inserted[2] != c.ID {
		t.Fatalf("inserted = %v, want the three ids in input order", inserted)
	}

	t.Run("round-trips fields and scores", func(t *testing.T) {
		got, err := s.GetResponses(ctx, e.ID, []domain.ID{c.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("GetResponses = %v, %v", got, err)
		}
		r := got[0]
		if r.ExternalID != "ext-c" || r.Model != "m1" || r.Prompt != "p2" || r.Text != c.Text || r.Reference == nil || *r.Reference != "ref" ||
			r.PromptID != c.PromptID || len(r.Context) != 1 || r.Context[0].Content != "earlier" || !r.CreatedAt.Equal(c.CreatedAt) {
			t.Errorf("GetResponses = %+v, want %+v", r, c)
		}
		if len(r.Scores) != 2 {
			t.Fatalf("scores = %+v, want 2", r.Scores)
		}
		byName := map[string]domain.Score{}
		for _, sc := range r.Scores {
			byName[sc.Scorer] = sc
		}
		if l := byName["len"]; l.Value == nil || *l.Value != 2 || l.Passed == nil || !*l.Passed || l.Details["words"] != 1.0 {
			t.Errorf("score len = %+v", l)
		}
		if br := byName["broken"]; br.Value != nil || br.Error != "scorer panicked" {
			t.Errorf("score broken = %+v, want no value and the error", br)
		}
	})
	t.Run("existing external_id is skipped, not overwritten", func(t *testing.T) {
		again := response(e, "ext-a", "other-model", "p9")
		fresh := response(e, "ext-new", "m1", "p3")
		ins, err := s.InsertResponses(ctx, []domain.Response{again, fresh})
		if err != nil {
			t.Fatal(err)
		}
		if len(ins) != 1 || ins[0] != fresh.ID {
			t.Errorf("inserted = %v, want only %v", ins, fresh.ID)
		}
		got, err := s.GetResponsesByExternalID(ctx, e.ID, []string{"ext-a", "ext-missing"})
		if err != nil || len(got) != 1 || got[0].ID != a.ID || got[0].Model != "m1" {
			t.Errorf("GetResponsesByExternalID = %+v, %v; want the original ext-a", got, err)
		}
		if skipped, _ := s.GetResponses(ctx, e.ID, []domain.ID{again.ID}); len(skipped) != 0 {
			t.Errorf("the skipped response was stored")
		}
	})
	t.Run("list filters and orders", func(t *testing.T) {
		cases := []struct {
			name string
			q    ports.ResponseQuery
			want []domain.ID
		}{
			{"all ascending", ports.ResponseQuery{}, []domain.ID{a.ID, b.ID, c.ID}},
			{"model", ports.ResponseQuery{Model: ptr("m2")}, []domain.ID{b.ID}},
			{"prompt", ports.ResponseQuery{PromptID: ptr(domain.PromptHash("p1"))}, []domain.ID{a.ID, b.ID}},
			{"scorer passed", ports.ResponseQuery{Scorer: ptr("len"), Passed: ptr(true)}, []domain.ID{a.ID, b.ID, c.ID}},
			{"scorer failed", ports.ResponseQuery{Scorer: ptr("len"), Passed: ptr(false)}, nil},
			{"descending", ports.ResponseQuery{Desc: true, Model: ptr("m1"), PromptID: ptr(domain.PromptHash("p1"))}, []domain.ID{a.ID}},
			{"after", ports.ResponseQuery{After: &a.ID, Model: ptr("m1")}, []domain.ID{c.ID}},
		}
		for _, tc := range cases {
			q := tc.q
			q.EvaluationID, q.Limit = e.ID, 100
			got, err := s.ListResponses(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ids []domain.ID
			for _, r := range got {
				if r.ID == a.ID || r.ID == b.ID || r.ID == c.ID {
					ids = append(ids, r.ID)
				}
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
			}
		}
	})
	t.Run("ingest in a transaction", func(t *testing.T) {
		// Two chunks in one transaction: an external id stored before and one
		// repeated across the chunks are skipped, and a failure later in the
		// sequence leaves nothing of the earlier chunk.
		first := []domain.Response{response(e, "ing-1", "m1", "p4"), response(e, "ext-a", "m1", "p5")}
		second := []domain.Response{response(e, "ing-2", "m2", "p6"), response(e, "ing-1", "m2", "p7")}
		chunks := func(fail error) func(yield func(ports.ResponseChunk, error) bool) {
			return func(yield func(ports.ResponseChunk, error) bool) {
				if yield(ports.Scored(first), nil) {
					yield(ports.Scored(second), fail)
				}
			}
		}
		broken := errors.New("the request broke off")
		err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			_, err := s.Responses.IngestResponses(ctx, chunks(broken))
			return err
		})
		if !errors.Is(err, broken) {
			t.Fatalf("IngestResponses of a broken sequence error = %v, want %v", err, broken)
		}
		if got, _ := s.GetResponsesByExternalID(ctx, e.ID, []string{"ing-1"}); len(got) != 0 {
			t.Fatalf("a rolled back ingest left %d responses", len(got))
		}
		// Scoring that fails after the responses were handed on fails the
		// whole transaction too.
		unscored := errors.New("the scorers gave up")
		err = h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			_, err := s.Responses.IngestResponses(ctx, func(yield func(ports.ResponseChunk, error) bool) {
				if yield(ports.Scored(first), nil) {
					yield(ports.ResponseChunk{Responses: second, Scored: func() error { return unscored }}, nil)
				}
			})
			return err
		})
		if !errors.Is(err, unscored) {
			t.Fatalf("IngestResponses whose scoring failed: error = %v, want %v", err, unscored)
		}
		if got, _ := s.GetResponsesByExternalID(ctx, e.ID, []string{"ing-1", "ing-2"}); len(got) != 0 {
			t.Fatalf("an ingest whose scoring failed left %d responses", len(got))
		}
		var inserted []domain.ID
		err = h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
			var err error
			inserted, err = s.Responses.IngestResponses(ctx, chunks(nil))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []domain.ID{first[0].ID, second[0].ID}; fmt.Sprint(inserted) != fmt.Sprint(want) {
			t.Errorf("inserted = %v, want %v", inserted, want)
		}
		got, err := s.GetResponsesByExternalID(ctx, e.ID, []string{"ing-1", "ing-2", "ext-a"})
		if err != nil || len(got) != 3 {
			t.Fatalf("GetResponsesByExternalID = %d responses, %v; want 3", len(got), err)
		}
		for _, r := range got {
			if r.ExternalID == "ext-a" && r.ID != a.ID || r.ExternalID == "ing-1" && r.ID != first[0].ID {
				t.Errorf("%s is %v, want the one stored first", r.ExternalID, r.ID)
			}
		}
	})
	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteResponse(ctx, e.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteResponse(ctx, e.ID, b.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("second delete error = %v, want ErrNotFound", err)
		}
		other := mustEvaluation(t, h.Stores.Evaluations)
		if err := s.DeleteResponse(ctx, other.ID, a.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("delete through another evaluation error = %v, want ErrNotFound", err)
		}
	})
}

func testComparisons(t *testing.T, h Harness) {
	ctx := context.Background()
	e := mustEvaluation(t, h.Stores.Evaluations)
	a, b := response(e, "a", "m1", "p"), response(e, "b", "m2", "p")
	if _, err := h.Stores.Responses.InsertResponses(ctx, []domain.Response{a, b}); err != nil {
		t.Fatal(err)
	}
	mk := func(ext string, pref float64, annotator string, kind domain.AnnotatorKind) domain.Comparison {
		c, err := domain.NewComparison(domain.Comparison{
			ID: newID(), EvaluationID: e.ID, ExternalID: ext, Preference: pref, Annotator: annotator,
			AnnotatorKind: kind, Rationale: "because", Metadata: map[string]any{}, CreatedAt: now(),
		}, a, b)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1, c2, c3 := mk("c1", 1, "alice", domain.AnnotatorHuman), mk("", 0.5, "bob", domain.AnnotatorHuman), mk("c3", 0.25, "judge", domain.AnnotatorModel)
	s := h.Stores.Comparisons
	ins, err := s.InsertComparisons(ctx, []domain.Comparison{c1, c2, c3})
	if err != nil || len(ins) != 3 {
		t.Fatalf("InsertComparisons = %v, %v", ins, err)
	}
	t.Run("round-trip", func(t *testing.T) {
		got, err := s.GetComparisons(ctx, e.ID, []domain.ID{c3.ID})
		if err != nil || len(got) != 1 {
			t.Fatalf("GetComparisons = %v, %v", got, err)
		}
		g := got[0]
		if g.Preference != 0.25 || g.ModelA != "m1" || g.ModelB != "m2" || g.ResponseA != a.ID || g.ResponseB != b.ID ||
			g.Annotator != "judge" || g.AnnotatorKind != domain.AnnotatorModel || g.Rationale != "because" || g.ExternalID != "c3" {
			t.Errorf("GetComparisons = %+v, want %+v", g, c3)
		}
	})
	t.Run("existing external_id skipped", func(t *testing.T) {
		dup := mk("c1", 0, "carol", domain.AnnotatorHuman)
		ins, err := s.InsertComparisons(ctx, []domain.Comparison{dup})
		if err != nil || len(ins) != 0 {
			t.Errorf("InsertComparisons(dup) = %v, %v; want nothing inserted", ins, err)
		}
		got, _ := s.GetComparisonsByExternalID(ctx, e.ID, []string{"c1"})
		if len(got) != 1 || got[0].ID != c1.ID {
			t.Errorf("GetComparisonsByExternalID = %+v", got)
		}
	})
	t.Run("cross-evaluation reference is refused by the database", func(t *testing.T) {
		other := mustEvaluation(t, h.Stores.Evaluations)
		bad := c1
		bad.ID, bad.ExternalID, bad.EvaluationID = newID(), "", other.ID
		if _, err := s.InsertComparisons(ctx, []domain.Comparison{bad}); !errors.Is(err, domain.ErrConflict) {
			t.Errorf("InsertComparisons(cross-evaluation) error = %v, want ErrConflict", err)
		}
	})
	t.Run("list filters", func(t *testing.T) {
		cases := []struct {
			name string
			q    ports.ComparisonQuery
			want []domain.ID
		}{
			{"all", ports.ComparisonQuery{}, []domain.ID{c1.ID, c2.ID, c3.ID}},
			{"desc", ports.ComparisonQuery{Desc: true}, []domain.ID{c3.ID, c2.ID, c1.ID}},
			{"annotator", ports.ComparisonQuery{Annotator: ptr("bob")}, []domain.ID{c2.ID}},
			{"kind", ports.ComparisonQuery{AnnotatorKind: ptr(domain.AnnotatorModel)}, []domain.ID{c3.ID}},
			{"model either side", ports.ComparisonQuery{Model: ptr("m2")}, []domain.ID{c1.ID, c2.ID, c3.ID}},
			{"model absent", ports.ComparisonQuery{Model: ptr("m3")}, nil},
			{"after", ports.ComparisonQuery{After: &c1.ID}, []domain.ID{c2.ID, c3.ID}},
		}
		for _, tc := range cases {
			q := tc.q
			q.EvaluationID, q.Limit = e.ID, 100
			got, err := s.ListComparisons(ctx, q)
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var ids []domain.ID
			for _, c := range got {
				ids = append(ids, c.ID)
			}
			if fmt.Sprint(ids) != fmt.Sprint(tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, ids, tc.want)
			}
		}
	})
	t.Run("deleting a response deletes its comparisons", func(t *testing.T) {
		if err := h.Stores.Responses.DeleteResponse(ctx, e.ID, a.ID); err != nil {
			t.Fatal(err)
		}
		got, err := s.ListComparisons(ctx, ports.ComparisonQuery{EvaluationID: e.ID, Limit: 100})
		if err != nil || len(got) != 0 {
			t.Errorf("comparisons after response delete = %d, %v", len(got), err)
		}
		if err := s.DeleteComparison(ctx, e.ID, c1.ID); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("DeleteComparison(gone) = %v, want ErrNotFound", err)
		}
	})
}

func testAPIKeys(t *testing.T, h Harness) {
	ctx := context.Background()
	s := h.Stores.APIKeys
	token, err := domain.NewKeyToken(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	exp := now().Add(time.Hour)
	k := domain.APIKey{ID: newID(), Name: uniqueName("key"), Prefix: domain.KeyDisplayPrefix(token), Hash: domain.HashKeyToken(token),
		Scopes: []domain.Scope{domain.ScopeRead, domain.ScopeWrite}, CreatedAt: now(), ExpiresAt: &exp}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		t.Fatalf("CreateAPIKey: %v", err)
	}
	got, err := s.GetAPIKeyByHash(ctx, k.Hash)
	if err != nil || got.ID != k.ID || got.Name != k.Name || got.Prefix != k.Prefix || len(got.Scopes) != 2 || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) {
		t.Errorf("GetAPIKeyByHash = %+v, %v; want %+v", got, err, k)
	}
	if _, err := s.GetAPIKeyByHash(ctx, [32]byte{1}); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("GetAPIKeyByHash(unknown) = %v, want ErrNotFound", err)
	}
	dup := k
	dup.ID = newID()
	if err := s.CreateAPIKey(ctx, dup); !errors.Is(err, domain.ErrConflict) {
		t.Errorf("CreateAPIKey(same hash) = %v, want ErrConflict", err)
	}
	used := now()
	if err := s.TouchAPIKey(ctx, k.ID, used); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchAPIKey(ctx, k.ID, used.Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetAPIKey(ctx, k.ID)
	if got.LastUsedAt == nil || !got.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v, want %v (a second touch within a minute does not write)", got.LastUsedAt, used)
	}
	revoked := now()
	if err := s.RevokeAPIKey(ctx, k.ID, revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAPIKey(ctx, k.ID, revoked.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetAPIKey(ctx, k.ID)
	if got.RevokedAt == nil || !got.RevokedAt.Equal(revoked) {
		t.Errorf("RevokedAt = %v, want the first revocation %v", got.RevokedAt, revoked)
	}
	if err := s.RevokeAPIKey(ctx, newID(), revoked); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("RevokeAPIKey(missing) = %v, want ErrNotFound", err)
	}
	list, err := s.ListAPIKeys(ctx, nil, 1000)
	found := false
	for _, l := range list {
		found = found || l.ID == k.ID
	}
	if err != nil || !found {
		t.Errorf("ListAPIKeys did not include the key: %v", err)
	}
}

func testTx(t *testing.T, h Harness) {
	ctx := context.Background()
	var made domain.Evaluation
	boom := errors.New("boom")
	err := h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		made = mustEvaluation(t, s.Evaluations)
		r := response(made, "r", "m", "p")
		if _, err := s.Responses.InsertResponses(ctx, []domain.Response{r}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx error = %v, want boom", err)
	}
	if _, err := h.Stores.Evaluations.GetEvaluation(ctx, made.ID); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("evaluation of a rolled-back transaction exists (err %v)", err)
	}
	err = h.Tx.InTx(ctx, func(ctx context.Context, s ports.Stores) error {
		made = mustEvaluation(t, s.Evaluations)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Stores.Evaluations.GetEvaluation(ctx, made.ID); err != nil {
		t.Errorf("committed evaluation missing: %v", err)
	}
}
