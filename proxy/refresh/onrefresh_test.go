package refresh

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/specload"
)

func TestOnRefreshReportsEveryResult(t *testing.T) {
	var mu sync.Mutex
	broken := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if broken {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("ETag", `"1"`)
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{}}`))
	}))
	defer srv.Close()

	results := make(chan string, 8)
	build := func(context.Context, *specload.Document, *catalog.Catalog) (*catalog.Catalog, error) {
		return catalog.New(nil), nil
	}
	r := New(specload.NewLoader(specload.Options{}), srv.URL, build, &catalog.Holder{},
		Options{TTL: -1, OnRefresh: func(res string) { results <- res }})
	if err := r.Init(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go r.Run(ctx)
	r.Trigger()
	next := func() string {
		select {
		case res := <-results:
			return res
		case <-time.After(10 * time.Second):
			t.Fatal("OnRefresh not called within 10s")
			return ""
		}
	}
	got := []string{next(), next()}
	mu.Lock()
	broken = true
	mu.Unlock()
	r.Trigger()
	got = append(got, next())
	if want := []string{ResultOK, ResultNotModified, ResultFailed}; !slices.Equal(got, want) {
		t.Errorf("results = %v, want %v", got, want)
	}
}
