// Package catalog holds the immutable tool catalog that the converter builds
// from an OpenAPI document and that the MCP server and the forwarder read.
//
// A Catalog is never modified after it is built: a changed spec produces a new
// Catalog, and Holder swaps it in atomically, so a request always sees one
// whole catalog.
package catalog

import (
	"encoding/json"
	"sort"
)

// Location says where an operation parameter goes in the HTTP request.
type Location string

// The parameter locations of OpenAPI.
const (
	InPath   Location = "path"
	InQuery  Location = "query"
	InHeader Location = "header"
	InCookie Location = "cookie"
)

// Param maps one tool argument to one HTTP request parameter.
type Param struct {
	// Arg is the property name in the tool's inputSchema. It differs from Name
	// when Name is not a valid property name or collides with another location.
	Arg string `json:"arg"`
	// Name is the parameter name as the upstream expects it.
	Name string `json:"name"`
	// In is where the parameter is sent.
	In Location `json:"in"`
	// Required reports whether the spec marks the parameter required.
	Required bool `json:"required,omitempty"`
	// Style is the OpenAPI serialization style: simple, label, matrix, form,
	// spaceDelimited, pipeDelimited or deepObject. Empty means the default for In.
	Style string `json:"style,omitempty"`
	// Explode is the effective OpenAPI explode flag (defaults already applied).
	Explode bool `json:"explode,omitempty"`
	// AllowReserved lets reserved characters through unescaped in query values.
	AllowReserved bool `json:"allowReserved,omitempty"`
	// ContentType is set when the parameter uses `content` instead of `schema`
	// (the value is then serialized as that media type, e.g. JSON).
	ContentType string `json:"contentType,omitempty"`
}

// BodyKind says how a request body argument is encoded on the wire.
type BodyKind string

// The request body encodings specgate sends.
const (
	BodyJSON      BodyKind = "json"      // application/json and */*+json
	BodyForm      BodyKind = "form"      // application/x-www-form-urlencoded
	BodyMultipart BodyKind = "multipart" // multipart/form-data
	BodyText      BodyKind = "text"      // text/plain and other text/*
	BodyBinary    BodyKind = "binary"    // application/octet-stream and other binary: base64 in the argument
)

// Body describes the request body of an operation.
type Body struct {
	// Arg is the inputSchema property that carries the body ("body" unless a
	// parameter already uses that name).
	Arg string `json:"arg"`
	// MediaType is the content type sent upstream, e.g. "application/json".
	MediaType string `json:"mediaType"`
	// Kind is how the argument is encoded.
	Kind BodyKind `json:"kind"`
	// Required reports whether the spec marks the body required.
	Required bool `json:"required,omitempty"`
	// FileFields lists multipart (or form) fields that carry files. Their
	// argument is either a base64 string or an object
	// {"filename","contentType","base64"|"text"}.
	FileFields []string `json:"fileFields,omitempty"`
	// FieldContentTypes gives per-field content types from the OpenAPI
	// `encoding` object (multipart), e.g. a JSON part.
	FieldContentTypes map[string]string `json:"fieldContentTypes,omitempty"`
}

// Annotations are the MCP tool hints derived from the HTTP method.
type Annotations struct {
	ReadOnly    bool `json:"readOnlyHint"`
	Destructive bool `json:"destructiveHint"`
	Idempotent  bool `json:"idempotentHint"`
	OpenWorld   bool `json:"openWorldHint"`
}

// SecurityRequirement is one alternative of an operation's OpenAPI security:
// every named scheme must be satisfied, with the listed scopes.
type SecurityRequirement struct {
	// Schemes maps a securitySchemes name to the scopes the spec requires of it.
	Schemes map[string][]string `json:"schemes"`
}

// The OpenAPI security scheme types (SecurityScheme.Type).
const (
	SchemeAPIKey        = "apiKey"
	SchemeHTTP          = "http"
	SchemeOAuth2        = "oauth2"
	SchemeOpenIDConnect = "openIdConnect"
	SchemeMutualTLS     = "mutualTLS"
)

