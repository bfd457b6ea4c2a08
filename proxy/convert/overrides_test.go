package convert

import (
	"reflect"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// extSpec exercises every x-mcp-* extension.
const extSpec = `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /tasks:
    get:
      operationId: listTasks
      summary: List tasks
      x-mcp-name: "find tasks!"
      x-mcp-description: "Search the tasks.\n\nUse status to narrow."
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
        - {name: starting_after, in: query, schema: {type: string}}
      responses: {'200': {description: ok}}
    post:
      operationId: createTask
      deprecated: true
      x-mcp-description: Make a task.
      responses: {'201': {description: ok}}
    delete:
      operationId: purgeTasks
      x-mcp-hidden: true
      responses: {'204': {description: ok}}
  /admin/{id}:
    x-mcp-hidden: true
    get:
      operationId: adminGet
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'204': {description: ok}}
    put:
      operationId: adminPut
      x-mcp-hidden: "false"
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {'204': {description: ok}}
  /find_tasks:
    get:
      operationId: find_tasks
      responses: {'204': {description: ok}}
  /bad:
    get:
      operationId: bad
      x-mcp-name: 5
      x-mcp-hidden: maybe
      responses: {'204': {description: ok}}
  /blank:
    get:
      operationId: blank
      x-mcp-name: "!!!"
      responses: {'204': {description: ok}}
`

func opNames(cat *catalog.Catalog) map[string]string {
	out := map[string]string{}
	for _, op := range cat.Operations() {
		out[op.Method+" "+op.Path] = op.Name
	}
	return out
}

func TestExtensions(t *testing.T) {
	cat := convertYAML(t, extSpec, Options{})
	got := opNames(cat)
	want := map[string]string{
		"GET /tasks":      "find_tasks",
		"POST /tasks":     "createTask",
		"PUT /admin/{id}": "adminPut",
		// The explicit name wins the bare name over a plain operationId.
		"GET /find_tasks": "find_tasks" + hashSuffix("GET", "/find_tasks", 0),
		"GET /bad":        "bad",
		"GET /blank":      "blank",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names %v\nwant  %v", got, want)
	}
	if !reflect.DeepEqual(cat.Hidden, []string{"GET /admin/{id}", "DELETE /tasks"}) {
		t.Errorf("Hidden = %q", cat.Hidden)
	}
	list, _ := cat.Lookup("find_tasks")
	if want := "Search the tasks.\n\nUse status to narrow.\n\nHTTP: GET /tasks"; list.Description != want {
		t.Errorf("description %q, want %q", list.Description, want)
	}
	if list.Title != "List tasks" || list.OperationID != "listTasks" {
		t.Errorf("title %q, operationId %q", list.Title, list.OperationID)
	}
	create, _ := cat.Lookup("createTask")
	if want := "Make a task.\n\nDeprecated: this operation may be removed; prefer an alternative.\nHTTP: POST /tasks"; create.Description != want {
		t.Errorf("description %q, want %q", create.Description, want)
	}
	for _, w := range []string{
		`x-mcp-name must be a string`,
		`x-mcp-hidden must be true or false`,
		`tool name "!!!" has no usable characters`,
		`tool name "find_tasks" is already used`,
	} {
		if !hasWarning(cat, w) {
			t.Errorf("no warning %q in %v", w, cat.Warnings)
		}
	}
	for _, w := range cat.Warnings {
		if strings.Contains(w.Where, "/admin") || strings.Contains(w.Where, "DELETE") {
			t.Errorf("hidden operation warned: %s", w)
		}
	}
}

func TestOverrides(t *testing.T) {
	yes, no := true, false
	cat := convertYAML(t, extSpec, Options{MaxDescriptionLength: 60, Overrides: map[string]OperationOverride{
		"listTasks":         {Name: "search_tasks", MaxArrayItems: 10},
		"get /tasks":        {MaxStringBytes: -1},                                                  // method case folded; merges with the operationId entry
		"createTask":        {Hidden: &yes},                                                        // hides a visible operation
		"DELETE /tasks":     {Hidden: &no, Description: strings.Repeat("Delete everything. ", 10)}, // unhides x-mcp-hidden
		"GET /admin/{id}":   {Hidden: &no},
		"get_blank_by_path": {Name: "never"},
		"adminPut":          {Name: "admin-put", Description: "Replace."},
		"adminput":          {Name: "case-sensitive"},
		"POST /nope":        {},
		"find_tasks":        {Name: "finder"}, // default tool name of GET /find_tasks
	}})
	got := opNames(cat)
	want := map[string]string{
		"GET /tasks":      "search_tasks",
		"DELETE /tasks":   "purgeTasks",
		"GET /admin/{id}": "adminGet",
		"PUT /admin/{id}": "admin-put",
		"GET /find_tasks": "finder",
		"GET /bad":        "bad",
		"GET /blank":      "blank",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names %v\nwant  %v", got, want)
	}
	if !reflect.DeepEqual(cat.Hidden, []string{"POST /tasks"}) {
		t.Errorf("Hidden = %q", cat.Hidden)
	}
	list, _ := cat.Lookup("search_tasks")
	if list.Shaping == nil || *list.Shaping != (catalog.Shaping{MaxArrayItems: 10, MaxStringBytes: -1}) {
		t.Errorf("shaping %+v", list.Shaping)
	}
	if put, _ := cat.Lookup("admin-put"); put.Description != "Replace.\n\nHTTP: PUT /admin/{id}" || put.Shaping != nil {
		t.Errorf("admin-put: %q %+v", put.Description, put.Shaping)
	}
	del, _ := cat.Lookup("purgeTasks")
	if !strings.HasSuffix(del.Description, "\n\nHTTP: DELETE /tasks") || len([]rune(del.Description)) > 60 || !strings.Contains(del.Description, "…") {
		t.Errorf("clipped description %q", del.Description)
	}
	var unused []string
	for _, w := range cat.Warnings {
		if strings.HasPrefix(w.Where, "operation override") {
			unused = append(unused, w.Where)
		}
	}
	wantUnused := []string{`operation override "POST /nope"`, `operation override "adminput"`, `operation override "get_blank_by_path"`}
	if !reflect.DeepEqual(unused, wantUnused) {
		t.Errorf("unused-override warnings %q, want %q", unused, wantUnused)
	}
}

// TestOverrideRenameOnReload checks that an explicit name beats the name
// the previous catalog gave the operation, and that the previous holder of
// the name does not block it.
func TestOverrideRenameOnReload(t *testing.T) {
	spec := opsSpec([]string{"/a", "/b"}, []string{"alpha", "beta"})
	prev := convertYAML(t, spec, Options{})
	cat := convertYAML(t, spec, Options{Previous: prev, Overrides: map[string]OperationOverride{
		"POST /b": {Name: "alpha"},
	}})
	got := opNames(cat)
	want := map[string]string{"POST /b": "alpha", "POST /a": "alpha" + hashSuffix("POST", "/a", 0)}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	// Removing the override is like changing the operationId: the running
	// server keeps the name (names survive reloads); a fresh start does not.
	again := opNames(convertYAML(t, spec, Options{Previous: cat}))
	if again["POST /b"] != "alpha" {
		t.Errorf("after removing the override, on reload POST /b is %q, want alpha", again["POST /b"])
	}
	if fresh := opNames(convertYAML(t, spec, Options{})); fresh["POST /b"] != "beta" {
		t.Errorf("after removing the override, on a fresh start POST /b is %q, want beta", fresh["POST /b"])
	}
}

func TestPagination(t *testing.T) {
	q := func(names ...string) []catalog.Param {
		var ps []catalog.Param
		for _, n := range names {
			ps = append(ps, catalog.Param{Arg: sanitizeArg(n), Name: n, In: catalog.InQuery})
		}
		return ps
	}
	for _, tc := range []struct {
		name   string
		params []catalog.Param
		want   *catalog.Pagination
	}{
		{"none", q("status", "since", "size"), nil},
		{"limit offset", q("limit", "offset", "q"), &catalog.Pagination{Size: []string{"limit"}, Position: []string{"offset"}}},
		{"stripe", q("starting_after", "ending_before", "limit"), &catalog.Pagination{Size: []string{"limit"}, Position: []string{"starting_after", "ending_before"}}},
		{"json api", q("page[size]", "page[number]"), &catalog.Pagination{Size: []string{"page_size"}, Position: []string{"page_number"}}},
		{"odata", q("$top", "$skip"), &catalog.Pagination{Size: []string{"top"}, Position: []string{"skip"}}},
		{"google", q("pageSize", "pageToken"), &catalog.Pagination{Size: []string{"pageSize"}, Position: []string{"pageToken"}}},
		{"cursor only", q("cursor"), &catalog.Pagination{Position: []string{"cursor"}}},
		{"path and header ignored", []catalog.Param{{Arg: "page", Name: "page", In: catalog.InPath}, {Arg: "limit", Name: "X-Limit", In: catalog.InHeader}}, nil},
	} {
		if got := pagination(tc.params); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestPaginationCorpus(t *testing.T) {
	for _, tc := range []struct {
		spec, method, path string
		want               catalog.Pagination
	}{
		{"oai-petstore-v3.0.yaml", "GET", "/pets", catalog.Pagination{Size: []string{"limit"}}},
		{"slack-web-api-v2.0.json", "GET", "/conversations.history", catalog.Pagination{Size: []string{"limit"}, Position: []string{"cursor"}}},
		{"temporal-v3.0.yaml", "GET", "/api/v1/namespaces", catalog.Pagination{Size: []string{"pageSize"}, Position: []string{"nextPageToken"}}},
	} {
		cat, err := Convert(loadSpec(t, tc.spec), Options{})
		if err != nil {
			t.Fatal(err)
		}
		op := mustOp(t, cat, tc.method, tc.path)
		if op.Pagination == nil || !reflect.DeepEqual(*op.Pagination, tc.want) {
			t.Errorf("%s %s %s: %+v, want %+v", tc.spec, tc.method, tc.path, op.Pagination, tc.want)
		}
	}
}

// TestNoExtensionsNoChange checks that a corpus spec without x-mcp-*
// extensions converts exactly as before: nothing hidden, no shaping.
func TestNoExtensionsNoChange(t *testing.T) {
	cat, err := Convert(loadSpec(t, "swagger-petstore-v3.0.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cat.Hidden != nil || cat.Len() != 19 {
		t.Errorf("hidden %v, %d tools", cat.Hidden, cat.Len())
	}
	for _, op := range cat.Operations() {
		if op.Shaping != nil {
			t.Errorf("%s has shaping %+v", op.Name, op.Shaping)
		}
	}
}
