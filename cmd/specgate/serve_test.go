package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// tinySpec is served by the test upstream; its relative server URL resolves
// against the spec URL, so calls go back to the same httptest server.
const tinySpec = `openapi: 3.0.3
info:
  title: Tiny API
  version: "1.2"
servers:
  - url: /api
paths:
  /ping:
    get:
      operationId: ping
      summary: Ping the API
      responses:
        "200":
          description: pong
          content:
            application/json:
              schema:
                type: object
                properties:
                  pong: {type: boolean}
`

// tinyUpstream serves tinySpec at /openapi.yaml and answers /api/ping,
// recording the paths it was asked for.
func tinyUpstream(t *testing.T) (url string, paths func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.Path)
		mu.Unlock()
		switch r.URL.Path {
		case "/openapi.yaml":
			w.Header().Set("Content-Type", "application/yaml")
			_, _ = io.WriteString(w, tinySpec)
		case "/api/ping":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"pong":true}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/openapi.yaml", func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

// freeAddr returns a loopback address that was free a moment ago. serve
// derives the printed MCP URL from --listen, so port 0 will not do.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitHealthy polls /healthz until it answers 200 or the deadline passes.
func waitHealthy(t *testing.T, base string, done <-chan int, stderr *syncBuffer) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d before becoming healthy; stderr:\n%s", code, stderr)
		default:
		}
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			var body map[string]any
			derr := json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && derr == nil {
				if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Fatalf("/healthz Content-Type = %q", ct)
				}
				return body
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz not ready after 15s (last error %v); stderr:\n%s", err, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServeEndToEnd(t *testing.T) {
	specURL, upstreamPaths := tinyUpstream(t)
	addr := freeAddr(t)
	base := "http://" + addr

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--auth", "none", "--spec", specURL, "--refresh", "0"},
			strings.NewReader(""), &stdout, &stderr, env(nil))
	}()

	health := waitHealthy(t, base, done, &stderr)
	if health["status"] != "ok" {
		t.Errorf("healthz status = %v", health["status"])
	}
	spec, _ := health["spec"].(map[string]any)
	if spec == nil {
		t.Fatalf("healthz has no spec object: %v", health)
	}
	if spec["source"] != specURL || spec["operations"] != float64(1) || spec["title"] != "Tiny API" || spec["version"] != "1.2" {
		t.Errorf("healthz spec = %v, want source %s, 1 operation, Tiny API 1.2", spec, specURL)
	}
	if d, _ := spec["digest"].(string); d == "" {
		t.Errorf("healthz spec digest empty: %v", spec)
	}

	// The MCP endpoint printed on stdout works: list and call the one tool.
	out := stdout.String()
	for _, want := range []string{"serving 1 tools", "MCP endpoint: " + base + "/mcp", "Authentication is OFF"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	c, err := client.NewStreamableHttpClient(base + "/mcp")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cctx, ccancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer ccancel()
	init := mcp.InitializeRequest{}
	init.Params.ClientInfo = mcp.Implementation{Name: "cli-test", Version: "1"}
	if _, err := c.Initialize(cctx, init); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	list, err := c.ListTools(cctx, mcp.ListToolsRequest{})
	if err != nil || len(list.Tools) != 1 || list.Tools[0].Name != "ping" {
		t.Fatalf("tools/list = %+v, %v; want [ping]", list, err)
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = "ping"
	res, err := c.CallTool(cctx, req)
	if err != nil || res.IsError {
		t.Fatalf("call ping: %v %+v", err, res)
	}
	if got := upstreamPaths(); !contains(got, "GET /api/ping") {
		t.Fatalf("upstream saw %v, want GET /api/ping", got)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exit code after cancel = %d, want 0; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not return within 20s of cancel; stderr:\n%s", stderr.String())
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Fatal("server still answers after shutdown")
	}
	if logs := stderr.String(); !strings.Contains(logs, "specgate ready") {
		t.Errorf("stderr lacks the ready log line:\n%s", logs)
	}
}

// TestServeDemoDefault: with no command, specgate serves the built-in demo
// behind OAuth and prints how to log in.
func TestServeDemoDefault(t *testing.T) {
	if raceEnabled {
		t.Skip("hashing the demo password (bcrypt cost 12) is too slow under -race; runs without it")
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"--listen", addr}, strings.NewReader(""), &stdout, &stderr,
			env(map[string]string{"SPECGATE_DEMO_PASSWORD": "correct-horse-battery"}))
	}()
	health := waitHealthy(t, "http://"+addr, done, &stderr)
	if spec, _ := health["spec"].(map[string]any); spec == nil || spec["operations"] != float64(8) {
		t.Errorf("healthz spec = %v, want the demo's 8 operations", health["spec"])
	}
	out := stdout.String()
	for _, want := range []string{"serving 8 tools for the built-in demo API", "username: demo", "password: correct-horse-battery"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "random for this run") || strings.Contains(out, "Authentication is OFF") {
		t.Errorf("stdout misdescribes the login:\n%s", out)
	}
	if strings.Contains(stderr.String(), "correct-horse-battery") {
		t.Error("the demo password was logged")
	}
	// Without a token, /mcp asks for one.
	resp, err := http.Post("http://"+addr+"/mcp", "application/json", strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("unauthenticated /mcp: %d %q, want 401 with a Bearer challenge", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d after cancel; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not return within 20s of cancel")
	}
}

func TestServeUnreachableSpec(t *testing.T) {
	// A spec that cannot be loaded stops start-up with one error naming it.
	dead := "http://" + freeAddr(t) + "/openapi.yaml"
	r := runCLI(t, "", nil, "serve", "--listen", freeAddr(t), "--auth", "none", "--spec", dead, "--spec-timeout", "5s")
	if r.code != 1 || !strings.Contains(r.stderr, dead) {
		t.Fatalf("exit %d, stderr %q; want exit 1 naming %s", r.code, r.stderr, dead)
	}
}

func TestServeListenInUse(t *testing.T) {
	specURL, _ := tinyUpstream(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	r := runCLI(t, "", nil, "serve", "--listen", addr, "--auth", "none", "--spec", specURL, "--refresh", "0")
	if r.code != 1 || !strings.Contains(r.stderr, "listen on "+addr) {
		t.Fatalf("exit %d, stderr %q; want exit 1 with 'listen on %s'", r.code, r.stderr, addr)
	}
}

func TestDemoAPICommand(t *testing.T) {
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo-api", "--listen", addr}, strings.NewReader(""), &stdout, &stderr, env(nil))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/openapi.json")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"openapi"`) {
				t.Fatalf("demo spec: %d %.200s", resp.StatusCode, body)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("demo API not up: %v; stderr %s", err, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(stdout.String(), "demo API on http://"+addr) {
		t.Errorf("stdout = %q", stdout.String())
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("demo-api exit %d; stderr %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo-api did not stop after cancel")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
