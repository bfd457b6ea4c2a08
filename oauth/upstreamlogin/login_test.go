package upstreamlogin

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/specs/demoapi"
)

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// harness is an authenticator under test with its captured log.
type harness struct {
	auth *Authenticator
	logs *syncBuffer
}

func newHarness(t *testing.T, base string, mutate func(*Config)) harness {
	t.Helper()
	logs := &syncBuffer{}
	cfg := Config{
		BaseURL: func() string { return base },
		Path:    "/auth/login",
		Logger:  slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return harness{auth: a, logs: logs}
}

// noSecrets fails when any of secrets appears in the log.
func (h harness) noSecrets(t *testing.T, secrets ...string) {
	t.Helper()
	logs := h.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("log contains the secret %q:\n%s", s, logs)
		}
	}
}

type demo struct {
	api *demoapi.API
	srv *httptest.Server
	now func() time.Time
	adv func(time.Duration)
}

func newDemo(t *testing.T) demo {
	t.Helper()
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	api := demoapi.New(demoapi.Options{Now: clock, TokenLifetime: time.Minute, RefreshTokenLifetime: time.Hour})
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return demo{api: api, srv: srv, now: clock, adv: func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }}
}

func (d demo) base() string { return d.srv.URL + demoapi.BasePath }

// listTitles calls the demo's listTasks with an upstream token.
func (d demo) listTitles(t *testing.T, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, d.base()+"/tasks?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var list demoapi.TaskList
	_ = json.NewDecoder(resp.Body).Decode(&list)
	var titles []string
	for _, it := range list.Items {
		titles = append(titles, it.Title)
	}
	return resp.StatusCode, strings.Join(titles, "|")
}

var demoScopeMap = map[string][]string{
	"admin":  {"tasks:read", "tasks:write", "tasks:delete"},
	"editor": {"tasks:read", "tasks:write"},
	"viewer": {"tasks:read"},
}

func TestAuthenticateAgainstDemo(t *testing.T) {
	d := newDemo(t)
	h := newHarness(t, d.base(), func(c *Config) {
		c.ScopesPointer, c.ScopeMap, c.RefreshPath = "/user/roles", demoScopeMap, "/auth/refresh"
		c.Now = d.now
	})
	ctx := context.Background()
	id, err := h.auth.Authenticate(ctx, "alice", "alice-password")
	if err != nil {
		t.Fatalf("Authenticate: %v", err)
	}
	up := id.Upstream
	if id.Subject != "alice" || id.DisplayName != "alice" || !slices.Equal(id.AllowedScopes, []string{"tasks:read", "tasks:write"}) ||
		up == nil || !strings.HasPrefix(up.AccessToken, "demo_at_") || !strings.HasPrefix(up.RefreshToken, "demo_rt_") ||
		!up.Expiry.Equal(d.now().Add(time.Minute)) {
		t.Fatalf("identity = %+v, upstream %+v", id, up)
	}
	if status, _ := d.listTitles(t, up.AccessToken); status != http.StatusOK {
		t.Fatalf("the upstream token does not work at the API: %d", status)
	}
	bob, err := h.auth.Authenticate(ctx, "bob", "bob-password")
	if err != nil || !slices.Equal(bob.AllowedScopes, []string{"tasks:read"}) {
		t.Fatalf("bob = %+v, %v", bob, err)
	}

	for _, tc := range []struct{ user, pass string }{{"alice", "bob-password"}, {"mallory", "x"}} {
		_, err := h.auth.Authenticate(ctx, tc.user, tc.pass)
		if !errors.Is(err, authn.ErrInvalidCredentials) || errors.Is(err, authn.ErrUnavailable) {
			t.Errorf("%s/%s: err = %v, want only ErrInvalidCredentials", tc.user, tc.pass, err)
		}
	}

	// Expiry and refresh: the API rotates refresh tokens.
	d.adv(2 * time.Minute)
	if status, _ := d.listTitles(t, up.AccessToken); status != http.StatusUnauthorized {
		t.Fatalf("expired upstream token still works: %d", status)
	}
	next, err := h.auth.Refresh(ctx, up)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if next.AccessToken == up.AccessToken || next.RefreshToken == up.RefreshToken || !next.Expiry.Equal(d.now().Add(time.Minute)) {
		t.Fatalf("refreshed = %+v", next)
	}
	if status, _ := d.listTitles(t, next.AccessToken); status != http.StatusOK {
		t.Fatalf("refreshed token refused: %d", status)
	}
	if _, err := h.auth.Refresh(ctx, up); !errors.Is(err, authn.ErrInvalidCredentials) {
		t.Fatalf("reusing a rotated refresh token: err = %v, want ErrInvalidCredentials", err)
	}
	h.noSecrets(t, "alice-password", "bob-password", up.AccessToken, up.RefreshToken, next.AccessToken, next.RefreshToken, bob.Upstream.AccessToken)
}

func TestUpstreamDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	h := newHarness(t, "http://"+addr+"/api", func(c *Config) { c.RefreshPath = "/auth/refresh" })
	_, err = h.auth.Authenticate(context.Background(), "alice", "s3cret-password")
	if !errors.Is(err, authn.ErrUpstreamUnavailable) || !errors.Is(err, authn.ErrUnavailable) || errors.Is(err, authn.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want ErrUpstreamUnavailable", err)
	}
	if !strings.Contains(h.logs.String(), "POST http://"+addr+"/api/auth/login") || !strings.Contains(h.logs.String(), "refused") {
		t.Errorf("log lacks the detail:\n%s", h.logs)
	}
	_, err = h.auth.Refresh(context.Background(), &authn.UpstreamCredential{AccessToken: "a", RefreshToken: "rt-value-123"})
	if !errors.Is(err, authn.ErrUpstreamUnavailable) {
		t.Fatalf("refresh against a down API: err = %v", err)
	}
	h.noSecrets(t, "s3cret-password", "rt-value-123")
}

// fake is an upstream whose login answer each test chooses.
func fake(t *testing.T, handle func(w http.ResponseWriter, r *http.Request, body []byte)) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		handle(w, r, body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request, []byte) {
	return func(w http.ResponseWriter, _ *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestLoginAnswers(t *testing.T) {
	const password = "pw-that-must-not-leak"
	tests := []struct {
		name    string
		handle  func(http.ResponseWriter, *http.Request, []byte)
		mutate  func(*Config)
		invalid bool   // want ErrInvalidCredentials
		logHas  string // want ErrUpstreamUnavailable with this in the log
	}{
		{name: "401", handle: jsonAnswer(401, `{"error":"nope"}`), invalid: true},
		{name: "403", handle: jsonAnswer(403, `{}`), invalid: true},
		{name: "400 counts when configured", handle: jsonAnswer(400, `{"error":"invalid_grant"}`), invalid: true,
			mutate: func(c *Config) { c.InvalidCredentialStatuses = []int{400, 401} }},
		{name: "400 by default is unavailable", handle: jsonAnswer(400, `{"error":"invalid_request","error_description":"grant_type missing"}`),
			logHas: "answered 400"},
		{name: "500 problem", handle: jsonAnswer(500, `{"title":"Internal Server Error","detail":"database down"}`),
			logHas: "Internal Server Error: database down"},
		{name: "echoed password is not logged", handle: jsonAnswer(500, `{"message":"bad password `+password+`"}`), logHas: "answered 500"},
		{name: "redirect", handle: func(w http.ResponseWriter, r *http.Request, _ []byte) {
			http.Redirect(w, r, "/login?next=x", http.StatusFound)
		}, logHas: "redirects to /login; configure the final URL"},
		{name: "HTML", handle: func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, "<html>login</html>")
		}, logHas: "text/html: the response is not a JSON document"},
		{name: "no token", handle: jsonAnswer(200, `{"token":"x"}`), logHas: "no token at /access_token"},
		{name: "token not a string", handle: jsonAnswer(200, `{"access_token":{"v":1}}`), logHas: "is a object, want a string"},
		{name: "bad expires_in", handle: jsonAnswer(200, `{"access_token":"t","expires_in":-5}`), logHas: "not a positive number of seconds"},
		{name: "bad roles", handle: jsonAnswer(200, `{"access_token":"t","roles":[1]}`), logHas: "item 0 of the list at /roles",
			mutate: func(c *Config) { c.ScopesPointer = "/roles" }},
		{name: "missing subject", handle: jsonAnswer(200, `{"access_token":"t"}`), logHas: "no user id at /user/id",
			mutate: func(c *Config) { c.SubjectPointer = "/user/id" }},
		{name: "too large", handle: jsonAnswer(200, `{"access_token":"`+strings.Repeat("x", 4096)+`"}`), logHas: "exceeds 2048 bytes",
			mutate: func(c *Config) { c.MaxResponseBytes = 2048 }},
		{name: "timeout", handle: func(w http.ResponseWriter, r *http.Request, _ []byte) { <-r.Context().Done() },
			logHas: "deadline exceeded", mutate: func(c *Config) { c.Timeout = 20 * time.Millisecond }},
		{name: "base URL unknown", handle: jsonAnswer(200, `{}`), logHas: "not known yet",
			mutate: func(c *Config) { c.BaseURL = func() string { return "" } }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, fake(t, tc.handle), tc.mutate)
			_, err := h.auth.Authenticate(context.Background(), "alice", password)
			if tc.invalid {
				if !errors.Is(err, authn.ErrInvalidCredentials) || errors.Is(err, authn.ErrUnavailable) {
					t.Fatalf("err = %v, want ErrInvalidCredentials", err)
				}
			} else {
				if !errors.Is(err, authn.ErrUpstreamUnavailable) || errors.Is(err, authn.ErrInvalidCredentials) {
					t.Fatalf("err = %v, want ErrUpstreamUnavailable", err)
				}
				if !strings.Contains(h.logs.String(), tc.logHas) {
					t.Fatalf("log lacks %q:\n%s", tc.logHas, h.logs)
				}
			}
			h.noSecrets(t, password)
			if strings.Contains(err.Error(), password) {
				t.Fatalf("error text contains the password: %v", err)
			}
		})
	}
}

