package oauth

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func TestFullCodeFlow(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://localhost:7777/callback"
	clientID := e.publicClient(t, redirect)
	verifier, challenge := pkce("abc")
	params := authParams(clientID, redirect, challenge)
	params.Set("scope", "read write offline_access")
	params.Set("prompt", "consent")
	params.Set("resource", e.srv.Resource())

	u := e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", nil, "approve")
	if got := u.Scheme + "://" + u.Host + u.Path; got != redirect {
		t.Fatalf("redirected to %s, want %s", got, redirect)
	}
	q := u.Query()
	if q.Get("state") != "state-1234567890" || q.Get("iss") != e.issuer || q.Get("code") == "" || q.Get("error") != "" {
		t.Fatalf("redirect query = %v", q)
	}

	tr := e.exchange(t, clientID, q.Get("code"), redirect, verifier, url.Values{"resource": {e.srv.Resource()}})
	if tr.status != http.StatusOK {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	if tr.str("token_type") != "Bearer" || tr.str("access_token") == "" || tr.str("refresh_token") == "" ||
		tr.str("scope") != "read write offline_access" || tr.body["expires_in"] == nil {
		t.Fatalf("token response = %v", tr.body)
	}
	if cc := tr.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("token response Cache-Control = %q", cc)
	}
	if resp := e.callMCP(t, http.MethodPost, tr.str("access_token")); resp.StatusCode != http.StatusOK {
		t.Fatalf("MCP call with fresh token: %d", resp.StatusCode)
	}
	p := e.lastPrincipal
	if p == nil || p.Subject != "alice" || p.ClientID != clientID || !slices.Equal(p.Scopes, []string{"read", "write", "offline_access"}) ||
		p.AllowedScopes != nil || !slices.Equal(p.Audience, []string{e.srv.Resource()}) || p.GrantID == "" {
		t.Fatalf("principal = %+v", p)
	}

	// Nothing secret ever reaches the log.
	logs := e.logs.String()
	for _, secret := range []string{q.Get("code"), tr.str("access_token"), tr.str("refresh_token"), "correct horse", verifier} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret %q", secret)
		}
	}
}

func TestAuthorizeRedirectErrors(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("x")
	tests := []struct {
		name    string
		mutate  func(url.Values)
		wantErr string
		state   bool
	}{
		{"no PKCE", func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, "invalid_request", true},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, "invalid_request", true},
		{"wrong resource", func(v url.Values) { v.Set("resource", "https://other.example/mcp") }, "invalid_target", true},
		{"resource with other path", func(v url.Values) { v.Set("resource", e.issuer+"/other") }, "invalid_target", true},
		{"response_type token", func(v url.Values) { v.Set("response_type", "token") }, "unsupported_response_type", true},
		{"no state", func(v url.Values) { v.Set("resource", "https://other.example/"); v.Del("state") }, "invalid_target", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := authParams(clientID, redirect, challenge)
			tc.mutate(params)
			p := e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
			if p.status != http.StatusSeeOther {
				t.Fatalf("status %d, body %s", p.status, p.body)
			}
			u, _ := url.Parse(p.location)
			q := u.Query()
			if !strings.HasPrefix(p.location, redirect) || q.Get("error") != tc.wantErr || q.Get("iss") != e.issuer {
				t.Fatalf("redirect %s", p.location)
			}
			if _, has := q["state"]; has != tc.state {
				t.Fatalf("state present = %v, want %v (%s)", has, tc.state, p.location)
			}
		})
	}
}

func TestAuthorizeAcceptsResourceVariants(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	upper := strings.Replace(strings.ToUpper(e.issuer), "HTTP://", "HTTP://", 1)
	for _, res := range []string{e.srv.Resource(), e.srv.Resource() + "/", e.issuer, e.issuer + "/", upper + "/mcp"} {
		params := authParams(clientID, redirect, "")
		_, params["code_challenge"] = pkceChallenge()
		params.Set("resource", res)
		p := e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?") {
			t.Errorf("resource %q: status %d location %q", res, p.status, p.location)
		}
	}
}

func pkceChallenge() (string, []string) {
	v, c := pkce("r")
	return v, []string{c}
}

func TestAuthorizeErrorPages(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("x")
	tests := []struct {
		name   string
		params url.Values
		status int
		text   string
	}{
		{"unknown client", authParams("nope", redirect, challenge), 400, "not registered"},
		{"missing client", authParams("", redirect, challenge), 400, "not registered"},
		{"unregistered redirect", authParams(clientID, "http://127.0.0.1:9/other", challenge), 400, "redirect"},
		{"foreign host redirect", authParams(clientID, "https://evil.example/cb", challenge), 400, "redirect"},
		{"loopback other host", authParams(clientID, "http://localhost:9/cb", challenge), 400, "redirect"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := e.browser().get(t, e.ts.URL+"/authorize?"+tc.params.Encode())
			if p.status != tc.status || p.location != "" || !strings.Contains(p.body, tc.text) ||
				!strings.Contains(p.header.Get("Content-Type"), "text/html") {
				t.Fatalf("status %d location %q body %.300s", p.status, p.location, p.body)
			}
		})
	}
}

func TestUserUnchecksScopeAndDeny(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	verifier, challenge := pkce("u")
	params := authParams(clientID, redirect, challenge)
	params.Set("scope", "read write admin")
	u := e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", []string{"write"}, "approve")
	tr := e.exchange(t, clientID, u.Query().Get("code"), redirect, verifier, nil)
	if tr.status != http.StatusOK || tr.str("scope") != "read admin" {
		t.Fatalf("exchange after unchecking write: %d %v", tr.status, tr.body)
	}

	u = e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", nil, "deny")
	q := u.Query()
	if q.Get("error") != "access_denied" || q.Get("state") != "state-1234567890" || q.Get("iss") != e.issuer || q.Get("code") != "" {
		t.Fatalf("deny redirect = %s", u)
	}
}

