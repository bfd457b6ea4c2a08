package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// recordedCall is one call that reached the Caller.
type recordedCall struct {
	BaseURL string
	Tool    string
	Args    map[string]any
}

// recordingCaller is the forwarder boundary: it records every call and
// answers with a text result naming the operation, or panics for panicTool.
type recordingCaller struct {
	mu        sync.Mutex
	calls     []recordedCall
	panicTool string
}

func (c *recordingCaller) Call(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) *mcp.CallToolResult {
	c.mu.Lock()
	c.calls = append(c.calls, recordedCall{BaseURL: baseURL, Tool: op.Name, Args: args})
	c.mu.Unlock()
	if op.Name == c.panicTool {
		panic("caller exploded on " + op.Name)
	}
	return mcp.NewToolResultText(fmt.Sprintf("called %s %s %s", op.Name, op.Method, op.Path))
}

func (c *recordingCaller) Calls() []recordedCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recordedCall(nil), c.calls...)
}

// testOp builds a minimal operation named name.
func testOp(name string) *catalog.Operation {
	return &catalog.Operation{
		Name:        name,
		Title:       "Title of " + name,
		Description: "Does " + name,
		Method:      "GET",
		Path:        "/" + name,
		InputSchema: json.RawMessage(`{"type":"object"}`),
		Annotations: catalog.Annotations{ReadOnly: true, Idempotent: true, OpenWorld: true},
	}
}

// testCatalog builds a catalog of ops named names, bound to baseURL.
func testCatalog(baseURL string, names ...string) *catalog.Catalog {
	ops := make([]*catalog.Operation, 0, len(names))
	for _, n := range names {
		ops = append(ops, testOp(n))
	}
	c := catalog.New(ops)
	c.BaseURL = baseURL
	c.Digest = "digest-" + strings.Join(names, ",")
	return c
}

// startServer serves a Server built from opts on a loopback httptest server
// and returns it with the MCP endpoint URL.
func startServer(t *testing.T, opts Options) (*Server, string) {
	t.Helper()
	if opts.Holder == nil {
		opts.Holder = &catalog.Holder{}
	}
	if opts.Caller == nil {
		opts.Caller = &recordingCaller{}
	}
	s := New(opts)
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.Handler())
	ts := httptest.NewServer(mux)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
		ts.Close()
	})
	return s, ts.URL + "/mcp"
}

// eras are the two protocol generations every client-facing test runs in.
var eras = []struct {
	name   string
	legacy bool
}{{"modern", false}, {"legacy", true}}

// connect opens an initialized mcp-go client on url.
func connect(t *testing.T, url string, legacy bool, topts ...transport.StreamableHTTPCOption) *client.Client {
	t.Helper()
	c, err := tryConnect(url, legacy, topts...)
	if err != nil {
		t.Fatalf("connect %s (legacy=%v): %v", url, legacy, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func tryConnect(url string, legacy bool, topts ...transport.StreamableHTTPCOption) (*client.Client, error) {
	tr, err := transport.NewStreamableHTTP(url, topts...)
	if err != nil {
		return nil, err
	}
	var copts []client.ClientOption
	if legacy {
		copts = append(copts, client.WithLegacyProtocolOnly())
	}
	c := client.NewClient(tr, copts...)
	if err := c.Start(context.Background()); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "mcpserver-test", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func ctx10s(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func listNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	res, err := c.ListTools(ctx10s(t), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	return toolNames(res.Tools)
}

func toolNames(tools []mcp.Tool) []string {
	names := make([]string, 0, len(tools))
	for _, tl := range tools {
		names = append(names, tl.Name)
	}
	return names
}

func callTool(t *testing.T, c *client.Client, name string, args any) *mcp.CallToolResult {
	t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx10s(t), req)
	if err != nil {
		t.Fatalf("tools/call %s: %v", name, err)
	}
	return res
}

func resultText(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// initializeBody is a 2025-era initialize request: mcp-go accepts it without
// a session or protocol header, so it probes the guards in front of mcp-go.
const initializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// modernCall is a raw 2026-era tools/call for name.
func modernCall(name, args string) (string, map[string]string) {
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":%q,"arguments":%s,"_meta":{"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`,
		name, args, mcp.ProtocolVersion20260728)
	return body, map[string]string{
		mcp.HeaderProtocolVersion: mcp.ProtocolVersion20260728,
		mcp.HeaderMethod:          "tools/call",
		mcp.HeaderName:            name,
	}
}

// post sends a raw POST to url and returns the response with its body read.
func post(t *testing.T, url, host, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	return do(t, http.MethodPost, url, host, body, hdr)
}

func do(t *testing.T, method, url, host, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx10s(t), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	if host != "" {
		req.Host = host
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read response of %s %s: %v", method, url, err)
	}
	return resp, string(data)
}

// jsonError decodes the {"error","error_description"} body of a guard refusal.
func jsonError(t *testing.T, resp *http.Response, body string) (code, desc string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("error response Content-Type = %q, want application/json; body %s", ct, body)
	}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body is not JSON: %v: %s", err, body)
	}
	return e.Error, e.Description
}
