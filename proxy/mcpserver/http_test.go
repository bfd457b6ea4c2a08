package mcpserver

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client/transport"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestHostCheck(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		host      string
		wantOK    bool
	}{
		{"loopback IP", "", "127.0.0.1:8080", true},
		{"localhost", "", "localhost:8080", true},
		{"IPv6 loopback", "", "[::1]:8080", true},
		{"foreign host", "", "evil.example", false},
		{"foreign host with port", "https://mcp.example.com", "evil.example:443", false},
		{"public URL host", "https://mcp.example.com", "mcp.example.com", true},
		{"public URL host with port, other case", "https://mcp.example.com", "MCP.Example.com:443", true},
		{"public URL with port", "http://gw.example:9000", "gw.example:9000", true},
		{"suffix of public host", "https://mcp.example.com", "example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &catalog.Holder{}
			h.Set(testCatalog("http://upstream.test", "op"))
			_, url := startServer(t, Options{Holder: h, PublicURL: tt.publicURL})
			resp, body := post(t, url, tt.host, initializeBody, nil)
			if !tt.wantOK {
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("Host %s: status %d, want 403; body %s", tt.host, resp.StatusCode, body)
				}
				code, desc := jsonError(t, resp, body)
				if code != "forbidden_host" || !strings.Contains(desc, tt.host) || !strings.Contains(desc, "--public-url") {
					t.Fatalf("refusal = %s: %s", code, desc)
				}
				return
			}
			if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"protocolVersion"`) {
				t.Fatalf("Host %s: status %d body %s, want an initialize result", tt.host, resp.StatusCode, body)
			}
		})
	}
}

// TestHostCheckOffLoopback: a request that arrived on a non-loopback
// interface is not subject to the DNS-rebinding check.
func TestHostCheckOffLoopback(t *testing.T) {
	s := New(Options{Holder: &catalog.Holder{}, Caller: &recordingCaller{}})
	for _, tt := range []struct {
		local net.Addr
		want  bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("10.1.2.3"), Port: 8080}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}, false},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080}, false},
		{nil, true},
	} {
		r := httptest.NewRequest(http.MethodPost, "/mcp", nil)
		r.Host = "evil.example"
		if tt.local != nil {
			r = r.WithContext(context.WithValue(r.Context(), http.LocalAddrContextKey, tt.local))
		}
		if got := s.hostAllowed(r); got != tt.want {
			t.Errorf("local %v, Host evil.example: allowed = %v, want %v", tt.local, got, tt.want)
		}
	}
}

func TestOriginCheck(t *testing.T) {
	const allowed = "https://app.example"
	tests := []struct {
		name    string
		origins []string
		origin  string
		wantOK  bool
	}{
		{"absent", []string{allowed}, "", true},
		{"allowed", []string{allowed}, allowed, true},
		{"allowed, other case and trailing slash in config", []string{"https://App.Example/"}, allowed, true},
		{"public URL is always allowed", nil, "https://mcp.example.com", true},
		{"wildcard", []string{"*"}, "https://anything.example", true},
		{"not allowed", []string{allowed}, "https://evil.example", false},
		{"none configured", nil, "https://evil.example", false},
		{"scheme matters", []string{allowed}, "http://app.example", false},
		{"null origin", []string{allowed}, "null", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := startServer(t, Options{PublicURL: "https://mcp.example.com", AllowedOrigins: tt.origins})
			hdr := map[string]string{}
			if tt.origin != "" {
				hdr["Origin"] = tt.origin
			}
			resp, body := post(t, url, "", initializeBody, hdr)
			if !tt.wantOK {
				if resp.StatusCode != http.StatusForbidden {
					t.Fatalf("status %d, want 403; body %s", resp.StatusCode, body)
				}
				code, desc := jsonError(t, resp, body)
				if code != "forbidden_origin" || !strings.Contains(desc, tt.origin) || !strings.Contains(desc, "--allowed-origins") {
					t.Fatalf("refusal = %s: %s", code, desc)
				}
				if acao := resp.Header.Get("Access-Control-Allow-Origin"); acao != "" {
					t.Fatalf("refused origin got Access-Control-Allow-Origin %q", acao)
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
			}
			acao := resp.Header.Get("Access-Control-Allow-Origin")
			if tt.origin == "" {
				if acao != "" {
					t.Fatalf("no Origin, yet Access-Control-Allow-Origin %q", acao)
				}
				return
			}
			if acao != tt.origin {
				t.Errorf("Access-Control-Allow-Origin = %q, want the request's origin %q", acao, tt.origin)
			}
			expose := resp.Header.Get("Access-Control-Expose-Headers")
			for _, h := range []string{"WWW-Authenticate", "Mcp-Session-Id"} {
				if !strings.Contains(expose, h) {
					t.Errorf("Access-Control-Expose-Headers = %q, lacks %s", expose, h)
				}
			}
			if !slices.Contains(resp.Header.Values("Vary"), "Origin") {
				t.Errorf("Vary = %v, want Origin", resp.Header.Values("Vary"))
			}
		})
	}
}

func TestPreflight(t *testing.T) {
	const allowed = "https://app.example"
	authCalls := 0
	_, url := startServer(t, Options{
		AllowedOrigins: []string{allowed},
		// Preflights never carry credentials; they must not reach authentication.
		Authenticate: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				authCalls++
				http.Error(w, "unauthorized", http.StatusUnauthorized)
			})
		},
	})
	pre := map[string]string{"Origin": allowed, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type, mcp-protocol-version"}
	resp, body := do(t, http.MethodOptions, url, "", "", pre)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("preflight status %d, want 204; body %s", resp.StatusCode, body)
	}
	h := resp.Header
	if h.Get("Access-Control-Allow-Origin") != allowed {
		t.Errorf("Allow-Origin = %q", h.Get("Access-Control-Allow-Origin"))
	}
	for _, m := range []string{"POST", "GET", "DELETE"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Methods"), m) {
			t.Errorf("Allow-Methods = %q lacks %s", h.Get("Access-Control-Allow-Methods"), m)
		}
	}
	for _, hd := range []string{"Authorization", "Content-Type", "Mcp-Session-Id", "MCP-Protocol-Version"} {
		if !strings.Contains(h.Get("Access-Control-Allow-Headers"), hd) {
			t.Errorf("Allow-Headers = %q lacks %s", h.Get("Access-Control-Allow-Headers"), hd)
		}
	}
	if authCalls != 0 {
		t.Errorf("preflight reached Authenticate %d times", authCalls)
	}

	pre["Origin"] = "https://evil.example"
	if resp, body := do(t, http.MethodOptions, url, "", "", pre); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("preflight from a foreign origin: status %d, want 403; body %s", resp.StatusCode, body)
	}
}

func TestRequestBodyLimit(t *testing.T) {
	_, url := startServer(t, Options{MaxRequestBytes: 1024})
	small := initializeBody
	big := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("x", 2000) + `"}}`
	if resp, body := post(t, url, "", small, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("small body: status %d; %s", resp.StatusCode, body)
	}
	resp, body := post(t, url, "", big, nil)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("body of %d bytes: status %d, want 413; %s", len(big), resp.StatusCode, body)
	}
	code, desc := jsonError(t, resp, body)
	if code != "request_too_large" || !strings.Contains(desc, "1024") {
		t.Fatalf("refusal = %s: %s", code, desc)
	}
}

