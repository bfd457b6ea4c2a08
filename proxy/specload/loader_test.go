package specload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func specBody(title string) []byte {
	return []byte(`{"openapi": "3.0.0", "info": {"title": "` + title + `", "version": "1"}, "paths": {}}`)
}

// specServer serves one spec whose body the test can change. It honours
// If-None-Match and If-Modified-Since through http.ServeContent, unless
// ignoreValidators is set, and records the conditional headers it got.
type specServer struct {
	mu               sync.Mutex
	body             []byte
	etag             string
	modTime          time.Time
	ignoreValidators bool
	status           int
	gotINM, gotIMS   string
	requests         int
}

func (s *specServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.gotINM, s.gotIMS = r.Header.Get("If-None-Match"), r.Header.Get("If-Modified-Since")
	if s.status != 0 {
		http.Error(w, "upstream\x00 exploded\n\tbadly", s.status)
		return
	}
	if s.etag != "" {
		w.Header().Set("ETag", s.etag)
	}
	if s.ignoreValidators {
		r.Header.Del("If-None-Match")
		r.Header.Del("If-Modified-Since")
	}
	http.ServeContent(w, r, "spec.json", s.modTime, bytes.NewReader(s.body))
}

func (s *specServer) set(f func(s *specServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func TestReloadConditional(t *testing.T) {
	mod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		etag    string
		modTime time.Time
		wantINM string
		wantIMS string
	}{
		{"etag", `"v1"`, time.Time{}, `"v1"`, ""},
		{"last-modified", "", mod, "", mod.Format(http.TimeFormat)},
		{"both", `"v1"`, mod, `"v1"`, mod.Format(http.TimeFormat)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ss := &specServer{body: specBody("one"), etag: tt.etag, modTime: tt.modTime}
			srv := httptest.NewServer(ss)
			defer srv.Close()
			loader := NewLoader(Options{})
			ctx := context.Background()
			doc, err := loader.Load(ctx, srv.URL+"/spec.json")
			if err != nil {
				t.Fatal(err)
			}
			if doc.ETag != tt.etag || doc.LastModified != tt.wantIMS {
				t.Errorf("validators = %q, %q", doc.ETag, doc.LastModified)
			}

			again, changed, err := loader.Reload(ctx, doc)
			if err != nil || changed || again != doc {
				t.Fatalf("Reload on 304 = %p, %v, %v; want the same document unchanged", again, changed, err)
			}
			if ss.gotINM != tt.wantINM || ss.gotIMS != tt.wantIMS {
				t.Errorf("conditional headers = %q, %q; want %q, %q", ss.gotINM, ss.gotIMS, tt.wantINM, tt.wantIMS)
			}
			if got := loader.Parses(); got != 1 {
				t.Errorf("parses after a 304 = %d, want 1", got)
			}

			ss.set(func(s *specServer) {
				s.body, s.modTime = specBody("two"), s.modTime.Add(time.Hour)
				if s.etag != "" {
					s.etag = `"v2"`
				}
			})
			next, changed, err := loader.Reload(ctx, doc)
			if err != nil || !changed || next.Spec.Info.Title != "two" {
				t.Fatalf("Reload after a change = %v, %v", changed, err)
			}
			if loader.Parses() != 2 {
				t.Errorf("parses = %d, want 2", loader.Parses())
			}
		})
	}
}

