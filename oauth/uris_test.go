package oauth

import (
	"strings"
	"testing"
)

func TestValidRedirectURI(t *testing.T) {
	for uri, ok := range map[string]bool{
		"https://app.example/cb":               true,
		"https://app.example/cb?x=1":           true,
		"http://localhost/callback":            true,
		"http://localhost:5000/callback":       true,
		"http://127.0.0.1:5000/cb":             true,
		"http://[::1]:5000/cb":                 true,
		"http://app.example/cb":                false,
		"http://localhost.evil.example/":       false,
		"https://app.example/cb#frag":          false,
		"https://app.example/cb#":              false,
		"https://u@app.example/cb":             false,
		"cursor://anysphere/cb":                false,
		"/relative":                            false,
		"":                                     false,
		"https://" + strings.Repeat("a", 2001): false,
		// The consent page shows the host as the place the user is sent to:
		// a look-alike (Cyrillic а) or bidi-reordered host would pass for
		// another site there. Punycode shows what it is.
		"https://\u0430pple.com/cb":   false,
		"https://xn--pple-43d.com/cb": true,
		"https://a.com\u202e/cb":      false,
		"https://app.example\u200b/":  false,
	} {
		if err := validRedirectURI(uri); (err == nil) != ok {
			t.Errorf("validRedirectURI(%q) = %v, want ok=%v", uri, err, ok)
		}
	}
}

func TestMatchRedirectURI(t *testing.T) {
	registered := []string{"http://localhost/callback", "http://127.0.0.1:3000/cb?x=1", "https://app.example/cb"}
	for uri, ok := range map[string]bool{
		"http://localhost/callback":       true,
		"http://localhost:49152/callback": true,
		"http://LocalHost:1/callback":     true,
		"http://127.0.0.1:4000/cb?x=1":    true,
		"http://127.0.0.1:4000/cb":        false,
		"http://127.0.0.1:4000/callback":  false, // other host than registered for this path
		"http://localhost:1/callback/":    false,
		"http://localhost:1/Callback":     false,
		"https://localhost:1/callback":    false,
		"http://u@localhost:1/callback":   false,
		"https://app.example/cb":          true,
		"https://app.example:444/cb":      false,
		"https://app.example/cb/":         false,
		// Encoding, user info and zone tricks around the loopback rule.
		"http://localhost:1/c%61llback":            false,
		"http://localhost:1%2Fcallback":            false,
		"http://localhost:1@evil.example/callback": false,
		"http://[::1%25lo]:1/callback":             false,
		"http://localhost.:1/callback":             false,
	} {
		if got := matchRedirectURI(uri, registered); got != ok {
			t.Errorf("matchRedirectURI(%q) = %v, want %v", uri, got, ok)
		}
	}
}

func TestCanonicalResource(t *testing.T) {
	s := &Server{issuer: "https://mcp.example.com", resource: "https://mcp.example.com/mcp", cfg: Config{MCPPath: "/mcp"}}
	for raw, want := range map[string]string{
		"https://mcp.example.com/mcp":      s.resource,
		"https://mcp.example.com/mcp/":     s.resource,
		"HTTPS://MCP.EXAMPLE.COM/mcp":      s.resource,
		"https://mcp.example.com:443/mcp":  s.resource,
		"https://mcp.example.com":          s.issuer,
		"https://mcp.example.com/":         s.issuer,
		"https://mcp.example.com/MCP":      "",
		"https://mcp.example.com/mcp?x=1":  "",
		"https://mcp.example.com/mcp#x":    "",
		"http://mcp.example.com/mcp":       "",
		"https://mcp.example.com:8443/mcp": "",
		"https://evil.example/mcp":         "",
		"https://mcp.example.com/other":    "",
		"https://mcp.example.com/mcp//":    "",
		"mcp":                              "",
	} {
		got, ok := s.canonicalResource(raw)
		if got != want || ok != (want != "") {
			t.Errorf("canonicalResource(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
}

func FuzzCanonicalResource(f *testing.F) {
	s := &Server{issuer: "https://mcp.example.com", resource: "https://mcp.example.com/mcp", cfg: Config{MCPPath: "/mcp"}}
	for _, seed := range []string{"https://mcp.example.com/mcp", "HTTPS://MCP.example.com:443/mcp/", "https://x/%2e", "https://mcp.example.com/%6dcp"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if got, ok := s.canonicalResource(raw); ok && got != s.resource && got != s.issuer {
			t.Fatalf("canonicalResource(%q) = %q", raw, got)
		}
	})
}

func FuzzMatchRedirectURI(f *testing.F) {
	registered := []string{"http://localhost/callback", "https://app.example/cb"}
	for _, seed := range []string{"http://localhost:1/callback", "https://app.example/cb", "http://localhost:1/callback#x", "http://[::1]/callback"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		// A match is either exact or an http loopback URI.
		if matchRedirectURI(uri, registered) && uri != registered[1] {
			if !strings.HasPrefix(uri, "http://") || validRedirectURI(uri) != nil {
				t.Fatalf("%q matched", uri)
			}
		}
	})
}
