package oauth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/store/storetest"
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/oauth/vault"
	"github.com/specgate/specgate/specs/demoapi"
)

// upEnv is an authorization server whose users are the demo API's own
// accounts (upstream-login), plus a /tool endpoint that acts like the
// forwarder: it calls the demo API as the caller with the grant's upstream
// credential.
type upEnv struct {
	*env
	demo        *demoapi.API
	demoSrv     *httptest.Server
	refreshDown atomic.Bool // the demo's refresh endpoint answers 503
	keys        *vault.Keyring
}

const demoTokenLifetime = time.Minute

var demoPasswords = []string{"demo-password", "alice-password", "bob-password"}

func testKeyring(t *testing.T, seeds ...byte) *vault.Keyring {
	t.Helper()
	var keys [][]byte
	for _, s := range seeds {
		keys = append(keys, bytes.Repeat([]byte{s}, vault.KeySize))
	}
	k, err := vault.New(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newUpEnv(t *testing.T, mutate func(*Config, *upstreamlogin.Config)) *upEnv {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	e := &env{t: t, ts: ts, logs: &syncBuffer{}, clock: storetest.NewClock(time.Now()), auth: &fakeAuth{}}
	e.st = store.NewMemory(store.MemoryOptions{Now: e.clock.Now})
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	u := &upEnv{env: e, keys: testKeyring(t, 1)}

	u.demo = demoapi.New(demoapi.Options{Now: e.clock.Now, TokenLifetime: demoTokenLifetime, RefreshTokenLifetime: 24 * time.Hour})
	u.demoSrv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u.refreshDown.Load() && r.URL.Path == demoapi.RefreshPath {
			http.Error(w, `{"title":"Service Unavailable"}`, http.StatusServiceUnavailable)
			return
		}
		u.demo.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(u.demoSrv.Close)

	ucfg := upstreamlogin.Config{
		BaseURL: func() string { return u.demoSrv.URL + demoapi.BasePath },
		Path:    "/auth/login", RefreshPath: "/auth/refresh",
		ScopesPointer: "/user/roles",
		ScopeMap:      map[string][]string{"admin": testScopes, "editor": {"read", "write"}, "viewer": {"read"}},
		Logger:        logger, Now: e.clock.Now,
	}
	cfg := testConfig("http://" + ts.Listener.Addr().String())
	cfg.Logger = logger
	cfg.Vault = u.keys
	if mutate != nil {
		mutate(&cfg, &ucfg)
	}
	auth, err := upstreamlogin.New(ucfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Vault != nil && cfg.UpstreamRefresher == nil {
		cfg.UpstreamRefresher = auth
	}
	srv, err := New(cfg, e.st, auth)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.now = e.clock.Now
	e.srv, e.issuer = srv, srv.Issuer()
	mux := http.NewServeMux()
	srv.Register(mux)
	mux.Handle("/tool", srv.RequireBearer(http.HandlerFunc(u.tool)))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(u.checkNoSecretsLogged)
	return u
}

// tool stands in for a tool call: POST with {"title"} creates a task, GET
// lists titles. An upstream credential problem answers 424 with the error
// text the user would see.
func (u *upEnv) tool(w http.ResponseWriter, r *http.Request) {
	p, _ := PrincipalFromContext(r.Context())
	u.mu.Lock()
	u.lastPrincipal = p
	u.mu.Unlock()
	cred, err := u.srv.UpstreamCredential(r.Context(), p)
	if err != nil {
		http.Error(w, err.Error(), http.StatusFailedDependency)
		return
	}
	body, _ := io.ReadAll(r.Body)
	method, target := http.MethodGet, u.demoSrv.URL+demoapi.BasePath+"/tasks?limit=100"
	if r.Method == http.MethodPost {
		method, target = http.MethodPost, u.demoSrv.URL+demoapi.BasePath+"/tasks"
	}
	req, _ := http.NewRequestWithContext(r.Context(), method, target, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+cred.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// checkNoSecretsLogged scans everything logged (server and authenticator):
// no password, no demo or MCP token, no authorization code.
func (u *upEnv) checkNoSecretsLogged() {
	logs := u.logs.String()
	for _, s := range append([]string{"demo_at_", "demo_rt_", "ory_at_", "ory_rt_", "ory_ac_"}, demoPasswords...) {
		if strings.Contains(logs, s) {
			u.t.Errorf("the log contains a secret (%s…)", s)
		}
	}
}

// session is one user's MCP client: its tokens after login and consent.
type session struct {
	clientID, access, refresh string
}

// connect runs login and consent in a new browser and exchanges the code.
func (u *upEnv) connect(t *testing.T, user, password string) session {
	t.Helper()
	redirect := "http://127.0.0.1:9/callback"
	clientID := u.publicClient(t, redirect)
	verifier, challenge := pkce("u")
	loc := u.loginAndConsent(t, u.browser(), authParams(clientID, redirect, challenge), user, password, nil, "approve")
	tr := u.exchange(t, clientID, loc.Query().Get("code"), redirect, verifier, url.Values{"resource": {u.srv.Resource()}})
	if tr.status != http.StatusOK {
		t.Fatalf("exchange for %s: %d %v", user, tr.status, tr.body)
	}
	return session{clientID: clientID, access: tr.str("access_token"), refresh: tr.str("refresh_token")}
}

// call invokes /tool; title non-empty creates a task.
func (u *upEnv) call(s session, title string) (int, string, error) {
	method, body := http.MethodGet, ""
	if title != "" {
		method, body = http.MethodPost, fmt.Sprintf(`{"title":%q}`, title)
	}
	req, _ := http.NewRequest(method, u.ts.URL+"/tool", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.access)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw), nil
}

// titles lists the caller's task titles through /tool.
func (u *upEnv) titles(t *testing.T, s session) []string {
	t.Helper()
	status, body, err := u.call(s, "")
	if err != nil || status != http.StatusOK {
		t.Fatalf("list: %d %s %v", status, body, err)
	}
	return decodeTitles(body)
}

func decodeTitles(body string) []string {
	var list demoapi.TaskList
	_ = json.Unmarshal([]byte(body), &list)
	var out []string
	for _, it := range list.Items {
		out = append(out, it.Title)
	}
	return out
}

func (u *upEnv) principal() *Principal {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.lastPrincipal
}
