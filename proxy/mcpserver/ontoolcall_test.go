package mcpserver

import (
	"context"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
)

// TestOnToolCallReportsForwardedAndDeniedCalls checks the hook sees every
// call that reaches a tool handler, with the request's context.
func TestOnToolCallReportsForwardedAndDeniedCalls(t *testing.T) {
	type call struct {
		tool    string
		isError bool
		hasCtx  bool
	}
	var mu sync.Mutex
	var got []call
	type key struct{}
	// Authenticate stands in for middleware that puts values in the request
	// context; the hook must see them.
	mark := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, "marked")))
		})
	}
	h := &catalog.Holder{}
	h.Set(testCatalog("http://upstream.test", "open", "denied"))
	_, url := startServer(t, Options{Holder: h, Access: scriptedAccess(), Authenticate: mark,
		OnToolCall: func(ctx context.Context, op *catalog.Operation, isError bool, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, call{op.Name, isError, ctx.Value(key{}) == "marked" && d >= 0})
		}})
	for _, name := range []string{"open", "denied"} {
		body, hdr := modernCall(name, `{}`)
		resp, text := post(t, url, "", body, hdr)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("call %s: %d %s", name, resp.StatusCode, text)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	want := []call{{"open", false, true}, {"denied", true, true}}
	if !slices.Equal(got, want) {
		t.Errorf("OnToolCall saw %+v, want %+v", got, want)
	}
}
