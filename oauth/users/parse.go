package users

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/crypto/bcrypt"
	"gopkg.in/yaml.v3"
)

// The keys a users file may contain. Anything else is an error, so a typo
// such as "pasword_hash" cannot silently drop a setting.
const (
	keyUsers       = "users"
	keyName        = "name"
	keyHash        = "password_hash"
	keyDisplayName = "display_name"
	keyScopes      = "scopes"
)

var (
	userKeys = []string{keyName, keyHash, keyDisplayName, keyScopes}
	nameRE   = regexp.MustCompile(`^[A-Za-z0-9._@-]{1,64}$`)
)

// maxDisplayName bounds display names, which appear on the consent page.
const maxDisplayName = 128

// parseError is a problem in a users file at a known place.
type parseError struct {
	path string
	line int // 0 when unknown
	msg  string
}

func (e *parseError) Error() string {
	if e.line > 0 {
		return fmt.Sprintf("users file %s, line %d: %s", e.path, e.line, e.msg)
	}
	return fmt.Sprintf("users file %s: %s", e.path, e.msg)
}

// fileError builds a *parseError that names the file and n's line.
func fileError(path string, n *yaml.Node, format string, args ...any) error {
	e := &parseError{path: path, msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.line = n.Line
	}
	return e
}

// parseFile parses and validates the YAML of a users file. It returns the
// users in file order and the document node (nil for an empty file), which
// AddUser edits so comments and formatting survive.
func parseFile(path string, data []byte) ([]User, *yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("users file %s: %w", path, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, fileError(path, &extra, "only one YAML document is allowed")
	}
	if len(doc.Content) == 0 {
		return nil, &doc, nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, &doc, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, fileError(path, root, "the top level must be a mapping with the key %q", keyUsers)
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		if k.Value != keyUsers {
			return nil, nil, fileError(path, k, "unknown key %q (allowed: %s)", k.Value, keyUsers)
		}
		if list != nil {
			return nil, nil, fileError(path, k, "key %q appears twice", keyUsers)
		}
		list = v
	}
	if list == nil || isNull(list) {
		return nil, &doc, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, nil, fileError(path, list, "%q must be a list of users", keyUsers)
	}
	out := make([]User, 0, len(list.Content))
	seen := make(map[string]int, len(list.Content))
	for _, item := range list.Content {
		u, err := parseUser(path, resolve(item))
		if err != nil {
			return nil, nil, err
		}
		if first, dup := seen[u.Name]; dup {
			return nil, nil, fileError(path, item, "user %q is already defined at line %d", u.Name, first)
		}
		seen[u.Name] = item.Line
		out = append(out, u)
	}
	return out, &doc, nil
}

// parseUser validates one entry of the users list.
func parseUser(path string, n *yaml.Node) (User, error) {
	var u User
	if n.Kind != yaml.MappingNode {
		return u, fileError(path, n, "each user must be a mapping with %q and %q", keyName, keyHash)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolve(n.Content[i+1])
		if seen[k.Value] {
			return u, fileError(path, k, "key %q appears twice in the same user", k.Value)
		}
		seen[k.Value] = true
		var err error
		switch k.Value {
		case keyName:
			u.Name, err = scalar(path, k.Value, v)
			if err == nil {
				err = checkName(u.Name)
			}
		case keyHash:
			u.PasswordHash, err = scalar(path, k.Value, v)
			if err == nil {
				err = checkHash(u.PasswordHash)
			}
		case keyDisplayName:
			u.DisplayName, err = scalar(path, k.Value, v)
			if err == nil {
				err = checkDisplayName(u.DisplayName)
			}
		case keyScopes:
			u.Scopes, err = scopeList(path, v)
		default:
			return u, fileError(path, k, "unknown key %q (allowed: %s)", k.Value, strings.Join(userKeys, ", "))
		}
		if err != nil {
			if pe := (*parseError)(nil); errors.As(err, &pe) {
				return u, err
			}
			return u, fileError(path, v, "%s %v", k.Value, err)
		}
	}
	for _, req := range []string{keyName, keyHash} {
		if !seen[req] {
			return u, fileError(path, n, "user is missing the required key %q", req)
		}
	}
	return u, nil
}

// scalar returns the text of a non-null scalar value.
func scalar(path, key string, v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode || isNull(v) {
		return "", fileError(path, v, "%s must be a single value", key)
	}
	return v.Value, nil
}

// scopeList reads a list of scope names (block or flow style).
func scopeList(path string, v *yaml.Node) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, fileError(path, v, "%s must be a list, e.g. [read, write]", keyScopes)
	}
	if len(v.Content) == 0 {
		return nil, fileError(path, v, "%s is empty, so the user could be granted nothing; omit the key to allow every scope", keyScopes)
	}
	out := make([]string, 0, len(v.Content))
	for _, item := range v.Content {
		s, err := scalar(path, "each scope", resolve(item))
		if err != nil {
			return nil, err
		}
		if err := checkScope(s); err != nil {
			return nil, fileError(path, item, "%s: %v", keyScopes, err)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// checkName validates a user name.
func checkName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("%q is invalid: use 1 to 64 letters, digits, '.', '_', '@' or '-'", name)
	}
	return nil
}

// checkHash accepts only bcrypt hashes; the hash itself is never echoed.
func checkHash(h string) error {
	if !strings.HasPrefix(h, "$2a$") && !strings.HasPrefix(h, "$2b$") && !strings.HasPrefix(h, "$2y$") {
		return errors.New("is not a bcrypt hash (expected $2a$, $2b$ or $2y$...; create one with `specgate users add`)")
	}
	if _, err := bcrypt.Cost([]byte(h)); err != nil {
		return fmt.Errorf("is a malformed bcrypt hash: %v", err)
	}
	return nil
}

// checkDisplayName rejects names that would render badly or mislead.
func checkDisplayName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("is empty; omit the key to show the user name")
	}
	if n := len([]rune(s)); n > maxDisplayName {
		return fmt.Errorf("is %d characters long; at most %d are allowed", n, maxDisplayName)
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return errors.New("contains control characters")
	}
	return nil
}

// checkScope validates an OAuth scope token (RFC 6749 §3.3).
func checkScope(s string) error {
	if s == "" {
		return errors.New("empty scope name")
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e || r == '"' || r == '\\' {
			return fmt.Errorf("invalid scope name %q: no spaces, quotes, backslashes or non-ASCII characters", s)
		}
	}
	return nil
}

// resolve follows alias nodes (*anchor) to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}
