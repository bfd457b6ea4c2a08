package demoapi

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable test clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *clock) Advance(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

func loginAs(t *testing.T, a *API, user, password string) LoginResponse {
	t.Helper()
	w := serve(t, a, jsonReq("POST", LoginPath, `{"username":"`+user+`","password":"`+password+`"}`))
	if w.Code != http.StatusOK {
		t.Fatalf("login %s: %d %s", user, w.Code, w.Body)
	}
	if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("login Cache-Control = %q", cc)
	}
	return decode[LoginResponse](t, w)
}

func bearer(rq req, token string) req { return rq.with("Authorization", "Bearer "+token) }

func TestLogin(t *testing.T) {
	a := newTestAPI(t, Options{TokenLifetime: time.Minute})
	lr := loginAs(t, a, "alice", "alice-password")
	if !strings.HasPrefix(lr.AccessToken, "demo_at_") || !strings.HasPrefix(lr.RefreshToken, "demo_rt_") ||
		lr.TokenType != "Bearer" || lr.ExpiresIn != 60 || lr.User.Username != "alice" || !slices.Equal(lr.User.Roles, []string{"editor"}) {
		t.Fatalf("login response = %+v", lr)
	}
	form := req{method: "POST", target: LoginPath, body: "username=bob&password=bob-password",
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
	if w := serve(t, a, form); w.Code != http.StatusOK || decode[LoginResponse](t, w).User.Username != "bob" {
		t.Fatalf("form login: %d %s", w.Code, w.Body)
	}

	tests := []struct {
		name   string
		rq     req
		status int
		detail string
	}{
		{"wrong password", jsonReq("POST", LoginPath, `{"username":"alice","password":"bob-password"}`), 401, "wrong username or password"},
		{"unknown user", jsonReq("POST", LoginPath, `{"username":"mallory","password":"alice-password"}`), 401, "wrong username or password"},
		{"missing password", jsonReq("POST", LoginPath, `{"username":"alice"}`), 400, "username and password are required"},
		{"not an object of strings", jsonReq("POST", LoginPath, `{"username":1}`), 400, "JSON object of strings"},
		{"text body", req{method: "POST", target: LoginPath, body: "alice", header: map[string]string{"Content-Type": "text/plain"}}, 415, "text/plain"},
		{"huge body", jsonReq("POST", LoginPath, `{"username":"`+strings.Repeat("a", maxAuthBody)+`"}`), 413, "exceeds"},
		{"GET", req{method: "GET", target: LoginPath}, 405, "POST"},
		{"refresh without token", jsonReq("POST", RefreshPath, `{}`), 400, "refresh_token is required"},
		{"refresh with access token", jsonReq("POST", RefreshPath, `{"refresh_token":"`+lr.AccessToken+`"}`), 401, "log in again"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantProblem(t, serve(t, a, tc.rq), tc.status, tc.detail) })
	}
	if n := len(a.Requests()); n != 0 {
		t.Errorf("%d login requests were recorded; they carry passwords", n)
	}
}

func TestBearerTokenSelectsOwner(t *testing.T) {
	a := newTestAPI(t, Options{})
	alice := loginAs(t, a, "alice", "alice-password").AccessToken
	bob := loginAs(t, a, "bob", "bob-password").AccessToken
	if w := serve(t, a, bearer(jsonReq("POST", "/api/v1/tasks", `{"title":"alice only"}`), alice)); w.Code != 201 {
		t.Fatalf("alice create: %d %s", w.Code, w.Body)
	}
	titles := func(rq req) string {
		var out []string
		for _, it := range decode[TaskList](t, serve(t, a, rq)).Items {
			out = append(out, it.Title)
		}
		return strings.Join(out, "|")
	}
	list := req{method: "GET", target: "/api/v1/tasks?limit=100"}
	if !strings.Contains(titles(bearer(list, alice)), "alice only") {
		t.Error("alice does not see her own task")
	}
	if strings.Contains(titles(bearer(list, bob)), "alice only") || strings.Contains(titles(list), "alice only") {
		t.Error("bob or the anonymous demo sees alice's task")
	}
	// A token wins over Options.Owner; without one Owner still applies.
	b := newTestAPI(t, Options{Owner: func(*http.Request) string { return "bob" }})
	tok := loginAs(t, b, "alice", "alice-password").AccessToken
	serve(t, b, bearer(jsonReq("POST", "/api/v1/tasks", `{"title":"by alice"}`), tok))
	if strings.Contains(titles(list), "by alice") {
		t.Error("Options.Owner overrode a valid bearer token")
	}
}

