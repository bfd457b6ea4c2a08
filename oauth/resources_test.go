package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Two APIs: /mcp/a offers a:read, /mcp/b offers b:read and b:write.
func twoAPIs(c *Config) {
	c.ScopesSupported = nil
	c.Resources = []ResourceConfig{
		{Path: "/mcp/a", Name: "API A (a)", Scopes: func() []string { return []string{"a:read", "offline_access"} }},
		{Path: "/mcp/b", Name: "API B (b)", Scopes: func() []string { return []string{"b:read", "b:write", "b:read"} },
			DescribeScope: func(s string) string { return "B may " + s }},
	}
}

// newMultiEnv starts a server hosting the resources mutate configures, each
// mounted with RequireBearerFor (plus /mcp with RequireBearer, by newEnv).
func newMultiEnv(t *testing.T, mutate func(*Config)) *env {
	t.Helper()
	var paths []string
	return newEnvRoutes(t, func(c *Config) {
		mutate(c)
		for _, r := range c.Resources {
			paths = append(paths, r.Path)
		}
	}, func(e *env, mux *http.ServeMux) {
		for _, path := range paths {
			mux.Handle(path, e.srv.RequireBearerFor(path)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				p, _ := PrincipalFromContext(r.Context())
				e.mu.Lock()
				e.lastPrincipal = p
				e.mu.Unlock()
				if need := r.URL.Query().Get("need"); need != "" {
					e.srv.WriteInsufficientScope(w, r, []string{need})
					return
				}
				w.WriteHeader(http.StatusOK)
			})))
		}
	})
}

// call requests path with an optional bearer token.
func (e *env) call(t *testing.T, path, token string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+path, strings.NewReader(`{}`))
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

// consentPage drives b from /authorize to the consent page, signing in as
// alice when asked to; it reports whether a login was needed.
func (e *env) consentPage(t *testing.T, b *browser, params url.Values) (cp page, loggedIn bool) {
	t.Helper()
	p := b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	if p.status != http.StatusSeeOther {
		t.Fatalf("authorize: status %d, location %q, body %.300s", p.status, p.location, p.body)
	}
	if strings.HasPrefix(p.location, "/login?") {
		lp := b.get(t, e.abs(p.location))
		f, _ := inputs(t, lp.body)
		p = b.post(t, e.ts.URL+"/login", url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]},
			"username": {"alice"}, "password": {"correct horse"}})
		loggedIn = true
	}
	if !strings.HasPrefix(p.location, "/consent?") {
		t.Fatalf("sent to %q, want the consent page", p.location)
	}
	return b.get(t, e.abs(p.location)), loggedIn
}

// approveAll approves every offered scope on consent page cp and returns the
// code.
func (e *env) approveAll(t *testing.T, b *browser, cp page) string {
	t.Helper()
	f, boxes := inputs(t, cp.body)
	form := url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]}, "decision": {"approve"}, "scope": boxes}
	p := b.post(t, e.ts.URL+"/consent", form)
	u, err := url.Parse(p.location)
	if p.status != http.StatusSeeOther || err != nil || u.Query().Get("code") == "" {
		t.Fatalf("consent: %d %q", p.status, p.location)
	}
	return u.Query().Get("code")
}