// SecurityScheme is one entry of the spec's components.securitySchemes
// (Swagger 2.0 securityDefinitions): how the API expects credentials.
type SecurityScheme struct {
	// Name is the scheme's key in components.securitySchemes, the name that
	// SecurityRequirement.Schemes refers to.
	Name string `json:"name"`
	// Type is apiKey, http, oauth2, openIdConnect or mutualTLS (the
	// canonical spelling; a spec's other spellings are kept as written).
	Type string `json:"type"`
	// Scheme is the lower-case HTTP authentication scheme of an http scheme,
	// e.g. "bearer" or "basic".
	Scheme string `json:"scheme,omitempty"`
	// In is where an apiKey goes: "header", "query" or "cookie".
	In string `json:"in,omitempty"`
	// ParamName is the header, query parameter or cookie name of an apiKey.
	ParamName string `json:"paramName,omitempty"`
	// BearerFormat is the http bearer scheme's token format hint, e.g. "JWT".
	BearerFormat string `json:"bearerFormat,omitempty"`
}

// String describes the scheme in a few words for listings and logs, e.g.
// "apiKey in query server_token" or "http bearer (JWT)".
func (s SecurityScheme) String() string {
	switch {
	case s.Type == SchemeAPIKey:
		return "apiKey in " + s.In + " " + s.ParamName
	case s.Type == SchemeHTTP && s.BearerFormat != "":
		return "http " + s.Scheme + " (" + s.BearerFormat + ")"
	case s.Type == SchemeHTTP:
		return "http " + s.Scheme
	}
	return s.Type
}

// Operation is one API operation exposed as one MCP tool.
type Operation struct {
	// Name is the tool name: unique in the catalog, ^[a-zA-Z0-9_-]{1,64}$.
	Name string `json:"name"`
	// Title is a short human title (the summary, or a readable form of the name).
	Title string `json:"title,omitempty"`
	// Description is the tool description shown to the model.
	Description string `json:"description"`
	// Method is the upper-case HTTP method.
	Method string `json:"method"`
	// Path is the path template as the upstream expects it, e.g. /pets/{petId}
	// (a `#fragment` or `?query` suffix of the spec's path key is removed).
	Path string `json:"path"`
	// FixedQuery holds query parameters that the spec's path key carries
	// itself (e.g. "/responses?beta=true"); they are always sent.
	FixedQuery [][2]string `json:"fixedQuery,omitempty"`
	// OperationID is the spec's operationId, if any.
	OperationID string `json:"operationId,omitempty"`
	// Tags are the spec's tags.
	Tags []string `json:"tags,omitempty"`
	// Deprecated mirrors the spec's flag.
	Deprecated bool `json:"deprecated,omitempty"`
	// InputSchema is the JSON Schema (2020-12) of the tool arguments: always an
	// object.
	InputSchema json.RawMessage `json:"inputSchema"`
	// OutputSchema is the JSON Schema of the structured result, set only when
	// the success response is a JSON object.
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	// Annotations are the MCP behaviour hints.
	Annotations Annotations `json:"annotations"`
	// Params maps arguments to request parameters, in a stable order.
	Params []Param `json:"params,omitempty"`
	// Body is nil when the operation takes no request body.
	Body *Body `json:"body,omitempty"`
	// Security is the operation's effective OpenAPI security (alternatives).
	// Nil means none declared; an empty, non-nil slice means explicitly open.
	Security []SecurityRequirement `json:"security,omitempty"`
	// Scopes are the OAuth scopes the spec requires (union of oauth2 and
	// openIdConnect scopes of the first security alternative that has any).
	Scopes []string `json:"scopes,omitempty"`
	// SuccessMedia is the media type of the primary success response, if known.
	SuccessMedia string `json:"successMedia,omitempty"`
	// Pagination names the arguments that page through the results; nil
	// when the operation has none that look like paging.
	Pagination *Pagination `json:"pagination,omitempty"`
	// Shaping overrides the forwarder's response limits for this operation;
	// nil means the forwarder's own.
	Shaping *Shaping `json:"shaping,omitempty"`
}

