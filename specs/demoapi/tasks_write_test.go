package demoapi

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestCreateTask(t *testing.T) {
	post := func(body string) req { return jsonReq(http.MethodPost, "/api/v1/tasks", body) }
	runCases(t, []handlerCase{
		{name: "all fields", status: 201,
			req: post(`{"title":"Ship it","description":"Tag v1.0","status":"in_progress","tags":["release"],"due":"2025-06-30","priority":1}`),
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				p := 1
				want := Task{ID: "t6", Title: "Ship it", Description: "Tag v1.0", Status: "in_progress",
					Tags: []string{"release"}, Due: "2025-06-30", Priority: &p,
					CreatedAt: testNow, UpdatedAt: testNow, Attachments: []Attachment{}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("task = %+v\nwant %+v", got, want)
				}
				if loc := w.Header().Get("Location"); loc != "/api/v1/tasks/t6" {
					t.Errorf("Location = %q", loc)
				}
				if etag := w.Header().Get("ETag"); etag != `"t6-1"` {
					t.Errorf("ETag = %q", etag)
				}
				if !reflect.DeepEqual(getTask(t, a, "t6"), want) {
					t.Errorf("stored task differs from the answer")
				}
			}},
		{name: "defaults", status: 201, req: post(`{"title":"Just a title"}`).with("Content-Type", "application/json; charset=utf-8"),
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				if got.Status != "open" || got.Tags == nil || len(got.Tags) != 0 || got.Priority != nil || got.Due != "" {
					t.Errorf("task = %+v, want defaults", got)
				}
				if !strings.Contains(w.Body.String(), `"tags":[]`) || strings.Contains(w.Body.String(), "priority") {
					t.Errorf("body %s: want empty tags and no priority", w.Body)
				}
			}},
		{name: "no content type", req: req{method: "POST", target: "/api/v1/tasks", body: `{"title":"x"}`}, status: 415, detail: []string{"Content-Type must be application/json"}},
		{name: "text body", req: post(`title`).with("Content-Type", "text/plain"), status: 415, detail: []string{`got "text/plain"`}},
		{name: "empty body", req: post(""), status: 400, detail: []string{"a JSON request body is required"}},
		{name: "broken JSON", req: post(`{"title":`), status: 400, detail: []string{"invalid JSON body"}},
		{name: "syntax error", req: post(`{"title" "x"}`), status: 400, detail: []string{"invalid JSON body", "at byte"}},
		{name: "array body", req: post(`[]`), status: 400, detail: []string{"the body must be a JSON object"}},
		{name: "trailing data", req: post(`{"title":"a"} {}`), status: 400, detail: []string{"unexpected data after the JSON value"}},
		{name: "missing title", req: post(`{"status":"open"}`), status: 400, detail: []string{"title is required"}},
		{name: "null title", req: post(`{"title":null}`), status: 400, detail: []string{"title is required"}},
		{name: "empty title", req: post(`{"title":""}`), status: 400, detail: []string{"title must not be empty"}},
		{name: "blank title", req: post(`{"title":"  \t"}`), status: 400, detail: []string{"title must not be empty"}},
		{name: "long title", req: post(`{"title":"` + strings.Repeat("é", 201) + `"}`), status: 400, detail: []string{"title must be at most 200 characters, got 201"}},
		{name: "number title", req: post(`{"title":5}`), status: 400, detail: []string{`field "title" must be a string`}},
		{name: "long description", req: post(`{"title":"a","description":"` + strings.Repeat("d", 5001) + `"}`), status: 400, detail: []string{"description must be at most 5000"}},
		{name: "bad status", req: post(`{"title":"a","status":"closed"}`), status: 400, detail: []string{"status must be one of open, in_progress, done"}},
		{name: "priority low", req: post(`{"title":"a","priority":0}`), status: 400, detail: []string{"priority must be between 1 and 5, got 0"}},
		{name: "priority high", req: post(`{"title":"a","priority":6}`), status: 400, detail: []string{"priority must be between 1 and 5, got 6"}},
		{name: "priority fraction", req: post(`{"title":"a","priority":2.5}`), status: 400, detail: []string{`field "priority" must be an integer`}},
		{name: "priority word", req: post(`{"title":"a","priority":"high"}`), status: 400, detail: []string{`field "priority" must be an integer`}},
		{name: "bad date", req: post(`{"title":"a","due":"2025-13-01"}`), status: 400, detail: []string{`due must be a date like 2025-07-15, got "2025-13-01"`}},
		{name: "date-time for date", req: post(`{"title":"a","due":"2025-06-01T00:00:00Z"}`), status: 400, detail: []string{"due must be a date"}},
		{name: "tags not array", req: post(`{"title":"a","tags":"x"}`), status: 400, detail: []string{`field "tags" must be an array`}},
		{name: "duplicate tag", req: post(`{"title":"a","tags":["x","x"]}`), status: 400, detail: []string{`tag "x" is given twice`}},
		{name: "empty tag", req: post(`{"title":"a","tags":[""]}`), status: 400, detail: []string{"tags[0] must be 1 to 50 characters long"}},
		{name: "long tag", req: post(`{"title":"a","tags":["` + strings.Repeat("t", 51) + `"]}`), status: 400, detail: []string{"tags[0] must be 1 to 50"}},
		{name: "too many tags", req: post(`{"title":"a","tags":["1","2","3","4","5","6","7","8","9","10","11","12","13","14","15","16","17","18","19","20","21"]}`), status: 400, detail: []string{"at most 20 tags are allowed, got 21"}},
		{name: "unknown field", req: post(`{"title":"a","owner":"bob"}`), status: 400, detail: []string{`unknown field "owner"`}},
		{name: "read-only field", req: post(`{"title":"a","id":"t1"}`), status: 400, detail: []string{`unknown field "id"`}},
	})
}

