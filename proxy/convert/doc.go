// Package convert turns an OpenAPI 3 document (kin-openapi; Swagger 2.0 is
// converted to 3 beforehand) into a catalog of MCP tools: one tool per path
// and HTTP method (GET, PUT, POST, DELETE, OPTIONS, HEAD, PATCH, TRACE).
// Callbacks and webhooks are not tools.
//
// # Tool names
//
// A tool is named after its operationId. An operationId that is not made of
// [a-zA-Z0-9_-] has every run of other characters replaced by one "_" and is
// trimmed of leading and trailing "_" ("find pet by id" -> "find_pet_by_id").
// An operation without an operationId is named method_path: the lower-case
// method, then the path key with its separators turned into "_" and the
// braces of path parameters dropped (GET /users/{userId}/repos ->
// "get_users_userId_repos").
//
// Names are unique and deterministic. Operations are taken in order of path
// key, then method. A name longer than the limit (Options.MaxNameLength,
// default 64) is shortened and gets a suffix "_" + 6 hex digits of
// SHA-256("METHOD path-key"); a name already taken by an earlier operation
// gets the same suffix (then a salted one if that is taken too). So the first
// of two operations with one operationId keeps the bare name.
//
// Names survive reloads: given the previous catalog (Options.Previous), an
// operation with the same method, path and fixed query keeps its previous
// name if no operation claimed it first (when several operations share that
// key, as with Box's "/oauth2/token#refresh", the operationId decides).
//
// # Paths
//
// A "#fragment" in a path key is dropped and a "?query" becomes
// Operation.FixedQuery, sent with every call ("/responses?beta=true" ->
// path "/responses", fixed query beta=true).
//
// # Arguments
//
// A tool's inputSchema is one JSON Schema 2020-12 object whose properties are
// the operation's parameters and its request body. Path-level parameters are
// merged with the operation's (the operation wins on the same name and
// location). The header parameters Authorization, Content-Type, Accept and
// Cookie are not arguments: the proxy sets them (a warning says so).
//
// Property names must match ^[a-zA-Z0-9_.-]{1,64}$ (the Anthropic API
// rejects others), so a parameter's argument name is its name with every run
// of other characters replaced by "_" and trimmed ("include[]" ->
// "include"), cut to 64 characters; catalog.Param maps it back (Arg vs Name).
// When two parameters want one argument name, locations are served in the
// order path, query, header, cookie: the first keeps the bare name and a
// later one becomes "<in>_<name>" (a query "id" next to a path "id" becomes
// "query_id"), then "<in>_<name>_2", "_3"… if that is taken too. The request
// body is the property "body", or "request_body" when a parameter already
// owns "body". Property names inside the body are the API's own.
//
// # Request bodies
//
// The media type sent is the first available of: application/json (then
// other JSON types such as application/merge-patch+json),
// application/x-www-form-urlencoded, multipart/form-data, text/plain (then
// other text types, XML, YAML), and anything else as binary. A binary body
// is a base64 string. In form and multipart bodies, a field that is a binary
// or base64 string (or has a non-text contentMediaType) takes either a base64
// string or an object {"filename", "contentType", "base64" | "text"}; such
// fields are listed in catalog.Body.FileFields.
//
// # Schemas
//
// OpenAPI schemas become JSON Schema 2020-12: OAS 3.0 nullable adds "null"
// to the type (or an anyOf with null for compositions), boolean
// exclusiveMinimum/exclusiveMaximum become numeric, example becomes
// examples, readOnly properties leave input schemas (and their required
// lists), xml, externalDocs and x-* extensions are dropped, and a
// discriminator keeps only its propertyName. Named component schemas used
// more than once in a tool schema, or on a $ref cycle, are emitted once
// under $defs and referenced as "#/$defs/<Name>"; other schemas are inlined.
// Depth and size are bounded; a cut-off part accepts any value.
//
// A tool has an outputSchema only when its primary success response (200,
// 201, the lowest other 2xx, 2XX, or default when there is no 2xx) is JSON
// and an object. Output schemas are lenient, since MCP clients validate
// results against them and real APIs deviate from their specs: no required,
// no additionalProperties: false, no format, enum, const, pattern or bounds,
// null allowed on every typed node, oneOf relaxed to anyOf, writeOnly
// properties removed.
//
// # Extensions and overrides
//
// Three OpenAPI extensions tune single operations: x-mcp-name (a string)
// replaces the operationId as the tool's base name, still sanitized and made
// unique, and claimed before every other name (so it wins a collision);
// x-mcp-description (a string) replaces the summary and description, used
// whole, clipped, and still followed by the deprecation notice and the
// "HTTP: METHOD /path" line; x-mcp-hidden: true (on an operation or on a
// path item, the operation's own value winning) leaves the operation out.
// A hidden operation is not converted and is not a warning; it is listed in
// Catalog.Hidden as "METHOD /path". Options.Overrides do the same from
// configuration and win over the extensions (Hidden: false shows what the
// spec hides); they also carry the response limits of catalog.Shaping. An
// override is keyed by operationId, default tool name or "METHOD /path"; a
// key that matches nothing is a warning. Like every name, a name set this
// way survives reloads even after the override is removed, until restart.
//
// # Pagination
//
// Query parameters whose names look like paging (limit, per_page,
// page_size, $top…; offset, page, cursor, starting_after, page_token,
// marker…, compared case-insensitively on letters and digits only) are named
// in Operation.Pagination, so that a shortened result can say how to fetch
// the rest.
//
// # Hints and security
//
// GET, HEAD, OPTIONS and TRACE are read-only, DELETE is destructive, PUT and
// DELETE are idempotent, and every tool is open-world. An operation's
// security is its own requirement list when declared (even empty), else the
// document's; its Scopes are those of the first alternative that requires
// any (oauth2 and openIdConnect schemes, and any scheme in OAS 3.1). The
// document's security schemes become Catalog.SecuritySchemes, with type,
// http scheme and apiKey location spelled canonically.
package convert
