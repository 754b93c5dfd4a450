package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rlhf-eval/rlhf-eval/internal/adapters/cli"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/httpapi"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/metrics"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/openai"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/postgres"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/system"
	"github.com/rlhf-eval/rlhf-eval/internal/adapters/web"
	"github.com/rlhf-eval/rlhf-eval/internal/app"
	"github.com/rlhf-eval/rlhf-eval/internal/ports"
	"github.com/rlhf-eval/rlhf-eval/internal/scoring"
)

// root is the composition root: config → pool → stores → use cases → server or CLI.
// The server and the CLI commands get their use cases from the same place.
type root struct {
	cfg config
	log *slog.Logger
	reg *scoring.Registry
	// judgeCallers call judge endpoints: one caller, and one rate limiter, per
	// judge version for the whole process. API keys come from the environment
	// variables the judges name.
	judgeCallers *openai.Callers
}

func newRoot(cfg config, log *slog.Logger, reg *scoring.Registry) *root {
	return &root{cfg: cfg, log: log, reg: reg, judgeCallers: openai.NewCallers(os.Getenv, nil)}
}

// connect makes sure the database exists, opens the pool and waits briefly for the
// server (a container may still be starting), and migrates when asked to.
func (r *root) connect(ctx context.Context, migrate bool) (*pgxpool.Pool, error) {
	created, err := postgres.EnsureDatabaseWithRetry(ctx, r.cfg.DatabaseURL, 10*time.Second)
	if err != nil {
		return nil, err
	}
	if created {
		r.log.Info("created database", "url", redactURL(r.cfg.DatabaseURL))
	}
	pool, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: r.cfg.DatabaseURL, MaxConns: int32(r.cfg.DatabasePoolSize), Logger: r.log})
	if err != nil {
		return nil, err
	}
	if migrate {
		m, err := postgres.NewMigrator(pool)
		if err != nil {
			pool.Close()
			return nil, err
		}
		res, err := m.Up(ctx)
		_ = m.Close()
		if err != nil {
			pool.Close()
			return nil, err
		}
		for _, mr := range res {
			r.log.Info("applied migration", "version", mr.Version, "source", mr.Source)
		}
	}
	return pool, nil
}

