package httpapi

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring/builtin"
	"github.com/rlhf-eval/rlhf-eval/internal/testdb"
)

func TestMain(m *testing.M) { testdb.Main(m) }

// testAPI is the real API on the package's database, with one key per scope.
type testAPI struct {
	t      testing.TB
	server *Server
	http   *httptest.Server
	pool   *pgxpool.Pool
	svc    app.Services
	admin  string
	write  string
	read   string
}

func newTestAPI(t *testing.T, cfg Config) *testAPI {
	t.Helper()
	return newTestAPIWith(t, cfg, app.Limits{MaxBatchItems: cfg.MaxBatchItems})
}

// newTestAPILimits is newTestAPIWith, by the name the edge tests use.
func newTestAPILimits(t testing.TB, cfg Config, limits app.Limits) *testAPI {
	return newTestAPIWith(t, cfg, limits)
}

// newTestAPIWith is newTestAPI with the use cases' limits.
func newTestAPIWith(t testing.TB, cfg Config, limits app.Limits) *testAPI {
	t.Helper()
	pool := testdb.Pool(t)
	reg, err := builtin.Registry()
	if err != nil {
		t.Fatal(err)
	}
	svc, err := app.NewServices(app.Deps{
		Stores: postgres.NewStores(pool), Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg,
		Limits: limits,
	})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	s, err := New(ServicesFrom(svc, postgres.NewPinger(pool)), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	// The server runs with the production server's timeouts: net/http resets a
	// connection's read deadline per request only when they are set, and a bulk
	// request that stops reading its body sets one (see bodyItems).
	hs := httptest.NewUnstartedServer(s.Handler())
	prod := s.HTTPServer("")
	hs.Config.ReadTimeout, hs.Config.ReadHeaderTimeout = prod.ReadTimeout, prod.ReadHeaderTimeout
	hs.Config.WriteTimeout, hs.Config.IdleTimeout = prod.WriteTimeout, prod.IdleTimeout
	hs.Start()
	t.Cleanup(hs.Close)
	a := &testAPI{t: t, server: s, http: hs, pool: pool, svc: svc}
	a.admin = a.key("admin")
	a.write = a.key("write")
	a.read = a.key("read")
	return a
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func (a *testAPI) key(scope string) string {
	a.t.Helper()
	token, _, err := a.svc.Keys.Create(context.Background(), app.KeyInput{Name: "test-" + scope, Scopes: []string{scope}})
	if err != nil {
		a.t.Fatal(err)
	}
	return token
}

// reply is a finished HTTP exchange.
type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends a request; contentType "" sends none, key "" sends no Authorization.
func (a *testAPI) do(method, path, key, contentType, body string) reply {
	a.t.Helper()
	req, err := http.NewRequest(method, a.http.URL+path, strings.NewReader(body))
	if err != nil {
		a.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	res, err := a.http.Client().Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		a.t.Fatal(err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

// json sends a JSON body with the write key (or the given key).
func (a *testAPI) post(path, body string) reply {
	return a.do(http.MethodPost, path, a.write, "application/json", body)
}

func (a *testAPI) get(path string) reply {
	return a.do(http.MethodGet, path, a.read, "", "")
}
