package upstreamlogin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/authn"
)

func TestRefreshAnswers(t *testing.T) {
	ctx := context.Background()
	old := &authn.UpstreamCredential{AccessToken: "old-at", RefreshToken: "old-rt-secret"}
	var body []byte
	var mu sync.Mutex
	base := fake(t, func(w http.ResponseWriter, r *http.Request, b []byte) {
		mu.Lock()
		body = b
		mu.Unlock()
		switch r.URL.Path {
		case "/keep":
			jsonAnswer(200, `{"token":"new-at","ttl":"30"}`)(w, r, b)
		case "/refused":
			jsonAnswer(400, `{"error":"invalid_grant"}`)(w, r, b)
		default:
			jsonAnswer(502, `{}`)(w, r, b)
		}
	})
	refresher := func(path string) *Authenticator {
		return newHarness(t, base, func(c *Config) {
			c.RefreshPath, c.RefreshTokenField = path, "rt"
			c.RefreshExtraFields = map[string]string{"grant_type": "refresh_token"}
			c.RefreshResponseTokenPointer, c.RefreshResponseExpiresInPointer = "/token", "/ttl"
			c.Now = func() time.Time { return time.Unix(1000, 0) }
		}).auth
	}
	next, err := refresher("/keep").Refresh(ctx, old)
	if err != nil || next.AccessToken != "new-at" || next.RefreshToken != "old-rt-secret" || !next.Expiry.Equal(time.Unix(1030, 0)) {
		t.Fatalf("refresh = %+v, %v", next, err)
	}
	mu.Lock()
	if string(body) != `{"grant_type":"refresh_token","rt":"old-rt-secret"}` {
		t.Errorf("refresh body = %s", body)
	}
	mu.Unlock()
	if _, err := refresher("/refused").Refresh(ctx, old); !errors.Is(err, authn.ErrInvalidCredentials) {
		t.Errorf("refused: err = %v", err)
	}
	if _, err := refresher("/broken").Refresh(ctx, old); !errors.Is(err, authn.ErrUpstreamUnavailable) {
		t.Errorf("502: err = %v", err)
	}
	if _, err := refresher("").Refresh(ctx, old); !errors.Is(err, authn.ErrInvalidCredentials) {
		t.Errorf("no refresh path: err = %v", err)
	}
	if _, err := refresher("/keep").Refresh(ctx, &authn.UpstreamCredential{AccessToken: "x"}); !errors.Is(err, authn.ErrInvalidCredentials) {
		t.Errorf("no refresh token: err = %v", err)
	}
}

func TestConfigValidation(t *testing.T) {
	base := func() string { return "http://127.0.0.1:1" }
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no path", Config{BaseURL: base}, "login path is required"},
		{"relative without base", Config{Path: "/login"}, "relative but no API base URL"},
		{"GET", Config{BaseURL: base, Path: "/l", Method: "get"}, "must be POST, PUT or PATCH"},
		{"body", Config{BaseURL: base, Path: "/l", Body: "xml"}, `body "xml" must be json or form`},
		{"query", Config{BaseURL: base, Path: "/l?x=1"}, "without query"},
		{"ftp", Config{BaseURL: base, Path: "ftp://h/l"}, "http(s) URL"},
		{"same fields", Config{BaseURL: base, Path: "/l", UsernameField: "u", PasswordField: "u"}, "must differ"},
		{"extra collides", Config{BaseURL: base, Path: "/l", ExtraFields: map[string]string{"password": "x"}}, "collides"},
		{"status", Config{BaseURL: base, Path: "/l", InvalidCredentialStatuses: []int{500}}, "not a 4xx"},
		{"pointer", Config{BaseURL: base, Path: "/l", TokenPointer: "access_token"}, "token pointer"},
		{"pointer escape", Config{BaseURL: base, Path: "/l", ScopesPointer: "/a~2"}, "scopes pointer"},
		{"refresh method", Config{BaseURL: base, Path: "/l", RefreshPath: "/r", RefreshMethod: "DELETE"}, "refresh method"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := New(Config{Path: "https://login.example/session", RefreshPath: "https://login.example/refresh"}); err != nil {
		t.Fatalf("absolute URLs without a base: %v", err)
	}
}