// Pagination names the tool arguments (inputSchema property names) of an
// operation that look like paging, so that a shortened result can tell the
// agent how to fetch the rest.
type Pagination struct {
	// Size are arguments that set the page size: limit, per_page, page_size…
	Size []string `json:"size,omitempty"`
	// Position are arguments that choose the page: offset, page, cursor,
	// starting_after, page_token…
	Position []string `json:"position,omitempty"`
}

// Shaping holds per-operation limits for shortening JSON results. Zero means
// the forwarder's setting; a negative value means no limit.
type Shaping struct {
	// MaxArrayItems is how many entries of each JSON array are kept.
	MaxArrayItems int `json:"maxArrayItems,omitempty"`
	// MaxStringBytes is how many bytes of each JSON string are kept.
	MaxStringBytes int `json:"maxStringBytes,omitempty"`
}

// Warning is something the loader or converter could not honour exactly.
// It never stops a catalog from being built.
type Warning struct {
	// Where names the place, e.g. "GET /pets" or "#/components/schemas/Pet".
	Where string `json:"where"`
	// Message says what happened.
	Message string `json:"message"`
}

// String formats the warning for logs.
func (w Warning) String() string {
	if w.Where == "" {
		return w.Message
	}
	return w.Where + ": " + w.Message
}

// Catalog is an immutable set of operations built from one spec version.
type Catalog struct {
	// Title and Version come from the spec's info object.
	Title   string
	Version string
	// SpecVersion is the source format, e.g. "2.0", "3.0.3", "3.1.0".
	SpecVersion string
	// BaseURL is the upstream base URL operations are sent to (no trailing slash).
	BaseURL string
	// Digest identifies the spec content this catalog was built from.
	Digest string
	// Warnings collected while loading and converting.
	Warnings []Warning
	// ScopeDescriptions maps OAuth scope names to the spec's descriptions.
	ScopeDescriptions map[string]string
	// Hidden lists the operations ("METHOD /path") left out on purpose, by
	// x-mcp-hidden or a configuration override. They are not warnings.
	Hidden []string
	// SecuritySchemes are the spec's security schemes by name (nil when it
	// declares none). Operation.Security refers to them by name.
	SecuritySchemes map[string]SecurityScheme

	ops    []*Operation
	byName map[string]*Operation
}

// New builds a Catalog from operations. It sorts them by name; names must
// already be unique (a later duplicate replaces an earlier one in lookups).
func New(ops []*Operation) *Catalog {
	sorted := make([]*Operation, len(ops))
	copy(sorted, ops)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	byName := make(map[string]*Operation, len(sorted))
	for _, op := range sorted {
		byName[op.Name] = op
	}
	return &Catalog{ops: sorted, byName: byName}
}

// Select returns a catalog with the operations for which keep returns true
// and every catalog-level field of c (Title, BaseURL, Warnings…) carried
// over. The fields' slices and maps are shared, not copied: catalogs are
// never modified.
func (c *Catalog) Select(keep func(*Operation) bool) *Catalog {
	if c == nil {
		return nil
	}
	out := *c
	out.ops = make([]*Operation, 0, len(c.ops))
	out.byName = make(map[string]*Operation, len(c.ops))
	for _, op := range c.ops {
		if keep(op) {
			out.ops = append(out.ops, op)
			out.byName[op.Name] = op
		}
	}
	return &out
}

// Operations returns the operations sorted by name. The slice must not be modified.
func (c *Catalog) Operations() []*Operation {
	if c == nil {
		return nil
	}
	return c.ops
}

// Lookup returns the operation with the given tool name.
func (c *Catalog) Lookup(name string) (*Operation, bool) {
	if c == nil {
		return nil, false
	}
	op, ok := c.byName[name]
	return op, ok
}

// Len returns the number of operations.
func (c *Catalog) Len() int {
	if c == nil {
		return 0
	}
	return len(c.ops)
}
