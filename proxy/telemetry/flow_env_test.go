package telemetry_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/mcpserver"
	"github.com/specgate/specgate/proxy/refresh"
	"github.com/specgate/specgate/proxy/specload"
	"github.com/specgate/specgate/proxy/telemetry"
)

// Secrets of the simulated flow; none may reach the audit or the app log.
const (
	password      = "correct horse battery staple"
	wrongPassword = "Tr0ub4dor&3-wrong"
	pkceVerifier  = "flow-verifier-0123456789-abcdefghij-0123456789"
	redirectURI   = "http://127.0.0.1:9/callback"
)

var (
	globalSecret = []byte("global-secret-global-secret-0123456789")
	cookieHash   = []byte("cookie-hash-key-cookie-hash-key-0123456789abcdef0123456789abcdef")[:64]
	cookieBlock  = []byte("cookie-block-key-0123456789abcde")[:32]
)

type users struct{}

func (users) Authenticate(_ context.Context, user, pw string) (*authn.Identity, error) {
	if user == "alice" && pw == password {
		return &authn.Identity{Subject: "alice"}, nil
	}
	return nil, authn.ErrInvalidCredentials
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

// upstreamAPI serves a tiny spec (with an ETag, for conditional reloads),
// GET /pet (200) and GET /missing (404), and records request IDs.
type upstreamAPI struct {
	mu  sync.Mutex
	ids []string
}

func (u *upstreamAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/openapi.json":
		w.Header().Set("ETag", `"v1"`)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"openapi":"3.0.3","info":{"title":"Pets","version":"1.4.2"},"paths":{}}`)
	case "/pet":
		u.note(r)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"name":"Rex"}`)
	default:
		u.note(r)
		http.NotFound(w, r)
	}
}

func (u *upstreamAPI) note(r *http.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.ids = append(u.ids, r.Header.Get(telemetry.RequestIDHeader))
}

func op(name, path string) *catalog.Operation {
	return &catalog.Operation{Name: name, Description: name, Method: "GET", Path: path,
		InputSchema: json.RawMessage(`{"type":"object"}`), Annotations: catalog.Annotations{ReadOnly: true}}
}

// flowEnv is specgate assembled the way the Integration notes wire it.
type flowEnv struct {
	ts       *httptest.Server
	upstream *upstreamAPI
	metrics  *telemetry.Metrics
	audit    *syncBuffer
	appLog   *syncBuffer
	refresh  *refresh.Refresher
}

func newFlowEnv(t *testing.T) *flowEnv {
	t.Helper()
	e := &flowEnv{upstream: &upstreamAPI{}, metrics: telemetry.NewMetrics("test"), audit: &syncBuffer{}, appLog: &syncBuffer{}}
	up := httptest.NewServer(e.upstream)
	t.Cleanup(up.Close)
	log, err := telemetry.NewLogger(e.appLog, "json", "debug")
	if err != nil {
		t.Fatal(err)
	}
	hooks := telemetry.Hooks{
		API: "pets", Metrics: e.metrics, Audit: telemetry.NewAudit(e.audit, log),
		Identify: func(ctx context.Context) telemetry.Identity {
			p, ok := oauth.PrincipalFromContext(ctx)
			if !ok {
				return telemetry.Identity{}
			}
			return telemetry.Identity{User: p.Subject, Client: p.ClientID, Scopes: p.Scopes}
		},
	}

	holder := &catalog.Holder{}
	holder.Subscribe(hooks.SpecChanged)
	build := func(_ context.Context, doc *specload.Document, _ *catalog.Catalog) (*catalog.Catalog, error) {
		cat := catalog.New([]*catalog.Operation{op("getPet", "/pet"), op("getMissing", "/missing")})
		cat.BaseURL, cat.Digest, cat.Version = up.URL, doc.Digest, doc.Spec.Info.Version
		return cat, nil
	}
	e.refresh = refresh.New(specload.NewLoader(specload.Options{Logger: log}), up.URL+"/openapi.json", build, holder,
		refresh.Options{TTL: -1, Logger: log, OnRefresh: hooks.Refresh})
	if err := e.refresh.Init(t.Context()); err != nil {
		t.Fatal(err)
	}

	e.ts = httptest.NewUnstartedServer(nil)
	base := "http://" + e.ts.Listener.Addr().String()
	as, err := oauth.New(oauth.Config{
		PublicURL: base, ScopesSupported: func() []string { return []string{"read"} },
		GlobalSecret: globalSecret, CookieHashKey: cookieHash, CookieBlockKey: cookieBlock, Logger: log,
		OnEvent: func(ctx context.Context, ev oauth.Event) {
			hooks.OAuth(ctx, string(ev.Kind), ev.Subject, ev.ClientID, ev.Scopes)
		},
	}, store.NewMemory(store.MemoryOptions{}), users{})
	if err != nil {
		t.Fatal(err)
	}
	fwd := forward.New(forward.Options{Decorate: telemetry.PropagateRequestID, OnUpstream: hooks.Upstream, Logger: log})
	mcp := mcpserver.New(mcpserver.Options{Holder: holder, Caller: fwd, PublicURL: base,
		Authenticate: as.RequireBearer, OnToolCall: hooks.ToolCall, Logger: log})
	t.Cleanup(func() { _ = mcp.Close(context.Background()) })
	mux := http.NewServeMux()
	as.Register(mux)
	mux.Handle("/mcp", mcp.Handler())
	e.ts.Config.Handler = telemetry.RequestID(mux)
	e.ts.Start()
	t.Cleanup(e.ts.Close)
	return e
}

