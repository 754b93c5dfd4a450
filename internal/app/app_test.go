package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// refType is a scorer that needs a reference and reports whether the response equals it.
func refType() scoring.Type {
	return scoring.Type{
		Name: "same", Description: "equals the reference", NeedsReference: true, Better: scoring.HigherIsBetter,
		New: func(json.RawMessage) (scoring.Scorer, error) {
			return scoring.ScorerFunc(func(_ context.Context, it scoring.Item) (scoring.Result, error) {
				if it.Response == "panic" {
					panic("scorer bug")
				}
				v := 0.0
				if it.Response == it.Reference {
					v = 1
				}
				return scoring.Result{Value: v}, nil
			}), nil
		},
	}
}

func newServices(t *testing.T) app.Services {
	t.Helper()
	reg, err := scoring.NewRegistry(assertion.Length(), refType())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.NewServices(appDepsWith(t, reg))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// appDepsWith wires the use cases to the package's database with reg.
func appDepsWith(t *testing.T, reg *scoring.Registry) app.Deps {
	t.Helper()
	pool := testdb.Pool(t)
	return app.Deps{
		Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg,
		Limits: app.Limits{MaxBatchItems: 100, MaxFieldBytes: 1000},
	}
}

func str(s string) *string { return &s }

func TestNewServicesNeedsEveryDependency(t *testing.T) {
	t.Parallel()
	if _, err := app.NewServices(app.Deps{}); err == nil {
		t.Errorf("NewServices with no dependencies succeeded")
	}
}

func TestIngestScoresAndIsIdempotent(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	ctx := context.Background()
	e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "ingest", Scorers: []domain.ScorerConfig{{Type: "same"}, {Type: "length"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ingest(ctx, svc, e.Name, []app.ResponseInput{{Model: "m", Prompt: "p", Response: str("x")}}, true)
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Field != "reference" {
		t.Fatalf("ingest without the reference a scorer needs = %v, want a validation error on reference", err)
	}
	in := []app.ResponseInput{
		{ExternalID: "a", Model: "m", Prompt: "p", Response: str("yes"), Reference: str("yes")},
		{ExternalID: "b", Model: "m", Prompt: "p", Response: str("panic"), Reference: str("no")},
		{ExternalID: "a", Model: "m", Prompt: "p", Response: str("dup"), Reference: str("dup")},
	}
	got, err := ingest(ctx, svc, e.ID.String(), in, false)
	if err != nil {
		t.Fatal(err)
	}
	if !got[0].Created || !got[1].Created || got[2].Created || got[2].Response.ID != got[0].Response.ID {
		t.Errorf("created flags %v %v %v, ids %v %v", got[0].Created, got[1].Created, got[2].Created, got[0].Response.ID, got[2].Response.ID)
	}
	scores := map[string]domain.Score{}
	for _, s := range got[1].Response.Scores {
		scores[s.Scorer] = s
	}
	if s := scores["same"]; s.Value != nil || s.Error == "" {
		t.Errorf("panicking scorer = %+v, want an error entry, not a failed request", s)
	}
	if s := scores["length"]; s.Value == nil || *s.Value != 1 {
		t.Errorf("length next to a panicking scorer = %+v", s)
	}
	stored, err := svc.Responses.Get(ctx, e.Name, "b")
	if err != nil || len(stored.Scores) != 2 {
		t.Errorf("stored = %+v, %v; want both score rows", stored, err)
	}
}

func TestConcurrentIngestOfOneExternalID(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	ctx := context.Background()
	e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "race", Scorers: []domain.ScorerConfig{{Type: "length"}}})
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	var wg sync.WaitGroup
	results := make([][]app.Ingested, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := []app.ResponseInput{
				{ExternalID: "shared", Model: "m", Prompt: "p", Response: str(fmt.Sprint("from ", i))},
				{ExternalID: fmt.Sprint("own-", i), Model: "m", Prompt: "p", Response: str("mine")},
			}
			results[i], errs[i] = ingest(ctx, svc, e.Name, in, false)
		}()
	}
	wg.Wait()
	created := 0
	var id domain.ID
	for i := 0; i < n; i++ {
		if errs[i] != nil {
			t.Fatalf("ingest %d: %v", i, errs[i])
		}
		if results[i][0].Created {
			created++
		}
		if i > 0 && results[i][0].Response.ID != id {
			t.Errorf("ingest %d got shared id %v, others %v", i, results[i][0].Response.ID, id)
		}
		id = results[i][0].Response.ID
		if !results[i][1].Created {
			t.Errorf("ingest %d: its own response was not created", i)
		}
	}
	if created != 1 {
		t.Errorf("the shared external_id was created %d times, want 1", created)
	}
	page, err := svc.Responses.List(ctx, e.Name, app.ListResponsesInput{Limit: 100})
	if err != nil || len(page.Items) != n+1 {
		t.Errorf("stored %d responses, want %d (%v)", len(page.Items), n+1, err)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	svc := newServices(t)
	ctx := context.Background()
	e, _ := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "limits"})
	big := make([]byte, 1001)
	for i := range big {
		big[i] = 'x'
	}
	_, err := ingest(ctx, svc, e.Name, []app.ResponseInput{{Model: "m", Prompt: string(big), Response: str("")}}, true)
	if fs := domain.Fields(err); len(fs) != 1 || fs[0].Field != "prompt" {
		t.Errorf("oversize prompt error = %v, want one on prompt", err)
	}
	many := make([]app.ResponseInput, 101)
	for i := range many {
		many[i] = app.ResponseInput{Model: "m", Prompt: "p", Response: str("")}
	}
	if _, err := ingest(ctx, svc, e.Name, many, false); len(domain.Fields(err)) == 0 {
		t.Errorf("a batch over the limit was accepted: %v", err)
	}
	if _, err := ingest(ctx, svc, e.Name, []app.ResponseInput{{Model: "m", Prompt: "p\x00", Response: str("")}}, true); len(domain.Fields(err)) == 0 {
		t.Errorf("a NUL byte was accepted: %v", err)
	}
}

