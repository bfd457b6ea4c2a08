// Package filter narrows a tool catalog to the operations an operator wants
// to expose, by tag, HTTP method, path and operationId.
//
// An operation is kept when it matches every non-empty include list and no
// exclude list. Within one list, matching any entry is enough. So
// IncludeTags [pets store] with ExcludeMethods [DELETE] keeps the
// operations tagged pets or store, except their DELETEs. An include list
// that is empty does not restrict anything.
//
// Entries match as follows:
//   - Tags: case-insensitive, against any of the operation's tags; "*"
//     matches any run of characters. An operation without tags matches no
//     tag entry (so IncludeTags drops it).
//   - Methods: HTTP methods, case-insensitive, no wildcards.
//   - Paths: globs over the path template as the spec writes it, e.g.
//     "/pets/{petId}"; "/" separates segments. In a segment, "*" matches any
//     run of characters other than "/" ("/pets/*" matches "/pets/{petId}";
//     "/v1/*.json" matches "/v1/pets.json"). A segment of exactly "**"
//     matches zero or more whole segments: "/admin/**" matches "/admin",
//     "/admin/users" and "/admin/users/{id}/roles". A trailing "/" is
//     ignored. Matching is case-sensitive, as URL paths are.
//   - Operations: the spec's operationId or the tool name (after x-mcp-name
//     and renaming), case-sensitive; "*" matches any run of characters.
package filter

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// Filter selects operations. The zero value keeps everything. The list
// names in error messages and warnings are the snake_case field names
// (include_tags, exclude_paths…), as in the configuration file.
type Filter struct {
	// IncludeTags keeps only operations with one of these tags.
	IncludeTags []string
	// ExcludeTags drops operations with any of these tags.
	ExcludeTags []string
	// IncludeMethods keeps only operations with one of these HTTP methods.
	IncludeMethods []string
	// ExcludeMethods drops operations with any of these HTTP methods.
	ExcludeMethods []string
	// IncludePaths keeps only operations whose path matches one of these globs.
	IncludePaths []string
	// ExcludePaths drops operations whose path matches any of these globs.
	ExcludePaths []string
	// IncludeOperations keeps only operations whose operationId or tool name
	// matches one of these patterns.
	IncludeOperations []string
	// ExcludeOperations drops operations whose operationId or tool name
	// matches any of these patterns.
	ExcludeOperations []string
}

// IsZero reports whether f keeps every operation.
func (f Filter) IsZero() bool {
	for _, l := range f.lists() {
		if len(l.entries) > 0 {
			return false
		}
	}
	return true
}

// list is one field of Filter with its configuration name.
type list struct {
	name    string
	include bool
	kind    kind
	entries []string
}

type kind int

const (
	byTag kind = iota
	byMethod
	byPath
	byOperation
)

func (f Filter) lists() []list {
	return []list{
		{"include_tags", true, byTag, f.IncludeTags},
		{"exclude_tags", false, byTag, f.ExcludeTags},
		{"include_methods", true, byMethod, f.IncludeMethods},
		{"exclude_methods", false, byMethod, f.ExcludeMethods},
		{"include_paths", true, byPath, f.IncludePaths},
		{"exclude_paths", false, byPath, f.ExcludePaths},
		{"include_operations", true, byOperation, f.IncludeOperations},
		{"exclude_operations", false, byOperation, f.ExcludeOperations},
	}
}

// methods are the HTTP methods that can be operations.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// rule is one compiled entry of one list.
type rule struct {
	list    string
	entry   string
	match   func(*catalog.Operation) bool
	matched bool
}

// compile checks every entry and builds its matcher. The error names each
// bad entry with its list.
func (f Filter) compile() (include, exclude [][]*rule, err error) {
	var errs []error
	for _, l := range f.lists() {
		var rules []*rule
		for _, e := range l.entries {
			m, err := matcher(l.kind, e)
			if err != nil {
				errs = append(errs, fmt.Errorf("filter %s entry %s: %w", l.name, strconv.Quote(e), err))
				continue
			}
			rules = append(rules, &rule{list: l.name, entry: e, match: m})
		}
		if len(rules) == 0 {
			continue
		}
		if l.include {
			include = append(include, rules)
		} else {
			exclude = append(exclude, rules)
		}
	}
	return include, exclude, errors.Join(errs...)
}

func matcher(k kind, entry string) (func(*catalog.Operation) bool, error) {
	if strings.TrimSpace(entry) == "" {
		return nil, errors.New("is empty")
	}
	switch k {
	case byTag:
		pat := strings.ToLower(entry)
		return func(op *catalog.Operation) bool {
			return slices.ContainsFunc(op.Tags, func(tag string) bool { return matchStar(pat, strings.ToLower(tag)) })
		}, nil
	case byMethod:
		m := strings.ToUpper(strings.TrimSpace(entry))
		if !slices.Contains(methods, m) {
			return nil, fmt.Errorf("is not an HTTP method (%s)", strings.Join(methods, ", "))
		}
		return func(op *catalog.Operation) bool { return op.Method == m }, nil
	case byPath:
		g, err := compileGlob(entry)
		if err != nil {
			return nil, err
		}
		return func(op *catalog.Operation) bool { return g.match(op.Path) }, nil
	default:
		return func(op *catalog.Operation) bool {
			return matchStar(entry, op.Name) || op.OperationID != "" && matchStar(entry, op.OperationID)
		}, nil
	}
}

// Validate reports every malformed entry (empty, not an HTTP method, a bad
// path glob), each named with its list; nil if f is usable.
func (f Filter) Validate() error {
	_, _, err := f.compile()
	return err
}

// Apply returns a catalog holding the operations f keeps, with every
// catalog-level field of cat (title, base URL, digest, warnings, hidden
// operations…) carried over, and the names of the operations it dropped, in
// catalog order. An entry that matches no operation of cat adds a warning to
// the returned catalog (usually a typo). An invalid f is an error and
// returns no catalog, so a bad pattern never exposes what it meant to hide.
// A zero f returns cat itself.
func (f Filter) Apply(cat *catalog.Catalog) (*catalog.Catalog, []string, error) {
	include, exclude, err := f.compile()
	if err != nil {
		return nil, nil, err
	}
	if cat == nil || len(include)+len(exclude) == 0 {
		return cat, nil, nil
	}
	var dropped []string
	out := cat.Select(func(op *catalog.Operation) bool {
		keep := true
		// Every rule is tried, without stopping early, so that the warnings
		// about entries that match nothing are exact.
		for _, rules := range include {
			if !anyMatch(rules, op) {
				keep = false
			}
		}
		for _, rules := range exclude {
			if anyMatch(rules, op) {
				keep = false
			}
		}
		if !keep {
			dropped = append(dropped, op.Name)
		}
		return keep
	})
	var warnings []catalog.Warning
	for _, rules := range append(include, exclude...) {
		for _, r := range rules {
			if !r.matched {
				warnings = append(warnings, catalog.Warning{Where: "filter " + r.list,
					Message: "entry " + strconv.Quote(r.entry) + " matches no operation"})
			}
		}
	}
	if len(warnings) > 0 {
		out.Warnings = append(slices.Clip(cat.Warnings), warnings...)
	}
	return out, dropped, nil
}

// anyMatch reports whether any rule matches op, marking every rule that does.
func anyMatch(rules []*rule, op *catalog.Operation) bool {
	hit := false
	for _, r := range rules {
		if r.match(op) {
			r.matched = true
			hit = true
		}
	}
	return hit
}
