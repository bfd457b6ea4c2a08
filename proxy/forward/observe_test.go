package forward

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestOnUpstreamSeesEveryExchange(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/gone" {
			http.Error(w, "gone", http.StatusGone)
			return
		}
		w.Write([]byte(`{}`))
	}))
	defer up.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()

	type seen struct {
		status int
		ctxOK  bool
	}
	var got []seen
	type key struct{}
	f := New(Options{OnUpstream: func(ctx context.Context, status int, d time.Duration) {
		got = append(got, seen{status, ctx.Value(key{}) == "call" && d >= 0})
	}})
	op := func(path string) *catalog.Operation {
		return &catalog.Operation{Name: "op", Method: "GET", Path: path, InputSchema: json.RawMessage(`{"type":"object"}`)}
	}
	ctx := context.WithValue(context.Background(), key{}, "call")
	f.Call(ctx, up.URL, op("/ok"), map[string]any{})
	f.Call(ctx, up.URL, op("/gone"), map[string]any{})
	f.Call(ctx, deadURL, op("/ok"), map[string]any{})
	f.Call(ctx, up.URL, op("/ok"), map[string]any{"unknown": 1}) // rejected before sending: no exchange

	want := []seen{{200, true}, {410, true}, {0, true}}
	if len(got) != len(want) {
		t.Fatalf("OnUpstream calls = %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("call %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
