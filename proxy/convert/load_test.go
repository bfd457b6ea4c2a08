package convert

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// specDir holds the shared corpus; CI checks ../shared out beside the repo.
var specDir = filepath.Join("..", "..", "..", "shared", "specs")

// corpus lists every spec of the shared corpus.
func corpus(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(specDir)
	if err != nil {
		t.Fatalf("read spec corpus: %v", err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".yaml") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) != 19 {
		t.Fatalf("spec corpus has %d specs, want 19", len(names))
	}
	return names
}

type loaded struct {
	doc *openapi3.T
	err error
}

var (
	specMu    sync.Mutex
	specCache = map[string]*loaded{}
)

// loadSpec loads a corpus spec once per test binary.
func loadSpec(t testing.TB, name string) *openapi3.T {
	t.Helper()
	specMu.Lock()
	l, ok := specCache[name]
	if !ok {
		l = &loaded{}
		data, err := os.ReadFile(filepath.Join(specDir, name))
		if err == nil {
			l.doc, err = loadDoc(data)
		}
		l.err = err
		specCache[name] = l
	}
	specMu.Unlock()
	if l.err != nil {
		t.Fatalf("load %s: %v", name, l.err)
	}
	return l.doc
}

// loadDoc parses JSON or YAML, replaces $refs the loader could not resolve
// (remote, or local but dangling) by {}, as proxy/specload does in
// production, and loads the result, converting Swagger 2.0 to OpenAPI 3.
func loadDoc(data []byte) (*openapi3.T, error) {
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		// Not JSON: YAML (much slower to parse, so tried second).
		if err := yaml.Unmarshal(data, &raw); err != nil {
			return nil, fmt.Errorf("parse: %w", err)
		}
	}
	raw = normalize(raw)
	raw = dropDanglingRefs(raw, raw)
	raw = fixTupleItems(raw)
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, err
	}
	if m, ok := raw.(map[string]any); ok && m["swagger"] != nil {
		var doc2 openapi2.T
		if err := json.Unmarshal(js, &doc2); err != nil {
			return nil, fmt.Errorf("decode swagger 2.0: %w", err)
		}
		return openapi2conv.ToV3(&doc2)
	}
	loader := openapi3.NewLoader()
	return loader.LoadFromData(js)
}

// normalize turns YAML maps with non-string keys into map[string]any.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
	}
	return v
}

func dropDanglingRefs(root, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok && !resolvable(root, ref) {
			return map[string]any{}
		}
		for k, e := range x {
			x[k] = dropDanglingRefs(root, e)
		}
	case []any:
		for i, e := range x {
			x[i] = dropDanglingRefs(root, e)
		}
	}
	return v
}

// fixTupleItems replaces the draft-4 tuple form `items: [..]` (invalid in
// OpenAPI, found in Slack's spec) by its only member, or by {}.
func fixTupleItems(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if items, ok := x["items"].([]any); ok {
			if len(items) == 1 {
				x["items"] = items[0]
			} else {
				x["items"] = map[string]any{}
			}
		}
		for k, e := range x {
			x[k] = fixTupleItems(e)
		}
	case []any:
		for i, e := range x {
			x[i] = fixTupleItems(e)
		}
	}
	return v
}

// resolvable reports whether ref is a local JSON pointer that exists in root.
func resolvable(root any, ref string) bool {
	if !strings.HasPrefix(ref, "#") {
		return false
	}
	cur := root
	for _, tok := range strings.Split(strings.TrimPrefix(ref, "#"), "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch x := cur.(type) {
		case map[string]any:
			next, ok := x[tok]
			if !ok {
				return false
			}
			cur = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return false
			}
			cur = x[i]
		default:
			return false
		}
	}
	return true
}

// loadString loads an inline test spec.
func loadString(t testing.TB, spec string) *openapi3.T {
	t.Helper()
	doc, err := loadDoc([]byte(spec))
	if err != nil {
		t.Fatalf("load inline spec: %v", err)
	}
	return doc
}
