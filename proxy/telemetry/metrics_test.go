package telemetry

import (
	"maps"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape fetches the handler's text exposition and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d: %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("scrape: Content-Type %q, want the text format", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse scrape: %v", err)
	}
	return fams
}

// sample finds the sample of family name whose labels are exactly labels.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (*dto.Metric, bool) {
	f, ok := fams[name]
	if !ok {
		return nil, false
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, lp := range m.GetLabel() {
			got[lp.GetName()] = lp.GetValue()
		}
		if maps.Equal(got, labels) {
			return m, true
		}
	}
	return nil, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return -1
}

func TestMetricsExposeEveryEvent(t *testing.T) {
	m := NewMetrics("v1.2.3")
	m.ToolCall("pets", "listPets", OutcomeOK, 30*time.Millisecond)
	m.ToolCall("pets", "listPets", OutcomeOK, 3*time.Second)
	m.ToolCall("pets", "deletePet", OutcomeError, time.Millisecond)
	m.Upstream("pets", 200, 20*time.Millisecond)
	m.Upstream("pets", 404, 5*time.Millisecond)
	m.Upstream("pets", 0, time.Second)
	m.SpecRefresh("pets", "ok")
	m.SpecRefresh("pets", "not_modified")
	m.SpecRefresh("pets", "not_modified")
	m.SpecRefresh("pets", "failed")
	m.SpecState("pets", "sha256:abc", "1.0.0", 12)
	m.Token(TokenIssued)
	m.Token(TokenRefreshed)
	m.Token(TokenRefreshed)
	m.Login(LoginFailed)
	m.Login(LoginThrottled)
	m.Throttled("login")

	fams := scrape(t, m.Handler())
	tests := []struct {
		name   string
		labels map[string]string
		want   float64 // counter/gauge value, or histogram sample count
	}{
		{"specgate_tool_calls_total", map[string]string{"api": "pets", "tool": "listPets", "outcome": "ok"}, 2},
		{"specgate_tool_calls_total", map[string]string{"api": "pets", "tool": "deletePet", "outcome": "error"}, 1},
		{"specgate_tool_call_duration_seconds", map[string]string{"api": "pets", "tool": "listPets"}, 2},
		{"specgate_upstream_requests_total", map[string]string{"api": "pets", "status": "200"}, 1},
		{"specgate_upstream_requests_total", map[string]string{"api": "pets", "status": "404"}, 1},
		{"specgate_upstream_requests_total", map[string]string{"api": "pets", "status": "error"}, 1},
		{"specgate_upstream_request_duration_seconds", map[string]string{"api": "pets"}, 3},
		{"specgate_spec_refreshes_total", map[string]string{"api": "pets", "result": "ok"}, 1},
		{"specgate_spec_refreshes_total", map[string]string{"api": "pets", "result": "not_modified"}, 2},
		{"specgate_spec_refreshes_total", map[string]string{"api": "pets", "result": "failed"}, 1},
		{"specgate_spec_operations", map[string]string{"api": "pets"}, 12},
		{"specgate_spec_info", map[string]string{"api": "pets", "digest": "sha256:abc", "version": "1.0.0"}, 1},
		{"specgate_tokens_total", map[string]string{"event": "issued"}, 1},
		{"specgate_tokens_total", map[string]string{"event": "refreshed"}, 2},
		{"specgate_tokens_total", map[string]string{"event": "revoked"}, 0}, // pre-initialised
		{"specgate_logins_total", map[string]string{"result": "ok"}, 0},
		{"specgate_logins_total", map[string]string{"result": "failed"}, 1},
		{"specgate_logins_total", map[string]string{"result": "throttled"}, 1},
		{"specgate_throttled_requests_total", map[string]string{"kind": "login"}, 1},
		{"specgate_build_info", map[string]string{"version": "v1.2.3", "goversion": runtime.Version()}, 1},
	}
	for _, tt := range tests {
		got, ok := sample(fams, tt.name, tt.labels)
		if !ok {
			t.Errorf("%s%v: no such series; families: %v", tt.name, tt.labels, slices.Sorted(maps.Keys(fams)))
			continue
		}
		if v := value(got); v != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, v, tt.want)
		}
	}
	// The 3s call lands above the 2.5s bucket and below the 5s one.
	h, _ := sample(fams, "specgate_tool_call_duration_seconds", map[string]string{"api": "pets", "tool": "listPets"})
	for _, b := range h.GetHistogram().GetBucket() {
		want := uint64(0)
		if b.GetUpperBound() >= 0.05 {
			want = 1
		}
		if b.GetUpperBound() >= 5 {
			want = 2
		}
		if b.GetCumulativeCount() != want {
			t.Errorf("bucket le=%v: count %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), want)
		}
	}
	standard := []string{"go_goroutines"}
	if runtime.GOOS == "linux" {
		standard = append(standard, "process_cpu_seconds_total")
	}
	for _, name := range standard {
		if _, ok := fams[name]; !ok {
			t.Errorf("standard metric %s missing", name)
		}
	}
}

func TestSpecStateKeepsOneInfoSeriesPerAPI(t *testing.T) {
	m := NewMetrics("dev")
	m.SpecState("pets", "d1", "1.0", 3)
	m.SpecState("store", "s1", "2.0", 7)
	m.SpecState("pets", "d2", "1.1", 4)
	fams := scrape(t, m.Handler())
	var got []string
	for _, s := range fams["specgate_spec_info"].GetMetric() {
		var parts []string
		for _, lp := range s.GetLabel() {
			parts = append(parts, lp.GetName()+"="+lp.GetValue())
		}
		got = append(got, strings.Join(parts, ","))
	}
	slices.Sort(got)
	want := []string{"api=pets,digest=d2,version=1.1", "api=store,digest=s1,version=2.0"}
	if !slices.Equal(got, want) {
		t.Errorf("spec_info series = %v, want %v", got, want)
	}
	if s, _ := sample(fams, "specgate_spec_operations", map[string]string{"api": "pets"}); value(s) != 4 {
		t.Errorf("spec_operations{pets} = %v, want 4", value(s))
	}
}

func TestMetricsOwnRegistry(t *testing.T) {
	a, b := NewMetrics("a"), NewMetrics("b") // would panic on a shared registry
	a.Token(TokenIssued)
	fams := scrape(t, b.Handler())
	if s, _ := sample(fams, "specgate_tokens_total", map[string]string{"event": "issued"}); value(s) != 0 {
		t.Errorf("an event on one Metrics showed up in another: %v", value(s))
	}
}

func TestNilMetricsRecordsNothing(t *testing.T) {
	var m *Metrics
	var r Recorder = m
	r.ToolCall("a", "t", OutcomeOK, time.Second)
	r.Upstream("a", 200, time.Second)
	r.SpecRefresh("a", "ok")
	r.SpecState("a", "d", "v", 1)
	r.Token(TokenIssued)
	r.Login(LoginOK)
	r.Throttled("login")
}
