package oauth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/store/storetest"
	"github.com/specgate/specgate/oauth/throttle"
)

// fakeAuth is a test Authenticator with fixed users.
type fakeAuth struct {
	mu      sync.Mutex
	users   map[string]fakeUser
	down    bool
	entered []string // every password it was given, to prove none is logged
}

type fakeUser struct {
	password string
	allowed  []string
}

func (a *fakeAuth) Authenticate(_ context.Context, username, password string) (*authn.Identity, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.entered = append(a.entered, password)
	if a.down {
		return nil, fmt.Errorf("%w: users file unreadable", authn.ErrUnavailable)
	}
	u, ok := a.users[username]
	if !ok || u.password != password {
		return nil, authn.ErrInvalidCredentials
	}
	return &authn.Identity{Subject: username, DisplayName: strings.ToUpper(username[:1]) + username[1:], AllowedScopes: u.allowed}, nil
}

// env is one running authorization server plus a protected /mcp endpoint.
type env struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	st     *store.Memory
	clock  *storetest.Clock
	auth   *fakeAuth
	logs   *syncBuffer
	issuer string
	// lastPrincipal is what the protected handler saw.
	mu            sync.Mutex
	lastPrincipal *Principal
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var testScopes = []string{"read", "write", "admin"}

func testConfig(publicURL string) Config {
	return Config{
		PublicURL:       publicURL,
		ScopesSupported: func() []string { return testScopes },
		DescribeScope:   func(s string) string { return "Can " + s },
		GlobalSecret:    bytes.Repeat([]byte("g"), 32),
		CookieHashKey:   bytes.Repeat([]byte("h"), 32),
		CookieBlockKey:  bytes.Repeat([]byte("b"), 32),
		Throttles: Throttles{
			LoginPerUser:  throttle.NewMemory(100, time.Hour),
			LoginPerIP:    throttle.NewMemory(100, time.Hour),
			RegisterPerIP: throttle.NewMemory(1000, time.Hour),
		},
	}
}

// newEnv starts a server; mutate adjusts the config before New.
func newEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	return newEnvRoutes(t, mutate, nil)
}

// newEnvRoutes is newEnv with routes adding handlers to the server's mux.
func newEnvRoutes(t *testing.T, mutate func(*Config), routes func(*env, *http.ServeMux)) *env {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	e := &env{
		t: t, ts: ts, logs: &syncBuffer{},
		clock: storetest.NewClock(time.Now()),
		auth: &fakeAuth{users: map[string]fakeUser{
			"alice": {password: "correct horse"},
			"bob":   {password: "hunter22", allowed: []string{"read"}},
		}},
	}
	e.st = store.NewMemory(store.MemoryOptions{Now: e.clock.Now})
	cfg := testConfig("http://" + ts.Listener.Addr().String())
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mutate != nil {
		mutate(&cfg)
	}
	srv, err := New(cfg, e.st, e.auth)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.now = e.clock.Now
	e.srv, e.issuer = srv, srv.Issuer()
	mux := http.NewServeMux()
	srv.Register(mux)
	mux.Handle("/mcp", srv.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := PrincipalFromContext(r.Context())
		e.mu.Lock()
		e.lastPrincipal = p
		e.mu.Unlock()
		if r.URL.Query().Get("need") != "" {
			srv.WriteInsufficientScope(w, r, []string{r.URL.Query().Get("need")})
			return
		}
		w.WriteHeader(http.StatusOK)
	})))
	if routes != nil {
		routes(e, mux)
	}
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(e.checkLogsHoldNoSecrets)
	return e
}

// checkLogsHoldNoSecrets fails the test if any token, code or password the
// test used shows up in the server log. fosite prefixes every token and code
// (ory_at_, ory_rt_, ory_ac_), so the prefixes alone prove none was logged.
func (e *env) checkLogsHoldNoSecrets() {
	logs := e.logs.String()
	for _, prefix := range []string{"ory_at_", "ory_rt_", "ory_ac_"} {
		if strings.Contains(logs, prefix) {
			e.t.Errorf("server log contains a token or code (%s...)", prefix)
		}
	}
	e.auth.mu.Lock()
	defer e.auth.mu.Unlock()
	for _, pw := range e.auth.entered {
		if len(pw) >= 8 && strings.Contains(logs, pw) {
			e.t.Errorf("server log contains the password %q", pw)
		}
	}
}

// pkce returns a verifier and its S256 challenge.
func pkce(seed string) (verifier, challenge string) {
	verifier = strings.Repeat(seed, 43/len(seed)+1)[:43]
	sum := sha256.Sum256([]byte(verifier))
	return verifier, base64.RawURLEncoding.EncodeToString(sum[:])
}

