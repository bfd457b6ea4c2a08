package demoapi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// handlerCase is one request against a fresh API: either a problem with
// status and detail fragments, or a success checked by check.
type handlerCase struct {
	name   string
	req    req
	status int
	detail []string
	check  func(t *testing.T, a *API, w *httptest.ResponseRecorder)
}

func runCases(t *testing.T, cases []handlerCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestAPI(t, Options{})
			w := serve(t, a, tc.req)
			if tc.detail != nil || tc.status >= 400 {
				wantProblem(t, w, tc.status, tc.detail...)
				if tc.req.method != http.MethodGet {
					if got := taskIDs(listAll(t, a)); got != "t1,t2,t3,t4,t5" {
						t.Errorf("a refused %s changed the tasks: %s", tc.req.method, got)
					}
				}
			} else if w.Code != tc.status {
				t.Fatalf("status = %d, want %d; body %s", w.Code, tc.status, w.Body)
			}
			if tc.check != nil {
				tc.check(t, a, w)
			}
		})
	}
}

func listAll(t *testing.T, a *API) []Task {
	t.Helper()
	w := serve(t, a, req{method: http.MethodGet, target: "/api/v1/tasks?limit=100"})
	return decode[TaskList](t, w).Items
}

func getTask(t *testing.T, a *API, id string) Task {
	t.Helper()
	w := serve(t, a, req{method: http.MethodGet, target: "/api/v1/tasks/" + id})
	if w.Code != http.StatusOK {
		t.Fatalf("GET %s: status %d, body %s", id, w.Code, w.Body)
	}
	return decode[Task](t, w)
}

func TestListTasks(t *testing.T) {
	get := func(target string) req { return req{method: http.MethodGet, target: "/api/v1/tasks" + target} }
	tests := []struct {
		name              string
		req               req
		ids               string
		total, lim, offst int
	}{
		{"all", get(""), "t1,t2,t3,t4,t5", 5, 20, 0},
		{"status", get("?status=open"), "t2,t3,t5", 3, 20, 0},
		{"every tag", get("?tag=design&tag=frontend"), "t5", 1, 20, 0},
		{"tags do not both match", get("?tag=design&tag=bug"), "", 0, 20, 0},
		{"text in title ignores case", get("?q=LOGIN"), "t2", 1, 20, 0},
		{"text in description", get("?q=sketch"), "t5", 1, 20, 0},
		{"newest first", get("?sort=-createdAt"), "t5,t4,t3,t2,t1", 5, 20, 0},
		{"due, missing last", get("?sort=due"), "t3,t1,t5,t2,t4", 5, 20, 0},
		{"priority, missing last", get("?sort=priority"), "t2,t1,t3,t4,t5", 5, 20, 0},
		{"sort cookie", get("").with("Cookie", "task_sort=priority"), "t2,t1,t3,t4,t5", 5, 20, 0},
		{"query wins over cookie", get("?sort=-createdAt").with("Cookie", "task_sort=priority"), "t5,t4,t3,t2,t1", 5, 20, 0},
		{"page", get("?limit=2&offset=1"), "t2,t3", 5, 2, 1},
		{"past the end", get("?offset=10"), "", 5, 20, 10},
		{"filters combine", get("?status=open&q=the&sort=due"), "t3,t5,t2", 3, 20, 0},
		{"unknown parameter ignored", get("?color=red"), "t1,t2,t3,t4,t5", 5, 20, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, newTestAPI(t, Options{}), tc.req)
			if w.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", w.Code, w.Body)
			}
			list := decode[TaskList](t, w)
			if list.Items == nil || taskIDs(list.Items) != tc.ids {
				t.Errorf("items = %q (nil %v), want %q", taskIDs(list.Items), list.Items == nil, tc.ids)
			}
			if list.Total != tc.total || list.Limit != tc.lim || list.Offset != tc.offst {
				t.Errorf("total/limit/offset = %d/%d/%d, want %d/%d/%d",
					list.Total, list.Limit, list.Offset, tc.total, tc.lim, tc.offst)
			}
			if got := w.Header().Get("X-Total-Count"); got != strconv.Itoa(tc.total) {
				t.Errorf("X-Total-Count = %q, want %d", got, tc.total)
			}
		})
	}
}

func TestListTasksErrors(t *testing.T) {
	get := func(target string) req { return req{method: http.MethodGet, target: "/api/v1/tasks" + target} }
	runCases(t, []handlerCase{
		{name: "bad status", req: get("?status=closed"), status: 400, detail: []string{"status must be one of open, in_progress, done", `"closed"`}},
		{name: "limit zero", req: get("?limit=0"), status: 400, detail: []string{"limit must be between 1 and 100, got 0"}},
		{name: "limit too big", req: get("?limit=101"), status: 400, detail: []string{"limit must be between 1 and 100, got 101"}},
		{name: "limit not a number", req: get("?limit=ten"), status: 400, detail: []string{`limit must be an integer, got "ten"`}},
		{name: "limit empty", req: get("?limit="), status: 400, detail: []string{"limit must be an integer"}},
		{name: "negative offset", req: get("?offset=-1"), status: 400, detail: []string{"offset must be between 0"}},
		{name: "limit twice", req: get("?limit=1&limit=2"), status: 400, detail: []string{"limit must be given at most once"}},
		{name: "bad sort", req: get("?sort=title"), status: 400, detail: []string{"sort must be one of"}},
		{name: "bad sort cookie", req: get("").with("Cookie", "task_sort=title"), status: 400, detail: []string{"cookie task_sort must be one of"}},
		{name: "long q", req: get("?q=" + strings.Repeat("x", 201)), status: 400, detail: []string{"q must be at most 200 characters"}},
		{name: "bad escape", req: get("?q=%zz"), status: 400, detail: []string{"invalid query string"}},
	})
}

func TestGetTask(t *testing.T) {
	runCases(t, []handlerCase{
		{name: "seed task", req: req{method: "GET", target: "/api/v1/tasks/t1"}, status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				p := 2
				want := Task{ID: "t1", Title: "Write onboarding guide for new engineers",
					Description: "Cover laptop setup, repository access and the first-week checklist.",
					Status:      "in_progress", Tags: []string{"docs", "onboarding"}, Due: "2025-07-15", Priority: &p,
					CreatedAt: seedTime, UpdatedAt: seedTime, Attachments: []Attachment{}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("task = %+v\nwant %+v", got, want)
				}
				if etag := w.Header().Get("ETag"); etag != `"t1-1"` {
					t.Errorf("ETag = %s", etag)
				}
				if ct := w.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q", ct)
				}
			}},
		{name: "seed task with attachment", req: req{method: "GET", target: "/api/v1/tasks/t5"}, status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				if len(got.Attachments) != 1 || got.Attachments[0].ID != "a2" || got.Attachments[0].ContentType != "image/png" {
					t.Errorf("attachments = %+v", got.Attachments)
				}
			}},
		{name: "missing", req: req{method: "GET", target: "/api/v1/tasks/t99"}, status: 404, detail: []string{`task "t99" not found`}},
		{name: "escaped slash in id", req: req{method: "GET", target: "/api/v1/tasks/a%2Fb"}, status: 404, detail: []string{`task "a/b" not found`}},
	})
}
