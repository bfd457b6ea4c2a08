package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/specs/demoapi"
)

func TestUpstreamLoginEndToEnd(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	if status, body, err := u.call(alice, "alice's plan"); err != nil || status != http.StatusCreated {
		t.Fatalf("create as alice: %d %s %v", status, body, err)
	}
	if got := u.titles(t, alice); !slices.Contains(got, "alice's plan") {
		t.Fatalf("alice's titles = %v", got)
	}
	p := u.principal()
	if p.Subject != "alice" || !slices.Equal(p.AllowedScopes, []string{"read", "write"}) {
		t.Fatalf("principal = %+v", p)
	}
	// The API saw alice's own token, never the MCP access token.
	for _, rr := range u.demo.Requests() {
		h := rr.Header.Get("Authorization")
		if !strings.HasPrefix(h, "Bearer demo_at_") {
			t.Fatalf("the API got Authorization %q", h)
		}
	}
	// The stored credential is encrypted: no token text in the store.
	sealed, err := u.st.GetUpstreamCredential(context.Background(), p.GrantID)
	if err != nil || strings.Contains(string(sealed), "demo_") {
		t.Fatalf("stored credential: %v, plaintext visible: %v", err, strings.Contains(string(sealed), "demo_"))
	}
	// The anonymous demo owner never saw alice's task.
	req, _ := http.NewRequest(http.MethodGet, u.demoSrv.URL+demoapi.BasePath+"/tasks?limit=100", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if got := decodeTitles(string(raw)); resp.StatusCode != http.StatusOK || len(got) == 0 || slices.Contains(got, "alice's plan") {
		t.Fatalf("anonymous demo owner: %d, titles %v", resp.StatusCode, got)
	}
}

func TestUpstreamLoginPageMessages(t *testing.T) {
	u := newUpEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := u.publicClient(t, redirect)
	_, challenge := pkce("m")
	b := u.browser()
	login := func(user, pass string) page {
		t.Helper()
		p := b.get(t, u.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
		lp := b.get(t, u.abs(p.location))
		fields, _ := inputs(t, lp.body)
		return b.post(t, u.ts.URL+"/login", url.Values{"csrf_token": {fields["csrf_token"]}, "request_id": {fields["request_id"]},
			"username": {user}, "password": {pass}})
	}
	if p := login("alice", "bob-password"); p.status != http.StatusUnauthorized || !strings.Contains(p.body, "Wrong username or password.") {
		t.Fatalf("wrong password: %d %s", p.status, p.body)
	}
	u.demoSrv.Close()
	p := login("alice", "alice-password")
	if p.status != http.StatusServiceUnavailable || !strings.Contains(p.body, "The API&#39;s login is unavailable right now.") {
		t.Fatalf("API down: %d %s", p.status, p.body)
	}
	if logs := u.logs.String(); !strings.Contains(logs, "the API's login is unavailable") || !strings.Contains(logs, "POST "+u.demoSrv.URL+"/api/v1/auth/login") {
		t.Fatalf("the log lacks the detail:\n%s", logs)
	}
}

// TestEveryAuthorizationNeedsItsOwnUpstreamLogin: a browser already signed
// in still sees the login page for a new authorization, because each grant
// must hold an upstream login of its own.
func TestEveryAuthorizationNeedsItsOwnUpstreamLogin(t *testing.T) {
	u := newUpEnv(t, nil)
	redirect := "http://127.0.0.1:9/cb"
	clientID := u.publicClient(t, redirect)
	_, challenge := pkce("n")
	b := u.browser()
	u.loginAndConsent(t, b, authParams(clientID, redirect, challenge), "bob", "bob-password", nil, "approve")
	lp := b.get(t, u.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
	var hops []string
	for lp.status == http.StatusSeeOther && len(hops) < 5 {
		hops = append(hops, lp.location)
		lp = b.get(t, u.abs(lp.location))
	}
	if lp.status != http.StatusOK || !strings.Contains(lp.body, `name="password"`) || !strings.HasPrefix(hops[len(hops)-1], "/login?") {
		t.Fatalf("second authorization: %d after %v, want the login form", lp.status, hops)
	}
	// Going straight to the consent page does not skip it either.
	fields, _ := inputs(t, lp.body)
	if cp := b.get(t, u.ts.URL+"/consent?request_id="+url.QueryEscape(fields["request_id"])); cp.status != http.StatusSeeOther ||
		!strings.HasPrefix(cp.location, "/login?") {
		t.Fatalf("consent without an upstream login: %d %q", cp.status, cp.location)
	}
}

func TestUpstreamTokenExpiryAndRefresh(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	grant := u.principal().GrantID
	first := u.demo.Requests()[0].Header.Get("Authorization")

	u.clock.Advance(demoTokenLifetime) // the upstream token expired
	u.titles(t, alice)
	second := lastAuthorization(u)
	if second == first {
		t.Fatal("the expired upstream token was used again")
	}
	if !strings.Contains(u.logs.String(), "upstream credential renewed") {
		t.Fatal("no renewal was logged")
	}

	// The MCP token refresh keeps the grant ID, and with it the credential.
	tr := u.refresh(t, alice.clientID, alice.refresh)
	if tr.status != http.StatusOK {
		t.Fatalf("MCP refresh: %d %v", tr.status, tr.body)
	}
	alice.access, alice.refresh = tr.str("access_token"), tr.str("refresh_token")
	u.titles(t, alice)
	if p := u.principal(); p.GrantID != grant {
		t.Fatalf("grant ID changed across the MCP refresh: %s -> %s", grant, p.GrantID)
	}
	if got := lastAuthorization(u); got != second {
		t.Fatal("the MCP refresh lost or changed the upstream credential")
	}

	// The credential's store expiry follows the refresh token: it is still
	// there long after the code it was bound with expired (10m + 1m). The
	// MCP access token (1h, on fosite's real clock) is still valid then.
	u.clock.Advance(20 * time.Minute)
	tr = u.refresh(t, alice.clientID, alice.refresh)
	if tr.status != http.StatusOK {
		t.Fatalf("second MCP refresh: %d %v", tr.status, tr.body)
	}
	alice.access = tr.str("access_token")
	u.titles(t, alice) // renews the upstream token again
}

func lastAuthorization(u *upEnv) string {
	reqs := u.demo.Requests()
	return reqs[len(reqs)-1].Header.Get("Authorization")
}

func TestUpstreamRefreshImpossibleEndsTheGrant(t *testing.T) {
	// With the token cache on, ending the grant must also drop alice's
	// cached access token at once.
	u := newUpEnv(t, func(c *Config, _ *upstreamlogin.Config) { c.TokenCacheTTL = time.Minute })
	alice := u.connect(t, "alice", "alice-password")
	bob := u.connect(t, "bob", "bob-password")
	u.titles(t, alice)
	grant := u.principal().GrantID

	u.demo.RevokeTokens("alice") // e.g. alice changed her password at the API
	u.clock.Advance(demoTokenLifetime)
	status, body, _ := u.call(alice, "")
	if status != http.StatusFailedDependency || body != ErrUpstreamLoginRequired.Error()+"\n" {
		t.Fatalf("tool call after the upstream login ended: %d %q", status, body)
	}
	if !strings.Contains(body, "sign in again") {
		t.Fatalf("the message does not ask to sign in again: %q", body)
	}
	if status, body, _ := u.call(alice, ""); status != http.StatusUnauthorized {
		t.Fatalf("MCP access token still works: %d %s", status, body)
	}
	if tr := u.refresh(t, alice.clientID, alice.refresh); tr.status != http.StatusBadRequest || tr.str("error") != "invalid_grant" {
		t.Fatalf("MCP refresh after the upstream login ended: %d %v", tr.status, tr.body)
	}
	if _, err := u.st.GetUpstreamCredential(context.Background(), grant); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the credential outlived its grant: %v", err)
	}
	// Bob is unaffected and logging in again fixes alice.
	u.titles(t, bob)
	alice = u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
}

func TestUpstreamRefreshEndpointDownKeepsTheGrant(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	u.refreshDown.Store(true)
	u.clock.Advance(demoTokenLifetime)
	status, body, _ := u.call(alice, "")
	if status != http.StatusFailedDependency || body != ErrUpstreamUnavailable.Error()+"\n" {
		t.Fatalf("tool call with the refresh endpoint down: %d %q", status, body)
	}
	u.refreshDown.Store(false)
	u.titles(t, alice) // the same grant recovers
}

func TestNoRefresherMeansLoginAgain(t *testing.T) {
	u := newUpEnv(t, func(c *Config, _ *upstreamlogin.Config) { c.UpstreamRefresher = noRefresh{} })
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	u.clock.Advance(demoTokenLifetime)
	if status, _, _ := u.call(alice, ""); status != http.StatusFailedDependency {
		t.Fatalf("status %d, want the login-required tool error", status)
	}
}

type noRefresh struct{}

func (noRefresh) Refresh(context.Context, *authn.UpstreamCredential) (*authn.UpstreamCredential, error) {
	return nil, fmt.Errorf("%w: no refresh endpoint", authn.ErrInvalidCredentials)
}

func TestRevocationDeletesTheUpstreamCredential(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	grant := u.principal().GrantID
	if _, err := u.st.GetUpstreamCredential(context.Background(), grant); err != nil {
		t.Fatal(err)
	}
	tr := u.postForm(t, "/revoke", url.Values{"token": {alice.access}, "client_id": {alice.clientID}}, "", "")
	if tr.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", tr.status, tr.body)
	}
	if _, err := u.st.GetUpstreamCredential(context.Background(), grant); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("credential after revocation: %v", err)
	}
}