func TestReplaceTask(t *testing.T) {
	put := func(id, body string) req { return jsonReq(http.MethodPut, "/api/v1/tasks/"+id, body) }
	runCases(t, []handlerCase{
		{name: "fields left out get defaults", req: put("t1", `{"title":"Rewrite the guide"}`), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				want := Task{ID: "t1", Title: "Rewrite the guide", Status: "open", Tags: []string{},
					CreatedAt: seedTime, UpdatedAt: testNow, Attachments: []Attachment{}}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("task = %+v\nwant %+v", got, want)
				}
				if etag := w.Header().Get("ETag"); etag != `"t1-2"` {
					t.Errorf("ETag = %q", etag)
				}
				if !reflect.DeepEqual(getTask(t, a, "t1"), want) {
					t.Errorf("stored task differs from the answer")
				}
			}},
		{name: "attachments are kept", req: put("t2", `{"title":"Fix it","status":"done"}`), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				if got := decode[Task](t, w); len(got.Attachments) != 1 || got.Attachments[0].ID != "a1" {
					t.Errorf("attachments = %+v", got.Attachments)
				}
			}},
		{name: "matching If-Match", req: put("t1", `{"title":"x"}`).with("If-Match", `"t1-1"`), status: 200},
		{name: "If-Match list", req: put("t1", `{"title":"x"}`).with("If-Match", `"t9-1", "t1-1"`), status: 200},
		{name: "If-Match star", req: put("t1", `{"title":"x"}`).with("If-Match", `*`), status: 200},
		{name: "stale If-Match", req: put("t1", `{"title":"x"}`).with("If-Match", `"t1-0"`), status: 412,
			detail: []string{`If-Match "t1-0" does not match the task's current ETag "t1-1"`}},
		{name: "weak If-Match", req: put("t1", `{"title":"x"}`).with("If-Match", `W/"t1-1"`), status: 412},
		{name: "missing task", req: put("t99", `{"title":"x"}`), status: 404, detail: []string{`task "t99" not found`}},
		{name: "missing title", req: put("t1", `{"description":"x"}`), status: 400, detail: []string{"title is required"}},
		{name: "wrong content type", req: put("t1", `{"title":"x"}`).with("Content-Type", "application/xml"), status: 415},
	})
}

