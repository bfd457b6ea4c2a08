package oauth

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func getJSON(t *testing.T, u string, hdr map[string]string) (*http.Response, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	req.Host = "evil.example" // metadata must never derive from Host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp, body
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestMetadataDocuments(t *testing.T) {
	var public string
	e := newEnv(t, func(c *Config) {
		// Upper-case scheme/host and a trailing slash are canonicalised away.
		public = strings.ToUpper(strings.Replace(c.PublicURL, "127.0.0.1", "LocalHost", 1)) + "/"
		c.PublicURL = public
	})
	if e.issuer != strings.ToLower(strings.TrimSuffix(public, "/")) || !strings.HasPrefix(e.issuer, "http://localhost:") {
		t.Fatalf("issuer %q not canonical for %q", e.issuer, public)
	}

	resp, as := getJSON(t, e.ts.URL+"/.well-known/oauth-authorization-server", map[string]string{"MCP-Protocol-Version": "2025-11-25"})
	if resp.Header.Get("Access-Control-Allow-Origin") != "*" || resp.Header.Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("AS metadata headers: %v", resp.Header)
	}
	wantStr := map[string]string{
		"issuer":                 e.issuer,
		"authorization_endpoint": e.issuer + "/authorize",
		"token_endpoint":         e.issuer + "/token",
		"registration_endpoint":  e.issuer + "/register",
		"revocation_endpoint":    e.issuer + "/revoke",
	}
	for k, v := range wantStr {
		if as[k] != v {
			t.Errorf("%s = %v, want %s", k, as[k], v)
		}
	}
	wantList := map[string][]string{
		"response_types_supported":              {"code"},
		"code_challenge_methods_supported":      {"S256"},
		"token_endpoint_auth_methods_supported": {"none", "client_secret_post", "client_secret_basic"},
		"grant_types_supported":                 {"authorization_code", "refresh_token"},
		"scopes_supported":                      {"read", "write", "admin", "offline_access"},
	}
	for k, v := range wantList {
		if got := strs(as[k]); !slices.Equal(got, v) {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	if as["authorization_response_iss_parameter_supported"] != true || as["client_id_metadata_document_supported"] != true {
		t.Errorf("iss/CIMD flags: %v %v", as["authorization_response_iss_parameter_supported"], as["client_id_metadata_document_supported"])
	}

	for path, resource := range map[string]string{
		"/.well-known/oauth-protected-resource/mcp": e.issuer + "/mcp",
		"/.well-known/oauth-protected-resource":     e.issuer,
	} {
		resp, prm := getJSON(t, e.ts.URL+path, nil)
		if resp.Header.Get("Access-Control-Allow-Origin") != "*" {
			t.Errorf("%s: no CORS", path)
		}
		if prm["resource"] != resource || !slices.Equal(strs(prm["authorization_servers"]), []string{e.issuer}) ||
			!slices.Equal(strs(prm["scopes_supported"]), []string{"read", "write", "admin"}) ||
			!slices.Equal(strs(prm["bearer_methods_supported"]), []string{"header"}) {
			t.Errorf("%s = %v", path, prm)
		}
		// Byte-identical issuer everywhere.
		if strs(prm["authorization_servers"])[0] != as["issuer"] {
			t.Errorf("%s: authorization_servers[0] != issuer", path)
		}
	}
	if e.srv.ResourceMetadataURL() != e.issuer+"/.well-known/oauth-protected-resource/mcp" {
		t.Errorf("ResourceMetadataURL = %s", e.srv.ResourceMetadataURL())
	}

	// The iss on the redirect is the same string.
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("i")
	u := e.loginAndConsent(t, e.browser(), authParams(clientID, redirect, challenge), "alice", "correct horse", nil, "approve")
	if u.Query().Get("iss") != as["issuer"] {
		t.Errorf("redirect iss %q != issuer %q", u.Query().Get("iss"), as["issuer"])
	}

	// No OIDC discovery document; no method other than GET/HEAD/OPTIONS.
	if r, _ := http.Get(e.ts.URL + "/.well-known/openid-configuration"); r.StatusCode != http.StatusNotFound {
		t.Errorf("openid-configuration: %d", r.StatusCode)
	}
	if r, _ := http.Post(e.ts.URL+"/.well-known/oauth-authorization-server", "application/json", nil); r.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST metadata: %d", r.StatusCode)
	}
}

func TestMetadataFollowsScopeChanges(t *testing.T) {
	scopes := []string{"a"}
	e := newEnv(t, func(c *Config) {
		c.ScopesSupported = func() []string { return scopes }
		c.CIMD.Disabled = true
	})
	scopes = []string{"a", "b", "offline_access", "a"}
	_, as := getJSON(t, e.ts.URL+"/.well-known/oauth-authorization-server", nil)
	if got := strs(as["scopes_supported"]); !slices.Equal(got, []string{"a", "b", "offline_access"}) {
		t.Fatalf("scopes_supported = %v", got)
	}
	if as["client_id_metadata_document_supported"] != false {
		t.Fatal("CIMD advertised while disabled")
	}
	resp := e.callMCP(t, http.MethodPost, "")
	if got := resp.Header.Get("WWW-Authenticate"); !strings.Contains(got, `scope="a b"`) {
		t.Fatalf("challenge %q does not follow the scopes", got)
	}
}

func TestCORSPreflights(t *testing.T) {
	e := newEnv(t, nil)
	for _, path := range []string{"/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource",
		"/.well-known/oauth-authorization-server", "/register", "/token", "/revoke"} {
		req, _ := http.NewRequest(http.MethodOptions, e.ts.URL+path, nil)
		req.Header.Set("Origin", "http://localhost:6274")
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "mcp-protocol-version, content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != "*" ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "MCP-Protocol-Version") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("%s preflight: %d %v", path, resp.StatusCode, h)
		}
	}
	// Error responses of CORS endpoints carry the header too.
	tr := e.postForm(t, "/token", url.Values{"grant_type": {"authorization_code"}}, "", "")
	if tr.header.Get("Access-Control-Allow-Origin") != "*" {
		t.Error("token error without CORS header")
	}
}
