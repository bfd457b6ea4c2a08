package telemetry

import (
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// durationBuckets cover fast cached answers up to the default 60s upstream
// timeout, in seconds.
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds specgate's Prometheus metrics on its own registry (never
// the global default one), together with the Go runtime and process
// collectors. All methods are safe for concurrent use; the Recorder methods
// do nothing on a nil *Metrics, so an unset recorder can be passed around.
type Metrics struct {
	reg *prometheus.Registry

	toolCalls   *prometheus.CounterVec
	toolDur     *prometheus.HistogramVec
	upstream    *prometheus.CounterVec
	upstreamDur *prometheus.HistogramVec
	refreshes   *prometheus.CounterVec
	specOps     *prometheus.GaugeVec
	specInfo    *prometheus.GaugeVec
	tokens      *prometheus.CounterVec
	logins      *prometheus.CounterVec
	throttled   *prometheus.CounterVec

	specMu sync.Mutex // serialises SpecState so one spec_info series remains per API
}

// NewMetrics registers every specgate metric on a new registry; version
// becomes the label of specgate_build_info.
func NewMetrics(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	}
	histogram := func(name, help string, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: durationBuckets}, labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m.toolCalls = counter("specgate_tool_calls_total", "MCP tools/call requests by API, tool and outcome (ok or error).", "api", "tool", "outcome")
	m.toolDur = histogram("specgate_tool_call_duration_seconds", "Duration of tools/call requests, including the upstream request.", "api", "tool")
	m.upstream = counter("specgate_upstream_requests_total", "Requests sent to the upstream API by HTTP status (\"error\": no response).", "api", "status")
	m.upstreamDur = histogram("specgate_upstream_request_duration_seconds", "Duration of upstream API requests, including reading the body.", "api")
	m.refreshes = counter("specgate_spec_refreshes_total", "Spec loads and reloads by result (ok, not_modified, failed).", "api", "result")
	m.specOps = gauge("specgate_spec_operations", "Operations (tools) in the catalog in force.", "api")
	m.specInfo = gauge("specgate_spec_info", "The spec in force: always 1, labelled with its digest and info.version.", "api", "digest", "version")
	m.tokens = counter("specgate_tokens_total", "OAuth token events (issued, refreshed, revoked).", "event")
	m.logins = counter("specgate_logins_total", "Sign-in attempts by result (ok, failed, throttled).", "result")
	m.throttled = counter("specgate_throttled_requests_total", "Requests refused by a rate limit, by kind.", "kind")
	build := gauge("specgate_build_info", "Build information: always 1.", "version", "goversion")
	build.WithLabelValues(version, runtime.Version()).Set(1)

	m.reg.MustRegister(m.toolCalls, m.toolDur, m.upstream, m.upstreamDur, m.refreshes, m.specOps, m.specInfo,
		m.tokens, m.logins, m.throttled, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Fixed label sets start at zero, so rate() and alerts work before the
	// first event.
	for _, e := range []string{TokenIssued, TokenRefreshed, TokenRevoked} {
		m.tokens.WithLabelValues(e)
	}
	for _, r := range []string{LoginOK, LoginFailed, LoginThrottled} {
		m.logins.WithLabelValues(r)
	}
	return m
}

// Registry returns the registry, e.g. to register more collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus text format (or OpenMetrics
// when the scraper asks for it).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorHandling:     promhttp.ContinueOnError,
		EnableOpenMetrics: true,
	})
}

// ToolCall implements Recorder.
func (m *Metrics) ToolCall(api, tool, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	m.toolCalls.WithLabelValues(api, tool, outcome).Inc()
	m.toolDur.WithLabelValues(api, tool).Observe(d.Seconds())
}

// Upstream implements Recorder.
func (m *Metrics) Upstream(api string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.upstream.WithLabelValues(api, statusLabel(status)).Inc()
	m.upstreamDur.WithLabelValues(api).Observe(d.Seconds())
}

// statusLabel keeps the status label to three-digit codes plus "error".
func statusLabel(status int) string {
	if status < 100 || status > 999 {
		return "error"
	}
	return strconv.Itoa(status)
}

// SpecRefresh implements Recorder.
func (m *Metrics) SpecRefresh(api, result string) {
	if m == nil {
		return
	}
	m.refreshes.WithLabelValues(api, result).Inc()
}

// SpecState implements Recorder. The previous specgate_spec_info series of
// api is removed, so exactly one remains per API.
func (m *Metrics) SpecState(api, digest, version string, ops int) {
	if m == nil {
		return
	}
	m.specOps.WithLabelValues(api).Set(float64(ops))
	m.specMu.Lock()
	defer m.specMu.Unlock()
	m.specInfo.DeletePartialMatch(prometheus.Labels{"api": api})
	m.specInfo.WithLabelValues(api, digest, version).Set(1)
}

// Token implements Recorder.
func (m *Metrics) Token(event string) {
	if m == nil {
		return
	}
	m.tokens.WithLabelValues(event).Inc()
}

// Login implements Recorder.
func (m *Metrics) Login(result string) {
	if m == nil {
		return
	}
	m.logins.WithLabelValues(result).Inc()
}

// Throttled implements Recorder.
func (m *Metrics) Throttled(kind string) {
	if m == nil {
		return
	}
	m.throttled.WithLabelValues(kind).Inc()
}
