package convert

import (
	"reflect"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// mode selects how a schema is converted.
type mode uint8

const (
	// inputMode converts for a tool's inputSchema: readOnly properties are
	// removed, every assertion is kept.
	inputMode mode = iota
	// outputMode converts for a tool's outputSchema, which MCP clients
	// validate structuredContent against. Real APIs deviate from their specs,
	// so only the shape is kept: no required, no additionalProperties: false,
	// no format/enum/const/pattern/bounds, null allowed on every typed node,
	// oneOf relaxed to anyOf, writeOnly properties removed.
	outputMode
)

const (
	// maxDepth bounds the nesting of one emitted schema (a $defs entry starts
	// again at the top).
	maxDepth = 40
	// maxOutputDepth bounds output schemas harder: below it anything is
	// accepted, which suits their lenient purpose.
	maxOutputDepth = 12
	// maxNodes bounds the number of schema objects emitted for one tool
	// schema (input or output), $defs included.
	maxNodes = 4000
	// maxScan bounds the pre-pass over one tool's schema graph.
	maxScan = 200000
)

// refInfo records how a named schema is used inside one tool schema.
type refInfo struct {
	count   int  // references reached
	cyclic  bool // reached again while its own body was being scanned
	visited bool
	onStack bool
}

// schemaConv converts the OpenAPI schemas of one tool schema (its inputSchema
// or its outputSchema) into JSON Schema 2020-12. Named component schemas used
// more than once or on a $ref cycle are emitted once under $defs; all other
// schemas are inlined.
type schemaConv struct {
	idx      *docIndex
	mode     mode
	warn     func(msg string)
	warnOnce func(msg string)

	// pre-pass
	info      map[*openapi3.Schema]*refInfo
	scanStack map[*openapi3.Schema]bool // unnamed schemas being scanned
	scanPath  []*openapi3.Schema        // named schemas being scanned
	scanLeft  int

	// emission
	defKey   map[*openapi3.Schema]string
	defOwner map[string]*openapi3.Schema
	defs     map[string]any
	pending  []*openapi3.Schema
	emitting map[*openapi3.Schema]bool
	nodes    int
	cut      bool
	// roCtx holds readOnly property names of the enclosing allOf group, so a
	// member's `required` does not demand a property another member removed.
	roCtx map[string]bool
	// fileRoots are the schemas whose file-like properties become file
	// arguments (the top of a form or multipart body and its compositions).
	fileRoots map[*openapi3.Schema]bool
	// fileFields collects the names of the properties replaced that way.
	fileFields map[string]bool
}

func newSchemaConv(idx *docIndex, m mode, warn, warnOnce func(string)) *schemaConv {
	return &schemaConv{
		idx:        idx,
		mode:       m,
		warn:       warn,
		warnOnce:   warnOnce,
		info:       make(map[*openapi3.Schema]*refInfo),
		scanStack:  make(map[*openapi3.Schema]bool),
		scanLeft:   maxScan,
		defKey:     make(map[*openapi3.Schema]string),
		defOwner:   make(map[string]*openapi3.Schema),
		emitting:   make(map[*openapi3.Schema]bool),
		fileRoots:  make(map[*openapi3.Schema]bool),
		fileFields: make(map[string]bool),
	}
}

// scan is the pre-pass: it counts references to named schemas and finds the
// ones on a cycle. Call it for every root before converting any.
func (c *schemaConv) scan(sr *openapi3.SchemaRef) {
	if sr == nil || sr.Value == nil || c.scanLeft <= 0 {
		return
	}
	c.scanLeft--
	canon, _, cp := c.idx.identify(sr)
	if canon == nil {
		s := sr.Value
		if c.scanStack[s] {
			return
		}
		c.scanStack[s] = true
		c.children(s, c.scan)
		delete(c.scanStack, s)
		return
	}
	in := c.info[canon]
	if in == nil {
		in = &refInfo{}
		c.info[canon] = in
	}
	in.count++
	if in.onStack {
		// Every named schema from canon up to here is on the cycle.
		for i := len(c.scanPath) - 1; i >= 0; i-- {
			c.info[c.scanPath[i]].cyclic = true
			if c.scanPath[i] == canon {
				break
			}
		}
		return
	}
	if in.visited {
		return
	}
	in.visited, in.onStack = true, true
	c.scanPath = append(c.scanPath, canon)
	c.children(canon, c.scan)
	if cp != nil {
		for _, x := range extraAllOf(canon, cp) {
			c.scan(x)
		}
	}
	c.scanPath = c.scanPath[:len(c.scanPath)-1]
	in.onStack = false
}

// children calls fn for every subschema that emission in this mode visits.
func (c *schemaConv) children(s *openapi3.Schema, fn func(*openapi3.SchemaRef)) {
	in := c.mode == inputMode
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf, s.PrefixItems} {
		for _, x := range list {
			fn(x)
		}
	}
	fn(s.Items)
	for _, k := range sortedKeys(s.Properties) {
		if p := s.Properties[k]; !c.dropProperty(p) {
			fn(p)
		}
	}
	fn(s.AdditionalProperties.Schema)
	for _, k := range sortedKeys(s.PatternProperties) {
		fn(s.PatternProperties[k])
	}
	if in {
		fn(s.Not)
		fn(s.Contains)
		fn(s.PropertyNames)
		fn(s.If)
		fn(s.Then)
		fn(s.Else)
		fn(s.UnevaluatedItems.Schema)
		fn(s.UnevaluatedProperties.Schema)
		for _, k := range sortedKeys(s.DependentSchemas) {
			fn(s.DependentSchemas[k])
		}
	}
}