func TestBadTokensAreRefused(t *testing.T) {
	c := &clock{now: testNow}
	a := New(Options{Now: c.Now, TokenLifetime: time.Minute, RefreshTokenLifetime: time.Hour})
	lr := loginAs(t, a, "alice", "alice-password")
	list := req{method: "GET", target: "/api/v1/tasks"}
	for name, rq := range map[string]req{
		"unknown token":    bearer(list, "demo_at_nope"),
		"refresh as token": bearer(list, lr.RefreshToken),
		"basic auth":       list.with("Authorization", "Basic YWxpY2U6YWxpY2UtcGFzc3dvcmQ="),
		"empty bearer":     list.with("Authorization", "Bearer "),
	} {
		t.Run(name, func(t *testing.T) {
			w := serve(t, a, rq)
			wantProblem(t, w, http.StatusUnauthorized, "unknown or expired")
			if !strings.Contains(w.Header().Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("WWW-Authenticate = %q", w.Header().Get("WWW-Authenticate"))
			}
		})
	}
	if w := serve(t, a, bearer(list, lr.AccessToken)); w.Code != 200 {
		t.Fatalf("fresh token: %d", w.Code)
	}
	c.Advance(time.Minute)
	wantProblem(t, serve(t, a, bearer(list, lr.AccessToken)), http.StatusUnauthorized, "expired")

	w := serve(t, a, jsonReq("POST", RefreshPath, `{"refresh_token":"`+lr.RefreshToken+`"}`))
	if w.Code != 200 {
		t.Fatalf("refresh: %d %s", w.Code, w.Body)
	}
	next := decode[LoginResponse](t, w)
	if next.AccessToken == lr.AccessToken || next.RefreshToken == lr.RefreshToken || next.User.Username != "alice" {
		t.Fatalf("refresh response = %+v", next)
	}
	if w := serve(t, a, bearer(list, next.AccessToken)); w.Code != 200 {
		t.Fatalf("refreshed token: %d", w.Code)
	}
	wantProblem(t, serve(t, a, jsonReq("POST", RefreshPath, `{"refresh_token":"`+lr.RefreshToken+`"}`)),
		http.StatusUnauthorized, "already used")

	form := req{method: "POST", target: RefreshPath, body: "refresh_token=" + next.RefreshToken,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
	if w := serve(t, a, form); w.Code != 200 {
		t.Fatalf("form refresh: %d %s", w.Code, w.Body)
	}

	last := loginAs(t, a, "alice", "alice-password")
	c.Advance(2 * time.Hour)
	wantProblem(t, serve(t, a, jsonReq("POST", RefreshPath, `{"refresh_token":"`+last.RefreshToken+`"}`)),
		http.StatusUnauthorized, "expired")

	again := loginAs(t, a, "alice", "alice-password")
	a.RevokeTokens("alice")
	wantProblem(t, serve(t, a, bearer(list, again.AccessToken)), http.StatusUnauthorized, "unknown")
	wantProblem(t, serve(t, a, jsonReq("POST", RefreshPath, `{"refresh_token":"`+again.RefreshToken+`"}`)), http.StatusUnauthorized, "log in again")
}

func TestSessionsAreBounded(t *testing.T) {
	c := &clock{now: testNow}
	a := New(Options{Now: c.Now, TokenLifetime: time.Minute, RefreshTokenLifetime: time.Minute})
	for range maxSessions / 2 {
		loginAs(t, a, "bob", "bob-password")
	}
	wantProblem(t, serve(t, a, jsonReq("POST", LoginPath, `{"username":"bob","password":"bob-password"}`)),
		http.StatusServiceUnavailable, "too many active sessions")
	c.Advance(time.Minute)
	loginAs(t, a, "bob", "bob-password") // expired sessions make room
}

func TestAuthEndpointsAreNotInTheSpec(t *testing.T) {
	if bytes.Contains(specJSON, []byte("/auth/")) {
		t.Fatal("openapi.json mentions /auth/: login endpoints must not become tools")
	}
}

func TestDefaultUsersAreFresh(t *testing.T) {
	u := DefaultUsers()
	u[0].Roles[0] = "changed"
	if DefaultUsers()[0].Roles[0] != "admin" {
		t.Fatal("DefaultUsers returns shared state")
	}
	srv := httptest.NewServer(New(Options{}).Handler())
	defer srv.Close()
	resp, err := http.Post(srv.URL+LoginPath, "application/json", strings.NewReader(`{"username":"demo","password":"demo-password"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("default demo login over HTTP: %d", resp.StatusCode)
	}
}
