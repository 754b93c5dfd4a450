package httpapi

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/metrics"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/domain"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

// Servers for the contract tests: the real use cases on the package's database, or
// fakes for the failures a real database will not produce on demand.

// contractKeys holds one API key per scope.
type contractKeys struct{ read, write, admin string }

// realAPI is the real API with what the tests need to reach behind it.
type realAPI struct {
	server *Server
	keys   contractKeys
	svc    app.Services
}

// realServer builds the API the way the program does, on the package's test
// database, with metrics at /metrics, and issues one key per scope. A positive rate
// limits each key to rate requests a second in bursts of one.
func realServer(t *testing.T, cfg Config, rate float64) realAPI {
	t.Helper()
	pool := testdb.Pool(t)
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	d := app.Deps{
		Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg,
	}
	svc, err := app.NewServices(d)
	if err != nil {
		t.Fatal(err)
	}
	services := ServicesFrom(svc, postgres.NewPinger(pool))
	if rate > 0 {
		if services.RateLimit, err = app.NewRateLimit(d, rate, 1); err != nil {
			t.Fatal(err)
		}
	}
	m := metrics.New(nil)
	cfg.Observer, cfg.MetricsHandler = m, m.Handler()
	s, err := New(services, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	issue := func(scope string) string {
		t.Helper()
		token, _, err := svc.Keys.Create(context.Background(), app.KeyInput{Name: "openapi-" + scope, Scopes: []string{scope}})
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	return realAPI{server: s, svc: svc, keys: contractKeys{read: issue("read"), write: issue("write"), admin: issue("admin")}}
}

// Fakes: each embeds the interface it fakes, so a method the test does not set
// panics (and the server's recovery turns that into a 500 the test would see).

type fakeEvaluations struct {
	EvaluationService
	ListFunc func(ctx context.Context, in app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error)
}

func (f fakeEvaluations) List(ctx context.Context, in app.ListEvaluationsInput) (domain.Page[domain.Evaluation], error) {
	return f.ListFunc(ctx, in)
}

type fakeResponses struct{ ResponseService }

type fakeComparisons struct{ ComparisonService }

type fakeSummaries struct{ SummaryService }

type fakeScoring struct{ ScoringService }

type fakeDiffs struct{ DiffService }

type fakePreferences struct{ PreferenceService }

type fakeJobs struct{ JobService }

type fakeKeys struct {
	KeyService
	AuthenticateFunc func(ctx context.Context, token string) (domain.APIKey, error)
}

func (f fakeKeys) Authenticate(ctx context.Context, token string) (domain.APIKey, error) {
	return f.AuthenticateFunc(ctx, token)
}

type fakePinger struct {
	PingFunc func(ctx context.Context) error
}

func (f fakePinger) Ping(ctx context.Context) error { return f.PingFunc(ctx) }

// fakeServer builds the API on fakes, with a metrics handler so that /metrics is
// routed as in the program.
func fakeServer(t *testing.T, evals fakeEvaluations, keys fakeKeys, db fakePinger) *Server {
	t.Helper()
	s, err := New(Services{Evaluations: evals, Responses: fakeResponses{}, Comparisons: fakeComparisons{}, Keys: keys,
		Summaries: fakeSummaries{}, Diffs: fakeDiffs{}, Preferences: fakePreferences{}, Scoring: fakeScoring{}, Jobs: fakeJobs{}, DB: db},
		Config{MetricsHandler: metrics.New(nil).Handler()}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
