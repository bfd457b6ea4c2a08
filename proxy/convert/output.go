package convert

import (
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// successResponse picks the primary success response: 200, 201, the lowest
// other 2xx code, 2XX, and default only when no 2xx response is declared.
func successResponse(rs *openapi3.Responses) *openapi3.Response {
	if rs == nil {
		return nil
	}
	m := rs.Map()
	get := func(code string) *openapi3.Response {
		if r := m[code]; r != nil {
			return r.Value
		}
		return nil
	}
	for _, code := range []string{"200", "201"} {
		if r := get(code); r != nil {
			return r
		}
	}
	var codes []string
	for code := range m {
		if len(code) == 3 && code[0] == '2' && code[1] >= '0' && code[1] <= '9' && code[2] >= '0' && code[2] <= '9' {
			codes = append(codes, code)
		}
	}
	sort.Strings(codes)
	for _, code := range codes {
		if r := get(code); r != nil {
			return r
		}
	}
	for _, code := range []string{"2XX", "2xx"} {
		if r := get(code); r != nil {
			return r
		}
	}
	if len(codes) == 0 {
		return get("default")
	}
	return nil
}

// successMedia picks the media type of a success response: JSON first, then
// the same order as request bodies.
func successMedia(r *openapi3.Response) (string, *openapi3.MediaType) {
	if r == nil {
		return "", nil
	}
	key, _, ok := pickMedia(r.Content)
	if !ok {
		return "", nil
	}
	return key, r.Content[key]
}

// isObjectSchema reports whether a response schema describes a JSON object:
// type object, or properties, or a composition whose members all do.
func isObjectSchema(s *openapi3.Schema, depth int) bool {
	return objectSchema(s, depth, map[objectAt]bool{})
}

// objectAt is a schema at a depth; the answer depends on both (the depth
// bound), so that is what objectSchema remembers.
type objectAt struct {
	s     *openapi3.Schema
	depth int
}

// objectSchema is isObjectSchema with its answers remembered: a spec can
// list one schema many times in a composition at every level, and walking
// each listing again would take width^depth steps.
func objectSchema(s *openapi3.Schema, depth int, memo map[objectAt]bool) bool {
	if s == nil || depth > 8 {
		return false
	}
	if s.Type != nil {
		return s.Type.Includes("object")
	}
	if len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil || len(s.PatternProperties) > 0 {
		return true
	}
	key := objectAt{s, depth}
	if v, ok := memo[key]; ok {
		return v
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		if len(list) == 0 {
			continue
		}
		all := true
		for _, x := range list {
			if x == nil || !objectSchema(x.Value, depth+1, memo) {
				all = false
				break
			}
		}
		memo[key] = all
		return all
	}
	return false
}

// outputSchema converts the success response into the tool's outputSchema,
// or returns nil when it is not a JSON object.
func (t *toolBuilder) outputSchema(op *openapi3.Operation) map[string]any {
	key, mt := successMedia(successResponse(op.Responses))
	t.op.SuccessMedia = key
	if mt == nil || !isJSONMedia(baseMediaType(key)) || mt.Schema == nil || !isObjectSchema(mt.Schema.Value, 0) {
		return nil
	}
	c := newSchemaConv(t.idx, outputMode, t.warn, t.warnOnce)
	c.scan(mt.Schema)
	root := asObject(c.convertRoot(mt.Schema))
	// MCP requires an object schema at the top; null is not a valid result.
	root["type"] = "object"
	if defs := c.finish(); len(defs) > 0 {
		root["$defs"] = defs
	}
	return root
}
