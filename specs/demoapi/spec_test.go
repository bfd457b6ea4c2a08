package demoapi

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

func loadSpec(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(New(Options{}).Spec())
	if err != nil {
		t.Fatalf("load embedded spec: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate embedded spec: %v", err)
	}
	return doc
}

func TestSpecIsValid(t *testing.T) {
	doc := loadSpec(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != BasePath {
		t.Errorf("servers = %+v, want one relative %s", doc.Servers, BasePath)
	}
	scheme := doc.Components.SecuritySchemes["oauth2"].Value
	got := slices.Sorted(maps.Keys(scheme.Flows.AuthorizationCode.Scopes))
	if want := []string{"tasks:delete", "tasks:read", "tasks:write"}; !slices.Equal(got, want) {
		t.Errorf("oauth2 scopes = %v, want %v", got, want)
	}
}

var scopeOf = map[string]string{
	http.MethodGet: "tasks:read", http.MethodPost: "tasks:write", http.MethodPut: "tasks:write",
	http.MethodPatch: "tasks:write", http.MethodDelete: "tasks:delete",
}

// TestSpecMatchesRoutes checks that the document and the handler's route
// table name the same operations, and that each asks for its method's scope.
func TestSpecMatchesRoutes(t *testing.T) {
	doc := loadSpec(t)
	inSpec := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			inSpec[method+" "+path] = op.OperationID
			if op.Security == nil || len(*op.Security) != 1 ||
				!slices.Equal((*op.Security)[0]["oauth2"], []string{scopeOf[method]}) {
				t.Errorf("%s %s: security = %v, want oauth2 [%s]", method, path, op.Security, scopeOf[method])
			}
		}
	}
	served := map[string]string{}
	for _, rt := range New(Options{}).routes() {
		served[rt.method+" "+rt.path] = rt.operationID
	}
	if !maps.Equal(inSpec, served) {
		t.Errorf("operations in spec:\n%v\nserved:\n%v", inSpec, served)
	}
}

// TestEverySpecOperationIsServed sends each documented operation to the
// handler and checks that a route, not the fallback, answers it.
func TestEverySpecOperationIsServed(t *testing.T) {
	doc := loadSpec(t)
	ids := strings.NewReplacer("{taskId}", "t2", "{attachmentId}", "a1")
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			w := serve(t, newTestAPI(t, Options{}), req{method: method, target: BasePath + ids.Replace(path)})
			if w.Code == http.StatusMethodNotAllowed || strings.Contains(w.Body.String(), "no route for") {
				t.Errorf("%s %s is not served: %d %s", method, path, w.Code, w.Body)
			}
		}
	}
}

// conformanceCase is a request whose response must match the document; bad
// marks requests that break the document on purpose.
type conformanceCase struct {
	req  req
	bad  bool
	opts Options
}