// dropProperty reports whether a property is left out in this mode.
func (c *schemaConv) dropProperty(p *openapi3.SchemaRef) bool {
	if p == nil || p.Value == nil {
		return false
	}
	if c.mode == inputMode {
		return p.Value.ReadOnly
	}
	return p.Value.WriteOnly
}

// extraAllOf returns the conjuncts the loader appended to a copy of canon
// for OAS 3.1 assertion keywords written next to a $ref.
func extraAllOf(canon, cp *openapi3.Schema) openapi3.SchemaRefs {
	if len(cp.AllOf) > len(canon.AllOf) {
		return cp.AllOf[len(canon.AllOf):]
	}
	return nil
}

// convert returns the JSON Schema for sr: a $ref into $defs for shared or
// recursive named schemas, an inlined schema otherwise.
func (c *schemaConv) convert(sr *openapi3.SchemaRef, depth int) any {
	if sr == nil {
		return map[string]any{}
	}
	if sr.Value == nil {
		c.warnOnce("unresolved schema reference " + strconv.Quote(sr.Ref) + " accepts any value")
		return map[string]any{}
	}
	canon, name, cp := c.idx.identify(sr)
	if canon == nil {
		s := sr.Value
		if c.emitting[s] {
			return c.truncated("recursive schema")
		}
		c.emitting[s] = true
		out := c.body(s, depth)
		delete(c.emitting, s)
		return out
	}
	if c.wantsDef(canon) {
		m := map[string]any{"$ref": "#/$defs/" + c.def(canon, name)}
		if cp != nil {
			c.overlaySiblings(m, canon, cp, depth)
		}
		return m
	}
	src := canon
	if cp != nil {
		src = cp
	}
	c.emitting[canon] = true
	out := c.body(src, depth)
	delete(c.emitting, canon)
	return out
}

// convertRoot converts sr inlining its top level even when it is a named
// schema (a tool's outputSchema must be an object schema, not a $ref).
func (c *schemaConv) convertRoot(sr *openapi3.SchemaRef) any {
	if sr == nil || sr.Value == nil {
		return c.convert(sr, 0)
	}
	canon, _, cp := c.idx.identify(sr)
	src := sr.Value
	if canon != nil && cp == nil {
		src = canon
	}
	key := src
	if canon != nil {
		key = canon
	}
	wasEmitting := c.emitting[key]
	c.emitting[key] = true
	out := c.body(src, 0)
	if !wasEmitting {
		delete(c.emitting, key)
	}
	return out
}

func (c *schemaConv) wantsDef(s *openapi3.Schema) bool {
	if _, ok := c.defKey[s]; ok || c.emitting[s] {
		return true
	}
	in := c.info[s]
	return in != nil && (in.count > 1 || in.cyclic)
}

// def returns the $defs key of a named schema, scheduling its emission.
func (c *schemaConv) def(s *openapi3.Schema, name string) string {
	if k, ok := c.defKey[s]; ok {
		return k
	}
	base := sanitizeArg(name)
	if base == "" {
		base = "schema"
	}
	k := base
	for i := 2; c.defOwner[k] != nil; i++ {
		k = base + "_" + strconv.Itoa(i)
	}
	c.defKey[s] = k
	c.defOwner[k] = s
	c.pending = append(c.pending, s)
	return k
}

// finish emits the scheduled $defs and returns them (nil when there are none).
func (c *schemaConv) finish() map[string]any {
	for len(c.pending) > 0 {
		s := c.pending[0]
		c.pending = c.pending[1:]
		if c.defs == nil {
			c.defs = make(map[string]any)
		}
		c.emitting[s] = true
		c.defs[c.defKey[s]] = c.body(s, 1)
		delete(c.emitting, s)
	}
	if c.cut {
		c.warn("schema too large or too deeply nested: parts were replaced by unconstrained schemas")
	}
	return c.defs
}

// truncated is the permissive schema put where conversion stops.
func (c *schemaConv) truncated(why string) map[string]any {
	c.cut = c.cut || why != "recursive schema"
	return map[string]any{"description": "(" + why + " omitted; any value accepted)"}
}

// overlaySiblings adds, next to a $ref, what an OAS 3.1 $ref's sibling
// keywords changed in the loader's copy cp of canon.
func (c *schemaConv) overlaySiblings(m map[string]any, canon, cp *openapi3.Schema, depth int) {
	if c.mode == outputMode && depth > 1 {
		c.overlayConjuncts(m, canon, cp, depth)
		return
	}
	if cp.Title != canon.Title && cp.Title != "" {
		m["title"] = cp.Title
	}
	if cp.Description != canon.Description && cp.Description != "" {
		m["description"] = cp.Description
	}
	if c.mode == inputMode {
		if cp.Default != nil && !reflect.DeepEqual(cp.Default, canon.Default) {
			m["default"] = cp.Default
		}
		if cp.Deprecated && !canon.Deprecated {
			m["deprecated"] = true
		}
		if ex := examplesOf(cp); len(ex) > 0 && len(examplesOf(canon)) == 0 {
			m["examples"] = ex
		}
	}
	c.overlayConjuncts(m, canon, cp, depth)
}

// overlayConjuncts adds the assertion keywords of an OAS 3.1 $ref's siblings.
func (c *schemaConv) overlayConjuncts(m map[string]any, canon, cp *openapi3.Schema, depth int) {
	var all []any
	for _, x := range extraAllOf(canon, cp) {
		all = append(all, c.convert(x, depth+1))
	}
	if len(all) > 0 {
		m["allOf"] = all
	}
}

// examplesOf merges OAS 3.0 `example` and 3.1 `examples`.
func examplesOf(s *openapi3.Schema) []any {
	var ex []any
	if s.Example != nil {
		ex = append(ex, s.Example)
	}
	return append(ex, s.Examples...)
}
