package forward

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// args decodes a JSON object the way the MCP server hands arguments over
// (numbers as float64).
func args(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad test args %s: %v", s, err)
	}
	return m
}

func mustBuild(t testing.TB, base string, op *catalog.Operation, a map[string]any) *http.Request {
	t.Helper()
	req, err := BuildRequest(context.Background(), base, op, a)
	if err != nil {
		t.Fatalf("BuildRequest: %v", err)
	}
	return req
}

// recorded is what the fake upstream saw.
type recorded struct {
	Method, Path, RawPath, RawQuery string
	Header                          http.Header
	Body                            []byte
}

// upstream is an httptest server that records requests and answers with
// handler (default: 200 {"ok":true}).
type upstream struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newUpstream(t testing.TB, handler http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	if handler == nil {
		handler = func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"ok":true}`)
		}
	}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, recorded{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), body})
		u.mu.Unlock()
		handler(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *upstream) requests() []recorded {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]recorded(nil), u.reqs...)
}

func (u *upstream) last(t testing.TB) recorded {
	t.Helper()
	reqs := u.requests()
	if len(reqs) == 0 {
		t.Fatal("upstream received no request")
	}
	return reqs[len(reqs)-1]
}

// resultText joins the text items of a result.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func firstText(t testing.TB, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) == 0 {
		t.Fatal("result has no content")
	}
	tc, ok := res.Content[0].(mcp.TextContent)
	if !ok {
		t.Fatalf("first content is %T, want TextContent", res.Content[0])
	}
	return tc.Text
}

// simpleOp is GET /items/{id} with a query and a header parameter.
func simpleOp() *catalog.Operation {
	return &catalog.Operation{
		Name:   "getItem",
		Method: "GET",
		Path:   "/items/{id}",
		InputSchema: json.RawMessage(`{"type":"object","properties":{
			"id":{"type":"string"},"q":{"type":"string"},"trace":{"type":"string"}},"required":["id"]}`),
		Params: []catalog.Param{
			{Arg: "id", Name: "id", In: catalog.InPath, Required: true},
			{Arg: "q", Name: "q", In: catalog.InQuery, Explode: true},
			{Arg: "trace", Name: "X-Trace", In: catalog.InHeader},
		},
	}
}
