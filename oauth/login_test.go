package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/throttle"
)

// loginPage starts an authorization and returns the browser and the login form fields.
func loginPage(t *testing.T, e *env, clientID string) (*browser, map[string]string) {
	t.Helper()
	_, challenge := pkce("l")
	b := e.browser()
	p := b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, "http://127.0.0.1:9/cb", challenge).Encode())
	lp := b.get(t, e.abs(p.location))
	if lp.status != http.StatusOK {
		t.Fatalf("login page: %d", lp.status)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options"} {
		if lp.header.Get(h) == "" {
			t.Fatalf("login page without %s", h)
		}
	}
	f, _ := inputs(t, lp.body)
	return b, f
}

func loginForm(f map[string]string, user, password string) url.Values {
	return url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]}, "username": {user}, "password": {password}}
}

func TestLoginErrors(t *testing.T) {
	e := newEnv(t, nil)
	clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
	tests := []struct {
		name, user, password string
		down                 bool
		status               int
		text                 string
	}{
		{"wrong password", "alice", "nope", false, http.StatusUnauthorized, "Wrong username or password"},
		{"unknown user", "mallory", "x", false, http.StatusUnauthorized, "Wrong username or password"},
		{"empty password", "alice", "", false, http.StatusBadRequest, "Enter your username and password"},
		{"backend down", "alice", "correct horse", true, http.StatusServiceUnavailable, "Login is unavailable right now"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.auth.mu.Lock()
			e.auth.down = tc.down
			e.auth.mu.Unlock()
			b, f := loginPage(t, e, clientID)
			p := b.post(t, e.ts.URL+"/login", loginForm(f, tc.user, tc.password))
			if p.status != tc.status || !strings.Contains(p.body, tc.text) {
				t.Fatalf("status %d body %.300s", p.status, p.body)
			}
			if tc.user != "" {
				if nf, _ := inputs(t, p.body); nf["username"] != tc.user {
					t.Fatalf("username not kept: %q", nf["username"])
				}
			}
		})
	}
	if strings.Contains(e.logs.String(), "correct horse") {
		t.Fatal("password logged")
	}
	if !strings.Contains(e.logs.String(), "users file unreadable") {
		t.Fatal("authenticator failure detail not logged")
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t, nil)
	clientID := e.publicClient(t, "http://127.0.0.1:9/cb")

	b, f := loginPage(t, e, clientID)
	for name, form := range map[string]url.Values{
		"wrong token":   loginForm(map[string]string{"csrf_token": "forged", "request_id": f["request_id"]}, "alice", "correct horse"),
		"missing token": {"request_id": {f["request_id"]}, "username": {"alice"}, "password": {"correct horse"}},
	} {
		if p := b.post(t, e.ts.URL+"/login", form); p.status != http.StatusForbidden {
			t.Errorf("login %s: %d", name, p.status)
		}
	}
	// A valid token from another browser is no good either (no cookie).
	if p := e.browser().post(t, e.ts.URL+"/login", loginForm(f, "alice", "correct horse")); p.status != http.StatusForbidden {
		t.Errorf("login without session cookie: %d", p.status)
	}

	p := b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "correct horse"))
	cp := b.get(t, e.abs(p.location))
	cf, _ := inputs(t, cp.body)
	if cf["csrf_token"] == f["csrf_token"] {
		t.Error("CSRF token not rotated at login")
	}
	bad := url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {cf["request_id"]}, "decision": {"approve"}}
	if p := b.post(t, e.ts.URL+"/consent", bad); p.status != http.StatusForbidden || p.location != "" {
		t.Errorf("consent with stale CSRF token: %d %q", p.status, p.location)
	}
	// The request survives a CSRF failure.
	good := url.Values{"csrf_token": {cf["csrf_token"]}, "request_id": {cf["request_id"]}, "decision": {"approve"}}
	if p := b.post(t, e.ts.URL+"/consent", good); p.status != http.StatusSeeOther || !strings.Contains(p.location, "code=") {
		t.Errorf("consent after CSRF failure: %d %q", p.status, p.location)
	}
}

