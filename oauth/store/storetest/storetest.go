// Package storetest is the conformance suite for store.Store implementations.
// Every implementation (memory now, Redis later) runs the same Run.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

// Harness is one fresh, empty store under test plus control over its clock.
type Harness struct {
	Store store.Store
	// Now is the store's current time.
	Now func() time.Time
	// Advance moves the store's clock forward by d (for a server-backed store,
	// also its key TTLs, e.g. miniredis FastForward).
	Advance func(d time.Duration)
}

// Clock is a fake clock implementations can hand to their store and harness.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Run runs the whole conformance suite; newHarness is called once per subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"Clients", testClients},
		{"ClientExpiryAndTouch", testClientExpiry},
		{"RequestRoundTrip", testRoundTrip},
		{"AuthorizeCodes", testAuthorizeCodes},
		{"PKCE", testPKCE},
		{"AccessTokens", testAccessTokens},
		{"RefreshTokens", testRefreshTokens},
		{"PendingAuthorizations", testPending},
		{"Consents", testConsents},
		{"ClientAssertionJTIs", testJTIs},
		{"UpstreamCredentials", testUpstreamCredentials},
		{"Concurrency", testConcurrency},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			if h.Store == nil || h.Now == nil || h.Advance == nil {
				t.Fatal("harness must set Store, Now and Advance")
			}
			tc.fn(t, h)
		})
	}
}

var ctx = context.Background()

// request builds a token request for grant id with the given expiries.
func request(h Harness, id string, allowed []string) *fosite.Request {
	now := h.Now()
	sess := &store.Session{Subject: "alice", Username: "Alice", AllowedScopes: allowed}
	sess.SetExpiresAt(fosite.AuthorizeCode, now.Add(10*time.Minute))
	sess.SetExpiresAt(fosite.AccessToken, now.Add(time.Hour))
	sess.SetExpiresAt(fosite.RefreshToken, now.Add(24*time.Hour))
	return &fosite.Request{
		ID:                id,
		RequestedAt:       now.Truncate(time.Second),
		Client:            &store.Client{ID: "client-1", Public: true, RedirectURIs: []string{"http://localhost/cb"}, SecretHash: []byte("hash")},
		RequestedScope:    fosite.Arguments{"read", "write"},
		GrantedScope:      fosite.Arguments{"read"},
		RequestedAudience: fosite.Arguments{"https://mcp.example/mcp"},
		GrantedAudience:   fosite.Arguments{"https://mcp.example/mcp"},
		Form:              url.Values{"redirect_uri": {"http://localhost:5000/cb"}, "scope": {"read write"}},
		Session:           sess,
	}
}

func mustNotFound(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("%s: err = %v, want ErrNotFound", what, err)
	}
}

func mustOK(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func near(a, b time.Time) bool {
	d := a.Sub(b)
	return d < time.Second && d > -time.Second
}

func testClients(t *testing.T, h Harness) {
	st := h.Store
	c := &store.Client{
		ID: "c1", SecretHash: []byte("$2a$10$x"), RedirectURIs: []string{"https://app.example/cb"},
		GrantTypes: []string{"authorization_code", "refresh_token"}, Public: false,
		TokenEndpointAuthMethod: "client_secret_basic", Name: "App", Kind: store.KindRegistered,
		CreatedAt: h.Now(), ExpiresAt: h.Now().Add(time.Hour),
	}
	mustOK(t, st.CreateClient(ctx, c, 2), "create c1")
	if err := st.CreateClient(ctx, c, 0); !errors.Is(err, store.ErrClientExists) {
		t.Fatalf("duplicate create: err = %v, want ErrClientExists", err)
	}
	c.Name = "mutated after create"
	got, err := st.GetRegisteredClient(ctx, "c1")
	mustOK(t, err, "get c1")
	if got.Name != "App" || got.TokenEndpointAuthMethod != "client_secret_basic" || string(got.SecretHash) != "$2a$10$x" ||
		len(got.RedirectURIs) != 1 || got.Kind != store.KindRegistered || got.IsPublic() {
		t.Fatalf("get c1 = %+v", got)
	}
	got.RedirectURIs[0] = "https://evil.example/"
	again, _ := st.GetRegisteredClient(ctx, "c1")
	if again.RedirectURIs[0] != "https://app.example/cb" {
		t.Fatal("store returned shared state: mutation of a returned client leaked into the store")
	}
	fc, err := st.GetClient(ctx, "c1")
	mustOK(t, err, "fosite GetClient")
	if fc.GetID() != "c1" || !fc.GetGrantTypes().Has("refresh_token") {
		t.Fatalf("fosite client = %+v", fc)
	}
	_, err = st.GetClient(ctx, "nope")
	mustNotFound(t, err, "GetClient unknown")
	_, err = st.GetRegisteredClient(ctx, "nope")
	mustNotFound(t, err, "GetRegisteredClient unknown")

	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "c2", CreatedAt: h.Now()}, 2), "create c2 (never expires)")
	if err := st.CreateClient(ctx, &store.Client{ID: "c3"}, 2); !errors.Is(err, store.ErrClientLimit) {
		t.Fatalf("create over limit: err = %v, want ErrClientLimit", err)
	}
	n, err := st.CountClients(ctx)
	mustOK(t, err, "count")
	if n != 2 {
		t.Fatalf("count = %d, want 2", n)
	}
	mustOK(t, st.DeleteClient(ctx, "c2"), "delete c2")
	mustNotFound(t, st.DeleteClient(ctx, "c2"), "delete c2 twice")
	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "c3"}, 2), "create c3 after delete")
	mustNotFound(t, st.TouchClient(ctx, "nope", h.Now(), h.Now()), "touch unknown")
}

