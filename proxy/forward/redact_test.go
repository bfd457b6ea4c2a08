package forward

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// TestCredentialsAddedByDecorateAreNotShown checks that a credential
// Decorate adds and marks (the operator's upstream secret) does not reach
// the agent when the upstream echoes the request: an http->https redirect
// that keeps the query (not followed: another origin), a pagination Link,
// an error page quoting the URL, or an endpoint that echoes request
// headers. Unmarked values (a request ID, a forwarded user name) stay.
func TestCredentialsAddedByDecorateAreNotShown(t *testing.T) {
	const (
		querySecret  = "q-S3cr3t/Key+=="
		headerSecret = "h-S3cr3t<Header>&Token"
		requestID    = "req-0123456789abcdef"
		userName     = "alice.wonderland"
	)
	decorate := func(ctx context.Context, req *http.Request) error {
		q := req.URL.Query()
		q.Set("api_key", querySecret)
		req.URL.RawQuery = q.Encode()
		req.Header.Set("Authorization", "Bearer "+headerSecret)
		req.Header.Set("X-Request-Id", requestID)
		req.Header.Set("X-Forwarded-User", userName)
		MarkSecret(ctx, querySecret)
		MarkSecret(ctx, headerSecret)
		return nil
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
		op      func(*catalog.Operation)
		want    string // still shown
	}{
		{"cross-origin redirect keeps the query", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Location", "https://elsewhere.example"+r.URL.RequestURI())
			w.WriteHeader(http.StatusMovedPermanently)
		}, nil, "Location: https://elsewhere.example/items/1?"},
		{"pagination link and body", func(w http.ResponseWriter, r *http.Request) {
			next := "http://" + r.Host + "/items/1?page=2&" + r.URL.RawQuery
			w.Header().Set("Link", "<"+next+`>; rel="next"`)
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"next": next, "items": []int{1}})
		}, nil, "page=2"},
		{"structured result", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"self": r.URL.String(), "auth": r.Header.Get("Authorization")})
		}, func(op *catalog.Operation) {
			op.OutputSchema = json.RawMessage(`{"type":"object"}`)
		}, `"self"`},
		{"error page quotes the URL", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "Cannot GET "+r.URL.RequestURI()+" (key "+r.URL.Query().Get("api_key")+")")
		}, nil, "Cannot GET /items/1"},
		{"headers echoed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"headers": r.Header})
		}, nil, requestID},
		{"forwarded user echoed", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]any{"owner": r.Header.Get("X-Forwarded-User")})
		}, nil, userName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := newUpstream(t, tt.handler)
			f := New(Options{Decorate: decorate})
			op := simpleOp()
			if tt.op != nil {
				tt.op(op)
			}
			res := f.Call(context.Background(), up.URL, op, args(t, `{"id":"1"}`))
			if got := up.last(t).RawQuery; !strings.Contains(got, "api_key=") {
				t.Fatalf("upstream query %q lacks the credential", got)
			}
			shown := resultText(res)
			if res.StructuredContent != nil {
				b, _ := json.Marshal(res.StructuredContent)
				shown += "\n" + string(b)
			}
			for _, c := range res.Content {
				if er, ok := c.(mcp.EmbeddedResource); ok {
					b, _ := json.Marshal(er)
					shown += "\n" + string(b)
				}
			}
			for _, secret := range []string{querySecret, headerSecret, `h-S3cr3t\u003cHeader\u003e\u0026Token`, "q-S3cr3t%2FKey%2B%3D%3D"} {
				if strings.Contains(shown, secret) {
					t.Errorf("the result shows the credential %q:\n%s", secret, shown)
				}
			}
			if !strings.Contains(shown, tt.want) || (tt.want != userName && !strings.Contains(shown, redacted)) {
				t.Errorf("the result lost %q:\n%s", tt.want, shown)
			}
		})
	}
}

func TestMarkSecretOutsideCallIsHarmless(t *testing.T) {
	MarkSecret(context.Background(), "a-secret-value") // must not panic
	var x *redactor
	if got := string(x.body([]byte("a-secret-value"), "text/plain")); got != "a-secret-value" {
		t.Errorf("nil redactor changed the body to %q", got)
	}
}
