package forward

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// OpenAPI 3 parameter serialization. The expected outputs are those of the
// "Style Examples" table of OpenAPI 3.0.4 (which corrected 3.0.3's label row
// to follow RFC 6570) with strict RFC 3986 percent-encoding: `|`, `[` and `]`
// are encoded, as the table does.

const upperhex = "0123456789ABCDEF"

// escapeStrict percent-encodes every byte except RFC 3986 unreserved
// characters. Query names and values use it, so `&`, `=`, `+` and `#` in an
// argument can never change the query's structure.
func escapeStrict(s string) string {
	return escape(s, isUnreserved)
}

// escapeAllowReserved keeps RFC 3986 reserved characters and existing
// percent-encoded triples (OpenAPI allowReserved), but still encodes `#`
// (which would end the query) and a `%` that does not start a triple.
func escapeAllowReserved(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isUnreserved(c) || (isReserved(c) && c != '#'):
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

func escape(s string, keep func(byte) bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !keep(s[i]) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	buf := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if keep(c) {
			buf = append(buf, c)
			continue
		}
		buf = append(buf, '%', upperhex[c>>4], upperhex[c&15])
	}
	return string(buf)
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

func isReserved(c byte) bool {
	return strings.IndexByte(":/?#[]@!$&'()*+,;=", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// escapePath escapes one piece of a path parameter. url.PathEscape already
// encodes `/`, `?`, `;` and `,` (and `#`), so neither a value nor a list
// element can add a path segment, start the query, or fake a delimiter.
func escapePath(s string) string { return url.PathEscape(s) }

// expandPath serializes a path parameter in simple, label or matrix style.
func expandPath(p *catalog.Param, sh shape) (string, error) {
	style := p.Style
	if style == "" {
		style = "simple"
	}
	name := escapePath(p.Name)
	var b strings.Builder
	switch style {
	case "simple":
		writeList(&b, sh, ",", p.Explode, escapePath)
	case "label":
		b.WriteByte('.')
		sep := ","
		if p.Explode {
			sep = "."
		}
		writeList(&b, sh, sep, p.Explode, escapePath)
	case "matrix":
		switch {
		case sh.kind == shapeArray && p.Explode:
			for _, it := range sh.items {
				b.WriteString(";" + name + "=" + escapePath(it))
			}
		case sh.kind == shapeObject && p.Explode:
			for i, k := range sh.keys {
				b.WriteString(";" + escapePath(k) + "=" + escapePath(sh.vals[i]))
			}
		case sh.kind == shapeScalar && sh.s == "":
			b.WriteString(";" + name)
		default:
			b.WriteString(";" + name + "=")
			writeList(&b, sh, ",", false, escapePath)
		}
	default:
		return "", fmt.Errorf("unsupported style %q for a path parameter", style)
	}
	return b.String(), nil
}

// writeList writes a scalar, the items of an array joined by sep, or an
// object as k,v,k,v (explode false) or k=v joined by sep (explode true).
func writeList(b *strings.Builder, sh shape, sep string, explode bool, esc func(string) string) {
	switch sh.kind {
	case shapeScalar:
		b.WriteString(esc(sh.s))
	case shapeArray:
		for i, it := range sh.items {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(esc(it))
		}
	case shapeObject:
		for i, k := range sh.keys {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(esc(k))
			if explode {
				b.WriteByte('=')
			} else {
				b.WriteString(sep)
			}
			b.WriteString(esc(sh.vals[i]))
		}
	}
}

// appendQuery adds a query parameter to q (already-encoded name=value pairs
// joined by &). value is the raw argument: deepObject needs its nesting.
func appendQuery(q *strings.Builder, p *catalog.Param, sh shape, value any) error {
	esc := escapeStrict
	if p.AllowReserved {
		esc = escapeAllowReserved
	}
	name := escapeStrict(p.Name)
	pair := func(k, v string) {
		if q.Len() > 0 {
			q.WriteByte('&')
		}
		q.WriteString(k)
		q.WriteByte('=')
		q.WriteString(v)
	}
	style := p.Style
	if p.ContentType != "" || sh.kind == shapeScalar {
		style = "form" // every style serializes a single value as name=value
	}
	switch style {
	case "deepObject":
		if obj, ok := value.(map[string]any); ok && p.ContentType == "" {
			// OpenAPI leaves nesting undefined; flatten follows the common
			// qs/Rails/PHP convention (name[a][b]=v, name[list][]=v).
			return flatten(p.Name, obj, false, 0, func(k, v string) { pair(escapeStrict(k), esc(v)) })
		}
		if sh.kind == shapeArray {
			for _, it := range sh.items {
				pair(name, esc(it))
			}
			return nil
		}
	case "spaceDelimited", "pipeDelimited":
		if !p.Explode {
			sep := "%20"
			if style == "pipeDelimited" {
				sep = "%7C"
			}
			var v strings.Builder
			writeList(&v, sh, sep, false, esc)
			pair(name, v.String())
			return nil
		}
	}
	// form, and the fallback for styles that do not fit the value.
	switch {
	case sh.kind == shapeArray && p.Explode:
		for _, it := range sh.items {
			pair(name, esc(it))
		}
	case sh.kind == shapeObject && p.Explode:
		for i, k := range sh.keys {
			pair(escapeStrict(k), esc(sh.vals[i]))
		}
	default:
		var v strings.Builder
		writeList(&v, sh, ",", false, esc)
		pair(name, v.String())
	}
	return nil
}

// headerValue serializes a header parameter (simple style; headers are not
// percent-encoded).
func headerValue(p *catalog.Param, sh shape) string {
	var b strings.Builder
	writeList(&b, sh, ",", p.Explode, func(s string) string { return s })
	return b.String()
}

// cookiePairs serializes a cookie parameter in form style: explode makes one
// cookie per array item or object property. Characters a cookie value may
// not carry (RFC 6265 cookie-octet: no space, quote, comma, semicolon,
// backslash, control or non-ASCII byte) are percent-encoded, as is `%`, so
// an argument can never add a cookie; the list comma stays literal.
func cookiePairs(p *catalog.Param, sh shape) [][2]string {
	switch {
	case sh.kind == shapeArray && p.Explode:
		out := make([][2]string, len(sh.items))
		for i, it := range sh.items {
			out[i] = [2]string{p.Name, escapeCookie(it)}
		}
		return out
	case sh.kind == shapeObject && p.Explode:
		out := make([][2]string, len(sh.keys))
		for i, k := range sh.keys {
			out[i] = [2]string{k, escapeCookie(sh.vals[i])}
		}
		return out
	}
	var b strings.Builder
	writeList(&b, sh, ",", false, escapeCookie)
	return [][2]string{{p.Name, b.String()}}
}

func escapeCookie(s string) string {
	return escape(s, func(c byte) bool {
		return c == 0x21 || (c >= 0x23 && c <= 0x2B && c != '%') || (c >= 0x2D && c <= 0x3A) ||
			(c >= 0x3C && c <= 0x5B) || (c >= 0x5D && c <= 0x7E)
	})
}
