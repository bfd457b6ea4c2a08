package mcpserver

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// fakeAccess is a scripted Access that records what it was asked. Like the
// real scope check, a tool is visible exactly when calling it is allowed.
type fakeAccess struct {
	decide map[string]Decision
	msg    string

	mu         sync.Mutex
	challenged []string
}

func (a *fakeAccess) Visible(_ context.Context, op *catalog.Operation) bool {
	return a.decide[op.Name] == Allow
}

func (a *fakeAccess) Decide(_ context.Context, op *catalog.Operation) (Decision, string) {
	d := a.decide[op.Name]
	if d == Deny {
		return d, a.msg
	}
	return d, ""
}

func (a *fakeAccess) Challenge(w http.ResponseWriter, r *http.Request, op *catalog.Operation) {
	a.mu.Lock()
	a.challenged = append(a.challenged, op.Name)
	a.mu.Unlock()
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="needs:`+op.Name+`"`)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	_, _ = w.Write([]byte(`{"error":"insufficient_scope"}`))
}

func (a *fakeAccess) Challenged() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.challenged...)
}

func newAccessServer(t *testing.T, access *fakeAccess) (*recordingCaller, string) {
	t.Helper()
	h := &catalog.Holder{}
	h.Set(testCatalog("http://upstream.test", "open", "other", "stepup", "denied"))
	caller := &recordingCaller{}
	_, url := startServer(t, Options{Holder: h, Caller: caller, Access: access})
	return caller, url
}

func scriptedAccess() *fakeAccess {
	return &fakeAccess{
		decide: map[string]Decision{"stepup": StepUp, "denied": Deny},
		msg:    "your account may never delete things",
	}
}

func TestAccessVisibleFiltersList(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			_, url := newAccessServer(t, scriptedAccess())
			c := connect(t, url, era.legacy)
			if got, want := listNames(t, c), []string{"open", "other"}; !slices.Equal(got, want) {
				t.Fatalf("tools = %v, want %v (stepup and denied hidden)", got, want)
			}
		})
	}
}

func TestAccessStepUpAnswersWithChallenge(t *testing.T) {
	access := scriptedAccess()
	caller, url := newAccessServer(t, access)

	body, hdr := modernCall("stepup", `{}`)
	resp, got := post(t, url, "", body, hdr)
	if resp.StatusCode != http.StatusForbidden || got != `{"error":"insufficient_scope"}` {
		t.Fatalf("step-up call: status %d body %s, want the Challenge's 403", resp.StatusCode, got)
	}
	if wa := resp.Header.Get("WWW-Authenticate"); !strings.Contains(wa, `scope="needs:stepup"`) {
		t.Fatalf("WWW-Authenticate = %q", wa)
	}
	if ch := access.Challenged(); !slices.Equal(ch, []string{"stepup"}) {
		t.Fatalf("Challenge calls = %v", ch)
	}
	if n := len(caller.Calls()); n != 0 {
		t.Fatalf("step-up call reached the Caller %d times", n)
	}

	// A real client sees the call fail, and an allowed tool still works.
	for _, era := range eras {
		c := connect(t, url, era.legacy)
		req := mcp.CallToolRequest{}
		req.Params.Name = "stepup"
		if res, err := c.CallTool(ctx10s(t), req); err == nil {
			t.Fatalf("%s client: step-up call succeeded: %+v", era.name, res)
		}
		if res := callTool(t, c, "open", nil); res.IsError {
			t.Fatalf("%s client: open tool failed: %s", era.name, resultText(res))
		}
	}
	if calls := caller.Calls(); len(calls) != 2 || calls[0].Tool != "open" {
		t.Fatalf("caller calls = %+v, want only the two open calls", calls)
	}
}

func TestAccessDenyIsToolError(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			access := scriptedAccess()
			caller, url := newAccessServer(t, access)
			c := connect(t, url, era.legacy)
			res := callTool(t, c, "denied", map[string]any{"id": 1})
			if !res.IsError || resultText(res) != access.msg {
				t.Fatalf("denied call = error %v %q, want tool error %q", res.IsError, resultText(res), access.msg)
			}
			if n := len(caller.Calls()); n != 0 {
				t.Fatalf("denied call reached the Caller %d times", n)
			}
			// The denial names the reason rather than "tool not found", even
			// though the tool is hidden from tools/list.
			if strings.Contains(resultText(res), "not found") {
				t.Fatalf("denied call answered %q", resultText(res))
			}
			if ch := access.Challenged(); len(ch) != 0 {
				t.Fatalf("Deny triggered Challenge: %v", ch)
			}
		})
	}
}

func TestAccessDenyDefaultMessage(t *testing.T) {
	access := scriptedAccess()
	access.msg = ""
	_, url := newAccessServer(t, access)
	c := connect(t, url, false)
	res := callTool(t, c, "denied", nil)
	if !res.IsError || !strings.Contains(resultText(res), "scope") {
		t.Fatalf("denied call without message = error %v %q, want a tool error about scope", res.IsError, resultText(res))
	}
}

func TestBatchWithStepUpCallIsChallenged(t *testing.T) {
	access := scriptedAccess()
	caller, url := newAccessServer(t, access)
	batch := `[{"jsonrpc":"2.0","id":1,"method":"tools/list"},
	           {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"open","arguments":{}}},
	           {"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"stepup","arguments":{}}}]`
	resp, body := post(t, url, "", batch, nil)
	if resp.StatusCode != http.StatusForbidden || !slices.Equal(access.Challenged(), []string{"stepup"}) {
		t.Fatalf("batch: status %d body %s, challenged %v; want the Challenge for stepup", resp.StatusCode, body, access.Challenged())
	}
	if n := len(caller.Calls()); n != 0 {
		t.Fatalf("batch reached the Caller %d times", n)
	}
}

func TestMalformedJSONReachesMCPGo(t *testing.T) {
	access := scriptedAccess()
	_, url := newAccessServer(t, access)
	for _, body := range []string{`{"jsonrpc":`, `[{"method":"tools/call","params":{"name":"stepup"}`, `not json`} {
		resp, got := post(t, url, "", body, nil)
		if resp.StatusCode == http.StatusForbidden || len(access.Challenged()) != 0 {
			t.Fatalf("malformed body %q was challenged", body)
		}
		if !strings.Contains(got, "-32700") {
			t.Fatalf("malformed body %q: status %d body %s, want a JSON-RPC parse error (-32700)", body, resp.StatusCode, got)
		}
	}
}

func TestToolCallNames(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []string
	}{
		{"single call", `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a"}}`, []string{"a"}},
		{"leading whitespace", "\n\t {\"method\":\"tools/call\",\"params\":{\"name\":\"a\"}}", []string{"a"}},
		{"other method", `{"method":"tools/list"}`, nil},
		{"call without name", `{"method":"tools/call","params":{}}`, nil},
		{"batch", `[{"method":"tools/list"},{"method":"tools/call","params":{"name":"a"}},{"method":"tools/call","params":{"name":"b"}}]`, []string{"a", "b"}},
		{"batch leading whitespace", ` [{"method":"tools/call","params":{"name":"a"}}]`, []string{"a"}},
		{"empty", ``, nil},
		{"malformed", `{"method":"tools/call","params":{"name":"a"`, nil},
		{"malformed batch", `[{"method":"tools/call","params":{"name":"a"}},`, nil},
		{"params not an object", `{"method":"tools/call","params":[1]}`, nil},
		{"name not a string", `{"method":"tools/call","params":{"name":5}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := toolCallNames([]byte(tt.body)); !slices.Equal(got, tt.want) {
				t.Fatalf("toolCallNames(%s) = %v, want %v", tt.body, got, tt.want)
			}
		})
	}
}

func FuzzToolCallNames(f *testing.F) {
	f.Add([]byte(`{"method":"tools/call","params":{"name":"a"}}`))
	f.Add([]byte(`[{"method":"tools/call","params":{"name":"a"}},{"method":"x"}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, n := range toolCallNames(body) {
			if n == "" {
				t.Fatalf("empty tool name from %q", body)
			}
		}
	})
}