var (
	inputRE = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)
	boxRE   = regexp.MustCompile(`<input[^>]*type="checkbox"[^>]*name="scope"[^>]*value="([^"]*)"`)
)

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    *testing.T
	c    *http.Client
	base string
}

func (b *browser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func hiddenFields(page string) url.Values {
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(page, -1) {
		if m[1] != "scope" && m[1] != "username" {
			v.Set(m[1], m[2])
		}
	}
	return v
}

func postForm(t *testing.T, u string, form url.Values) map[string]any {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: status %d: %v", u, resp.StatusCode, out)
	}
	return out
}

// toolCall posts one tools/call and returns the response's request ID.
func toolCall(t *testing.T, base, token, tool, requestID string) (string, string) {
	t.Helper()
	// A stateless (2026-era) call: no initialize, no session.
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":%q,"arguments":{},"_meta":{`+
		`"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"flow","version":"1"},`+
		`"io.modelcontextprotocol/clientCapabilities":{}}}}`, tool, mcp.ProtocolVersion20260728)
	req, _ := http.NewRequest(http.MethodPost, base+"/mcp", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set(mcp.HeaderProtocolVersion, mcp.ProtocolVersion20260728)
	req.Header.Set(mcp.HeaderMethod, "tools/call")
	req.Header.Set(mcp.HeaderName, tool)
	if requestID != "" {
		req.Header.Set(telemetry.RequestIDHeader, requestID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tools/call %s: status %d: %s", tool, resp.StatusCode, data)
	}
	return resp.Header.Get(telemetry.RequestIDHeader), string(data)
}

// authorize runs login (one wrong password first) and consent, and returns
// the authorization code; every secret it handles is added to secrets.
func authorize(t *testing.T, base, clientID string, secrets *[]string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	sum := sha256.Sum256([]byte(pkceVerifier))
	q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {redirectURI},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"state-0123456789"}, "scope": {"read offline_access"}, "resource": {base + "/mcp"}}
	resp, _ := b.do(http.MethodGet, "/authorize?"+q.Encode(), nil)
	_, page := b.do(http.MethodGet, resp.Header.Get("Location"), nil)
	for _, pw := range []string{wrongPassword, password} {
		form := hiddenFields(page)
		*secrets = append(*secrets, form.Get("csrf_token"))
		form.Set("username", "alice")
		form.Set("password", pw)
		resp, page = b.do(http.MethodPost, "/login", form)
	}
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", resp.StatusCode)
	}
	_, page = b.do(http.MethodGet, resp.Header.Get("Location"), nil)
	form := hiddenFields(page)
	*secrets = append(*secrets, form.Get("csrf_token"))
	for _, m := range boxRE.FindAllStringSubmatch(page, -1) {
		form.Add("scope", m[1])
	}
	form.Set("decision", "approve")
	resp, _ = b.do(http.MethodPost, "/consent", form)
	for _, c := range jar.Cookies(resp.Request.URL) {
		*secrets = append(*secrets, c.Value)
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("consent: no code in %q (status %d)", resp.Header.Get("Location"), resp.StatusCode)
	}
	*secrets = append(*secrets, code)
	return code
}
