package oauth

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/store"
)

func TestMultiResourceMetadata(t *testing.T) {
	e := newMultiEnv(t, twoAPIs)
	tests := []struct {
		path, resource, name string
		scopes               []string
	}{
		{"/mcp/a", e.issuer + "/mcp/a", "API A (a)", []string{"a:read"}},
		{"/mcp/b", e.issuer + "/mcp/b", "API B (b)", []string{"b:read", "b:write"}},
		{"", e.issuer, "specgate", []string{"a:read", "b:read", "b:write"}},
	}
	for _, tc := range tests {
		t.Run("prm"+tc.path, func(t *testing.T) {
			_, md := getJSON(t, e.ts.URL+"/.well-known/oauth-protected-resource"+tc.path, nil)
			if md["resource"] != tc.resource || md["resource_name"] != tc.name || !slices.Equal(strs(md["scopes_supported"]), tc.scopes) ||
				!slices.Equal(strs(md["authorization_servers"]), []string{e.issuer}) {
				t.Fatalf("PRM = %v", md)
			}
		})
	}
	if p := e.browser().get(t, e.ts.URL+"/.well-known/oauth-protected-resource/mcp"); p.status != http.StatusNotFound {
		t.Errorf("PRM of /mcp (no such resource): %d", p.status)
	}
	_, as := getJSON(t, e.ts.URL+"/.well-known/oauth-authorization-server", nil)
	if got := strs(as["scopes_supported"]); !slices.Equal(got, []string{"a:read", "b:read", "b:write", "offline_access"}) {
		t.Errorf("AS scopes_supported = %v", got)
	}
	if e.srv.Resource() != e.issuer+"/mcp/a" || e.srv.ResourceMetadataURL() != e.issuer+"/.well-known/oauth-protected-resource/mcp/a" {
		t.Errorf("default resource %s, metadata %s", e.srv.Resource(), e.srv.ResourceMetadataURL())
	}
}

func TestMultiResourceChallenges(t *testing.T) {
	e := newMultiEnv(t, twoAPIs)
	issuerOnly := mintToken(t, e, []string{e.issuer}, e.clock.Now().Add(time.Hour))
	tests := []struct {
		path, token, want string
	}{
		{"/mcp/a", "", `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/a", scope="a:read"`},
		{"/mcp/b", "", `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/b", scope="b:read b:write"`},
		{"/mcp", "", `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/a", scope="a:read"`},
		// The bare issuer is no resource when there are several.
		{"/mcp/b", issuerOnly, `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/b", scope="b:read b:write", error="invalid_token"`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp := e.call(t, tc.path, tc.token)
			got := resp.Header.Get("WWW-Authenticate")
			if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(got, tc.want) {
				t.Fatalf("%d %q, want prefix %q", resp.StatusCode, got, tc.want)
			}
		})
	}
}

func TestResourcesConfigValidation(t *testing.T) {
	scopes := func() []string { return nil }
	tests := []struct {
		name      string
		resources []ResourceConfig
		want      string // "" = valid
	}{
		{"two", []ResourceConfig{{Path: "/mcp/a", Scopes: scopes}, {Path: "/mcp/b", Scopes: scopes}}, ""},
		{"nested paths", []ResourceConfig{{Path: "/mcp", Scopes: scopes}, {Path: "/mcp/b", Scopes: scopes}}, ""},
		{"duplicate", []ResourceConfig{{Path: "/mcp/a", Scopes: scopes}, {Path: "/mcp/a", Scopes: scopes}}, "listed twice"},
		{"no scopes", []ResourceConfig{{Path: "/mcp/a"}}, "Resources[0] (/mcp/a): Scopes is required"},
		{"wildcard", []ResourceConfig{{Path: "/mcp/{x}", Scopes: scopes}}, "Resources[0].Path"},
		{"quote", []ResourceConfig{{Path: `/mcp/"a`, Scopes: scopes}}, "plain path"},
		{"dot segment", []ResourceConfig{{Path: "/mcp/.", Scopes: scopes}}, "plain path"},
		{"trailing slash", []ResourceConfig{{Path: "/mcp/a/", Scopes: scopes}}, "not end with /"},
		{"reserved", []ResourceConfig{{Path: "/token", Scopes: scopes}}, "collides"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("http://127.0.0.1:8080")
			cfg.ScopesSupported = nil // not needed with Resources
			cfg.Resources = tc.resources
			_, err := New(cfg, store.NewMemory(store.MemoryOptions{}), &fakeAuth{})
			if tc.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestCanonicalResourceSeveral(t *testing.T) {
	s := &Server{issuer: "https://mcp.example.com"}
	s.resources = newResources(Config{Resources: []ResourceConfig{{Path: "/mcp/a"}, {Path: "/mcp/b"}}}, s.issuer)
	for raw, want := range map[string]string{
		"https://mcp.example.com/mcp/a":  "https://mcp.example.com/mcp/a",
		"HTTPS://MCP.example.com/mcp/b/": "https://mcp.example.com/mcp/b",
		"https://mcp.example.com":        "",
		"https://mcp.example.com/":       "",
		"https://mcp.example.com/mcp":    "",
		"https://mcp.example.com/mcp/c":  "",
	} {
		got, ok := s.canonicalResource(raw)
		if got != want || ok != (want != "") {
			t.Errorf("canonicalResource(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}
