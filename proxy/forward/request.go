package forward

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// forbiddenHeaders are never set from arguments: credentials and cookies
// belong to Decorate, framing headers to the transport, and OpenAPI says
// header parameters named Accept, Content-Type or Authorization are ignored.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Authorization": true, "Proxy-Authorization": true, "Cookie": true,
	"Content-Length": true, "Transfer-Encoding": true, "Connection": true, "Keep-Alive": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true, "Expect": true,
	"Content-Type": true, "Accept": true,
}

// defaultAccept is sent when the operation names no success media type.
const defaultAccept = "application/json, */*;q=0.5"

// BuildRequest builds the upstream request for op from args without sending
// it. The URL is baseURL joined with op.Path, path parameters substituted;
// the scheme and host always come from baseURL, and the final URL is checked
// to still have baseURL's origin and to lie under its path. It fails, naming
// the argument, for a missing required parameter or body, a value that
// cannot be serialized, or a header or cookie value with control
// characters. BuildRequest does no schema validation (see Validate).
func BuildRequest(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) (*http.Request, error) {
	if op == nil {
		return nil, errNoOp
	}
	base, err := parseBase(baseURL)
	if err != nil {
		return nil, err
	}
	path, err := expandTemplate(op, args)
	if err != nil {
		return nil, err
	}

	var query strings.Builder
	query.WriteString(base.RawQuery)
	for _, kv := range op.FixedQuery {
		if query.Len() > 0 {
			query.WriteByte('&')
		}
		query.WriteString(escapeStrict(kv[0]) + "=" + escapeStrict(kv[1]))
	}
	header := make(http.Header)
	var cookies [][2]string
	for i := range op.Params {
		p := &op.Params[i]
		if p.In == catalog.InPath {
			continue // done by expandTemplate
		}
		v, present := args[p.Arg]
		if !present || v == nil {
			if p.Required {
				return nil, fmt.Errorf("missing required %s parameter %s", p.In, argLabel(p))
			}
			continue
		}
		sh, err := toShape(v, p.ContentType)
		if err != nil {
			return nil, fmt.Errorf("%s parameter %s: %w", p.In, argLabel(p), err)
		}
		if sh.empty() {
			continue // an empty list is undefined in RFC 6570: omit it
		}
		switch p.In {
		case catalog.InQuery:
			if err := appendQuery(&query, p, sh, v); err != nil {
				return nil, fmt.Errorf("query parameter %s: %w", argLabel(p), err)
			}
		case catalog.InHeader:
			if err := addHeader(header, p, sh); err != nil {
				return nil, err
			}
		case catalog.InCookie:
			if !isToken(p.Name) {
				return nil, fmt.Errorf("cookie parameter %s: name is not a valid cookie name", argLabel(p))
			}
			if s, ok := sh.find(func(s string) bool { return strings.IndexFunc(s, isCtl) >= 0 }); ok {
				return nil, fmt.Errorf("cookie parameter %s: value %q contains a control character; CR, LF and other control characters are not allowed", argLabel(p), s)
			}
			pairs := cookiePairs(p, sh)
			for _, kv := range pairs {
				if !isToken(kv[0]) {
					return nil, fmt.Errorf("cookie parameter %s: property %q is not a valid cookie name", argLabel(p), kv[0])
				}
			}
			cookies = append(cookies, pairs...)
		default:
			return nil, fmt.Errorf("parameter %s: unknown location %q", argLabel(p), p.In)
		}
	}

	body, contentType, err := encodeBody(op.Body, args)
	if err != nil {
		return nil, err
	}

	u := *base
	u.RawQuery = query.String()
	joined := strings.TrimSuffix(base.EscapedPath(), "/") + path
	if u.Path, err = url.PathUnescape(joined); err != nil {
		return nil, fmt.Errorf("path %q: %w", op.Path, err)
	}
	u.RawPath = joined
	var bodyReader io.Reader
	if body != nil {
		bodyReader = body
	}
	req, err := http.NewRequestWithContext(ctx, op.Method, u.String(), bodyReader)
	if err != nil {
		return nil, fmt.Errorf("build %s request for %s: %w", op.Method, op.Path, err)
	}
	if err := checkOrigin(baseURL, req.URL); err != nil {
		return nil, err
	}
	req.Header = header
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", acceptFor(op.SuccessMedia))
	if len(cookies) > 0 {
		var b strings.Builder
		for i, kv := range cookies {
			if i > 0 {
				b.WriteString("; ")
			}
			b.WriteString(kv[0] + "=" + kv[1])
		}
		req.Header.Set("Cookie", b.String())
	}
	return req, nil
}

// parseBase parses and checks the upstream base URL.
func parseBase(baseURL string) (*url.URL, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, fmt.Errorf("invalid upstream base URL: %w", sanitizeErr(err))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("upstream base URL must be http or https, not %q", u.Scheme)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("upstream base URL has no host")
	}
	u.Fragment, u.RawFragment = "", ""
	return u, nil
}

// checkOrigin verifies that got has the scheme and host of baseURL and that
// its path is baseURL's path or lies below it.
func checkOrigin(baseURL string, got *url.URL) error {
	base, err := parseBase(baseURL)
	if err != nil {
		return err
	}
	if got.Scheme != base.Scheme || got.Host != base.Host || got.User.String() != base.User.String() {
		return fmt.Errorf("request URL left the upstream origin %s://%s", base.Scheme, base.Host)
	}
	bp := strings.TrimSuffix(base.EscapedPath(), "/")
	gp := got.EscapedPath()
	if gp != bp && !strings.HasPrefix(gp, bp+"/") {
		return fmt.Errorf("request path is outside the upstream base path %q", bp)
	}
	for _, seg := range strings.Split(gp[len(bp):], "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("request path contains a %q segment", seg)
		}
	}
	return nil
}

