package filter

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

// testCatalog is a small catalog covering tags, methods, paths and names.
func testCatalog() *catalog.Catalog {
	cat := catalog.New([]*catalog.Operation{
		{Name: "listPets", OperationID: "listPets", Method: "GET", Path: "/pets", Tags: []string{"Pets"}},
		{Name: "createPet", OperationID: "createPet", Method: "POST", Path: "/pets", Tags: []string{"Pets"}},
		{Name: "deletePet", OperationID: "deletePet", Method: "DELETE", Path: "/pets/{petId}", Tags: []string{"Pets", "danger"}},
		{Name: "get_admin", Method: "GET", Path: "/admin"},
		{Name: "adminUsers", OperationID: "admin.users.list", Method: "GET", Path: "/admin/users/{id}/roles", Tags: []string{"admin"}},
		{Name: "renamed", OperationID: "getStore", Method: "GET", Path: "/v1/store.json", Tags: []string{"store"}},
	})
	cat.Title, cat.Version, cat.SpecVersion, cat.BaseURL, cat.Digest = "Pets", "1", "3.0.3", "https://api.test", "d1"
	cat.Warnings = []catalog.Warning{{Where: "GET /pets", Message: "spec warning"}}
	cat.ScopeDescriptions = map[string]string{"read": "Read"}
	cat.Hidden = []string{"GET /secret"}
	return cat
}

func names(cat *catalog.Catalog) []string {
	var out []string
	for _, op := range cat.Operations() {
		out = append(out, op.Name)
	}
	return out
}

