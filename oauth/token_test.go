package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// codeFor runs the browser flow for a new public client and returns what a
// token request needs.
func codeFor(t *testing.T, e *env, params func(url.Values)) (clientID, code, redirect, verifier string) {
	t.Helper()
	redirect = "http://127.0.0.1:9/cb"
	clientID = e.publicClient(t, redirect)
	verifier, challenge := pkce("k")
	p := authParams(clientID, redirect, challenge)
	if params != nil {
		params(p)
	}
	u := e.loginAndConsent(t, e.browser(), p, "alice", "correct horse", nil, "approve")
	return clientID, u.Query().Get("code"), redirect, verifier
}

func TestCodeExchangeRefusals(t *testing.T) {
	e := newEnv(t, nil)
	tests := []struct {
		name      string
		authorize func(url.Values)
		mutate    func(form url.Values)
		want      string
	}{
		{"wrong verifier", nil, func(f url.Values) { f.Set("code_verifier", strings.Repeat("z", 43)) }, "invalid_grant"},
		{"missing verifier", nil, func(f url.Values) { f.Del("code_verifier") }, "invalid_grant"},
		{"other redirect_uri", nil, func(f url.Values) { f.Set("redirect_uri", "http://127.0.0.1:9/other") }, "invalid_grant"},
		{"unknown code", nil, func(f url.Values) { f.Set("code", "ory_ac_bogus.bogus") }, "invalid_grant"},
		{"other client", nil, func(f url.Values) { f.Set("client_id", e.publicClient(t, "http://127.0.0.1:9/cb")) }, "invalid_grant"},
		{"unknown client", nil, func(f url.Values) { f.Set("client_id", "nope") }, "invalid_client"},
		{"foreign resource", nil, func(f url.Values) { f.Set("resource", "https://other.example/mcp") }, "invalid_target"},
		{"issuer resource for mcp grant", nil, func(f url.Values) { f.Set("resource", e.issuer) }, "invalid_target"},
		{"unsupported grant", nil, func(f url.Values) { f.Set("grant_type", "client_credentials") }, "unsupported_grant_type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clientID, code, redirect, verifier := codeFor(t, e, tc.authorize)
			form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
				"code_verifier": {verifier}, "client_id": {clientID}}
			tc.mutate(form)
			tr := e.postForm(t, "/token", form, "", "")
			if tr.status < 400 || tr.str("error") != tc.want || tr.header.Get("Cache-Control") != "no-store" {
				t.Fatalf("status %d body %v, want error %s", tr.status, tr.body, tc.want)
			}
		})
	}
	t.Run("resource bound at authorize is accepted in all spellings", func(t *testing.T) {
		for _, res := range []string{e.srv.Resource(), e.srv.Resource() + "/", strings.ToUpper(e.issuer[:4]) + e.issuer[4:] + "/mcp"} {
			clientID, code, redirect, verifier := codeFor(t, e, nil)
			if tr := e.exchange(t, clientID, code, redirect, verifier, url.Values{"resource": {res}}); tr.status != http.StatusOK {
				t.Errorf("resource %q: %d %v", res, tr.status, tr.body)
			}
		}
	})
	t.Run("issuer resource round trip", func(t *testing.T) {
		clientID, code, redirect, verifier := codeFor(t, e, func(v url.Values) { v.Set("resource", e.issuer) })
		tr := e.exchange(t, clientID, code, redirect, verifier, url.Values{"resource": {e.issuer}})
		if tr.status != http.StatusOK {
			t.Fatalf("exchange: %d %v", tr.status, tr.body)
		}
		if r := e.callMCP(t, http.MethodPost, tr.str("access_token")); r.StatusCode != http.StatusOK {
			t.Fatalf("token with issuer audience refused: %d", r.StatusCode)
		}
	})
}

func TestReusedCodeRevokesTokens(t *testing.T) {
	e := newEnv(t, nil)
	clientID, code, redirect, verifier := codeFor(t, e, nil)
	first := e.exchange(t, clientID, code, redirect, verifier, nil)
	if first.status != http.StatusOK {
		t.Fatalf("first exchange: %d %v", first.status, first.body)
	}
	second := e.exchange(t, clientID, code, redirect, verifier, nil)
	if second.status != http.StatusBadRequest || second.str("error") != "invalid_grant" {
		t.Fatalf("second exchange: %d %v", second.status, second.body)
	}
	if r := e.callMCP(t, http.MethodPost, first.str("access_token")); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("access token from a replayed code still works: %d", r.StatusCode)
	}
	if tr := e.refresh(t, clientID, first.str("refresh_token")); tr.str("error") != "invalid_grant" {
		t.Fatalf("refresh token from a replayed code still works: %d %v", tr.status, tr.body)
	}
}