// authGate is an Authenticate middleware that wants "Bearer good".
type authGate struct {
	mu    sync.Mutex
	calls int
}

func (g *authGate) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.calls++
		g.mu.Unlock()
		if r.Header.Get("X-Panic") != "" {
			panic("middleware exploded")
		}
		if r.Header.Get("Authorization") != "Bearer good" {
			w.Header().Set("WWW-Authenticate", `Bearer resource_metadata="https://mcp.example.com/.well-known/oauth-protected-resource"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (g *authGate) Calls() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

func TestAuthenticateRunsAfterGuards(t *testing.T) {
	const allowed = "https://app.example"
	tests := []struct {
		name       string
		host       string
		hdr        map[string]string
		wantStatus int
		wantAuth   bool // whether the middleware ran
	}{
		{"foreign origin, no credentials", "", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, false},
		{"foreign origin, valid credentials", "", map[string]string{"Origin": "https://evil.example", "Authorization": "Bearer good"}, http.StatusForbidden, false},
		{"foreign host, no credentials", "evil.example", nil, http.StatusForbidden, false},
		{"allowed origin, no credentials", "", map[string]string{"Origin": allowed}, http.StatusUnauthorized, true},
		{"no origin, no credentials", "", nil, http.StatusUnauthorized, true},
		{"allowed origin, valid credentials", "", map[string]string{"Origin": allowed, "Authorization": "Bearer good"}, http.StatusOK, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gate := &authGate{}
			_, url := startServer(t, Options{PublicURL: "https://mcp.example.com", AllowedOrigins: []string{allowed}, Authenticate: gate.wrap})
			resp, body := post(t, url, tt.host, initializeBody, tt.hdr)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
			}
			if ran := gate.Calls() > 0; ran != tt.wantAuth {
				t.Fatalf("Authenticate ran = %v, want %v", ran, tt.wantAuth)
			}
			if tt.hdr["Origin"] == allowed && resp.StatusCode == http.StatusUnauthorized {
				// A browser client can only read the challenge with CORS headers.
				if resp.Header.Get("Access-Control-Allow-Origin") != allowed ||
					!strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "WWW-Authenticate") {
					t.Fatalf("401 for an allowed origin lacks CORS headers: %v", resp.Header)
				}
			}
		})
	}
}

func TestAuthenticatedClient(t *testing.T) {
	gate := &authGate{}
	h := &catalog.Holder{}
	h.Set(testCatalog("http://upstream.test", "op"))
	_, url := startServer(t, Options{Holder: h, Authenticate: gate.wrap})
	for _, era := range eras {
		if _, err := tryConnect(url, era.legacy); err == nil {
			t.Fatalf("%s client without a token connected", era.name)
		}
		c := connect(t, url, era.legacy, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer good"}))
		if got := listNames(t, c); !slices.Equal(got, []string{"op"}) {
			t.Fatalf("%s: tools = %v", era.name, got)
		}
	}
}

func TestPanicInHTTPLayerIs500JSON(t *testing.T) {
	gate := &authGate{}
	_, url := startServer(t, Options{Authenticate: gate.wrap})
	resp, body := post(t, url, "", initializeBody, map[string]string{"X-Panic": "1"})
	if resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("panicking middleware: status %d, want 500; %s", resp.StatusCode, body)
	}
	if code, _ := jsonError(t, resp, body); code != "internal_error" {
		t.Fatalf("error code %q, want internal_error", code)
	}
	if strings.Contains(body, "exploded") {
		t.Fatalf("500 body leaks the panic value: %s", body)
	}
	// The server keeps answering.
	resp, body = post(t, url, "", initializeBody, map[string]string{"Authorization": "Bearer good"})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after panic: status %d; %s", resp.StatusCode, body)
	}
}

func TestAbortHandlerPanicPropagates(t *testing.T) {
	s := New(Options{Holder: &catalog.Holder{}, Caller: &recordingCaller{}, Authenticate: func(http.Handler) http.Handler {
		return http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	}})
	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler re-panicked for net/http", v)
		}
	}()
	s.Handler().ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/mcp", strings.NewReader("{}")))
	t.Fatal("handler returned normally")
}
