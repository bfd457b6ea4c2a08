package convert

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// convertYAML loads an inline spec and converts it, checking the catalog
// invariants.
func convertYAML(t *testing.T, spec string, opts Options) *catalog.Catalog {
	t.Helper()
	cat, err := Convert(loadString(t, spec), opts)
	if err != nil {
		t.Fatalf("Convert: %v", err)
	}
	checkCatalog(t, cat)
	return cat
}

// mustOp returns the only operation with the given method and path.
func mustOp(t *testing.T, cat *catalog.Catalog, method, path string) *catalog.Operation {
	t.Helper()
	for _, op := range cat.Operations() {
		if op.Method == method && op.Path == path {
			return op
		}
	}
	t.Fatalf("no operation %s %s", method, path)
	return nil
}

// decode unmarshals a schema into a generic value.
func decode(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return m
}

// at walks a decoded schema along keys ("properties", "body", ...).
func at(t *testing.T, v any, keys ...string) any {
	t.Helper()
	for i, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("at %s: %v is not an object", strings.Join(keys[:i], "/"), v)
		}
		if v, ok = m[k]; !ok {
			t.Fatalf("at %s: no key %q in %v", strings.Join(keys[:i], "/"), k, m)
		}
	}
	return v
}

// has reports whether the decoded schema has the key path.
func has(v any, keys ...string) bool {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[k]; !ok {
			return false
		}
	}
	return true
}

// jsonEq compares a decoded value with a JSON literal.
func jsonEq(t *testing.T, got any, want string) {
	t.Helper()
	var w any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %s: %v", want, err)
	}
	g, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(g) != string(wb) {
		t.Errorf("got  %s\nwant %s", g, wb)
	}
}

// hasWarning reports whether a warning message contains sub.
func hasWarning(cat *catalog.Catalog, sub string) bool {
	for _, w := range cat.Warnings {
		if strings.Contains(w.Message, sub) {
			return true
		}
	}
	return false
}