// registerClient performs DCR and returns the decoded response.
func (e *env) registerClient(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(e.ts.URL+"/register", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("register: status %d: %v", resp.StatusCode, out)
	}
	return out
}

func (e *env) publicClient(t *testing.T, redirect string) string {
	t.Helper()
	out := e.registerClient(t, map[string]any{
		"client_name": "Test Client", "redirect_uris": []string{redirect}, "token_endpoint_auth_method": "none",
	})
	return out["client_id"].(string)
}

// authParams are the authorization request parameters of a typical client.
func authParams(clientID, redirect, challenge string) url.Values {
	return url.Values{
		"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirect},
		"code_challenge": {challenge}, "code_challenge_method": {"S256"},
		"state": {"state-1234567890"}, "scope": {"read write"},
	}
}

// loginAndConsent drives the browser from GET /authorize through the login
// and consent forms; uncheck removes scopes, decision is approve or deny. It
// returns the final redirect to the client.
func (e *env) loginAndConsent(t *testing.T, b *browser, params url.Values, user, password string, uncheck []string, decision string) *url.URL {
	t.Helper()
	p := b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	if p.status != http.StatusSeeOther {
		t.Fatalf("authorize: status %d, body %s", p.status, p.body)
	}
	if strings.HasPrefix(e.abs(p.location), e.ts.URL+"/login") {
		lp := b.get(t, e.abs(p.location))
		fields, _ := inputs(t, lp.body)
		form := url.Values{"csrf_token": {fields["csrf_token"]}, "request_id": {fields["request_id"]},
			"username": {user}, "password": {password}}
		p = b.post(t, e.ts.URL+"/login", form)
		if p.status != http.StatusSeeOther {
			t.Fatalf("login: status %d, body %s", p.status, p.body)
		}
	}
	cp := b.get(t, e.abs(p.location))
	if cp.status == http.StatusSeeOther { // remembered consent
		u, _ := url.Parse(cp.location)
		return u
	}
	if cp.status != http.StatusOK {
		t.Fatalf("consent page: status %d, body %s", cp.status, cp.body)
	}
	fields, boxes := inputs(t, cp.body)
	form := url.Values{"csrf_token": {fields["csrf_token"]}, "request_id": {fields["request_id"]}, "decision": {decision}}
	for _, sc := range boxes {
		if !contains(uncheck, sc) {
			form.Add("scope", sc)
		}
	}
	p = b.post(t, e.ts.URL+"/consent", form)
	if p.status != http.StatusSeeOther {
		t.Fatalf("consent: status %d, body %s", p.status, p.body)
	}
	u, err := url.Parse(p.location)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

type tokenResponse struct {
	status int
	body   map[string]any
	header http.Header
}

func (tr tokenResponse) str(k string) string { s, _ := tr.body[k].(string); return s }

func (e *env) postForm(t *testing.T, path string, form url.Values, basicUser, basicPass string) tokenResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if basicUser != "" {
		req.SetBasicAuth(basicUser, basicPass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return tokenResponse{status: resp.StatusCode, body: body, header: resp.Header}
}

// exchange redeems a code.
func (e *env) exchange(t *testing.T, clientID, code, redirect, verifier string, extra url.Values) tokenResponse {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect},
		"code_verifier": {verifier}, "client_id": {clientID}}
	for k, v := range extra {
		form[k] = v
	}
	return e.postForm(t, "/token", form, "", "")
}

func (e *env) refresh(t *testing.T, clientID, rt string) tokenResponse {
	t.Helper()
	return e.postForm(t, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt},
		"client_id": {clientID}, "resource": {e.srv.Resource()}}, "", "")
}

// callMCP calls the protected endpoint with an optional bearer token.
func (e *env) callMCP(t *testing.T, method, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, e.ts.URL+"/mcp", strings.NewReader(`{}`))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// fullFlow registers a public client, runs login+consent as alice and
// exchanges the code; it returns the client ID and the token response.
func (e *env) fullFlow(t *testing.T) (string, tokenResponse) {
	t.Helper()
	redirect := "http://127.0.0.1:9/callback"
	clientID := e.publicClient(t, redirect)
	verifier, challenge := pkce("v")
	u := e.loginAndConsent(t, e.browser(), authParams(clientID, redirect, challenge), "alice", "correct horse", nil, "approve")
	tr := e.exchange(t, clientID, u.Query().Get("code"), redirect, verifier, url.Values{"resource": {e.srv.Resource()}})
	if tr.status != http.StatusOK {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	return clientID, tr
}

func mustBcrypt(t *testing.T, secret string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}
