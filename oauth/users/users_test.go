package users

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/specgate/specgate/oauth/authn"
)

// testHash hashes pw at the minimum cost so tests stay fast.
func testHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

func writeFile(t testing.TB, dir, content string) string {
	t.Helper()
	p := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadErrors(t *testing.T) {
	h := testHash(t, "pw")
	tests := []struct {
		name    string
		content string
		want    string // substring of the error
	}{
		{"empty file", "", "no users defined"},
		{"only comments", "# nothing\n", "no users defined"},
		{"null users", "users:\n", "no users defined"},
		{"empty list", "users: []\n", "no users defined"},
		{"syntax error", "users:\n  - name: a\n   bad", "users file "},
		{"top level list", "- name: a\n", "line 1: the top level must be a mapping"},
		{"unknown top key", "users: []\nuser:\n", `line 2: unknown key "user" (allowed: users)`},
		{"users twice", "users: []\nusers: []\n", `line 2: key "users" appears twice`},
		{"users not list", "users: alice\n", `line 1: "users" must be a list`},
		{"user not mapping", "users:\n  - alice\n", "line 2: each user must be a mapping"},
		{"unknown user key", "users:\n  - name: a\n    pasword_hash: x\n",
			`line 3: unknown key "pasword_hash" (allowed: name, password_hash, display_name, scopes)`},
		{"missing hash", "users:\n  - name: a\n", `line 2: user is missing the required key "password_hash"`},
		{"missing name", "users:\n  - password_hash: \"" + h + "\"\n", `line 2: user is missing the required key "name"`},
		{"bad name", "users:\n  - name: a b\n    password_hash: \"" + h + "\"\n", `line 2: name "a b" is invalid`},
		{"name too long", "users:\n  - name: " + strings.Repeat("x", 65) + "\n", "is invalid"},
		{"null name", "users:\n  - name:\n", "line 2: name must be a single value"},
		{"plain password", "users:\n  - name: a\n    password_hash: hunter2\n", "line 3: password_hash is not a bcrypt hash"},
		{"sha hash", "users:\n  - name: a\n    password_hash: \"$6$abc$def\"\n", "is not a bcrypt hash"},
		{"truncated bcrypt", "users:\n  - name: a\n    password_hash: \"$2a$12$abc\"\n", "is a malformed bcrypt hash"},
		{"duplicate key", "users:\n  - name: a\n    name: b\n", `line 3: key "name" appears twice`},
		{"duplicate user", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n  - name: a\n    password_hash: \"" + h + "\"\n",
			`line 4: user "a" is already defined at line 2`},
		{"scopes not list", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    scopes: read\n", "line 4: scopes must be a list"},
		{"scopes empty", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    scopes: []\n", "omit the key to allow every scope"},
		{"bad scope", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    scopes:\n      - ok\n      - \"bad scope\"\n",
			`line 6: scopes: invalid scope name "bad scope"`},
		{"nested scope", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    scopes: [[x]]\n", "each scope must be a single value"},
		{"blank display name", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    display_name: \" \"\n", "line 4: display_name is empty"},
		{"control display name", "users:\n  - name: a\n    password_hash: \"" + h + "\"\n    display_name: \"a\\u0007\"\n", "control characters"},
		{"two documents", "users: []\n---\nusers: []\n", "only one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), tt.content)
			_, err := Load(p)
			if err == nil {
				t.Fatalf("Load succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("Load error = %q, want it to name %s and contain %q", err, p, tt.want)
			}
			if strings.Contains(err.Error(), h) {
				t.Fatalf("error reveals a password hash: %q", err)
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.yaml")
	if _, err := Load(p); !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Fatalf("Load(missing) = %v, want ErrNotExist naming the path", err)
	}
}

func TestAuthenticate(t *testing.T) {
	content := `# team
users:
  - name: alice
    password_hash: "` + testHash(t, "alice-pw") + `"
    display_name: Alice Example
    scopes: [read, write, read]
  - name: Bob
    password_hash: '` + testHash(t, "bob-pw") + `'
  - name: "12345"
    password_hash: ` + testHash(t, "num-pw") + `
`
	f, err := Load(writeFile(t, t.TempDir(), content))
	if err != nil {
		t.Fatal(err)
	}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name     string
		ctx      context.Context
		user, pw string
		want     *authn.Identity
		wantErr  error
	}{
		{"alice", context.Background(), "alice", "alice-pw",
			&authn.Identity{Subject: "alice", DisplayName: "Alice Example", AllowedScopes: []string{"read", "write"}}, nil},
		{"bob all scopes", context.Background(), "Bob", "bob-pw",
			&authn.Identity{Subject: "Bob", DisplayName: "Bob"}, nil},
		{"numeric name", context.Background(), "12345", "num-pw",
			&authn.Identity{Subject: "12345", DisplayName: "12345"}, nil},
		{"wrong password", context.Background(), "alice", "bob-pw", nil, authn.ErrInvalidCredentials},
		{"unknown user", context.Background(), "mallory", "alice-pw", nil, authn.ErrInvalidCredentials},
		{"case-sensitive name", context.Background(), "bob", "bob-pw", nil, authn.ErrInvalidCredentials},
		{"name with space", context.Background(), "alice ", "alice-pw", nil, authn.ErrInvalidCredentials},
		{"empty password", context.Background(), "alice", "", nil, authn.ErrInvalidCredentials},
		{"empty user", context.Background(), "", "x", nil, authn.ErrInvalidCredentials},
		{"canceled", canceled, "alice", "alice-pw", nil, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := f.Authenticate(tt.ctx, tt.user, tt.pw)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if tt.want == nil {
				if id != nil {
					t.Fatalf("identity %+v returned with an error", id)
				}
				return
			}
			if id.Subject != tt.want.Subject || id.DisplayName != tt.want.DisplayName ||
				!slices.Equal(id.AllowedScopes, tt.want.AllowedScopes) || (id.AllowedScopes == nil) != (tt.want.AllowedScopes == nil) {
				t.Fatalf("identity = %+v, want %+v", id, tt.want)
			}
		})
	}
}

func TestDummyHashMatchesUserCost(t *testing.T) {
	h4 := testHash(t, "x")
	h5, _ := bcrypt.GenerateFromPassword([]byte("y"), 5)
	f := NewStatic(User{Name: "a", PasswordHash: h4}, User{Name: "b", PasswordHash: h4}, User{Name: "c", PasswordHash: string(h5)})
	if c, _ := bcrypt.Cost(f.set.dummy); c != bcrypt.MinCost {
		t.Fatalf("dummy cost %d, want the most common user cost %d", c, bcrypt.MinCost)
	}
}

func TestReload(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "users.yaml")
	ctx := context.Background()
	if err := addUser(p, "alice", "one", nil, bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name    string
		change  func() error
		user    string
		pw      string
		wantErr error
	}{
		{"initial", func() error { return nil }, "alice", "one", nil},
		{"password changed", func() error { return addUser(p, "alice", "two", nil, bcrypt.MinCost) }, "alice", "two", nil},
		{"old password refused", func() error { return nil }, "alice", "one", authn.ErrInvalidCredentials},
		{"user added", func() error { return addUser(p, "bob", "b", nil, bcrypt.MinCost) }, "bob", "b", nil},
		{"broken file", func() error { return os.WriteFile(p, []byte("users: [oops"), 0o600) }, "alice", "two", authn.ErrUnavailable},
		{"still broken", func() error { return nil }, "bob", "b", authn.ErrUnavailable},
		{"file removed", func() error { return os.Remove(p) }, "alice", "two", authn.ErrUnavailable},
		{"file restored", func() error { return addUser(p, "carol", "c", nil, bcrypt.MinCost) }, "carol", "c", nil},
		{"removed user gone", func() error { return nil }, "alice", "two", authn.ErrInvalidCredentials},
	}
	for _, s := range steps {
		if err := s.change(); err != nil {
			t.Fatalf("%s: change: %v", s.name, err)
		}
		_, err := f.Authenticate(ctx, s.user, s.pw)
		if !errors.Is(err, s.wantErr) || (err == nil) != (s.wantErr == nil) {
			t.Fatalf("%s: Authenticate = %v, want %v", s.name, err, s.wantErr)
		}
	}
}

func TestConcurrentAuthenticate(t *testing.T) {
	p := filepath.Join(t.TempDir(), "users.yaml")
	if err := addUser(p, "alice", "pw", nil, bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	f, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				if i == 0 {
					if err := addUser(p, "alice", "pw", nil, bcrypt.MinCost); err != nil {
						t.Error(err)
					}
				}
				if _, err := f.Authenticate(context.Background(), "alice", "pw"); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}

func TestNewStatic(t *testing.T) {
	f := NewStatic(User{Name: "demo", PasswordHash: testHash(t, "demo"), Scopes: []string{"read"}})
	id, err := f.Authenticate(context.Background(), "demo", "demo")
	if err != nil || id.Subject != "demo" || !slices.Equal(id.AllowedScopes, []string{"read"}) {
		t.Fatalf("Authenticate = %+v, %v", id, err)
	}
	id.AllowedScopes[0] = "admin"
	if id2, _ := f.Authenticate(context.Background(), "demo", "demo"); id2.AllowedScopes[0] != "read" {
		t.Fatal("identity aliases the stored scopes")
	}
	if f.Path() != "" {
		t.Fatalf("Path = %q, want empty", f.Path())
	}
	bad := []struct {
		name  string
		users []User
	}{
		{"plain password", []User{{Name: "a", PasswordHash: "secret"}}},
		{"bad name", []User{{Name: "a b", PasswordHash: testHash(t, "x")}}},
		{"duplicate", []User{{Name: "a", PasswordHash: testHash(t, "x")}, {Name: "a", PasswordHash: testHash(t, "y")}}},
	}
	for _, tt := range bad {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewStatic did not panic", tt.name)
				}
			}()
			NewStatic(tt.users...)
		}()
	}
}

func FuzzParseFile(f *testing.F) {
	h := testHash(f, "pw")
	f.Add("users:\n  - name: a\n    password_hash: \"" + h + "\"\n    scopes: [read]\n")
	f.Add("users:\n  - &x {name: a, password_hash: \"" + h + "\"}\n  - *x\n")
	f.Add("users: [{name: b, password_hash: '" + h + "', display_name: B}]")
	f.Add("users:\n  - name: a\n    <<: {password_hash: x}\n")
	f.Fuzz(func(t *testing.T, content string) {
		list, _, err := parseFile("fuzz.yaml", []byte(content))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "users file fuzz.yaml") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, u := range list {
			if checkName(u.Name) != nil || checkHash(u.PasswordHash) != nil || seen[u.Name] {
				t.Fatalf("accepted invalid user %+v", u)
			}
			seen[u.Name] = true
		}
	})
}