// openExisting connects to an existing database, creating nothing.
func (r *root) openExisting(ctx context.Context) (*pgxpool.Pool, error) {
	exists, err := postgres.DatabaseExists(ctx, r.cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if !exists {
		return nil, fmt.Errorf("the database of RLHF_DATABASE_URL (%s) does not exist; migrate up or serve creates it", redactURL(r.cfg.DatabaseURL))
	}
	return postgres.NewPool(ctx, postgres.PoolConfig{URL: r.cfg.DatabaseURL, MaxConns: int32(r.cfg.DatabasePoolSize), Logger: r.log})
}

func (r *root) deps(pool *pgxpool.Pool, stores ports.Stores, reg *scoring.Registry) app.Deps {
	return app.Deps{
		Stores: stores, Tx: postgres.NewTxRunner(pool),
		Clock: system.Clock{}, IDs: system.IDs{}, Registry: reg,
		Limits: app.Limits{MaxBatchItems: r.cfg.MaxBatchItems, MaxFieldBytes: r.cfg.MaxFieldBytes, MaxPageBytes: r.cfg.MaxPageBytes,
			BulkWriters: r.cfg.bulkWriters(), BulkStall: r.cfg.BulkStall},
	}
}

func (r *root) services(pool *pgxpool.Pool) (*cli.Backend, error) {
	d := r.deps(pool, postgres.NewStores(pool), r.reg)
	svc, err := app.NewServices(d)
	if err != nil {
		return nil, err
	}
	return &cli.Backend{Services: svc, Close: pool.Close}, nil
}

// open connects for a CLI command, migrating when AUTO_MIGRATE is on.
func (r *root) open(ctx context.Context) (*cli.Backend, error) {
	pool, err := r.connect(ctx, r.cfg.AutoMigrate)
	if err != nil {
		return nil, err
	}
	b, err := r.services(pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return b, nil
}

// migrate runs "migrate up|down|status". Status only reports: a missing database
// is an error, never created.
func (r *root) migrate(ctx context.Context, direction string, w io.Writer) error {
	var pool *pgxpool.Pool
	var err error
	if direction == "status" {
		pool, err = r.openExisting(ctx)
	} else {
		pool, err = r.connect(ctx, false)
	}
	if err != nil {
		return err
	}
	defer pool.Close()
	m, err := postgres.NewMigrator(pool)
	if err != nil {
		return err
	}
	defer m.Close()
	switch direction {
	case "up", "down":
		var res []postgres.MigrationResult
		if direction == "up" {
			res, err = m.Up(ctx)
		} else {
			res, err = m.Down(ctx)
		}
		if err != nil {
			return err
		}
		if len(res) == 0 {
			fmt.Fprintln(w, "nothing to do: the database is", map[string]string{"up": "up to date", "down": "at version 0"}[direction])
		}
		for _, mr := range res {
			fmt.Fprintf(w, "%s %d %s\n", mr.Direction, mr.Version, mr.Source)
		}
		return nil
	case "status":
		st, err := m.Status(ctx)
		if err != nil {
			return err
		}
		for _, s := range st {
			state := "pending"
			if s.Applied {
				state = "applied"
			}
			fmt.Fprintf(w, "%-8s %d %s\n", state, s.Version, s.Source)
		}
		return nil
	}
	return fmt.Errorf("unknown migrate command %q: use up, down or status", direction)
}

// serve runs the API until ctx ends, then drains in-flight requests within the
// shutdown timeout and closes the pool.
func (r *root) serve(ctx context.Context) error {
	pool, err := r.connect(ctx, r.cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	m := metrics.New(func() metrics.PoolStats {
		st := pool.Stat()
		return metrics.PoolStats{MaxConns: st.MaxConns(), TotalConns: st.TotalConns(), IdleConns: st.IdleConns(),
			AcquiredConns: st.AcquiredConns(), AcquireCount: st.AcquireCount(), EmptyAcquireCount: st.EmptyAcquireCount(),
			AcquireDuration: st.AcquireDuration()}
	})
	stores := postgres.NewStores(pool)
	var repl *postgres.Replication
	if r.cfg.ReadDatabaseURL != "" {
		replica, err := postgres.NewPool(ctx, postgres.PoolConfig{URL: r.cfg.ReadDatabaseURL, MaxConns: int32(r.cfg.DatabasePoolSize), Logger: r.log})
		if err != nil {
			return fmt.Errorf("read replica: %w", err)
		}
		defer replica.Close()
		repl = postgres.NewReplication(pool, replica, r.log, m.ObserveRead)
		stores = repl.Stores()
		r.log.Info("reading from a replica", "url", redactURL(r.cfg.ReadDatabaseURL))
	}
	d := r.deps(pool, stores, r.reg.WithObserver(m.ObserveScorer))
	svc, err := app.NewServices(d)
	if err != nil {
		return err
	}
	// Keys and evaluations are kept in memory while changes to them are heard.
	listenCtx, stopListening := context.WithCancel(ctx)
	listening := make(chan struct{})
	go func() {
		defer close(listening)
		postgres.ListenForChanges(listenCtx, pool, svc.Lookups, r.log, time.Second)
	}()
	defer func() { stopListening(); <-listening }()
	limiter, err := app.NewRateLimit(d, r.cfg.RateLimit, r.cfg.RateBurst)
	if err != nil {
		return err
	}
	services := httpapi.ServicesFrom(svc, postgres.NewPinger(pool))
	services.RateLimit = limiter
	if repl != nil {
		services.Consistency = repl
	}
	api, err := httpapi.New(services, httpapi.Config{
		MaxBodyBytes: r.cfg.MaxBodyBytes, MaxBatchItems: r.cfg.MaxBatchItems, Debug: r.cfg.Debug,
		RequestTimeout: r.cfg.RequestTimeout, ReadHeaderTimeout: r.cfg.ReadHeaderTimeout,
		Observer: m, MetricsHandler: m.Handler(),
		MaxScoreScorers: r.cfg.MaxScoreScorers, MaxScoreWork: r.cfg.MaxScoreWork,
	}, r.log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", r.cfg.addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", r.cfg.addr(), err)
	}
	var worker *postgres.Worker
	if r.cfg.Workers > 0 {
		if worker, err = r.startWorker(ctx, pool, d, svc); err != nil {
			_ = ln.Close()
			return err
		}
	}
	srv := api.HTTPServer(r.cfg.addr())
	if srv.Handler, err = r.dashboard(ctx, pool, d, svc, api.Handler()); err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	r.log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		if worker != nil {
			_ = r.stopWorker(ctx, worker)
		}
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	r.log.Info("shutting down", "timeout", r.cfg.ShutdownTimeout.String())
	// Requests and jobs drain at the same time, each within the timeout.
	workerDone := make(chan error, 1)
	go func() {
		if worker == nil {
			workerDone <- nil
			return
		}
		workerDone <- r.stopWorker(ctx, worker)
	}()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.ShutdownTimeout)
	defer cancel()
	var httpErr error
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		httpErr = fmt.Errorf("shutdown: in-flight requests did not finish within %s: %w", r.cfg.ShutdownTimeout, err)
	} else if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		httpErr = err
	}
	if err := errors.Join(httpErr, <-workerDone); err != nil {
		return err
	}
	r.log.Info("stopped")
	return nil
}

