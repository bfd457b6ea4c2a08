package app_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/oauth/users"
)

func TestMetricsAndAuditLog(t *testing.T) {
	cfg := defaults(t)
	cfg.Auth = "oauth"
	dir := t.TempDir()
	cfg.UsersFile = filepath.Join(dir, "users.yaml")
	if err := users.AddUser(cfg.UsersFile, "alice", "password-of-alice", nil); err != nil {
		t.Fatal(err)
	}
	cfg.AuditLog = filepath.Join(dir, "audit.jsonl")
	a, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")

	token := authorize(t, base, "alice", "password-of-alice", []string{"tasks:read"})
	c := bearerClient(t, mcpURL, token)
	if res := call(t, c, "getTask", map[string]any{"taskId": "t1"}); res.IsError {
		t.Fatalf("getTask: %s", text(res))
	}
	got := lastRequest(t, a.Demo())
	if got.Header.Get("X-Request-Id") == "" {
		t.Error("the upstream request carries no X-Request-Id")
	}

	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`specgate_tool_calls_total{api="default",outcome="ok",tool="getTask"} 1`,
		`specgate_upstream_requests_total{api="default",status="200"}`,
		`specgate_tokens_total{event="issued"} 1`,
		`specgate_logins_total{result="ok"} 1`,
		`specgate_spec_operations{api="default"} 8`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}

	audit, err := os.ReadFile(cfg.AuditLog)
	if err != nil {
		t.Fatal(err)
	}
	log := string(audit)
	if !strings.Contains(log, `"event":"tool_call"`) || !strings.Contains(log, `"tool":"getTask"`) || !strings.Contains(log, `"user":"alice"`) || !strings.Contains(log, `"upstream_status":200`) {
		t.Errorf("audit log lacks the tool call:\n%s", log)
	}
	if !strings.Contains(log, `"event":"grant"`) && !strings.Contains(log, `"event":"token`) {
		t.Errorf("audit log lacks the grant:\n%s", log)
	}
	if strings.Contains(log, token) || strings.Contains(log, "password-of-alice") {
		t.Fatal("the audit log contains a token or password")
	}
}