func TestUpdateTask(t *testing.T) {
	patch := func(id, body string) req {
		return req{method: http.MethodPatch, target: "/api/v1/tasks/" + id, body: body,
			header: map[string]string{"Content-Type": "application/merge-patch+json"}}
	}
	runCases(t, []handlerCase{
		{name: "one field", req: patch("t1", `{"status":"done"}`), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := decode[Task](t, w)
				if got.Status != "done" || got.Title != "Write onboarding guide for new engineers" ||
					got.Due != "2025-07-15" || got.Priority == nil || *got.Priority != 2 || len(got.Tags) != 2 {
					t.Errorf("task = %+v, want only status changed", got)
				}
				if !got.UpdatedAt.Equal(testNow) || !got.CreatedAt.Equal(seedTime) {
					t.Errorf("createdAt/updatedAt = %v/%v", got.CreatedAt, got.UpdatedAt)
				}
			}},
		{name: "null clears", req: patch("t1", `{"description":null,"tags":null,"due":null,"priority":null}`), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := getTask(t, a, "t1")
				if got.Description != "" || len(got.Tags) != 0 || got.Due != "" || got.Priority != nil {
					t.Errorf("task = %+v, want optional fields cleared", got)
				}
			}},
		{name: "set every field", req: patch("t3", `{"title":"Q3 review","description":"d","status":"in_progress","tags":["a","b"],"due":"2025-09-01","priority":5}`).
			with("Content-Type", "application/json"), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				got := getTask(t, a, "t3")
				if got.Title != "Q3 review" || got.Description != "d" || got.Status != "in_progress" ||
					strings.Join(got.Tags, ",") != "a,b" || got.Due != "2025-09-01" || *got.Priority != 5 {
					t.Errorf("task = %+v", got)
				}
			}},
		{name: "empty patch", req: patch("t1", `{}`), status: 200},
		{name: "null title", req: patch("t1", `{"title":null}`), status: 400, detail: []string{`field "title" cannot be null`}},
		{name: "null status", req: patch("t1", `{"status":null}`), status: 400, detail: []string{`field "status" cannot be null`}},
		{name: "empty title", req: patch("t1", `{"title":""}`), status: 400, detail: []string{"title must not be empty"}},
		{name: "wrong type", req: patch("t1", `{"priority":"high"}`), status: 400, detail: []string{`field "priority" must be an integer, got "high"`}},
		{name: "long value in message is cut", req: patch("t1", `{"tags":"`+strings.Repeat("x", 100)+`"}`), status: 400, detail: []string{`field "tags" must be an array`, "…"}},
		{name: "all or nothing", req: patch("t1", `{"status":"done","priority":9}`), status: 400, detail: []string{"priority must be between 1 and 5, got 9"},
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				if got := getTask(t, a, "t1"); got.Status != "in_progress" {
					t.Errorf("status = %q after a refused patch", got.Status)
				}
			}},
		{name: "unknown field", req: patch("t1", `{"owner":"bob"}`), status: 400, detail: []string{`unknown field "owner"`}},
		{name: "null body", req: patch("t1", `null`), status: 400, detail: []string{"must be a JSON object, not null"}},
		{name: "array body", req: patch("t1", `[{"op":"replace"}]`), status: 400, detail: []string{"the body must be a JSON object"}},
		{name: "stale If-Match", req: patch("t1", `{"status":"done"}`).with("If-Match", `"t1-5"`), status: 412},
		{name: "missing task", req: patch("t99", `{"status":"done"}`), status: 404, detail: []string{`task "t99" not found`}},
		{name: "form body", req: patch("t1", `status=done`).with("Content-Type", "application/x-www-form-urlencoded"), status: 415},
	})
}

func TestDeleteTask(t *testing.T) {
	runCases(t, []handlerCase{
		{name: "existing", req: req{method: "DELETE", target: "/api/v1/tasks/t2"}, status: 204,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				if w.Body.Len() != 0 {
					t.Errorf("body = %q, want empty", w.Body)
				}
				if got := taskIDs(listAll(t, a)); got != "t1,t3,t4,t5" {
					t.Errorf("tasks after delete = %s", got)
				}
				w = serve(t, a, req{method: "GET", target: "/api/v1/tasks/t2/attachments/a1"})
				wantProblem(t, w, 404, `task "t2" not found`)
				w = serve(t, a, req{method: "DELETE", target: "/api/v1/tasks/t2"})
				wantProblem(t, w, 404, `task "t2" not found`)
			}},
		{name: "missing", req: req{method: "DELETE", target: "/api/v1/tasks/t99"}, status: 404, detail: []string{`task "t99" not found`}},
	})
}
