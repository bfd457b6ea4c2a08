package convert

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzSplitPathKey(f *testing.F) {
	for _, s := range []string{"/a/{b}", "/responses?beta=true", "/oauth2/token#refresh", "/x?a=1&b=%20#f", "?", "#", "/a?=&&b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		path, fixed := splitPathKey(key)
		if strings.ContainsAny(path, "?#") {
			t.Errorf("splitPathKey(%q) path %q keeps ? or #", key, path)
		}
		if !strings.HasPrefix(key, path) {
			t.Errorf("splitPathKey(%q) path %q is not a prefix", key, path)
		}
		for _, kv := range fixed {
			if kv[0] == "" && kv[1] == "" && !strings.Contains(key, "=") {
				t.Errorf("splitPathKey(%q): empty pair %v", key, fixed)
			}
		}
	})
}

func FuzzToolNames(f *testing.F) {
	f.Add("listPets", "/pets", "find pet#by id", "/pets/{id}", 64, false)
	f.Add("", "/a", "", "/a#b", 12, false)
	f.Add(strings.Repeat("x", 80), "/x", strings.Repeat("x", 80), "/y", 48, false)
	f.Add("listPets", "/pets", "listPets", "/pets/{id}", 64, true)
	f.Fuzz(func(t *testing.T, id1, path1, id2, path2 string, max int, explicit bool) {
		if max < minToolName || max > maxToolName {
			max = maxToolName
		}
		var ops []*namingOp
		for _, o := range [][2]string{{id1, path1}, {id2, path2}, {id1, path2}} {
			base := SanitizeToolName(o[0])
			if base == "" {
				base = methodPathName("GET", o[1])
			}
			ops = append(ops, &namingOp{method: "GET", rawPath: o[1], opID: o[0], base: base})
		}
		// An explicit name (x-mcp-name) is claimed first, even by a later op.
		ops[2].explicit = explicit
		assignNames(ops, max, nil)
		seen := map[string]bool{}
		for _, o := range ops {
			if !validToolName(o.name, max) {
				t.Errorf("invalid name %q (max %d) for %q %q", o.name, max, o.opID, o.rawPath)
			}
			if seen[o.name] {
				t.Errorf("duplicate name %q", o.name)
			}
			seen[o.name] = true
		}
	})
}

func FuzzClip(f *testing.F) {
	f.Add("Hello world. This is long.", 10)
	f.Add("ééééé ééé", 4)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 10000 || !utf8.ValidString(s) {
			return
		}
		got := clip(s, max)
		if n := utf8.RuneCountInString(got); n > max {
			t.Errorf("clip(%q, %d) = %q: %d runes", s, max, got, n)
		}
		if !utf8.ValidString(got) {
			t.Errorf("clip(%q, %d) = %q: invalid UTF-8", s, max, got)
		}
	})
}

func FuzzSanitizeArg(f *testing.F) {
	for _, s := range []string{"include[]", "$filter", "a b", "", "x.y-z_w", strings.Repeat("é", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := sanitizeArg(s)
		if got != "" && !argNameRE.MatchString(got) {
			t.Errorf("sanitizeArg(%q) = %q", s, got)
		}
		if a := newArgNames(); !argNameRE.MatchString(a.claim(s, "query")) {
			t.Errorf("claim(%q) invalid", s)
		}
	})
}

// FuzzConvert feeds mutated small specs through the loader and Convert:
// whatever loads must convert into a valid catalog.
func FuzzConvert(f *testing.F) {
	// Small seeds: the fuzzer minimizes every new input, which is slow for
	// multi-kilobyte documents.
	for _, name := range []string{"oai-non-oauth-scopes-v3.1.yaml", "oai-webhook-example-v3.1.yaml"} {
		data, err := os.ReadFile(filepath.Join(specDir, name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(opsSpec([]string{"/a/{id}", "/a#x", "/b?q=1"}, []string{"dup", "dup", "find me"})))
	f.Add([]byte(contentSpec("3.0.3", "          multipart/form-data: {schema: {type: object, properties: {f: {type: string, format: binary}}}}")))
	f.Add([]byte(bodySpec("3.0.3", `{$ref: '#/components/schemas/N'}`, `{$ref: '#/components/schemas/N'}`,
		"    N: {type: object, nullable: true, properties: {n: {$ref: '#/components/schemas/N'}, id: {type: integer, readOnly: true}}}\n")))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := loadDoc(data)
		if err != nil {
			return
		}
		cat, err := Convert(doc, Options{MaxNameLength: 20, MaxDescriptionLength: 50})
		if err != nil {
			t.Fatalf("Convert: %v", err)
		}
		checkCatalog(t, cat)
	})
}
