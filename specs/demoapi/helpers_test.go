package demoapi

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testNow is the fixed clock of the tests.
var testNow = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newTestAPI(t testing.TB, opts Options) *API {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	return New(opts)
}

// req is one request of a table-driven test.
type req struct {
	method, target, body string
	header               map[string]string
}

// jsonReq builds a request with a JSON body.
func jsonReq(method, target, body string) req {
	return req{method: method, target: target, body: body, header: map[string]string{"Content-Type": "application/json"}}
}

func (rq req) with(key, value string) req {
	h := map[string]string{}
	for k, v := range rq.header {
		h[k] = v
	}
	h[key] = value
	rq.header = h
	return rq
}

func (rq req) build() *http.Request {
	var body io.Reader
	if rq.body != "" {
		body = strings.NewReader(rq.body)
	}
	r := httptest.NewRequest(rq.method, "http://demo.test"+rq.target, body)
	for k, v := range rq.header {
		r.Header.Set(k, v)
	}
	return r
}

func serve(t testing.TB, a *API, rq req) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, rq.build())
	return w
}

func decode[T any](t testing.TB, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, w.Body.String(), err)
	}
	return v
}

// wantProblem checks a problem+json answer with the given status whose detail
// contains every one of details.
func wantProblem(t testing.TB, w *httptest.ResponseRecorder, status int, details ...string) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body %s", w.Code, status, w.Body)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	p := decode[Problem](t, w)
	if p.Status != status || p.Title != http.StatusText(status) {
		t.Fatalf("problem = %+v, want status %d", p, status)
	}
	for _, d := range details {
		if !strings.Contains(p.Detail, d) {
			t.Errorf("problem detail %q does not contain %q", p.Detail, d)
		}
	}
}

func taskIDs(tasks []Task) string {
	ids := make([]string, len(tasks))
	for i, t := range tasks {
		ids[i] = t.ID
	}
	return strings.Join(ids, ",")
}

func jsonIndent(dst *bytes.Buffer, src []byte) error {
	if err := json.Indent(dst, src, "", "  "); err != nil {
		return err
	}
	dst.WriteByte('\n')
	return nil
}

func serveRequest(a *API, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	a.Handler().ServeHTTP(w, r)
	return w
}
