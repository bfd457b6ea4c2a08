package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

// metaAccess is a scripted Access for the meta tools.
type metaAccess struct {
	hidden map[string]bool
	decide map[string]Decision
	msg    string

	mu         sync.Mutex
	challenged []string
}

func (a *metaAccess) Visible(_ context.Context, op *catalog.Operation) bool {
	return !a.hidden[op.Name]
}

func (a *metaAccess) Decide(_ context.Context, op *catalog.Operation) (Decision, string) {
	return a.decide[op.Name], a.msg
}

func (a *metaAccess) Challenge(w http.ResponseWriter, _ *http.Request, op *catalog.Operation) {
	a.mu.Lock()
	a.challenged = append(a.challenged, op.Name)
	a.mu.Unlock()
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="needs:`+op.Name+`"`)
	w.WriteHeader(http.StatusForbidden)
}

func (a *metaAccess) Challenged() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.challenged)
}

// petOps is a small catalog whose operations differ by verb and noun.
func petOps() *catalog.Catalog {
	mk := func(name, method, path, title, desc string, scopes ...string) *catalog.Operation {
		op := testOp(name)
		op.Method, op.Path, op.Title, op.Description, op.Scopes = method, path, title, desc, scopes
		op.InputSchema = json.RawMessage(`{"type":"object","properties":{"id":{"type":"integer"}}}`)
		op.OutputSchema = json.RawMessage(`{"type":"object","properties":{"name":{"type":"string"}}}`)
		op.Annotations = catalog.Annotations{ReadOnly: method == "GET", Destructive: method == "DELETE", OpenWorld: true}
		return op
	}
	old := mk("listPetsV1", "GET", "/v1/pets", "List pets (old)", "Lists pets the old way.", "pets:read")
	old.Deprecated = true
	c := catalog.New([]*catalog.Operation{
		mk("listPets", "GET", "/pets", "List pets", "Lists all pets in the store.\n\nHTTP: GET /pets", "pets:read"),
		mk("createPet", "POST", "/pets", "Create a pet", "Adds a new pet to the store.", "pets:write"),
		mk("getPet", "GET", "/pets/{id}", "Get a pet", "Returns one pet.", "pets:read"),
		mk("deletePet", "DELETE", "/pets/{id}", "Delete a pet", "Removes a pet for good.", "pets:admin"),
		mk("secretPet", "GET", "/pets/secret", "Secret pet", "A pet nobody may see.", "pets:secret"),
		mk("stepupPet", "POST", "/pets/{id}/adopt", "Adopt a pet", "Adopts a pet.", "pets:adopt"),
		old,
	})
	c.Title, c.BaseURL, c.Digest = "Petstore", "http://upstream.test", "pets"
	return c
}

// startMeta serves petOps in search mode and returns the caller and a client.
func startMeta(t *testing.T, opts Options, legacy bool) (*recordingCaller, *client.Client, string) {
	t.Helper()
	h := &catalog.Holder{}
	h.Set(petOps())
	caller := &recordingCaller{}
	opts.Holder, opts.Caller = h, caller
	if opts.Mode == "" {
		opts.Mode = ModeSearch
	}
	_, url := startServer(t, opts)
	return caller, connect(t, url, legacy), url
}

// structuredOf decodes a meta tool's JSON answer and checks that the text
// and structured content agree.
func structuredOf(t *testing.T, res *mcp.CallToolResult, v any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", resultText(res))
	}
	if err := json.Unmarshal([]byte(resultText(res)), v); err != nil {
		t.Fatalf("result text is not JSON: %v: %s", err, resultText(res))
	}
	sc, err := json.Marshal(res.StructuredContent)
	if err != nil || res.StructuredContent == nil {
		t.Fatalf("no structuredContent: %v", err)
	}
	var a, b any
	_ = json.Unmarshal(sc, &a)
	_ = json.Unmarshal([]byte(resultText(res)), &b)
	if !jsonEqual(a, b) {
		t.Fatalf("structuredContent %s differs from text %s", sc, resultText(res))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func TestSearchModeListsThreeTools(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			_, c, _ := startMeta(t, Options{Access: &metaAccess{hidden: map[string]bool{"secretPet": true}}}, era.legacy)
			if got, want := listNames(t, c), []string{CallToolName, DescribeToolName, SearchToolName}; !slices.Equal(got, want) {
				t.Fatalf("tools = %v, want %v", got, want)
			}
		})
	}
}

func TestSearchOperations(t *testing.T) {
	required := func(op *catalog.Operation) []string { return []string{"policy:" + op.Name} }
	_, c, _ := startMeta(t, Options{RequiredScopes: required, Access: &metaAccess{hidden: map[string]bool{"secretPet": true}}}, false)

	var res searchResult
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"query": "remove a pet"}), &res)
	if len(res.Operations) == 0 || res.Operations[0].Name != "deletePet" {
		t.Fatalf("search 'remove a pet' = %+v, want deletePet first", res.Operations)
	}
	got := res.Operations[0]
	want := opSummary{Name: "deletePet", Method: "DELETE", Path: "/pets/{id}", Summary: "Removes a pet for good.", RequiredScopes: []string{"policy:deletePet"}}
	if !jsonEqual(got, want) {
		t.Fatalf("hit = %+v, want %+v", got, want)
	}
	for _, op := range res.Operations {
		if op.Name == "secretPet" {
			t.Fatalf("invisible operation in results: %+v", res.Operations)
		}
	}

	// Paging over everything visible, in name order for an empty query.
	var page1, page2 searchResult
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"limit": 4}), &page1)
	if page1.Total != 6 || len(page1.Operations) != 4 || page1.NextOffset == nil || *page1.NextOffset != 4 {
		t.Fatalf("page 1 = %+v, want 4 of 6 with nextOffset 4", page1)
	}
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"limit": 4, "offset": 4}), &page2)
	if page2.Total != 6 || len(page2.Operations) != 2 || page2.NextOffset != nil {
		t.Fatalf("page 2 = %+v, want the last 2 and no nextOffset", page2)
	}
	var dep searchResult
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"query": "list pets old"}), &dep)
	if i := slices.IndexFunc(dep.Operations, func(o opSummary) bool { return o.Name == "listPetsV1" }); i < 0 || !dep.Operations[i].Deprecated {
		t.Fatalf("deprecated flag missing: %+v", dep.Operations)
	}

	var filtered searchResult
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"query": "pet", "methods": []string{"post"}}), &filtered)
	if names := summaryNames(filtered.Operations); !slices.Equal(names, []string{"createPet", "stepupPet"}) && !slices.Equal(names, []string{"stepupPet", "createPet"}) {
		t.Fatalf("POST filter = %v", names)
	}
	var none searchResult
	structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"query": "kubernetes cluster"}), &none)
	if none.Total != 0 || none.Note == "" {
		t.Fatalf("no-match answer = %+v, want total 0 and a note", none)
	}

	for _, bad := range []map[string]any{{"limit": "ten"}, {"tags": 3}, {"query": 5}, {"offset": 1.5}} {
		if res := callTool(t, c, SearchToolName, bad); !res.IsError {
			t.Errorf("search with %v succeeded: %s", bad, resultText(res))
		}
	}
	if res := callTool(t, c, SearchToolName, map[string]any{"limit": 500}); res.IsError {
		t.Errorf("limit above the maximum should be clamped, got %s", resultText(res))
	}
}

func summaryNames(ops []opSummary) []string {
	var out []string
	for _, o := range ops {
		out = append(out, o.Name)
	}
	return out
}

func TestDescribeOperation(t *testing.T) {
	_, c, _ := startMeta(t, Options{Access: &metaAccess{hidden: map[string]bool{"secretPet": true}}}, true)

	var res describeResult
	structuredOf(t, callTool(t, c, DescribeToolName, map[string]any{"names": []string{"getPet", "createPet"}}), &res)
	if len(res.Operations) != 2 || res.Operations[0].Name != "getPet" || res.Operations[1].Name != "createPet" {
		t.Fatalf("describe = %+v", res.Operations)
	}
	d := res.Operations[0]
	if string(d.InputSchema) != `{"type":"object","properties":{"id":{"type":"integer"}}}` || len(d.OutputSchema) == 0 ||
		!d.Annotations.ReadOnly || !slices.Equal(d.RequiredScopes, []string{"pets:read"}) || d.Description == "" {
		t.Fatalf("getPet description = %+v", d)
	}
	var single describeResult
	structuredOf(t, callTool(t, c, DescribeToolName, map[string]any{"name": "deletePet"}), &single)
	if len(single.Operations) != 1 || !single.Operations[0].Annotations.Destructive {
		t.Fatalf("describe by name = %+v", single)
	}

	var partial describeResult
	structuredOf(t, callTool(t, c, DescribeToolName, map[string]any{"names": []string{"getPet", "getPets"}}), &partial)
	if len(partial.Operations) != 1 || !strings.Contains(partial.Note, `unknown operation "getPets"`) {
		t.Fatalf("partial describe = %+v", partial)
	}

	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"names": []string{"deletPet"}}, "did you mean deletePet"},
		{map[string]any{"names": []string{"secretPet"}}, `unknown operation "secretPet"`},
		{map[string]any{}, "give the operation names"},
		{map[string]any{"names": []string{"a", "b", "c", "d", "e", "f"}}, "at most 5"},
		{map[string]any{"names": []any{1}}, "array of strings"},
	}
	for _, tt := range tests {
		res := callTool(t, c, DescribeToolName, tt.args)
		if !res.IsError || !strings.Contains(resultText(res), tt.want) {
			t.Errorf("describe %v = error %v %q, want an error containing %q", tt.args, res.IsError, resultText(res), tt.want)
		}
		if strings.Contains(resultText(res), "secretPet") && tt.want != `unknown operation "secretPet"` {
			t.Errorf("describe %v leaked the invisible operation: %s", tt.args, resultText(res))
		}
	}
}

func TestDescribeOperationIsBounded(t *testing.T) {
	schema := func(kb int) json.RawMessage {
		return json.RawMessage(`{"type":"object","description":"` + strings.Repeat("x", kb<<10) + `"}`)
	}
	var ops []*catalog.Operation
	for _, n := range []string{"a", "b", "c"} {
		op := testOp(n)
		op.InputSchema, op.OutputSchema = schema(40), schema(40)
		ops = append(ops, op)
	}
	huge := testOp("huge")
	huge.InputSchema, huge.OutputSchema = schema(150), schema(10)
	h := &catalog.Holder{}
	h.Set(catalog.New(append(ops, huge)))
	_, url := startServer(t, Options{Holder: h, Mode: ModeSearch})
	c := connect(t, url, false)

	res := callTool(t, c, DescribeToolName, map[string]any{"names": []string{"a", "b", "c"}})
	var out describeResult
	structuredOf(t, res, &out)
	if n := len(resultText(res)); n > maxDescribeBytes {
		t.Fatalf("describe answer is %d bytes, want at most %d", n, maxDescribeBytes)
	}
	if len(out.Operations) != 3 || out.Operations[0].Note != "" || out.Operations[0].OutputSchema == nil ||
		out.Operations[1].InputSchema != nil || !strings.Contains(out.Operations[1].Note, "on its own") || out.Operations[2].InputSchema != nil {
		t.Fatalf("want a whole and b, c cut with a note; got notes %q %q %q",
			out.Operations[0].Note, out.Operations[1].Note, out.Operations[2].Note)
	}

	var alone describeResult
	structuredOf(t, callTool(t, c, DescribeToolName, map[string]any{"name": "huge"}), &alone)
	if d := alone.Operations[0]; d.InputSchema == nil || d.OutputSchema != nil || !strings.Contains(d.Note, "inputSchema alone") {
		t.Fatalf("a single oversized operation should keep its inputSchema with a note, got note %q", d.Note)
	}
}

func TestCallOperationForwards(t *testing.T) {
	for _, era := range eras {
		t.Run(era.name, func(t *testing.T) {
			caller, c, _ := startMeta(t, Options{}, era.legacy)
			res := callTool(t, c, CallToolName, map[string]any{"name": "getPet", "arguments": map[string]any{"id": 7}})
			if res.IsError || resultText(res) != "called getPet GET /pets/{id}" {
				t.Fatalf("call_operation = error %v %q", res.IsError, resultText(res))
			}
			calls := caller.Calls()
			if len(calls) != 1 || calls[0].Tool != "getPet" || calls[0].BaseURL != "http://upstream.test" || calls[0].Args["id"] != float64(7) {
				t.Fatalf("caller saw %+v", calls)
			}
			if res := callTool(t, c, CallToolName, map[string]any{"name": "listPets"}); res.IsError {
				t.Fatalf("call without arguments: %s", resultText(res))
			}
			for args, want := range map[string]string{
				`{"name":"getPett"}`:                      "did you mean getPet",
				`{"arguments":{}}`:                        `"name" must be`,
				`{"name":"getPet","arguments":"id=7"}`:    `"arguments" must be a JSON object`,
				`{"name":"getPet","arguments":[1,2,3]}`:   `"arguments" must be a JSON object`,
				`{"name":["getPet"],"arguments":{"a":1}}`: `"name" must be`,
			} {
				var a map[string]any
				_ = json.Unmarshal([]byte(args), &a)
				res := callTool(t, c, CallToolName, a)
				if !res.IsError || !strings.Contains(resultText(res), want) {
					t.Errorf("call_operation %s = error %v %q, want %q", args, res.IsError, resultText(res), want)
				}
			}
			if n := len(caller.Calls()); n != 2 {
				t.Fatalf("caller got %d calls, want 2 (refused calls must not reach it)", n)
			}
		})
	}
}

func TestCallOperationAccess(t *testing.T) {
	access := &metaAccess{
		hidden: map[string]bool{"secretPet": true},
		decide: map[string]Decision{"deletePet": Deny, "stepupPet": StepUp, "secretPet": Deny},
		msg:    "your account may never delete pets",
	}
	var mu sync.Mutex
	var refused []string
	onCall := func(_ context.Context, op *catalog.Operation, isError bool, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		if isError {
			refused = append(refused, op.Name)
		}
	}
	caller, c, url := startMeta(t, Options{Access: access, OnToolCall: onCall}, false)

	res := callTool(t, c, CallToolName, map[string]any{"name": "deletePet", "arguments": map[string]any{"id": 1}})
	if !res.IsError || resultText(res) != access.msg {
		t.Fatalf("denied call = error %v %q, want %q", res.IsError, resultText(res), access.msg)
	}
	// A step-up is answered at the HTTP level, like a direct tool's.
	body, hdr := modernCall(CallToolName, `{"name":"stepupPet","arguments":{"id":1}}`)
	resp, _ := post(t, url, "", body, hdr)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "needs:stepupPet") {
		t.Fatalf("step-up call_operation: status %d, WWW-Authenticate %q; want the 403 challenge for stepupPet", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	batch := `[{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"getPet"}}},
	           {"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"stepupPet"}}}]`
	if resp, _ := post(t, url, "", batch, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("batch with a step-up call_operation: status %d, want 403", resp.StatusCode)
	}
	if ch := access.Challenged(); !slices.Equal(ch, []string{"stepupPet", "stepupPet"}) {
		t.Fatalf("challenged %v", ch)
	}
	if req := (mcp.CallToolRequest{}); true {
		req.Params.Name = CallToolName
		req.Params.Arguments = map[string]any{"name": "stepupPet"}
		if _, err := c.CallTool(ctx10s(t), req); err == nil {
			t.Fatal("client call_operation of a step-up operation succeeded")
		}
	}
	if n := len(caller.Calls()); n != 0 {
		t.Fatalf("refused calls reached the Caller %d times", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(refused, []string{"deletePet"}) {
		t.Fatalf("OnToolCall refusals = %v, want [deletePet]", refused)
	}
}

func TestCallOperationStepUpBackstopNamesScopes(t *testing.T) {
	access := &metaAccess{decide: map[string]Decision{"stepupPet": StepUp}}
	h := &catalog.Holder{}
	h.Set(petOps())
	s := New(Options{Holder: h, Caller: &recordingCaller{}, Access: access, Mode: ModeSearch})
	req := mcp.CallToolRequest{}
	req.Params.Arguments = map[string]any{"name": "stepupPet"}
	res, err := s.callOp(context.Background(), s.snap.Load(), req)
	if err != nil || !res.IsError || !strings.Contains(resultText(res), `"pets:adopt"`) {
		t.Fatalf("in-handler step-up = %v %+v, want a tool error naming pets:adopt", err, res)
	}
}

func TestCallOperationNames(t *testing.T) {
	tests := []struct {
		body string
		want []string
	}{
		{`{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"getPet"}}}`, []string{"getPet"}},
		{`{"method":"tools/call","params":{"name":"getPet","arguments":{"name":"x"}}}`, nil},
		{`{"method":"tools/list","params":{"name":"call_operation","arguments":{"name":"x"}}}`, nil},
		{`[{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"a"}}},{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"b"}}}]`, []string{"a", "b"}},
		{`{"method":"tools/call","params":{"name":"call_operation","arguments":"x"}}`, nil},
		{`{"method":"tools/call","params":{"name":"call_operation"}}`, nil},
		{`not json`, nil},
	}
	for _, tt := range tests {
		if got := callOperationNames([]byte(tt.body)); !slices.Equal(got, tt.want) {
			t.Errorf("callOperationNames(%s) = %v, want %v", tt.body, got, tt.want)
		}
	}
}

func FuzzCallOperationNames(f *testing.F) {
	f.Add([]byte(`{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":"a"}}}`))
	f.Add([]byte(`[{"method":"tools/call","params":{"name":"call_operation","arguments":{"name":""}}}]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, n := range callOperationNames(body) {
			if n == "" {
				t.Fatalf("empty operation name from %q", body)
			}
		}
	})
}

func TestSummaryLine(t *testing.T) {
	tests := []struct{ title, desc, want string }{
		{"AcceptDispute", "AcceptDispute.  Accepts the loss on a dispute. Square returns the money.\n\nHTTP: POST /x", "Accepts the loss on a dispute."},
		{"Chat post message", "Sends a message to a channel.\n\nHTTP: POST /chat.postMessage", "Sends a message to a channel."},
		{"Get file", "HTTP: GET /files", "Get file"},
		{"Ping", "", "Ping"},
		{"", strings.Repeat("word ", 100), strings.Repeat("word ", 31) + "word…"},
	}
	for _, tt := range tests {
		op := &catalog.Operation{Title: tt.title, Description: tt.desc}
		if got := summaryLine(op); got != tt.want {
			t.Errorf("summaryLine(%q, %q) = %q, want %q", tt.title, tt.desc, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b  string
		limit int
		want  int
	}{{"getpet", "getpet", 2, 0}, {"getpett", "getpet", 2, 1}, {"deletpet", "deletepet", 2, 1}, {"abc", "xyz", 2, 3}, {"a", "abcdef", 2, 3}} {
		if got := editDistance(tt.a, tt.b, tt.limit); got != tt.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", tt.a, tt.b, tt.limit, got, tt.want)
		}
	}
}

// loadSpec converts a spec of the shared corpus as specgate does.
func loadSpec(t *testing.T, name string) *catalog.Catalog {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "shared", "specs", name))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := specload.Parse(context.Background(), data, name, specload.Options{})
	if err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
	cat, err := convert.Convert(doc.Spec, convert.Options{})
	if err != nil {
		t.Fatalf("convert %s: %v", name, err)
	}
	return cat
}

func TestAutoModePicksBySize(t *testing.T) {
	tests := []struct {
		name     string
		cat      func(t *testing.T) *catalog.Catalog
		mode     string
		budget   int
		wantMode string
	}{
		{"small catalog, auto", func(*testing.T) *catalog.Catalog { return petOps() }, "", 0, ModeAll},
		{"slack, auto", func(t *testing.T) *catalog.Catalog { return loadSpec(t, "slack-web-api-v2.0.json") }, ModeAuto, 0, ModeSearch},
		{"square, auto", func(t *testing.T) *catalog.Catalog { return loadSpec(t, "square-connect-v3.0.json") }, "", 0, ModeSearch},
		{"slack, auto, huge budget", func(t *testing.T) *catalog.Catalog { return loadSpec(t, "slack-web-api-v2.0.json") }, ModeAuto, 10_000_000, ModeAll},
		{"small catalog, forced search", func(*testing.T) *catalog.Catalog { return petOps() }, ModeSearch, 0, ModeSearch},
		{"small catalog, tiny budget", func(*testing.T) *catalog.Catalog { return petOps() }, ModeAuto, 10, ModeSearch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := &catalog.Holder{}
			h.Set(tt.cat(t))
			s, url := startServer(t, Options{Holder: h, Mode: tt.mode, TokenBudget: tt.budget, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if s.Mode() != tt.wantMode {
				t.Fatalf("Mode() = %q, want %q", s.Mode(), tt.wantMode)
			}
			all, srch := s.ToolsListBytes()
			t.Logf("%d operations: tools/list %d bytes (~%d tokens) in all mode, %d bytes in search mode", h.Current().Len(), all, all/4, srch)
			if all <= 0 || srch <= 0 || (h.Current().Len() > 100 && srch >= all/20) {
				t.Fatalf("ToolsListBytes() = %d, %d", all, srch)
			}
			if !strings.Contains(logs.String(), `"msg":"tool mode","mode":"`+tt.wantMode+`"`) || !strings.Contains(logs.String(), `"reason":`) {
				t.Fatalf("no log line saying the mode and why: %s", logs.String())
			}
			c := connect(t, url, false)
			names := listNames(t, c)
			if tt.wantMode == ModeSearch && len(names) != 3 || tt.wantMode == ModeAll && len(names) != h.Current().Len() {
				t.Fatalf("tools/list has %d tools in %s mode", len(names), tt.wantMode)
			}
			if _, isSlack := h.Current().Lookup("chat_postMessage"); isSlack && tt.wantMode == ModeSearch {
				var res searchResult
				structuredOf(t, callTool(t, c, SearchToolName, map[string]any{"query": "send a message to a channel", "limit": 3}), &res)
				if len(res.Operations) == 0 || res.Operations[0].Name != "chat_postMessage" {
					t.Fatalf("search on Slack = %+v, want chat_postMessage first", res.Operations)
				}
			}
		})
	}
}

func TestChooseMode(t *testing.T) {
	cat := petOps()
	all, _ := ListSizes(cat)
	tests := []struct {
		requested string
		budget    int
		want      string
	}{
		{"", 0, ModeAll}, {ModeAuto, 0, ModeAll}, {"bogus", 0, ModeAll}, {ModeAuto, -5, ModeAll},
		{ModeAuto, all/4 - 1, ModeSearch}, {ModeAuto, all / 4, ModeAll},
		{ModeSearch, 0, ModeSearch}, {ModeAll, 1, ModeAll},
	}
	for _, tt := range tests {
		if got, why := ChooseMode(tt.requested, tt.budget, cat); got != tt.want || why == "" {
			t.Errorf("ChooseMode(%q, %d) = %q (%s), want %q", tt.requested, tt.budget, got, why, tt.want)
		}
	}
}

func TestModeSwitchOnReload(t *testing.T) {
	h := &catalog.Holder{}
	h.Set(petOps())
	s, url := startServer(t, Options{Holder: h, TokenBudget: 1000})
	c := connect(t, url, false)
	if s.Mode() != ModeAll || len(listNames(t, c)) != 7 {
		t.Fatalf("before: mode %s", s.Mode())
	}
	var ops []*catalog.Operation
	for i := range 200 {
		op := testOp("op" + strings.Repeat("x", i%7) + string(rune('a'+i%26)) + strings.Repeat("y", i/26))
		op.Description = strings.Repeat("A long description. ", 10)
		ops = append(ops, op)
	}
	h.Set(catalog.New(ops))
	if s.Mode() != ModeSearch {
		t.Fatalf("after a big catalog: mode %s", s.Mode())
	}
	if got := listNames(t, c); !slices.Equal(got, []string{CallToolName, DescribeToolName, SearchToolName}) {
		t.Fatalf("after switch: tools %v", got)
	}
}
