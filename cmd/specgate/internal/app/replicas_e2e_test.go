package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
	"github.com/specgate/specgate/specs/demoapi"
)

// replicaSecret is the oauth.secret every replica shares.
const replicaSecret = "replica-test-secret-0123456789abcdefghij"

// TestReplicas runs two specgate processes that share one Redis (REDIS_URL,
// default redis://127.0.0.1:6379/0; the test fails if it is not reachable)
// behind a load balancer, and checks what a multi-replica deployment
// promises: OAuth state, revocations and spec changes are shared.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds specgate and runs replicas as processes; skipped with -short")
	}
	bin := buildSpecgate(t)
	t.Run("oauth", func(t *testing.T) { testReplicaOAuth(t, bin) })
	t.Run("spec change", func(t *testing.T) { testReplicaSpecChange(t, bin) })
}

// refreshGrace is the replicas' SPECGATE_OAUTH_REFRESH_GRACE.
const refreshGrace = 2 * time.Second

// revocationDelay is how soon every replica must refuse a revoked token
// (the validated-token cache is on, at its default TTL of 5s).
const revocationDelay = time.Second

func testReplicaOAuth(t *testing.T, bin string) {
	_, prefix := redistest.Real(t)
	upstream := httptest.NewServer(demoapi.New(demoapi.Options{}).Handler())
	t.Cleanup(upstream.Close)
	router := newReplicaRouter(t)
	base, mcpURL := router.URL(), router.URL()+"/mcp"
	env := []string{
		"SPECGATE_SPEC=" + upstream.URL + demoapi.SpecPath,
		"SPECGATE_REFRESH=0",
		"SPECGATE_PUBLIC_URL=" + base,
		"SPECGATE_STORE=" + redistest.URL(),
		"SPECGATE_REDIS_PREFIX=" + prefix,
		"SPECGATE_OAUTH_SECRET=" + replicaSecret,
		"SPECGATE_USERS_FILE=" + writeUsersFile(t, "alice", "bob", "carol"),
		"SPECGATE_OAUTH_REFRESH_GRACE=" + refreshGrace.String(),
	}
	start := func() (a, b *replica) {
		a, b = startReplica(t, bin, "A", env), startReplica(t, bin, "B", env)
		router.set(a)
		router.set(b)
		return a, b
	}
	a, b := start()
	viaA, viaB := pinned("A"), pinned("B")
	rejected := func(rt http.RoundTripper, token string) bool {
		status, body := callTool(t, mcpURL, rt, token)
		if status == http.StatusUnauthorized && strings.Contains(body, "invalid_token") {
			return true
		}
		if !callOK(status, body) {
			t.Fatalf("tools/call through %v: want success or 401 invalid_token, got %d %s", rt, status, body)
		}
		return false
	}
	mustWork := func(what string, rt http.RoundTripper, token string) {
		t.Helper()
		if status, body := callTool(t, mcpURL, rt, token); !callOK(status, body) {
			t.Fatalf("%s: tools/call through %v: %d %s", what, rt, status, body)
		}
	}
	mustReject := func(what string, rt http.RoundTripper, token string) {
		t.Helper()
		if !rejected(rt, token) {
			t.Fatalf("%s: replica %v still accepts the token", what, rt)
		}
	}

	// Register, log in and get a token, all through A.
	g1 := obtainGrant(t, base, viaA, "alice", allScopes)

	// tools/list and tools/call through B with an MCP client. Both replicas
	// call the one upstream, so a task made through B is there for A.
	cB := replicaClient(t, mcpURL, g1.Access, "B")
	if names := toolNames(t, cB); !strings.Contains(names, "createTask") || !strings.Contains(names, "deleteTask") {
		t.Fatalf("tools/list through B: %s", names)
	}
	res := call(t, cB, "createTask", map[string]any{"body": map[string]any{"title": "made through B"}})
	id, _ := structured(t, res)["id"].(string)
	if res.IsError || id == "" {
		t.Fatalf("createTask through B: %s", text(res))
	}
	if res := call(t, cB, "getTask", map[string]any{"taskId": id}); res.IsError || structured(t, res)["title"] != "made through B" {
		t.Fatalf("getTask through B: %s", text(res))
	}
	cA := replicaClient(t, mcpURL, g1.Access, "A")
	if res := call(t, cA, "getTask", map[string]any{"taskId": id}); res.IsError || structured(t, res)["title"] != "made through B" {
		t.Fatalf("getTask through A: %s", text(res))
	}

	// Refresh through B. The access token it replaces dies on both
	// replicas, including A, which has it in its validated-token cache.
	status, g1b, body := refresh(t, base, viaB, g1)
	rotated := time.Now()
	if status != http.StatusOK {
		t.Fatalf("refresh through B: %d %s", status, body)
	}
	mustReject("the rotated access token on B", viaB, g1.Access)
	d := waitUntil(t, revocationDelay, "A refuses the access token rotated away on B", func() bool { return rejected(viaA, g1.Access) })
	t.Logf("A refused the rotated access token %v after the refresh on B", d.Round(time.Millisecond))
	mustWork("the refreshed access token on A", viaA, g1b.Access)

	// The old refresh token within the grace window, through A (a client
	// retrying a refresh whose answer it lost): a new pair of the same grant.
	status, g1c, body := refresh(t, base, viaA, g1)
	if since := time.Since(rotated); since >= refreshGrace {
		t.Fatalf("test too slow: the retry came %v after the rotation, outside the %v grace window", since, refreshGrace)
	}
	if status != http.StatusOK {
		t.Fatalf("old refresh token within the grace window, through A: %d %s", status, body)
	}
	mustWork("the retry's access token on B", viaB, g1c.Access)
	mustWork("the first refresh's access token on B", viaB, g1b.Access)

	// After the window the old refresh token is refused, and reuse detection
	// revokes the whole grant, on every replica.
	time.Sleep(time.Until(rotated.Add(refreshGrace + 250*time.Millisecond)))
	mustWork("the retry's access token on B, cached", viaB, g1c.Access)
	status, _, body = refresh(t, base, viaA, g1)
	if status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("old refresh token after the grace window, through A: %d %s; want 400 invalid_grant", status, body)
	}
	d = waitUntil(t, revocationDelay, "B refuses the tokens of a grant revoked by reuse detection on A", func() bool {
		return rejected(viaB, g1c.Access) && rejected(viaB, g1b.Access)
	})
	t.Logf("B refused the grant revoked on A after %v", d.Round(time.Millisecond))
	if status, _, body := refresh(t, base, viaB, g1c); status != http.StatusBadRequest {
		t.Fatalf("refresh token of the revoked grant, through B: %d %s", status, body)
	}

	// A second user logs in through the load balancer without sticky
	// sessions: consecutive requests of one authorization alternate replicas.
	beforeA, beforeB := router.count("A"), router.count("B")
	g2 := obtainGrant(t, base, nil, "bob", allScopes)
	if nA, nB := router.count("A")-beforeA, router.count("B")-beforeB; nA < 3 || nB < 3 {
		t.Fatalf("the round-robin authorization did not alternate: A served %d requests, B %d", nA, nB)
	}
	mustWork("round-robin grant on A", viaA, g2.Access)
	mustWork("round-robin grant on B", viaB, g2.Access) // now in B's cache

	// Revoke through A: B refuses the token within a second.
	if status := revoke(t, base, viaA, g2.ClientID, g2.Access, "access_token"); status != http.StatusOK {
		t.Fatalf("revoke through A: %d", status)
	}
	mustReject("the revoked token on A", viaA, g2.Access)
	d = waitUntil(t, revocationDelay, "B refuses a token revoked on A", func() bool { return rejected(viaB, g2.Access) })
	t.Logf("B refused the token revoked on A after %v", d.Round(time.Millisecond))
	if status, _, body := refresh(t, base, viaB, g2); status != http.StatusBadRequest {
		t.Fatalf("refresh token of a revoked grant through B: %d %s", status, body)
	}

	// A third grant, made through B, survives a restart of both replicas,
	// which come back on new ports behind the same public URL.
	g3 := obtainGrant(t, base, viaB, "carol", allScopes)
	mustWork("carol on A", viaA, g3.Access)
	a.stop(t)
	b.stop(t)
	oldA, oldB := a.addr, b.addr
	a, b = start()
	if a.addr == oldA || b.addr == oldB {
		t.Logf("a replica got its old port back (%s, %s)", a.addr, b.addr)
	}
	mustWork("carol on A after the restart", viaA, g3.Access)
	mustWork("carol on B after the restart", viaB, g3.Access)
	for _, tok := range []string{g1.Access, g1b.Access, g1c.Access, g2.Access} {
		mustReject("a revoked token after the restart, A", viaA, tok)
		mustReject("a revoked token after the restart, B", viaB, tok)
	}
	status, g3b, body := refresh(t, base, viaB, g3)
	if status != http.StatusOK {
		t.Fatalf("refresh after the restart, through B: %d %s", status, body)
	}
	mustWork("carol's refreshed token on A", viaA, g3b.Access)
	c := replicaClient(t, mcpURL, g3b.Access, "A")
	if res := call(t, c, "getTask", map[string]any{"taskId": id}); res.IsError {
		t.Fatalf("getTask through A after the restart: %s", text(res))
	}
}

