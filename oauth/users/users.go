// Package users authenticates users against a YAML users file with bcrypt
// password hashes:
//
//	users:
//	  - name: alice
//	    password_hash: "$2a$12$..."   # bcrypt; create with `specgate users add`
//	    display_name: Alice Example   # optional
//	    scopes: [read, write]         # optional; omitted = every scope
//
// Unknown keys, duplicate users and anything but bcrypt hashes are errors
// that name the file and line. User names are compared exactly: "Alice" and
// "alice" are different users, and no Unicode normalization is applied.
package users

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"slices"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/specgate/specgate/oauth/authn"
)

// User is one entry of a users file.
type User struct {
	// Name is the login name and the token subject: ^[A-Za-z0-9._@-]{1,64}$.
	Name string
	// PasswordHash is a bcrypt hash (see HashPassword).
	PasswordHash string
	// DisplayName is shown on pages; empty means Name.
	DisplayName string
	// Scopes limits what the user may be granted; nil means every scope.
	Scopes []string
}

// File is a set of users that implements authn.Authenticator. A File from
// Load notices when its file changes (by size, modification time or
// identity, checked on every Authenticate) and reloads it; while the file is
// missing or invalid every login fails with authn.ErrUnavailable, so a
// broken edit never silently keeps removed users working.
type File struct {
	path string // "" for NewStatic: never reloaded

	mu   sync.Mutex
	set  *userSet
	info os.FileInfo // what set (or err) was read from
	err  error       // why the file at info could not be used
}

// userSet is one immutable generation of users.
type userSet struct {
	byName map[string]User
	// dummy is compared against when the user does not exist, so unknown
	// names cost as much time as wrong passwords.
	dummy []byte
}

var _ authn.Authenticator = (*File)(nil)

// Load reads and validates the users file at path.
func Load(path string) (*File, error) {
	f := &File{path: path}
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	set, err := readSet(path)
	if err != nil {
		return nil, err
	}
	f.set, f.info = set, info
	return f, nil
}

// NewStatic returns a File holding users (for the built-in demo user). It
// is never reloaded. It panics if a user is invalid or duplicated, like
// regexp.MustCompile, since such users come from code, not configuration.
func NewStatic(users ...User) *File {
	for i, u := range users {
		for _, err := range []error{checkName(u.Name), checkHash(u.PasswordHash)} {
			if err != nil {
				panic(fmt.Sprintf("users.NewStatic: user %d (%q): %v", i, u.Name, err))
			}
		}
	}
	set, err := newSet(users)
	if err != nil {
		panic("users.NewStatic: " + err.Error())
	}
	return &File{set: set}
}

// readSet reads, parses and validates the file at path.
func readSet(path string) (*userSet, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	list, _, err := parseFile(path, data)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, &parseError{path: path, msg: "no users defined; add one with `specgate users add`"}
	}
	return newSet(list)
}

// newSet indexes users and makes a dummy hash of the cost most of them use.
func newSet(list []User) (*userSet, error) {
	s := &userSet{byName: make(map[string]User, len(list))}
	costs := map[int]int{}
	for _, u := range list {
		if _, dup := s.byName[u.Name]; dup {
			return nil, fmt.Errorf("user %q is defined twice", u.Name)
		}
		u.Scopes = slices.Clone(u.Scopes)
		s.byName[u.Name] = u
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil {
			costs[c]++
		}
	}
	cost, best := DefaultCost, 0
	for c, n := range costs {
		if n > best || (n == best && c > cost) {
			cost, best = c, n
		}
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte(rand.Text()), cost)
	if err != nil {
		return nil, fmt.Errorf("make dummy hash: %w", err)
	}
	s.dummy = dummy
	return s, nil
}

// current returns the users to check against, reloading the file if it
// changed since it was last read.
func (f *File) current() (*userSet, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.path == "" {
		return f.set, nil
	}
	info, err := os.Stat(f.path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	if f.info != nil && os.SameFile(info, f.info) && info.ModTime().Equal(f.info.ModTime()) && info.Size() == f.info.Size() {
		return f.set, f.err
	}
	set, err := readSet(f.path)
	f.info, f.err = info, err
	if err != nil {
		f.set = nil
		return nil, err
	}
	f.set = set
	return set, nil
}

// Authenticate implements authn.Authenticator. It returns an error wrapping
// authn.ErrInvalidCredentials for an unknown user, an empty password or a
// wrong password, after the same bcrypt work in each case; an error wrapping
// authn.ErrUnavailable when the file cannot be read or is invalid; or
// ctx.Err() if ctx is already done.
func (f *File) Authenticate(ctx context.Context, username, password string) (*authn.Identity, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	set, err := f.current()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", authn.ErrUnavailable, err)
	}
	u, ok := set.byName[username]
	hash := set.dummy
	if ok && password != "" {
		hash = []byte(u.PasswordHash)
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || !ok || password == "" {
		return nil, authn.ErrInvalidCredentials
	}
	id := &authn.Identity{Subject: u.Name, DisplayName: u.DisplayName, AllowedScopes: slices.Clone(u.Scopes)}
	if id.DisplayName == "" {
		id.DisplayName = u.Name
	}
	return id, nil
}

// Lookup implements authn.Directory: the user's current identity from the
// file (reloaded when it changed), or authn.ErrUnknownUser.
func (f *File) Lookup(ctx context.Context, subject string) (*authn.Identity, error) {
	set, err := f.current()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", authn.ErrUnavailable, err)
	}
	u, ok := set.byName[subject]
	if !ok {
		return nil, authn.ErrUnknownUser
	}
	id := &authn.Identity{Subject: u.Name, DisplayName: u.DisplayName, AllowedScopes: slices.Clone(u.Scopes)}
	if id.DisplayName == "" {
		id.DisplayName = u.Name
	}
	return id, nil
}

// Path returns the file's path; it is empty for a File from NewStatic.
func (f *File) Path() string { return f.path }
