package convert

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/specgate/specgate/proxy/catalog"
)

// The OpenAPI extensions that change how an operation becomes a tool.
const (
	extName        = "x-mcp-name"
	extDescription = "x-mcp-description"
	extHidden      = "x-mcp-hidden"
)

// OperationOverride changes how one operation becomes a tool. It is set in
// configuration and wins over the spec's x-mcp-* extensions. Zero fields
// change nothing.
type OperationOverride struct {
	// Name replaces the tool name. It is sanitized like an operationId and
	// still made unique (a hash suffix and a warning on a collision).
	Name string
	// Description replaces the spec's summary and description. It is used
	// whole (not only its first paragraph), clipped to MaxDescriptionLength;
	// the deprecation notice and the "HTTP: METHOD /path" line still follow.
	Description string
	// Hidden, when set, says whether the operation is left out of the
	// catalog; nil keeps what the spec's x-mcp-hidden says.
	Hidden *bool
	// MaxArrayItems and MaxStringBytes become the operation's
	// catalog.Shaping: how much of each JSON array and string of its results
	// the forwarder keeps. 0 keeps the forwarder's setting; negative means
	// no limit.
	MaxArrayItems  int
	MaxStringBytes int
}

// overrides indexes Options.Overrides and remembers which keys were used.
type overrides struct {
	byKey map[string]OperationOverride // keys normalized by overrideKey
	raw   map[string]string            // normalized key -> key as configured
	used  map[string]bool
}

func newOverrides(m map[string]OperationOverride) *overrides {
	o := &overrides{byKey: make(map[string]OperationOverride, len(m)), raw: make(map[string]string, len(m)), used: make(map[string]bool)}
	for k, v := range m {
		nk := overrideKey(k)
		o.byKey[nk] = v
		o.raw[nk] = k
	}
	return o
}

// overrideKey normalizes "get /pets" to "GET /pets"; any other key (an
// operationId or tool name) is kept as is.
func overrideKey(k string) string {
	k = strings.TrimSpace(k)
	if m, p, ok := strings.Cut(k, " "); ok {
		if up := strings.ToUpper(m); isMethod(up) {
			return up + " " + strings.TrimSpace(p)
		}
	}
	return k
}

func isMethod(m string) bool {
	for _, x := range methods {
		if x == m {
			return true
		}
	}
	return false
}

// lookup merges the overrides that apply to one operation, field by field,
// the most specific winning: "METHOD /path" (the spec's path key or the
// cleaned path), then the operationId, then the default tool name.
func (o *overrides) lookup(method, rawPath, path, opID, defaultName string) OperationOverride {
	var out OperationOverride
	keys := []string{defaultName, opID, method + " " + path, method + " " + rawPath}
	for i, k := range keys {
		if k == "" || (i > 0 && k == keys[i-1]) {
			continue
		}
		v, ok := o.byKey[k]
		if !ok {
			continue
		}
		o.used[k] = true
		if v.Name != "" {
			out.Name = v.Name
		}
		if v.Description != "" {
			out.Description = v.Description
		}
		if v.Hidden != nil {
			out.Hidden = v.Hidden
		}
		if v.MaxArrayItems != 0 {
			out.MaxArrayItems = v.MaxArrayItems
		}
		if v.MaxStringBytes != 0 {
			out.MaxStringBytes = v.MaxStringBytes
		}
	}
	return out
}

// unused returns a warning for every configured key that matched nothing:
// usually a typo, which would otherwise go unnoticed.
func (o *overrides) unused() []catalog.Warning {
	var keys []string
	for k := range o.byKey {
		if !o.used[k] {
			keys = append(keys, o.raw[k])
		}
	}
	sort.Strings(keys)
	var ws []catalog.Warning
	for _, k := range keys {
		ws = append(ws, catalog.Warning{Where: "operation override " + strconv.Quote(k),
			Message: `matches no operation (use an operationId, a tool name or "METHOD /path")`})
	}
	return ws
}

// resolved is what the overrides and the spec's extensions decide for one
// operation.
type resolved struct {
	name, description string
	hidden            bool
	shaping           *catalog.Shaping
}

// resolve combines the path item's and the operation's x-mcp-* extensions
// with the configured override. The configuration wins over the operation,
// which wins over its path item.
func (cv *converter) resolve(rawPath, method string, item *openapi3.PathItem, op *openapi3.Operation) resolved {
	where := method + " " + rawPath
	var r resolved
	if h, ok := cv.extBool(where+" (path item)", item.Extensions); ok {
		r.hidden = h
	}
	if h, ok := cv.extBool(where, op.Extensions); ok {
		r.hidden = h
	}
	r.name = cv.extString(where, op.Extensions, extName)
	r.description = cv.extString(where, op.Extensions, extDescription)

	path, _ := splitPathKey(rawPath)
	def := SanitizeToolName(op.OperationID)
	if def == "" {
		def = methodPathName(method, rawPath)
	}
	ov := cv.over.lookup(method, rawPath, path, op.OperationID, def)
	if ov.Name != "" {
		r.name = ov.Name
	}
	if ov.Description != "" {
		r.description = ov.Description
	}
	if ov.Hidden != nil {
		r.hidden = *ov.Hidden
	}
	if ov.MaxArrayItems != 0 || ov.MaxStringBytes != 0 {
		r.shaping = &catalog.Shaping{MaxArrayItems: ov.MaxArrayItems, MaxStringBytes: ov.MaxStringBytes}
	}
	return r
}

// extString returns a string extension, warning when it has another type.
func (cv *converter) extString(where string, ext map[string]any, key string) string {
	v, ok := ext[key]
	if !ok || v == nil {
		return ""
	}
	s, ok := v.(string)
	if !ok {
		cv.warnings = append(cv.warnings, catalog.Warning{Where: where, Message: key + " must be a string; ignored"})
		return ""
	}
	return strings.TrimSpace(s)
}

// extBool reads x-mcp-hidden: a boolean, or the strings "true"/"false"
// (YAML authors quote them).
func (cv *converter) extBool(where string, ext map[string]any) (bool, bool) {
	v, ok := ext[extHidden]
	if !ok || v == nil {
		return false, false
	}
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		if b, err := strconv.ParseBool(strings.TrimSpace(x)); err == nil {
			return b, true
		}
	}
	cv.warnings = append(cv.warnings, catalog.Warning{Where: where, Message: extHidden + " must be true or false; ignored"})
	return false, false
}