func TestMultiResourceOneLoginAudienceBoundTokens(t *testing.T) {
	e := newMultiEnv(t, twoAPIs)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	b := e.browser()
	resA, resB := e.issuer+"/mcp/a", e.issuer+"/mcp/b"

	// API a first: login, then consent offering a's scopes only.
	va, ca := pkce("a")
	params := authParams(clientID, redirect, ca)
	params.Set("scope", "a:read b:read b:write offline_access")
	params.Set("resource", resA)
	cp, loggedIn := e.consentPage(t, b, params)
	if _, boxes := inputs(t, cp.body); !loggedIn || !slices.Equal(boxes, []string{"a:read"}) || !strings.Contains(cp.body, "API A (a)") ||
		!strings.Contains(cp.body, "Can a:read") {
		t.Fatalf("first authorization: login %v, consent offers %v, body %.2000s", loggedIn, boxes, cp.body)
	}
	// A forged post for b's scope is ignored.
	f, _ := inputs(t, cp.body)
	p := b.post(t, e.ts.URL+"/consent", url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]},
		"decision": {"approve"}, "scope": {"a:read", "b:read"}})
	u, _ := url.Parse(p.location)
	ta := e.exchange(t, clientID, u.Query().Get("code"), redirect, va, url.Values{"resource": {resA}})
	if ta.status != http.StatusOK || ta.str("scope") != "a:read offline_access" {
		t.Fatalf("token for a: %d %v", ta.status, ta.body)
	}

	// API b with the same browser: consent only, no password.
	vb, cb := pkce("b")
	params = authParams(clientID, redirect, cb)
	params.Set("scope", "b:read b:write a:read")
	params.Set("resource", resB)
	cp, loggedIn = e.consentPage(t, b, params)
	if _, boxes := inputs(t, cp.body); loggedIn || !slices.Equal(boxes, []string{"b:read", "b:write"}) || !strings.Contains(cp.body, "API B (b)") ||
		!strings.Contains(cp.body, "B may b:write") {
		t.Fatalf("second authorization: login %v, consent offers %v, body %.2000s", loggedIn, boxes, cp.body)
	}
	tb := e.exchange(t, clientID, e.approveAll(t, b, cp), redirect, vb, url.Values{"resource": {resB}})
	if tb.status != http.StatusOK || tb.str("scope") != "b:read b:write" {
		t.Fatalf("token for b: %d %v", tb.status, tb.body)
	}
	e.auth.mu.Lock()
	logins := len(e.auth.entered)
	e.auth.mu.Unlock()
	if logins != 1 {
		t.Fatalf("%d password checks for two authorizations, want 1", logins)
	}

	tests := []struct {
		name, token, path string
		want              int
		resource          string
	}{
		{"a on a", ta.str("access_token"), "/mcp/a", http.StatusOK, resA},
		{"a on b", ta.str("access_token"), "/mcp/b", http.StatusUnauthorized, ""},
		{"b on a", tb.str("access_token"), "/mcp/a", http.StatusUnauthorized, ""},
		{"b on b", tb.str("access_token"), "/mcp/b", http.StatusOK, resB},
		{"b on default /mcp", tb.str("access_token"), "/mcp", http.StatusUnauthorized, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.mu.Lock()
			e.lastPrincipal = nil
			e.mu.Unlock()
			resp := e.call(t, tc.path, tc.token)
			if resp.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.want)
			}
			if tc.want == http.StatusUnauthorized {
				if h := resp.Header.Get("WWW-Authenticate"); !strings.Contains(h, `error="invalid_token"`) ||
					!strings.Contains(h, `error_description="The access token was issued for another API`) {
					t.Fatalf("WWW-Authenticate %q", h)
				}
				return
			}
			e.mu.Lock()
			pr := e.lastPrincipal
			e.mu.Unlock()
			if pr == nil || pr.Resource != tc.resource || !slices.Equal(pr.Audience, []string{tc.resource}) || pr.Subject != "alice" {
				t.Fatalf("principal %+v", pr)
			}
		})
	}

	// Step-up on b names b's metadata (taken from the principal).
	req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/mcp/b?need=b:admin", nil)
	req.Header.Set("Authorization", "Bearer "+tb.str("access_token"))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := `Bearer error="insufficient_scope", scope="b:admin b:read b:write", resource_metadata="` + e.issuer + `/.well-known/oauth-protected-resource/mcp/b"`
	if got := resp.Header.Get("WWW-Authenticate"); resp.StatusCode != http.StatusForbidden || got != want {
		t.Fatalf("step-up: %d %q, want %q", resp.StatusCode, got, want)
	}

	// Refresh keeps the audience; a resource naming another API is refused.
	rt := ta.str("refresh_token")
	if r := e.postForm(t, "/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID},
		"resource": {resB}}, "", ""); r.status != http.StatusBadRequest || r.str("error") != "invalid_target" {
		t.Fatalf("refresh of a's grant for b: %d %v", r.status, r.body)
	}
	for i, extra := range []url.Values{{"resource": {resA}}, {}} {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {clientID}}
		for k, v := range extra {
			form[k] = v
		}
		r := e.postForm(t, "/token", form, "", "")
		if r.status != http.StatusOK {
			t.Fatalf("refresh %d: %d %v", i, r.status, r.body)
		}
		rt = r.str("refresh_token")
		if a, b := e.call(t, "/mcp/a", r.str("access_token")), e.call(t, "/mcp/b", r.str("access_token")); a.StatusCode != http.StatusOK || b.StatusCode != http.StatusUnauthorized {
			t.Fatalf("refresh %d: refreshed token on a %d, on b %d", i, a.StatusCode, b.StatusCode)
		}
	}
}

