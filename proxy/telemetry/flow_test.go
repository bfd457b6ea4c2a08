package telemetry_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/telemetry"
)

// TestFlowIsAuditedAndMeasuredWithoutSecrets drives a whole session —
// registration, a failed and a good login, consent, code exchange, refresh,
// two tool calls, revocation and a spec reload — through the real oauth,
// mcpserver, forward and refresh packages wired with Hooks, then checks
// the metrics, the audit records, request-ID propagation, and that no
// token, code, password, cookie or key reached the audit or the app log.
func TestFlowIsAuditedAndMeasuredWithoutSecrets(t *testing.T) {
	e := newFlowEnv(t)
	base := e.ts.URL
	secrets := []string{password, wrongPassword, pkceVerifier, string(globalSecret), string(cookieHash), string(cookieBlock)}

	reg, err := http.Post(base+"/register", "application/json", strings.NewReader(
		`{"client_name":"flow","redirect_uris":["`+redirectURI+`"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"]}`))
	if err != nil || reg.StatusCode != http.StatusCreated {
		t.Fatalf("register: %v %v", err, reg.Status)
	}
	var client struct {
		ID string `json:"client_id"`
	}
	_ = json.NewDecoder(reg.Body).Decode(&client)
	reg.Body.Close()

	code := authorize(t, base, client.ID, &secrets)
	tok := postForm(t, base+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {pkceVerifier}, "redirect_uri": {redirectURI}, "client_id": {client.ID}, "resource": {base + "/mcp"}})
	rt, _ := tok["refresh_token"].(string)
	tok2 := postForm(t, base+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {client.ID}, "resource": {base + "/mcp"}})
	access, rt2 := tok2["access_token"].(string), tok2["refresh_token"].(string)
	secrets = append(secrets, tok["access_token"].(string), rt, access, rt2)

	id1, body := toolCall(t, base, access, "getPet", "flow-req-1")
	if id1 != "flow-req-1" || !strings.Contains(body, "Rex") {
		t.Fatalf("getPet: request ID %q, body %s", id1, body)
	}
	id2, _ := toolCall(t, base, access, "getMissing", "bad id with spaces")
	if !telemetry.ValidRequestID(id2) || id2 == id1 {
		t.Fatalf("getMissing: request ID %q, want a fresh one", id2)
	}
	postForm(t, base+"/revoke", url.Values{"token": {rt2}, "token_type_hint": {"refresh_token"}, "client_id": {client.ID}})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go e.refresh.Run(ctx)
	e.refresh.Trigger()
	waitFor(t, func() bool {
		return strings.Contains(scrapeText(t, e.metrics), `specgate_spec_refreshes_total{api="pets",result="not_modified"} 1`)
	})

	e.upstream.mu.Lock()
	if !slices.Equal(e.upstream.ids, []string{id1, id2}) {
		t.Errorf("upstream saw request IDs %q, want %q", e.upstream.ids, []string{id1, id2})
	}
	e.upstream.mu.Unlock()

	checkFlowMetrics(t, scrapeText(t, e.metrics))
	checkFlowAudit(t, e.audit.String(), client.ID, id1, id2)
	for name, out := range map[string]string{"audit log": e.audit.String(), "app log": e.appLog.String()} {
		for _, s := range secrets {
			if len(s) >= 8 && strings.Contains(out, s) {
				t.Errorf("%s contains a secret (%.6s...)", name, s)
			}
		}
	}
	// Beyond the known values: nothing in the audit log may even look like
	// a token except the identifiers it is meant to hold.
	audit := e.audit.String()
	for _, marker := range []string{"ory_at_", "ory_rt_", "ory_ac_", "Bearer", "password", "secret"} {
		if strings.Contains(audit, marker) {
			t.Errorf("audit log contains %q", marker)
		}
	}
	tokenLike := regexp.MustCompile(`[A-Za-z0-9_~+/=.-]{20,}`)
	generatedID := regexp.MustCompile(`^[A-Z2-7]{26}$`)
	for _, line := range strings.Split(strings.TrimSpace(audit), "\n") {
		var rec map[string]any
		_ = json.Unmarshal([]byte(line), &rec)
		for k, v := range rec {
			text := fmt.Sprint(v)
			switch {
			case k == "client" && text == client.ID:
			case k == "request_id" && (text == id1 || generatedID.MatchString(text)):
			case tokenLike.MatchString(text):
				t.Errorf("audit field %s holds a token-looking string %q", k, text)
			}
		}
	}
}

func scrapeText(t *testing.T, m *telemetry.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// waitFor polls cond for up to 10s (the reload runs in the background).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
	}
}

func checkFlowMetrics(t *testing.T, text string) {
	t.Helper()
	for _, want := range []string{
		`specgate_tokens_total{event="issued"} 1`,
		`specgate_tokens_total{event="refreshed"} 1`,
		`specgate_tokens_total{event="revoked"} 1`,
		`specgate_logins_total{result="ok"} 1`,
		`specgate_logins_total{result="failed"} 1`,
		`specgate_tool_calls_total{api="pets",outcome="ok",tool="getPet"} 1`,
		`specgate_tool_calls_total{api="pets",outcome="error",tool="getMissing"} 1`,
		`specgate_tool_call_duration_seconds_count{api="pets",tool="getPet"} 1`,
		`specgate_upstream_requests_total{api="pets",status="200"} 1`,
		`specgate_upstream_requests_total{api="pets",status="404"} 1`,
		`specgate_upstream_request_duration_seconds_count{api="pets"} 2`,
		`specgate_spec_refreshes_total{api="pets",result="ok"} 1`,
		`specgate_spec_operations{api="pets"} 2`,
		`specgate_spec_info{api="pets",digest="`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if !regexp.MustCompile(`specgate_spec_info\{api="pets",digest="[^"]+",version="1.4.2"\} 1`).MatchString(text) {
		t.Errorf("spec_info does not show version 1.4.2")
	}
}

func checkFlowAudit(t *testing.T, out, clientID, id1, id2 string) {
	t.Helper()
	var got []string
	var recs []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, m["time"].(string)); err != nil {
			t.Errorf("audit time: %v", err)
		}
		recs = append(recs, m)
		got = append(got, m["event"].(string)+"/"+m["outcome"].(string))
	}
	want := []string{"login/failed", "login/ok", "grant/ok", "refresh/ok", "tool_call/ok", "tool_call/error", "revoke/ok"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit events = %v, want %v\n%s", got, want, out)
	}
	check := func(i int, field string, want any) {
		t.Helper()
		if g := recs[i][field]; !equalJSON(g, want) {
			t.Errorf("audit %s.%s = %v, want %v", got[i], field, g, want)
		}
	}
	check(0, "client", clientID)
	check(0, "user", nil) // the attempted user name is not recorded
	check(1, "user", "alice")
	check(2, "user", "alice")
	check(2, "client", clientID)
	check(2, "scopes", []any{"read", "offline_access"})
	check(3, "user", "alice")
	for i, id := range map[int]string{4: id1, 5: id2} {
		check(i, "user", "alice")
		check(i, "client", clientID)
		check(i, "api", "pets")
		check(i, "request_id", id)
		if _, ok := recs[i]["duration_ms"].(float64); !ok {
			t.Errorf("audit %s has no duration_ms", got[i])
		}
	}
	check(4, "tool", "getPet")
	check(4, "upstream_status", 200.0)
	check(5, "tool", "getMissing")
	check(5, "upstream_status", 404.0)
	check(6, "client", clientID)
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
