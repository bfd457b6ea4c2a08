package oauth

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"
)

// protectedResource is one MCP endpoint (one API) the server guards.
type protectedResource struct {
	path     string                    // e.g. "/mcp/tasks"
	url      string                    // issuer+path: resource identifier and token audience
	name     string                    // consent page and PRM resource_name
	scopes   func() []string           // the API's scopes; offline_access is dropped
	describe func(scope string) string // consent page text of a scope; may be nil
}

// metadataURL is where the resource's PRM document lives (RFC 9728 §3.1:
// the well-known segment goes between the origin and the path).
func (r *protectedResource) metadataURL(issuer string) string {
	return issuer + "/.well-known/oauth-protected-resource" + r.path
}

// apiScopes returns the resource's scopes without offline_access, de-duplicated.
func (r *protectedResource) apiScopes() []string { return appendScopes(nil, r.scopes()) }

// appendScopes adds the non-empty scopes of add that dst lacks, except
// offline_access.
func appendScopes(dst, add []string) []string {
	for _, sc := range add {
		if sc != "" && sc != offlineAccess && !slices.Contains(dst, sc) {
			dst = append(dst, sc)
		}
	}
	return dst
}

// newResources builds the protected resources of a validated, defaulted
// config: Resources, or else the one made of MCPPath and ScopesSupported.
func newResources(cfg Config, issuer string) []*protectedResource {
	if len(cfg.Resources) == 0 {
		return []*protectedResource{{path: cfg.MCPPath, url: issuer + cfg.MCPPath, name: cfg.ProductName,
			scopes: cfg.ScopesSupported, describe: cfg.DescribeScope}}
	}
	out := make([]*protectedResource, 0, len(cfg.Resources))
	for _, rc := range cfg.Resources {
		r := &protectedResource{path: rc.Path, url: issuer + rc.Path, name: rc.Name, scopes: rc.Scopes, describe: rc.DescribeScope}
		if r.name == "" {
			r.name = cfg.ProductName
		}
		if r.describe == nil {
			r.describe = cfg.DescribeScope
		}
		out = append(out, r)
	}
	return out
}

// mcpPathRE is what a protected resource path may look like: segments of
// unreserved characters. The path ends up in ServeMux patterns (where
// braces are wildcards) and in quoted WWW-Authenticate parameters.
var mcpPathRE = regexp.MustCompile(`^(/[A-Za-z0-9._~-]+)+$`)

// validMCPPath checks the path of a protected resource; field names it in
// errors.
func validMCPPath(field, p string) error {
	switch {
	case !strings.HasPrefix(p, "/") || len(p) < 2 || strings.HasSuffix(p, "/"):
		return fmt.Errorf("oauth: %s %q must start with / and not end with /", field, p)
	case !mcpPathRE.MatchString(p) || path.Clean(p) != p:
		return fmt.Errorf("oauth: %s %q must be a plain path (letters, digits, - . _ ~ between slashes)", field, p)
	}
	for _, reserved := range []string{"/authorize", "/token", "/register", "/revoke", "/login", "/consent", "/static", "/.well-known"} {
		if p == reserved || strings.HasPrefix(p, reserved+"/") {
			return fmt.Errorf("oauth: %s %q collides with the authorization server's %s", field, p, reserved)
		}
	}
	return nil
}

// protected returns the server's resources, the default one first.
func (s *Server) protected() []*protectedResource {
	if len(s.resources) == 0 {
		// Only a Server built without New lacks them (unit tests of the
		// URI helpers); MCPPath and the resource URL describe it.
		return []*protectedResource{{path: s.cfg.MCPPath, url: s.resource, name: s.cfg.ProductName,
			scopes: s.cfg.ScopesSupported, describe: s.cfg.DescribeScope}}
	}
	return s.resources
}

// multiResource reports whether the server hosts several APIs; then every
// authorization must name one, and the bare issuer is no resource.
func (s *Server) multiResource() bool { return len(s.resources) > 1 }

