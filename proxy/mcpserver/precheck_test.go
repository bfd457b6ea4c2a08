package mcpserver

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// modernMessage is a 2026-era JSON-RPC message with raw method and params
// members, so tests can shape keys exactly as an attacker would.
func modernMessage(methodKey, method, tool, params string) (string, map[string]string) {
	meta := fmt.Sprintf(`"_meta":{"io.modelcontextprotocol/protocolVersion":%q,"io.modelcontextprotocol/clientInfo":{"name":"raw","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}`,
		mcp.ProtocolVersion20260728)
	body := fmt.Sprintf(`{"jsonrpc":"2.0","id":9,%q:%q,"params":{%s,%s}}`, methodKey, method, params, meta)
	return body, map[string]string{mcp.HeaderProtocolVersion: mcp.ProtocolVersion20260728, mcp.HeaderMethod: method, mcp.HeaderName: tool}
}

// TestStepUpPrecheckAgreesWithMCPGo sends tools/call messages whose keys are
// shaped so that a parser other than mcp-go's would read a different tool
// (or none) than the one mcp-go runs. The HTTP pre-check must answer every
// one of them with the step-up challenge, never let the call through to a
// tool handler.
func TestStepUpPrecheckAgreesWithMCPGo(t *testing.T) {
	tests := []struct {
		name      string
		search    bool
		methodKey string
		params    string
	}{
		// mcp-go decodes call_operation's arguments into a map: keys are
		// case-sensitive and the last duplicate wins.
		{"operation name then case variant", true, "method", `"name":"call_operation","arguments":{"name":"stepupPet","Name":"getPet"}`},
		{"operation name then upper case", true, "method", `"name":"call_operation","arguments":{"name":"stepupPet","NAME":"listPets"}`},
		{"operation duplicate name", true, "method", `"name":"call_operation","arguments":{"name":"getPet","name":"stepupPet"}`},
		// callOp trims the operation name before looking it up.
		{"operation name with spaces", true, "method", `"name":"call_operation","arguments":{"name":" stepupPet\t"}`},
		{"operation with extra arguments", true, "method", `"name":"call_operation","arguments":{"name":"stepupPet","arguments":{"id":1}}`},
		// encoding/json matches member names case-insensitively, last wins,
		// for the envelope; mcp-go reads the envelope the same way.
		{"method key case", true, "Method", `"name":"call_operation","arguments":{"name":"stepupPet"}`},
		{"params name key case", true, "method", `"Name":"call_operation","arguments":{"name":"stepupPet"}`},
		{"direct name duplicate", false, "method", `"name":"open","name":"stepup","arguments":{}`},
		// A direct call whose arguments another parser could not decode.
		{"direct arguments name not a string", false, "method", `"name":"stepup","arguments":{"name":5}`},
		{"direct arguments name an object", false, "method", `"name":"stepup","arguments":{"name":{"x":1}}`},
		{"direct arguments an array", false, "method", `"name":"stepup","arguments":[1,2]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var (
				challenged func() []string
				calls      func() []recordedCall
				url        string
				want       string
			)
			if tt.search {
				access := &metaAccess{decide: map[string]Decision{"stepupPet": StepUp}}
				caller, _, u := startMeta(t, Options{Access: access}, false)
				challenged, calls, url, want = access.Challenged, caller.Calls, u, "stepupPet"
			} else {
				access := scriptedAccess()
				caller, u := newAccessServer(t, access)
				challenged, calls, url, want = access.Challenged, caller.Calls, u, "stepup"
			}
			tool := CallToolName
			if !tt.search {
				tool = "stepup"
			}
			body, hdr := modernMessage(tt.methodKey, "tools/call", tool, tt.params)
			resp, got := post(t, url, "", body, hdr)
			if resp.StatusCode != http.StatusForbidden || !slices.Equal(challenged(), []string{want}) {
				t.Fatalf("status %d body %s, challenged %v; want the step-up challenge for %s", resp.StatusCode, got, challenged(), want)
			}
			if n := len(calls()); n != 0 {
				t.Fatalf("the call reached the Caller %d times", n)
			}
		})
	}
}

// mcpGoView is what mcp-go would run for a single JSON-RPC message: the
// tool name and, for call_operation, the operation callOp would look up.
func mcpGoView(body []byte) (tool, op string, ok bool) {
	var base struct {
		Method mcp.MCPMethod `json:"method"`
	}
	if json.Unmarshal(body, &base) != nil || base.Method != mcp.MethodToolsCall {
		return "", "", false
	}
	var req mcp.CallToolRequest
	if json.Unmarshal(body, &req) != nil {
		return "", "", false
	}
	if req.Params.Name == CallToolName {
		if args, err := objectArgs(req); err == nil {
			op, _ = stringArg(args, "name")
		}
	}
	return req.Params.Name, op, true
}

// FuzzPrecheckAgreesWithMCPGo checks that every tool and operation mcp-go
// would run for a message is among those the step-up pre-check looks at.
func FuzzPrecheckAgreesWithMCPGo(f *testing.F) {
	for _, s := range []string{
		`{"method":"tools/call","params":{"name":"a"}}`,
		`{"Method":"tools/call","params":{"NAME":"a","name":"b"}}`,
		`{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"x","Name":"y"}}}`,
		`{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":" x "}}}`,
		`{"method":"tools/call","params":{"name":"a","arguments":{"name":5}}}`,
		`{"method":"tools/call","params":{"name":"a","arguments":"x"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		tool, op, ok := mcpGoView(body)
		if !ok {
			return
		}
		calls := parseToolCalls(body)
		if tool != "" && !slices.Contains(calls.names(), tool) {
			t.Fatalf("mcp-go runs tool %q for %q; the pre-check saw %v", tool, body, calls.names())
		}
		if op != "" && !slices.Contains(calls.operations(), op) {
			t.Fatalf("call_operation runs %q for %q; the pre-check saw %v", op, body, calls.operations())
		}
	})
}