func TestConsentRequiresLogin(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Lifetimes.LoginSession = time.Hour })
	clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
	b, f := loginPage(t, e, clientID)
	if p := b.get(t, e.ts.URL+"/consent?request_id="+f["request_id"]); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?") {
		t.Fatalf("consent without login: %d %q", p.status, p.location)
	}
	b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "correct horse"))
	if p := b.get(t, e.ts.URL+"/login?request_id="+f["request_id"]); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/consent?") {
		t.Fatalf("login page while logged in: %d %q", p.status, p.location)
	}
	e.clock.Advance(2 * time.Hour) // login session over (the pending request too)
	_, challenge := pkce("q")
	p := b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, "http://127.0.0.1:9/cb", challenge).Encode())
	if !strings.HasPrefix(p.location, "/login?") {
		t.Fatalf("expired login session still used: %q", p.location)
	}
}

func TestLoginThrottling(t *testing.T) {
	t.Run("per user", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Throttles.LoginPerUser = throttle.NewMemory(2, 10*time.Minute) })
		clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
		b, f := loginPage(t, e, clientID)
		for i, want := range []int{401, 401, 429} {
			p := b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "wrong-password"))
			if p.status != want {
				t.Fatalf("attempt %d: %d", i, p.status)
			}
			if want == 429 && !strings.Contains(p.body, "Too many attempts. Try again in 10 minutes.") {
				t.Fatalf("throttle message: %.400s", p.body)
			}
		}
		// Even the right password is refused while throttled; other users are not.
		if p := b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "correct horse")); p.status != 429 {
			t.Fatalf("right password while throttled: %d", p.status)
		}
		if p := b.post(t, e.ts.URL+"/login", loginForm(f, "bob", "hunter22")); p.status != http.StatusSeeOther {
			t.Fatalf("other user: %d", p.status)
		}
	})
	t.Run("per IP", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Throttles.LoginPerIP = throttle.NewMemory(3, time.Minute) })
		clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
		b, f := loginPage(t, e, clientID)
		for i, user := range []string{"u1", "u2", "u3", "u4"} {
			want := 401
			if i == 3 {
				want = 429
			}
			if p := b.post(t, e.ts.URL+"/login", loginForm(f, user, "x")); p.status != want {
				t.Fatalf("attempt %d: %d", i, p.status)
			}
		}
	})
	t.Run("success resets the user counter", func(t *testing.T) {
		e := newEnv(t, func(c *Config) { c.Throttles.LoginPerUser = throttle.NewMemory(2, time.Hour) })
		clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
		b, f := loginPage(t, e, clientID)
		b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "wrong-password"))
		b.post(t, e.ts.URL+"/login", loginForm(f, "alice", "correct horse"))
		b2, f2 := loginPage(t, e, clientID)
		if p := b2.post(t, e.ts.URL+"/login", loginForm(f2, "alice", "wrong-password")); p.status != 401 {
			t.Fatalf("after a successful login: %d", p.status)
		}
	})
}

func TestSessionCookieAttributes(t *testing.T) {
	e := newEnv(t, nil)
	clientID := e.publicClient(t, "http://127.0.0.1:9/cb")
	_, challenge := pkce("c")
	b := e.browser()
	p := b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, "http://127.0.0.1:9/cb", challenge).Encode())
	lp := b.get(t, e.abs(p.location))
	c := lp.header.Get("Set-Cookie")
	for _, want := range []string{"specgate_session=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(c, want) {
			t.Errorf("Set-Cookie %q lacks %s", c, want)
		}
	}
	if strings.Contains(c, "Secure") || strings.HasPrefix(c, "__Host-") {
		t.Errorf("http loopback cookie must not be Secure: %q", c)
	}

	srv, err := New(testConfig("https://mcp.example.com"), e.st, e.auth)
	if err != nil {
		t.Fatal(err)
	}
	if srv.cookieName != "__Host-specgate_session" || !srv.cookies.Options.Secure {
		t.Errorf("https cookie: name %q secure %v", srv.cookieName, srv.cookies.Options.Secure)
	}
}