// TestKeysAuthenticate stays serial: its key expires 300ms after creation, and
// on a shared CPU the check before expiry could come too late.
func TestKeysAuthenticate(t *testing.T) {
	svc := newServices(t)
	ctx := context.Background()
	past := time.Now().Add(-time.Hour)
	if _, _, err := svc.Keys.Create(ctx, app.KeyInput{Name: "old", Scopes: []string{"read"}, ExpiresAt: &past}); len(domain.Fields(err)) == 0 {
		t.Errorf("a key expiring in the past was created: %v", err)
	}
	soon := time.Now().Add(300 * time.Millisecond)
	token, k, err := svc.Keys.Create(ctx, app.KeyInput{Name: "soon", Scopes: []string{"read", "read"}, ExpiresAt: &soon})
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Scopes) != 1 {
		t.Errorf("scopes = %v, want duplicates dropped", k.Scopes)
	}
	got, err := svc.Keys.Authenticate(ctx, token)
	if err != nil || got.ID != k.ID {
		t.Fatalf("Authenticate = %v, %v", got.ID, err)
	}
	time.Sleep(400 * time.Millisecond)
	if _, err := svc.Keys.Authenticate(ctx, token); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("Authenticate(expired) = %v, want ErrUnauthenticated", err)
	}
	other, _ := domain.NewKeyToken(fixedReader{})
	if _, err := svc.Keys.Authenticate(ctx, other); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Errorf("Authenticate(unknown) = %v, want ErrUnauthenticated", err)
	}
}

type fixedReader struct{}

func (fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(i)
	}
	return len(p), nil
}

// ingest posts a slice of responses and returns what was stored, in order.
func ingest(ctx context.Context, svc app.Services, evalRef string, in []app.ResponseInput, single bool) ([]app.Ingested, error) {
	res, err := svc.Responses.Ingest(ctx, evalRef, app.Items(in), app.IngestOptions{Single: single, Keep: true})
	if err != nil {
		return nil, err
	}
	return app.Collect(res.Items)
}
