package mcpserver

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/search"
)

// Tool modes: one tool per operation, or three meta tools that search,
// describe and call operations; auto picks by the size of the tool list.
const (
	ModeAll    = "all"
	ModeSearch = "search"
	ModeAuto   = "auto"
)

// DefaultTokenBudget is the estimated tools/list size, in tokens, above
// which auto mode switches to search.
const DefaultTokenBudget = 20000

// Names of the meta tools of search mode.
const (
	SearchToolName   = "search_operations"
	DescribeToolName = "describe_operation"
	CallToolName     = "call_operation"
)

// Bounds of the meta tools' answers.
const (
	defaultSearchLimit = 10
	maxSearchLimit     = 50
	maxDescribe        = 5
	maxDescribeBytes   = 100 << 10
	summaryRunes       = 160
)

// ListSizes returns the JSON size in bytes of the tools/list answer of cat
// in all mode (one tool per operation) and in search mode (the meta tools),
// so an operator can see what each mode costs a client's context (about
// bytes/4 tokens).
func ListSizes(cat *catalog.Catalog) (all, search int) {
	for _, op := range cat.Operations() {
		all += toolBytes(Tool(op)) + 1 // the comma
	}
	for _, t := range metaTools(cat) {
		search += toolBytes(t) + 1
	}
	return all + len(`{"tools":[]}`), search + len(`{"tools":[]}`)
}

func toolBytes(t mcp.Tool) int {
	b, err := json.Marshal(t)
	if err != nil {
		return 0
	}
	return len(b)
}

// ChooseMode resolves a configured mode (ModeAll, ModeSearch, ModeAuto; ""
// and unknown values mean auto) for cat, with auto mode's budget in tokens
// (<= 0 means DefaultTokenBudget), and says why. `specgate tools` can use it
// to show what the server would do.
func ChooseMode(requested string, budget int, cat *catalog.Catalog) (mode, reason string) {
	all, search := ListSizes(cat)
	return decideMode(requested, budget, all, search, cat.Len())
}

func decideMode(requested string, budget, all, search, ops int) (mode, reason string) {
	if budget <= 0 {
		budget = DefaultTokenBudget
	}
	switch requested {
	case ModeAll, ModeSearch:
		return requested, "configured"
	}
	tokens := all / 4
	if tokens > budget {
		return ModeSearch, fmt.Sprintf("auto: tools/list of %d tools would be ~%d tokens, over the budget of %d; exposing 3 meta tools (~%d tokens) instead", ops, tokens, budget, search/4)
	}
	return ModeAll, fmt.Sprintf("auto: tools/list of %d tools is ~%d tokens, within the budget of %d", ops, tokens, budget)
}

// chooseMode resolves the configured mode for cat and logs which and why.
func chooseMode(log *slog.Logger, requested string, budget int, cat *catalog.Catalog) (mode string, all, search int) {
	switch requested {
	case "", ModeAll, ModeSearch, ModeAuto:
	default:
		log.Warn("unknown tool mode, using auto", "mode", requested)
	}
	all, search = ListSizes(cat)
	mode, reason := decideMode(requested, budget, all, search, cat.Len())
	log.Info("tool mode", "mode", mode, "requested", requested, "reason", reason, "operations", cat.Len(),
		"all_bytes", all, "search_bytes", search, "budget_tokens", cmp.Or(max(budget, 0), DefaultTokenBudget))
	return mode, all, search
}

