package app_test

import (
	"strings"
	"testing"
)

// TestUpstreamLoginCallsAsTheUser logs two of the demo API's own accounts in
// through specgate's login page (login.source upstream) and checks that each
// tool call reaches the API with that user's API token, never the MCP token,
// and that users never see each other's data.
func TestUpstreamLoginCallsAsTheUser(t *testing.T) {
	cfg := defaults(t)
	cfg.Auth = "oauth"
	cfg.Login.Source = "upstream"
	cfg.Upstream.Auth = "auto"
	a, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")
	demo := a.Demo()

	aliceToken := authorize(t, base, "alice", "alice-password", []string{"tasks:read", "tasks:write", "tasks:delete"})
	alice := bearerClient(t, mcpURL, aliceToken)
	res := call(t, alice, "createTask", map[string]any{"body": map[string]any{"title": "alice's secret plan"}})
	if res.IsError {
		t.Fatalf("alice createTask: %s", text(res))
	}
	got := lastRequest(t, demo)
	auth := got.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer ") || strings.Contains(auth, aliceToken) {
		t.Fatalf("upstream Authorization %q must be alice's API token, not the MCP token", auth)
	}

	// bob is a viewer: his role maps to tasks:read only.
	bobToken := authorize(t, base, "bob", "bob-password", []string{"tasks:read", "tasks:write"})
	bob := bearerClient(t, mcpURL, bobToken)
	if names := toolNames(t, bob); strings.Contains(names, "createTask") || !strings.Contains(names, "listTasks") {
		t.Fatalf("bob's tools: %s", names)
	}
	res = call(t, bob, "listTasks", map[string]any{"limit": 100})
	if res.IsError || strings.Contains(text(res), "secret plan") {
		t.Fatalf("bob must not see alice's task: %s", text(res))
	}
	if bobAuth := lastRequest(t, demo).Header.Get("Authorization"); bobAuth == auth || strings.Contains(bobAuth, bobToken) {
		t.Fatalf("bob's call used %q", bobAuth)
	}
	res = call(t, bob, "createTask", map[string]any{"body": map[string]any{"title": "x"}})
	if !res.IsError || !strings.Contains(text(res), "tasks:write") {
		t.Fatalf("bob createTask should be refused for lack of tasks:write: %s", text(res))
	}

	res = call(t, alice, "listTasks", map[string]any{"limit": 100})
	if res.IsError || !strings.Contains(text(res), "secret plan") {
		t.Fatalf("alice should see her task: %s", text(res))
	}

	// The API drops alice's access token before its stated expiry: the call
	// gets a 401, specgate renews the token with the refresh token and
	// repeats the call once, and the agent sees a normal result.
	demo.RevokeAccessTokens("alice")
	before := len(demo.Requests())
	res = call(t, alice, "getTask", map[string]any{"taskId": "t1"})
	if res.IsError {
		t.Fatalf("alice after her API token was revoked: %s", text(res))
	}
	reqs := demo.Requests()[before:]
	var statuses []string
	for _, r := range reqs {
		statuses = append(statuses, r.Method+" "+r.Path+" "+r.Header.Get("Authorization")[:14])
	}
	if len(reqs) != 2 || reqs[0].Header.Get("Authorization") == reqs[1].Header.Get("Authorization") {
		t.Fatalf("want the rejected call and its retry with a renewed token, got %v", statuses)
	}
}