// defaultResource is the first (or only) resource.
func (s *Server) defaultResource() *protectedResource { return s.protected()[0] }

// resourceByPath returns the resource served at path.
func (s *Server) resourceByPath(path string) (*protectedResource, bool) {
	for _, r := range s.protected() {
		if r.path == path {
			return r, true
		}
	}
	return nil, false
}

// mustResource returns the resource served at path and panics when there is
// none: the caller wired a path the Config does not list.
func (s *Server) mustResource(path string) *protectedResource {
	r, ok := s.resourceByPath(path)
	if !ok {
		panic(fmt.Sprintf("oauth: no protected resource at path %q (configured: %s)", path, strings.Join(s.resourcePaths(), ", ")))
	}
	return r
}

func (s *Server) resourcePaths() []string {
	var out []string
	for _, r := range s.protected() {
		out = append(out, r.path)
	}
	return out
}

// resourceURLs lists the resource identifiers, default first.
func (s *Server) resourceURLs() []string {
	var out []string
	for _, r := range s.protected() {
		out = append(out, r.url)
	}
	return out
}

// resourceByURL returns the resource whose identifier is u.
func (s *Server) resourceByURL(u string) (*protectedResource, bool) {
	for _, r := range s.protected() {
		if r.url == u {
			return r, true
		}
	}
	return nil, false
}

// clientAudience is the audience every client may obtain (fosite re-checks
// a grant's audience against it on refresh): every resource, and the issuer
// where it is an alias of the single resource.
func (s *Server) clientAudience() []string {
	aud := s.resourceURLs()
	if !s.multiResource() {
		aud = append(aud, s.issuer)
	}
	return aud
}

// audienceAccepted reports whether a token with audience aud may be used at
// r: it must name r — or, with a single resource, the issuer (clients that
// send the origin as resource).
func (s *Server) audienceAccepted(aud []string, r *protectedResource) bool {
	return slices.Contains(aud, r.url) || (!s.multiResource() && slices.Contains(aud, s.issuer))
}

// targetResource picks the resource the resource parameters (RFC 8707) of
// an authorization request name and returns it with the audience to bind.
// With a single resource none means that one and the issuer is an alias;
// with several exactly one of them must be named.
func (s *Server) targetResource(values []string) (*protectedResource, []string, error) {
	if !s.multiResource() {
		def := s.defaultResource()
		if len(values) == 0 {
			return def, []string{def.url}, nil
		}
		var aud []string
		for _, raw := range values {
			a, ok := s.canonicalResource(raw)
			if !ok {
				return nil, nil, invalidTarget(fmt.Sprintf("This server only issues tokens for %s.", def.url))
			}
			if !slices.Contains(aud, a) {
				aud = append(aud, a)
			}
		}
		return def, aud, nil
	}
	choices := strings.Join(s.resourceURLs(), ", ")
	if len(values) == 0 {
		return nil, nil, invalidTarget("This server hosts several APIs; the client must send resource=<one of " + choices + ">.")
	}
	var target *protectedResource
	for _, raw := range values {
		a, _ := s.canonicalResource(raw)
		r, ok := s.resourceByURL(a)
		switch {
		case !ok:
			return nil, nil, invalidTarget(fmt.Sprintf("The resource %q is not one of this server's APIs; send resource=<one of %s>.", raw, choices))
		case target != nil && r != target:
			return nil, nil, invalidTarget("Request access to one API per authorization (resource=<one of " + choices + ">).")
		}
		target = r
	}
	return target, []string{target.url}, nil
}

// consentClientKey is the client ID remembered consents are stored under.
// With several APIs consent is per API: the key is "<resource URL> <client
// ID>" (a resource URL holds no space), so approving one API's scopes never
// approves another's same-named scopes.
func (s *Server) consentClientKey(clientID string, r *protectedResource) string {
	if !s.multiResource() {
		return clientID
	}
	return r.url + " " + clientID
}
