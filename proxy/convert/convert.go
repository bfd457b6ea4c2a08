package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/specgate/specgate/proxy/catalog"
)

// Options tune Convert.
type Options struct {
	// MaxNameLength caps tool names; 0 means 64, the MCP limit. A smaller
	// value (e.g. 48) keeps Claude Code's "mcp__<server>__<tool>" short.
	// It must be 0 or between 12 and 64.
	MaxNameLength int
	// MaxDescriptionLength caps tool descriptions in characters; 0 means 1000.
	// The final "HTTP: METHOD /path" line is always kept.
	MaxDescriptionLength int
	// Previous is the catalog built from the previous version of the spec,
	// or nil. Unchanged operations keep their tool names.
	Previous *catalog.Catalog
	// Overrides change single operations: the key is an operationId, a
	// default tool name (the name the operation gets without overrides,
	// before any collision suffix) or "METHOD /path" (the spec's path key).
	// They win over the spec's x-mcp-* extensions. A key that matches no
	// operation produces a warning.
	Overrides map[string]OperationOverride
	// Logger receives a summary and every warning at debug level; nil
	// discards.
	Logger *slog.Logger
}

// methods are the HTTP methods that become tools, in naming order.
var methods = []string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// Convert builds a tool catalog from an OpenAPI 3 document: one tool per
// (path, method) operation. Callbacks and webhooks do not become tools. It
// fills the catalog's operations, Title, Version, Warnings and Hidden; the caller
// sets SpecVersion, BaseURL and Digest. Problems with single operations
// become warnings; an error means the document or the options are unusable.
func Convert(doc *openapi3.T, opts Options) (*catalog.Catalog, error) {
	if doc == nil {
		return nil, errors.New("convert: nil OpenAPI document")
	}
	maxName := opts.MaxNameLength
	if maxName == 0 {
		maxName = maxToolName
	}
	if maxName < minToolName || maxName > maxToolName {
		return nil, fmt.Errorf("convert: MaxNameLength %d out of range (0 or %d..%d)", opts.MaxNameLength, minToolName, maxToolName)
	}
	maxDesc := opts.MaxDescriptionLength
	if maxDesc == 0 {
		maxDesc = defaultMaxDescription
	}
	if maxDesc < 0 {
		return nil, fmt.Errorf("convert: negative MaxDescriptionLength %d", maxDesc)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	cv := &converter{doc: doc, idx: newDocIndex(doc), maxDesc: maxDesc, over: newOverrides(opts.Overrides)}
	var ops []*catalog.Operation
	var hidden []string
	var naming []*namingOp
	if doc.Paths != nil {
		keys := doc.Paths.Keys()
		sort.Strings(keys)
		for _, rawPath := range keys {
			item := doc.Paths.Value(rawPath)
			if item == nil {
				continue
			}
			for _, method := range methods {
				op := item.GetOperation(method)
				if op == nil {
					continue
				}
				r := cv.resolve(rawPath, method, item, op)
				if r.hidden {
					hidden = append(hidden, method+" "+rawPath)
					continue
				}
				o, n := cv.operation(rawPath, method, item, op, r)
				if o != nil {
					ops = append(ops, o)
					naming = append(naming, n)
				}
			}
		}
	}
	cv.warnings = append(cv.warnings, cv.over.unused()...)
	cv.warnings = append(cv.warnings, assignNames(naming, maxName, opts.Previous)...)
	for i, o := range ops {
		o.Name = naming[i].name
		if o.Title == "" {
			// The base, not the name: a hash suffix is no help to a reader.
			o.Title = title("", naming[i].base)
		}
	}

	cat := catalog.New(ops)
	if doc.Info != nil {
		cat.Title, cat.Version = doc.Info.Title, doc.Info.Version
	}
	cat.SecuritySchemes = cv.securitySchemes()
	cat.Warnings = cv.warnings
	cat.Hidden = hidden
	for _, w := range cv.warnings {
		log.Debug("openapi conversion warning", "where", w.Where, "message", w.Message)
	}
	log.Info("converted OpenAPI document", "title", cat.Title, "tools", cat.Len(), "hidden", len(hidden), "warnings", len(cv.warnings))
	return cat, nil
}

// converter holds the state of one Convert call.
type converter struct {
	doc      *openapi3.T
	idx      *docIndex
	maxDesc  int
	over     *overrides
	warnings []catalog.Warning
	seen     map[string]bool // messages of warnOnce
}

// operation converts one operation. A failure inside (a bug or a value that
// cannot be marshalled) drops only this operation, with a warning.
func (cv *converter) operation(rawPath, method string, item *openapi3.PathItem, op *openapi3.Operation, rs resolved) (out *catalog.Operation, n *namingOp) {
	where := method + " " + rawPath
	defer func() {
		if r := recover(); r != nil {
			cv.warnings = append(cv.warnings, catalog.Warning{Where: where, Message: fmt.Sprintf("internal error, operation skipped: %v", r)})
			out, n = nil, nil
		}
	}()
	path, fixed := splitPathKey(rawPath)
	t := &toolBuilder{
		cv: cv, idx: cv.idx, where: where,
		op: &catalog.Operation{
			Method: method, Path: path, FixedQuery: fixed,
			OperationID: op.OperationID, Tags: slices.Clone(op.Tags), Deprecated: op.Deprecated,
			Shaping: rs.shaping,
		},
		customDesc: rs.description,
		props:      make(map[string]any),
		args:       newArgNames(),
	}
	t.in = newSchemaConv(cv.idx, inputMode, t.warn, t.warnOnce)
	if err := t.build(item, op); err != nil {
		t.warn(err.Error() + "; operation skipped")
		return nil, nil
	}
	t.op.Pagination = pagination(t.op.Params)
	base := SanitizeToolName(op.OperationID)
	if base == "" {
		base = methodPathName(method, rawPath)
	}
	explicit := false
	if rs.name != "" {
		if b := SanitizeToolName(rs.name); b != "" {
			base, explicit = b, true
		} else {
			t.warn("tool name " + strconv.Quote(rs.name) + " has no usable characters ([a-zA-Z0-9_-]); using " + strconv.Quote(base))
		}
	}
	n = &namingOp{method: method, rawPath: rawPath, path: path, fixedQ: encodeFixedQuery(fixed), opID: op.OperationID, base: base, explicit: explicit}
	return t.op, n
}

// toolBuilder builds one Operation.
type toolBuilder struct {
	cv       *converter
	idx      *docIndex
	where    string
	op       *catalog.Operation
	in       *schemaConv
	args     *argNames
	props    map[string]any
	required []string
	// customDesc replaces the spec's summary and description (x-mcp-description
	// or a configured override).
	customDesc string
}

func (t *toolBuilder) warn(msg string) {
	t.cv.warnings = append(t.cv.warnings, catalog.Warning{Where: t.where, Message: msg})
}

// warnOnce records a document-level problem once, at the first operation
// that meets it.
func (t *toolBuilder) warnOnce(msg string) {
	if t.cv.seen == nil {
		t.cv.seen = make(map[string]bool)
	}
	if !t.cv.seen[msg] {
		t.cv.seen[msg] = true
		t.warn(msg)
	}
}

func (t *toolBuilder) build(item *openapi3.PathItem, op *openapi3.Operation) error {
	o := t.op
	pathAndQuery := o.Path
	if len(o.FixedQuery) > 0 {
		pathAndQuery += "?" + encodeFixedQuery(o.FixedQuery)
	}
	if op.Summary != "" {
		o.Title = title(op.Summary, "")
	}
	if t.customDesc != "" {
		o.Description = customDescription(t.customDesc, o.Method, pathAndQuery, op.Deprecated, t.cv.maxDesc)
	} else {
		o.Description = description(op.Summary, op.Description, o.Method, pathAndQuery, op.Deprecated, t.cv.maxDesc)
	}
	o.Annotations = annotations(o.Method)
	o.Security, o.Scopes = t.security(op)

	params := t.keptParams(t.mergeParams(item.Parameters, op.Parameters))
	bc := t.chooseBody(op.RequestBody)
	// Scan everything first so shared schemas are recognised as shared.
	for _, p := range params {
		t.in.scan(paramSchema(p))
	}
	if bc != nil {
		t.in.scan(bc.mt.Schema)
	}
	for _, p := range params {
		t.parameter(p)
	}
	if bc != nil {
		t.requestBody(bc)
	}
	input := map[string]any{"type": "object", "properties": t.props}
	if len(t.required) > 0 {
		input["required"] = t.required
	}
	if defs := t.in.finish(); len(defs) > 0 {
		input["$defs"] = defs
	}
	var err error
	if o.InputSchema, err = marshal(input); err != nil {
		return fmt.Errorf("marshal inputSchema: %w", err)
	}
	if output := t.outputSchema(op); output != nil {
		if o.OutputSchema, err = marshal(output); err != nil {
			return fmt.Errorf("marshal outputSchema: %w", err)
		}
	}
	return nil
}

// marshal encodes v with sorted keys and without HTML escaping.
func marshal(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n")), nil
}

// splitPathKey separates a spec path key into the path template and the
// query parameters it carries: "/responses?beta=true" -> "/responses",
// [[beta true]]; "/oauth2/token#refresh" -> "/oauth2/token".
func splitPathKey(key string) (string, [][2]string) {
	if i := strings.IndexByte(key, '#'); i >= 0 {
		key = key[:i]
	}
	path, query, ok := strings.Cut(key, "?")
	if !ok {
		return path, nil
	}
	var fixed [][2]string
	for _, part := range strings.Split(query, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if uv, err := url.QueryUnescape(v); err == nil {
			v = uv
		}
		fixed = append(fixed, [2]string{k, v})
	}
	return path, fixed
}

// annotations derives the MCP hints from the HTTP method. Safe methods are
// read-only; DELETE is destructive; PUT and DELETE are idempotent. Every
// upstream API is an open world.
func annotations(method string) catalog.Annotations {
	a := catalog.Annotations{OpenWorld: true}
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		a.ReadOnly = true
	case "DELETE":
		a.Destructive, a.Idempotent = true, true
	case "PUT":
		a.Idempotent = true
	}
	return a
}
