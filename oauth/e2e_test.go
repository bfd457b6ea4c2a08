package oauth

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestClientDiscoverySequence replays what Claude Code does against a fresh
// server (see the research notes, B.1): an unauthenticated MCP request, the
// discovery chain driven only by what the server returns, DCR, the browser
// flow, the code exchange and an authorized MCP request, then a refresh.
func TestClientDiscoverySequence(t *testing.T) {
	e := newEnv(t, nil)

	// 1. Unauthenticated POST /mcp -> 401 with resource_metadata and scope.
	resp := e.callMCP(t, http.MethodPost, "")
	www := resp.Header.Get("WWW-Authenticate")
	m := regexp.MustCompile(`^Bearer resource_metadata="([^"]+)", scope="([^"]+)"$`).FindStringSubmatch(www)
	if resp.StatusCode != http.StatusUnauthorized || m == nil {
		t.Fatalf("challenge %d %q", resp.StatusCode, www)
	}
	prmURL, scope := m[1], m[2]

	// 2. PRM from the header URL, then AS metadata of authorization_servers[0].
	_, prm := getJSON(t, strings.Replace(prmURL, e.issuer, e.ts.URL, 1), nil)
	asURL := strs(prm["authorization_servers"])[0]
	_, as := getJSON(t, strings.Replace(asURL, e.issuer, e.ts.URL, 1)+"/.well-known/oauth-authorization-server", nil)
	if as["issuer"] != asURL {
		t.Fatalf("issuer %v != authorization_servers[0] %v", as["issuer"], asURL)
	}
	if !contains(strs(as["scopes_supported"]), "offline_access") {
		t.Fatal("offline_access not advertised")
	}
	scope += " offline_access"

	// 3. DCR with Claude Code's body.
	redirect := "http://localhost:62376/callback"
	reg := e.registerClient(t, map[string]any{
		"client_name": "Claude Code (specgate)", "redirect_uris": []string{redirect},
		"grant_types": []string{"authorization_code", "refresh_token"}, "response_types": []string{"code"},
		"token_endpoint_auth_method": "none", "application_type": "native", "scope": scope,
	})
	clientID := reg["client_id"].(string)

	// 4. Authorization with prompt=consent and resource = PRM resource.
	verifier, challenge := pkce("cc")
	params := url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "code_challenge": {challenge},
		"code_challenge_method": {"S256"}, "redirect_uri": {redirect}, "state": {strings.Repeat("s", 43)},
		"scope": {scope}, "prompt": {"consent"}, "resource": {prm["resource"].(string)},
	}
	u := e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", nil, "approve")
	if u.Query().Get("iss") != as["issuer"] || u.Query().Get("state") != params.Get("state") {
		t.Fatalf("callback %s", u)
	}

	// 5. Code exchange exactly as Claude Code sends it (no scope).
	tr := e.postForm(t, "/token", url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")},
		"code_verifier": {verifier}, "redirect_uri": {redirect}, "resource": {prm["resource"].(string)},
		"client_id": {clientID}}, "", "")
	if tr.status != http.StatusOK {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	if got := e.callMCP(t, http.MethodPost, tr.str("access_token")); got.StatusCode != http.StatusOK {
		t.Fatalf("authorized MCP call: %d", got.StatusCode)
	}

	// 6. Refresh as after a server restart.
	r := e.postForm(t, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.str("refresh_token")},
		"resource": {prm["resource"].(string)}, "client_id": {clientID}}, "", "")
	if r.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	if got := r.str("scope"); got != "read write admin offline_access" {
		t.Fatalf("refreshed scope %q", got)
	}
}
