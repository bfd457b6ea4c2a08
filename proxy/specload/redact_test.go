package specload

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestErrorsHideQuerySecrets checks that a spec URL's query, which often
// carries an access token (?token=...), never appears in an error: those
// errors are logged and shown in health output.
func TestErrorsHideQuerySecrets(t *testing.T) {
	const secret = "s3cr3t-token"
	failing := httptest.NewServer(&specServer{status: http.StatusInternalServerError})
	defer failing.Close()
	garbage := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"openapi": `))
	}))
	defer garbage.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, closedURL+"/elsewhere?sig="+secret, http.StatusFound)
	}))
	defer redirect.Close()

	tests := []struct{ name, source string }{
		{"status error", failing.URL + "/spec.json?token=" + secret},
		{"parse error", garbage.URL + "/spec.json?api_key=" + secret + "&v=2"},
		{"connection refused", closedURL + "/spec.json?token=" + secret},
		{"redirect target", redirect.URL + "/spec.json"},
		{"unparsable URL", "https://host/spec.json?token=" + secret + "%zz\x7f"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewLoader(Options{}).Load(context.Background(), tt.source)
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if strings.Contains(err.Error(), secret) {
				t.Fatalf("error %q shows the query secret", err)
			}
		})
	}
}

func TestRedactSource(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.example.com/spec.json", "https://api.example.com/spec.json"},
		{"https://me:pw@api.example.com/spec.json", "https://me:xxxxx@api.example.com/spec.json"},
		{"https://api.example.com/spec.json?token=abc&v=2", "https://api.example.com/spec.json?token=xxxxx&v=xxxxx"},
		{"https://api.example.com/spec.json?abc", "https://api.example.com/spec.json?xxxxx"},
		{"/etc/specs/api.yaml", "/etc/specs/api.yaml"},
		{"file:///etc/specs/api.yaml", "file:///etc/specs/api.yaml"},
	}
	for _, tt := range tests {
		if got := RedactSource(tt.in); got != tt.want {
			t.Errorf("RedactSource(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
