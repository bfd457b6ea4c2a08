package refresh

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/specload"
)

// spec returns an OpenAPI document with one GET operation per path.
func spec(title string, paths ...string) []byte {
	var b strings.Builder
	for i, p := range paths {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `%q: {"get": {"responses": {"200": {"description": "ok"}}}}`, p)
	}
	return []byte(`{"openapi": "3.0.0", "info": {"title": "` + title + `", "version": "1"}, "paths": {` + b.String() + `}}`)
}

// server serves a spec the test can change or break. It answers
// conditional requests (ETag = a hash of the body) with 304.
type server struct {
	mu          sync.Mutex
	body        []byte
	status      int
	conditional int // requests that carried If-None-Match
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Header.Get("If-None-Match") != "" {
		s.conditional++
	}
	if s.status != 0 {
		http.Error(w, "spec store down", s.status)
		return
	}
	w.Header().Set("ETag", fmt.Sprintf(`"%x"`, len(s.body)*31+int(s.body[len(s.body)/2])))
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.body))
}

func (s *server) set(body []byte, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.status = body, status
}

func (s *server) conditionalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conditional
}

var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// builder is a small real BuildFunc: one operation per path. It counts its
// calls and fails for specs titled "unbuildable".
type builder struct {
	calls atomic.Int64
	prevs chan *catalog.Catalog
}

func (b *builder) build(ctx context.Context, doc *specload.Document, prev *catalog.Catalog) (*catalog.Catalog, error) {
	b.calls.Add(1)
	if b.prevs != nil {
		b.prevs <- prev
	}
	if doc.Spec.Info.Title == "unbuildable" {
		return nil, errors.New("no can do")
	}
	var ops []*catalog.Operation
	for path := range doc.Spec.Paths.Map() {
		ops = append(ops, &catalog.Operation{Name: "get" + unsafeName.ReplaceAllString(path, "_"), Method: "GET", Path: path})
	}
	c := catalog.New(ops)
	c.Title, c.Digest, c.Warnings = doc.Spec.Info.Title, doc.Digest, doc.Warnings
	return c, nil
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

type fixture struct {
	srv     *server
	url     string
	holder  *catalog.Holder
	builder *builder
	loader  *specload.Loader
	r       *Refresher
}

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	f := &fixture{srv: &server{body: spec("one", "/a", "/b")}, holder: &catalog.Holder{}, builder: &builder{}}
	hs := httptest.NewServer(f.srv)
	t.Cleanup(hs.Close)
	f.url = hs.URL + "/openapi.json"
	f.loader = specload.NewLoader(specload.Options{})
	f.r = New(f.loader, f.url, f.builder.build, f.holder, opts)
	return f
}

