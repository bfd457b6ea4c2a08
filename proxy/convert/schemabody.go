package convert

import (
	"slices"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// body converts one schema object. OpenAPI-only keywords are translated
// (nullable, boolean exclusiveMinimum/Maximum, example) or dropped (xml,
// externalDocs, x-*, discriminator mappings, $id and friends).
func (c *schemaConv) body(s *openapi3.Schema, depth int) any {
	in := c.mode == inputMode
	if s.Always != nil {
		return *s.Always || !in
	}
	if !in && depth > maxOutputDepth {
		return map[string]any{} // anything goes below: lenient by design
	}
	if depth > maxDepth {
		return c.truncated("deeply nested schema")
	}
	if c.nodes >= maxNodes {
		return c.truncated("large schema")
	}
	c.nodes++
	roCtx := c.roCtx
	c.roCtx = nil

	m := make(map[string]any, 8)
	c.annotations(m, s, depth)
	types := typesOf(s)
	if len(types) > 0 && (s.Nullable || !in) && !slices.Contains(types, "null") {
		types = append(types, "null")
	}
	switch len(types) {
	case 0:
	case 1:
		m["type"] = types[0]
	default:
		m["type"] = types
	}
	if in {
		c.assertions(m, s)
	}

	if s.Items != nil {
		m["items"] = c.convert(s.Items, depth+1)
	}
	if len(s.PrefixItems) > 0 {
		m["prefixItems"] = c.convertList(s.PrefixItems, depth)
	}
	c.properties(m, s, roCtx, depth)
	if ap := s.AdditionalProperties; ap.Schema != nil {
		m["additionalProperties"] = c.convert(ap.Schema, depth+1)
	} else if ap.Has != nil && (in || *ap.Has) {
		m["additionalProperties"] = *ap.Has
	}
	if len(s.PatternProperties) > 0 {
		pp := make(map[string]any, len(s.PatternProperties))
		for _, k := range sortedKeys(s.PatternProperties) {
			if !c.idx.patternOK(k) {
				c.warnOnce("patternProperties key " + strconv.Quote(k) + " is not a valid regular expression; dropped")
				continue
			}
			pp[k] = c.convert(s.PatternProperties[k], depth+1)
		}
		if len(pp) > 0 {
			m["patternProperties"] = pp
		}
	}

	if len(s.AllOf) > 0 {
		// Members see the readOnly properties of the whole group.
		group := c.readOnlyNames(s, roCtx)
		all := make([]any, 0, len(s.AllOf))
		for _, x := range s.AllOf {
			c.roCtx = group
			all = append(all, c.convert(x, depth+1))
		}
		c.roCtx = nil
		m["allOf"] = all
	}
	if len(s.AnyOf) > 0 {
		m["anyOf"] = c.convertList(s.AnyOf, depth)
	}
	if len(s.OneOf) > 0 {
		one := c.convertList(s.OneOf, depth)
		switch {
		case in:
			m["oneOf"] = one
		case m["anyOf"] == nil:
			// A response often matches several branches; anyOf tolerates that.
			m["anyOf"] = one
		default:
			all, _ := m["allOf"].([]any)
			m["allOf"] = append(all, map[string]any{"anyOf": one})
		}
	}
	if !in {
		simplifyOutput(m)
	}
	if s.Nullable && len(types) == 0 && hasAssertion(m) {
		return wrapNullable(m)
	}
	return m
}

// annotations copies the keywords that describe rather than constrain.
// Output schemas keep titles and descriptions only at the top (the result
// and its fields, and the top of each $defs entry): deeper ones made output
// schemas several times larger while clients only validate against them.
func (c *schemaConv) annotations(m map[string]any, s *openapi3.Schema, depth int) {
	if c.mode != inputMode {
		if depth <= 1 {
			if s.Title != "" {
				m["title"] = s.Title
			}
			if s.Description != "" {
				m["description"] = s.Description
			}
		}
		return
	}
	if s.Title != "" {
		m["title"] = s.Title
	}
	if s.Description != "" {
		m["description"] = s.Description
	}
	if s.Default != nil {
		m["default"] = s.Default
	}
	if ex := examplesOf(s); len(ex) > 0 {
		m["examples"] = ex
	}
	if s.Deprecated {
		m["deprecated"] = true
	}
	if s.Format != "" {
		m["format"] = s.Format
	}
	if s.ContentMediaType != "" {
		m["contentMediaType"] = s.ContentMediaType
	}
	if s.ContentEncoding != "" {
		m["contentEncoding"] = s.ContentEncoding
	}
	if d := s.Discriminator; d != nil && d.PropertyName != "" {
		// Kept as an annotation; the mapping's refs point into the OpenAPI
		// document, not into this schema, so they are dropped.
		m["discriminator"] = map[string]any{"propertyName": d.PropertyName}
	}
}

// assertions copies the validation keywords (input mode only).
func (c *schemaConv) assertions(m map[string]any, s *openapi3.Schema) {
	if s.Enum != nil {
		enum := s.Enum
		if s.Nullable && !slices.Contains(enum, nil) {
			enum = append(slices.Clip(enum), nil)
		}
		m["enum"] = enum
	}
	if s.Const != nil {
		m["const"] = s.Const
	}
	bound(m, s.Min, s.ExclusiveMin, "minimum", "exclusiveMinimum")
	bound(m, s.Max, s.ExclusiveMax, "maximum", "exclusiveMaximum")
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		m["multipleOf"] = *s.MultipleOf
	}
	if s.MinLength > 0 {
		m["minLength"] = s.MinLength
	}
	if s.MaxLength != nil {
		m["maxLength"] = *s.MaxLength
	}
	if s.Pattern != "" {
		if c.idx.patternOK(s.Pattern) {
			m["pattern"] = s.Pattern
		} else {
			c.warnOnce("pattern " + strconv.Quote(s.Pattern) + " is not a valid regular expression; dropped")
		}
	}
	if s.MinItems > 0 {
		m["minItems"] = s.MinItems
	}
	if s.MaxItems != nil {
		m["maxItems"] = *s.MaxItems
	}
	if s.UniqueItems {
		m["uniqueItems"] = true
	}
	if s.MinProps > 0 {
		m["minProperties"] = s.MinProps
	}
	if s.MaxProps != nil {
		m["maxProperties"] = *s.MaxProps
	}
	if s.MinContains != nil {
		m["minContains"] = *s.MinContains
	}
	if s.MaxContains != nil {
		m["maxContains"] = *s.MaxContains
	}
	if len(s.DependentRequired) > 0 {
		m["dependentRequired"] = s.DependentRequired
	}
}