func TestMultiResourceAuthorizeTargets(t *testing.T) {
	e := newMultiEnv(t, twoAPIs)
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("t")
	resA := e.issuer + "/mcp/a"
	upperA := strings.ToUpper(e.issuer) + "/mcp/a/"
	tests := []struct {
		name      string
		resources []string
		wantErr   string // "" = accepted (sent to login)
		desc      string
	}{
		{"absent", nil, "invalid_target", "this server hosts several APIs"},
		{"issuer", []string{e.issuer}, "invalid_target", "not one of this server's APIs"},
		{"issuer slash", []string{e.issuer + "/"}, "invalid_target", "not one of"},
		{"unconfigured /mcp", []string{e.issuer + "/mcp"}, "invalid_target", "not one of"},
		{"two APIs", []string{resA, e.issuer + "/mcp/b"}, "invalid_target", "one API per authorization"},
		{"foreign", []string{"https://other.example/mcp/a"}, "invalid_target", "not one of"},
		{"a", []string{resA}, "", ""},
		{"a variants", []string{upperA, resA}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := authParams(clientID, redirect, challenge)
			params["resource"] = tc.resources
			p := e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
			if tc.wantErr == "" {
				if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login?") {
					t.Fatalf("status %d location %q", p.status, p.location)
				}
				return
			}
			u, _ := url.Parse(p.location)
			q := u.Query()
			if p.status != http.StatusSeeOther || q.Get("error") != tc.wantErr || !strings.Contains(strings.ToLower(q.Get("error_description")), strings.ToLower(tc.desc)) {
				t.Fatalf("status %d location %q", p.status, p.location)
			}
			if tc.name == "absent" && (!strings.Contains(q.Get("error_description"), resA) || !strings.Contains(q.Get("error_description"), e.issuer+"/mcp/b")) {
				t.Fatalf("description does not list the APIs: %q", q.Get("error_description"))
			}
		})
	}
}

func TestMultiResourceCodeExchangeResource(t *testing.T) {
	var mu sync.Mutex
	var issued [][]string // audience of each token_issued event
	e := newMultiEnv(t, func(c *Config) {
		twoAPIs(c)
		c.OnEvent = func(_ context.Context, ev Event) {
			if ev.Kind == EventTokenIssued {
				mu.Lock()
				issued = append(issued, ev.Audience)
				mu.Unlock()
			}
		}
	})
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	resB := e.issuer + "/mcp/b"
	tests := []struct {
		name, resource, want string // want "" = 200
	}{
		{"other API", e.issuer + "/mcp/a", "invalid_target"},
		{"issuer", e.issuer, "invalid_target"},
		{"unconfigured /mcp", e.issuer + "/mcp", "invalid_target"},
		{"the grant's", resB, ""},
		{"the grant's with slash", resB + "/", ""},
		{"none", "", ""},
	}
	b := e.browser()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			verifier, challenge := pkce("x")
			params := authParams(clientID, redirect, challenge)
			params.Set("resource", resB)
			cp, _ := e.consentPage(t, b, params)
			extra := url.Values{}
			if tc.resource != "" {
				extra.Set("resource", tc.resource)
			}
			tr := e.exchange(t, clientID, e.approveAll(t, b, cp), redirect, verifier, extra)
			if tc.want != "" {
				if tr.status != http.StatusBadRequest || tr.str("error") != tc.want {
					t.Fatalf("%d %v, want %s", tr.status, tr.body, tc.want)
				}
				return
			}
			if tr.status != http.StatusOK {
				t.Fatalf("%d %v", tr.status, tr.body)
			}
			if resp := e.call(t, "/mcp/b", tr.str("access_token")); resp.StatusCode != http.StatusOK {
				t.Fatalf("token refused on b: %d", resp.StatusCode)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(issued) == 0 || !slices.Equal(issued[len(issued)-1], []string{resB}) {
				t.Fatalf("token_issued events' audiences: %v", issued)
			}
		})
	}
}

