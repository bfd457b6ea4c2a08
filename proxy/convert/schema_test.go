package convert

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// bodySpec wraps a request schema and a response schema (YAML flow
// fragments) and optional components into an OpenAPI 3.0 document.
func bodySpec(version, req, resp, components string) string {
	s := "openapi: " + version + "\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    post:\n      operationId: op\n"
	if req != "" {
		s += "      requestBody:\n        required: true\n        content:\n          application/json:\n            schema: " + req + "\n"
	}
	s += "      responses:\n        '200':\n          description: ok\n"
	if resp != "" {
		s += "          content:\n            application/json:\n              schema: " + resp + "\n"
	}
	if components != "" {
		s += "components:\n  schemas:\n" + components
	}
	return s
}

func bodyOf(t *testing.T, spec string) (in, out map[string]any) {
	t.Helper()
	cat := convertYAML(t, spec, Options{})
	op := mustOp(t, cat, "POST", "/x")
	in = decode(t, op.InputSchema)
	if op.OutputSchema != nil {
		out = decode(t, op.OutputSchema)
	}
	return in, out
}

func TestNullable(t *testing.T) {
	spec := bodySpec("3.0.3", `{type: object, properties: {
		s: {type: string, nullable: true},
		e: {type: string, enum: [a, b], nullable: true},
		c: {nullable: true, allOf: [{$ref: '#/components/schemas/Thing'}]},
		n: {type: [string, 'null']}}}`, "", "    Thing: {type: object, properties: {a: {type: string}}}\n")
	in, _ := bodyOf(t, spec)
	props := at(t, in, "properties", "body", "properties")
	jsonEq(t, at(t, props, "s"), `{"type":["string","null"]}`)
	jsonEq(t, at(t, props, "e"), `{"type":["string","null"],"enum":["a","b",null]}`)
	jsonEq(t, at(t, props, "c"), `{"anyOf":[{"allOf":[{"type":"object","properties":{"a":{"type":"string"}}}]},{"type":"null"}]}`)
}

func TestExclusiveBounds(t *testing.T) {
	in30, _ := bodyOf(t, bodySpec("3.0.3", `{type: object, properties: {
		a: {type: number, minimum: 5, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: true},
		b: {type: number, minimum: 1, exclusiveMinimum: false}}}`, "", ""))
	jsonEq(t, at(t, in30, "properties", "body", "properties", "a"), `{"type":"number","exclusiveMinimum":5,"exclusiveMaximum":9}`)
	jsonEq(t, at(t, in30, "properties", "body", "properties", "b"), `{"type":"number","minimum":1}`)
	in31, _ := bodyOf(t, bodySpec("3.1.0", `{type: object, properties: {a: {type: number, exclusiveMinimum: 5, maximum: 9}}}`, "", ""))
	jsonEq(t, at(t, in31, "properties", "body", "properties", "a"), `{"type":"number","exclusiveMinimum":5,"maximum":9}`)
}

func TestReadOnlyWriteOnly(t *testing.T) {
	comps := `    User:
      type: object
      required: [id, name, password]
      properties:
        id: {type: integer, readOnly: true}
        name: {type: string}
        password: {type: string, writeOnly: true}
    Extended:
      allOf:
        - $ref: '#/components/schemas/User'
        - type: object
          required: [id, extra]
          properties: {extra: {type: string}}
`
	in, out := bodyOf(t, bodySpec("3.0.3", `{$ref: '#/components/schemas/Extended'}`, `{$ref: '#/components/schemas/User'}`, comps))
	body := at(t, in, "properties", "body")
	user := at(t, body, "allOf").([]any)[0]
	if has(user, "properties", "id") {
		t.Error("readOnly property kept in input")
	}
	jsonEq(t, at(t, user, "required"), `["name","password"]`)
	// The other allOf member's required must not demand the removed id.
	jsonEq(t, at(t, at(t, body, "allOf").([]any)[1], "required"), `["extra"]`)
	if !has(out, "properties", "id") || has(out, "properties", "password") {
		t.Errorf("output properties: %v", at(t, out, "properties"))
	}
	if has(out, "required") {
		t.Error("output keeps required")
	}
}

