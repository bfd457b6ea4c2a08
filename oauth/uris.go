package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

const maxURILength = 2000

// validRedirectURI enforces the MCP rule for redirect URIs: https, or http on
// a loopback host; absolute, without fragment or user info.
func validRedirectURI(raw string) error {
	if raw == "" || len(raw) > maxURILength {
		return fmt.Errorf("redirect URI must be 1..%d characters", maxURILength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("redirect URI %q: %w", raw, err)
	}
	switch {
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("redirect URI %q must not contain a fragment", raw)
	case u.User != nil:
		return fmt.Errorf("redirect URI %q must not contain user info", raw)
	case strings.ContainsFunc(u.Host, func(r rune) bool { return r < 0x21 || r > 0x7e }):
		// The consent page names this host as where the user is sent; a
		// look-alike (Cyrillic "а") or bidi-reordered Unicode host would
		// pass for another site there. Punycode (xn--) shows what it is.
		return fmt.Errorf("redirect URI %q: write the host name in ASCII (punycode xn--... for international names)", raw)
	case u.Scheme == "https" && u.Host != "":
		return nil
	case u.Scheme == "http" && u.Host != "" && isLoopbackHost(u.Hostname()):
		return nil
	}
	return fmt.Errorf("redirect URI %q must use https, or http on localhost, 127.0.0.1 or [::1]", raw)
}

// matchRedirectURI reports whether requested is one of registered, either
// exactly or — for http loopback URIs — ignoring the port (RFC 8252 §7.3;
// fosite does this only for IP literals, not for "localhost").
func matchRedirectURI(requested string, registered []string) bool {
	for _, r := range registered {
		if r == requested {
			return true
		}
	}
	req, err := url.Parse(requested)
	if err != nil || req.Scheme != "http" || req.User != nil || req.Fragment != "" || !isLoopbackHost(req.Hostname()) {
		return false
	}
	for _, r := range registered {
		reg, err := url.Parse(r)
		if err != nil || reg.Scheme != "http" {
			continue
		}
		if strings.EqualFold(reg.Hostname(), req.Hostname()) && reg.EscapedPath() == req.EscapedPath() &&
			reg.RawQuery == req.RawQuery {
			return true
		}
	}
	return false
}

// errInvalidTarget is RFC 8707's error for a resource the server does not serve.
var errInvalidTarget = errors.New("invalid_target")

// canonicalResource maps a client's `resource` parameter onto the audience
// value it names: a protected resource's URL or — with a single resource —
// the issuer. Scheme and host compare case-insensitively, a default port and
// one trailing slash are ignored.
func (s *Server) canonicalResource(raw string) (string, bool) {
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", false
	}
	origin, err := canonicalPublicURL(u.Scheme+"://"+u.Host, true)
	if err != nil || origin != s.issuer {
		return "", false
	}
	path := strings.TrimSuffix(u.EscapedPath(), "/")
	if path == "" {
		if s.multiResource() {
			return "", false
		}
		return s.issuer, true
	}
	if r, ok := s.resourceByPath(path); ok {
		return r.url, true
	}
	return "", false
}

// redirectHost is host[:port] of a redirect URI for the consent page.
func redirectHost(raw string) (host string, loopback bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return raw, false
	}
	return u.Host, isLoopbackHost(u.Hostname())
}