func TestMultiResourceConsentRememberedPerAPI(t *testing.T) {
	// Both APIs use the same scope names: approving one must not approve the other.
	e := newMultiEnv(t, func(c *Config) {
		c.ScopesSupported = nil
		c.RememberConsent = time.Hour
		read := func() []string { return []string{"read"} }
		c.Resources = []ResourceConfig{{Path: "/mcp/a", Scopes: read}, {Path: "/mcp/b", Scopes: read}}
	})
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	b := e.browser()
	_, challenge := pkce("r")
	forA := authParams(clientID, redirect, challenge)
	forA.Set("resource", e.issuer+"/mcp/a")
	forB := authParams(clientID, redirect, challenge)
	forB.Set("resource", e.issuer+"/mcp/b")

	cp, _ := e.consentPage(t, b, forA)
	if !strings.Contains(cp.body, "specgate") { // Name defaults to ProductName
		t.Fatalf("consent page does not name the product")
	}
	e.approveAll(t, b, cp)
	tests := []struct {
		name   string
		params url.Values
		want   int // consent page status: 200 asks, 303 remembered
	}{
		{"other API asks", forB, http.StatusOK},
		{"same API remembered", forA, http.StatusSeeOther},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if cp, _ := e.consentPage(t, b, tc.params); cp.status != tc.want {
				t.Fatalf("consent page %d, want %d", cp.status, tc.want)
			}
		})
	}
}

func TestSingleResourceFromResources(t *testing.T) {
	// One entry in Resources behaves like MCPPath: resource optional, the
	// issuer an alias.
	e := newMultiEnv(t, func(c *Config) {
		c.ScopesSupported = nil
		c.Resources = []ResourceConfig{{Path: "/mcp/tasks", Name: "Tasks", Scopes: func() []string { return []string{"t:read"} }}}
	})
	redirect := "http://127.0.0.1:9/cb"
	clientID := e.publicClient(t, redirect)
	verifier, challenge := pkce("s")
	b := e.browser()
	cp, _ := e.consentPage(t, b, authParams(clientID, redirect, challenge)) // no resource
	if !strings.Contains(cp.body, "Tasks") {
		t.Fatal("consent page does not name the API")
	}
	tr := e.exchange(t, clientID, e.approveAll(t, b, cp), redirect, verifier, nil)
	if tr.status != http.StatusOK || tr.str("scope") != "t:read" {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	issuerAud := mintToken(t, e, []string{e.issuer}, e.clock.Now().Add(time.Hour))
	for _, tok := range []string{tr.str("access_token"), issuerAud} {
		if resp := e.call(t, "/mcp/tasks", tok); resp.StatusCode != http.StatusOK {
			t.Fatalf("token refused: %d", resp.StatusCode)
		}
		if p := e.lastPrincipal; p == nil || p.Resource != e.issuer+"/mcp/tasks" {
			t.Fatalf("principal %+v", p)
		}
	}
	_, md := getJSON(t, e.ts.URL+"/.well-known/oauth-protected-resource/mcp/tasks", nil)
	if md["resource"] != e.issuer+"/mcp/tasks" || md["resource_name"] != "Tasks" {
		t.Fatalf("PRM %v", md)
	}
}
