package demoapi

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSeedGolden pins the wire form of the seed tasks, which end-to-end
// tests and the README rely on.
func TestSeedGolden(t *testing.T) {
	w := serve(t, newTestAPI(t, Options{}), req{method: "GET", target: "/api/v1/tasks"})
	var got bytes.Buffer
	if err := jsonIndent(&got, w.Body.Bytes()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "seed_tasks.golden.json")
	if *update {
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("seed list differs from %s (run with -update after checking):\n%s", path, got.String())
	}
}

func TestServeSpec(t *testing.T) {
	a := newTestAPI(t, Options{})
	w := serve(t, a, req{method: "GET", target: SpecPath})
	if w.Code != 200 || !bytes.Equal(w.Body.Bytes(), a.Spec()) || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("GET %s: %d %q, %d bytes", SpecPath, w.Code, w.Header().Get("Content-Type"), w.Body.Len())
	}
	etag := w.Header().Get("ETag")
	if w := serve(t, a, req{method: "GET", target: SpecPath}.with("If-None-Match", etag)); w.Code != http.StatusNotModified {
		t.Errorf("conditional GET with ETag %s: status %d, want 304", etag, w.Code)
	}
	if len(a.Requests()) != 0 {
		t.Errorf("spec fetches were recorded: %+v", a.Requests())
	}
}

