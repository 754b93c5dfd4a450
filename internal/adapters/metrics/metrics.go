// Package metrics exposes the service's Prometheus metrics: HTTP requests by route
// and status, rows ingested, scorer latency, and connection pool statistics. It owns
// its own registry (no global default registry), served at /metrics.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// PoolStats is a snapshot of the database connection pool.
type PoolStats struct {
	MaxConns, TotalConns, IdleConns, AcquiredConns int32
	AcquireCount, EmptyAcquireCount                int64
	AcquireDuration                                time.Duration
}

// Metrics holds the collectors.
type Metrics struct {
	reg          *prometheus.Registry
	requests     *prometheus.CounterVec
	latency      *prometheus.HistogramVec
	rows         *prometheus.CounterVec
	scorer       *prometheus.HistogramVec
	scorerErrors *prometheus.CounterVec
	reads        *prometheus.CounterVec
}

// New builds the metrics; pool, when not nil, is read at every scrape.
func New(pool func() PoolStats) *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rlhf_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rlhf_http_request_duration_seconds", Help: "HTTP request latency by route pattern and method.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rlhf_rows_ingested_total", Help: "Rows created by ingest, by kind (responses, scores, comparisons).",
		}, []string{"kind"}),
		scorer: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rlhf_scorer_duration_seconds", Help: "Time one scorer took on one item, by scorer type.",
			Buckets: []float64{.00001, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05, .1, .5, 1, 5},
		}, []string{"type"}),
		scorerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rlhf_scorer_errors_total", Help: "Scorer failures (errors, panics, timeouts) by scorer type.",
		}, []string{"type"}),
		reads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "rlhf_db_routed_reads_total", Help: "Reads that may use a read replica, by where they ran (replica, primary).",
		}, []string{"target"}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.rows, m.scorer, m.scorerErrors, m.reads,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if pool != nil {
		m.reg.MustRegister(&poolCollector{stats: pool})
	}
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// ObserveRequest records one finished HTTP request.
func (m *Metrics) ObserveRequest(route, method string, status int, d time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	m.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(d.Seconds())
}

// AddRows counts created rows of a kind.
func (m *Metrics) AddRows(kind string, n int) {
	if n > 0 {
		m.rows.WithLabelValues(kind).Add(float64(n))
	}
}

// ObserveRead counts one routed read by where it ran.
func (m *Metrics) ObserveRead(target string) { m.reads.WithLabelValues(target).Inc() }

// ObserveScorer records one scorer run; it fits scoring.Observer.
func (m *Metrics) ObserveScorer(_, typ string, d time.Duration, err error) {
	m.scorer.WithLabelValues(typ).Observe(d.Seconds())
	if err != nil {
		m.scorerErrors.WithLabelValues(typ).Inc()
	}
}

type poolCollector struct{ stats func() PoolStats }

var (
	poolConns = prometheus.NewDesc("rlhf_db_pool_connections", "Database pool connections by state.", []string{"state"}, nil)
	poolMax   = prometheus.NewDesc("rlhf_db_pool_max_connections", "Database pool size limit.", nil, nil)
	poolAcq   = prometheus.NewDesc("rlhf_db_pool_acquires_total", "Connections acquired from the pool.", nil, nil)
	poolWait  = prometheus.NewDesc("rlhf_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", nil, nil)
	poolDur   = prometheus.NewDesc("rlhf_db_pool_acquire_seconds_total", "Total time spent acquiring connections.", nil, nil)
)

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{poolConns, poolMax, poolAcq, poolWait, poolDur} {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.IdleConns), "idle")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.AcquiredConns), "acquired")
	ch <- prometheus.MustNewConstMetric(poolConns, prometheus.GaugeValue, float64(s.TotalConns), "total")
	ch <- prometheus.MustNewConstMetric(poolMax, prometheus.GaugeValue, float64(s.MaxConns))
	ch <- prometheus.MustNewConstMetric(poolAcq, prometheus.CounterValue, float64(s.AcquireCount))
	ch <- prometheus.MustNewConstMetric(poolWait, prometheus.CounterValue, float64(s.EmptyAcquireCount))
	ch <- prometheus.MustNewConstMetric(poolDur, prometheus.CounterValue, s.AcquireDuration.Seconds())
}