func TestUserAllowedScopesLimitGrant(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	verifier, challenge := pkce("b")
	params := authParams(clientID, redirect, challenge)
	params.Set("scope", "read write offline_access")
	b := e.browser()
	p := b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	lp := b.get(t, e.abs(p.location))
	f, _ := inputs(t, lp.body)
	p = b.post(t, e.ts.URL+"/login", url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]},
		"username": {"bob"}, "password": {"hunter22"}})
	cp := b.get(t, e.abs(p.location))
	f, boxes := inputs(t, cp.body)
	if !slices.Equal(boxes, []string{"read"}) {
		t.Fatalf("consent offers %v to a user allowed only read", boxes)
	}
	// A forged post for write is ignored.
	p = b.post(t, e.ts.URL+"/consent", url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]},
		"decision": {"approve"}, "scope": {"read", "write", "admin"}})
	u, _ := url.Parse(p.location)
	tr := e.exchange(t, clientID, u.Query().Get("code"), redirect, verifier, nil)
	if tr.status != http.StatusOK || tr.str("scope") != "read offline_access" {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	e.callMCP(t, http.MethodGet, tr.str("access_token"))
	if p := e.lastPrincipal; p == nil || !slices.Equal(p.AllowedScopes, []string{"read"}) || p.Subject != "bob" {
		t.Fatalf("principal = %+v", p)
	}
}

func TestUnknownScopesDroppedAndEmptyMeansAll(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	for _, scope := range []string{"openid email profile", "", "offline_access"} {
		verifier, challenge := pkce("s")
		params := authParams(clientID, redirect, challenge)
		params.Set("scope", scope)
		u := e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", nil, "approve")
		tr := e.exchange(t, clientID, u.Query().Get("code"), redirect, verifier, nil)
		want := "read write admin"
		if scope == "offline_access" {
			want += " offline_access"
		}
		if tr.status != http.StatusOK || tr.str("scope") != want {
			t.Errorf("scope %q: %d %v", scope, tr.status, tr.body)
		}
	}
}

func TestStateOptionalAndShort(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	for _, state := range []string{"", "ab"} {
		verifier, challenge := pkce("t")
		params := authParams(clientID, redirect, challenge)
		if state == "" {
			params.Del("state")
		} else {
			params.Set("state", state)
		}
		u := e.loginAndConsent(t, e.browser(), params, "alice", "correct horse", nil, "approve")
		q := u.Query()
		if _, has := q["state"]; has != (state != "") || q.Get("state") != state || q.Get("iss") != e.issuer {
			t.Fatalf("state %q: redirect %s", state, u)
		}
		if tr := e.exchange(t, clientID, q.Get("code"), redirect, verifier, nil); tr.status != http.StatusOK {
			t.Fatalf("state %q: exchange %d %v", state, tr.status, tr.body)
		}
	}
}

func TestLoggedInBrowserSkipsLoginAndRememberedConsent(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RememberConsent = 24 * 3600 * 1e9 })
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	b := e.browser()
	_, challenge := pkce("m")
	params := authParams(clientID, redirect, challenge)
	e.loginAndConsent(t, b, params, "alice", "correct horse", nil, "approve")

	p := b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	if !strings.HasPrefix(p.location, "/consent?") {
		t.Fatalf("logged-in browser sent to %q", p.location)
	}
	c := b.get(t, e.abs(p.location))
	if c.status != http.StatusSeeOther || !strings.HasPrefix(c.location, redirect) || !strings.Contains(c.location, "code=") {
		t.Fatalf("remembered consent: %d %q", c.status, c.location)
	}
	params.Set("prompt", "consent")
	p = b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	if c := b.get(t, e.abs(p.location)); c.status != http.StatusOK {
		t.Fatalf("prompt=consent must show the consent page, got %d", c.status)
	}
	params.Del("prompt")
	params.Set("scope", "read write admin") // wider than remembered
	p = b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	if c := b.get(t, e.abs(p.location)); c.status != http.StatusOK {
		t.Fatalf("wider scope must show the consent page, got %d", c.status)
	}
}

func TestPendingAuthorizationIsSingleUse(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("p")
	b := e.browser()
	e.loginAndConsent(t, b, authParams(clientID, redirect, challenge), "alice", "correct horse", nil, "approve")
	// Replaying the consent of a completed request fails; an unknown id too.
	for _, id := range []string{"unknown-id", ""} {
		p := b.get(t, e.ts.URL+"/consent?request_id="+id)
		if p.status != http.StatusBadRequest {
			t.Fatalf("consent for %q: %d", id, p.status)
		}
	}
	p := b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
	cp := b.get(t, e.abs(p.location))
	f, _ := inputs(t, cp.body)
	form := url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]}, "decision": {"approve"}}
	if first := b.post(t, e.ts.URL+"/consent", form); first.status != http.StatusSeeOther {
		t.Fatalf("first approve: %d", first.status)
	}
	if second := b.post(t, e.ts.URL+"/consent", form); second.status != http.StatusBadRequest {
		t.Fatalf("second approve: %d", second.status)
	}
	// Expired pending authorization.
	p = b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
	e.clock.Advance(11 * 60 * 1e9)
	if cp := b.get(t, e.abs(p.location)); cp.status != http.StatusBadRequest || !strings.Contains(cp.body, "expired") {
		t.Fatalf("expired pending: %d", cp.status)
	}
}
