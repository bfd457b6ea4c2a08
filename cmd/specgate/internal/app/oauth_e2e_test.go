package app_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/oauth/users"
)

// loginBrowser drives the login and consent pages like a user without JavaScript.
type loginBrowser struct {
	t    *testing.T
	http *http.Client
	base string
}

func newLoginBrowser(t *testing.T, base string) *loginBrowser {
	jar, _ := cookiejar.New(nil)
	return &loginBrowser{t: t, base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *loginBrowser) do(method, u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	if strings.HasPrefix(u, "/") {
		u = b.base + u
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

var inputRE = regexp.MustCompile(`<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"`)
var boxRE = regexp.MustCompile(`<input[^>]*type="checkbox"[^>]*name="scope"[^>]*value="([^"]*)"`)

func hidden(page string) url.Values {
	v := url.Values{}
	for _, m := range inputRE.FindAllStringSubmatch(page, -1) {
		if m[1] != "scope" && m[1] != "username" {
			v.Set(m[1], m[2])
		}
	}
	return v
}

// authorize runs the code flow for a freshly registered client and returns
// the access token. grant lists the scopes to leave checked on consent.
func authorize(t *testing.T, base, user, password string, grant []string) string {
	t.Helper()
	reg, err := http.Post(base+"/register", "application/json", strings.NewReader(
		`{"client_name":"e2e","redirect_uris":["http://127.0.0.1:9/callback"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}`))
	if err != nil || reg.StatusCode != http.StatusCreated {
		t.Fatalf("register: %v %v", err, reg.Status)
	}
	var client struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(reg.Body).Decode(&client)
	reg.Body.Close()

	verifier := "e2e-verifier-0123456789-0123456789-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {client.ClientID}, "redirect_uri": {"http://127.0.0.1:9/callback"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"state-12345"}, "resource": {base + "/mcp"},
	}
	b := newLoginBrowser(t, base)
	resp, _ := b.do("GET", "/authorize?"+q.Encode(), nil)
	for hops := 0; resp.StatusCode == http.StatusFound || resp.StatusCode == http.StatusSeeOther; hops++ {
		loc := resp.Header.Get("Location")
		if strings.HasPrefix(loc, "http://127.0.0.1:9/") || hops > 5 {
			t.Fatalf("unexpected redirect %s", loc)
		}
		var page string
		resp, page = b.do("GET", loc, nil)
		if strings.Contains(page, `name="password"`) {
			form := hidden(page)
			form.Set("username", user)
			form.Set("password", password)
			resp, page = b.do("POST", resp.Request.URL.Path, form)
		}
		if strings.Contains(page, `name="decision"`) {
			form := hidden(page)
			for _, m := range boxRE.FindAllStringSubmatch(page, -1) {
				for _, g := range grant {
					if m[1] == g {
						form.Add("scope", g)
					}
				}
			}
			form.Set("decision", "approve")
			resp, _ = b.do("POST", resp.Request.URL.Path, form)
			break
		}
	}
	loc, _ := url.Parse(resp.Header.Get("Location"))
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code; last response %d to %s", resp.StatusCode, loc)
	}
	tok, err := http.PostForm(base+"/token", url.Values{
		"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
		"redirect_uri": {"http://127.0.0.1:9/callback"}, "client_id": {client.ClientID}, "resource": {base + "/mcp"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	_ = json.NewDecoder(tok.Body).Decode(&tr)
	if tr.AccessToken == "" {
		t.Fatalf("token exchange failed: %s", tok.Status)
	}
	return tr.AccessToken
}

func bearerClient(t *testing.T, mcpURL, token string) *client.Client {
	t.Helper()
	tr, err := transport.NewStreamableHTTP(mcpURL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + token}))
	if err != nil {
		t.Fatal(err)
	}
	c := client.NewClient(tr)
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "e2e", Version: "1"}
	if _, err := c.Initialize(context.Background(), req); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	return c
}

func toolNames(t *testing.T, c *client.Client) string {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	return strings.Join(names, " ")
}

// rawCall posts one tools/call and returns the HTTP response.
func rawCall(t *testing.T, mcpURL, token, tool string) (*http.Response, string) {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"` + tool + `","arguments":{"taskId":"t1"}}}`
	req, _ := http.NewRequest("POST", mcpURL, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2025-11-25")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

func TestOAuthScopesOnTools(t *testing.T) {
	cfg := defaults(t)
	cfg.Auth = "oauth"
	cfg.DemoPassword = "correct horse battery"
	usersFile := filepath.Join(t.TempDir(), "users.yaml")
	cfg.UsersFile = usersFile
	for _, u := range []struct {
		name   string
		scopes []string
	}{{"alice", nil}, {"reader", []string{"tasks:read"}}} {
		if err := users.AddUser(usersFile, u.name, "password-of-"+u.name, u.scopes); err != nil {
			t.Fatal(err)
		}
	}
	cfg.DemoPassword = ""
	a, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")

	// No token: 401 with the discovery challenge, for every method.
	for _, method := range []string{"POST", "GET", "DELETE"} {
		req, _ := http.NewRequest(method, mcpURL, strings.NewReader(`{}`))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `resource_metadata="`+base+`/.well-known/oauth-protected-resource/mcp"`) {
			t.Fatalf("%s without token: %d %q", method, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}

	// alice grants read and write but not delete.
	token := authorize(t, base, "alice", "password-of-alice", []string{"tasks:read", "tasks:write"})
	c := bearerClient(t, mcpURL, token)
	names := toolNames(t, c)
	if !strings.Contains(names, "listTasks") || !strings.Contains(names, "createTask") || strings.Contains(names, "deleteTask") {
		t.Fatalf("tools for read+write token: %s", names)
	}
	before := len(a.Demo().Requests())
	resp, body := rawCall(t, mcpURL, token, "deleteTask")
	wa := resp.Header.Get("WWW-Authenticate")
	if resp.StatusCode != 403 || !strings.Contains(wa, `error="insufficient_scope"`) || !strings.Contains(wa, "tasks:delete") ||
		!strings.Contains(wa, "tasks:read") || !strings.Contains(wa, "resource_metadata=") {
		t.Fatalf("step-up: %d %q %s", resp.StatusCode, wa, body)
	}
	if len(a.Demo().Requests()) != before {
		t.Fatal("an out-of-scope call reached the upstream")
	}

	// reader may never have tasks:write: a tool error, not a step-up.
	token = authorize(t, base, "reader", "password-of-reader", []string{"tasks:read", "tasks:write", "tasks:delete"})
	c = bearerClient(t, mcpURL, token)
	if names := toolNames(t, c); names != "downloadAttachment getTask listTasks" {
		t.Fatalf("tools for reader: %s", names)
	}
	res := call(t, c, "updateTask", map[string]any{"taskId": "t1", "body": map[string]any{"status": "done"}})
	if !res.IsError || !strings.Contains(text(res), "not allowed the scope tasks:write") {
		t.Fatalf("reader calling updateTask: %s", text(res))
	}
	if res := call(t, c, "getTask", map[string]any{"taskId": "t1"}); res.IsError {
		t.Fatalf("reader calling getTask: %s", text(res))
	}

	// A garbage token is refused with invalid_token.
	resp, _ = rawCall(t, mcpURL, "not-a-token", "getTask")
	if resp.StatusCode != 401 || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("garbage token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	_ = os.Remove(usersFile)
}
