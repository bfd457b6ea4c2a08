package upstreamauth

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/mcpserver"
)

// canary is a secret whose escaped forms differ from it, so a leak in any
// encoding is caught.
const canary = "CANARY-s3cr3t/+=x"

// leakForms are the forms in which canary or token could leak.
func leakForms(secrets ...string) []string {
	var out []string
	for _, s := range secrets {
		out = append(out, s, url.QueryEscape(s), url.PathEscape(s),
			base64.StdEncoding.EncodeToString([]byte("svc:"+s)))
	}
	return out
}

// closedURL is a loopback URL nothing listens on.
func closedURL(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestNoSecretInLogs drives the forwarder and the injector through success,
// upstream errors, transport errors, Decorate errors and secret-file trouble
// with debug logging on, and scans the logs and the tool results.
func TestNoSecretInLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ok := newUpstream(t)
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"bad key"}`)
	}))
	t.Cleanup(denied.Close)
	down := closedURL(t)
	getenv := env(map[string]string{"KEY": canary})
	const badToken = "tok\nCANARY-token"

	var results []string
	run := func(cfg Config, src CredentialSource, bases ...string) {
		t.Helper()
		cfg.Logger = log
		in, err := New(cfg, src, getenv)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		results = append(results, in.Describe())
		fwd := forward.New(forward.Options{Decorate: in.Decorate, Logger: log, Timeout: 5 * time.Second})
		for _, base := range bases {
			res := fwd.Call(context.Background(), base, spoofOp(), spoofArgs())
			results = append(results, resultText(res))
		}
	}
	for _, p := range []Placement{{}, {In: InQuery, Name: "api_key"}, {In: InCookie, Name: "k"}, {In: InBasic, BasicUser: "svc"}} {
		run(Config{Mode: ModeStatic, SecretEnv: "KEY", Placement: p}, nil, ok.URL, denied.URL, down)
		run(Config{Mode: ModeUser, Placement: p}, fixedUser(canary, "alice"), ok.URL, denied.URL, down)
	}
	run(Config{Mode: ModeUser}, fixedUser(badToken, "alice"), ok.URL)
	run(Config{Mode: ModeUser, Placement: Placement{In: InBasic}}, fixedUser(canary, "alice"), ok.URL) // no colon: error

	if n := len(ok.requests()); n != 8 {
		t.Errorf("upstream got %d requests, want 8", n)
	}
	if !strings.Contains(logs.String(), "decorate upstream request") || !strings.Contains(logs.String(), "upstream call failed") {
		t.Fatalf("the scenarios did not log what they should; the test is broken:\n%s", logs.String())
	}
	all := logs.String() + strings.Join(results, "\n")
	for _, form := range append(leakForms(canary), "CANARY-token") {
		if strings.Contains(all, form) {
			t.Errorf("%q leaked:\n%s", form, all)
		}
	}
}

// TestMCPClientCredentialsNotForwarded runs a real MCP client against the
// MCP server, forwarder and injector: the client's bearer token and cookie
// authenticate it to specgate but never reach the upstream, which sees only
// the user's upstream credential and name.
func TestMCPClientCredentialsNotForwarded(t *testing.T) {
	up := newUpstream(t)
	type userKey struct{}
	const mcpToken, browserCookie = "mcp-access-token-123", "specgate_session=browser-cookie-456"
	authenticate := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+mcpToken {
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, "alice")))
		})
	}
	src := func(ctx context.Context) (string, string, error) {
		user, _ := ctx.Value(userKey{}).(string)
		return "upstream-token-of-" + user, user, nil
	}
	in, err := New(Config{Mode: ModeUser, ForwardUserHeader: "X-Forwarded-User"}, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	op := spoofOp()
	cat := catalog.New([]*catalog.Operation{op})
	cat.BaseURL = up.URL
	holder := &catalog.Holder{}
	holder.Set(cat)
	srv := mcpserver.New(mcpserver.Options{
		Holder: holder, Caller: forward.New(forward.Options{Decorate: in.Decorate}), Authenticate: authenticate,
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		ts.Close()
	})

	tr, err := transport.NewStreamableHTTP(ts.URL+"/mcp", transport.WithHTTPHeaders(map[string]string{
		"Authorization": "Bearer " + mcpToken, "Cookie": browserCookie, "Proxy-Authorization": "Basic cHJveHk6cHc=",
	}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "upstreamauth-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = op.Name
	req.Params.Arguments = map[string]any{"q": "x"}
	res, err := c.CallTool(ctx, req)
	if err != nil || res.IsError {
		t.Fatalf("tools/call: %v %s", err, resultText(res))
	}

	got := up.last(t)
	if v := got.Header.Values("Authorization"); len(v) != 1 || v[0] != "Bearer upstream-token-of-alice" {
		t.Errorf("upstream Authorization %q", v)
	}
	if v := got.Header.Get("X-Forwarded-User"); v != "alice" {
		t.Errorf("upstream X-Forwarded-User %q", v)
	}
	for _, h := range []string{"Cookie", "Proxy-Authorization"} {
		if v := got.Header.Values(h); len(v) > 0 {
			t.Errorf("upstream got %s %q", h, v)
		}
	}
	for name, vals := range got.Header {
		for _, v := range vals {
			if strings.Contains(v, mcpToken) || strings.Contains(v, "browser-cookie") {
				t.Errorf("the MCP client's credential reached the upstream in %s: %q", name, v)
			}
		}
	}
}
