package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// opDescription is one operation in describe_operation's answer.
type opDescription struct {
	Name           string              `json:"name"`
	Title          string              `json:"title,omitempty"`
	Method         string              `json:"method"`
	Path           string              `json:"path"`
	Description    string              `json:"description,omitempty"`
	RequiredScopes []string            `json:"requiredScopes"`
	Deprecated     bool                `json:"deprecated,omitempty"`
	Annotations    catalog.Annotations `json:"annotations"`
	InputSchema    json.RawMessage     `json:"inputSchema,omitempty"`
	OutputSchema   json.RawMessage     `json:"outputSchema,omitempty"`
	Note           string              `json:"note,omitempty"`
}

type describeResult struct {
	Operations []opDescription `json:"operations"`
	Note       string          `json:"note,omitempty"`
}

func (s *Server) describeOps(ctx context.Context, snap *snapshot, req mcp.CallToolRequest) *mcp.CallToolResult {
	args, err := objectArgs(req)
	if err != nil {
		return mcp.NewToolResultError(DescribeToolName + ": " + err.Error())
	}
	names, err := stringsArg(args, "names")
	if err != nil {
		return mcp.NewToolResultError(DescribeToolName + ": " + err.Error())
	}
	one, err := stringArg(args, "name")
	if err != nil {
		return mcp.NewToolResultError(DescribeToolName + ": " + err.Error())
	}
	if one != "" && !contains(names, one) {
		names = append(names, one)
	}
	switch {
	case len(names) == 0:
		return mcp.NewToolResultError(DescribeToolName + ": give the operation names to describe in \"names\" (from search_operations)")
	case len(names) > maxDescribe:
		return mcp.NewToolResultError(fmt.Sprintf("%s: at most %d operations at a time, got %d", DescribeToolName, maxDescribe, len(names)))
	}
	visible := s.visibleFunc(ctx)
	var out describeResult
	var unknown []string
	size := 0
	for _, name := range names {
		op, ok := snap.cat.Lookup(name)
		if !ok || (visible != nil && !visible(op)) {
			unknown = append(unknown, s.unknownOp(ctx, snap, name))
			continue
		}
		d := opDescription{
			Name: op.Name, Title: op.Title, Method: op.Method, Path: op.Path, Description: op.Description,
			RequiredScopes: s.requiredScopes(op), Deprecated: op.Deprecated, Annotations: op.Annotations,
			InputSchema: op.InputSchema, OutputSchema: op.OutputSchema,
		}
		// Keep the answer bounded: drop the output schema first, then the
		// whole definition, and say so.
		n := jsonSize(d)
		if size+n > maxDescribeBytes && len(d.OutputSchema) > 0 {
			d.OutputSchema, d.Note = nil, "outputSchema omitted to keep this answer small"
			n = jsonSize(d)
		}
		if size+n > maxDescribeBytes {
			d = opDescription{Name: op.Name, Method: op.Method, Path: op.Path, RequiredScopes: d.RequiredScopes,
				Annotations: op.Annotations, Note: fmt.Sprintf("definition omitted: this answer would exceed %d KB; describe this operation on its own", maxDescribeBytes>>10)}
			if len(names) == 1 {
				d.InputSchema = op.InputSchema
				d.Note = fmt.Sprintf("description and outputSchema omitted: the inputSchema alone is %d KB", len(op.InputSchema)>>10)
			}
			n = jsonSize(d)
		}
		size += n
		out.Operations = append(out.Operations, d)
	}
	if len(out.Operations) == 0 {
		return mcp.NewToolResultError(strings.Join(unknown, "\n"))
	}
	out.Note = strings.Join(unknown, "\n")
	return structured(out)
}

func jsonSize(v any) int {
	b, _ := json.Marshal(v)
	return len(b)
}

// unknownOp explains that name is not an operation, with close matches.
func (s *Server) unknownOp(ctx context.Context, snap *snapshot, name string) string {
	msg := fmt.Sprintf("unknown operation %q", clipRunes(name, 100))
	if sug := s.suggest(ctx, snap, name); len(sug) > 0 {
		msg += "; did you mean " + strings.Join(sug, ", ") + "?"
	}
	return msg + " Use search_operations to find operation names."
}