// metaTools defines the three tools of search mode for cat.
func metaTools(cat *catalog.Catalog) []mcp.Tool {
	api := "the API"
	if title := strings.TrimSpace(cat.Title); title != "" {
		api = "the " + title
		if !strings.HasSuffix(strings.ToLower(title), "api") {
			api += " API"
		}
	}
	t := func(v bool) *bool { return &v }
	// Sorted by name, as mcp-go lists tools; the descriptions teach the order.
	return []mcp.Tool{{
		Name:  CallToolName,
		Title: "Call an API operation",
		Description: fmt.Sprintf("Call one operation of %s by name with its arguments, exactly as describe_operation's inputSchema "+
			"says (path, query and header parameters by name, the request body under \"body\"). The result is the API's response. "+
			"Operations may change data: check describe_operation's hints before calling destructive ones.", api),
		RawInputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"name":{"type":"string","description":"The operation name, from search_operations."},` +
			`"arguments":{"type":"object","description":"The operation's arguments, matching its inputSchema."}},"required":["name"]}`),
		Annotations: mcp.ToolAnnotation{Title: "Call an API operation", ReadOnlyHint: t(false), DestructiveHint: t(true), IdempotentHint: t(false), OpenWorldHint: t(true)},
	}, {
		Name:  DescribeToolName,
		Title: "Describe API operations",
		Description: "Get the full definition of one to five operations found with search_operations: description, input schema " +
			"(the exact shape of call_operation's arguments), output schema, required OAuth scopes and behaviour hints " +
			"(read-only, destructive, idempotent). Call it before call_operation unless you already know the schema.",
		RawInputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"names":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":5,"description":"Operation names from search_operations."},` +
			`"name":{"type":"string","description":"One operation name (instead of names)."}}}`),
		Annotations: mcp.ToolAnnotation{Title: "Describe API operations", ReadOnlyHint: t(true), DestructiveHint: t(false), IdempotentHint: t(true), OpenWorldHint: t(false)},
	}, {
		Name:  SearchToolName,
		Title: "Search API operations",
		Description: fmt.Sprintf("Find the operation of %s (%d operations) that does what you need. This server exposes the API "+
			"through three tools instead of one tool per operation: 1) search_operations with a short description of the task "+
			"(e.g. \"send a message to a channel\"); 2) describe_operation with the chosen name(s) to get the exact input schema; "+
			"3) call_operation with the name and arguments. Results are ranked best first and give each operation's name, HTTP "+
			"method, path, one-line summary, the OAuth scopes it requires and whether it is deprecated; page with offset.%s",
			api, cat.Len(), tagHint(cat)),
		RawInputSchema: json.RawMessage(`{"type":"object","properties":{` +
			`"query":{"type":"string","description":"What you want to do, in a few words, or an operation name. Empty lists all operations (with the filters)."},` +
			`"tags":{"type":"array","items":{"type":"string"},"description":"Only operations with one of these tags."},` +
			`"methods":{"type":"array","items":{"type":"string","enum":["GET","POST","PUT","PATCH","DELETE","HEAD","OPTIONS","TRACE"]},"description":"Only operations with one of these HTTP methods."},` +
			`"limit":{"type":"integer","minimum":1,"maximum":50,"default":10,"description":"Results per page."},` +
			`"offset":{"type":"integer","minimum":0,"default":0,"description":"Results to skip (the nextOffset of the previous page)."}}}`),
		Annotations: mcp.ToolAnnotation{Title: "Search API operations", ReadOnlyHint: t(true), DestructiveHint: t(false), IdempotentHint: t(true), OpenWorldHint: t(false)},
	}}
}

// tagHint lists the catalog's most used tags, which make good filters.
func tagHint(cat *catalog.Catalog) string {
	count := map[string]int{}
	for _, op := range cat.Operations() {
		for _, t := range op.Tags {
			count[t]++
		}
	}
	if len(count) < 2 {
		return ""
	}
	tags := make([]string, 0, len(count))
	for t := range count {
		tags = append(tags, t)
	}
	sort.Slice(tags, func(i, j int) bool {
		if count[tags[i]] != count[tags[j]] {
			return count[tags[i]] > count[tags[j]]
		}
		return tags[i] < tags[j]
	})
	more := ""
	if len(tags) > 40 {
		tags, more = tags[:40], fmt.Sprintf(" and %d more", len(tags)-40)
	}
	return " Tags: " + strings.Join(tags, ", ") + more + "."
}

// metaServerTools binds the meta tools to the snapshot they serve.
func (s *Server) metaServerTools(snap *snapshot) []server.ServerTool {
	handlers := map[string]server.ToolHandlerFunc{
		SearchToolName: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return s.searchOps(ctx, snap, req), nil
		},
		DescribeToolName: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return s.describeOps(ctx, snap, req), nil
		},
		CallToolName: func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return s.callOp(ctx, snap, req)
		},
	}
	out := make([]server.ServerTool, 0, len(snap.meta))
	for _, t := range snap.meta {
		out = append(out, server.ServerTool{Tool: t, Handler: handlers[t.Name]})
	}
	return out
}

// opSummary is one operation in search results.
type opSummary struct {
	Name           string   `json:"name"`
	Method         string   `json:"method"`
	Path           string   `json:"path"`
	Summary        string   `json:"summary"`
	RequiredScopes []string `json:"requiredScopes"`
	Deprecated     bool     `json:"deprecated,omitempty"`
	ReadOnly       bool     `json:"readOnly"`
}

// searchResult is the structured answer of search_operations.
type searchResult struct {
	Query      string      `json:"query,omitempty"`
	Total      int         `json:"total"`
	Offset     int         `json:"offset"`
	NextOffset *int        `json:"nextOffset,omitempty"`
	Operations []opSummary `json:"operations"`
	Note       string      `json:"note,omitempty"`
}

