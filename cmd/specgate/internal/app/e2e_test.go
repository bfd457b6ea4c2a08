package app_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/specs/demoapi"
)

// startApp runs specgate with cfg on a loopback port and returns its MCP URL.
func startApp(t *testing.T, cfg *config.Config) (*app.App, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen = ln.Addr().String()
	cfg.PublicURL = ""
	if err := cfg.ValidateServe(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a, cfg.PublicURL + "/mcp"
}

func defaults(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil, func(string) string { return "" })
	if err == nil {
		cfg.Auth = "none"
	}
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func connect(t *testing.T, url string, legacy bool) *client.Client {
	t.Helper()
	var opts []client.ClientOption
	if legacy {
		opts = append(opts, client.WithLegacyProtocolOnly())
	}
	var topts []transport.StreamableHTTPCOption
	if legacy {
		// 2025 clients receive notifications on their GET stream.
		topts = append(topts, transport.WithContinuousListening())
	}
	tr, err := transport.NewStreamableHTTP(url, topts...)
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr, opts...)
	// Start's context scopes the client's GET listener, so it must outlive the test body.
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "specgate-e2e", Version: "1"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func call(t *testing.T, c *client.Client, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		t.Fatalf("call %s: %v", name, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func lastRequest(t *testing.T, demo *demoapi.API) demoapi.RecordedRequest {
	t.Helper()
	reqs := demo.Requests()
	if len(reqs) == 0 {
		t.Fatal("upstream received no request")
	}
	return reqs[len(reqs)-1]
}

// structured returns the structured content as a map.
func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	m, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("no structured content: %T %s", res.StructuredContent, text(res))
	}
	return m
}

func TestEndToEndDemo(t *testing.T) {
	for _, era := range []struct {
		name   string
		legacy bool
	}{{"2026-07-28", false}, {"2025-11-25", true}} {
		t.Run(era.name, func(t *testing.T) {
			a, url := startApp(t, defaults(t))
			demo := a.Demo()
			c := connect(t, url, era.legacy)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()

			list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			names := map[string]mcp.Tool{}
			for _, tool := range list.Tools {
				names[tool.Name] = tool
			}
			for _, want := range []string{"listTasks", "getTask", "createTask", "replaceTask", "updateTask", "deleteTask", "uploadAttachment", "downloadAttachment"} {
				if _, ok := names[want]; !ok {
					t.Fatalf("tool %s missing; got %v", want, list.Tools)
				}
			}
			if ro := names["listTasks"].Annotations.ReadOnlyHint; ro == nil || !*ro {
				t.Error("listTasks should be read-only")
			}
			if d := names["deleteTask"].Annotations.DestructiveHint; d == nil || !*d {
				t.Error("deleteTask should be destructive")
			}

			// List with query parameters: form style, exploded array.
			res := call(t, c, "listTasks", map[string]any{"status": "open", "tag": []any{"docs", "infra"}, "limit": 5})
			if res.IsError {
				t.Fatalf("listTasks failed: %s", text(res))
			}
			got := lastRequest(t, demo)
			q, _ := parseQuery(got.RawQuery)
			if got.Method != "GET" || got.Path != "/api/v1/tasks" || q["status"][0] != "open" ||
				strings.Join(q["tag"], ",") != "docs,infra" || q["limit"][0] != "5" {
				t.Fatalf("upstream got %s %s?%s", got.Method, got.Path, got.RawQuery)
			}
			if _, ok := structured(t, res)["items"]; !ok {
				t.Fatalf("listTasks structured content lacks items: %s", text(res))
			}

			// Create with a JSON body.
			res = call(t, c, "createTask", map[string]any{"body": map[string]any{"title": "Write the docs", "tags": []any{"docs"}, "priority": 2}})
			if res.IsError {
				t.Fatalf("createTask failed: %s", text(res))
			}
			got = lastRequest(t, demo)
			var sent map[string]any
			if err := json.Unmarshal(got.Body, &sent); err != nil || sent["title"] != "Write the docs" || !strings.HasPrefix(got.ContentType, "application/json") {
				t.Fatalf("upstream body %q (%s): %v", got.Body, got.ContentType, err)
			}
			id, _ := structured(t, res)["id"].(string)
			if id == "" {
				t.Fatalf("created task has no id: %s", text(res))
			}

			res = call(t, c, "getTask", map[string]any{"taskId": id})
			if res.IsError || structured(t, res)["title"] != "Write the docs" {
				t.Fatalf("getTask: %s", text(res))
			}

			res = call(t, c, "updateTask", map[string]any{"taskId": id, "body": map[string]any{"status": "done"}})
			if res.IsError || lastRequest(t, demo).Method != "PATCH" || structured(t, res)["status"] != "done" {
				t.Fatalf("updateTask: %s", text(res))
			}

			// Multipart upload of an image, then download it as image content.
			png := tinyPNG()
			res = call(t, c, "uploadAttachment", map[string]any{"taskId": id, "body": map[string]any{
				"file": map[string]any{"filename": "dot.png", "contentType": "image/png", "base64": base64.StdEncoding.EncodeToString(png)},
				"note": "a dot",
			}})
			if res.IsError {
				t.Fatalf("uploadAttachment: %s", text(res))
			}
			got = lastRequest(t, demo)
			if !strings.HasPrefix(got.ContentType, "multipart/form-data") || !strings.Contains(string(got.Body), "dot.png") {
				t.Fatalf("upstream got %s %q", got.ContentType, got.Body)
			}
			attID, _ := structured(t, res)["id"].(string)
			res = call(t, c, "downloadAttachment", map[string]any{"taskId": id, "attachmentId": attID})
			if res.IsError || len(res.Content) == 0 {
				t.Fatalf("downloadAttachment: %s", text(res))
			}
			img, ok := res.Content[0].(mcp.ImageContent)
			if !ok || img.MIMEType != "image/png" || img.Data != base64.StdEncoding.EncodeToString(png) {
				t.Fatalf("download should be image content, got %#v", res.Content[0])
			}

			// A path argument cannot change the path: "/" is escaped, ".." refused.
			res = call(t, c, "getTask", map[string]any{"taskId": "a/b?c"})
			got = lastRequest(t, demo)
			if !res.IsError || got.EscapedPath != "/api/v1/tasks/a%2Fb%3Fc" || got.RawQuery != "" {
				t.Fatalf("escaping: upstream path %q query %q, result %s", got.EscapedPath, got.RawQuery, text(res))
			}
			if !strings.Contains(text(res), "404") {
				t.Errorf("404 should be reported: %s", text(res))
			}
			before := len(demo.Requests())
			res = call(t, c, "getTask", map[string]any{"taskId": "../tasks"})
			if !res.IsError || len(demo.Requests()) != before {
				t.Fatalf("a '..' path argument must be refused before sending: %s", text(res))
			}

			// Invalid arguments are refused before anything is sent.
			before = len(demo.Requests())
			res = call(t, c, "createTask", map[string]any{"body": map[string]any{"priority": 9}})
			if !res.IsError || !strings.Contains(text(res), "title") {
				t.Fatalf("invalid args should name the field: %s", text(res))
			}
			if len(demo.Requests()) != before {
				t.Fatal("an invalid call reached the upstream")
			}

			res = call(t, c, "deleteTask", map[string]any{"taskId": id})
			if res.IsError || lastRequest(t, demo).Method != "DELETE" {
				t.Fatalf("deleteTask: %s", text(res))
			}
		})
	}
}

func parseQuery(raw string) (map[string][]string, error) {
	v, err := url.ParseQuery(raw)
	return v, err
}

// tinyPNG is a valid 1x1 PNG.
func tinyPNG() []byte {
	b, _ := base64.StdEncoding.DecodeString("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
	return b
}
