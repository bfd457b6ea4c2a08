package convert

import (
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/specgate/specgate/proxy/catalog"
)

// argNames hands out inputSchema property names (see the package comment).
type argNames struct{ used map[string]bool }

func newArgNames() *argNames { return &argNames{used: make(map[string]bool)} }

// claim returns the argument name for a parameter: its sanitized name, or
// "<in>_<name>" if that is taken, then with a numeric suffix.
func (a *argNames) claim(name string, in catalog.Location) string {
	base := sanitizeArg(name)
	if base == "" {
		base = string(in) + "_param"
	}
	if !a.used[base] {
		a.used[base] = true
		return base
	}
	return a.unique(sanitizeArg(string(in) + "_" + base))
}

// claimBody returns "body", or "request_body" when a parameter owns "body".
func (a *argNames) claimBody() string {
	if !a.used["body"] {
		a.used["body"] = true
		return "body"
	}
	return a.unique("request_body")
}

func (a *argNames) unique(base string) string {
	name := base
	for i := 2; a.used[name]; i++ {
		suffix := "_" + strconv.Itoa(i)
		name = truncateName(base, maxArgName-len(suffix)) + suffix
	}
	a.used[name] = true
	return name
}

// locationRank orders parameters: path, query, header, cookie.
var locationRank = map[string]int{"path": 0, "query": 1, "header": 2, "cookie": 3}

// controlledHeaders are set by the proxy itself and never become arguments.
var controlledHeaders = map[string]bool{"authorization": true, "content-type": true, "accept": true, "cookie": true}

// mergeParams combines path-item and operation parameters (the operation's
// win on the same name and location) and orders them by location, keeping
// declaration order within one location.
func (t *toolBuilder) mergeParams(pathLevel, opLevel openapi3.Parameters) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	index := make(map[string]int)
	key := func(p *openapi3.Parameter) string {
		if p.In == openapi3.ParameterInHeader {
			return p.In + "\x00" + strings.ToLower(p.Name)
		}
		return p.In + "\x00" + p.Name
	}
	for _, list := range []openapi3.Parameters{pathLevel, opLevel} {
		for _, ref := range list {
			if ref == nil {
				continue
			}
			p := ref.Value
			if p == nil {
				t.warn("unresolved parameter reference " + strconv.Quote(ref.Ref) + " ignored")
				continue
			}
			if _, ok := locationRank[p.In]; !ok || p.Name == "" {
				t.warn("parameter " + strconv.Quote(p.Name) + " in " + strconv.Quote(p.In) + " is not a valid parameter; ignored")
				continue
			}
			k := key(p)
			if i, ok := index[k]; ok {
				out[i] = p
				continue
			}
			index[k] = len(out)
			out = append(out, p)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return locationRank[out[i].In] < locationRank[out[j].In] })
	return out
}

var templateVar = regexp.MustCompile(`\{([^{}]+)\}`)

// pathVars returns the template variables of a path, in order.
func pathVars(path string) []string {
	var out []string
	for _, m := range templateVar.FindAllStringSubmatch(path, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// keptParams drops parameters that cannot or must not become arguments and
// adds the path template variables the spec forgot to declare.
func (t *toolBuilder) keptParams(params []*openapi3.Parameter) []*openapi3.Parameter {
	vars := pathVars(t.op.Path)
	declared := make(map[string]bool)
	var kept []*openapi3.Parameter
	for _, p := range params {
		switch {
		case p.In == openapi3.ParameterInPath && !slices.Contains(vars, p.Name):
			t.warn("path parameter " + strconv.Quote(p.Name) + " does not appear in the path; ignored")
			continue
		case p.In == openapi3.ParameterInHeader && controlledHeaders[strings.ToLower(p.Name)]:
			t.warn("header parameter " + strconv.Quote(p.Name) + " is set by the proxy; not exposed as an argument")
			continue
		case p.In == openapi3.ParameterInPath:
			declared[p.Name] = true
		}
		kept = append(kept, p)
	}
	// A template variable the spec forgot to declare still needs a value.
	var missing []*openapi3.Parameter
	for _, v := range vars {
		if !declared[v] {
			t.warn("path parameter " + strconv.Quote(v) + " is not declared; exposed as a required string")
			missing = append(missing, &openapi3.Parameter{
				Name: v, In: openapi3.ParameterInPath, Required: true,
				Schema: openapi3.NewStringSchema().NewRef(),
			})
		}
	}
	if len(missing) > 0 {
		kept = append(missing, kept...)
		sort.SliceStable(kept, func(i, j int) bool { return locationRank[kept[i].In] < locationRank[kept[j].In] })
	}
	return kept
}

// paramSchema returns the schema of a parameter, from `schema` or from its
// `content` media type.
func paramSchema(p *openapi3.Parameter) *openapi3.SchemaRef {
	if p.Schema != nil {
		return p.Schema
	}
	if key, _, ok := pickMedia(p.Content); ok {
		return p.Content[key].Schema
	}
	return nil
}

func (t *toolBuilder) parameter(p *openapi3.Parameter) {
	in := catalog.Location(p.In)
	param := catalog.Param{
		Arg:           t.args.claim(p.Name, in),
		Name:          p.Name,
		In:            in,
		Required:      p.Required || in == catalog.InPath,
		Style:         p.Style,
		AllowReserved: p.AllowReserved,
	}
	if p.Schema == nil {
		if key, kind, ok := pickMedia(p.Content); ok {
			param.ContentType = sendableMediaType(key, kind)
		}
	}
	style := p.Style
	if style == "" {
		style = "simple"
		if in == catalog.InQuery || in == catalog.InCookie {
			style = "form"
		}
	}
	param.Explode = style == "form"
	if p.Explode != nil {
		param.Explode = *p.Explode
	}

	var prop map[string]any
	if sr := paramSchema(p); sr != nil {
		prop = asObject(t.in.convert(sr, 0))
	} else if in == catalog.InPath {
		prop = map[string]any{"type": "string"}
	} else {
		prop = map[string]any{}
	}
	if p.Description != "" {
		prop["description"] = p.Description
	}
	if p.Deprecated {
		prop["deprecated"] = true
	}
	var ex []any
	if p.Example != nil {
		ex = append(ex, p.Example)
	}
	for _, k := range sortedKeysOf(p.Examples) {
		if e := p.Examples[k]; e != nil && e.Value != nil && e.Value.Value != nil {
			ex = append(ex, e.Value.Value)
		}
	}
	if len(ex) > 0 {
		prop["examples"] = ex
	}
	t.props[param.Arg] = prop
	if param.Required {
		t.required = append(t.required, param.Arg)
	}
	t.op.Params = append(t.op.Params, param)
}