// callOp checks access to the named operation exactly as a direct tools/call
// would, then runs the operation's own tool handler (validation, forwarding,
// logging, metrics) with the inner arguments.
func (s *Server) callOp(ctx context.Context, snap *snapshot, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	args, err := objectArgs(req)
	if err != nil {
		return mcp.NewToolResultError(CallToolName + ": " + err.Error()), nil
	}
	name, err := stringArg(args, "name")
	if err != nil || name == "" {
		return mcp.NewToolResultError(CallToolName + ": \"name\" must be the operation name (a string) from search_operations"), nil
	}
	op, ok := snap.cat.Lookup(name)
	if !ok {
		return mcp.NewToolResultError(s.unknownOp(ctx, snap, name)), nil
	}
	if s.opts.Access != nil {
		// The HTTP layer answers a step-up with a 403 challenge before we get
		// here; this is the backstop, which at least names the missing scope.
		if d, msg := s.opts.Access.Decide(ctx, op); d != Allow {
			if d == StepUp {
				msg = fmt.Sprintf("%s needs the OAuth scope(s) %q, which this access token was not granted; sign in again and grant them, then retry",
					op.Name, strings.Join(s.requiredScopes(op), " "))
			} else if msg == "" {
				msg = "the access token lacks the scope this operation needs"
			}
			if s.opts.OnToolCall != nil {
				s.opts.OnToolCall(ctx, op, true, 0)
			}
			return mcp.NewToolResultError(msg), nil
		}
	}
	inner := mcp.CallToolRequest{Request: req.Request, Header: req.Header}
	inner.Params.Name = op.Name
	inner.Params.Meta = req.Params.Meta
	if a, present := args["arguments"]; present && a != nil {
		if _, isObject := a.(map[string]any); !isObject {
			return mcp.NewToolResultError(CallToolName + ": \"arguments\" must be a JSON object"), nil
		}
		inner.Params.Arguments = a
	}
	return s.handler(snap.cat, op)(ctx, inner)
}

// callOperationNames returns the operations that call_operation requests in
// body name.
func callOperationNames(body []byte) []string { return parseToolCalls(body).operations() }

// objectArgs returns the tool arguments, which must be an object (or absent).
func objectArgs(req mcp.CallToolRequest) (map[string]any, error) {
	if args := req.GetArguments(); args != nil {
		return args, nil
	}
	if raw := req.GetRawArguments(); raw != nil && !isJSONNull(raw) {
		if _, isMap := raw.(map[string]any); !isMap {
			return nil, fmt.Errorf("arguments must be a JSON object")
		}
	}
	return map[string]any{}, nil
}

func stringArg(args map[string]any, key string) (string, error) {
	switch v := args[key].(type) {
	case nil:
		return "", nil
	case string:
		return strings.TrimSpace(v), nil
	default:
		return "", fmt.Errorf("%q must be a string", key)
	}
}

// stringsArg accepts an array of strings, or a single string.
func stringsArg(args map[string]any, key string) ([]string, error) {
	switch v := args[key].(type) {
	case nil:
		return nil, nil
	case string:
		if v = strings.TrimSpace(v); v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%q must be an array of strings", key)
			}
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	default:
		return nil, fmt.Errorf("%q must be an array of strings", key)
	}
}

// intArg reads an integer argument; ok is false when it is absent.
func intArg(args map[string]any, key string) (n int, ok bool, err error) {
	switch v := args[key].(type) {
	case nil:
		return 0, false, nil
	case float64:
		if v != math.Trunc(v) || math.Abs(v) > 1e9 {
			return 0, false, fmt.Errorf("%q must be an integer", key)
		}
		return int(v), true, nil
	case json.Number:
		i, err := v.Int64()
		if err != nil || i > 1e9 || i < -1e9 {
			return 0, false, fmt.Errorf("%q must be an integer", key)
		}
		return int(i), true, nil
	default:
		return 0, false, fmt.Errorf("%q must be an integer", key)
	}
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}
