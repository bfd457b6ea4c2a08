// Package mcpserver serves a catalog of API operations as MCP tools over the
// streamable HTTP transport (both the 2026-07-28 stateless era and the 2025
// session era), using mark3labs/mcp-go.
//
// The server keeps no per-client state of its own: tools come from the
// catalog.Holder, calls go to a Caller (the forwarder), and access decisions to
// an optional Access, so any replica can answer any request.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/search"
)

// Caller performs one tool call against the upstream API.
type Caller interface {
	Call(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) *mcp.CallToolResult
}

// Decision is the outcome of an access check for a tools/call.
type Decision int

const (
	// Allow lets the call through.
	Allow Decision = iota
	// Deny answers with a tool error explaining why (the user can never get access).
	Deny
	// StepUp answers with an HTTP challenge so the client can ask for more scope.
	StepUp
)

// Access decides what the caller in a request context may see and call.
type Access interface {
	// Visible reports whether the caller may see op in tools/list.
	Visible(ctx context.Context, op *catalog.Operation) bool
	// Decide reports whether the caller may call op; the message explains a Deny.
	Decide(ctx context.Context, op *catalog.Operation) (Decision, string)
	// Challenge writes the HTTP response for a StepUp decision.
	Challenge(w http.ResponseWriter, r *http.Request, op *catalog.Operation)
}

// Options configure a Server.
type Options struct {
	Name, Version string
	// Holder supplies the catalog; the server follows every change.
	Holder *catalog.Holder
	// Caller forwards tool calls upstream.
	Caller Caller
	// Access is consulted for every list and call; nil allows everything.
	Access Access
	// PublicURL is specgate's external origin; requests whose Host is that
	// host are accepted on loopback connections (reverse proxies).
	PublicURL string
	// AllowedOrigins are browser origins allowed to call the endpoint ("*" = any).
	AllowedOrigins []string
	// Authenticate wraps the endpoint after the Host/Origin checks and before
	// anything else (e.g. a bearer-token check); nil means no authentication.
	Authenticate func(http.Handler) http.Handler
	// MaxRequestBytes caps a request body (default 4 MiB).
	MaxRequestBytes int64
	// SessionIdleTTL reaps 2025-era sessions that clients never close (default 30m).
	SessionIdleTTL time.Duration
	// OnToolCall, if set, is called after every tools/call that reached a
	// tool handler: with the operation, whether the result is a tool error,
	// and the duration (0 for calls refused by Access). For metrics and the
	// audit log; it runs on the call path.
	OnToolCall func(ctx context.Context, op *catalog.Operation, isError bool, d time.Duration)
	// Heartbeat keeps GET streams alive through proxies (default 25s).
	Heartbeat time.Duration
	Logger    *slog.Logger
	// Mode is how operations become tools: ModeAll (one tool each),
	// ModeSearch (three meta tools: search_operations, describe_operation,
	// call_operation) or ModeAuto (the default: all while the tools/list
	// answer stays within TokenBudget, else search).
	Mode string
	// TokenBudget is auto mode's limit on the estimated tokens (JSON bytes/4)
	// of the full tools/list; <= 0 means DefaultTokenBudget.
	TokenBudget int
	// RequiredScopes reports the OAuth scopes an operation needs, shown in
	// search results; nil means the spec's op.Scopes.
	RequiredScopes func(*catalog.Operation) []string
}

// Server is an MCP endpoint backed by a catalog.
type Server struct {
	opts  Options
	log   *slog.Logger
	mcp   *server.MCPServer
	http  *server.StreamableHTTPServer
	snap  atomic.Pointer[snapshot]
	calls atomic.Int64
}

// snapshot pairs a catalog with the tool definitions built from it.
type snapshot struct {
	cat *catalog.Catalog
	// mode is ModeAll or ModeSearch; in search mode idx indexes cat and meta
	// holds the meta tools.
	mode                  string
	idx                   *search.Index
	meta                  []mcp.Tool
	allBytes, searchBytes int
}

// New builds a Server and subscribes it to opts.Holder.
func New(opts Options) *Server {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.MaxRequestBytes <= 0 {
		opts.MaxRequestBytes = 4 << 20
	}
	if opts.SessionIdleTTL <= 0 {
		opts.SessionIdleTTL = 30 * time.Minute
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 25 * time.Second
	}
	if opts.Name == "" {
		opts.Name = "specgate"
	}
	s := &Server{opts: opts, log: opts.Logger}
	s.mcp = server.NewMCPServer(opts.Name, opts.Version,
		server.WithToolCapabilities(true),
		server.WithRecovery(),
		server.WithToolFilter(s.filterTools),
	)
	s.http = server.NewStreamableHTTPServer(s.mcp,
		// Our own Host check (hostAllowed) knows the public URL; mcp-go's
		// would reject a same-host reverse proxy.
		server.WithDisableLocalhostProtection(true),
		server.WithSessionIdleTTL(opts.SessionIdleTTL),
		server.WithHeartbeatInterval(opts.Heartbeat),
		server.WithStreamableHTTPLogger(opts.Logger),
	)
	opts.Holder.Subscribe(s.sync)
	return s
}

