// Package scopes decides which OAuth scopes an MCP tool call needs and how a
// scope is described to the user on the consent page.
package scopes

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/specgate/specgate/proxy/catalog"
)

// Default scope names used when a Policy leaves a field empty.
const (
	DefaultRead  = "read"
	DefaultWrite = "write"
	DefaultAdmin = "admin"
	// OfflineAccess is the scope that asks for refresh tokens. MCP clients
	// request it only when the server lists it in scopes_supported.
	OfflineAccess = "offline_access"
)

// Policy maps operations to the scopes a token needs to call them.
// The zero Policy is ready to use: it requires "read", "write" or "admin"
// by HTTP method unless the spec declares scopes itself.
type Policy struct {
	// Read, Write and Admin are the scope names used for the method-based
	// default; empty means "read", "write" and "admin".
	Read, Write, Admin string
	// OperationOverrides maps a tool name or an operationId to the scopes the
	// operation needs. It wins over everything else. A present key with an
	// empty list means the operation needs no scope (any valid token).
	OperationOverrides map[string][]string
	// TagOverrides maps a spec tag to scopes. An operation with several
	// overridden tags needs the union of their scopes.
	TagOverrides map[string][]string
}

// Required returns the scopes a token needs to call op, sorted and without
// duplicates: an override by tool name, else by operationId, else the union
// of the overrides of op's tags, else op.Scopes (from the spec's security),
// else the default by method: GET, HEAD, OPTIONS, TRACE and QUERY need Read;
// POST, PUT and PATCH need Write; DELETE and any other method need Admin.
// The result is a new slice the caller may modify. A nil op needs nothing.
func (p Policy) Required(op *catalog.Operation) []string {
	if op == nil {
		return nil
	}
	if s, ok := p.OperationOverrides[op.Name]; ok {
		return normalize(s)
	}
	if op.OperationID != "" {
		if s, ok := p.OperationOverrides[op.OperationID]; ok {
			return normalize(s)
		}
	}
	var byTag []string
	matched := false
	for _, tag := range op.Tags {
		if s, ok := p.TagOverrides[tag]; ok {
			matched = true
			byTag = append(byTag, s...)
		}
	}
	if matched {
		return normalize(byTag)
	}
	if len(op.Scopes) > 0 {
		return normalize(op.Scopes)
	}
	return []string{p.byMethod(op.Method)}
}

// byMethod returns the default scope for an HTTP method.
func (p Policy) byMethod(method string) string {
	switch strings.ToUpper(method) {
	case "GET", "HEAD", "OPTIONS", "TRACE", "QUERY":
		return or(p.Read, DefaultRead)
	case "POST", "PUT", "PATCH":
		return or(p.Write, DefaultWrite)
	default:
		// DELETE, and methods whose effect we cannot know, need the most
		// privileged scope.
		return or(p.Admin, DefaultAdmin)
	}
}

// Supported returns the sorted union of Required over all operations of c,
// plus OfflineAccess. It is what the server advertises as scopes_supported.
// A nil catalog yields just OfflineAccess.
func (p Policy) Supported(c *catalog.Catalog) []string {
	all := []string{OfflineAccess}
	for _, op := range c.Operations() {
		all = append(all, p.Required(op)...)
	}
	return normalize(all)
}

// Satisfied reports whether granted contains every scope in required.
// Scope names are compared exactly (RFC 6749 §3.3: case-sensitive).
// An empty required list is always satisfied.
func Satisfied(granted, required []string) bool {
	for _, r := range required {
		if !slices.Contains(granted, r) {
			return false
		}
	}
	return true
}

// builtin describes the default scopes and the refresh-token scope.
var builtin = map[string]string{
	DefaultRead:   "View data (read-only operations)",
	DefaultWrite:  "Create and change data",
	DefaultAdmin:  "Delete data and perform administrative operations",
	OfflineAccess: "Stay signed in (refresh tokens)",
}

// maxDescription caps descriptions so a long spec text cannot flood the
// consent page.
const maxDescription = 140

// Describe returns a one-line human description of scope for the consent
// page. offline_access always gets the built-in description, since it is the
// authorization server's own scope. Otherwise a non-empty known[scope] wins
// (known holds descriptions from the spec's oauth2 flows, keyed by scope);
// then the built-in description of read, write and admin; then a generic
// sentence naming the scope. The known text is reduced to its first line,
// whitespace is collapsed and it is cut at 140 characters.
func Describe(scope string, known map[string]string) string {
	if scope == OfflineAccess {
		return builtin[OfflineAccess]
	}
	if d := oneLine(known[scope]); d != "" {
		return d
	}
	if d, ok := builtin[scope]; ok {
		return d
	}
	return "Use operations that require the “" + scope + "” permission"
}

// oneLine keeps the first non-empty line of s, collapses whitespace and
// truncates it on a rune boundary.
func oneLine(s string) string {
	for line := range strings.Lines(s) {
		if f := strings.Fields(line); len(f) > 0 {
			s = strings.Join(f, " ")
			break
		}
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if utf8.RuneCountInString(s) <= maxDescription {
		return s
	}
	r := []rune(s)[:maxDescription-1]
	return strings.TrimRight(string(r), " ") + "…"
}

// normalize returns a sorted copy of s without duplicates and empty names.
// It never returns nil, so "needs nothing" stays distinguishable from "no
// answer" for callers that care.
func normalize(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
