package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestHooksOAuthEvents(t *testing.T) {
	tests := []struct {
		kind        string
		wantMetrics []string // lines the scrape must contain
		wantAudit   string   // event/outcome, "" for none
	}{
		{"token_issued", []string{`specgate_tokens_total{event="issued"} 1`}, "grant/ok"},
		{"token_refreshed", []string{`specgate_tokens_total{event="refreshed"} 1`}, "refresh/ok"},
		{"token_revoked", []string{`specgate_tokens_total{event="revoked"} 1`}, "revoke/ok"},
		{"login_ok", []string{`specgate_logins_total{result="ok"} 1`}, "login/ok"},
		{"login_failed", []string{`specgate_logins_total{result="failed"} 1`}, "login/failed"},
		{"login_throttled", []string{`specgate_logins_total{result="throttled"} 1`, `specgate_throttled_requests_total{kind="login"} 1`}, "login/throttled"},
		{"register_throttled", []string{`specgate_throttled_requests_total{kind="register"} 1`}, ""},
		{"something_new", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			m := NewMetrics("test")
			var audit bytes.Buffer
			h := Hooks{Metrics: m, Audit: NewAudit(&audit, nil)}
			h.OAuth(context.Background(), tt.kind, "alice", "client-1", []string{"read"})
			text := scrapeString(t, m)
			for _, want := range tt.wantMetrics {
				if !strings.Contains(text, want) {
					t.Errorf("metrics lack %s", want)
				}
			}
			recs := decodeLines(t, audit.String())
			if tt.wantAudit == "" {
				if len(recs) != 0 {
					t.Errorf("audit records %v, want none", recs)
				}
				return
			}
			if len(recs) != 1 || recs[0]["event"].(string)+"/"+recs[0]["outcome"].(string) != tt.wantAudit ||
				recs[0]["client"] != "client-1" {
				t.Errorf("audit records %v, want one %s for client-1", recs, tt.wantAudit)
			}
		})
	}
}

func TestHooksToolCallTakesUpstreamStatusOfItsRequest(t *testing.T) {
	var audit bytes.Buffer
	m := NewMetrics("test")
	h := Hooks{API: "pets", Metrics: m, Audit: NewAudit(&audit, nil),
		Identify: func(context.Context) Identity { return Identity{User: "bob", Client: "c", Scopes: []string{"read"}} }}
	op := &catalog.Operation{Name: "getPet"}

	ctx1 := ContextWithRequestID(context.Background(), "r1")
	ctx2 := ContextWithRequestID(context.Background(), "r2")
	h.Upstream(ctx1, 503, time.Millisecond)
	h.ToolCall(ctx2, op, true, time.Millisecond) // refused before any upstream request
	h.ToolCall(ctx1, op, true, 2*time.Millisecond)
	h.ToolCall(context.Background(), nil, false, 0) // ignored

	recs := decodeLines(t, audit.String())
	if len(recs) != 2 {
		t.Fatalf("%d audit records, want 2: %v", len(recs), recs)
	}
	if _, has := recs[0]["upstream_status"]; has || recs[0]["request_id"] != "r2" {
		t.Errorf("call without upstream request: %v", recs[0])
	}
	if recs[1]["upstream_status"] != json.Number("503") || recs[1]["request_id"] != "r1" || recs[1]["user"] != "bob" {
		t.Errorf("call with upstream 503: %v", recs[1])
	}
	text := scrapeString(t, m)
	for _, want := range []string{
		`specgate_tool_calls_total{api="pets",outcome="error",tool="getPet"} 2`,
		`specgate_upstream_requests_total{api="pets",status="503"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestHooksZeroValueIsSafe(t *testing.T) {
	var h Hooks
	ctx := context.Background()
	h.ToolCall(ctx, &catalog.Operation{Name: "x"}, false, time.Second)
	h.Upstream(ctx, 200, time.Second)
	h.Refresh("ok")
	h.SpecChanged(nil, catalog.New(nil))
	h.OAuth(ctx, "token_issued", "u", "c", nil)
}

// scrapeString returns the raw text exposition.
func scrapeString(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}
