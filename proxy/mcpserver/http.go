package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// Handler returns the HTTP handler for the MCP endpoint. It checks the Host
// and Origin headers, caps the request body, answers tools/call step-up
// challenges at the HTTP level (clients only re-authorize on a 403), recovers
// from panics, and hands everything else to mcp-go.
func (s *Server) Handler() http.Handler {
	inner := http.Handler(http.HandlerFunc(s.serve))
	if s.opts.Authenticate != nil {
		inner = s.opts.Authenticate(inner)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic in MCP handler", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				writeJSONError(w, http.StatusInternalServerError, "internal_error", "internal server error")
			}
		}()
		if !s.hostAllowed(r) {
			writeJSONError(w, http.StatusForbidden, "forbidden_host", fmt.Sprintf("Host %q is not allowed on a loopback connection (DNS rebinding protection); set --public-url to the address clients use", r.Host))
			return
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			if !s.originAllowed(origin) {
				writeJSONError(w, http.StatusForbidden, "forbidden_origin", fmt.Sprintf("Origin %q is not allowed; add it to --allowed-origins", origin))
				return
			}
			if setCORS(w, r, origin) {
				return // preflight answered
			}
		}
		inner.ServeHTTP(w, r)
	})
}

// serve handles a request that passed the guards and authentication.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.opts.MaxRequestBytes))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeJSONError(w, http.StatusRequestEntityTooLarge, "request_too_large", fmt.Sprintf("request body exceeds %d bytes", s.opts.MaxRequestBytes))
				return
			}
			writeJSONError(w, http.StatusBadRequest, "bad_request", "could not read request body: "+err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		if s.opts.Access != nil {
			calls := parseToolCalls(body)
			names := calls.names()
			if snap := s.snap.Load(); snap != nil && snap.mode == ModeSearch {
				names = append(names, calls.operations()...)
			}
			if op := s.stepUpNeeded(r, names); op != nil {
				s.opts.Access.Challenge(w, r, op)
				return
			}
			if len(names) > 0 {
				// Let a called tool through the list filter so its handler
				// can explain a Deny instead of "tool not found".
				r = r.WithContext(context.WithValue(r.Context(), callingKey{}, names))
			}
		}
	}
	s.http.ServeHTTP(w, r)
}

// setCORS decorates a response for an allowed browser origin and answers
// preflights; it reports whether the request was a preflight.
func setCORS(w http.ResponseWriter, r *http.Request, origin string) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Mcp-Method, Mcp-Name, Last-Event-ID")
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// stepUpNeeded returns the operation of a tools/call in body when the caller
// must first obtain more scope.
func (s *Server) stepUpNeeded(r *http.Request, names []string) *catalog.Operation {
	snap := s.snap.Load()
	if snap == nil {
		return nil
	}
	for _, name := range names {
		op, ok := snap.cat.Lookup(name)
		if !ok {
			continue
		}
		if d, _ := s.opts.Access.Decide(r.Context(), op); d == StepUp {
			return op
		}
	}
	return nil
}

// callingKey marks a request context with the tools its tools/call names.
type callingKey struct{}

// isCalling reports whether ctx belongs to a tools/call of tool name.
func isCalling(ctx context.Context, name string) bool {
	names, _ := ctx.Value(callingKey{}).([]string)
	for _, n := range names {
		if n == name {
			return true
		}
	}
	return false
}

// toolCall is one tools/call request: the tool it names and, for
// call_operation, the operation it names.
type toolCall struct{ name, op string }

// toolCalls are the tools/call requests of one JSON-RPC message or batch.
type toolCalls []toolCall

// parseToolCalls reads a JSON-RPC message or batch once. Malformed bodies
// yield nothing: mcp-go answers them with a proper JSON-RPC parse error.
//
// Each message is decoded exactly as mcp-go decodes it before running a
// tool (the method through a struct, params through mcp.CallToolRequest,
// call_operation's arguments as a map read by callOp's own stringArg), so
// that key casing, duplicate keys, padded names or arguments of an
// unexpected type can never make this pre-check look at another tool, or at
// none, than the one mcp-go then runs.
func parseToolCalls(body []byte) toolCalls {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var raws []json.RawMessage
		if json.Unmarshal(body, &raws) != nil {
			return nil
		}
		var calls toolCalls
		for _, raw := range raws {
			if c, ok := parseToolCall(raw); ok {
				calls = append(calls, c)
			}
		}
		return calls
	}
	if c, ok := parseToolCall(body); ok {
		return toolCalls{c}
	}
	return nil
}

// parseToolCall decodes one JSON-RPC message the way mcp-go's HandleMessage
// does; ok is false unless it is a tools/call mcp-go would dispatch.
func parseToolCall(raw []byte) (toolCall, bool) {
	var base struct {
		Method mcp.MCPMethod `json:"method"`
	}
	if json.Unmarshal(raw, &base) != nil || base.Method != mcp.MethodToolsCall {
		return toolCall{}, false
	}
	var req mcp.CallToolRequest
	if json.Unmarshal(raw, &req) != nil {
		return toolCall{}, false
	}
	c := toolCall{name: req.Params.Name}
	if c.name == CallToolName {
		if args, err := objectArgs(req); err == nil {
			c.op, _ = stringArg(args, "name")
		}
	}
	return c, true
}

// names returns the names of the tools called.
func (c toolCalls) names() []string {
	var names []string
	for _, m := range c {
		if m.name != "" {
			names = append(names, m.name)
		}
	}
	return names
}

// operations returns the operations call_operation requests name.
func (c toolCalls) operations() []string {
	var names []string
	for _, m := range c {
		if m.name == CallToolName && m.op != "" {
			names = append(names, m.op)
		}
	}
	return names
}

// toolCallNames extracts the tool names of the tools/call requests in body.
func toolCallNames(body []byte) []string { return parseToolCalls(body).names() }

// hostAllowed guards against DNS rebinding: a request that arrived on a
// loopback connection must name a loopback host or the public URL's host.
func (s *Server) hostAllowed(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil || !isLoopback(hostOnly(local.String())) {
		return true
	}
	host := hostOnly(r.Host)
	if isLoopback(host) {
		return true
	}
	if u, err := url.Parse(s.opts.PublicURL); err == nil && s.opts.PublicURL != "" {
		return strings.EqualFold(host, u.Hostname())
	}
	return false
}

func (s *Server) originAllowed(origin string) bool {
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	if s.opts.PublicURL != "" && o == strings.ToLower(s.opts.PublicURL) {
		return true
	}
	for _, a := range s.opts.AllowedOrigins {
		if a == "*" || strings.ToLower(strings.TrimRight(a, "/")) == o {
			return true
		}
	}
	return false
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSONError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": msg})
}