// expandTemplate substitutes the path parameters into op.Path and returns
// the escaped path (it starts with "/" unless op.Path is empty).
func expandTemplate(op *catalog.Operation, args map[string]any) (string, error) {
	tmpl := op.Path
	if tmpl != "" && !strings.HasPrefix(tmpl, "/") {
		tmpl = "/" + tmpl
	}
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			break
		}
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			break
		}
		b.WriteString(escapeLiteralPath(tmpl[:open]))
		name := tmpl[open+1 : open+end]
		tmpl = tmpl[open+end+1:]
		p := pathParam(op, name)
		if p == nil {
			return "", fmt.Errorf("path template %s: no parameter for {%s}", op.Path, name)
		}
		v, ok := args[p.Arg]
		if !ok || v == nil {
			return "", fmt.Errorf("missing required path parameter %s", argLabel(p))
		}
		sh, err := toShape(v, p.ContentType)
		if err != nil {
			return "", fmt.Errorf("path parameter %s: %w", argLabel(p), err)
		}
		if err := checkPathValue(p, sh); err != nil {
			return "", err
		}
		s, err := expandPath(p, sh)
		if err != nil {
			return "", fmt.Errorf("path parameter %s: %w", argLabel(p), err)
		}
		b.WriteString(s)
	}
	b.WriteString(escapeLiteralPath(tmpl))
	return b.String(), nil
}

func pathParam(op *catalog.Operation, name string) *catalog.Param {
	for i := range op.Params {
		if p := &op.Params[i]; p.In == catalog.InPath && p.Name == name {
			return p
		}
	}
	return nil
}

// checkPathValue rejects path values that could change which resource is
// addressed even after escaping: an empty value (it would collapse the
// segment, turning /users/{id}/posts into /users//posts) and a value with a
// ".." component, which a server decoding %2F before routing would resolve.
func checkPathValue(p *catalog.Param, sh shape) error {
	// Matrix style names the parameter (";id"), so only it can carry "".
	if sh.empty() || (sh.kind == shapeScalar && sh.s == "" && p.Style != "matrix") {
		return fmt.Errorf("path parameter %s must not be empty", argLabel(p))
	}
	if v, ok := sh.find(func(v string) bool { return v == "." }); ok {
		return fmt.Errorf("path parameter %s must not be %q", argLabel(p), v)
	}
	if _, ok := sh.find(hasDotDot); ok {
		return fmt.Errorf("path parameter %s must not contain a \"..\" path component", argLabel(p))
	}
	return nil
}

func hasDotDot(v string) bool {
	for _, part := range strings.FieldsFunc(v, func(r rune) bool { return r == '/' || r == '\\' }) {
		if part == ".." {
			return true
		}
	}
	return false
}

// escapeLiteralPath escapes the literal parts of a path template: "/" and
// valid percent-encoded triples are kept, anything not allowed in a path
// (spaces, non-ASCII) is encoded.
func escapeLiteralPath(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c) || c == '/' || (isReserved(c) && c != '?' && c != '#' && c != '[' && c != ']'):
			b.WriteByte(c)
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(upperhex[c>>4])
			b.WriteByte(upperhex[c&15])
		}
	}
	return b.String()
}

// addHeader validates and sets one header parameter.
func addHeader(h http.Header, p *catalog.Param, sh shape) error {
	name := http.CanonicalHeaderKey(p.Name)
	if !isToken(p.Name) {
		return fmt.Errorf("header parameter %s: %q is not a valid header name", argLabel(p), p.Name)
	}
	if forbiddenHeaders[name] {
		// The converter drops these; a parameter that still names one is
		// ignored, as OpenAPI prescribes for Accept/Content-Type/Authorization.
		return nil
	}
	v := headerValue(p, sh)
	if i := strings.IndexFunc(v, isCtl); i >= 0 {
		return fmt.Errorf("header parameter %s: value contains a control character (%q at byte %d); CR, LF and other control characters are not allowed in headers", argLabel(p), v[i], i)
	}
	h.Add(name, v)
	return nil
}

// isCtl reports control characters other than horizontal tab.
func isCtl(r rune) bool { return (r < 0x20 && r != '\t') || r == 0x7f }

// isToken reports whether s is a non-empty RFC 9110 token (header or cookie
// name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// argLabel names a parameter for error messages: the argument name, and the
// wire name when it differs.
func argLabel(p *catalog.Param) string {
	if p.Arg == p.Name || p.Name == "" {
		return fmt.Sprintf("%q", p.Arg)
	}
	return fmt.Sprintf("%q (sent as %q)", p.Arg, p.Name)
}

// acceptFor derives the Accept header from the success media type, still
// accepting anything else at lower priority so an error body in another
// format is not turned into a 406.
func acceptFor(successMedia string) string {
	m := strings.TrimSpace(successMedia)
	if m == "" || m == "*/*" || strings.ContainsAny(m, "\r\n") {
		return defaultAccept
	}
	return m + ", */*;q=0.5"
}

// displayURL is u without userinfo, for results and messages.
func displayURL(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