// sync installs the tools of a new catalog in one step; mcp-go swaps its
// tool map under a lock and notifies every connected client (GET streams of
// 2025 sessions and 2026 subscriptions/listen streams).
func (s *Server) sync(old, cur *catalog.Catalog) {
	if cur == nil {
		return
	}
	snap := &snapshot{cat: cur}
	snap.mode, snap.allBytes, snap.searchBytes = chooseMode(s.log, s.opts.Mode, s.opts.TokenBudget, cur)
	var tools []server.ServerTool
	if snap.mode == ModeSearch {
		snap.idx, snap.meta = search.Build(cur), metaTools(cur)
		tools = s.metaServerTools(snap)
	} else {
		tools = make([]server.ServerTool, 0, cur.Len())
		for _, op := range cur.Operations() {
			tools = append(tools, server.ServerTool{Tool: Tool(op), Handler: s.handler(cur, op)})
		}
	}
	s.snap.Store(snap)
	s.mcp.SetTools(tools...)
	if old != nil {
		s.log.Info("tool set replaced", "tools", cur.Len(), "previous", old.Len(), "digest", short(cur.Digest))
	}
}

// isJSONNull reports whether raw arguments are an explicit JSON null, which
// clients send for "no arguments".
func isJSONNull(raw any) bool {
	switch v := raw.(type) {
	case json.RawMessage:
		return strings.TrimSpace(string(v)) == "null"
	case []byte:
		return strings.TrimSpace(string(v)) == "null"
	}
	return false
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// Tool converts an operation into its MCP tool definition.
func Tool(op *catalog.Operation) mcp.Tool {
	b := func(v bool) *bool { return &v }
	t := mcp.Tool{
		Name:           op.Name,
		Title:          op.Title,
		Description:    op.Description,
		RawInputSchema: op.InputSchema,
		Annotations: mcp.ToolAnnotation{
			Title:           op.Title,
			ReadOnlyHint:    b(op.Annotations.ReadOnly),
			DestructiveHint: b(op.Annotations.Destructive),
			IdempotentHint:  b(op.Annotations.Idempotent),
			OpenWorldHint:   b(op.Annotations.OpenWorld),
		},
	}
	if len(op.OutputSchema) > 0 {
		t.RawOutputSchema = op.OutputSchema
	}
	return t
}

func (s *Server) handler(cat *catalog.Catalog, op *catalog.Operation) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic in tool call", "tool", op.Name, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				res, err = mcp.NewToolResultError("internal error in specgate while calling "+op.Name+"; the request may or may not have reached the API"), nil
			}
		}()
		if s.opts.Access != nil {
			// The HTTP layer already answered step-ups; this is the backstop
			// for requests that reach the handler another way.
			if d, msg := s.opts.Access.Decide(ctx, op); d != Allow {
				if msg == "" {
					msg = "the access token lacks the scope this tool needs"
				}
				if s.opts.OnToolCall != nil {
					s.opts.OnToolCall(ctx, op, true, 0)
				}
				return mcp.NewToolResultError(msg), nil
			}
		}
		start := time.Now()
		args := req.GetArguments()
		if args == nil {
			if raw := req.GetRawArguments(); raw != nil && !isJSONNull(raw) {
				if _, isMap := raw.(map[string]any); !isMap {
					return mcp.NewToolResultError("tool arguments must be a JSON object"), nil
				}
			}
			args = map[string]any{}
		}
		res = s.opts.Caller.Call(ctx, cat.BaseURL, op, args)
		s.calls.Add(1)
		s.log.Info("tool call", "tool", op.Name, "method", op.Method, "path", op.Path,
			"is_error", res.IsError, "duration_ms", time.Since(start).Milliseconds())
		if s.opts.OnToolCall != nil {
			s.opts.OnToolCall(ctx, op, res.IsError, time.Since(start))
		}
		return res, nil
	}
}

func (s *Server) filterTools(ctx context.Context, tools []mcp.Tool) []mcp.Tool {
	if s.opts.Access == nil {
		return tools
	}
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	if snap.mode == ModeSearch {
		return slices.Clone(snap.meta) // they apply Access themselves
	}
	out := tools[:0:0]
	for _, t := range tools {
		op, ok := snap.cat.Lookup(t.Name)
		if !ok {
			// mcp-go copied its list before a swap we already see: answer
			// from our snapshot so the client gets one whole catalog.
			return s.visibleTools(ctx, snap.cat)
		}
		if s.opts.Access.Visible(ctx, op) || isCalling(ctx, t.Name) {
			out = append(out, t)
		}
	}
	return out
}

func (s *Server) visibleTools(ctx context.Context, cat *catalog.Catalog) []mcp.Tool {
	var out []mcp.Tool
	for _, op := range cat.Operations() {
		if s.opts.Access.Visible(ctx, op) || isCalling(ctx, op.Name) {
			out = append(out, Tool(op))
		}
	}
	return out
}

// Calls returns how many tool calls the server has forwarded.
func (s *Server) Calls() int64 { return s.calls.Load() }

// Close ends open sessions and streams.
func (s *Server) Close(ctx context.Context) error { return s.http.Shutdown(ctx) }