func TestApply(t *testing.T) {
	for _, tc := range []struct {
		name    string
		f       Filter
		kept    []string
		unmatch []string // entries warned about
	}{
		{"zero keeps all", Filter{}, []string{"adminUsers", "createPet", "deletePet", "get_admin", "listPets", "renamed"}, nil},
		{"include tag case-insensitive", Filter{IncludeTags: []string{"pets"}}, []string{"createPet", "deletePet", "listPets"}, nil},
		{"include tag drops untagged", Filter{IncludeTags: []string{"*"}}, []string{"adminUsers", "createPet", "deletePet", "listPets", "renamed"}, nil},
		{"exclude tag", Filter{ExcludeTags: []string{"danger", "admin"}}, []string{"createPet", "get_admin", "listPets", "renamed"}, nil},
		{"include methods", Filter{IncludeMethods: []string{"get", "HEAD"}}, []string{"adminUsers", "get_admin", "listPets", "renamed"}, []string{"HEAD"}},
		{"exclude methods", Filter{ExcludeMethods: []string{"DELETE", "post"}}, []string{"adminUsers", "get_admin", "listPets", "renamed"}, nil},
		{"exclude admin tree incl. root", Filter{ExcludePaths: []string{"/admin/**"}}, []string{"createPet", "deletePet", "listPets", "renamed"}, nil},
		{"star in a segment", Filter{IncludePaths: []string{"/pets/*", "/v1/*.json"}}, []string{"deletePet", "renamed"}, nil},
		{"double star in the middle", Filter{IncludePaths: []string{"/**/roles"}}, []string{"adminUsers"}, nil},
		{"trailing slash ignored", Filter{IncludePaths: []string{"/pets/"}}, []string{"createPet", "listPets"}, nil},
		{"root glob", Filter{IncludePaths: []string{"/**"}}, []string{"adminUsers", "createPet", "deletePet", "get_admin", "listPets", "renamed"}, nil},
		{"operations by id, name and star", Filter{IncludeOperations: []string{"getStore", "get_admin", "admin.users.*"}}, []string{"adminUsers", "get_admin", "renamed"}, nil},
		{"operation ids are case-sensitive", Filter{ExcludeOperations: []string{"listpets"}}, []string{"adminUsers", "createPet", "deletePet", "get_admin", "listPets", "renamed"}, []string{"listpets"}},
		{"includes combine with and, excludes win", Filter{
			IncludeTags: []string{"Pets", "store"}, IncludeMethods: []string{"GET", "DELETE"}, ExcludePaths: []string{"/pets/{petId}"},
		}, []string{"listPets", "renamed"}, nil},
		{"unmatched entries warn", Filter{ExcludeTags: []string{"nope"}, IncludePaths: []string{"/pets", "/zoo/**"}}, []string{"createPet", "listPets"}, []string{"/zoo/**", "nope"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := testCatalog()
			got, dropped, err := tc.f.Apply(src)
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if kept := names(got); !reflect.DeepEqual(kept, tc.kept) {
				t.Errorf("kept %v, want %v", kept, tc.kept)
			}
			// dropped + kept = all, in catalog order, without overlap.
			all := map[string]bool{}
			for _, n := range append(names(got), dropped...) {
				if all[n] {
					t.Errorf("%s both kept and dropped", n)
				}
				all[n] = true
			}
			if len(all) != src.Len() || len(dropped) != src.Len()-got.Len() {
				t.Errorf("dropped %v does not complete kept %v", dropped, names(got))
			}
			var warned []string
			for _, w := range got.Warnings[1:] {
				warned = append(warned, w.Message)
			}
			if len(warned) != len(tc.unmatch) {
				t.Errorf("warnings %q, want one per %q", warned, tc.unmatch)
			}
			for i, e := range tc.unmatch {
				if i < len(warned) && !strings.Contains(warned[i], `"`+e+`" matches no operation`) {
					t.Errorf("warning %q does not name %q", warned[i], e)
				}
			}
			if got.Title != "Pets" || got.BaseURL != "https://api.test" || got.Digest != "d1" || got.SpecVersion != "3.0.3" ||
				got.Warnings[0].Message != "spec warning" || got.ScopeDescriptions["read"] != "Read" || !reflect.DeepEqual(got.Hidden, src.Hidden) {
				t.Errorf("catalog fields not carried over: %+v", got)
			}
			if src.Len() != 6 || len(src.Warnings) != 1 {
				t.Errorf("Apply modified its input: %d ops, %d warnings", src.Len(), len(src.Warnings))
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		f    Filter
		want []string // substrings of the error; none means valid
	}{
		{Filter{IncludePaths: []string{"/a/**", "/**", "/a/*/b", "/"}}, nil},
		{Filter{IncludePaths: []string{"admin/**"}}, []string{`filter include_paths entry "admin/**": must start with "/"`}},
		{Filter{ExcludePaths: []string{"/a/**b"}}, []string{`exclude_paths entry "/a/**b": "**" must be a whole path segment`}},
		{Filter{ExcludePaths: []string{"/a//b"}}, []string{`empty segment`}},
		{Filter{IncludeMethods: []string{"GETT"}, ExcludeTags: []string{" "}}, []string{
			`include_methods entry "GETT": is not an HTTP method (GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE)`,
			`exclude_tags entry " ": is empty`}},
		{Filter{ExcludeOperations: []string{""}}, []string{`exclude_operations entry "": is empty`}},
	} {
		err := tc.f.Validate()
		if len(tc.want) == 0 {
			if err != nil {
				t.Errorf("%+v: %v", tc.f, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("%+v: no error", tc.f)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("error %q does not contain %q", err, w)
			}
		}
		// An invalid filter must not produce a catalog.
		if cat, dropped, err := tc.f.Apply(testCatalog()); err == nil || cat != nil || dropped != nil {
			t.Errorf("%+v: Apply = %v, %v, %v", tc.f, cat, dropped, err)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, tc := range []struct {
		pat, path string
		want      bool
	}{
		{"/a/**", "/a", true},
		{"/a/**", "/a/b/c", true},
		{"/a/**", "/ab", false},
		{"/**/c", "/c", true},
		{"/**/c", "/a/b/c", true},
		{"/**/c", "/a/c/d", false},
		{"/a/**/**/d", "/a/d", true},
		{"/a/**/b/**/d", "/a/x/b/y/z/d", true},
		{"/a/**/b/**/d", "/a/x/y/z/d", false},
		{"/*", "/", false},
		{"/", "/", true},
		{"/*", "/a", true},
		{"/a*c", "/abbc", true},
		{"/a*c", "/abcd", false},
		{"/*.*", "/pets.json", true},
		{"/pets/{petId}", "/pets/{petId}", true},
		{"/pets/{petId}", "/pets/1", false},
		{"/Pets", "/pets", false},
	} {
		g, err := compileGlob(tc.pat)
		if err != nil {
			t.Fatalf("%s: %v", tc.pat, err)
		}
		if got := g.match(tc.path); got != tc.want {
			t.Errorf("%s ~ %s = %v, want %v", tc.pat, tc.path, got, tc.want)
		}
	}
}

var (
	specMu   sync.Mutex
	specCats = map[string]*catalog.Catalog{}
)

// corpusCatalog loads and converts a spec of the shared corpus once.
func corpusCatalog(t *testing.T, name string) *catalog.Catalog {
	t.Helper()
	specMu.Lock()
	defer specMu.Unlock()
	if cat, ok := specCats[name]; ok {
		return cat
	}
	doc, err := specload.NewLoader(specload.Options{}).Load(context.Background(), filepath.Join("..", "..", "..", "shared", "specs", name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	cat, err := convert.Convert(doc.Spec, convert.Options{})
	if err != nil {
		t.Fatalf("convert %s: %v", name, err)
	}
	specCats[name] = cat
	return cat
}

func TestRealSpecs(t *testing.T) {
	for _, tc := range []struct {
		spec     string
		f        Filter
		kept     int
		check    func(*catalog.Operation) bool // must hold for every kept operation
		warnings int                           // added by the filter
	}{
		{"swagger-petstore-v3.0.yaml", Filter{IncludeTags: []string{"pet"}}, 8,
			func(op *catalog.Operation) bool { return op.Tags[0] == "pet" }, 0},
		{"swagger-petstore-v3.0.yaml", Filter{IncludeTags: []string{"pet", "store"}, ExcludeMethods: []string{"DELETE"}}, 10,
			func(op *catalog.Operation) bool { return op.Method != "DELETE" }, 0},
		{"discord-v3.1.json", Filter{ExcludeMethods: []string{"DELETE"}}, 242 - 39,
			func(op *catalog.Operation) bool { return op.Method != "DELETE" }, 0},
		// Slack has no DELETE: the entry matches nothing and says so.
		{"slack-web-api-v2.0.json", Filter{ExcludeMethods: []string{"DELETE"}, ExcludePaths: []string{"/admin.*"}}, 174 - 56,
			func(op *catalog.Operation) bool { return !strings.HasPrefix(op.Path, "/admin.") }, 1},
		{"slack-web-api-v2.0.json", Filter{ExcludeTags: []string{"admin*"}}, 174 - 56,
			func(op *catalog.Operation) bool { return !strings.HasPrefix(op.Path, "/admin.") }, 0},
		{"slack-web-api-v2.0.json", Filter{IncludeOperations: []string{"chat_*", "conversations_history"}}, 11,
			func(op *catalog.Operation) bool {
				return strings.HasPrefix(op.Path, "/chat.") || op.Path == "/conversations.history"
			}, 0},
	} {
		src := corpusCatalog(t, tc.spec)
		got, dropped, err := tc.f.Apply(src)
		if err != nil {
			t.Fatalf("%s: %v", tc.spec, err)
		}
		if got.Len() != tc.kept || len(dropped) != src.Len()-tc.kept {
			t.Errorf("%s %+v: kept %d dropped %d, want %d kept", tc.spec, tc.f, got.Len(), len(dropped), tc.kept)
		}
		for _, op := range got.Operations() {
			if !tc.check(op) {
				t.Errorf("%s %+v kept %s %s %s", tc.spec, tc.f, op.Name, op.Method, op.Path)
			}
		}
		if n := len(got.Warnings) - len(src.Warnings); n != tc.warnings {
			t.Errorf("%s %+v: %d filter warnings, want %d: %v", tc.spec, tc.f, n, tc.warnings, got.Warnings[len(src.Warnings):])
		}
	}
}

func FuzzGlob(f *testing.F) {
	for _, s := range [][2]string{{"/a/**", "/a/b"}, {"/**/x/**", "/x"}, {"/*a*", "/bab"}, {"/**/**/**", "/"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pat, path string) {
		g, err := compileGlob(pat)
		if err != nil {
			return
		}
		got := g.match(path)
		// A pattern without wildcards matches exactly its own path.
		if !strings.Contains(pat, "*") {
			want := strings.Join(splitPath(strings.TrimSpace(pat)), "/") == strings.Join(splitPath(path), "/")
			if got != want {
				t.Errorf("%q ~ %q = %v, want %v", pat, path, got, want)
			}
		}
		// "/**" matches everything.
		if all, _ := compileGlob("/**"); !all.match(path) {
			t.Errorf("/** does not match %q", path)
		}
	})
}