func TestCycles(t *testing.T) {
	comps := `    Node:
      type: object
      properties:
        name: {type: string}
        children: {type: array, items: {$ref: '#/components/schemas/Node'}}
    A:
      type: object
      properties: {b: {$ref: '#/components/schemas/B'}}
    B:
      type: object
      properties: {a: {$ref: '#/components/schemas/A'}}
`
	for _, version := range []string{"3.0.3", "3.1.0"} {
		spec := bodySpec(version, `{type: object, properties: {node: {$ref: '#/components/schemas/Node'}, a: {$ref: '#/components/schemas/A'}}}`,
			`{$ref: '#/components/schemas/Node'}`, comps)
		in, out := bodyOf(t, spec)
		props := at(t, in, "properties", "body", "properties")
		jsonEq(t, at(t, props, "node"), `{"$ref":"#/$defs/Node"}`)
		jsonEq(t, at(t, in, "$defs", "Node", "properties", "children", "items"), `{"$ref":"#/$defs/Node"}`)
		jsonEq(t, at(t, props, "a"), `{"$ref":"#/$defs/A"}`)
		jsonEq(t, at(t, in, "$defs", "A", "properties", "b"), `{"$ref":"#/$defs/B"}`)
		jsonEq(t, at(t, in, "$defs", "B", "properties", "a"), `{"$ref":"#/$defs/A"}`)
		// The output root is inlined (an object, not a $ref); the recursion
		// goes through $defs.
		if at(t, out, "type") != "object" || !has(out, "properties", "children") {
			t.Errorf("output root not inlined: %v", out)
		}
		jsonEq(t, at(t, out, "properties", "children", "items"), `{"$ref":"#/$defs/Node"}`)
	}
}

func TestSharedAndSingleUse(t *testing.T) {
	comps := `    Money: {type: object, properties: {amount: {type: integer}}}
    Once: {type: object, properties: {x: {type: string}}}
`
	in, _ := bodyOf(t, bodySpec("3.0.3", `{type: object, properties: {
		price: {$ref: '#/components/schemas/Money'}, tax: {$ref: '#/components/schemas/Money'},
		once: {$ref: '#/components/schemas/Once'}}}`, "", comps))
	jsonEq(t, at(t, in, "properties", "body", "properties", "price"), `{"$ref":"#/$defs/Money"}`)
	jsonEq(t, at(t, in, "properties", "body", "properties", "once"), `{"type":"object","properties":{"x":{"type":"string"}}}`)
	if has(in, "$defs", "Once") {
		t.Error("single-use schema went to $defs")
	}
}

func TestRefSiblings31(t *testing.T) {
	comps := `    Money: {type: object, description: money, properties: {amount: {type: integer}}}
`
	in, _ := bodyOf(t, bodySpec("3.1.0", `{type: object, properties: {
		price: {$ref: '#/components/schemas/Money', description: the price},
		tax: {$ref: '#/components/schemas/Money', description: the tax, readOnly: true},
		fee: {$ref: '#/components/schemas/Money'}}}`, "", comps))
	props := at(t, in, "properties", "body", "properties")
	jsonEq(t, at(t, props, "price"), `{"$ref":"#/$defs/Money","description":"the price"}`)
	if has(props, "tax") {
		t.Error("readOnly written next to $ref did not remove the property")
	}
	jsonEq(t, at(t, in, "$defs", "Money", "description"), `"money"`)
}

func TestOutputLeniency(t *testing.T) {
	_, out := bodyOf(t, bodySpec("3.0.3", "", `{type: object, additionalProperties: false, required: [id],
		properties: {
			id: {type: string, format: uuid, pattern: '^[a-f0-9-]+$', minLength: 36},
			kind: {type: string, enum: [a, b]},
			shape: {oneOf: [{type: object, properties: {r: {type: number}}}, {type: object, properties: {w: {type: number}}}]},
			tags: {type: array, items: {type: string}, maxItems: 3}}}`, ""))
	jsonEq(t, out, `{"type":"object","properties":{
		"id":{"type":["string","null"]},
		"kind":{"type":["string","null"]},
		"shape":{"anyOf":[{"type":["object","null"],"properties":{"r":{"type":["number","null"]}}},{"type":["object","null"],"properties":{"w":{"type":["number","null"]}}}]},
		"tags":{"type":["array","null"],"items":{"type":["string","null"]}}}}`)
}

