package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/assertion"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// keysDuring is an API key store that runs during() inside every lookup by
// hash, after the database has answered: a change that lands while a lookup is
// under way.
type keysDuring struct {
	ports.APIKeyStore
	during func()
}

func (k keysDuring) GetAPIKeyByHash(ctx context.Context, hash [32]byte) (domain.APIKey, error) {
	key, err := k.APIKeyStore.GetAPIKeyByHash(ctx, hash)
	if k.during != nil {
		k.during()
	}
	return key, err
}

// TestLookupsKeys: keys are served from memory only while changes are heard,
// and a change (through this process, or announced by the database) is seen
// by the next request.
func TestLookupsKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newServices(t)
	token, k, err := svc.Keys.Create(ctx, app.KeyInput{Name: "cached", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := func() error { _, err := svc.Keys.Authenticate(ctx, token); return err }

	// Not listening: every request asks the database.
	for range 3 {
		if err := auth(); err != nil {
			t.Fatal(err)
		}
	}
	if h := svc.Lookups.Hits(); h != 0 {
		t.Fatalf("%d lookups served from memory before listening, want 0", h)
	}

	// Listening: the first request reads the key, the next ones do not.
	svc.Lookups.Listening(true)
	for range 3 {
		if err := auth(); err != nil {
			t.Fatal(err)
		}
	}
	if h := svc.Lookups.Hits(); h != 2 {
		t.Fatalf("%d lookups served from memory of 3 while listening, want 2", h)
	}

	// Revoked by another process: until the notice arrives the kept key is
	// what a request sees; once it arrives the revocation holds.
	if err := postgres.NewStores(testdb.Pool(t)).APIKeys.RevokeAPIKey(ctx, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := auth(); err != nil {
		t.Fatalf("before the notice: %v, want the kept key (this test shows the notice is what ends it)", err)
	}
	svc.Lookups.Changed()
	if err := auth(); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("after the notice: %v, want ErrUnauthenticated", err)
	}

	// Revoked through this process: refused at once, with no notice.
	token2, k2, err := svc.Keys.Create(ctx, app.KeyInput{Name: "revoked here", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := svc.Keys.Authenticate(ctx, token2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Keys.Revoke(ctx, k2.ID.String()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Keys.Authenticate(ctx, token2); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("after Revoke: %v, want ErrUnauthenticated", err)
	}

	// The listening connection lost: nothing kept is served.
	token3, k3, err := svc.Keys.Create(ctx, app.KeyInput{Name: "lost", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Keys.Authenticate(ctx, token3); err != nil {
		t.Fatal(err)
	}
	svc.Lookups.Listening(false)
	if err := postgres.NewStores(testdb.Pool(t)).APIKeys.RevokeAPIKey(ctx, k3.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Keys.Authenticate(ctx, token3); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("not listening, after a revocation: %v, want ErrUnauthenticated", err)
	}
}

// TestLookupsKeepNothingReadDuringAChange: a key read while a change is
// announced is not kept, since the read may predate the change.
func TestLookupsKeepNothingReadDuringAChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	reg, err := scoring.NewRegistry(assertion.Length())
	if err != nil {
		t.Fatal(err)
	}
	d := appDepsWith(t, reg)
	keys := &keysDuring{APIKeyStore: d.Stores.APIKeys}
	d.Stores.APIKeys = keys
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	svc.Lookups.Listening(true)
	token, _, err := svc.Keys.Create(ctx, app.KeyInput{Name: "raced", Scopes: []string{"read"}})
	if err != nil {
		t.Fatal(err)
	}
	keys.during = svc.Lookups.Changed
	if _, err := svc.Keys.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	keys.during = nil
	if _, err := svc.Keys.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	if h := svc.Lookups.Hits(); h != 0 {
		t.Fatalf("the key read during a change was served from memory (%d hits), want it read again", h)
	}
	if _, err := svc.Keys.Authenticate(ctx, token); err != nil {
		t.Fatal(err)
	}
	if h := svc.Lookups.Hits(); h != 1 {
		t.Fatalf("%d hits after a clean read, want 1", h)
	}
}

// TestLookupsEvaluations: a write's evaluation is served from memory while
// listening, and renaming or deleting it through this process is seen by the
// next write.
func TestLookupsEvaluations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	svc := newServices(t)
	svc.Lookups.Listening(true)
	e, err := svc.Evaluations.Create(ctx, app.EvaluationInput{Name: "lookups-eval", Scorers: []domain.ScorerConfig{{Type: "length"}}})
	if err != nil {
		t.Fatal(err)
	}
	post := func(name, ext string) error {
		_, err := ingest(ctx, svc, name, []app.ResponseInput{{ExternalID: ext, Model: "m", Prompt: "p", Response: str("an answer")}}, true)
		return err
	}
	for i, ext := range []string{"a", "b", "c"} {
		if err := post(e.Name, ext); err != nil {
			t.Fatalf("post %d: %v", i, err)
		}
	}
	if h := svc.Lookups.Hits(); h != 2 {
		t.Fatalf("%d of 3 writes found their evaluation in memory, want 2", h)
	}
	// New scorers are used by the next write: the kept set of scorers goes
	// with the kept evaluation.
	scorersOf := func(ext string) []string {
		t.Helper()
		got, err := ingest(ctx, svc, e.Name, []app.ResponseInput{{ExternalID: ext, Model: "m", Prompt: "p", Response: str("an answer")}}, true)
		if err != nil || len(got) != 1 {
			t.Fatalf("post %s: %v", ext, err)
		}
		var names []string
		for _, sc := range got[0].Response.Scores {
			names = append(names, sc.Scorer)
		}
		return names
	}
	if got := scorersOf("before-rescorers"); len(got) != 1 || got[0] != "length" {
		t.Fatalf("scorers before the change = %v, want [length]", got)
	}
	newScorers := []domain.ScorerConfig{{Type: "length", Name: "words"}}
	if _, err := svc.Evaluations.Update(ctx, e.Name, app.EvaluationPatch{Scorers: &newScorers}); err != nil {
		t.Fatal(err)
	}
	if got := scorersOf("after-rescorers"); len(got) != 1 || got[0] != "words" {
		t.Fatalf("scorers after the change = %v, want [words]", got)
	}
	renamed := "lookups-renamed"
	if _, err := svc.Evaluations.Update(ctx, e.Name, app.EvaluationPatch{Name: &renamed}); err != nil {
		t.Fatal(err)
	}
	if err := post(e.Name, "d"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("write under the old name after a rename: %v, want ErrNotFound", err)
	}
	if err := post(renamed, "d"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Evaluations.StartDelete(ctx, renamed); err != nil {
		t.Fatal(err)
	}
	if err := post(renamed, "e"); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("write after a delete: %v, want ErrNotFound", err)
	}
}
