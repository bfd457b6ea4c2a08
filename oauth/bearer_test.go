package oauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

// mintToken stores an access token directly, for shapes the flow cannot
// produce (foreign audience, already expired).
func mintToken(t *testing.T, e *env, audience []string, expires time.Time) string {
	t.Helper()
	ctx := context.Background()
	sess := &store.Session{Subject: "alice"}
	sess.SetExpiresAt(fosite.AccessToken, expires)
	req := &fosite.Request{ID: "grant-" + t.Name(), Client: &store.Client{ID: "c"}, Form: url.Values{},
		GrantedScope: fosite.Arguments{"read"}, GrantedAudience: audience, Session: sess}
	token, sig, err := e.srv.strategy.GenerateAccessToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.CreateAccessTokenSession(ctx, sig, req); err != nil {
		t.Fatal(err)
	}
	return token
}

func TestRequireBearerChallenges(t *testing.T) {
	e := newEnv(t, nil)
	_, tr := e.fullFlow(t)
	valid := tr.str("access_token")
	revokedClient, tr2 := e.fullFlow(t)
	revokedTok := tr2.str("access_token")
	if r := e.postForm(t, "/revoke", url.Values{"token": {revokedTok}, "client_id": {revokedClient}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d", r.status)
	}
	wrongAud := mintToken(t, e, []string{"https://other.example/mcp"}, e.clock.Now().Add(time.Hour))
	expired := mintToken(t, e, []string{e.srv.Resource()}, e.clock.Now().Add(-time.Second))
	forged := "ory_at_" + strings.Repeat("A", 43) + "." + strings.Repeat("B", 43)

	base := `Bearer resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp", scope="read write admin"`
	tests := []struct {
		name    string
		header  []string
		errDesc bool
	}{
		{"missing", nil, false},
		{"basic scheme", []string{"Basic dXNlcjpwYXNz"}, false},
		{"empty bearer", []string{"Bearer "}, true},
		{"garbage", []string{"Bearer garbage"}, true},
		{"forged signature", []string{"Bearer " + forged}, true},
		{"expired", []string{"Bearer " + expired}, true},
		{"revoked", []string{"Bearer " + revokedTok}, true},
		{"wrong audience", []string{"Bearer " + wrongAud}, true},
		{"two headers", []string{"Bearer " + valid, "Bearer " + valid}, true},
		{"refresh token as access token", []string{"Bearer " + tr.str("refresh_token")}, true},
	}
	for _, tc := range tests {
		for _, method := range []string{http.MethodPost, http.MethodGet, http.MethodDelete} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				req, _ := http.NewRequest(method, e.ts.URL+"/mcp", strings.NewReader(`{"jsonrpc":"2.0"}`))
				for _, h := range tc.header {
					req.Header.Add("Authorization", h)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var body map[string]string
				_ = json.NewDecoder(resp.Body).Decode(&body)
				www := resp.Header.Get("WWW-Authenticate")
				if resp.StatusCode != http.StatusUnauthorized || body["error"] != "invalid_token" {
					t.Fatalf("status %d body %v", resp.StatusCode, body)
				}
				if !tc.errDesc && www != base {
					t.Fatalf("WWW-Authenticate = %q, want %q", www, base)
				}
				if tc.errDesc && (!strings.HasPrefix(www, base+`, error="invalid_token", error_description="`) || !strings.HasSuffix(www, `"`)) {
					t.Fatalf("WWW-Authenticate = %q", www)
				}
			})
		}
	}
	// Tokens are never read from the query string.
	resp, _ := http.Get(e.ts.URL + "/mcp?access_token=" + url.QueryEscape(valid))
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("token in query accepted: %d", resp.StatusCode)
	}
	// Case-insensitive scheme.
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/mcp", nil)
	req.Header.Set("Authorization", "bEaReR "+valid)
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("lower-case scheme refused: %d", resp.StatusCode)
	}
	// CORS preflights pass through to the MCP layer.
	req, _ = http.NewRequest(http.MethodOptions, e.ts.URL+"/mcp", nil)
	req.Header.Set("Origin", "http://localhost:6274")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("preflight: %d", resp.StatusCode)
	}
}

func TestGarbageTokensDoNotReachTheStore(t *testing.T) {
	e := newEnv(t, nil)
	counting := &countingStore{Store: e.st}
	e.srv.store = counting
	for _, tok := range []string{"garbage", "ory_at_x.y", "ory_at_" + strings.Repeat("A", 43) + "." + strings.Repeat("B", 43)} {
		if p, terr := e.srv.verifyAccessToken(context.Background(), tok); p != nil || terr == nil {
			t.Fatalf("%q accepted", tok)
		}
	}
	if counting.lookups != 0 {
		t.Fatalf("%d store lookups for tokens with bad signatures", counting.lookups)
	}
	valid := mintToken(t, e, []string{e.srv.Resource()}, e.clock.Now().Add(time.Hour))
	if p, terr := e.srv.verifyAccessToken(context.Background(), valid); p == nil || terr != nil {
		t.Fatalf("valid token refused: %+v", terr)
	}
	if counting.lookups != 1 {
		t.Fatalf("verification cost %d store lookups, want 1", counting.lookups)
	}
}

type countingStore struct {
	store.Store
	lookups int
}

func (c *countingStore) GetAccessTokenSession(ctx context.Context, sig string, s fosite.Session) (fosite.Requester, error) {
	c.lookups++
	return c.Store.GetAccessTokenSession(ctx, sig, s)
}

func TestWriteInsufficientScope(t *testing.T) {
	e := newEnv(t, nil)
	_, tr := e.fullFlow(t) // granted "read write"
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/mcp?need=admin", nil)
	req.Header.Set("Authorization", "Bearer "+tr.str("access_token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	want := `Bearer error="insufficient_scope", scope="admin read write", resource_metadata="` + e.srv.ResourceMetadataURL() + `"`
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("WWW-Authenticate") != want {
		t.Fatalf("status %d WWW-Authenticate %q, want %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), want)
	}
	var body map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&body)
	if body["error"] != "insufficient_scope" {
		t.Fatalf("body %v", body)
	}
	// Without a principal (no RequireBearer) only the needed scopes appear.
	rec := httptest.NewRecorder()
	e.srv.WriteInsufficientScope(rec, httptest.NewRequest(http.MethodPost, "/mcp", nil), []string{"write"})
	if got := rec.Header().Get("WWW-Authenticate"); !strings.Contains(got, `scope="write"`) {
		t.Fatalf("WWW-Authenticate = %q", got)
	}
}

func TestStoreFailureIsNotA401(t *testing.T) {
	e := newEnv(t, nil)
	valid := mintToken(t, e, []string{e.srv.Resource()}, e.clock.Now().Add(time.Hour))
	e.srv.store = failingStore{Store: e.st}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+valid)
	e.srv.RequireBearer(http.NotFoundHandler()).ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("store failure answered %d, want 503 (a 401 would make clients drop good tokens)", rec.Code)
	}
}

type failingStore struct{ store.Store }

func (failingStore) GetAccessTokenSession(context.Context, string, fosite.Session) (fosite.Requester, error) {
	return nil, context.DeadlineExceeded
}

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer  x.y", "Basic x", "Bearer", "Bearer a b", "", " Bearer\tq"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header.Set("Authorization", h)
		tok, problem, present := bearerToken(r)
		if tok != "" && (problem != "" || !present || strings.ContainsAny(tok, " \t")) {
			t.Fatalf("header %q: token %q problem %q present %v", h, tok, problem, present)
		}
	})
}
