package specload

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// kind is what a generic map stands for, as far as the repairs care.
type kind uint8

const (
	kOther  kind = iota
	kSchema      // a Schema Object
	kParam       // a Swagger 2.0 parameter, header or items object (has `type`)
)

// nameMaps are the keys whose value maps names to objects of the given kind
// (so a child key such as "default" or "example" is a name, not a keyword).
var nameMaps = map[string]kind{
	"properties": kSchema, "patternProperties": kSchema, "definitions": kSchema,
	"$defs": kSchema, "dependentSchemas": kSchema, "schemas": kSchema,
	"parameters": kParam, "headers": kParam,
	"responses": kOther, "requestBodies": kOther, "securitySchemes": kOther,
	"securityDefinitions": kOther, "links": kOther, "callbacks": kOther,
	"pathItems": kOther, "paths": kOther, "webhooks": kOther, "content": kOther,
	"encoding": kOther, "variables": kOther, "examples": kOther, "scopes": kOther,
	"mapping": kOther,
}

// schemaKeys hold a single schema.
var schemaKeys = map[string]bool{
	"schema": true, "items": true, "additionalProperties": true, "not": true,
	"additionalItems": true, "contains": true, "if": true, "then": true, "else": true,
	"propertyNames": true, "unevaluatedItems": true, "unevaluatedProperties": true,
	"contentSchema": true,
}

// isDataKey reports whether the value under key (in an object of keywords)
// is instance data, where a "$ref" is just text.
func isDataKey(key string, v any) bool {
	switch key {
	case "example", "default", "enum", "const", "value":
		return true
	case "examples":
		_, isArray := v.([]any)
		return isArray // 3.1 schema examples; a map is Example Objects
	}
	return strings.HasPrefix(key, "x-")
}

// genDoc is one document being normalized: the spec or an external one.
type genDoc struct {
	base    *url.URL // where the document lives; nil when unknown
	label   string   // prefix of warning locations: "" for the spec itself
	root    any
	changed bool
	refs    []refSite
	maps    []mappingSite
}

// refSite is an object holding a "$ref". arr is set when the object is an
// element of a `parameters` array (then an unresolved one is dropped).
type refSite struct {
	m   map[string]any
	ref string
	ptr string
	arr *arrayElem
}

type arrayElem struct {
	owner map[string]any
	key   string
	idx   int
}

// mappingSite is a discriminator mapping value that names another document.
type mappingSite struct {
	mapping map[string]any
	key     string
	ptr     string
}

// normalizer repairs a spec and the external documents it may pull in.
type normalizer struct {
	ctx     context.Context
	opts    Options
	fetch   *fetcher
	rootDir string // directory of a file source, for AllowExternalFileRefs
	v2      bool
	v31     bool
	warns   []catalog.Warning
	ext     map[string]*extDoc
	extKeys []string
}

func (n *normalizer) warn(where, format string, args ...any) {
	n.warns = append(n.warns, catalog.Warning{Where: where, Message: fmt.Sprintf(format, args...)})
}

// process walks d, repairs it and checks its references, fetching allowed
// external documents (which are processed in turn).
func (n *normalizer) process(d *genDoc) {
	if m, ok := d.root.(map[string]any); ok {
		n.walkMap(d, m, nil, kOther, nil)
	}
	var drops []*arrayElem
	for _, s := range d.refs {
		if n.checkRef(d, s) {
			drops = append(drops, s.arr)
		}
	}
	for _, e := range drops {
		e.owner[e.key].([]any)[e.idx] = nil
	}
	for _, e := range drops { // separate pass: indexes stay valid above
		a, _ := e.owner[e.key].([]any)
		e.owner[e.key] = slices.DeleteFunc(slices.Clone(a), func(v any) bool { return v == nil })
	}
	for _, s := range d.maps {
		n.checkMapping(d, s)
	}
}

