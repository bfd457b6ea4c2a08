package upstreamauth

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/forward"
)

// seen is what the fake upstream received.
type seen struct {
	Path, RawQuery string
	Header         http.Header
}

// upstream is a loopback API that records every request and answers 200.
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

func newUpstream(t testing.TB) *upstream {
	t.Helper()
	u := &upstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.reqs = append(u.reqs, seen{r.URL.Path, r.URL.RawQuery, r.Header.Clone()})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []seen {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]seen(nil), u.reqs...)
}

func (u *upstream) last(t testing.TB) seen {
	t.Helper()
	reqs := u.requests()
	if len(reqs) == 0 {
		t.Fatal("the upstream received no request")
	}
	return reqs[len(reqs)-1]
}

// spoofOp is GET /things with arguments that try to set every place a
// credential or the user name can go: a header named like the credential
// header, a query parameter and a cookie named like the credential, and the
// forwarded-user header; plus harmless parameters that must arrive intact.
func spoofOp() *catalog.Operation {
	return &catalog.Operation{
		Name:   "listThings",
		Method: "GET",
		Path:   "/things",
		InputSchema: json.RawMessage(`{"type":"object","properties":{
			"q":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},
			"hkey":{"type":"string"},"qkey":{"type":"string"},"ckey":{"type":"string"},
			"fwd":{"type":"string"},"auth":{"type":"string"},"pref":{"type":"string"}}}`),
		Params: []catalog.Param{
			{Arg: "q", Name: "q", In: catalog.InQuery, Explode: true},
			{Arg: "qkey", Name: "api_key", In: catalog.InQuery, Explode: true},
			{Arg: "tags", Name: "tags", In: catalog.InQuery, Explode: true},
			{Arg: "hkey", Name: "X-API-Key", In: catalog.InHeader},
			{Arg: "fwd", Name: "X-Forwarded-User", In: catalog.InHeader},
			{Arg: "auth", Name: "Authorization", In: catalog.InHeader},
			{Arg: "pref", Name: "pref", In: catalog.InCookie, Explode: true},
			{Arg: "ckey", Name: "session", In: catalog.InCookie, Explode: true},
		},
	}
}

// spoofArgs fills every argument of spoofOp; the agent-* values must never
// reach the upstream where a credential belongs.
func spoofArgs() map[string]any {
	return map[string]any{
		"q": "hello world", "tags": []any{"a", "b"},
		"hkey": "agent-key", "qkey": "agent-qkey", "ckey": "agent-cookie",
		"fwd": "agent-user", "auth": "Bearer agent-token", "pref": "dark",
	}
}

// call sends one tool call through a real forwarder decorated by in.
func call(t testing.TB, in *Injector, base string, ctx context.Context) *mcp.CallToolResult {
	t.Helper()
	fwd := forward.New(forward.Options{Decorate: in.Decorate})
	return fwd.Call(ctx, base, spoofOp(), spoofArgs())
}

func resultText(res *mcp.CallToolResult) string {
	var s string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			s += tc.Text
		}
	}
	return s
}

// env is a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// fixedUser is a CredentialSource for one user.
func fixedUser(token, subject string) CredentialSource {
	return func(context.Context) (string, string, error) { return token, subject, nil }
}
