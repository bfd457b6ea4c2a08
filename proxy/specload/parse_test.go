package specload

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func mustParse(t *testing.T, src string) *Document {
	t.Helper()
	doc, err := Parse(context.Background(), []byte(src), "", Options{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return doc
}

func hasWarning(doc *Document, where, contains string) bool {
	for _, w := range doc.Warnings {
		if w.Where == where && strings.Contains(w.Message, contains) {
			return true
		}
	}
	return false
}

func TestParseSwagger2(t *testing.T) {
	doc := mustParse(t, `
swagger: "2.0"
info: {title: Pets, version: "1"}
host: api.example.com
basePath: /v1
schemes: [https]
consumes: [application/x-www-form-urlencoded]
paths:
  /pets/{id}:
    post:
      operationId: updatePet
      parameters:
        - {name: id, in: path, required: true, type: integer}
        - {name: name, in: formData, type: string}
      responses:
        200: {description: ok, schema: {$ref: "#/definitions/Pet"}}
definitions:
  Pet: {type: object, properties: {name: {type: string}}}
`)
	if doc.SourceVersion != "2.0" || !strings.HasPrefix(doc.Spec.OpenAPI, "3.0") {
		t.Errorf("versions: source %q, spec %q", doc.SourceVersion, doc.Spec.OpenAPI)
	}
	if got := doc.Spec.Servers[0].URL; got != "https://api.example.com/v1" {
		t.Errorf("server URL = %q", got)
	}
	op := doc.Spec.Paths.Find("/pets/{id}").Post
	if op == nil || op.RequestBody == nil || op.RequestBody.Value.Content.Get("application/x-www-form-urlencoded") == nil {
		t.Fatalf("formData not converted to a form request body: %+v", op)
	}
	resp := op.Responses.Status(200)
	if resp == nil || resp.Value.Content.Get("application/json") == nil {
		// openapi2conv uses produces; none given means */*.
		if resp == nil || len(resp.Value.Content) == 0 {
			t.Fatalf("response not converted: %+v", resp)
		}
	}
	if s := doc.Spec.Components.Schemas["Pet"]; s == nil || s.Value.Properties["name"] == nil {
		t.Errorf("definitions not converted to components.schemas")
	}
}

func TestParseOpenAPI31(t *testing.T) {
	doc := mustParse(t, `{
  "openapi": "3.1.0",
  "info": {"title": "t", "version": "1"},
  "paths": {"/a": {"get": {"responses": {"200": {"description": "ok",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A", "description": "sibling"}}}}}}}},
  "webhooks": {"ping": {"post": {"responses": {"200": {"description": "ok"}}}}},
  "components": {"schemas": {"A": {"type": ["string", "null"], "const": "x", "examples": ["x"],
    "properties": {"t": {"type": "array", "prefixItems": [{"type": "integer"}]}}}}}
}`)
	if !doc.Spec.IsOpenAPI31OrLater() || doc.SourceVersion != "3.1.0" {
		t.Fatalf("not 3.1: %q", doc.Spec.OpenAPI)
	}
	a := doc.Spec.Components.Schemas["A"].Value
	if !a.Type.Includes("null") || !a.Type.Includes("string") || a.Const != "x" {
		t.Errorf("3.1 schema keywords lost: type %v const %v", a.Type, a.Const)
	}
	if len(a.Properties["t"].Value.PrefixItems) != 1 {
		t.Errorf("prefixItems lost")
	}
	if doc.Spec.Webhooks["ping"] == nil {
		t.Errorf("webhooks lost")
	}
	if len(doc.Warnings) != 0 {
		t.Errorf("unexpected warnings: %v", doc.Warnings)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		line, col int
		pointer   string
		contains  string
	}{
		{"json syntax", "{\n  \"openapi\": \"3.0.0\",\n  \"info\": {,\n}", 3, 12, "", "JSON syntax error"},
		{"json truncated", "{\n  \"openapi\": \"3.0.0\"", 2, 21, "", "unexpected end"},
		{"json trailing data", "{\"openapi\": \"3.0.0\"} x", 1, 22, "", "after the top-level value"},
		{"yaml flow", "openapi: 3.0.0\ninfo:\n  title: [unclosed\n", 3, 0, "", "YAML syntax error: did not find expected ',' or ']'"},
		{"yaml block", "openapi: 3.0.0\ninfo:\n  title: x\n   bad: y\n", 4, 0, "", "YAML syntax error: mapping values are not allowed"},
		{"yaml key", "openapi: 3.0.0\npaths:\n  /a:\n    get: {}\n  - x\n", 3, 0, "", "YAML syntax error: did not find expected key"},
		{"yaml tab", "openapi: 3.0.0\ninfo:\n\ttitle: x\n", 3, 0, "", "YAML syntax error"},
		{"empty", "  \n", 0, 0, "", "empty"},
		{"top-level array", "[1, 2]", 0, 0, "", "must be an object"},
		{"missing version", `{"info": {"title": "t", "version": "1"}, "paths": {}}`, 0, 0, "", "missing version"},
		{"swagger 1.2", `{"swagger": "1.2"}`, 0, 0, "", `unsupported swagger version "1.2"`},
		{"openapi 4", `{"openapi": "4.0.0"}`, 0, 0, "", `unsupported openapi version "4.0.0"`},
		{"parameters not an array", `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"},
			"paths": {"/pets": {"get": {"parameters": "oops", "responses": {}}}}}`,
			0, 0, "#/paths/~1pets/get/parameters", "expected an array, found string"},
		{"bad schema type", `{"swagger": "2.0", "info": {"title": "t", "version": "1"}, "paths": {},
			"definitions": {"A": {"type": "object", "properties": {"n": {"maxLength": "ten"}}}}}`,
			0, 0, "#/definitions/A/properties/n/maxLength", "expected an integer, found string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(context.Background(), []byte(tt.src), "spec.json", Options{})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v (%T), want a *ParseError", err, err)
			}
			if pe.Line != tt.line || pe.Column != tt.col || pe.Pointer != tt.pointer {
				t.Errorf("position = line %d col %d pointer %q; want %d %d %q (%v)", pe.Line, pe.Column, pe.Pointer, tt.line, tt.col, tt.pointer, err)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.contains) || !strings.HasPrefix(msg, "parse spec spec.json: ") {
				t.Errorf("error %q: want it to start with the source and contain %q", msg, tt.contains)
			}
		})
	}
}

