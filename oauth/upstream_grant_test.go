package oauth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/oauth/vault"
)

// TestMCPRefreshKeepsGrantID proves what the upstream credential relies on:
// fosite's refresh flow keeps the request ID, so every token of a grant —
// first and refreshed, also a grace-window replay — names the same grant.
func TestMCPRefreshKeepsGrantID(t *testing.T) {
	e := newEnv(t, nil)
	clientID, tr := e.fullFlow(t)
	grantOf := func(access string) string {
		t.Helper()
		if resp := e.callMCP(t, http.MethodPost, access); resp.StatusCode != http.StatusOK {
			t.Fatalf("MCP call: %d", resp.StatusCode)
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		return e.lastPrincipal.GrantID
	}
	grant := grantOf(tr.str("access_token"))
	rt := tr.str("refresh_token")
	for i := range 3 {
		next := e.refresh(t, clientID, rt)
		if next.status != http.StatusOK {
			t.Fatalf("refresh %d: %d %v", i, next.status, next.body)
		}
		if g := grantOf(next.str("access_token")); g != grant {
			t.Fatalf("refresh %d moved the grant: %s -> %s", i, grant, g)
		}
		if i == 1 { // replay the rotated token within the grace window
			replay := e.refresh(t, clientID, rt)
			if replay.status != http.StatusOK || grantOf(replay.str("access_token")) != grant {
				t.Fatalf("grace-window replay: %d %v", replay.status, replay.body)
			}
		}
		rt = next.str("refresh_token")
	}
}

func TestVaultKeyRotation(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	p := u.principal()
	ctx := context.Background()
	want := lastAuthorization(u)

	rotated := func(seeds ...byte) *Server {
		cfg := testConfig(u.issuer)
		cfg.Vault = testKeyring(t, seeds...)
		srv, err := New(cfg, u.st, &fakeAuth{})
		if err != nil {
			t.Fatal(err)
		}
		srv.now = u.clock.Now
		return srv
	}
	next := rotated(2, 1)
	cred, err := next.UpstreamCredential(ctx, p)
	if err != nil || "Bearer "+cred.AccessToken != want {
		t.Fatalf("after adding a key: %v", err)
	}
	// An MCP refresh re-seals the credential with the new key ...
	next.extendUpstream(ctx, p.GrantID, p.Subject, u.clock.Now().Add(time.Hour))
	sealed, _ := u.st.GetUpstreamCredential(ctx, p.GrantID)
	if !next.cfg.Vault.IsCurrent(sealed) {
		t.Fatal("the credential was not re-sealed with the new key")
	}
	// ... so the old key can go.
	if _, err := rotated(2).UpstreamCredential(ctx, p); err != nil {
		t.Fatalf("after retiring the old key: %v", err)
	}
	// Losing every key a credential was sealed with ends the grant.
	if _, err := rotated(3).UpstreamCredential(ctx, p); !errors.Is(err, ErrUpstreamLoginRequired) {
		t.Fatalf("with an unrelated key: err = %v", err)
	}
}

func TestUpstreamConfigValidation(t *testing.T) {
	cfg := testConfig("http://127.0.0.1:1")
	cfg.UpstreamRefresher = noRefresh{}
	if _, err := New(cfg, store.NewMemory(store.MemoryOptions{}), &fakeAuth{}); err == nil || !strings.Contains(err.Error(), "needs a Vault") {
		t.Fatalf("refresher without vault: %v", err)
	}
	u := newUpEnv(t, func(c *Config, _ *upstreamlogin.Config) { c.Vault = nil })
	redirect := "http://127.0.0.1:9/cb"
	clientID := u.publicClient(t, redirect)
	_, challenge := pkce("v")
	b := u.browser()
	p := b.get(t, u.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
	lp := b.get(t, u.abs(p.location))
	fields, _ := inputs(t, lp.body)
	p = b.post(t, u.ts.URL+"/login", url.Values{"csrf_token": {fields["csrf_token"]}, "request_id": {fields["request_id"]},
		"username": {"alice"}, "password": {"alice-password"}})
	if p.status != http.StatusServiceUnavailable || !strings.Contains(u.logs.String(), "need Config.Vault") {
		t.Fatalf("upstream login without a vault: %d", p.status)
	}
	if _, err := u.srv.UpstreamCredential(context.Background(), &Principal{GrantID: "g"}); err == nil {
		t.Fatal("UpstreamCredential without a vault succeeded")
	}
}

func TestUpstreamAccessTokenAndRejection(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	p := u.principal()
	ctx := ContextWithPrincipal(context.Background(), p)

	token, sub, err := u.srv.UpstreamAccessToken(ctx)
	if err != nil || sub != "alice" || "Bearer "+token != lastAuthorization(u) {
		t.Fatalf("UpstreamAccessToken: token set %v, subject %q, %v", token != "", sub, err)
	}
	if _, _, err := u.srv.UpstreamAccessToken(context.Background()); err == nil {
		t.Fatal("a context without a principal yielded a token")
	}
	// A stale token (already replaced) is ignored; the current one is
	// marked expired, so the next call renews it although the API stated a
	// lifetime that has not passed.
	if err := u.srv.UpstreamCredentialRejected(ctx, p, "demo_at_stale"); err != nil {
		t.Fatal(err)
	}
	if again, _, _ := u.srv.UpstreamAccessToken(ctx); again != token {
		t.Fatal("a stale rejection changed the credential")
	}
	if err := u.srv.UpstreamCredentialRejected(ctx, p, token); err != nil {
		t.Fatal(err)
	}
	renewed, _, err := u.srv.UpstreamAccessToken(ctx)
	if err != nil || renewed == token || !strings.HasPrefix(renewed, "demo_at_") {
		t.Fatalf("after rejection: renewed %v, err %v", renewed != token, err)
	}
	u.titles(t, alice)
}

// BenchmarkUpstreamCredential measures the per-tool-call cost of a live
// credential: one store read, one decryption, one JSON decode.
func BenchmarkUpstreamCredential(b *testing.B) {
	cfg := testConfig("http://127.0.0.1:1")
	keys, err := vault.New(bytes.Repeat([]byte{1}, vault.KeySize))
	if err != nil {
		b.Fatal(err)
	}
	cfg.Vault = keys
	srv, err := New(cfg, store.NewMemory(store.MemoryOptions{}), &fakeAuth{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	cred := authn.UpstreamCredential{AccessToken: strings.Repeat("a", 300), RefreshToken: strings.Repeat("r", 300), Expiry: time.Now().Add(time.Hour)}
	if err := srv.saveGrantUpstream(ctx, "grant-1", &sealedUpstream{Subject: "alice", Cred: cred}); err != nil {
		b.Fatal(err)
	}
	p := &Principal{Subject: "alice", GrantID: "grant-1"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := srv.UpstreamCredential(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
}