func (n *normalizer) walkMap(d *genDoc, m map[string]any, path []string, k kind, arr *arrayElem) {
	if ref, ok := m["$ref"].(string); ok {
		d.refs = append(d.refs, refSite{m: m, ref: ref, ptr: pointer(path), arr: arr})
	}
	if k == kSchema || k == kParam {
		n.fixSchema(d, m, path, k)
	}
	for key, c := range m {
		if isDataKey(key, c) {
			continue
		}
		switch cv := c.(type) {
		case map[string]any:
			p := append(path, key)
			if entry, ok := nameMaps[key]; ok {
				if key == "properties" && k == kSchema {
					n.fixPropertyRequired(d, m, cv, p)
				}
				if key == "mapping" {
					n.collectMapping(d, cv, p)
				}
				n.walkNames(d, cv, p, entry)
				continue
			}
			ck := kOther
			if schemaKeys[key] {
				ck = kSchema
				if key == "items" && k == kParam {
					ck = kParam
				}
			}
			n.walkMap(d, cv, p, ck, nil)
		case []any:
			ek := kOther
			switch key {
			case "allOf", "anyOf", "oneOf", "prefixItems":
				ek = kSchema
			case "parameters":
				ek = kParam
			}
			n.walkArray(d, m, key, cv, append(path, key), ek)
		}
	}
}

func (n *normalizer) walkNames(d *genDoc, m map[string]any, path []string, entry kind) {
	for key, c := range m {
		switch cv := c.(type) {
		case map[string]any:
			n.walkMap(d, cv, append(path, key), entry, nil)
		case []any:
			n.walkArray(d, m, key, cv, append(path, key), kOther)
		}
	}
}

func (n *normalizer) walkArray(d *genDoc, owner map[string]any, key string, a []any, path []string, ek kind) {
	for i, c := range a {
		switch cv := c.(type) {
		case map[string]any:
			var arr *arrayElem
			if key == "parameters" {
				arr = &arrayElem{owner: owner, key: key, idx: i}
			}
			n.walkMap(d, cv, append(path, strconv.Itoa(i)), ek, arr)
		case []any:
			n.walkArray(d, nil, "", cv, append(path, strconv.Itoa(i)), kOther)
		}
	}
}

// collectMapping records discriminator mapping values that name another
// document: kin-openapi resolves those, local ones it leaves alone.
func (n *normalizer) collectMapping(d *genDoc, mapping map[string]any, path []string) {
	for k, v := range mapping {
		s, ok := v.(string)
		if ok && strings.Contains(s, "/") && !strings.HasPrefix(s, "#") {
			d.maps = append(d.maps, mappingSite{mapping: mapping, key: k, ptr: pointer(append(path, k))})
		}
	}
}

// checkRef resolves one $ref and repairs it when it does not resolve. It
// reports whether the site must be dropped from its parameters array.
func (n *normalizer) checkRef(d *genDoc, s refSite) (drop bool) {
	if cur, ok := s.m["$ref"].(string); !ok || cur != s.ref {
		return false
	}
	newRef, why := n.resolveRef(d, s.ref)
	if why == "" {
		if newRef != s.ref {
			s.m["$ref"] = newRef
			d.changed = true
		}
		return false
	}
	d.changed = true
	note := fmt.Sprintf("unresolved reference %s: %s", s.ref, why)
	if s.arr != nil {
		n.warn(d.label+s.ptr, "%s; parameter dropped", note)
		return true
	}
	delete(s.m, "$ref")
	if old, ok := s.m["description"].(string); ok && old != "" {
		note = old + "\n\n(" + note + ")"
	}
	s.m["description"] = note
	n.warn(d.label+s.ptr, "unresolved reference %s: %s; replaced by a permissive placeholder", s.ref, why)
	return false
}