// bound writes minimum/maximum. An OAS 3.0 boolean exclusive flag turns the
// bound into the JSON Schema numeric exclusive keyword; an OAS 3.1 numeric
// one is copied.
func bound(m map[string]any, limit *float64, excl openapi3.ExclusiveBound, plain, exclusive string) {
	if limit != nil {
		if excl.IsTrue() {
			m[exclusive] = *limit
		} else {
			m[plain] = *limit
		}
	}
	if excl.Value != nil {
		m[exclusive] = *excl.Value
	}
}

// properties converts properties and required, and the input-only
// applicators that hang off an object.
func (c *schemaConv) properties(m map[string]any, s *openapi3.Schema, roCtx map[string]bool, depth int) {
	in := c.mode == inputMode
	if len(s.Properties) > 0 {
		props := make(map[string]any, len(s.Properties))
		fileRoot := c.fileRoots[s]
		for _, k := range sortedKeys(s.Properties) {
			p := s.Properties[k]
			if c.dropProperty(p) {
				continue
			}
			if fileRoot {
				if fa, ok := fileArgument(p); ok {
					props[k] = fa
					c.fileFields[k] = true
					continue
				}
			}
			props[k] = c.convert(p, depth+1)
		}
		m["properties"] = props
	}
	if in && len(s.Required) > 0 {
		removed := c.readOnlyNames(s, roCtx)
		req := make([]string, 0, len(s.Required))
		for _, r := range s.Required {
			if !removed[r] && !slices.Contains(req, r) {
				req = append(req, r)
			}
		}
		if len(req) > 0 {
			m["required"] = req
		}
	}
	if !in {
		return
	}
	// Fixed order: conversion order decides $defs keys and the node budget.
	for _, kv := range []struct {
		kw string
		x  *openapi3.SchemaRef
	}{
		{"not", s.Not}, {"contains", s.Contains}, {"propertyNames", s.PropertyNames},
		{"if", s.If}, {"then", s.Then}, {"else", s.Else},
	} {
		if kv.x != nil {
			m[kv.kw] = c.convert(kv.x, depth+1)
		}
	}
	for _, kv := range []struct {
		kw string
		b  openapi3.BoolSchema
	}{
		{"unevaluatedItems", s.UnevaluatedItems}, {"unevaluatedProperties", s.UnevaluatedProperties},
	} {
		if kv.b.Schema != nil {
			m[kv.kw] = c.convert(kv.b.Schema, depth+1)
		} else if kv.b.Has != nil {
			m[kv.kw] = *kv.b.Has
		}
	}
	if len(s.DependentSchemas) > 0 {
		ds := make(map[string]any, len(s.DependentSchemas))
		for _, k := range sortedKeys(s.DependentSchemas) {
			ds[k] = c.convert(s.DependentSchemas[k], depth+1)
		}
		m["dependentSchemas"] = ds
	}
}

