package convert

import (
	"net/url"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// docIndex holds what every schema conversion of one document shares: which
// *Schema pointers are named component schemas, and which regular expressions
// compile.
type docIndex struct {
	// named maps a component schema's value to its component name. Pointer
	// identity is what matters: the loader resolves every local $ref to the
	// component's pointer, and $ref cycles become pointer cycles.
	named map[*openapi3.Schema]string
	// byRef maps "#/components/schemas/<name>" to the component's value, to
	// recognise OAS 3.1 $refs with sibling keywords, whose Value is a copy.
	byRef map[string]*openapi3.Schema
	// patterns caches whether a regular expression compiles with Go's RE2
	// engine (the one JSON Schema validators in this project use).
	patterns map[string]bool
}

const componentSchemaPrefix = "#/components/schemas/"

func newDocIndex(doc *openapi3.T) *docIndex {
	idx := &docIndex{
		named:    make(map[*openapi3.Schema]string),
		byRef:    make(map[string]*openapi3.Schema),
		patterns: make(map[string]bool),
	}
	if doc.Components == nil {
		return idx
	}
	names := make([]string, 0, len(doc.Components.Schemas))
	for name := range doc.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	// Real definitions first, so that an alias (a component that is only a
	// $ref to another) does not take the name of the schema it points to.
	for _, aliases := range []bool{false, true} {
		for _, name := range names {
			sr := doc.Components.Schemas[name]
			if sr == nil || sr.Value == nil || (sr.Ref != "") != aliases {
				continue
			}
			if _, ok := idx.named[sr.Value]; !ok {
				idx.named[sr.Value] = name
			}
			idx.byRef[componentSchemaPrefix+name] = sr.Value
		}
	}
	return idx
}

// identify returns the named component schema that sr stands for, and a
// non-nil copy when sr is an OAS 3.1 $ref whose sibling keywords made the
// loader copy the component (the copy then carries the overrides).
func (idx *docIndex) identify(sr *openapi3.SchemaRef) (canon *openapi3.Schema, name string, cp *openapi3.Schema) {
	if n, ok := idx.named[sr.Value]; ok {
		return sr.Value, n, nil
	}
	if sr.Ref == "" || !strings.HasPrefix(sr.Ref, componentSchemaPrefix) {
		return nil, "", nil
	}
	target, ok := idx.byRef[sr.Ref]
	if !ok {
		// The ref may be percent- or ~-escaped.
		raw := strings.TrimPrefix(sr.Ref, componentSchemaPrefix)
		if u, err := url.PathUnescape(raw); err == nil {
			raw = u
		}
		raw = strings.ReplaceAll(strings.ReplaceAll(raw, "~1", "/"), "~0", "~")
		target, ok = idx.byRef[componentSchemaPrefix+raw]
	}
	if !ok {
		return nil, "", nil
	}
	if n, ok := idx.named[target]; ok {
		return target, n, sr.Value
	}
	return nil, "", nil
}

// patternOK reports whether p compiles as a Go regular expression.
func (idx *docIndex) patternOK(p string) bool {
	ok, seen := idx.patterns[p]
	if !seen {
		_, err := regexp.Compile(p)
		ok = err == nil
		idx.patterns[p] = ok
	}
	return ok
}

// sortedKeys returns the keys of a schema map in order.
func sortedKeys(m openapi3.Schemas) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// typesOf returns a copy of the schema's types.
func typesOf(s *openapi3.Schema) []string {
	if s.Type == nil {
		return nil
	}
	return append([]string(nil), (*s.Type)...)
}

func hasType(s *openapi3.Schema, t string) bool {
	return s.Type != nil && s.Type.Includes(t)
}
