package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/specgate/specgate/proxy/catalog"
)

var (
	toolNameRE = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)
	argNameRE  = regexp.MustCompile(`^[a-zA-Z0-9_.-]{1,64}$`)
)

// compileSchema compiles raw as a JSON Schema 2020-12 document.
func compileSchema(raw json.RawMessage) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("mem:///schema.json", doc); err != nil {
		return err
	}
	_, err = c.Compile("mem:///schema.json")
	return err
}

func TestCorpus(t *testing.T) {
	for _, name := range corpus(t) {
		t.Run(name, func(t *testing.T) {
			doc := loadSpec(t, name)
			cat, err := Convert(doc, Options{})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			checkCatalog(t, cat)
			t.Logf("%d tools, %d warnings, tools/list %d bytes", cat.Len(), len(cat.Warnings), toolsListBytes(t, cat))
		})
	}
}

// checkCatalog asserts the invariants every catalog must hold.
func checkCatalog(t *testing.T, cat *catalog.Catalog) {
	t.Helper()
	seen := map[string]bool{}
	for _, w := range cat.Warnings {
		if strings.Contains(w.Message, "internal error") {
			t.Errorf("warning %s", w)
		}
	}
	for _, op := range cat.Operations() {
		if !toolNameRE.MatchString(op.Name) {
			t.Errorf("%s %s: invalid tool name %q", op.Method, op.Path, op.Name)
		}
		if seen[op.Name] {
			t.Errorf("duplicate tool name %q", op.Name)
		}
		seen[op.Name] = true
		where := fmt.Sprintf("%s (%s %s)", op.Name, op.Method, op.Path)
		if !strings.Contains(op.Description, "HTTP: "+op.Method+" "+op.Path) {
			t.Errorf("%s: description lacks the HTTP line: %q", where, op.Description)
		}
		if err := compileSchema(op.InputSchema); err != nil {
			t.Errorf("%s: inputSchema does not compile: %v", where, err)
		}
		if op.OutputSchema != nil {
			if err := compileSchema(op.OutputSchema); err != nil {
				t.Errorf("%s: outputSchema does not compile: %v", where, err)
			}
			var out struct {
				Type any `json:"type"`
			}
			if err := json.Unmarshal(op.OutputSchema, &out); err != nil || out.Type != "object" {
				t.Errorf("%s: outputSchema type = %v, want object", where, out.Type)
			}
		}
		var in struct {
			Type       string                     `json:"type"`
			Properties map[string]json.RawMessage `json:"properties"`
			Required   []string                   `json:"required"`
		}
		if err := json.Unmarshal(op.InputSchema, &in); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		if in.Type != "object" {
			t.Errorf("%s: inputSchema type %q", where, in.Type)
		}
		for p := range in.Properties {
			if !argNameRE.MatchString(p) {
				t.Errorf("%s: invalid property name %q", where, p)
			}
		}
		for _, r := range in.Required {
			if _, ok := in.Properties[r]; !ok {
				t.Errorf("%s: required %q is not a property", where, r)
			}
		}
		pathParams := map[string]bool{}
		for _, p := range op.Params {
			if _, ok := in.Properties[p.Arg]; !ok {
				t.Errorf("%s: param %s has no property %q", where, p.Name, p.Arg)
			}
			if p.In == catalog.InPath {
				pathParams[p.Name] = true
			}
		}
		for _, v := range pathVars(op.Path) {
			if !pathParams[v] {
				t.Errorf("%s: path variable %q has no path param", where, v)
			}
		}
		if op.Body != nil {
			if _, ok := in.Properties[op.Body.Arg]; !ok {
				t.Errorf("%s: body has no property %q", where, op.Body.Arg)
			}
		}
		if strings.ContainsAny(op.Path, "#?") {
			t.Errorf("%s: path keeps a fragment or query", where)
		}
	}
}
