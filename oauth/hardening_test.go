package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/throttle"
)

// Regression tests of the security review: each names the attack it stops.

// An unauthenticated /authorize request is parked as a pending authorization
// with every parameter it carries; without a cap one request could park up
// to the server's 1 MB header limit.
func TestAuthorizeRefusesOversizedQuery(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("o")
	tests := []struct {
		name      string
		junk      int
		wantLogin bool
	}{
		{"ordinary request", 100, true},
		{"query over the form cap", maxFormBytes + 1, false},
		{"query of 512 KiB", 512 << 10, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := authParams(clientID, redirect, challenge)
			params.Set("junk", strings.Repeat("x", tc.junk))
			p := e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
			if tc.wantLogin {
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?") {
					t.Fatalf("status %d location %q", p.status, p.location)
				}
				return
			}
			if p.status != http.StatusRequestURITooLong || p.location != "" {
				t.Fatalf("status %d location %q, want 414 and no pending authorization", p.status, p.location)
			}
		})
	}
}

// Errors found before the user sees any page are redirected only to redirect
// URIs the operator vouches for (static clients) or that stay on the user's
// own computer (loopback): otherwise anyone could register a client with
// https://evil.example/ and use /authorize as an open redirector
// (RFC 9700 §4.11.2).
func TestAuthorizeErrorsNotRedirectedToUnvettedURIs(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.StaticClients = []StaticClient{{ID: "static-app", RedirectURIs: []string{"https://static.example/cb"}}}
	})
	httpsClient := e.publicClient(t, "https://evil.example/phish")
	loopClient := e.publicClient(t, "http://127.0.0.1:9/cb")
	_, challenge := pkce("r")
	noPKCE := func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }
	badResource := func(v url.Values) { v.Set("resource", "https://other.example/mcp") }
	tests := []struct {
		name, clientID, redirect string
		mutate                   func(url.Values)
		wantRedirect             bool
	}{
		{"registered https, no PKCE", httpsClient, "https://evil.example/phish", noPKCE, false},
		{"registered https, bad resource", httpsClient, "https://evil.example/phish", badResource, false},
		{"registered https, response_type token", httpsClient, "https://evil.example/phish", func(v url.Values) { v.Set("response_type", "token") }, false},
		{"registered loopback, no PKCE", loopClient, "http://127.0.0.1:9/cb", noPKCE, true},
		{"registered loopback, other port", loopClient, "http://127.0.0.1:4711/cb", badResource, true},
		{"static https, no PKCE", "static-app", "https://static.example/cb", noPKCE, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := authParams(tc.clientID, tc.redirect, challenge)
			tc.mutate(params)
			p := e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
			if tc.wantRedirect {
				u, _ := url.Parse(p.location)
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, tc.redirect) || u.Query().Get("error") == "" {
					t.Fatalf("status %d location %q, want an error redirect to %s", p.status, p.location, tc.redirect)
				}
				return
			}
			if p.status != http.StatusBadRequest || p.location != "" || !strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d location %q, want a 400 error page", p.status, p.location)
			}
		})
	}
}

// postFrom posts a form as if from the client address ip (see headerIP).
func (b *browser) postFrom(t *testing.T, u, ip string, form url.Values) page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Test-Client-IP", ip)
	return b.do(t, req)
}

// headerIP is a Config.ClientIP that believes a test header.
func headerIP(r *http.Request) string { return r.Header.Get("X-Test-Client-IP") }

// Per-IP throttles keyed by the full address are no limit for anyone with an
// IPv6 /64 (2^64 addresses), and an IPv4 client written as an IPv4-mapped
// IPv6 address would get a second allowance.
func TestThrottlePerIPGroupsAddresses(t *testing.T) {
	tests := []struct {
		name    string
		ips     []string // the last one must be refused
		refused bool
	}{
		{"one IPv6 /64", []string{"2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"}, true},
		{"IPv4 and IPv4-mapped", []string{"192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7"}, true},
		{"distinct /64s", []string{"2001:db8:1:2::1", "2001:db8:1:3::1", "2001:db8:1:4::1"}, false},
	}
	for _, tc := range tests {
		t.Run("login "+tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.ClientIP = headerIP
				c.Throttles.LoginPerIP = throttle.NewMemory(len(tc.ips)-1, time.Hour)
			})
			clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
			b, f := loginPage(t, e, clientID)
			for i, ip := range tc.ips {
				want := http.StatusUnauthorized
				if tc.refused && i == len(tc.ips)-1 {
					want = http.StatusTooManyRequests
				}
				if p := b.postFrom(t, e.ts.URL+"/login", ip, loginForm(f, "user"+ip, "wrong")); p.status != want {
					t.Fatalf("attempt %d from %s: %d, want %d", i, ip, p.status, want)
				}
			}
		})
		t.Run("register "+tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				c.ClientIP = headerIP
				c.Throttles.RegisterPerIP = throttle.NewMemory(len(tc.ips)-1, time.Hour)
			})
			for i, ip := range tc.ips {
				want := http.StatusCreated
				if tc.refused && i == len(tc.ips)-1 {
					want = http.StatusTooManyRequests
				}
				req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/register",
					strings.NewReader(`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-Test-Client-IP", ip)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Fatalf("registration %d from %s: %d, want %d", i, ip, resp.StatusCode, want)
				}
			}
		})
	}
}

// Unicode format characters (bidi overrides, zero-width characters) in a
// self-declared client name would reorder or hide text of the consent page
// around it.
func TestClientNameFormatCharactersDropped(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct{ name, sent, want string }{
		{"right-to-left override", "Safe \u202eppA liveE\u202c", "Safe ppA liveE"},
		{"zero-width characters", "Cl\u200baude\u200d Code\ufeff", "Claude Code"},
		{"left-to-right isolate", "\u2066Trusted\u2069 App", "Trusted App"},
		{"plain name kept", "Claude Code (specgate)", "Claude Code (specgate)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := e.registerClient(t, map[string]any{
				"client_name": tc.sent, "redirect_uris": []string{"http://127.0.0.1:9/cb"}, "token_endpoint_auth_method": "none",
			})
			if out["client_name"] != tc.want {
				t.Fatalf("client_name = %q, want %q", out["client_name"], tc.want)
			}
			stored, err := e.st.GetRegisteredClient(t.Context(), out["client_id"].(string))
			if err != nil || stored.Name != tc.want {
				t.Fatalf("stored name %q (err %v), want %q", stored.Name, err, tc.want)
			}
		})
	}
}
