package app

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/throttle"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/mcpserver"
)

// limitedCaller bounds tool calls per signed-in grant (or per server
// without authentication). With a Redis store the counter is shared by
// every replica.
type limitedCaller struct {
	next      mcpserver.Caller
	lim       throttle.Limiter
	perMinute int
	throttled func()
}

func (c limitedCaller) Call(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) *mcp.CallToolResult {
	key := "anonymous"
	if p, ok := oauth.PrincipalFromContext(ctx); ok {
		key = "grant:" + p.GrantID
	}
	ok, retry, err := c.lim.Allow(ctx, key)
	if err != nil {
		return mcp.NewToolResultError("specgate could not check its rate limit; nothing was sent to the API. Try again shortly.")
	}
	if !ok {
		if c.throttled != nil {
			c.throttled()
		}
		return mcp.NewToolResultError(fmt.Sprintf("Rate limit: at most %d tool calls per minute per sign-in; nothing was sent to the API. Try again in %d s.",
			c.perMinute, int(math.Ceil(retry.Seconds()))))
	}
	return c.next.Call(ctx, baseURL, op, args)
}

// rateLimit wraps next with the configured per-token tool-call limit.
func (a *App) rateLimit(next mcpserver.Caller) mcpserver.Caller {
	n := a.cfg.ToolCallsPerMinute
	if n <= 0 {
		return next
	}
	var lim throttle.Limiter = throttle.NewMemory(n, time.Minute)
	if a.rdb != nil {
		// Decided locally and shared in the background: no Redis round
		// trip on the call path.
		lim = throttle.NewShared(a.bg, a.rdb, a.cfg.RedisPrefix+"throttle:tools:", n, time.Minute,
			throttle.SharedOptions{Logger: a.log})
	}
	return limitedCaller{next: next, lim: lim, perMinute: n, throttled: func() {
		if a.metrics != nil {
			a.metrics.Throttled("tool_call")
		}
	}}
}