func (c *schemaConv) convertList(list openapi3.SchemaRefs, depth int) []any {
	out := make([]any, 0, len(list))
	for _, x := range list {
		out = append(out, c.convert(x, depth+1))
	}
	return out
}

// readOnlyNames returns the properties removed from s in input mode: its own
// readOnly properties, those of its allOf members, and those of the allOf
// group it belongs to.
func (c *schemaConv) readOnlyNames(s *openapi3.Schema, ctx map[string]bool) map[string]bool {
	if c.mode != inputMode {
		return nil
	}
	out := make(map[string]bool, len(ctx))
	for k := range ctx {
		out[k] = true
	}
	// walked keeps the shallowest depth each schema was walked at: a spec
	// can list one schema many times in allOf at every level, and walking
	// each listing again would take width^depth steps. A schema is walked
	// again only from a shallower depth, where the bound lets it go further.
	walked := map[*openapi3.Schema]int{}
	var walk func(s *openapi3.Schema, depth int)
	walk = func(s *openapi3.Schema, depth int) {
		if s == nil || depth > 8 {
			return
		}
		if d, ok := walked[s]; ok && d <= depth {
			return
		}
		walked[s] = depth
		for k, p := range s.Properties {
			if p != nil && p.Value != nil && p.Value.ReadOnly {
				out[k] = true
			}
		}
		for _, x := range s.AllOf {
			if x != nil {
				walk(x.Value, depth+1)
			}
		}
	}
	walk(s, 0)
	return out
}

// simplifyOutput drops compositions that no longer constrain anything once
// output leniency removed enums and consts: an anyOf with an unconstrained
// branch, and unconstrained allOf members.
func simplifyOutput(m map[string]any) {
	if list, ok := m["anyOf"].([]any); ok && slices.ContainsFunc(list, isEmptySchema) {
		delete(m, "anyOf")
	}
	if list, ok := m["allOf"].([]any); ok {
		list = slices.DeleteFunc(list, isEmptySchema)
		if len(list) == 0 {
			delete(m, "allOf")
		} else {
			m["allOf"] = list
		}
	}
}

// isEmptySchema reports whether v accepts every value.
func isEmptySchema(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case map[string]any:
		for k := range x {
			if k != "title" && k != "description" {
				return false
			}
		}
		return true
	}
	return false
}

// hasAssertion reports whether m constrains anything beyond annotations.
func hasAssertion(m map[string]any) bool {
	for k := range m {
		switch k {
		case "title", "description", "default", "examples", "deprecated", "format":
		default:
			return true
		}
	}
	return false
}

// wrapNullable expresses OAS 3.0 nullable on an untyped schema (a
// composition) as anyOf with null, keeping the annotations outside.
func wrapNullable(m map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"title", "description", "default", "examples", "deprecated"} {
		if v, ok := m[k]; ok {
			out[k] = v
			delete(m, k)
		}
	}
	out["anyOf"] = []any{m, map[string]any{"type": "null"}}
	return out
}