func TestCallerCancellationIsNotUnavailability(t *testing.T) {
	started := make(chan struct{})
	h := newHarness(t, fake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		close(started)
		<-r.Context().Done()
	}), nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	_, err := h.auth.Authenticate(ctx, "alice", "pw")
	if !errors.Is(err, context.Canceled) || errors.Is(err, authn.ErrUnavailable) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestRequestShapeAndResponseMapping(t *testing.T) {
	var mu sync.Mutex
	var got struct {
		method, path, ctype, accept string
		body                        []byte
	}
	exp := time.Unix(4102444800, 0) // 2100-01-01
	jwt := "eyJhbGciOiJub25lIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"exp":4102444800,"sub":"42"}`)) + ".sig"
	base := fake(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		mu.Lock()
		got.method, got.path, got.ctype, got.accept, got.body = r.Method, r.URL.Path, r.Header.Get("Content-Type"), r.Header.Get("Accept"), body
		mu.Unlock()
		jsonAnswer(200, `{"data":{"tok":"`+jwt+`","user":{"id":42,"perms":"read write  unknown"}}}`)(w, r, body)
	})
	h := newHarness(t, base+"/v2/", func(c *Config) {
		c.Method, c.Path, c.Body = "put", "session", "form"
		c.UsernameField, c.PasswordField = "login", "secret"
		c.ExtraFields = map[string]string{"grant_type": "password"}
		c.TokenPointer, c.SubjectPointer, c.ScopesPointer = "/data/tok", "/data/user/id", "/data/user/perms"
		c.ScopeMap = map[string][]string{"read": {"tasks:read"}, "write": {"tasks:write", "tasks:read"}}
	})
	id, err := h.auth.Authenticate(context.Background(), "Alice", "pw 1&2")
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.method != "PUT" || got.path != "/v2/session" || got.ctype != "application/x-www-form-urlencoded" || got.accept != "application/json" ||
		string(got.body) != "grant_type=password&login=Alice&secret=pw+1%262" {
		t.Fatalf("request = %+v body %s", got, got.body)
	}
	if id.Subject != "42" || id.DisplayName != "Alice" || !slices.Equal(id.AllowedScopes, []string{"tasks:read", "tasks:write"}) ||
		id.Upstream.AccessToken != jwt || id.Upstream.RefreshToken != "" || !id.Upstream.Expiry.Equal(exp) {
		t.Fatalf("identity = %+v upstream %+v", id, id.Upstream)
	}

	// Without a scope map the values are scopes; without a value, defaults.
	h2 := newHarness(t, fake(t, jsonAnswer(200, `{"access_token":"t","scope":"a b a"}`)), func(c *Config) { c.ScopesPointer = "/scope" })
	if id, _ := h2.auth.Authenticate(context.Background(), "u", "p"); !slices.Equal(id.AllowedScopes, []string{"a", "b"}) {
		t.Fatalf("verbatim scopes = %#v", id.AllowedScopes)
	}
	h3 := newHarness(t, fake(t, jsonAnswer(200, `{"access_token":"t","scope":null}`)), func(c *Config) {
		c.ScopesPointer, c.DefaultScopes = "/scope", []string{"tasks:read"}
	})
	if id, _ := h3.auth.Authenticate(context.Background(), "u", "p"); !slices.Equal(id.AllowedScopes, []string{"tasks:read"}) || id.Upstream.Expiry.IsZero() == false {
		t.Fatalf("default scopes = %#v, expiry %v", id.AllowedScopes, id.Upstream.Expiry)
	}
	h4 := newHarness(t, fake(t, jsonAnswer(200, `{"access_token":"t"}`)), nil)
	if id, _ := h4.auth.Authenticate(context.Background(), "u", "p"); id.AllowedScopes != nil {
		t.Fatalf("no scope config: allowed = %#v, want nil (every scope)", id.AllowedScopes)
	}
}
