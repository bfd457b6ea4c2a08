// Package specload fetches and parses OpenAPI documents.
//
// It reads a spec from an http(s) URL, a file:// URL or a file path, in JSON
// or YAML, as Swagger 2.0 (converted to OpenAPI 3 with openapi2conv),
// OpenAPI 3.0 or OpenAPI 3.1, and always hands back an *openapi3.T.
//
// Real specs are not always valid. Before kin-openapi sees a document,
// specload decodes it generically and repairs what would stop it from
// loading: a $ref that does not resolve, or that points outside the document
// without being allowed, becomes a permissive placeholder schema, and a few
// in-the-wild defects (JSON Schema tuple `items`, Swagger 2.0 `type` arrays,
// boolean `required` on properties, a scheme or path in Swagger 2.0 `host`)
// are normalized. Every repair is reported as a catalog.Warning.
//
// Fetching is specload's own: a per-fetch timeout, a size cap and
// conditional GETs; kin-openapi's process-wide URI cache is never used.
// Document validation is slow on big specs and is therefore separate
// (Validate), meant to run in the background.
package specload

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specgate/specgate/proxy/catalog"
)

// Defaults applied to zero Options fields.
const (
	DefaultTimeout   = 30 * time.Second
	DefaultMaxBytes  = 64 << 20
	DefaultUserAgent = "specgate"
)

// maxExternalDocs bounds how many other documents one spec may pull in
// through allowed external $refs.
const maxExternalDocs = 64

// Options configure fetching and parsing. The zero value is usable.
type Options struct {
	// HTTPClient fetches URLs. Nil means a dedicated client with dial, TLS
	// and response-header timeouts. Its CheckRedirect is replaced per fetch.
	HTTPClient *http.Client
	// Timeout bounds each fetch (the spec or one external document),
	// body included. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBytes caps the size of each fetched document. Zero means
	// DefaultMaxBytes. A YAML document also may not expand, through its
	// aliases, into more than twice this much JSON.
	MaxBytes int64
	// AllowExternalRefHosts lists the hosts ("host" or "host:port",
	// case-insensitive) that external http(s) $refs may be fetched from,
	// redirects included. Empty means no external URL is ever fetched.
	// A relative $ref in a spec loaded from a URL resolves against that
	// URL, so the spec's own host must be listed to follow it. A $ref that
	// may not be followed becomes a placeholder with a warning.
	AllowExternalRefHosts []string
	// AllowExternalFileRefs lets a spec loaded from a file use $refs to other
	// files in its own directory tree (never outside it).
	AllowExternalFileRefs bool
	// UserAgent is sent with every request. Empty means DefaultUserAgent.
	UserAgent string
	// Logger receives debug logs. Nil discards them.
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Document is one loaded spec. Treat it as read-only: Reload may return the
// same Document, or a copy sharing Spec, when nothing changed.
type Document struct {
	// Spec is the parsed document, always OpenAPI 3 (Swagger 2.0 converted),
	// with every $ref resolved.
	Spec *openapi3.T
	// SourceVersion is the version the source declared: "2.0", "3.0.3",
	// "3.1.0", ...
	SourceVersion string
	// Source is the URL or path as given.
	Source string
	// Digest is the hex SHA-256 of the raw bytes.
	Digest string
	// ETag and LastModified are the validators of a URL source, sent back
	// by Reload.
	ETag, LastModified string
	// ModTime and Size describe a file source, compared by Reload.
	ModTime time.Time
	Size    int64
	// Warnings lists what had to be repaired to load the document.
	Warnings []catalog.Warning
}

// ParseError is a document that could not be parsed. Line and Column are
// 1-based and set for syntax errors; Pointer is the JSON pointer of the
// offending value (e.g. "#/paths/~1pets/get/parameters") for structural
// errors, when known.
type ParseError struct {
	Source  string
	Line    int
	Column  int
	Pointer string
	Err     error
}

// Error formats the error with the source and position.
func (e *ParseError) Error() string {
	where := ""
	switch {
	case e.Line > 0 && e.Column > 0:
		where = fmt.Sprintf("line %d, column %d: ", e.Line, e.Column)
	case e.Line > 0:
		where = fmt.Sprintf("line %d: ", e.Line)
	case e.Pointer != "":
		where = "at " + e.Pointer + ": "
	}
	return fmt.Sprintf("parse spec %s: %s%v", redact(e.Source), where, e.Err)
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// redact is RedactSource.
func redact(source string) string { return RedactSource(source) }

// RedactSource hides the credentials a spec source may carry before it goes
// into an error, a log or a status page: a URL's password, and the values of
// its query, since private spec URLs often carry an access token there
// (?token=...). Parameter names stay, so the source is still recognizable.
// A file path is returned unchanged.
func RedactSource(source string) string {
	if !strings.Contains(source, "://") {
		return source
	}
	u, err := url.Parse(source)
	if err != nil {
		// Cannot parse: drop the query and any userinfo by hand.
		s, hadQuery := source, false
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s, hadQuery = s[:i], s[i] == '?'
		}
		if scheme, rest, ok := strings.Cut(s, "://"); ok {
			authority, path, _ := strings.Cut(rest, "/")
			if at := strings.LastIndexByte(authority, '@'); at >= 0 {
				s = scheme + "://xxxxx@" + authority[at+1:]
				if path != "" || strings.Contains(rest, "/") {
					s += "/" + path
				}
			}
		}
		if hadQuery {
			s += "?xxxxx"
		}
		return s
	}
	return redactURL(u)
}

// redactURL is u without its password and query values.
func redactURL(u *url.URL) string {
	c := *u
	if c.RawQuery != "" {
		parts := strings.Split(c.RawQuery, "&")
		for i, p := range parts {
			if name, _, ok := strings.Cut(p, "="); ok {
				parts[i] = name + "=xxxxx"
			} else if p != "" {
				parts[i] = "xxxxx"
			}
		}
		c.RawQuery = strings.Join(parts, "&")
	}
	return c.Redacted()
}