func TestParseRepairsDefects(t *testing.T) {
	doc := mustParse(t, `{
  "swagger": "2.0", "info": {"title": "t", "version": "1"},
  "host": "https://api.example.com/base", "basePath": "/v2",
  "paths": {"/a": {"get": {"responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Obj"}}}}}},
  "definitions": {
    "Obj": {"type": "object", "properties": {
      "latest": {"items": [{"$ref": "#/definitions/Msg"}, {"type": "null"}]},
      "tuple": {"type": "array", "items": [{"type": "string"}]},
      "tz": {"type": ["null", "string"]},
      "multi": {"type": ["object", "null", "array"]},
      "id": {"type": "string", "required": true}
    }},
    "Msg": {"type": "object"}
  }
}`)
	obj := doc.Spec.Components.Schemas["Obj"].Value
	p := obj.Properties
	if p["latest"].Value.Items != nil {
		t.Errorf("tuple items on a non-array schema not removed")
	}
	if it := p["tuple"].Value.Items; it == nil || it.Value == nil || it.Value.Type != nil {
		t.Errorf("tuple items on an array schema not made permissive: %+v", it)
	}
	if tz := p["tz"].Value; !tz.Type.Is("string") || !tz.Nullable {
		t.Errorf("type [null, string] = %v nullable %v, want string nullable", tz.Type, tz.Nullable)
	}
	if m := p["multi"].Value; m.Type != nil || !m.Nullable {
		t.Errorf("type [object, null, array] = %v nullable %v, want unconstrained nullable", m.Type, m.Nullable)
	}
	if len(obj.Required) != 1 || obj.Required[0] != "id" {
		t.Errorf("required = %v, want [id]", obj.Required)
	}
	if got := doc.Spec.Servers[0].URL; got != "https://api.example.com/base/v2" {
		t.Errorf("server = %q", got)
	}
	for _, w := range []struct{ where, msg string }{
		{"#/definitions/Obj/properties/latest", "items is an array"},
		{"#/definitions/Obj/properties/tuple", "items left unconstrained"},
		{"#/definitions/Obj/properties/tz", `using type "string" (nullable: true)`},
		{"#/definitions/Obj/properties/multi", "type left unconstrained"},
		{"#/definitions/Obj/properties/id", "added to the parent's required list"},
		{"#/host", `read as host "api.example.com", basePath "/base/v2"`},
	} {
		if !hasWarning(doc, w.where, w.msg) {
			t.Errorf("no warning at %s containing %q in %v", w.where, w.msg, doc.Warnings)
		}
	}
}