// TestResponsesConformToSpec validates requests and responses of every
// operation, successes and documented errors, against the document.
func TestResponsesConformToSpec(t *testing.T) {
	doc := loadSpec(t)
	doc.Servers = openapi3.Servers{{URL: "http://demo.test" + BasePath}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	task := `{"title":"Ship it","tags":["release"],"due":"2025-06-30","priority":1}`
	patch := func(id, body string) req {
		return jsonReq("PATCH", "/api/v1/tasks/"+id, body).with("Content-Type", "application/merge-patch+json")
	}
	get := func(target string) req { return req{method: "GET", target: "/api/v1" + target} }
	file := part{"file", "a.png", "image/png", string(boardSketchPNG)}
	cases := []conformanceCase{
		{req: get("/tasks?status=open&tag=bug&tag=ci&q=flaky&limit=5&offset=0&sort=due").with("Cookie", "task_sort=priority")},
		{req: get("/tasks")},
		{req: get("/tasks?limit=500"), bad: true},
		{req: jsonReq("POST", "/api/v1/tasks", task)},
		{req: jsonReq("POST", "/api/v1/tasks", `{"priority":3}`), bad: true},
		{req: jsonReq("POST", "/api/v1/tasks", task), opts: Options{MaxTasks: 5}},
		{req: jsonReq("POST", "/api/v1/tasks", task), opts: Options{MaxBodyBytes: 10}},
		{req: jsonReq("POST", "/api/v1/tasks", task).with("Content-Type", "text/plain"), bad: true},
		{req: get("/tasks/t1")},
		{req: get("/tasks/t2")},
		{req: get("/tasks/t99")},
		{req: jsonReq("PUT", "/api/v1/tasks/t1", task).with("If-Match", `"t1-1"`)},
		{req: jsonReq("PUT", "/api/v1/tasks/t1", task).with("If-Match", `"t1-0"`)},
		{req: jsonReq("PUT", "/api/v1/tasks/t99", task)},
		{req: jsonReq("PUT", "/api/v1/tasks/t1", `{"title":""}`), bad: true},
		{req: patch("t1", `{"status":"done","due":null,"priority":null,"tags":null,"description":null}`)},
		{req: patch("t1", `{"status":"done"}`).with("If-Match", `"t1-0"`)},
		{req: patch("t99", `{"status":"done"}`)},
		{req: patch("t1", `{"status":"closed"}`), bad: true},
		{req: req{method: "DELETE", target: "/api/v1/tasks/t1"}},
		{req: req{method: "DELETE", target: "/api/v1/tasks/t99"}},
		{req: multipartReq("t1", file, part{"note", "", "", "sketch"})},
		{req: multipartReq("t99", file)},
		{req: multipartReq("t1", part{"note", "", "", "no file"}), bad: true},
		{req: multipartReq("t1", file), opts: Options{MaxAttachmentBytes: 1}},
		{req: get("/tasks/t5/attachments/a2")},
		{req: get("/tasks/t2/attachments/a1")},
		{req: get("/tasks/t5/attachments/a9")},
	}
	for _, tc := range cases {
		t.Run(tc.req.method+" "+tc.req.target, func(t *testing.T) {
			r := tc.req.build()
			route, params, err := router.FindRoute(r)
			if err != nil {
				t.Fatalf("find route: %v", err)
			}
			opts := &openapi3filter.Options{
				AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
				IncludeResponseStatus:   true,
				SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.EnableFormatValidation()},
				// The download's */* body is the stored bytes, which no schema describes.
				ExcludeResponseBody: route.Operation.OperationID == "downloadAttachment",
			}
			in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: opts}
			err = openapi3filter.ValidateRequest(context.Background(), in)
			if tc.bad != (err != nil) {
				t.Fatalf("request validation error = %v, want an error: %v", err, tc.bad)
			}
			w := serve(t, newTestAPI(t, tc.opts), tc.req)
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: w.Code,
				Header: w.Header(), Body: io.NopCloser(bytes.NewReader(w.Body.Bytes())), Options: opts}
			if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
				t.Errorf("response %d %s does not match the spec: %v", w.Code, w.Body, err)
			}
		})
	}
}

// TestSpecLimitsMatchCode keeps the limits in openapi.json and the code in step.
func TestSpecLimitsMatchCode(t *testing.T) {
	doc := loadSpec(t)
	schemas := doc.Components.Schemas
	maxLen := func(s *openapi3.Schema) int {
		if s.MaxLength == nil {
			return -1
		}
		return int(*s.MaxLength)
	}
	enum := func(s *openapi3.Schema) []string {
		var out []string
		for _, v := range s.Enum {
			out = append(out, v.(string))
		}
		return out
	}
	for _, name := range []string{"NewTask", "TaskPatch"} {
		props := schemas[name].Value.Properties
		tags := props["tags"].Value
		if maxLen(props["title"].Value) != maxTitle || maxLen(props["description"].Value) != maxDescription ||
			tags.MaxItems == nil || int(*tags.MaxItems) != maxTags || maxLen(tags.Items.Value) != maxTagLen ||
			*props["priority"].Value.Min != 1 || *props["priority"].Value.Max != 5 {
			t.Errorf("%s limits differ from the code", name)
		}
	}
	if got := enum(schemas["NewTask"].Value.Properties["status"].Value); !slices.Equal(got, statuses) {
		t.Errorf("NewTask status enum = %v, want %v", got, statuses)
	}
	if got := enum(schemas["TaskStatus"].Value); !slices.Equal(got, statuses) {
		t.Errorf("TaskStatus enum = %v, want %v", got, statuses)
	}
	if got := enum(schemas["TaskSort"].Value); !slices.Equal(got, sorts) {
		t.Errorf("TaskSort enum = %v, want %v", got, sorts)
	}
	list := doc.Paths.Value("/tasks").Get
	if q := list.Parameters.GetByInAndName("query", "q"); maxLen(q.Schema.Value) != maxQueryLen {
		t.Errorf("q maxLength differs from %d", maxQueryLen)
	}
	upload := doc.Paths.Value("/tasks/{taskId}/attachments").Post.RequestBody.Value.Content["multipart/form-data"].Schema.Value
	if maxLen(upload.Properties["note"].Value) != maxNote {
		t.Errorf("note maxLength differs from %d", maxNote)
	}
}
