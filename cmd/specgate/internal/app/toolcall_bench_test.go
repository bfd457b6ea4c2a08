package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth/store/redisstore"
	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
)

// BenchmarkToolCall measures authenticated tools/call throughput (getTask
// against the built-in demo API, over loopback HTTP) with the memory store
// and with the Redis store (REDIS_URL, default redis://127.0.0.1:6379/0),
// without and with the validated-token cache, and counts the Redis round
// trips per call (target: at most one; zero with the cache). The per-grant
// tool-call limit (tool_calls_per_minute) is off except in the "limit"
// variants, where it is too high to refuse anything but still counts every
// call, as it does in Redis at its default of 600.
//
// Calls are raw 2026-07-28 POSTs (the headers and _meta a stateless MCP
// client sends), from parallel goroutines on keep-alive connections, so the
// figures are the server's cost, not an MCP client library's.
//
//	go test -run '^$' -bench ToolCall -benchtime 3s ./cmd/specgate/internal/app
func BenchmarkToolCall(b *testing.B) {
	for _, tc := range []struct {
		name  string
		redis bool
		cache time.Duration
		limit bool
	}{
		{"memory", false, 5 * time.Second, false},
		{"redis/no-cache", true, 0, false},
		{"redis/cache-5s", true, 5 * time.Second, false},
		{"memory/limit", false, 5 * time.Second, true},
		{"redis/no-cache/limit", true, 0, true},
		{"redis/cache-5s/limit", true, 5 * time.Second, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg, err := config.Load(nil, func(string) string { return "" })
			if err != nil {
				b.Fatal(err)
			}
			cfg.Auth = "oauth"
			cfg.OAuth.Secret = replicaSecret
			cfg.UsersFile = writeUsersFile(b, "alice")
			cfg.OAuth.TokenCacheTTL = tc.cache
			cfg.ToolCallsPerMinute = 0
			if tc.limit {
				cfg.ToolCallsPerMinute = 1 << 30
			}
			if tc.redis {
				_, prefix := redistest.Real(b)
				cfg.Store, cfg.RedisPrefix = redistest.URL(), prefix
			}
			var rt redisstore.RoundTripCounter
			mcpURL := startBenchApp(b, cfg, func(a *app.App) {
				if rdb := app.RedisClient(a); rdb != nil {
					rdb.AddHook(&rt)
				}
			})
			base := strings.TrimSuffix(mcpURL, "/mcp")
			g := obtainGrant(b, base, http.DefaultTransport, "alice", allScopes)
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 10 * time.Second}
			b.Cleanup(hc.CloseIdleConnections)
			do := func() error {
				resp, err := hc.Do(toolCallRequest(mcpURL, g.Access, "getTask", `{"taskId":"t1"}`))
				if err != nil {
					return err
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !callOK(resp.StatusCode, string(body)) {
					return &callError{resp.StatusCode, string(body)}
				}
				return nil
			}
			// Warm up: pooled connections (their handshakes are round trips
			// too) and, with the cache, the token's entry.
			for range 20 {
				if err := do(); err != nil {
					b.Fatal(err)
				}
			}
			rt.Reset()
			b.ResetTimer()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := do(); err != nil {
						b.Error(err)
						return
					}
				}
			})
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
			b.ReportMetric(float64(rt.Count())/float64(b.N), "redis-rt/op")
		})
	}
}

type callError struct {
	status int
	body   string
}

func (e *callError) Error() string { return "tools/call: " + http.StatusText(e.status) + ": " + e.body }

// startBenchApp runs specgate with cfg on a loopback port until the
// benchmark ends; hook sees the App before it serves. It returns the MCP URL.
func startBenchApp(b *testing.B, cfg *config.Config, hook func(*app.App)) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Listen, cfg.PublicURL = ln.Addr().String(), ""
	if err := cfg.ValidateServe(); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		b.Fatal(err)
	}
	hook(a)
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	b.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			b.Errorf("serve: %v", err)
		}
	})
	return cfg.PublicURL + "/mcp"
}