func testClientExpiry(t *testing.T, h Harness) {
	st := h.Store
	start := h.Now()
	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "old", CreatedAt: start, ExpiresAt: start.Add(time.Hour)}, 0), "create old")
	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "used", CreatedAt: start, ExpiresAt: start.Add(time.Hour)}, 0), "create used")
	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "forever", CreatedAt: start}, 0), "create forever")

	h.Advance(30 * time.Minute)
	used := h.Now()
	mustOK(t, st.TouchClient(ctx, "used", used, used.Add(48*time.Hour)), "touch used")
	// A touch never shortens the expiry.
	mustOK(t, st.TouchClient(ctx, "used", used, used.Add(time.Minute)), "touch used shorter")
	mustOK(t, st.TouchClient(ctx, "forever", used, used.Add(time.Minute)), "touch forever")

	h.Advance(time.Hour)
	_, err := st.GetRegisteredClient(ctx, "old")
	mustNotFound(t, err, "expired never-used client")
	c, err := st.GetRegisteredClient(ctx, "used")
	mustOK(t, err, "touched client outlives its first expiry")
	if !near(c.LastUsedAt, used) || !near(c.ExpiresAt, used.Add(48*time.Hour)) {
		t.Fatalf("touched client: last used %v expires %v", c.LastUsedAt, c.ExpiresAt)
	}
	f, err := st.GetRegisteredClient(ctx, "forever")
	mustOK(t, err, "client without expiry")
	if !f.ExpiresAt.IsZero() {
		t.Fatalf("touch gave a never-expiring client an expiry: %v", f.ExpiresAt)
	}
	n, _ := st.CountClients(ctx)
	if n != 2 {
		t.Fatalf("count after expiry = %d, want 2", n)
	}
	mustOK(t, st.CreateClient(ctx, &store.Client{ID: "old", CreatedAt: h.Now()}, 0), "re-create expired id")
}

func testRoundTrip(t *testing.T, h Harness) {
	st := h.Store
	for _, allowed := range [][]string{nil, {}, {"read"}} {
		name := fmt.Sprintf("allowed=%#v", allowed)
		req := request(h, "grant-"+name, allowed)
		mustOK(t, st.CreateAccessTokenSession(ctx, "sig-"+name, req), name)
		got, err := st.GetAccessTokenSession(ctx, "sig-"+name, &store.Session{})
		mustOK(t, err, name)
		sess, ok := got.GetSession().(*store.Session)
		if !ok {
			t.Fatalf("%s: session type %T, want *store.Session", name, got.GetSession())
		}
		if (allowed == nil) != (sess.AllowedScopes == nil) || len(allowed) != len(sess.AllowedScopes) {
			t.Fatalf("%s: allowed scopes = %#v", name, sess.AllowedScopes)
		}
		if got.GetID() != req.ID || got.GetClient().GetID() != "client-1" || !got.GetClient().IsPublic() ||
			!got.GetGrantedScopes().Has("read") || got.GetGrantedScopes().Has("write") ||
			!got.GetRequestedScopes().Has("read", "write") || !got.GetGrantedAudience().Has("https://mcp.example/mcp") ||
			!got.GetRequestedAudience().Has("https://mcp.example/mcp") ||
			got.GetRequestForm().Get("redirect_uri") != "http://localhost:5000/cb" ||
			!got.GetRequestedAt().Equal(req.RequestedAt) || sess.Subject != "alice" || sess.GetUsername() != "Alice" ||
			!near(sess.GetExpiresAt(fosite.AccessToken), req.Session.GetExpiresAt(fosite.AccessToken)) {
			t.Fatalf("%s: round trip mismatch: %+v session %+v", name, got, sess)
		}
		if len(got.GetClient().GetHashedSecret()) != 0 {
			t.Fatalf("%s: stored request carries the client secret hash", name)
		}
		sess.Subject = "mallory"
		got.GetRequestForm().Set("redirect_uri", "https://evil.example/")
		again, _ := st.GetAccessTokenSession(ctx, "sig-"+name, nil)
		if again.GetSession().GetSubject() != "alice" || again.GetRequestForm().Get("redirect_uri") != "http://localhost:5000/cb" {
			t.Fatalf("%s: mutation of a returned request leaked into the store", name)
		}
	}
	bad := request(h, "bad", nil)
	bad.Session = &fosite.DefaultSession{}
	if err := st.CreateAccessTokenSession(ctx, "bad", bad); err == nil {
		t.Fatal("a foreign session type was accepted")
	}
}