// replicaClient is an initialised 2026-07-28 MCP client with a bearer
// token whose every request goes to one replica through the router.
func replicaClient(t *testing.T, mcpURL, token, replica string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(mcpURL, transport.WithHTTPHeaders(map[string]string{
		"Authorization": "Bearer " + token,
		replicaHeader:   replica,
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "replica-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize through %s: %v", replica, err)
	}
	return c
}

// testReplicaSpecChange checks that a spec change loaded by one replica
// reaches the others in seconds: only A is told to reload (SIGHUP); B
// (whose own refresh is an hour away) hears A's announcement, reloads and
// notifies its connected MCP client.
func testReplicaSpecChange(t *testing.T, bin string) {
	_, prefix := redistest.Real(t)
	spec := &specServer{}
	spec.set(specWith("alpha"))
	ts := httptest.NewServer(spec)
	t.Cleanup(ts.Close)
	env := []string{
		"SPECGATE_SPEC=" + ts.URL + "/openapi.json",
		"SPECGATE_REFRESH=1h",
		"SPECGATE_AUTH=none",
		"SPECGATE_STORE=" + redistest.URL(),
		"SPECGATE_REDIS_PREFIX=" + prefix,
	}
	a := startReplica(t, bin, "A", env)
	b := startReplica(t, bin, "B", env)

	c := connect(t, b.URL()+"/mcp", false)
	acked := make(chan struct{}, 1)
	var changed atomic.Int64
	c.OnNotification(func(n mcp.JSONRPCNotification) {
		switch n.Method {
		case "notifications/subscriptions/acknowledged":
			select {
			case acked <- struct{}{}:
			default:
			}
		case "notifications/tools/list_changed":
			changed.Add(1)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := c.ListenAsync(ctx, mcp.SubscriptionFilter{ToolsListChanged: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	select {
	case <-acked:
	case <-time.After(10 * time.Second):
		t.Fatal("subscriptions/listen on B was not acknowledged")
	}
	if names := toolNames(t, c); names != "alpha" {
		t.Fatalf("tools on B before the change: %s", names)
	}

	spec.set(specWith("alpha", "beta"))
	hits := spec.hits.Load()
	a.signal(t, syscall.SIGHUP)
	d := waitUntil(t, 5*time.Second, "B serves the tool A loaded", func() bool { return toolNames(t, c) == "alpha beta" })
	t.Logf("B served the new spec %v after SIGHUP to A", d.Round(time.Millisecond))
	waitUntil(t, 5*time.Second, "the MCP client on B hears tools/list_changed", func() bool { return changed.Load() > 0 })
	if names := toolNames(t, connect(t, a.URL()+"/mcp", false)); names != "alpha beta" {
		t.Fatalf("tools on A after SIGHUP: %s", names)
	}
	if n := spec.hits.Load() - hits; n < 2 {
		t.Fatalf("the spec server saw %d fetches after the change; want one from each replica", n)
	}
	if !b.logs.contains("another replica announced a new spec version") {
		t.Fatal("B reloaded without logging that it followed another replica")
	}
}
