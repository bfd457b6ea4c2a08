package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAssets(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("/static/", Assets())
	css, _ := staticFS.ReadFile("static/specgate.css")

	// The stylesheet the pages link to must be served.
	rec := httptest.NewRecorder()
	if err := RenderError(rec, 500, ErrorPage{Message: "x"}); err != nil {
		t.Fatal(err)
	}
	d := parse(t, rec.Body.String())
	linked, _ := attr(d.byAttr("link", "rel", "stylesheet"), "href")
	icon, _ := attr(d.byAttr("link", "rel", "icon"), "href")

	tests := []struct {
		name, method, path string
		header             map[string]string
		wantStatus         int
		wantType           string
		wantCache          string
		wantBody           string // "" = do not compare
	}{
		{name: "linked stylesheet", method: "GET", path: linked, wantStatus: 200,
			wantType: "text/css; charset=utf-8", wantCache: "public, max-age=31536000, immutable", wantBody: string(css)},
		{name: "plain name", method: "GET", path: "/static/specgate.css", wantStatus: 200,
			wantType: "text/css; charset=utf-8", wantCache: "public, max-age=3600", wantBody: string(css)},
		{name: "head", method: "HEAD", path: linked, wantStatus: 200, wantType: "text/css; charset=utf-8",
			wantCache: "public, max-age=31536000, immutable"},
		{name: "icon", method: "GET", path: icon, wantStatus: 200, wantType: "image/svg+xml",
			wantCache: "public, max-age=31536000, immutable"},
		{name: "revalidate", method: "GET", path: linked, header: map[string]string{"If-None-Match": stylesheet.etag},
			wantStatus: http.StatusNotModified},
		{name: "unknown", method: "GET", path: "/static/app.js", wantStatus: 404},
		{name: "directory", method: "GET", path: "/static/", wantStatus: 404},
		{name: "template not exposed", method: "GET", path: "/static/layout.html", wantStatus: 404},
		{name: "post", method: "POST", path: linked, wantStatus: 405},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, nil)
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			res := rec.Result()
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantType != "" && res.Header.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", res.Header.Get("Content-Type"), tt.wantType)
			}
			if tt.wantCache != "" && res.Header.Get("Cache-Control") != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", res.Header.Get("Cache-Control"), tt.wantCache)
			}
			if tt.wantStatus == 200 && res.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Error("nosniff missing")
			}
			body, _ := io.ReadAll(res.Body)
			if tt.wantBody != "" && string(body) != tt.wantBody {
				t.Errorf("body differs from the embedded file (%d bytes)", len(body))
			}
			if tt.method == "HEAD" && len(body) != 0 {
				t.Error("HEAD returned a body")
			}
		})
	}
}

func TestAssetFingerprint(t *testing.T) {
	if !strings.HasPrefix(stylesheet.name, "specgate.") || stylesheet.name == "specgate.css" {
		t.Fatalf("stylesheet not fingerprinted: %q", stylesheet.name)
	}
	// The pages' CSP forbids inline styles, so the stylesheet is everything;
	// make sure it styles the classes the templates use.
	for _, class := range []string{".card", ".alert", ".redirect-warn", ".scope", ".button-primary", ":focus-visible", "prefers-color-scheme: dark"} {
		if !strings.Contains(string(stylesheet.data), class) {
			t.Errorf("stylesheet lacks %s", class)
		}
	}
}
