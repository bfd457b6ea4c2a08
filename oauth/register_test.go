package oauth

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/throttle"
)

func postJSON(t *testing.T, u, contentType, body string) (int, http.Header, map[string]any) {
	t.Helper()
	resp, err := http.Post(u, contentType, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func TestRegisterSuccess(t *testing.T) {
	e := newEnv(t, nil)
	// Claude Code's and mcp-remote's bodies, unknown fields included.
	claude := `{"client_name":"Claude Code (specgate)","redirect_uris":["http://localhost:62376/callback"],
		"grant_types":["authorization_code","refresh_token"],"response_types":["code"],
		"token_endpoint_auth_method":"none","application_type":"native","scope":"read offline_access"}`
	remote := `{"redirect_uris":["http://localhost:27413/oauth/callback"],"token_endpoint_auth_method":"none",
		"grant_types":["authorization_code","refresh_token"],"response_types":["code"],"client_name":"MCP CLI Proxy",
		"client_uri":"https://github.com/modelcontextprotocol/mcp-cli","software_id":"2e6dc280","software_version":"0.15.1",
		"scope":"mcp:tools offline_access","application_type":"native","extra":{"nested":[1,2]}}`
	for _, body := range []string{claude, remote} {
		status, hdr, out := postJSON(t, e.ts.URL+"/register", "application/json; charset=utf-8", body)
		if status != http.StatusCreated || hdr.Get("Cache-Control") != "no-store" || hdr.Get("Access-Control-Allow-Origin") != "*" {
			t.Fatalf("register: %d %v %v", status, hdr, out)
		}
		if out["client_id"] == "" || out["token_endpoint_auth_method"] != "none" || out["client_secret"] != nil ||
			out["client_secret_expires_at"] != nil || len(strs(out["redirect_uris"])) != 1 ||
			!slices.Equal(strs(out["grant_types"]), []string{"authorization_code", "refresh_token"}) ||
			!slices.Equal(strs(out["response_types"]), []string{"code"}) || out["scope"] != "read write admin offline_access" {
			t.Fatalf("response = %v", out)
		}
		if issued, ok := out["client_id_issued_at"].(float64); !ok || time.Since(time.Unix(int64(issued), 0)) > time.Minute {
			t.Fatalf("client_id_issued_at = %v", out["client_id_issued_at"])
		}
	}

	for _, method := range []string{"client_secret_post", "client_secret_basic", ""} {
		b, _ := json.Marshal(map[string]any{"redirect_uris": []string{"https://app.example/cb"}, "token_endpoint_auth_method": method})
		status, _, out := postJSON(t, e.ts.URL+"/register", "application/json", string(b))
		secret, _ := out["client_secret"].(string)
		want := method
		if want == "" {
			want = "client_secret_basic"
		}
		if status != http.StatusCreated || out["token_endpoint_auth_method"] != want || len(secret) < 40 ||
			strings.ContainsAny(secret, "+/=%") || out["client_secret_expires_at"] != float64(0) {
			t.Fatalf("%q: %d %v", method, status, out)
		}
		stored, err := e.st.GetRegisteredClient(t.Context(), out["client_id"].(string))
		if err != nil || bytes.Contains(stored.SecretHash, []byte(secret)) || stored.IsPublic() {
			t.Fatalf("stored client %+v err %v (secret must be hashed)", stored, err)
		}
	}
}

func TestRegisterRefusals(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.MaxRegistrationBytes = 2048 })
	tests := []struct {
		name, ctype, body string
		status            int
		code              string
	}{
		{"no redirect uris", "application/json", `{"client_name":"x"}`, 400, "invalid_redirect_uri"},
		{"http non-loopback", "application/json", `{"redirect_uris":["http://app.example/cb"]}`, 400, "invalid_redirect_uri"},
		{"fragment", "application/json", `{"redirect_uris":["https://app.example/cb#x"]}`, 400, "invalid_redirect_uri"},
		{"custom scheme", "application/json", `{"redirect_uris":["cursor://callback"]}`, 400, "invalid_redirect_uri"},
		{"relative", "application/json", `{"redirect_uris":["/cb"]}`, 400, "invalid_redirect_uri"},
		{"user info", "application/json", `{"redirect_uris":["https://u:p@app.example/cb"]}`, 400, "invalid_redirect_uri"},
		{"bad auth method", "application/json", `{"redirect_uris":["https://a.example/cb"],"token_endpoint_auth_method":"private_key_jwt"}`, 400, "invalid_client_metadata"},
		{"no code grant", "application/json", `{"redirect_uris":["https://a.example/cb"],"grant_types":["client_credentials"]}`, 400, "invalid_client_metadata"},
		{"no code response", "application/json", `{"redirect_uris":["https://a.example/cb"],"response_types":["token"]}`, 400, "invalid_client_metadata"},
		{"wrong type", "application/json", `{"redirect_uris":"https://a.example/cb"}`, 400, "invalid_client_metadata"},
		{"not json", "application/json", `redirect_uris=x`, 400, "invalid_client_metadata"},
		{"form content type", "application/x-www-form-urlencoded", `{"redirect_uris":["https://a.example/cb"]}`, 400, "invalid_client_metadata"},
		{"too large", "application/json", `{"client_name":"` + strings.Repeat("x", 4096) + `"}`, 413, "invalid_client_metadata"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, out := postJSON(t, e.ts.URL+"/register", tc.ctype, tc.body)
			if status != tc.status || out["error"] != tc.code || out["error_description"] == "" {
				t.Fatalf("status %d body %v", status, out)
			}
		})
	}
	if n, _ := e.st.CountClients(t.Context()); n != 0 {
		t.Fatalf("%d clients stored by refused registrations", n)
	}
	if r, _ := http.Get(e.ts.URL + "/register"); r.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /register: %d", r.StatusCode)
	}
}

func TestRegisterLimits(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.MaxClients = 2
		c.Throttles.RegisterPerIP = throttle.NewMemory(3, time.Hour)
	})
	body := `{"redirect_uris":["http://127.0.0.1/cb"],"token_endpoint_auth_method":"none"}`
	want := []int{201, 201, 503, 429}
	for i, w := range want {
		status, hdr, out := postJSON(t, e.ts.URL+"/register", "application/json", body)
		if status != w {
			t.Fatalf("registration %d: %d %v, want %d", i, status, out, w)
		}
		if status == 429 && hdr.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
	}
}

func TestRegisteredClientExpiresUnlessUsed(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Lifetimes.UnusedClient = time.Hour })
	id := e.publicClient(t, "http://127.0.0.1:9/cb")
	e.clock.Advance(2 * time.Hour)
	_, challenge := pkce("e")
	p := e.browser().get(t, e.ts.URL+"/authorize?"+authParams(id, "http://127.0.0.1:9/cb", challenge).Encode())
	if p.status != http.StatusBadRequest || !strings.Contains(p.body, "not registered") {
		t.Fatalf("expired never-used client still works: %d", p.status)
	}
}