func testPending(t *testing.T, h Harness) {
	st := h.Store
	p := &store.PendingAuthorization{
		ID: "p1", Form: url.Values{"client_id": {"c1"}, "state": {"xyz"}},
		Client:    &store.Client{ID: "c1", RedirectURIs: []string{"http://localhost/cb"}},
		CreatedAt: h.Now(), ExpiresAt: h.Now().Add(10 * time.Minute),
	}
	mustOK(t, st.CreatePendingAuthorization(ctx, p), "create")
	got, err := st.GetPendingAuthorization(ctx, "p1")
	mustOK(t, err, "get")
	if got.Form["state"][0] != "xyz" || got.Client == nil || got.Client.ID != "c1" || !near(got.ExpiresAt, p.ExpiresAt) {
		t.Fatalf("pending = %+v", got)
	}
	got.Form["state"][0] = "changed"
	again, _ := st.GetPendingAuthorization(ctx, "p1")
	if again.Form["state"][0] != "xyz" {
		t.Fatal("mutation of a returned pending authorization leaked into the store")
	}
	mustOK(t, st.DeletePendingAuthorization(ctx, "p1"), "delete")
	mustNotFound(t, st.DeletePendingAuthorization(ctx, "p1"), "second delete (consumed once)")
	_, err = st.GetPendingAuthorization(ctx, "p1")
	mustNotFound(t, err, "deleted")

	p.ID = "p2"
	mustOK(t, st.CreatePendingAuthorization(ctx, p), "create p2")
	h.Advance(11 * time.Minute)
	_, err = st.GetPendingAuthorization(ctx, "p2")
	mustNotFound(t, err, "expired")
	mustNotFound(t, st.DeletePendingAuthorization(ctx, "p2"), "delete expired")
}

func testConsents(t *testing.T, h Harness) {
	st := h.Store
	c := &store.Consent{Subject: "alice", ClientID: "c1", Scopes: []string{"read"}, GrantedAt: h.Now(), ExpiresAt: h.Now().Add(time.Hour)}
	mustOK(t, st.SaveConsent(ctx, c), "save")
	got, err := st.GetConsent(ctx, "alice", "c1")
	mustOK(t, err, "get")
	if len(got.Scopes) != 1 || got.Scopes[0] != "read" {
		t.Fatalf("consent = %+v", got)
	}
	_, err = st.GetConsent(ctx, "alice", "c2")
	mustNotFound(t, err, "other client")
	_, err = st.GetConsent(ctx, "bob", "c1")
	mustNotFound(t, err, "other user")
	c.Scopes = []string{"read", "write"}
	mustOK(t, st.SaveConsent(ctx, c), "replace")
	got, _ = st.GetConsent(ctx, "alice", "c1")
	if len(got.Scopes) != 2 {
		t.Fatalf("replaced consent = %+v", got)
	}
	h.Advance(2 * time.Hour)
	_, err = st.GetConsent(ctx, "alice", "c1")
	mustNotFound(t, err, "expired consent")
}

func testJTIs(t *testing.T, h Harness) {
	st := h.Store
	mustOK(t, st.ClientAssertionJWTValid(ctx, "j1"), "unknown jti is valid")
	mustOK(t, st.SetClientAssertionJWT(ctx, "j1", h.Now().Add(time.Minute)), "set")
	if err := st.ClientAssertionJWTValid(ctx, "j1"); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Fatalf("used jti: err = %v, want ErrJTIKnown", err)
	}
	if err := st.SetClientAssertionJWT(ctx, "j1", h.Now().Add(time.Minute)); !errors.Is(err, fosite.ErrJTIKnown) {
		t.Fatalf("set used jti: err = %v, want ErrJTIKnown", err)
	}
	h.Advance(2 * time.Minute)
	mustOK(t, st.ClientAssertionJWTValid(ctx, "j1"), "expired jti is valid again")
}

func testConcurrency(t *testing.T, h Harness) {
	st := h.Store
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 20 {
				id := fmt.Sprintf("g%d-%d", g, i)
				req := request(h, id, nil)
				steps := []func() error{
					func() error { return st.CreateAccessTokenSession(ctx, "at-"+id, req) },
					func() error { return st.CreateRefreshTokenSession(ctx, "rt-"+id, "at-"+id, req) },
					func() error { _, err := st.GetAccessTokenSession(ctx, "at-"+id, nil); return err },
					func() error { return st.RotateRefreshToken(ctx, id, "rt-"+id) },
					func() error { return st.CreateClient(ctx, &store.Client{ID: "c-" + id}, 0) },
					func() error { _, err := st.CountClients(ctx); return err },
					func() error { return st.RevokeRefreshToken(ctx, id) },
				}
				for _, step := range steps {
					if err := step(); err != nil {
						errs <- fmt.Errorf("%s: %w", id, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n, _ := st.CountClients(ctx); n != 160 {
		t.Fatalf("clients after concurrent creation = %d, want 160", n)
	}
}
