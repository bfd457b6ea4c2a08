package app_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// This file drives the OAuth endpoints over plain HTTP for tests that need
// more than authorize() gives (the refresh token, a chosen transport so a
// test can pick the replica per request) and that run as benchmarks too
// (testing.TB).

// allScopes are the demo API's scopes.
var allScopes = []string{"tasks:read", "tasks:write", "tasks:delete"}

// tokenSet is what the token endpoint issued for one grant.
type tokenSet struct {
	ClientID string
	Access   string
	Refresh  string
}

const flowRedirect = "http://127.0.0.1:9/callback"

// writeUsersFile writes a users file where each user's password is
// "password-of-<name>" and every scope is allowed. It writes the file
// directly, with bcrypt's minimum cost, instead of users.AddUser: cost 12
// takes seconds per user under the race detector, and what is tested here
// is the sharing of state, not password hashing.
func writeUsersFile(tb testing.TB, names ...string) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("users:\n")
	for _, n := range names {
		h, err := bcrypt.GenerateFromPassword([]byte(password(n)), bcrypt.MinCost)
		if err != nil {
			tb.Fatal(err)
		}
		fmt.Fprintf(&b, "  - name: %s\n    password_hash: %q\n", n, h)
	}
	p := filepath.Join(tb.TempDir(), "users.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		tb.Fatal(err)
	}
	return p
}

func password(user string) string { return "password-of-" + user }

// flowClient is an HTTP client that keeps cookies and does not follow
// redirects, over rt (nil: http.DefaultTransport).
func flowClient(rt http.RoundTripper) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Transport:     rt,
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// send does one request and returns the response with its body read.
func send(tb testing.TB, hc *http.Client, method, u string, form url.Values) (*http.Response, string) {
	tb.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		tb.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp, string(data)
}

// obtainGrant registers a client, logs user in, approves scopes and
// exchanges the code, every request through rt against the public URL base.
// The password is that of writeUsersFile.
func obtainGrant(tb testing.TB, base string, rt http.RoundTripper, user string, scopes []string) tokenSet {
	tb.Helper()
	return obtainGrantAs(tb, base, rt, user, password(user), scopes)
}

// obtainGrantAs is obtainGrant with the user's password given.
func obtainGrantAs(tb testing.TB, base string, rt http.RoundTripper, user, pw string, scopes []string) tokenSet {
	tb.Helper()
	hc := flowClient(rt)
	req, _ := http.NewRequest("POST", base+"/register", strings.NewReader(`{"client_name":"replica-e2e","redirect_uris":["`+flowRedirect+
		`"],"token_endpoint_auth_method":"none","grant_types":["authorization_code","refresh_token"],"response_types":["code"]}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		tb.Fatalf("register: %v", err)
	}
	var reg struct {
		ClientID string `json:"client_id"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&reg)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || reg.ClientID == "" {
		tb.Fatalf("register: %s", resp.Status)
	}

	verifier := "replica-verifier-0123456789-0123456789-0123456789"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{
		"response_type": {"code"}, "client_id": {reg.ClientID}, "redirect_uri": {flowRedirect},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"},
		"state": {"state-12345"}, "resource": {base + "/mcp"}, "scope": {strings.Join(scopes, " ")},
	}
	resp, page := send(tb, hc, "GET", base+"/authorize?"+q.Encode(), nil)
	for hops := 0; ; hops++ {
		if hops > 6 {
			tb.Fatalf("authorization did not finish; last %d: %.300s", resp.StatusCode, page)
		}
		switch {
		case strings.Contains(page, `name="password"`):
			form := hidden(page)
			form.Set("username", user)
			form.Set("password", pw)
			resp, page = send(tb, hc, "POST", base+resp.Request.URL.Path, form)
			continue
		case strings.Contains(page, `name="decision"`):
			form := hidden(page)
			for _, m := range boxRE.FindAllStringSubmatch(page, -1) {
				for _, s := range scopes {
					if m[1] == s {
						form.Add("scope", s)
					}
				}
			}
			form.Set("decision", "approve")
			resp, page = send(tb, hc, "POST", base+resp.Request.URL.Path, form)
			continue
		}
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			tb.Fatalf("authorization stopped at %d %s: %.300s", resp.StatusCode, resp.Request.URL.Path, page)
		}
		loc, err := resp.Location()
		if err != nil {
			tb.Fatalf("redirect without location: %v", err)
		}
		if strings.HasPrefix(loc.String(), flowRedirect) {
			code := loc.Query().Get("code")
			if code == "" || loc.Query().Get("state") != "state-12345" {
				tb.Fatalf("redirect back without code: %s", loc.Redacted())
			}
			return exchange(tb, hc, base, reg.ClientID, url.Values{
				"grant_type": {"authorization_code"}, "code": {code}, "code_verifier": {verifier},
				"redirect_uri": {flowRedirect}, "client_id": {reg.ClientID}, "resource": {base + "/mcp"},
			})
		}
		resp, page = send(tb, hc, "GET", loc.String(), nil)
	}
}

