package app_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestUsersFileChangesApplyToIssuedTokens edits the users file after tokens
// were issued: a removed user's token and refresh token stop working, and a
// user whose scopes were narrowed loses the dropped scope at once.
func TestUsersFileChangesApplyToIssuedTokens(t *testing.T) {
	cfg := defaults(t)
	cfg.Auth = "oauth"
	cfg.UsersFile = writeUsersFile(t, "alice", "bob")
	_, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")

	alice := obtainGrant(t, base, nil, "alice", allScopes)
	bob := obtainGrant(t, base, nil, "bob", allScopes)
	if status, body := callTool(t, mcpURL, nil, alice.Access); !callOK(status, body) {
		t.Fatalf("alice before: %d %s", status, body)
	}

	// Remove alice; narrow bob to reading.
	hash, err := bcrypt.GenerateFromPassword([]byte(password("bob")), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	content := fmt.Sprintf("users:\n  - name: bob\n    password_hash: %q\n    scopes: [tasks:read]\n", hash)
	if err := os.WriteFile(cfg.UsersFile, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	status, _ := callTool(t, mcpURL, nil, alice.Access)
	if status != http.StatusUnauthorized {
		t.Fatalf("removed user's access token: %d, want 401", status)
	}
	if status, _, body := refresh(t, base, nil, alice); status != http.StatusBadRequest || !strings.Contains(body, "invalid_grant") {
		t.Fatalf("removed user's refresh: %d %s", status, body)
	}

	c := bearerClient(t, mcpURL, bob.Access)
	if names := toolNames(t, c); strings.Contains(names, "createTask") || !strings.Contains(names, "getTask") {
		t.Fatalf("bob's tools after narrowing: %s", names)
	}
	res := call(t, c, "createTask", map[string]any{"body": map[string]any{"title": "x"}})
	if !res.IsError || !strings.Contains(text(res), "not allowed the scope tasks:write") {
		t.Fatalf("bob createTask after narrowing: %s", text(res))
	}
}