func TestRefreshRotationAndGraceWindow(t *testing.T) {
	e := newEnv(t, nil)
	clientID, tr := e.fullFlow(t)
	at0, rt0 := tr.str("access_token"), tr.str("refresh_token")

	r1 := e.refresh(t, clientID, rt0)
	if r1.status != http.StatusOK || r1.str("refresh_token") == "" || r1.str("refresh_token") == rt0 ||
		r1.str("scope") != tr.str("scope") || r1.str("token_type") != "Bearer" {
		t.Fatalf("refresh: %d %v", r1.status, r1.body)
	}
	if r := e.callMCP(t, http.MethodGet, at0); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("access token of the rotated refresh token still valid: %d", r.StatusCode)
	}
	if r := e.callMCP(t, http.MethodGet, r1.str("access_token")); r.StatusCode != http.StatusOK {
		t.Fatalf("refreshed access token refused: %d", r.StatusCode)
	}
	if p := e.lastPrincipal; p.Subject != "alice" || len(p.Audience) != 1 || p.Audience[0] != e.srv.Resource() {
		t.Fatalf("refresh lost subject or audience: %+v", p)
	}

	// A client retrying with the just-rotated token within the window gets a
	// fresh pair of the same grant; nothing is revoked.
	e.clock.Advance(10 * time.Second)
	r2 := e.refresh(t, clientID, rt0)
	if r2.status != http.StatusOK || r2.str("refresh_token") == r1.str("refresh_token") {
		t.Fatalf("replay within grace window: %d %v", r2.status, r2.body)
	}
	for name, at := range map[string]string{"first": r1.str("access_token"), "replayed": r2.str("access_token")} {
		if r := e.callMCP(t, http.MethodGet, at); r.StatusCode != http.StatusOK {
			t.Fatalf("%s access token refused after grace replay: %d", name, r.StatusCode)
		}
	}

	// Outside the window the replay is reuse: invalid_grant and the grant dies.
	e.clock.Advance(25 * time.Second)
	r3 := e.refresh(t, clientID, rt0)
	if r3.status != http.StatusBadRequest || r3.str("error") != "invalid_grant" {
		t.Fatalf("replay after grace window: %d %v", r3.status, r3.body)
	}
	if r := e.refresh(t, clientID, r2.str("refresh_token")); r.str("error") != "invalid_grant" {
		t.Fatalf("grant survived reuse detection: %d %v", r.status, r.body)
	}
	if r := e.callMCP(t, http.MethodGet, r2.str("access_token")); r.StatusCode != http.StatusUnauthorized {
		t.Fatalf("access token survived reuse detection: %d", r.StatusCode)
	}
}

func TestRefreshGraceWindowDisabled(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RefreshGraceWindow = -1 })
	clientID, tr := e.fullFlow(t)
	if r := e.refresh(t, clientID, tr.str("refresh_token")); r.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	if r := e.refresh(t, clientID, tr.str("refresh_token")); r.str("error") != "invalid_grant" {
		t.Fatalf("replay without grace window: %d %v", r.status, r.body)
	}
}

func TestRefreshRefusals(t *testing.T) {
	e := newEnv(t, nil)
	clientID, tr := e.fullFlow(t)
	rt := tr.str("refresh_token")
	other := e.publicClient(t, "http://127.0.0.1:9/cb")
	tests := []struct {
		name string
		form url.Values
		want string
	}{
		{"other client", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {other}}, "invalid_grant"},
		{"foreign resource", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID},
			"resource": {"https://other.example/mcp"}}, "invalid_target"},
		{"garbage token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"ory_rt_x.y"}, "client_id": {clientID}}, "invalid_grant"},
	}
	for _, tc := range tests {
		if r := e.postForm(t, "/token", tc.form, "", ""); r.str("error") != tc.want {
			t.Errorf("%s: %d %v, want %s", tc.name, r.status, r.body, tc.want)
		}
	}
	// None of the refusals consumed the token. A scope parameter (mcp-remote
	// sends one) neither fails nor narrows the grant.
	r := e.postForm(t, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID},
		"scope": {"read openid"}}, "", "")
	if r.status != http.StatusOK || r.str("scope") != tr.str("scope") {
		t.Fatalf("refresh after refusals: %d %v", r.status, r.body)
	}
}