func (s *Server) searchOps(ctx context.Context, snap *snapshot, req mcp.CallToolRequest) *mcp.CallToolResult {
	args, err := objectArgs(req)
	if err != nil {
		return mcp.NewToolResultError(SearchToolName + ": " + err.Error())
	}
	q := search.Query{Limit: defaultSearchLimit}
	var errs []string
	collect := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	q.Text, err = stringArg(args, "query")
	collect(err)
	q.Tags, err = stringsArg(args, "tags")
	collect(err)
	q.Methods, err = stringsArg(args, "methods")
	collect(err)
	if v, ok, err := intArg(args, "limit"); err != nil || ok {
		collect(err)
		q.Limit = min(max(v, 1), maxSearchLimit)
	}
	if v, ok, err := intArg(args, "offset"); err != nil || ok {
		collect(err)
		q.Offset = max(v, 0)
	}
	if len(errs) > 0 {
		return mcp.NewToolResultError(SearchToolName + ": " + strings.Join(errs, "; "))
	}
	res := snap.idx.Search(q, s.visibleFunc(ctx))
	out := searchResult{Query: q.Text, Total: res.Total, Offset: q.Offset, Operations: make([]opSummary, 0, len(res.Hits))}
	for _, h := range res.Hits {
		out.Operations = append(out.Operations, s.summarize(h.Op))
	}
	if next := q.Offset + len(res.Hits); next < res.Total {
		out.NextOffset = &next
	}
	if res.Total == 0 {
		out.Note = "no operation matched; try other or fewer words, or drop the tag and method filters"
	}
	return structured(out)
}

func (s *Server) summarize(op *catalog.Operation) opSummary {
	return opSummary{
		Name: op.Name, Method: op.Method, Path: op.Path, Summary: summaryLine(op),
		RequiredScopes: s.requiredScopes(op), Deprecated: op.Deprecated, ReadOnly: op.Annotations.ReadOnly,
	}
}

func (s *Server) requiredScopes(op *catalog.Operation) []string {
	var sc []string
	if s.opts.RequiredScopes != nil {
		sc = s.opts.RequiredScopes(op)
	} else {
		sc = op.Scopes
	}
	if sc == nil {
		return []string{}
	}
	return sc
}

// visibleFunc filters operations through Access.Visible, as tools/list does.
func (s *Server) visibleFunc(ctx context.Context) func(*catalog.Operation) bool {
	if s.opts.Access == nil {
		return nil
	}
	return func(op *catalog.Operation) bool { return s.opts.Access.Visible(ctx, op) }
}

// structured answers with v as structuredContent and as JSON text.
func structured(v any) *mcp.CallToolResult {
	b, err := json.Marshal(v)
	if err != nil {
		return mcp.NewToolResultError("internal error: encode result: " + err.Error())
	}
	return mcp.NewToolResultStructured(json.RawMessage(b), string(b))
}

// summaryLine is a one-line summary of op: the first sentence of its
// description that says more than the title, else the title.
func summaryLine(op *catalog.Operation) string {
	desc := op.Description
	if i := strings.LastIndex(desc, "HTTP: "); i >= 0 && !strings.Contains(desc[i:], "\n") {
		desc = desc[:i]
	}
	rest := strings.Join(strings.Fields(desc), " ")
	for rest != "" {
		end := len(rest)
		if i := strings.Index(rest, ". "); i >= 0 {
			end = i + 1
		}
		sentence := strings.TrimSpace(rest[:end])
		rest = strings.TrimSpace(rest[end:])
		if !strings.EqualFold(strings.TrimRight(sentence, "."), strings.TrimRight(op.Title, ".")) {
			return clipRunes(sentence, summaryRunes)
		}
	}
	return clipRunes(op.Title, summaryRunes)
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// suggest returns up to five visible operation names close to name: by
// edit distance first, then by search rank.
func (s *Server) suggest(ctx context.Context, snap *snapshot, name string) []string {
	visible := s.visibleFunc(ctx)
	type cand struct {
		name string
		dist int
	}
	var close []cand
	if len(name) > 200 {
		return nil // not a mistyped name
	}
	lname := strings.ToLower(name)
	limit := max(2, len(name)/3)
	for _, op := range snap.cat.Operations() {
		if visible != nil && !visible(op) {
			continue
		}
		if d := editDistance(lname, strings.ToLower(op.Name), limit); d <= limit {
			close = append(close, cand{op.Name, d})
		}
	}
	sort.SliceStable(close, func(i, j int) bool { return close[i].dist < close[j].dist })
	var out []string
	for _, c := range close {
		out = append(out, c.name)
	}
	for _, h := range snap.idx.Search(search.Query{Text: name, Limit: 5}, visible).Hits {
		if !slices.Contains(out, h.Op.Name) {
			out = append(out, h.Op.Name)
		}
	}
	return out[:min(len(out), 5)]
}

// editDistance is the Levenshtein distance of a and b, or limit+1 once it
// is sure to exceed limit.
func editDistance(a, b string, limit int) int {
	if d := len(a) - len(b); d > limit || -d > limit {
		return limit + 1
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Mode returns the tool mode in force, ModeAll or ModeSearch ("" before the
// first catalog).
func (s *Server) Mode() string {
	if snap := s.snap.Load(); snap != nil {
		return snap.mode
	}
	return ""
}

// ToolsListBytes returns the JSON size of the current catalog's tools/list
// answer in all mode and in search mode, whichever is in force.
func (s *Server) ToolsListBytes() (all, search int) {
	if snap := s.snap.Load(); snap != nil {
		return snap.allBytes, snap.searchBytes
	}
	return 0, 0
}