// runners builds the job runners every worker process registers.
func (r *root) runners(d app.Deps) ([]app.JobRunner, error) {
	purge, err := app.NewPurgeRunner(d, 0)
	if err != nil {
		return nil, err
	}
	rescore, err := app.NewRescoreRunner(d, 0)
	if err != nil {
		return nil, err
	}
	judge, err := app.NewJudgeRunner(d, r.judgeCallers)
	if err != nil {
		return nil, err
	}
	pending, err := app.NewPendingScoreRunner(d, r.judgeCallers)
	if err != nil {
		return nil, err
	}
	means, err := app.NewPromptMeansRunner(d)
	if err != nil {
		return nil, err
	}
	return []app.JobRunner{purge, rescore, judge, pending, means}, nil
}

// startWorker starts RLHF_WORKERS job workers on pool, with the periodic
// housekeeping, each hourly and once across all processes (River's leader
// schedules it): expired Idempotency-Key records are swept, and jobs finished
// longer than RLHF_JOB_RETENTION ago are pruned.
func (r *root) startWorker(ctx context.Context, pool *pgxpool.Pool, d app.Deps, svc app.Services) (*postgres.Worker, error) {
	runners, err := r.runners(d)
	if err != nil {
		return nil, err
	}
	sweep := postgres.PeriodicTask{Name: "sweep_idempotency_keys", Interval: time.Hour, Run: func(ctx context.Context) error {
		n, err := svc.Idempotency.Sweep(ctx)
		if n > 0 {
			r.log.Info("swept expired idempotency keys", "deleted", n)
		}
		return err
	}}
	periodic := []postgres.PeriodicTask{sweep}
	if r.cfg.JobRetention > 0 {
		periodic = append(periodic, postgres.PeriodicTask{Name: "prune_jobs", Interval: time.Hour, Run: func(ctx context.Context) error {
			n, err := svc.Jobs.Prune(ctx, r.cfg.JobRetention)
			if n > 0 {
				r.log.Info("pruned finished jobs", "deleted", n, "retention", r.cfg.JobRetention.String())
			}
			return err
		}})
	}
	w, err := postgres.NewWorker(pool, runners, postgres.WorkerConfig{
		Concurrency: r.cfg.Workers, JobTimeout: r.cfg.JobTimeout, RescueAfter: r.cfg.JobRescueAfter, Lease: r.cfg.JobLease,
		Periodic: periodic, Logger: r.log,
	})
	if err != nil {
		return nil, err
	}
	if err := w.Start(ctx); err != nil {
		return nil, err
	}
	r.log.Info("job workers started", "workers", r.cfg.Workers)
	return w, nil
}

// stopWorker lets running jobs finish within the shutdown timeout; those still
// running then go back to the queue, to be resumed by another worker.
func (r *root) stopWorker(ctx context.Context, w *postgres.Worker) error {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.ShutdownTimeout)
	defer cancel()
	if err := w.Stop(sctx); err != nil {
		return err
	}
	r.log.Info("job workers stopped")
	return nil
}

// work runs "worker": job workers only, until ctx ends.
func (r *root) work(ctx context.Context) error {
	if r.cfg.Workers < 1 {
		return fmt.Errorf("RLHF_WORKERS=%d: a worker process needs at least one worker", r.cfg.Workers)
	}
	pool, err := r.connect(ctx, r.cfg.AutoMigrate)
	if err != nil {
		return err
	}
	defer pool.Close()
	d := r.deps(pool, postgres.NewStores(pool), r.reg)
	svc, err := app.NewServices(d)
	if err != nil {
		return err
	}
	w, err := r.startWorker(ctx, pool, d, svc)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return r.stopWorker(ctx, w)
}

// dashboard builds the web dashboard and returns the handler that serves its pages
// and passes every other path to the API. It sweeps expired sessions hourly.
func (r *root) dashboard(ctx context.Context, pool *pgxpool.Pool, d app.Deps, svc app.Services, api http.Handler) (http.Handler, error) {
	store := postgres.NewWebStore(pool)
	sessions, err := app.NewSessions(d, store, 0)
	if err != nil {
		return nil, err
	}
	dash, err := app.NewDashboard(d, store)
	if err != nil {
		return nil, err
	}
	pages, err := web.New(web.ServicesFrom(svc, sessions, dash), r.log)
	if err != nil {
		return nil, err
	}
	go func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if _, err := sessions.Sweep(ctx); err != nil && ctx.Err() == nil {
				r.log.Warn("sweep dashboard sessions", "error", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return pages.Route(api), nil
}