// exchange posts form to the token endpoint and wants tokens back.
func exchange(tb testing.TB, hc *http.Client, base, clientID string, form url.Values) tokenSet {
	tb.Helper()
	status, ts, body := tokenRequest(tb, hc, base, clientID, form)
	if status != http.StatusOK {
		tb.Fatalf("token endpoint (%s): %d %s", form.Get("grant_type"), status, body)
	}
	return ts
}

// tokenRequest posts form to the token endpoint.
func tokenRequest(tb testing.TB, hc *http.Client, base, clientID string, form url.Values) (int, tokenSet, string) {
	tb.Helper()
	resp, body := send(tb, hc, "POST", base+"/token", form)
	var tr struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
	}
	_ = json.Unmarshal([]byte(body), &tr)
	if resp.StatusCode == http.StatusOK && (tr.AccessToken == "" || tr.RefreshToken == "") {
		tb.Fatalf("token endpoint answered 200 without both tokens: %s", body)
	}
	return resp.StatusCode, tokenSet{ClientID: clientID, Access: tr.AccessToken, Refresh: tr.RefreshToken}, body
}

// refresh redeems ts's refresh token through rt; the tokens are valid only
// when the status is 200. body is the response for error checks.
func refresh(tb testing.TB, base string, rt http.RoundTripper, ts tokenSet) (int, tokenSet, string) {
	tb.Helper()
	return tokenRequest(tb, flowClient(rt), base, ts.ClientID, url.Values{
		"grant_type": {"refresh_token"}, "refresh_token": {ts.Refresh}, "client_id": {ts.ClientID}, "resource": {base + "/mcp"},
	})
}

// revoke revokes token (RFC 7009) through rt and returns the status.
func revoke(tb testing.TB, base string, rt http.RoundTripper, clientID, token, hint string) int {
	tb.Helper()
	resp, body := send(tb, flowClient(rt), "POST", base+"/revoke", url.Values{
		"token": {token}, "token_type_hint": {hint}, "client_id": {clientID},
	})
	if resp.StatusCode != http.StatusOK {
		tb.Logf("revoke: %d %s", resp.StatusCode, body)
	}
	return resp.StatusCode
}

// modernProtocol is the MCP protocol version of the stateless era.
const modernProtocol = "2026-07-28"

// toolCallRequest builds a 2026-07-28 tools/call POST as a stateless client
// sends it: the version in the header and in _meta, the method and tool
// name repeated in Mcp-Method and Mcp-Name.
func toolCallRequest(mcpURL, token, tool, args string) *http.Request {
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + args +
		`,"_meta":{"io.modelcontextprotocol/protocolVersion":"` + modernProtocol +
		`","io.modelcontextprotocol/clientInfo":{"name":"specgate-test","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}`
	req, _ := http.NewRequest("POST", mcpURL, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", modernProtocol)
	req.Header.Set("Mcp-Method", "tools/call")
	req.Header.Set("Mcp-Name", tool)
	return req
}

// callTool posts one 2026-07-28 tools/call of getTask t1 through rt and
// returns the status and body.
func callTool(tb testing.TB, mcpURL string, rt http.RoundTripper, token string) (int, string) {
	tb.Helper()
	hc := &http.Client{Transport: rt, Timeout: 15 * time.Second}
	resp, err := hc.Do(toolCallRequest(mcpURL, token, "getTask", `{"taskId":"t1"}`))
	if err != nil {
		tb.Fatalf("tools/call: %v", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// callOK reports whether a tools/call answer is a successful getTask result.
func callOK(status int, body string) bool {
	return status == http.StatusOK && strings.Contains(body, `"result"`) && !strings.Contains(body, `"isError":true`)
}