// start runs Init and Run; Run stops when the test ends.
func (f *fixture) start(t *testing.T) {
	t.Helper()
	if err := f.r.Init(context.Background()); err != nil {
		t.Fatalf("Init: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func TestChangedSpecPublished(t *testing.T) {
	f := newFixture(t, Options{TTL: 20 * time.Millisecond})
	f.start(t)
	first := f.holder.Current()
	if first.Len() != 2 || first.Title != "one" {
		t.Fatalf("initial catalog: %d ops, title %q", first.Len(), first.Title)
	}
	f.srv.set(spec("two", "/a", "/b", "/c"), 0)
	waitFor(t, "the changed spec's catalog", func() bool { return f.holder.Current().Title == "two" })
	if f.holder.Current().Len() != 3 {
		t.Errorf("new catalog has %d ops, want 3", f.holder.Current().Len())
	}
	waitFor(t, "status to follow", func() bool { return f.r.Status().Operations == 3 })
	st := f.r.Status()
	if st.Digest != f.holder.Current().Digest || st.LastError != "" || st.LastChange.IsZero() {
		t.Errorf("status = %+v", st)
	}
}

func TestBuildGetsPreviousCatalog(t *testing.T) {
	f := newFixture(t, Options{TTL: -1})
	f.builder.prevs = make(chan *catalog.Catalog, 4)
	f.start(t)
	if prev := <-f.builder.prevs; prev != nil {
		t.Errorf("first build got prev %v, want nil", prev)
	}
	first := f.holder.Current()
	f.srv.set(spec("two", "/a"), 0)
	f.r.Trigger()
	if prev := <-f.builder.prevs; prev != first {
		t.Errorf("rebuild got prev %p, want the catalog in force %p", prev, first)
	}
}

func TestFailuresKeepLastGood(t *testing.T) {
	f := newFixture(t, Options{TTL: 10 * time.Millisecond})
	f.start(t)
	good := f.holder.Current()
	tests := []struct {
		name    string
		body    []byte
		status  int
		wantErr string
	}{
		{"server error", nil, http.StatusServiceUnavailable, "HTTP 503 Service Unavailable"},
		{"parse error", []byte(`{"openapi": "3.0.0", "info": `), 0, "parse spec " + f.url + ": line 1, column 30"},
		{"build error", spec("unbuildable", "/x"), 0, "build catalog from spec " + f.url + ": no can do"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.body
			if body == nil {
				body = spec("ignored")
			}
			f.srv.set(body, tt.status)
			waitFor(t, "the error in Status: "+tt.wantErr, func() bool { return strings.Contains(f.r.Status().LastError, tt.wantErr) })
			if f.holder.Current() != good {
				t.Fatal("the last good catalog was replaced")
			}
		})
	}
	f.srv.set(spec("back", "/z"), 0)
	waitFor(t, "recovery", func() bool { return f.holder.Current().Title == "back" })
	waitFor(t, "error cleared", func() bool { return f.r.Status().LastError == "" })
}

func TestNotModifiedDoesNotBuild(t *testing.T) {
	f := newFixture(t, Options{TTL: 5 * time.Millisecond})
	f.start(t)
	waitFor(t, "several conditional reloads", func() bool { return f.srv.conditionalRequests() >= 5 })
	if n := f.builder.calls.Load(); n != 1 {
		t.Errorf("builds = %d, want 1", n)
	}
	if n := f.loader.Parses(); n != 1 {
		t.Errorf("parses = %d, want 1", n)
	}
	if st := f.r.Status(); st.LastError != "" || !st.LastSuccess.After(st.LastChange) {
		t.Errorf("status after unchanged reloads = %+v", st)
	}
}

func TestTrigger(t *testing.T) {
	f := newFixture(t, Options{TTL: time.Hour})
	f.start(t)
	f.srv.set(spec("triggered", "/t"), 0)
	for range 5 { // never blocks, coalesces
		f.r.Trigger()
	}
	waitFor(t, "the triggered reload", func() bool { return f.holder.Current().Title == "triggered" })
}

func TestInitErrors(t *testing.T) {
	f := newFixture(t, Options{})
	f.srv.set(nil, http.StatusNotFound)
	err := f.r.Init(context.Background())
	if err == nil || !strings.Contains(err.Error(), f.url) || !strings.Contains(err.Error(), "404") {
		t.Errorf("Init error = %v; want it to name %s and the status", err, f.url)
	}
	if f.holder.Current() != nil || f.r.Status().LastError == "" {
		t.Errorf("after a failed Init: catalog %v, status %+v", f.holder.Current(), f.r.Status())
	}

	f.srv.set(spec("unbuildable", "/a"), 0)
	if err := f.r.Init(context.Background()); err == nil || !strings.Contains(err.Error(), "no can do") {
		t.Errorf("Init with a failing build = %v", err)
	}
	if f.holder.Current() != nil {
		t.Error("a catalog was published after a failed build")
	}
}

func TestValidationInBackground(t *testing.T) {
	type result struct {
		digest string
		warns  []catalog.Warning
	}
	results := make(chan result, 8)
	f := newFixture(t, Options{TTL: 5 * time.Millisecond, OnValidate: func(doc *specload.Document, w []catalog.Warning) {
		results <- result{doc.Digest, w}
	}})
	// A path parameter that no operation declares is a validation error.
	f.srv.set(spec("v1", "/pets/{id}"), 0)
	f.start(t)
	first := <-results
	if first.digest != f.holder.Current().Digest || len(first.warns) == 0 {
		t.Errorf("first validation = %+v", first)
	}
	f.srv.set(spec("v2", "/ok"), 0)
	second := <-results
	if second.digest == first.digest || len(second.warns) != 0 {
		t.Errorf("second validation = %+v", second)
	}
	waitFor(t, "unchanged reloads", func() bool { return f.srv.conditionalRequests() >= 5 })
	select {
	case r := <-results:
		t.Errorf("validated again without a change: %+v", r)
	default:
	}
}
