package demoapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"unicode/utf8"
)

// checkFuzzAnswer fails unless the answer has one of the allowed statuses
// and, if it has a body, a JSON one.
func checkFuzzAnswer(t *testing.T, code int, body []byte, allowed ...int) {
	t.Helper()
	ok := false
	for _, s := range allowed {
		ok = ok || code == s
	}
	if !ok {
		t.Fatalf("status %d not in %v; body %s", code, allowed, body)
	}
	if len(body) > 0 && !json.Valid(body) {
		t.Fatalf("body is not JSON: %q", body)
	}
}

func FuzzCreateTask(f *testing.F) {
	for _, s := range []string{
		`{"title":"a"}`, `{"title":"a","tags":["x","y"],"due":"2025-01-31","priority":5,"status":"done"}`,
		`{"title":""}`, `{"title":"a","priority":1e3}`, `[]`, `null`, `{"title":"\u0000"}`, `{"title":"a"}x`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := newTestAPI(t, Options{})
		w := serve(t, a, jsonReq(http.MethodPost, "/api/v1/tasks", body))
		checkFuzzAnswer(t, w.Code, w.Body.Bytes(), http.StatusCreated, http.StatusBadRequest)
		if w.Code != http.StatusCreated {
			return
		}
		created := decode[Task](t, w)
		if created.ID != "t6" || !utf8.ValidString(created.Title) || checkTitle(created.Title) != nil ||
			checkTags(created.Tags) != nil || checkStatus(created.Status) != nil {
			t.Fatalf("created an invalid task %+v from %q", created, body)
		}
		if stored := getTask(t, a, "t6"); !reflect.DeepEqual(stored, created) {
			t.Fatalf("stored %+v, answered %+v", stored, created)
		}
	})
}

func FuzzUpdateTask(f *testing.F) {
	for _, s := range []string{`{}`, `{"title":null}`, `{"tags":null,"due":"2025-02-29"}`, `{"priority":3}`, `{"x":1}`, `"s"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := newTestAPI(t, Options{})
		w := serve(t, a, jsonReq(http.MethodPatch, "/api/v1/tasks/t1", body).with("Content-Type", "application/merge-patch+json"))
		checkFuzzAnswer(t, w.Code, w.Body.Bytes(), http.StatusOK, http.StatusBadRequest)
		got := getTask(t, a, "t1")
		if w.Code == http.StatusBadRequest && !got.UpdatedAt.Equal(seedTime) {
			t.Fatalf("refused patch %q changed the task: %+v", body, got)
		}
		if checkTitle(got.Title) != nil || checkStatus(got.Status) != nil || checkTags(got.Tags) != nil {
			t.Fatalf("patch %q left an invalid task %+v", body, got)
		}
	})
}

func FuzzListQuery(f *testing.F) {
	for _, s := range []string{"", "status=open&limit=1", "tag=a&tag=b&offset=3", "sort=due&q=the", "limit=%", "limit=999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		a := newTestAPI(t, Options{})
		r := req{method: http.MethodGet, target: "/api/v1/tasks"}.build()
		r.URL.RawQuery = rawQuery
		w := serveRequest(a, r)
		checkFuzzAnswer(t, w.Code, w.Body.Bytes(), http.StatusOK, http.StatusBadRequest)
		if w.Code == http.StatusOK {
			list := decode[TaskList](t, w)
			if len(list.Items) > list.Limit || list.Total > 5 || list.Items == nil {
				t.Fatalf("query %q: %d items, limit %d, total %d", rawQuery, len(list.Items), list.Limit, list.Total)
			}
		}
	})
}

func FuzzUpload(f *testing.F) {
	seed := multipartReq("t1", part{"file", "a.txt", "text/plain", "hello"}, part{"note", "", "", "n"})
	f.Add(seed.header["Content-Type"], seed.body)
	f.Add("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc\r\n--x--\r\n")
	f.Add("multipart/form-data; boundary=x", "--x\r\n\r\n")
	f.Fuzz(func(t *testing.T, contentType, body string) {
		a := newTestAPI(t, Options{})
		w := serve(t, a, req{method: http.MethodPost, target: "/api/v1/tasks/t1/attachments", body: body,
			header: map[string]string{"Content-Type": contentType}})
		checkFuzzAnswer(t, w.Code, w.Body.Bytes(), http.StatusCreated, http.StatusBadRequest, http.StatusUnsupportedMediaType)
		if w.Code == http.StatusCreated {
			att := decode[Attachment](t, w)
			dl := serve(t, a, req{method: http.MethodGet, target: "/api/v1/tasks/t1/attachments/" + att.ID})
			if dl.Code != http.StatusOK || int64(dl.Body.Len()) != att.Size || sha(dl.Body.Bytes()) != att.SHA256 {
				t.Fatalf("download of %+v: %d, %d bytes", att, dl.Code, dl.Body.Len())
			}
		}
	})
}

// FuzzLogin checks that any login or refresh body gets a clean JSON answer:
// 200 only for a real account, else a 4xx problem.
func FuzzLogin(f *testing.F) {
	for _, s := range []string{
		`{"username":"alice","password":"alice-password"}`, `{"username":"alice","password":"x"}`,
		`{"refresh_token":"demo_rt_x"}`, `{"username":1}`, `[]`, `null`, `{}`, "username=bob&password=bob-password",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, body string, jsonBody bool) {
		a := newTestAPI(t, Options{})
		ct := "application/x-www-form-urlencoded"
		if jsonBody {
			ct = "application/json"
		}
		for _, path := range []string{LoginPath, RefreshPath} {
			w := serve(t, a, req{method: http.MethodPost, target: path, body: body, header: map[string]string{"Content-Type": ct}})
			checkFuzzAnswer(t, w.Code, w.Body.Bytes(), http.StatusOK, http.StatusBadRequest, http.StatusUnauthorized,
				http.StatusRequestEntityTooLarge)
			if w.Code == http.StatusOK && path == RefreshPath {
				t.Fatalf("a made-up refresh token was accepted: %s", body)
			}
		}
	})
}
