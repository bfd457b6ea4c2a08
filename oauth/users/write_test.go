package users

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

func TestHashPassword(t *testing.T) {
	if raceEnabled {
		t.Skip("bcrypt cost 12 is too slow under -race; covered by the normal run")
	}
	tests := []struct {
		pw      string
		wantErr string
	}{
		{"", "password is empty"},
		{strings.Repeat("x", 73), "password is 73 bytes long"},
		{strings.Repeat("é", 37), "password is 74 bytes long"},
		{strings.Repeat("x", 72), ""},
	}
	for _, tt := range tests {
		h, err := HashPassword(tt.pw)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("HashPassword(%d bytes) err = %v, want %q", len(tt.pw), err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		// One cost-12 hash only: comparing would double the (slow) work.
		if c, _ := bcrypt.Cost([]byte(h)); c != DefaultCost {
			t.Errorf("cost = %d, want %d", c, DefaultCost)
		}
	}
}

// userOf loads path and returns the user called name.
func userOf(t *testing.T, path, name string) User {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := parseFile(path, data)
	if err != nil {
		t.Fatalf("written file is invalid: %v\n%s", err, data)
	}
	for _, u := range list {
		if u.Name == name {
			return u
		}
	}
	t.Fatalf("user %q not in file:\n%s", name, data)
	return User{}
}

func TestAddUser(t *testing.T) {
	existing := `# Our team. Keep sorted.
users:
  - name: alice # the boss
    password_hash: "` + testHash(t, "old") + `"
    display_name: Alice Example
    scopes: [read]
  - name: bob
    password_hash: "` + testHash(t, "bob") + `"
`
	tests := []struct {
		name       string
		initial    *string // nil: no file
		user, pw   string
		scopes     []string
		wantScopes []string
		wantKeep   []string // substrings that must survive
	}{
		{name: "create file", user: "alice", pw: "pw", wantScopes: nil, wantKeep: []string{"specgate users file"}},
		{name: "create with scopes", user: "carol@example.com", pw: "pw", scopes: []string{"read", "write"},
			wantScopes: []string{"read", "write"}},
		{name: "append user", initial: &existing, user: "carol", pw: "pw", scopes: []string{"admin"},
			wantScopes: []string{"admin"}, wantKeep: []string{"# Our team. Keep sorted.", "# the boss", "Alice Example", "name: bob"}},
		{name: "update keeps scopes", initial: &existing, user: "alice", pw: "new",
			wantScopes: []string{"read"}, wantKeep: []string{"# the boss", "Alice Example", "name: bob"}},
		{name: "update replaces scopes", initial: &existing, user: "alice", pw: "new", scopes: []string{"write", "admin"},
			wantScopes: []string{"write", "admin"}, wantKeep: []string{"Alice Example"}},
		{name: "update lifts restriction", initial: &existing, user: "alice", pw: "new", scopes: []string{},
			wantScopes: nil, wantKeep: []string{"Alice Example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "users.yaml")
			if tt.initial != nil {
				if err := os.WriteFile(p, []byte(*tt.initial), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := addUser(p, tt.user, tt.pw, tt.scopes, bcrypt.MinCost); err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("mode = %v, want 0600", st.Mode().Perm())
			}
			u := userOf(t, p, tt.user)
			if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(tt.pw)) != nil {
				t.Error("stored hash does not match the new password")
			}
			if !slices.Equal(u.Scopes, tt.wantScopes) || (u.Scopes == nil) != (tt.wantScopes == nil) {
				t.Errorf("scopes = %#v, want %#v", u.Scopes, tt.wantScopes)
			}
			data, _ := os.ReadFile(p)
			for _, s := range tt.wantKeep {
				if !strings.Contains(string(data), s) {
					t.Errorf("file lost %q:\n%s", s, data)
				}
			}
			if tt.initial != nil && tt.user != "bob" {
				if bob := userOf(t, p, "bob"); bcrypt.CompareHashAndPassword([]byte(bob.PasswordHash), []byte("bob")) != nil {
					t.Error("other user's hash changed")
				}
			}
			if _, err := Load(p); err != nil {
				t.Errorf("Load after AddUser: %v", err)
			}
			leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(p), ".users.yaml.tmp-*"))
			if len(leftovers) > 0 {
				t.Errorf("temporary files left: %v", leftovers)
			}
		})
	}
}