func TestFallbacks(t *testing.T) {
	tests := []struct {
		req    req
		status int
		allow  string
		detail string
	}{
		{req{method: "GET", target: "/api/v1/projects"}, 404, "", "no route for GET /api/v1/projects"},
		{req{method: "GET", target: "/api/v1/tasks/"}, 404, "", "no route for GET /api/v1/tasks/"},
		{req{method: "GET", target: "/"}, 404, "", `no such path "/"`},
		{req{method: "POST", target: "/openapi.json"}, 404, "", "no such path"},
		{req{method: "POST", target: "/api/v1/tasks/t1"}, 405, "GET, PUT, PATCH, DELETE", "POST is not allowed on /api/v1/tasks/t1"},
		{req{method: "DELETE", target: "/api/v1/tasks"}, 405, "GET, POST", "allowed: GET, POST"},
		{req{method: "GET", target: "/api/v1/tasks/t1/attachments"}, 405, "POST", ""},
		{req{method: "DELETE", target: "/api/v1/tasks/t1/attachments/a1"}, 405, "GET", ""},
	}
	for _, tc := range tests {
		t.Run(tc.req.method+" "+tc.req.target, func(t *testing.T) {
			w := serve(t, newTestAPI(t, Options{}), tc.req)
			wantProblem(t, w, tc.status, tc.detail)
			if got := w.Header().Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	a := newTestAPI(t, Options{MaxBodyBytes: 100, MaxTasks: 6})
	big := jsonReq("POST", "/api/v1/tasks", `{"title":"`+strings.Repeat("x", 100)+`"}`)
	wantProblem(t, serve(t, a, big), http.StatusRequestEntityTooLarge, "exceeds 100 bytes")
	if w := serve(t, a, jsonReq("POST", "/api/v1/tasks", `{"title":"sixth"}`)); w.Code != http.StatusCreated {
		t.Fatalf("sixth task: %d %s", w.Code, w.Body)
	}
	wantProblem(t, serve(t, a, jsonReq("POST", "/api/v1/tasks", `{"title":"seventh"}`)), http.StatusConflict, "at most 6 tasks")
	recs := a.Requests()
	if len(recs) != 3 || !recs[0].BodyTruncated || len(recs[0].Body) != 100 || recs[1].BodyTruncated {
		t.Errorf("recorded %d requests; first truncated %v with %d bytes", len(recs), recs[0].BodyTruncated, len(recs[0].Body))
	}
}

func TestRecorder(t *testing.T) {
	a := newTestAPI(t, Options{RecordLimit: 3, RecordBodyBytes: 8})
	serve(t, a, req{method: "GET", target: "/api/v1/tasks?tag=a&tag=b%20c"}.with("Cookie", "task_sort=due"))
	serve(t, a, jsonReq("PATCH", "/api/v1/tasks/a%2Fb", `{"status":"done"}`).with("X-Trace", "1"))
	got := a.Requests()
	if len(got) != 2 {
		t.Fatalf("recorded %d requests, want 2", len(got))
	}
	first, second := got[0], got[1]
	if first.Method != "GET" || first.Path != "/api/v1/tasks" || first.RawQuery != "tag=a&tag=b%20c" ||
		first.Header.Get("Cookie") != "task_sort=due" || first.Host != "demo.test" || len(first.Body) != 0 {
		t.Errorf("first = %+v", first)
	}
	if second.Path != "/api/v1/tasks/a/b" || second.EscapedPath != "/api/v1/tasks/a%2Fb" ||
		second.ContentType != "application/json" || string(second.Body) != `{"status` || !second.BodyTruncated ||
		second.Header.Get("X-Trace") != "1" {
		t.Errorf("second = %+v", second)
	}
	got[1].Header.Set("X-Trace", "changed")
	got[1].Body[0] = 'X'
	if again := a.Requests()[1]; again.Header.Get("X-Trace") != "1" || again.Body[0] != '{' {
		t.Errorf("Requests returned shared state: %+v", again)
	}
	for i := range 3 {
		serve(t, a, req{method: "GET", target: fmt.Sprintf("/api/v1/tasks/t%d", i+1)})
	}
	var paths []string
	for _, r := range a.Requests() {
		paths = append(paths, r.Path)
	}
	if want := "/api/v1/tasks/t1 /api/v1/tasks/t2 /api/v1/tasks/t3"; strings.Join(paths, " ") != want {
		t.Errorf("kept %v, want the last three: %s", paths, want)
	}
	a.ClearRequests()
	if n := len(a.Requests()); n != 0 {
		t.Errorf("%d requests after ClearRequests", n)
	}
}

func TestOwnersAndReset(t *testing.T) {
	a := newTestAPI(t, Options{Owner: func(r *http.Request) string { return r.Header.Get("X-User") }})
	as := func(user string, rq req) *httptest.ResponseRecorder { return serve(t, a, rq.with("X-User", user)) }
	if w := as("alice", jsonReq("POST", "/api/v1/tasks", `{"title":"Alice's task"}`)); w.Code != 201 || decode[Task](t, w).ID != "t6" {
		t.Fatalf("alice create: %d %s", w.Code, w.Body)
	}
	as("bob", req{method: "DELETE", target: "/api/v1/tasks/t1"})
	count := func(user string) int {
		return decode[TaskList](t, as(user, req{method: "GET", target: "/api/v1/tasks"})).Total
	}
	if a, b, d := count("alice"), count("bob"), count(""); a != 6 || b != 4 || d != 5 {
		t.Errorf("alice/bob/default see %d/%d/%d tasks, want 6/4/5", a, b, d)
	}
	a.Reset()
	if a, b := count("alice"), count("bob"); a != 5 || b != 5 {
		t.Errorf("after Reset alice/bob see %d/%d tasks, want the 5 seed tasks", a, b)
	}
}

func TestConcurrentRequests(t *testing.T) {
	a := newTestAPI(t, Options{})
	const workers, each = 8, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				if w := serve(t, a, jsonReq("POST", "/api/v1/tasks", `{"title":"parallel"}`)); w.Code != 201 {
					t.Errorf("create: %d", w.Code)
				}
				serve(t, a, req{method: "GET", target: "/api/v1/tasks?q=parallel"})
				serve(t, a, jsonReq("PATCH", "/api/v1/tasks/t1", `{"priority":3}`))
			}
		})
	}
	wg.Wait()
	tasks := decode[TaskList](t, serve(t, a, req{method: "GET", target: "/api/v1/tasks?limit=1&offset=0"}))
	if tasks.Total != 5+workers*each {
		t.Errorf("total = %d, want %d", tasks.Total, 5+workers*each)
	}
	if got := getTask(t, a, fmt.Sprintf("t%d", 5+workers*each)); got.Title != "parallel" {
		t.Errorf("last task = %+v", got)
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	a := New(Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/api/v1/tasks/t1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"id":"t1"`) {
		t.Fatalf("GET over TCP: %d %s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after cancel = %v, want nil", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/openapi.json"); err == nil {
		t.Error("server still answers after shutdown")
	}
	if !strings.Contains(logs.String(), "path=/api/v1/tasks/t1 status=200") {
		t.Errorf("request log missing from:\n%s", logs.String())
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	err := ListenAndServe(context.Background(), "127.0.0.1:notaport", nil)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:notaport") {
		t.Errorf("ListenAndServe(bad address) = %v, want an error naming the address", err)
	}
}

func TestUnexpectedErrorIsHidden(t *testing.T) {
	var logs bytes.Buffer
	w := httptest.NewRecorder()
	writeError(w, slog.New(slog.NewTextHandler(&logs, nil)), errors.New("secret internals"))
	wantProblem(t, w, http.StatusInternalServerError, "internal error")
	if strings.Contains(w.Body.String(), "secret") || !strings.Contains(logs.String(), "secret internals") {
		t.Errorf("body %s, log %s: want the error logged, not sent", w.Body, logs.String())
	}
}