// TestCredentialIsBoundToItsGrant: a ciphertext copied onto another grant
// does not decrypt there, and that grant ends instead of acting as the
// other user.
func TestCredentialIsBoundToItsGrant(t *testing.T) {
	u := newUpEnv(t, nil)
	alice := u.connect(t, "alice", "alice-password")
	u.titles(t, alice)
	aliceGrant := u.principal().GrantID
	bob := u.connect(t, "bob", "bob-password")
	u.titles(t, bob)
	bobGrant := u.principal().GrantID

	ctx := context.Background()
	stolen, _ := u.st.GetUpstreamCredential(ctx, aliceGrant)
	if err := u.st.SaveUpstreamCredential(ctx, bobGrant, stolen, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if status, body, _ := u.call(bob, ""); status != http.StatusFailedDependency || !strings.Contains(body, "sign in again") {
		t.Fatalf("bob with alice's ciphertext: %d %q", status, body)
	}
	if !strings.Contains(u.logs.String(), "upstream credential unreadable") {
		t.Fatal("the unreadable credential was not logged")
	}
	u.titles(t, alice)
}

// TestTwoUsersConcurrently runs both users' tool calls in parallel, across
// several upstream expiries (every caller then races to renew the same
// grant), and checks nobody ever sees the other's data. The demo rotates
// refresh tokens, so a grant renewed twice would end: renewal happens once.
func TestTwoUsersConcurrently(t *testing.T) {
	u := newUpEnv(t, nil)
	users := map[string]session{
		"alice": u.connect(t, "alice", "alice-password"),
		"bob":   u.connect(t, "bob", "bob-password"),
	}
	const workers, rounds, calls = 4, 3, 4
	for round := range rounds {
		u.clock.Advance(demoTokenLifetime) // every upstream token is now expired
		var wg sync.WaitGroup
		errs := make(chan error, 2*workers*calls)
		for name, s := range users {
			for w := range workers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						title := fmt.Sprintf("%s-secret-%d-%d-%d", name, round, w, i)
						if status, body, err := u.call(s, title); err != nil || status != http.StatusCreated {
							errs <- fmt.Errorf("%s create: %d %s %v", name, status, body, err)
							return
						}
						status, body, err := u.call(s, "")
						if err != nil || status != http.StatusOK {
							errs <- fmt.Errorf("%s list: %d %s %v", name, status, body, err)
							return
						}
						for _, got := range decodeTitles(body) {
							if strings.Contains(got, "-secret-") && !strings.HasPrefix(got, name+"-") {
								errs <- fmt.Errorf("%s sees %q", name, got)
								return
							}
						}
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if t.Failed() {
			return
		}
	}
	if n := strings.Count(u.logs.String(), "upstream credential renewed"); n != 2*rounds {
		t.Fatalf("%d renewals logged, want exactly %d (one per user per expiry)", n, 2*rounds)
	}
}
