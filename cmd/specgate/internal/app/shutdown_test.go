package app_test

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
)

// TestShutdownLetsInFlightCallsFinish stops the server (what SIGTERM does)
// while a tool call waits on a slow upstream: the call still completes, and
// new connections are refused.
func TestShutdownLetsInFlightCallsFinish(t *testing.T) {
	var started atomic.Bool
	release := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/openapi.json" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(specWith("slow")))
			return
		}
		started.Store(true)
		<-release
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"done": true}`))
	}))
	defer upstream.Close()

	cfg := defaults(t)
	cfg.Spec = upstream.URL + "/openapi.json"
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
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	c := connect(t, cfg.PublicURL+"/mcp", false)
	result := make(chan string, 1)
	go func() {
		req := mcp.CallToolRequest{}
		req.Params.Name = "slow"
		res, err := c.CallTool(context.Background(), req)
		switch {
		case err != nil:
			result <- "error: " + err.Error()
		case res.IsError:
			result <- "error: " + text(res)
		default:
			result <- text(res)
		}
	}()
	waitFor(t, "the call to reach the upstream", started.Load)
	cancel() // shutdown begins while the call is in flight
	waitFor(t, "the listener to close", func() bool {
		conn, err := net.DialTimeout("tcp", cfg.Listen, 100*time.Millisecond)
		if err == nil {
			conn.Close()
		}
		return err != nil
	})
	close(release)
	select {
	case got := <-result:
		if got == "" || strings.HasPrefix(got, "error:") {
			t.Fatalf("the in-flight call did not finish cleanly: %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the in-flight call never returned")
	}
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}