func (n *normalizer) checkMapping(d *genDoc, s mappingSite) {
	ref, _ := s.mapping[s.key].(string)
	newRef, why := n.resolveRef(d, ref)
	d.changed = true
	if why == "" {
		s.mapping[s.key] = newRef
		return
	}
	delete(s.mapping, s.key)
	n.warn(d.label+s.ptr, "unresolved discriminator mapping %s: %s; mapping entry dropped", ref, why)
}

// resolveRef checks that ref resolves. It returns the reference to hand to
// kin-openapi (external ones made absolute, so that kin-openapi asks for
// exactly the documents fetched here), or why it does not resolve.
func (n *normalizer) resolveRef(d *genDoc, ref string) (string, string) {
	u, err := url.Parse(ref)
	if err != nil {
		return "", "not a valid URI reference"
	}
	if u.Scheme == "" && u.Host == "" && u.Path == "" && u.RawQuery == "" && !u.ForceQuery {
		return ref, lookup(d.root, u.Fragment)
	}
	var abs *url.URL
	switch {
	case d.base != nil:
		abs = d.base.ResolveReference(u)
	case u.IsAbs():
		abs = u
	default:
		return "", "relative reference in a document with no known location"
	}
	target := *abs
	target.Fragment, target.RawFragment = "", ""
	if d.base != nil && target.String() == withoutFragment(d.base) {
		return "#" + abs.EscapedFragment(), lookup(d.root, abs.Fragment)
	}
	if why := n.allowed(&target); why != "" {
		return "", why
	}
	e := n.external(&target)
	if e.err != nil {
		return "", e.err.Error()
	}
	if why := lookup(e.root, abs.Fragment); why != "" {
		return "", why
	}
	return abs.String(), ""
}

func withoutFragment(u *url.URL) string {
	c := *u
	c.Fragment, c.RawFragment = "", ""
	return c.String()
}

// extDoc is an external document pulled in by an allowed $ref.
type extDoc struct {
	url  *url.URL
	root any
	err  error
	doc  *genDoc
}

func (n *normalizer) external(u *url.URL) *extDoc {
	key := u.String()
	if e, ok := n.ext[key]; ok {
		return e
	}
	e := &extDoc{url: u}
	if n.ext == nil {
		n.ext = make(map[string]*extDoc)
	}
	n.ext[key] = e
	n.extKeys = append(n.extKeys, key)
	if len(n.ext) > maxExternalDocs {
		e.err = fmt.Errorf("more than %d external documents", maxExternalDocs)
		return e
	}
	data, err := n.fetch.readExternal(n.ctx, u, n.allowed)
	if err != nil {
		e.err = err
		return e
	}
	dec, perr := decode(data, n.opts.MaxBytes)
	if perr != nil {
		perr.Source = redact(key)
		e.err = perr
		return e
	}
	e.root = dec.root
	e.doc = &genDoc{base: u, label: redact(key), root: dec.root}
	n.process(e.doc)
	return e
}

// lookup resolves a JSON pointer (a URI fragment, already unescaped) in a
// generic document and says why it does not resolve, or "".
func lookup(root any, frag string) string {
	if frag == "" || frag == "/" {
		return ""
	}
	if frag[0] != '/' {
		return fmt.Sprintf("fragment %q is not a JSON pointer", frag)
	}
	cur := root
	var walked []string
	for _, tok := range strings.Split(frag[1:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[tok]
			if !ok {
				return fmt.Sprintf("%q not found in %s", tok, pointer(walked))
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(c) {
				return fmt.Sprintf("no element %q in the array at %s", tok, pointer(walked))
			}
			cur = c[i]
		default:
			return fmt.Sprintf("%s is not an object or array", pointer(walked))
		}
		walked = append(walked, tok)
	}
	return ""
}

// pointer formats a path as a JSON pointer in URI fragment form ("#/a/b").
func pointer(path []string) string {
	var b strings.Builder
	b.WriteByte('#')
	for _, p := range path {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1"))
	}
	return b.String()
}