func TestAddUserErrors(t *testing.T) {
	invalid := "users:\n  - name: a\n    pasword: x\n"
	tests := []struct {
		name     string
		initial  string
		user, pw string
		scopes   []string
		want     string
	}{
		{name: "bad name", user: "a b", pw: "x", want: `user name "a b" is invalid`},
		{name: "empty name", user: "", pw: "x", want: "is invalid"},
		{name: "bad scope", user: "a", pw: "x", scopes: []string{"read write"}, want: `invalid scope name "read write"`},
		{name: "empty password", user: "a", pw: "", want: "password is empty"},
		{name: "long password", user: "a", pw: strings.Repeat("p", 80), want: "password is 80 bytes long"},
		{name: "invalid file untouched", initial: invalid, user: "b", pw: "x", want: `file not changed: users file`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "users.yaml")
			if tt.initial != "" {
				if err := os.WriteFile(p, []byte(tt.initial), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			err := addUser(p, tt.user, tt.pw, tt.scopes, bcrypt.MinCost)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			data, rerr := os.ReadFile(p)
			if tt.initial == "" && !errors.Is(rerr, os.ErrNotExist) {
				t.Fatalf("a file was created despite the error")
			}
			if tt.initial != "" && string(data) != tt.initial {
				t.Fatalf("file changed despite the error:\n%s", data)
			}
		})
	}
}

func TestAddUserThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.yaml")
	link := filepath.Join(dir, "users.yaml")
	if err := addUser(real, "a", "x", nil, bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if err := addUser(link, "b", "y", nil, bcrypt.MinCost); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("symlink replaced by a file: %v", err)
	}
	userOf(t, real, "b")
}

// TestAddUserDefaultCost checks the exported AddUser hashes at DefaultCost.
// It does a single cost-12 hash; verifying and loading are tested at
// bcrypt.MinCost elsewhere, since cost 12 is slow under -race.
func TestAddUserDefaultCost(t *testing.T) {
	if raceEnabled {
		t.Skip("bcrypt cost 12 is too slow under -race; covered by the normal run")
	}
	p := filepath.Join(t.TempDir(), "users.yaml")
	if err := AddUser(p, "alice", "correct horse", []string{"read"}); err != nil {
		t.Fatal(err)
	}
	u := userOf(t, p, "alice")
	if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err != nil || c != DefaultCost {
		t.Fatalf("cost = %d, %v; want %d", c, err, DefaultCost)
	}
}

func TestReadPasswordPipe(t *testing.T) {
	tests := []struct {
		in, want, wantErr, rest string
	}{
		{in: "secret\n", want: "secret"},
		{in: "secret\r\nnext line\n", want: "secret", rest: "next line\n"},
		{in: "no newline", want: "no newline"},
		{in: "  spaces kept  \n", want: "  spaces kept  "},
		{in: "", wantErr: "no password on standard input"},
		{in: "\n", wantErr: "password is empty"},
		{in: strings.Repeat("x", 73) + "\n", wantErr: "73 bytes long"},
		{in: strings.Repeat("x", 5000), wantErr: "line longer than 4096 bytes"},
	}
	for _, tt := range tests {
		r := strings.NewReader(tt.in)
		got, err := ReadPassword(r, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ReadPassword(%.20q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ReadPassword(%.20q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		if rest, _ := io.ReadAll(r); string(rest) != tt.rest {
			t.Errorf("ReadPassword(%.20q) consumed past the line: rest %q", tt.in, rest)
		}
	}
}

func TestReadTwice(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		answers []string
		errAt   int // answer index that fails, -1 none
		want    string
		wantErr string
	}{
		{"match", []string{"pw", "pw"}, -1, "pw", ""},
		{"mismatch", []string{"pw", "pW"}, -1, "", "passwords do not match"},
		{"empty first", []string{"", ""}, -1, "", "password is empty"},
		{"too long", []string{strings.Repeat("a", 73), ""}, -1, "", "73 bytes long"},
		{"read error", []string{"pw", "pw"}, 1, "", "read password: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prompts []string
			i := 0
			got, err := readTwice(func(prompt string) ([]byte, error) {
				prompts = append(prompts, prompt)
				defer func() { i++ }()
				if i == tt.errAt {
					return nil, boom
				}
				return []byte(tt.answers[i]), nil
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("= %q, %v", got, err)
			}
			if !slices.Equal(prompts, []string{"Password: ", "Repeat password: "}) {
				t.Fatalf("prompts = %q", prompts)
			}
		})
	}
}