func TestParseTupleItems31(t *testing.T) {
	doc := mustParse(t, `
openapi: 3.1
info: {title: t, version: "1"}
paths: {}
components:
  schemas:
    Pair: {type: array, items: [{type: string}, {type: integer}]}
`)
	if doc.SourceVersion != "3.1" || !hasWarning(doc, "#/openapi", "not a string") {
		t.Errorf("numeric openapi version: %q %v", doc.SourceVersion, doc.Warnings)
	}
	s := doc.Spec.Components.Schemas["Pair"].Value
	if len(s.PrefixItems) != 2 || s.Items != nil {
		t.Errorf("3.1 tuple items not moved to prefixItems: %+v", s)
	}
}

func TestParseLocalRefs(t *testing.T) {
	doc := mustParse(t, `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get:
      parameters:
        - $ref: "#/components/parameters/Missing"
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Gone", description: Kept}
              example: {$ref: "#/not/a/ref/just/data"}
        default: {$ref: "#/components/responses/Nope"}
components:
  schemas:
    A:
      type: object
      x-meta: {$ref: "#/also/data"}
      properties:
        b: {$ref: "#/components/schemas/A/properties/c"}
        c: {type: string}
        d: {$ref: "#/components/schemas/A~1B"}
`)
	op := doc.Spec.Paths.Find("/a/{id}").Get
	if len(op.Parameters) != 1 || op.Parameters[0].Value.Name != "id" {
		t.Errorf("unresolved parameter not dropped: %+v", op.Parameters)
	}
	schema := op.Responses.Status(200).Value.Content.Get("application/json").Schema.Value
	if !strings.HasPrefix(schema.Description, "Kept\n\n(unresolved reference #/components/schemas/Gone: ") {
		t.Errorf("placeholder description = %q", schema.Description)
	}
	if d := op.Responses.Default().Value.Description; d == nil || !strings.Contains(*d, "unresolved reference #/components/responses/Nope") {
		t.Errorf("default response placeholder = %v", d)
	}
	if b := doc.Spec.Components.Schemas["A"].Value.Properties["b"].Value; !b.Type.Is("string") {
		t.Errorf("deep local ref not resolved: %+v", b)
	}
	want := []string{
		"#/components/schemas/A/properties/d",
		"#/paths/~1a~1{id}/get/parameters/0",
		"#/paths/~1a~1{id}/get/responses/200/content/application~1json/schema",
		"#/paths/~1a~1{id}/get/responses/default",
	}
	if len(doc.Warnings) != len(want) {
		t.Fatalf("warnings = %v, want %d (data and extensions left alone)", doc.Warnings, len(want))
	}
	for i, w := range doc.Warnings {
		if w.Where != want[i] || !strings.Contains(w.Message, "unresolved reference") {
			t.Errorf("warning %d = %v, want one at %s", i, w, want[i])
		}
	}
	if !strings.Contains(doc.Warnings[0].Message, `"A/B" not found in #/components/schemas`) {
		t.Errorf("escaped pointer not decoded: %v", doc.Warnings[0])
	}
}

func TestParseExternalRefDisabled(t *testing.T) {
	doc := mustParse(t, `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {
	    "Money": {"$ref": "https://cdn.example.com/common.json#/definitions/Money"},
	    "Rel": {"$ref": "common.json#/Rel"},
	    "Poly": {"oneOf": [{"type": "object"}], "discriminator": {"propertyName": "k", "mapping": {"x": "https://cdn.example.com/x.json#/X", "y": "#/components/schemas/Money"}}}
	  }}}`)
	s := doc.Spec.Components.Schemas
	if !strings.Contains(s["Money"].Value.Description, "external references are disabled") {
		t.Errorf("Money = %q", s["Money"].Value.Description)
	}
	if !strings.Contains(s["Rel"].Value.Description, "no known location") {
		t.Errorf("Rel = %q", s["Rel"].Value.Description)
	}
	if m := s["Poly"].Value.Discriminator.Mapping; len(m) != 1 || m["y"].Ref != "#/components/schemas/Money" {
		t.Errorf("mapping = %v, want only the local entry", m)
	}
	if !hasWarning(doc, "#/components/schemas/Poly/discriminator/mapping/x", "mapping entry dropped") {
		t.Errorf("no warning for the external mapping: %v", doc.Warnings)
	}
}

func TestParseSchemaRefTypes(t *testing.T) {
	// The repaired document must still be a valid kin-openapi document.
	doc := mustParse(t, `{"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {},
	  "components": {"schemas": {"A": {"$ref": "#/components/schemas/B"}}}}`)
	if err := doc.Spec.Validate(context.Background()); err != nil {
		t.Errorf("placeholder document invalid: %v", err)
	}
	var _ *openapi3.T = doc.Spec
}