func TestRevocation(t *testing.T) {
	e := newEnv(t, nil)
	revoke := func(clientID, token, hint string) tokenResponse {
		form := url.Values{"token": {token}, "client_id": {clientID}}
		if hint != "" {
			form.Set("token_type_hint", hint)
		}
		return e.postForm(t, "/revoke", form, "", "")
	}
	t.Run("access token", func(t *testing.T) {
		clientID, tr := e.fullFlow(t)
		if r := revoke(clientID, tr.str("access_token"), "access_token"); r.status != http.StatusOK {
			t.Fatalf("revoke: %d %v", r.status, r.body)
		}
		if r := e.callMCP(t, http.MethodPost, tr.str("access_token")); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("revoked access token accepted: %d", r.StatusCode)
		}
	})
	t.Run("refresh token revokes the grant", func(t *testing.T) {
		clientID, tr := e.fullFlow(t)
		if r := revoke(clientID, tr.str("refresh_token"), ""); r.status != http.StatusOK {
			t.Fatalf("revoke: %d %v", r.status, r.body)
		}
		if r := e.refresh(t, clientID, tr.str("refresh_token")); r.str("error") != "invalid_grant" {
			t.Fatalf("revoked refresh token accepted: %d %v", r.status, r.body)
		}
		if r := e.callMCP(t, http.MethodPost, tr.str("access_token")); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("access token of a revoked grant accepted: %d", r.StatusCode)
		}
	})
	t.Run("unknown token is 200", func(t *testing.T) {
		clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
		if r := revoke(clientID, "ory_at_unknown.token", ""); r.status != http.StatusOK {
			t.Fatalf("revoke unknown: %d %v", r.status, r.body)
		}
	})
	t.Run("another client's token is not revoked", func(t *testing.T) {
		_, tr := e.fullFlow(t)
		other := e.publicClient(t, "http://127.0.0.1:9/cb")
		revoke(other, tr.str("access_token"), "")
		if r := e.callMCP(t, http.MethodPost, tr.str("access_token")); r.StatusCode != http.StatusOK {
			t.Fatalf("a client revoked another client's token: %d", r.StatusCode)
		}
	})
}

func TestConfidentialClientAndRegisteredClientTouch(t *testing.T) {
	e := newEnv(t, nil)
	redirect := "https://app.example/cb"
	reg := e.registerClient(t, map[string]any{"client_name": "Conf", "redirect_uris": []string{redirect},
		"token_endpoint_auth_method": "client_secret_post"})
	clientID, secret := reg["client_id"].(string), reg["client_secret"].(string)
	created, _ := e.st.GetRegisteredClient(t.Context(), clientID)
	e.clock.Advance(time.Minute) // small: fosite stamps expiries with the real clock

	verifier, challenge := pkce("c")
	u := e.loginAndConsent(t, e.browser(), authParams(clientID, redirect, challenge), "alice", "correct horse", nil, "approve")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {clientID}, "client_secret": {"wrong"}}
	if r := e.postForm(t, "/token", form, "", ""); r.str("error") != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", r.status, r.body)
	}
	form.Set("client_secret", secret)
	tr := e.postForm(t, "/token", form, "", "")
	if tr.status != http.StatusOK {
		t.Fatalf("client_secret_post exchange: %d %v", tr.status, tr.body)
	}
	// client_secret_basic works too for the same client.
	r := e.postForm(t, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tr.str("refresh_token")}}, clientID, secret)
	if r.status != http.StatusOK {
		t.Fatalf("client_secret_basic refresh: %d %v", r.status, r.body)
	}
	touched, _ := e.st.GetRegisteredClient(t.Context(), clientID)
	if touched.LastUsedAt.IsZero() || !touched.ExpiresAt.After(created.ExpiresAt) {
		t.Fatalf("token issuance did not extend the client's life: %v -> %v", created.ExpiresAt, touched.ExpiresAt)
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Fatal("client secret logged")
	}
}

func TestStaticClients(t *testing.T) {
	secretHash := mustBcrypt(t, "static-secret")
	e := newEnv(t, func(c *Config) {
		c.StaticClients = []StaticClient{
			{ID: "cli", RedirectURIs: []string{"http://localhost/callback"}, Name: "CLI"},
			{ID: "web", SecretHash: secretHash, RedirectURIs: []string{"https://web.example/cb"}, Name: "Web"},
		}
	})
	verifier, challenge := pkce("s")
	u := e.loginAndConsent(t, e.browser(), authParams("cli", "http://localhost:43210/callback", challenge), "alice", "correct horse", nil, "approve")
	if tr := e.exchange(t, "cli", u.Query().Get("code"), "http://localhost:43210/callback", verifier, nil); tr.status != http.StatusOK {
		t.Fatalf("static public client: %d %v", tr.status, tr.body)
	}
	u = e.loginAndConsent(t, e.browser(), authParams("web", "https://web.example/cb", challenge), "alice", "correct horse", nil, "approve")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {"https://web.example/cb"},
		"code_verifier": {verifier}}
	if tr := e.postForm(t, "/token", form, "web", "static-secret"); tr.status != http.StatusOK {
		t.Fatalf("static confidential client: %d %v", tr.status, tr.body)
	}
}
