package oauth

import (
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// docServer serves client ID metadata documents over TLS on 127.0.0.1.
type docServer struct {
	ts   *httptest.Server
	hits atomic.Int64
	docs map[string]func(w http.ResponseWriter, id string)
}

func newDocServer(t *testing.T) *docServer {
	d := &docServer{docs: map[string]func(http.ResponseWriter, string){}}
	d.ts = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d.hits.Add(1)
		h, ok := d.docs[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h(w, d.ts.URL+r.URL.Path)
	}))
	t.Cleanup(d.ts.Close)
	return d
}

// serve registers a JSON document at path; fields override the valid default.
func (d *docServer) serve(path string, cacheControl string, fields map[string]any) string {
	d.docs[path] = func(w http.ResponseWriter, id string) {
		doc := map[string]any{
			"client_id": id, "client_name": "Claude Code", "client_uri": "https://claude.ai",
			"redirect_uris":              []string{"http://localhost/callback", "http://127.0.0.1/callback"},
			"token_endpoint_auth_method": "none", "grant_types": []string{"authorization_code", "refresh_token"},
		}
		for k, v := range fields {
			if v == nil {
				delete(doc, k)
			} else {
				doc[k] = v
			}
		}
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(doc)
	}
	return d.ts.URL + path
}

func cimdEnv(t *testing.T, d *docServer, allowLoopback bool) *env {
	pool := x509.NewCertPool()
	pool.AddCert(d.ts.Certificate())
	e := newEnv(t, func(c *Config) {
		c.CIMD.RootCAs = pool
		c.CIMD.MaxBytes = 2048
		if allowLoopback {
			c.CIMD.AddressAllowed = func(a netip.Addr) bool { return a.IsLoopback() }
		}
	})
	e.srv.cimd.now = e.clock.Now
	return e
}

func TestCIMDFlowWithPortAgnosticLocalhost(t *testing.T) {
	d := newDocServer(t)
	e := cimdEnv(t, d, true)
	clientID := d.serve("/oauth/claude-code-client-metadata", "max-age=3600", nil)
	redirect := "http://localhost:54321/callback" // the document lists it without a port
	verifier, challenge := pkce("d")
	params := authParams(clientID, redirect, challenge)
	params.Set("resource", e.srv.Resource())

	b := e.browser()
	p := b.get(t, e.ts.URL+"/authorize?"+params.Encode())
	lp := b.get(t, e.abs(p.location))
	if !strings.Contains(lp.body, "Claude Code") || !strings.Contains(lp.body, "localhost:54321") {
		t.Fatalf("login page lacks client name or redirect host: %.500s", lp.body)
	}
	f, _ := inputs(t, lp.body)
	p = b.post(t, e.ts.URL+"/login", url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]},
		"username": {"alice"}, "password": {"correct horse"}})
	cp := b.get(t, e.abs(p.location))
	if !strings.Contains(cp.body, "localhost:54321") || !strings.Contains(cp.body, "runs on your own computer") {
		t.Fatalf("consent page lacks redirect host or loopback warning: %.800s", cp.body)
	}
	f, boxes := inputs(t, cp.body)
	form := url.Values{"csrf_token": {f["csrf_token"]}, "request_id": {f["request_id"]}, "decision": {"approve"}, "scope": boxes}
	p = b.post(t, e.ts.URL+"/consent", form)
	u, _ := url.Parse(p.location)
	if u.Host != "localhost:54321" || u.Query().Get("code") == "" || u.Query().Get("iss") != e.issuer {
		t.Fatalf("redirect = %s", p.location)
	}
	tr := e.exchange(t, clientID, u.Query().Get("code"), redirect, verifier, url.Values{"resource": {e.srv.Resource()}})
	if tr.status != http.StatusOK {
		t.Fatalf("exchange: %d %v", tr.status, tr.body)
	}
	if r := e.refresh(t, clientID, tr.str("refresh_token")); r.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	}
	if n := d.hits.Load(); n != 1 {
		t.Fatalf("document fetched %d times, want 1 (cached)", n)
	}

	for _, tc := range []struct {
		redirect string
		ok       bool
	}{
		{"http://127.0.0.1:5000/callback", true},
		{"http://LOCALHOST:1/callback", true},
		{"http://localhost:5000/other", false},
		{"http://[::1]:5000/callback", false},
		{"https://localhost:5000/callback", false},
		{"http://localhost:5000/callback?x=1", false},
	} {
		p := e.browser().get(t, e.ts.URL+"/authorize?"+authParams(clientID, tc.redirect, challenge).Encode())
		if got := p.status == http.StatusSeeOther; got != tc.ok {
			t.Errorf("redirect %s: status %d, want ok=%v", tc.redirect, p.status, tc.ok)
		}
	}

	// The cache honours max-age: after it passes the document is fetched again.
	e.clock.Advance(2 * time.Hour)
	e.browser().get(t, e.ts.URL+"/authorize?"+params.Encode())
	if n := d.hits.Load(); n != 2 {
		t.Fatalf("document fetched %d times after max-age, want 2", n)
	}
}

