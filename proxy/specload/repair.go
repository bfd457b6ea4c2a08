package specload

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// fixSchema repairs schema defects that kin-openapi's types reject or that
// make a converted Swagger 2.0 document invalid OpenAPI 3.0.
func (n *normalizer) fixSchema(d *genDoc, m map[string]any, path []string, k kind) {
	where := d.label + pointer(path)
	if items, ok := m["items"].([]any); ok {
		d.changed = true
		_, hasPrefix := m["prefixItems"]
		switch {
		case n.v31 && !hasPrefix:
			// Draft-4 tuple `items` is exactly 2020-12 `prefixItems`.
			m["prefixItems"] = items
			delete(m, "items")
			n.warn(where, "items is an array (JSON Schema tuple form), which OpenAPI does not allow; moved to prefixItems")
		case hasType(m["type"], "array"):
			m["items"] = map[string]any{}
			n.warn(where, "items is an array (JSON Schema tuple form), which OpenAPI does not allow; items left unconstrained")
		default:
			// Without type: array, tuple items constrain nothing else.
			delete(m, "items")
			n.warn(where, "items is an array (JSON Schema tuple form) on a schema that is not an array; removed")
		}
	}
	if n.v2 {
		if types, ok := m["type"].([]any); ok {
			d.changed = true
			n.fixV2Type(m, types, where)
		}
	}
	if _, ok := m["required"].(bool); ok && k == kSchema {
		d.changed = true
		delete(m, "required")
		n.warn(where, "boolean required on a schema is not allowed; removed")
	}
}

// fixV2Type turns a `type` array, invalid in Swagger 2.0 (slack writes
// ["null","string"]), into a single type plus x-nullable, which openapi2conv
// turns into OpenAPI 3.0 nullable.
func (n *normalizer) fixV2Type(m map[string]any, types []any, where string) {
	var rest []string
	nullable := false
	for _, t := range types {
		s, _ := t.(string)
		if s == "null" {
			nullable = true
		} else if s != "" {
			rest = append(rest, s)
		}
	}
	if nullable {
		m["x-nullable"] = true
	}
	switch len(rest) {
	case 1:
		m["type"] = rest[0]
		n.warn(where, "type %v is an array, which Swagger 2.0 does not allow; using type %q (nullable: %t)", types, rest[0], nullable)
	default:
		delete(m, "type")
		n.warn(where, "type %v is an array, which Swagger 2.0 does not allow; type left unconstrained", types)
	}
}

// fixPropertyRequired moves `required: true` written on a property (an old
// JSON Schema draft 3 habit) into the parent's required list.
func (n *normalizer) fixPropertyRequired(d *genDoc, parent, props map[string]any, path []string) {
	for name, p := range props {
		pm, ok := p.(map[string]any)
		if !ok {
			continue
		}
		b, ok := pm["required"].(bool)
		if !ok {
			continue
		}
		d.changed = true
		delete(pm, "required")
		where := d.label + pointer(append(path, name))
		if !b {
			n.warn(where, "boolean required on a property is not allowed; removed")
			continue
		}
		list, _ := parent["required"].([]any)
		parent["required"] = append(list, name)
		n.warn(where, "boolean required on a property is not allowed; property added to the parent's required list")
	}
}

func hasType(t any, want string) bool {
	switch v := t.(type) {
	case string:
		return v == want
	case []any:
		for _, e := range v {
			if e == want {
				return true
			}
		}
	}
	return false
}

// version reads the declared version and normalizes a non-string one
// (YAML reads `openapi: 3.1` as a number).
func (n *normalizer) version(root map[string]any) (string, error) {
	sw, hasSwagger := root["swagger"]
	oa, hasOpenAPI := root["openapi"]
	if hasSwagger && hasOpenAPI {
		n.warn("#/swagger", "document has both swagger and openapi fields; using openapi")
		delete(root, "swagger")
		hasSwagger = false
	}
	switch {
	case hasOpenAPI:
		v, fixed := versionString(oa)
		major, minor, _ := strings.Cut(v, ".")
		minor, _, _ = strings.Cut(minor, ".")
		if major != "3" || (minor != "0" && minor != "1" && minor != "2") {
			return "", fmt.Errorf("unsupported openapi version %q: supported are 3.0.x and 3.1.x (and Swagger 2.0)", v)
		}
		if fixed {
			root["openapi"] = v
			n.warn("#/openapi", "openapi version is not a string; read as %q", v)
		}
		if minor == "2" {
			n.warn("#/openapi", "OpenAPI %s is only partially supported; features beyond 3.1 may be ignored", v)
		}
		n.v31 = minor != "0"
		return v, nil
	case hasSwagger:
		v, fixed := versionString(sw)
		if v != "2.0" && v != "2" {
			return "", fmt.Errorf("unsupported swagger version %q: only 2.0 is supported", v)
		}
		if fixed || v != "2.0" {
			root["swagger"] = "2.0"
			n.warn("#/swagger", "swagger version is not the string \"2.0\"; read as \"2.0\"")
		}
		n.v2 = true
		return "2.0", nil
	}
	return "", fmt.Errorf(`missing version: the document has neither an "openapi: 3.x" nor a "swagger: \"2.0\"" field`)
}

func versionString(v any) (s string, fixed bool) {
	switch t := v.(type) {
	case string:
		return strings.TrimSpace(t), false
	case json.Number:
		return t.String(), true
	case float64:
		return strconv.FormatFloat(t, 'f', 1, 64), true
	case int:
		return strconv.Itoa(t) + ".0", true
	}
	return fmt.Sprint(v), true
}

// fixHost repairs a Swagger 2.0 `host` that carries a scheme or a path,
// which openapi2conv rejects outright.
func (n *normalizer) fixHost(root map[string]any) {
	host, ok := root["host"].(string)
	if !ok || !strings.Contains(host, "/") {
		return
	}
	raw := host
	if !strings.Contains(raw, "://") {
		raw = "//" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		delete(root, "host")
		n.warn("#/host", "host %q is not a host name; ignored", host)
		return
	}
	root["host"] = u.Host
	if u.Scheme != "" {
		if _, has := root["schemes"]; !has {
			root["schemes"] = []any{u.Scheme}
		}
	}
	bp, _ := root["basePath"].(string)
	if p := strings.TrimRight(u.Path, "/"); p != "" {
		if bp = strings.TrimLeft(bp, "/"); bp != "" {
			p += "/" + bp
		}
		bp = p
		root["basePath"] = bp
	}
	n.warn("#/host", "host %q must be a host name only; read as host %q, basePath %q", host, u.Host, bp)
}
