package convert

import (
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/specgate/specgate/proxy/catalog"
)

// security returns the operation's effective security requirements (its
// own when declared, even empty; the document's otherwise) and the OAuth
// scopes of the first alternative that requires any.
//
// Scopes count for oauth2 and openIdConnect schemes and, since OAS 3.1
// allows "role names" on other schemes (e.g. an http bearer requirement),
// for any scheme of a 3.1 document. A requirement naming an undeclared
// scheme is kept, with a warning.
func (t *toolBuilder) security(op *openapi3.Operation) ([]catalog.SecurityRequirement, []string) {
	reqs := t.cv.doc.Security
	explicit := t.cv.doc.Security != nil
	if op.Security != nil {
		reqs, explicit = *op.Security, true
	}
	if !explicit {
		return nil, nil
	}
	var schemes openapi3.SecuritySchemes
	if t.cv.doc.Components != nil {
		schemes = t.cv.doc.Components.SecuritySchemes
	}
	is31 := t.cv.doc.IsOpenAPI31OrLater()

	out := make([]catalog.SecurityRequirement, 0, len(reqs))
	var scopes []string
	for _, req := range reqs {
		r := catalog.SecurityRequirement{Schemes: make(map[string][]string, len(req))}
		var alt []string
		for _, name := range sortedKeysOf(req) {
			sc := append([]string{}, req[name]...)
			r.Schemes[name] = sc
			ref := schemes[name]
			if ref == nil || ref.Value == nil {
				t.warnOnce("security scheme " + strconv.Quote(name) + " is not declared")
				alt = append(alt, sc...)
				continue
			}
			switch ref.Value.Type {
			case "oauth2", "openIdConnect":
				alt = append(alt, sc...)
			default:
				if is31 {
					alt = append(alt, sc...)
				}
			}
		}
		out = append(out, r)
		if scopes == nil && len(alt) > 0 {
			scopes = uniqueSorted(alt)
		}
	}
	return out, scopes
}

func uniqueSorted(in []string) []string {
	sort.Strings(in)
	out := in[:0]
	for i, s := range in {
		if i == 0 || s != in[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// securitySchemes copies components.securitySchemes into the catalog, in
// canonical spelling: the type as OpenAPI spells it (specs in the wild write
// "apikey" or "HTTP"), and the case-insensitive http scheme and apiKey
// location in lower case. A scheme that cannot be used as declared is kept,
// with a warning.
func (cv *converter) securitySchemes() map[string]catalog.SecurityScheme {
	if cv.doc.Components == nil || len(cv.doc.Components.SecuritySchemes) == 0 {
		return nil
	}
	all := cv.doc.Components.SecuritySchemes
	out := make(map[string]catalog.SecurityScheme, len(all))
	for _, name := range sortedKeysOf(all) {
		ref := all[name]
		if ref == nil || ref.Value == nil {
			continue
		}
		v := ref.Value
		s := catalog.SecurityScheme{Name: name, Type: v.Type, BearerFormat: v.BearerFormat}
		for _, canon := range []string{catalog.SchemeAPIKey, catalog.SchemeHTTP, catalog.SchemeOAuth2, catalog.SchemeOpenIDConnect, catalog.SchemeMutualTLS} {
			if strings.EqualFold(v.Type, canon) {
				s.Type = canon
			}
		}
		where := "#/components/securitySchemes/" + name
		switch s.Type {
		case catalog.SchemeAPIKey:
			s.In, s.ParamName = strings.ToLower(v.In), v.Name
			if s.ParamName == "" || (s.In != "header" && s.In != "query" && s.In != "cookie") {
				cv.warnings = append(cv.warnings, catalog.Warning{Where: where,
					Message: "apiKey scheme needs a name and in: header, query or cookie; got name " + strconv.Quote(v.Name) + ", in " + strconv.Quote(v.In)})
			}
		case catalog.SchemeHTTP:
			s.Scheme = strings.ToLower(v.Scheme)
			if s.Scheme == "" {
				cv.warnings = append(cv.warnings, catalog.Warning{Where: where, Message: "http scheme without a scheme (e.g. bearer or basic)"})
			}
		case catalog.SchemeOAuth2, catalog.SchemeOpenIDConnect, catalog.SchemeMutualTLS:
		default:
			cv.warnings = append(cv.warnings, catalog.Warning{Where: where, Message: "unknown security scheme type " + strconv.Quote(v.Type)})
		}
		out[name] = s
	}
	return out
}
