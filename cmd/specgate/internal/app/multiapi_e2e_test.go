package app_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth/users"
	"github.com/specgate/specgate/specs/demoapi"
)

// authorizeWith runs the code flow in browser b (keeping its login cookie)
// for resource and returns the access token.
func authorizeWith(t *testing.T, b *loginBrowser, base, resource, user, password string) string {
	t.Helper()
	reg, err := http.Post(base+"/register", "application/json", strings.NewReader(
		`{"client_name":"multi","redirect_uris":["http://127.0.0.1:9/callback"],"token_endpoint_auth_method":"none"}`))
	if err != nil {
		t.Fatal(err)
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(reg.Body).Decode(&client)
	reg.Body.Close()
	verifier := "multi-api-verifier-0123456789-0123456789-0123"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"response_type": {"code"}, "client_id": {client.ClientID}, "redirect_uri": {"http://127.0.0.1:9/callback"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"state-12345"}, "resource": {resource}}
	resp, _ := b.do("GET", "/authorize?"+q.Encode(), nil)
	passwords := 0
	for hops := 0; resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther; hops++ {
		loc := resp.Header.Get("Location")
		if strings.HasPrefix(loc, "http://127.0.0.1:9/") || hops > 5 {
			break
		}
		var page string
		resp, page = b.do("GET", loc, nil)
		if strings.Contains(page, `name="password"`) {
			passwords++
			form := hidden(page)
			form.Set("username", user)
			form.Set("password", password)
			resp, page = b.do("POST", resp.Request.URL.Path, form)
		}
		if strings.Contains(page, `name="decision"`) {
			form := hidden(page)
			for _, m := range boxRE.FindAllStringSubmatch(page, -1) {
				form.Add("scope", m[1])
			}
			form.Set("decision", "approve")
			resp, _ = b.do("POST", resp.Request.URL.Path, form)
		}
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code for %s: %d %s", resource, resp.StatusCode, loc)
	}
	tok, err := http.PostForm(base+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {code},
		"code_verifier": {verifier}, "redirect_uri": {"http://127.0.0.1:9/callback"}, "client_id": {client.ClientID}, "resource": {resource}})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(tok.Body).Decode(&tr)
	if tr.AccessToken == "" {
		t.Fatalf("token exchange for %s: %s", resource, tok.Status)
	}
	b.t.Logf("%s: %d password prompts", resource, passwords)
	if strings.HasSuffix(resource, "/todo") && passwords != 0 {
		t.Errorf("the second API asked for the password again: one login must cover all APIs")
	}
	return tr.AccessToken
}

func TestSeveralAPIs(t *testing.T) {
	tasksAPI, todoAPI := demoapi.New(demoapi.Options{}), demoapi.New(demoapi.Options{})
	tasksSrv, todoSrv := httptest.NewServer(tasksAPI.Handler()), httptest.NewServer(todoAPI.Handler())
	defer tasksSrv.Close()
	defer todoSrv.Close()

	cfg := defaults(t)
	cfg.Auth = "oauth"
	cfg.UsersFile = filepath.Join(t.TempDir(), "users.yaml")
	if err := users.AddUser(cfg.UsersFile, "alice", "password-of-alice", nil); err != nil {
		t.Fatal(err)
	}
	cfg.APIs = []config.APIConfig{
		{Name: "tasks", Spec: tasksSrv.URL + "/openapi.json"},
		{Name: "todo", Spec: todoSrv.URL + "/openapi.json", Filter: &config.FilterConfig{ExcludeMethods: []string{"DELETE"}}},
	}
	_, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")

	// Each API has its own protected resource metadata.
	for _, name := range []string{"tasks", "todo"} {
		resp, err := http.Get(base + "/.well-known/oauth-protected-resource/mcp/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var prm map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&prm)
		resp.Body.Close()
		if prm["resource"] != base+"/mcp/"+name {
			t.Fatalf("PRM for %s: %v", name, prm)
		}
	}
	if resp, _ := http.Post(mcpURL, "application/json", strings.NewReader("{}")); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/mcp with several APIs: %d, want 404", resp.StatusCode)
	}

	b := newLoginBrowser(t, base)
	tasksToken := authorizeWith(t, b, base, base+"/mcp/tasks", "alice", "password-of-alice")
	todoToken := authorizeWith(t, b, base, base+"/mcp/todo", "alice", "password-of-alice")

	tasks := bearerClient(t, base+"/mcp/tasks", tasksToken)
	todo := bearerClient(t, base+"/mcp/todo", todoToken)
	if names := toolNames(t, tasks); !strings.Contains(names, "deleteTask") {
		t.Errorf("tasks tools: %s", names)
	}
	if names := toolNames(t, todo); strings.Contains(names, "deleteTask") || !strings.Contains(names, "listTasks") {
		t.Errorf("todo tools (DELETE filtered): %s", names)
	}
	if res := call(t, todo, "createTask", map[string]any{"body": map[string]any{"title": "only in todo"}}); res.IsError {
		t.Fatalf("todo createTask: %s", text(res))
	}
	if n := len(todoAPI.Requests()); n != 1 || len(tasksAPI.Requests()) != 0 {
		t.Fatalf("calls reached the wrong upstream: todo %d, tasks %d", n, len(tasksAPI.Requests()))
	}

	// A token is bound to the API it was issued for.
	resp, _ := rawCall(t, base+"/mcp/todo", tasksToken, "getTask")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), "invalid_token") ||
		!strings.Contains(resp.Header.Get("WWW-Authenticate"), "/.well-known/oauth-protected-resource/mcp/todo") {
		t.Fatalf("tasks token on todo: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}

	// /healthz lists both.
	hr, _ := http.Get(base + "/healthz")
	var health struct {
		APIs []map[string]any `json:"apis"`
	}
	_ = json.NewDecoder(hr.Body).Decode(&health)
	hr.Body.Close()
	if len(health.APIs) != 2 || health.APIs[1]["path"] != "/mcp/todo" || health.APIs[1]["operations"] != float64(7) {
		t.Fatalf("healthz apis: %v", health.APIs)
	}
}
