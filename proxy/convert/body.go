package convert

import (
	"mime"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/specgate/specgate/proxy/catalog"
)

// baseMediaType returns the lower-case media type without parameters.
func baseMediaType(mt string) string {
	if base, _, err := mime.ParseMediaType(mt); err == nil {
		return base
	}
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

func isJSONMedia(base string) bool {
	return base == "application/json" || base == "text/json" || strings.HasSuffix(base, "+json")
}

func isTextMedia(base string) bool {
	if strings.HasPrefix(base, "text/") || strings.HasSuffix(base, "+xml") || strings.HasSuffix(base, "+yaml") {
		return true
	}
	switch base {
	case "application/xml", "application/yaml", "application/x-yaml", "application/sdp",
		"application/graphql", "application/javascript", "application/x-ndjson", "application/jsonl":
		return true
	}
	return false
}

// bodyKind classifies a media type; lower ranks are preferred.
func bodyKind(base string) (catalog.BodyKind, int) {
	switch {
	case base == "application/json":
		return catalog.BodyJSON, 0
	case isJSONMedia(base):
		return catalog.BodyJSON, 1
	case base == "application/x-www-form-urlencoded":
		return catalog.BodyForm, 2
	case base == "multipart/form-data":
		return catalog.BodyMultipart, 3
	case base == "text/plain":
		return catalog.BodyText, 4
	case isTextMedia(base):
		return catalog.BodyText, 5
	default:
		return catalog.BodyBinary, 6
	}
}

// pickMedia chooses the request body media type specgate sends: JSON, then
// form-urlencoded, multipart, text, and binary last; ties go to the
// alphabetically first key so the choice is deterministic.
func pickMedia(content openapi3.Content) (key string, kind catalog.BodyKind, ok bool) {
	keys := make([]string, 0, len(content))
	for k, v := range content {
		if v != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	best := -1
	for _, k := range keys {
		kd, rank := bodyKind(baseMediaType(k))
		if best < 0 || rank < best {
			best, key, kind = rank, k, kd
		}
	}
	return key, kind, best >= 0
}

// sendableMediaType replaces a wildcard media range by a concrete type.
func sendableMediaType(key string, kind catalog.BodyKind) string {
	if !strings.Contains(key, "*") {
		return key
	}
	switch kind {
	case catalog.BodyJSON:
		return "application/json"
	case catalog.BodyText:
		return "text/plain"
	}
	return "application/octet-stream"
}

// bodyChoice is the request body media type an operation will send.
type bodyChoice struct {
	rb   *openapi3.RequestBody
	key  string
	kind catalog.BodyKind
	mt   *openapi3.MediaType
}

// chooseBody picks the request body media type, or returns nil.
func (t *toolBuilder) chooseBody(rbRef *openapi3.RequestBodyRef) *bodyChoice {
	if rbRef == nil {
		return nil
	}
	rb := rbRef.Value
	if rb == nil {
		t.warn("unresolved request body reference " + strconv.Quote(rbRef.Ref) + " ignored")
		return nil
	}
	key, kind, ok := pickMedia(rb.Content)
	if !ok {
		t.warn("request body declares no media type; ignored")
		return nil
	}
	return &bodyChoice{rb: rb, key: key, kind: kind, mt: rb.Content[key]}
}

// requestBody converts the chosen request body into the body argument.
func (t *toolBuilder) requestBody(bc *bodyChoice) {
	rb, key, kind, mt := bc.rb, bc.key, bc.kind, bc.mt
	b := &catalog.Body{
		Arg:       t.args.claimBody(),
		MediaType: sendableMediaType(key, kind),
		Kind:      kind,
		Required:  rb.Required,
	}
	var prop map[string]any
	switch kind {
	case catalog.BodyJSON:
		prop = asObject(t.in.convert(mt.Schema, 0))
	case catalog.BodyForm, catalog.BodyMultipart:
		if mt.Schema == nil || mt.Schema.Value == nil {
			prop = asObject(t.in.convert(mt.Schema, 0))
			break
		}
		markFileRoots(t.in, mt.Schema, 0)
		prop = asObject(t.in.convertRoot(mt.Schema))
		b.FileFields = sortedSet(t.in.fileFields)
		for _, name := range sortedKeysOf(mt.Encoding) {
			if enc := mt.Encoding[name]; enc != nil && enc.ContentType != "" {
				if b.FieldContentTypes == nil {
					b.FieldContentTypes = make(map[string]string)
				}
				b.FieldContentTypes[name] = enc.ContentType
			}
		}
	case catalog.BodyText:
		prop = map[string]any{"type": "string"}
		if mt.Schema != nil && mt.Schema.Value != nil && mt.Schema.Value.Description != "" {
			prop["description"] = mt.Schema.Value.Description
		}
	default:
		hint := "Request body (" + b.MediaType + "), base64-encoded."
		if rb.Description != "" {
			hint = strings.TrimSpace(rb.Description) + "\n\n" + hint
		}
		prop = map[string]any{"type": "string", "contentEncoding": "base64", "description": hint}
	}
	if rb.Description != "" && kind != catalog.BodyBinary {
		prop["description"] = rb.Description
	} else if _, ok := prop["description"]; !ok {
		prop["description"] = "Request body (" + b.MediaType + ")."
	}
	t.props[b.Arg] = prop
	if b.Required {
		t.required = append(t.required, b.Arg)
	}
	t.op.Body = b
}

// markFileRoots marks the top of a form body and the members of its
// compositions, whose file-like properties become file arguments.
func markFileRoots(c *schemaConv, sr *openapi3.SchemaRef, depth int) {
	markFileRootsFrom(c, sr, depth, map[*openapi3.Schema]int{})
}

// markFileRootsFrom is markFileRoots remembering the shallowest depth at
// which each schema's members were walked: a spec can list one schema many
// times in a composition at every level, and walking each listing again
// would take width^depth steps. A schema is walked again only from a
// shallower depth, where the depth bound lets it reach further.
func markFileRootsFrom(c *schemaConv, sr *openapi3.SchemaRef, depth int, walked map[*openapi3.Schema]int) {
	if sr == nil || sr.Value == nil || depth > 6 {
		return
	}
	c.fileRoots[sr.Value] = true
	if canon, _, _ := c.idx.identify(sr); canon != nil {
		c.fileRoots[canon] = true
	}
	s := sr.Value
	if d, ok := walked[s]; ok && d <= depth {
		return
	}
	walked[s] = depth
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.AnyOf, s.OneOf} {
		for _, x := range list {
			markFileRootsFrom(c, x, depth+1, walked)
		}
	}
}

// isFileSchema reports whether a form field carries a file: a binary or
// base64 string (OAS 3.0 format, OAS 3.1 contentEncoding) or a string with a
// non-text contentMediaType.
func isFileSchema(s *openapi3.Schema) bool {
	if s == nil || (s.Type != nil && !s.Type.Includes("string")) {
		return false
	}
	switch {
	case s.Format == "binary" || s.Format == "base64":
		return true
	case s.ContentEncoding == "binary" || s.ContentEncoding == "base64":
		return true
	case s.ContentMediaType != "":
		base := baseMediaType(s.ContentMediaType)
		return !isJSONMedia(base) && !strings.HasPrefix(base, "text/")
	}
	return false
}

// fileArgument returns the argument schema of a file field (or of an array
// of files): a base64 string, or an object giving the file name, content
// type and either base64 content or plain text.
func fileArgument(p *openapi3.SchemaRef) (map[string]any, bool) {
	if p == nil || p.Value == nil {
		return nil, false
	}
	s := p.Value
	if isFileSchema(s) {
		return fileSchema(s.Description), true
	}
	if s.Type.Is("array") && s.Items != nil && isFileSchema(s.Items.Value) {
		out := map[string]any{"type": "array", "items": fileSchema(s.Items.Value.Description)}
		if s.Description != "" {
			out["description"] = s.Description
		}
		return out, true
	}
	return nil, false
}

const fileHelp = "A file: either its content as a base64 string, or an object " +
	`{"filename", "contentType", and "base64" (binary content) or "text" (text content)}.`

func fileSchema(desc string) map[string]any {
	if desc != "" {
		desc = strings.TrimSpace(desc) + "\n\n" + fileHelp
	} else {
		desc = fileHelp
	}
	return map[string]any{
		"description": desc,
		"anyOf": []any{
			map[string]any{"type": "string", "contentEncoding": "base64"},
			map[string]any{
				"type": "object",
				"properties": map[string]any{
					"filename":    map[string]any{"type": "string"},
					"contentType": map[string]any{"type": "string"},
					"base64":      map[string]any{"type": "string", "contentEncoding": "base64"},
					"text":        map[string]any{"type": "string"},
				},
				"oneOf":                []any{map[string]any{"required": []any{"base64"}}, map[string]any{"required": []any{"text"}}},
				"additionalProperties": false,
			},
		},
	}
}

// asObject makes a converted schema a map so annotations can be added; the
// boolean schema true becomes {} and false becomes {"not": {}}.
func asObject(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case bool:
		if x {
			return map[string]any{}
		}
		return map[string]any{"not": map[string]any{}}
	}
	return map[string]any{}
}

func sortedSet(m map[string]bool) []string {
	if len(m) == 0 {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedKeysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
