package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// specServer serves a mutable spec with an ETag and can be told to fail.
type specServer struct {
	mu      sync.Mutex
	body    string
	etag    int
	failing bool
	hits    atomic.Int64
}

func (s *specServer) set(body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag = body, s.etag+1
}

func (s *specServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.hits.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		http.Error(w, "spec store down", http.StatusBadGateway)
		return
	}
	tag := `"v` + string(rune('0'+s.etag)) + `"`
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(s.body))
}

func specWith(ops ...string) string {
	var paths []string
	for _, op := range ops {
		paths = append(paths, `"/`+op+`": {"get": {"operationId": "`+op+`", "responses": {"200": {"description": "ok"}}}}`)
	}
	return `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "servers": [{"url": "/api"}], "paths": {` + strings.Join(paths, ",") + `}}`
}

func TestSpecChangeNotifiesClients(t *testing.T) {
	spec := &specServer{}
	spec.set(specWith("alpha"))
	ts := httptest.NewServer(spec)
	defer ts.Close()

	cfg := defaults(t)
	cfg.Spec = ts.URL + "/openapi.json"
	cfg.Refresh = 100 * time.Millisecond
	a, url := startApp(t, cfg)

	modern := connect(t, url, false)
	legacy := connect(t, url, true)
	var modernSeen, legacySeen atomic.Int64
	modern.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/tools/list_changed" {
			modernSeen.Add(1)
		}
	})
	legacy.OnNotification(func(n mcp.JSONRPCNotification) {
		if n.Method == "notifications/tools/list_changed" {
			legacySeen.Add(1)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop, err := modern.ListenAsync(ctx, mcp.SubscriptionFilter{ToolsListChanged: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	// Unchanged spec: 304s, no new catalog.
	first := a.Catalog()
	waitFor(t, "a few conditional refreshes", func() bool { return spec.hits.Load() >= 4 })
	if a.Catalog() != first {
		t.Fatal("an unchanged spec replaced the catalog")
	}

	// The clients open their streams asynchronously, so keep changing the
	// spec until both have heard of a change.
	deadline := time.Now().Add(15 * time.Second)
	for v := 0; modernSeen.Load() == 0 || legacySeen.Load() == 0; v++ {
		if time.Now().After(deadline) {
			t.Fatalf("list_changed not received: 2026 listen stream %d, 2025 GET stream %d", modernSeen.Load(), legacySeen.Load())
		}
		spec.set(specWith("alpha", "beta", fmt.Sprintf("gamma%d", v)))
		waitFor(t, "the new tool set", func() bool { _, ok := a.Catalog().Lookup(fmt.Sprintf("gamma%d", v)); return ok })
		time.Sleep(50 * time.Millisecond)
	}
	spec.set(specWith("alpha", "beta"))
	waitFor(t, "the final tool set", func() bool { return a.Catalog().Len() == 2 })
	for _, c := range []interface {
		ListTools(context.Context, mcp.ListToolsRequest) (*mcp.ListToolsResult, error)
	}{modern, legacy} {
		res, err := c.ListTools(ctx, mcp.ListToolsRequest{})
		if err != nil || len(res.Tools) != 2 || res.Tools[0].Name != "alpha" || res.Tools[1].Name != "beta" {
			t.Fatalf("tools after change: %+v %v", res, err)
		}
	}

	// The spec server fails: the last good tool set stays.
	spec.mu.Lock()
	spec.failing = true
	spec.mu.Unlock()
	hits := spec.hits.Load()
	waitFor(t, "failed refreshes", func() bool { return spec.hits.Load() >= hits+3 })
	if a.Catalog().Len() != 2 {
		t.Fatal("a failing spec server replaced the catalog")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
