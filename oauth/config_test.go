package oauth

import (
	"bytes"
	"strings"
	"testing"

	"github.com/specgate/specgate/oauth/store"
)

func TestConfigValidation(t *testing.T) {
	st := store.NewMemory(store.MemoryOptions{})
	auth := &fakeAuth{}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{"valid", func(*Config) {}, ""},
		{"https public", func(c *Config) { c.PublicURL = "https://MCP.Example.com:443/" }, ""},
		{"missing public", func(c *Config) { c.PublicURL = "" }, "PublicURL is required"},
		{"public with path", func(c *Config) { c.PublicURL = "https://a.example/base" }, "must not have a path"},
		{"public with query", func(c *Config) { c.PublicURL = "https://a.example/?x" }, "without user info, query or fragment"},
		{"public ftp", func(c *Config) { c.PublicURL = "ftp://a.example" }, "scheme must be https or http"},
		{"http non-loopback", func(c *Config) { c.PublicURL = "http://a.example" }, "uses http on a non-loopback host"},
		{"http non-loopback allowed", func(c *Config) { c.PublicURL = "http://a.example"; c.AllowInsecureHTTP = true }, ""},
		{"mcp path trailing slash", func(c *Config) { c.MCPPath = "/mcp/" }, "MCPPath"},
		{"mcp path collision", func(c *Config) { c.MCPPath = "/token" }, "collides"},
		{"no scopes func", func(c *Config) { c.ScopesSupported = nil }, "ScopesSupported is required"},
		{"short secret", func(c *Config) { c.GlobalSecret = []byte("short") }, "GlobalSecret must be at least 32 bytes"},
		{"short rotated secret", func(c *Config) { c.RotatedGlobalSecrets = [][]byte{[]byte("x")} }, "RotatedGlobalSecrets[0]"},
		{"hash key", func(c *Config) { c.CookieHashKey = []byte("x") }, "CookieHashKey"},
		{"block key", func(c *Config) { c.CookieBlockKey = nil }, "CookieBlockKey"},
		{"access > refresh", func(c *Config) { c.Lifetimes.AccessToken = 48 * 3600e9; c.Lifetimes.RefreshToken = 3600e9 }, "must not exceed"},
		{"tiny lifetime", func(c *Config) { c.Lifetimes.AuthorizeCode = 1 }, "Lifetimes.AuthorizeCode"},
		{"grace too long", func(c *Config) { c.RefreshGraceWindow = 3600e9 }, "RefreshGraceWindow"},
		{"negative max clients", func(c *Config) { c.MaxClients = -1 }, "MaxClients"},
		{"static bad redirect", func(c *Config) {
			c.StaticClients = []StaticClient{{ID: "a", RedirectURIs: []string{"http://evil.example/cb"}}}
		}, "StaticClients[0]"},
		{"static url id", func(c *Config) {
			c.StaticClients = []StaticClient{{ID: "https://a.example/x", RedirectURIs: []string{"https://a.example/cb"}}}
		}, "must not be a URL"},
		{"static duplicate", func(c *Config) {
			c.StaticClients = []StaticClient{{ID: "a", RedirectURIs: []string{"https://a.example/cb"}}, {ID: "a", RedirectURIs: []string{"https://a.example/cb"}}}
		}, "duplicate"},
		{"static bad hash", func(c *Config) {
			c.StaticClients = []StaticClient{{ID: "a", SecretHash: "plain", RedirectURIs: []string{"https://a.example/cb"}}}
		}, "not a bcrypt hash"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig("http://127.0.0.1:8080")
			tc.mutate(&cfg)
			_, err := New(cfg, st, auth)
			if tc.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
	// Every problem is reported at once.
	cfg := testConfig("")
	cfg.GlobalSecret = nil
	_, err := New(cfg, st, auth)
	if err == nil || !strings.Contains(err.Error(), "PublicURL") || !strings.Contains(err.Error(), "GlobalSecret") {
		t.Fatalf("err = %v", err)
	}
	if _, err := New(testConfig("http://127.0.0.1"), nil, auth); err == nil {
		t.Fatal("nil store accepted")
	}
}

func TestCanonicalPublicURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://MCP.Example.COM/":     "https://mcp.example.com",
		"HTTPS://mcp.example.com":      "https://mcp.example.com",
		"https://mcp.example.com:443":  "https://mcp.example.com",
		"https://mcp.example.com:8443": "https://mcp.example.com:8443",
		"http://127.0.0.1:80":          "http://127.0.0.1",
		"http://[::1]:8080/":           "http://[::1]:8080",
		"http://[::1]":                 "http://[::1]",
		"http://LOCALHOST:3000":        "http://localhost:3000",
	} {
		got, err := canonicalPublicURL(in, false)
		if err != nil || got != want {
			t.Errorf("canonicalPublicURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestSecretHasher(t *testing.T) {
	ctx := t.Context()
	h := secretHasher{}
	hash, _ := h.Hash(ctx, []byte("s3cret"))
	if bytes.Contains(hash, []byte("s3cret")) || h.Compare(ctx, hash, []byte("s3cret")) != nil || h.Compare(ctx, hash, []byte("other")) == nil {
		t.Fatal("sha256 hashes")
	}
	bc := []byte(mustBcrypt(t, "s3cret"))
	if h.Compare(ctx, bc, []byte("s3cret")) != nil || h.Compare(ctx, bc, []byte("other")) == nil {
		t.Fatal("bcrypt hashes")
	}
	if h.Compare(ctx, nil, nil) == nil {
		t.Fatal("empty hash matched")
	}
}