func TestCIMDRefusesNonPublicAddresses(t *testing.T) {
	d := newDocServer(t)
	e := cimdEnv(t, d, false) // default: public addresses only
	for _, id := range []string{
		d.serve("/doc", "", nil),
		strings.Replace(d.serve("/doc2", "", nil), "127.0.0.1", "localhost", 1),
	} {
		_, challenge := pkce("f")
		p := e.browser().get(t, e.ts.URL+"/authorize?"+authParams(id, "http://localhost:1/callback", challenge).Encode())
		// The page must not say what the host resolved to (an internal
		// network oracle); the log has the detail.
		if p.status != http.StatusBadRequest || !strings.Contains(p.body, "could not be fetched") || strings.Contains(p.body, "127.0.0.1 is not allowed") {
			t.Fatalf("%s: status %d body %.400s", id, p.status, p.body)
		}
	}
	if n := d.hits.Load(); n != 0 {
		t.Fatalf("the document server was contacted %d times", n)
	}
}

func TestCIMDBadDocuments(t *testing.T) {
	d := newDocServer(t)
	other := newDocServer(t)
	e := cimdEnv(t, d, true)
	otherPool := other.ts.Certificate()
	e.srv.cimd.http.Transport.(*http.Transport).TLSClientConfig.RootCAs.AddCert(otherPool)
	other.serve("/target", "", nil)
	d.docs["/cross-host"] = func(w http.ResponseWriter, _ string) {
		w.Header().Set("Location", other.ts.URL+"/target")
		w.WriteHeader(http.StatusFound)
	}
	d.docs["/too-big"] = func(w http.ResponseWriter, id string) {
		_, _ = w.Write([]byte(`{"client_id":"` + id + `","client_name":"` + strings.Repeat("x", 3000) + `"}`))
	}
	d.docs["/not-json"] = func(w http.ResponseWriter, _ string) { _, _ = w.Write([]byte("<html>")) }
	tests := []struct {
		name, id, text string
	}{
		{"client_id mismatch", d.serve("/mismatch", "", map[string]any{"client_id": "https://evil.example/doc"}), "does not equal"},
		{"no client_name", d.serve("/noname", "", map[string]any{"client_name": nil}), "client_name"},
		{"no redirect_uris", d.serve("/noredirect", "", map[string]any{"redirect_uris": nil}), "redirect_uris"},
		{"http redirect", d.serve("/httpredirect", "", map[string]any{"redirect_uris": []string{"http://app.example/cb"}}), "must use https"},
		{"secret auth", d.serve("/secret", "", map[string]any{"token_endpoint_auth_method": "client_secret_basic"}), "not supported"},
		{"not json", d.ts.URL + "/not-json", "not a valid JSON"},
		{"too big", d.ts.URL + "/too-big", "larger than"},
		{"404", d.ts.URL + "/missing", "status 404"},
		{"cross-host redirect", d.ts.URL + "/cross-host", "could not be fetched"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, challenge := pkce("g")
			p := e.browser().get(t, e.ts.URL+"/authorize?"+authParams(tc.id, "http://localhost:1/callback", challenge).Encode())
			if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.text) {
				t.Fatalf("status %d body %.600s", p.status, p.body)
			}
		})
	}
	if n := other.hits.Load(); n != 0 {
		t.Fatalf("cross-host redirect was followed (%d hits)", n)
	}
	// A failure is cached briefly, then retried.
	before := d.hits.Load()
	e.browser().get(t, e.ts.URL+"/authorize?client_id="+url.QueryEscape(d.ts.URL+"/missing"))
	if d.hits.Load() != before {
		t.Fatal("failed fetch not cached")
	}
	e.clock.Advance(time.Minute)
	e.browser().get(t, e.ts.URL+"/authorize?client_id="+url.QueryEscape(d.ts.URL+"/missing"))
	if d.hits.Load() != before+1 {
		t.Fatal("failed fetch cached too long")
	}
}

func TestIsMetadataURL(t *testing.T) {
	for id, want := range map[string]bool{
		"https://claude.ai/oauth/claude-code-client-metadata": true,
		"https://app.example/doc?v=1":                         true,
		"https://app.example":                                 false,
		"https://app.example/":                                false,
		"http://app.example/doc":                              false,
		"https://app.example/a/../doc":                        false,
		"https://app.example/doc#frag":                        false,
		"https://user@app.example/doc":                        false,
		"abc123":                                              false,
	} {
		if got := isMetadataURL(id); got != want {
			t.Errorf("isMetadataURL(%q) = %v, want %v", id, got, want)
		}
	}
}

func TestCIMDCacheTTL(t *testing.T) {
	f := &cimdFetcher{opts: CIMDOptions{MinCacheTTL: 5 * time.Minute, MaxCacheTTL: 24 * time.Hour}}
	for cc, want := range map[string]time.Duration{
		"":                        5 * time.Minute,
		"no-store":                5 * time.Minute,
		"max-age=0":               5 * time.Minute,
		"public, max-age=3600":    time.Hour,
		"max-age=999999999":       24 * time.Hour,
		`max-age="600", no-cache`: 10 * time.Minute,
		"max-age=junk":            5 * time.Minute,
	} {
		if got := f.cacheTTL(cc); got != want {
			t.Errorf("cacheTTL(%q) = %v, want %v", cc, got, want)
		}
	}
}

func TestPublicAddress(t *testing.T) {
	for a, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fc00::1": false, "::ffff:127.0.0.1": false,
		"::ffff:10.0.0.1": false, "64:ff9b::a00:1": false, "224.0.0.1": false, "255.255.255.255": false, "198.18.0.1": false,
		"::a9fe:a9fe": false, "::10.0.0.1": false, "fec0::1": false, "0.1.2.3": false,
	} {
		if got := publicAddress(netip.MustParseAddr(a)); got != want {
			t.Errorf("publicAddress(%s) = %v, want %v", a, got, want)
		}
	}
}