func TestOutputOnlyForObjects(t *testing.T) {
	for _, tc := range []struct {
		resp string
		want bool
	}{
		{`{type: object}`, true},
		{`{properties: {a: {type: string}}}`, true},
		{`{allOf: [{type: object}, {properties: {a: {type: string}}}]}`, true},
		{`{type: [object, 'null']}`, true},
		{`{type: array, items: {type: object}}`, false},
		{`{type: string}`, false},
		{`{allOf: [{type: object}, {type: string}]}`, false},
	} {
		_, out := bodyOf(t, bodySpec("3.1.0", "", tc.resp, ""))
		if (out != nil) != tc.want {
			t.Errorf("%s: outputSchema %v, want present=%v", tc.resp, out, tc.want)
		}
	}
}

func TestKeywordTranslation(t *testing.T) {
	in, _ := bodyOf(t, bodySpec("3.0.3", `{type: object, x-internal: true,
		externalDocs: {url: 'https://example.com'}, xml: {name: pet},
		discriminator: {propertyName: kind, mapping: {cat: '#/components/schemas/Cat'}},
		properties: {kind: {type: string, example: cat, default: cat, deprecated: true}}}`, "",
		"    Cat: {type: object}\n"))
	body := at(t, in, "properties", "body")
	jsonEq(t, at(t, body, "discriminator"), `{"propertyName":"kind"}`)
	jsonEq(t, at(t, body, "properties", "kind"), `{"type":"string","examples":["cat"],"default":"cat","deprecated":true}`)
	raw, _ := json.Marshal(in)
	for _, bad := range []string{"x-internal", "externalDocs", "xml", "mapping"} {
		if strings.Contains(string(raw), bad) {
			t.Errorf("%q kept in %s", bad, raw)
		}
	}
}

func TestBadPatternDropped(t *testing.T) {
	spec := bodySpec("3.0.3", `{type: object, properties: {a: {type: string, pattern: '^(?!x)'}}}`, "", "")
	cat := convertYAML(t, spec, Options{})
	in := decode(t, mustOp(t, cat, "POST", "/x").InputSchema)
	if has(in, "properties", "body", "properties", "a", "pattern") {
		t.Error("pattern Go cannot compile was kept")
	}
	if !hasWarning(cat, "not a valid regular expression") {
		t.Errorf("no warning: %v", cat.Warnings)
	}
}

func TestDepthBound(t *testing.T) {
	// 60 nested inline objects: cut at maxDepth, still a valid schema.
	s := `{type: string}`
	for range 60 {
		s = `{type: object, properties: {n: ` + s + `}}`
	}
	cat := convertYAML(t, bodySpec("3.0.3", s, "", ""), Options{})
	if !hasWarning(cat, "too large or too deeply nested") {
		t.Errorf("no truncation warning: %v", cat.Warnings)
	}
}

func TestUnresolvedRef(t *testing.T) {
	doc := loadString(t, bodySpec("3.0.3", `{type: object, properties: {a: {type: string}}}`, "", ""))
	body := doc.Paths.Value("/x").Post.RequestBody.Value.Content["application/json"].Schema.Value
	body.Properties["a"] = &openapi3.SchemaRef{Ref: "#/components/schemas/Gone"}
	cat, err := Convert(doc, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkCatalog(t, cat)
	in := decode(t, mustOp(t, cat, "POST", "/x").InputSchema)
	jsonEq(t, at(t, in, "properties", "body", "properties", "a"), `{}`)
	if !hasWarning(cat, "unresolved schema reference") {
		t.Errorf("no warning: %v", cat.Warnings)
	}
}