func TestReloadSameDigest(t *testing.T) {
	ss := &specServer{body: specBody("one"), etag: `"a"`, ignoreValidators: true}
	srv := httptest.NewServer(ss)
	defer srv.Close()
	loader := NewLoader(Options{})
	doc, err := loader.Load(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	ss.set(func(s *specServer) { s.etag = `"b"` })
	again, changed, err := loader.Reload(context.Background(), doc)
	if err != nil || changed {
		t.Fatalf("Reload = %v, %v", changed, err)
	}
	if loader.Parses() != 1 || again.ETag != `"b"` || again.Spec != doc.Spec || doc.ETag != `"a"` {
		t.Errorf("same body: parses %d, etag %q (prev %q), spec shared %v", loader.Parses(), again.ETag, doc.ETag, again.Spec == doc.Spec)
	}
}

func TestLoadFetchErrors(t *testing.T) {
	t.Run("5xx", func(t *testing.T) {
		srv := httptest.NewServer(&specServer{status: http.StatusBadGateway})
		defer srv.Close()
		_, err := NewLoader(Options{}).Load(context.Background(), srv.URL+"/spec.json")
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != 502 {
			t.Fatalf("error = %v, want a 502 StatusError", err)
		}
		want := fmt.Sprintf(`fetch spec %s/spec.json: HTTP 502 Bad Gateway: "upstream exploded badly"`, srv.URL)
		if err.Error() != want {
			t.Errorf("error = %q, want %q", err, want)
		}
	})
	t.Run("size cap", func(t *testing.T) {
		big := append(specBody("x"), bytes.Repeat([]byte(" "), 2000)...)
		for _, chunked := range []bool{false, true} {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if chunked {
					w.Write(big[:10])
					w.(http.Flusher).Flush()
					w.Write(big[10:])
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(len(big)))
				w.Write(big)
			}))
			_, err := NewLoader(Options{MaxBytes: 1000}).Load(context.Background(), srv.URL)
			srv.Close()
			if err == nil || !strings.Contains(err.Error(), "exceeds the size limit of 1000 bytes") {
				t.Errorf("chunked=%v: error = %v", chunked, err)
			}
		}
	})
	t.Run("timeout", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		_, err := NewLoader(Options{Timeout: 50 * time.Millisecond}).Load(context.Background(), srv.URL)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error = %v, want a deadline error", err)
		}
	})
	t.Run("password redacted", func(t *testing.T) {
		srv := httptest.NewServer(&specServer{status: 500})
		defer srv.Close()
		u, _ := url.Parse(srv.URL)
		u.User = url.UserPassword("me", "hunter2")
		_, err := NewLoader(Options{}).Load(context.Background(), u.String())
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error = %v", err)
		}
	})
	t.Run("bad source", func(t *testing.T) {
		for src, want := range map[string]string{
			"ftp://x/spec.json":  `unsupported spec URL scheme "ftp"`,
			"/no/such/spec.json": "read spec /no/such/spec.json: ",
			"file://host/x.json": "file URLs must name a local path",
			"":                   "no source",
			"https:///spec.json": "no host",
		} {
			if _, err := NewLoader(Options{}).Load(context.Background(), src); err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("Load(%q) error = %v, want %q", src, err, want)
			}
		}
	})
}

func TestReloadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(path, specBody("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	loader := NewLoader(Options{})
	ctx := context.Background()
	doc, err := loader.Load(ctx, "file://"+filepath.ToSlash(path))
	if err != nil {
		t.Fatal(err)
	}
	if again, changed, err := loader.Reload(ctx, doc); err != nil || changed || again != doc {
		t.Fatalf("untouched file: %v %v", changed, err)
	}
	// Same bytes, new mtime: read and hashed, not parsed.
	later := doc.ModTime.Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	again, changed, err := loader.Reload(ctx, doc)
	if err != nil || changed || !again.ModTime.Equal(later) || loader.Parses() != 1 {
		t.Fatalf("touched file: changed %v err %v mtime %v parses %d", changed, err, again.ModTime, loader.Parses())
	}
	if err := os.WriteFile(path, specBody("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	next, changed, err := loader.Reload(ctx, again)
	if err != nil || !changed || next.Spec.Info.Title != "two" || loader.Parses() != 2 {
		t.Fatalf("changed file: %v %v parses %d", changed, err, loader.Parses())
	}
	if err := os.WriteFile(path, []byte("{oops"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := loader.Reload(ctx, next); err == nil || !strings.Contains(err.Error(), "line 1, column 2") {
		t.Errorf("broken file: %v", err)
	}
}
