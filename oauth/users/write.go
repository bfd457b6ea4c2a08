package users

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// DefaultCost is the bcrypt cost HashPassword uses (about 0.25 s per hash on
// a current server core, a deliberate brake on password guessing).
const DefaultCost = 12

// maxPassword is the most bcrypt uses; longer passwords would be truncated
// silently, so they are refused instead.
const maxPassword = 72

// checkPassword rejects passwords bcrypt cannot handle faithfully.
func checkPassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("password is empty")
	case len(pw) > maxPassword:
		return fmt.Errorf("password is %d bytes long; bcrypt uses at most %d bytes, so choose a shorter one", len(pw), maxPassword)
	}
	return nil
}

// HashPassword returns the bcrypt hash (cost DefaultCost) of pw. It refuses
// an empty password and one longer than 72 bytes.
func HashPassword(pw string) (string, error) {
	return hashPassword(pw, DefaultCost)
}

func hashPassword(pw string, cost int) (string, error) {
	if err := checkPassword(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), cost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// header starts a users file that AddUser creates.
const header = `specgate users file. Manage it with "specgate users add NAME";
password_hash is bcrypt. scopes is optional: omitted = every scope.`

// AddUser creates the users file at path, or updates it, so that user name
// has password. Other users, comments and display names are kept. The file is
// replaced atomically (temporary file + rename) with mode 0600; an existing
// invalid file is left untouched and reported.
//
// scopes: nil keeps the user's current scopes (a new user gets every scope);
// a non-empty list replaces them; a non-nil empty list removes the
// restriction, so the user may be granted every scope.
//
// AddUser does not lock the file: concurrent calls may lose one update.
func AddUser(path, name, password string, scopes []string) error {
	return addUser(path, name, password, scopes, DefaultCost)
}

func addUser(path, name, password string, scopes []string, cost int) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("add user: user name %w", err)
	}
	for _, s := range scopes {
		if err := checkScope(s); err != nil {
			return fmt.Errorf("add user %s: %w", name, err)
		}
	}
	hash, err := hashPassword(password, cost)
	if err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	target := path
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		data = nil
	case err != nil:
		return fmt.Errorf("add user %s: %w", name, err)
	default:
		// Write through a symlink instead of replacing it.
		if target, err = filepath.EvalSymlinks(path); err != nil {
			return fmt.Errorf("add user %s: %w", name, err)
		}
	}
	_, doc, err := parseFile(path, data)
	if err != nil {
		return fmt.Errorf("add user %s: file not changed: %w", name, err)
	}
	setUser(usersList(&doc), name, hash, scopes)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("add user %s: encode %s: %w", name, path, err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("add user %s: encode %s: %w", name, path, err)
	}
	// Never write a file Load would reject.
	if _, _, err := parseFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("add user %s: internal error, file not changed: %w", name, err)
	}
	if err := writeAtomic(target, buf.Bytes()); err != nil {
		return fmt.Errorf("add user %s: %w", name, err)
	}
	return nil
}

// usersList returns the "users" sequence of *doc, creating the document,
// the top-level mapping and the sequence as needed.
func usersList(doc **yaml.Node) *yaml.Node {
	if *doc == nil {
		*doc = &yaml.Node{Kind: yaml.DocumentNode}
	}
	d := *doc
	if len(d.Content) == 0 || isNull(resolve(d.Content[0])) {
		d.Content = []*yaml.Node{{Kind: yaml.MappingNode, HeadComment: header}}
	}
	root := resolve(d.Content[0])
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == keyUsers {
			v := resolve(root.Content[i+1])
			if isNull(v) {
				*v = yaml.Node{Kind: yaml.SequenceNode}
			}
			return v
		}
	}
	list := &yaml.Node{Kind: yaml.SequenceNode}
	root.Content = append(root.Content, str(keyUsers), list)
	return list
}

// setUser updates the entry for name in list, or appends one.
func setUser(list *yaml.Node, name, hash string, scopes []string) {
	var entry *yaml.Node
	for _, item := range list.Content {
		m := resolve(item)
		if v := mapValue(m, keyName); v != nil && v.Value == name {
			entry = m
			break
		}
	}
	if entry == nil {
		entry = &yaml.Node{Kind: yaml.MappingNode}
		entry.Content = append(entry.Content, str(keyName), str(name))
		list.Content = append(list.Content, entry)
	}
	h := str(hash)
	h.Style = yaml.DoubleQuotedStyle
	setKey(entry, keyHash, h)
	switch {
	case scopes == nil:
	case len(scopes) == 0:
		deleteKey(entry, keyScopes)
	default:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range scopes {
			seq.Content = append(seq.Content, str(s))
		}
		setKey(entry, keyScopes, seq)
	}
}

func str(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
}

// mapValue returns the value of key in mapping m, or nil.
func mapValue(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return resolve(m.Content[i+1])
		}
	}
	return nil
}

// setKey sets key in mapping m to v, keeping the old value's comments.
func setKey(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			old := m.Content[i+1]
			v.HeadComment, v.LineComment, v.FootComment = old.HeadComment, old.LineComment, old.FootComment
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

// deleteKey removes key from mapping m.
func deleteKey(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// writeAtomic replaces path with data, mode 0600, so readers see either the
// old or the new file, never a partial one.
func writeAtomic(path string, data []byte) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Make the rename durable; not every platform can sync a directory.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
