// Package upstreamlogin is the "upstream-login" authenticator: the login
// page's user name and password go to the upstream API's own login endpoint,
// so specgate needs no second set of users. The token the API answers with
// becomes the user's upstream credential (authn.Identity.Upstream), which
// the authorization server keeps encrypted with the grant and tool calls
// present to the API; Refresh renews it at the API's refresh endpoint.
//
// Only loopback or operator-configured URLs are contacted: the API base URL
// comes from the loaded spec (Config.BaseURL) and the paths from the
// configuration, never from the user.
package upstreamlogin

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Config configures an Authenticator. Zero values get the defaults named on
// each field; New validates the result and reports every problem at once.
type Config struct {
	// BaseURL returns the upstream API's base URL at call time (the catalog's
	// server URL, which may change when the spec is reloaded). Required
	// unless Path and RefreshPath are absolute URLs.
	BaseURL func() string

	// Method of the login request: POST (default), PUT or PATCH.
	Method string
	// Path of the login endpoint relative to the API base, e.g. "/auth/login"
	// (joined with exactly one slash), or an absolute http(s) URL. Required.
	Path string
	// Body encodes the login request: "json" (default) or "form".
	Body string
	// UsernameField and PasswordField name the credentials in the body;
	// defaults "username" and "password".
	UsernameField, PasswordField string
	// ExtraFields are sent as string fields with every login request, e.g.
	// {"grant_type": "password", "client_id": "specgate"}.
	ExtraFields map[string]string
	// InvalidCredentialStatuses are the login answers that mean "wrong
	// username or password"; default 401 and 403. Add 400 for APIs that
	// answer like an OAuth password grant (400 invalid_grant). Any other
	// non-2xx answer means the API's login is unavailable.
	InvalidCredentialStatuses []int

	// TokenPointer is the RFC 6901 JSON pointer of the upstream access token
	// in a successful login response; default "/access_token". It must hold
	// a non-empty string.
	TokenPointer string
	// ExpiresInPointer is the pointer of the token's lifetime in seconds (a
	// number or numeric string); default "/expires_in". When the response
	// has no value there, a JWT access token's exp claim is used, else the
	// expiry is unknown and the token is used until the API rejects it.
	ExpiresInPointer string
	// RefreshTokenPointer is the pointer of the upstream refresh token;
	// default "/refresh_token". A response without one has no refresh token.
	RefreshTokenPointer string
	// SubjectPointer is the pointer of a stable user id (string or number)
	// that becomes the token subject; empty uses the user name as entered.
	SubjectPointer string
	// ScopesPointer is the pointer of the user's roles or scopes (a list of
	// strings, or one space-separated string); empty means the response
	// carries none and every user gets DefaultScopes. A response without a
	// value there also gets DefaultScopes.
	ScopesPointer string
	// ScopeMap maps each upstream value found at ScopesPointer to the MCP
	// scopes it allows, e.g. {"viewer": ["tasks:read"]}. Values missing from
	// a non-empty map allow nothing; an empty map uses the values verbatim.
	ScopeMap map[string][]string
	// DefaultScopes are the allowed scopes of users whose scopes are not
	// read from the response; nil allows every scope the server offers.
	DefaultScopes []string

	// RefreshPath is the API's token refresh endpoint, relative to the API
	// base or absolute; empty means upstream tokens cannot be refreshed and
	// the user must log in again when one expires.
	RefreshPath string
	// RefreshMethod defaults to POST; RefreshBody defaults to Body.
	RefreshMethod, RefreshBody string
	// RefreshTokenField names the refresh token in the refresh request body;
	// default "refresh_token".
	RefreshTokenField string
	// RefreshExtraFields are sent with every refresh request, e.g.
	// {"grant_type": "refresh_token"}.
	RefreshExtraFields map[string]string
	// RefreshTokenPointer, RefreshExpiresInPointer and
	// RefreshRefreshTokenPointer locate the new values in a refresh response;
	// they default to TokenPointer, ExpiresInPointer and RefreshTokenPointer.
	// A refresh response without a new refresh token keeps the old one.
	RefreshResponseTokenPointer, RefreshResponseExpiresInPointer, RefreshResponseRefreshTokenPointer string

	// HTTPClient sends the requests; nil uses a plain client. Redirects are
	// never followed (a login endpoint that redirects is misconfigured).
	HTTPClient *http.Client
	// Timeout bounds one login or refresh request; default 10s.
	Timeout time.Duration
	// MaxResponseBytes caps a response body; default 1 MiB.
	MaxResponseBytes int64
	// Logger receives failures (status, URL, duration; never a body value,
	// password or token); nil discards them.
	Logger *slog.Logger
	// Now is the clock that turns expires_in into an expiry; default time.Now.
	Now func() time.Time
}

func (c Config) withDefaults() Config {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&c.Method, http.MethodPost)
	c.Method = strings.ToUpper(c.Method)
	def(&c.Body, "json")
	def(&c.UsernameField, "username")
	def(&c.PasswordField, "password")
	if len(c.InvalidCredentialStatuses) == 0 {
		c.InvalidCredentialStatuses = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	def(&c.TokenPointer, "/access_token")
	def(&c.ExpiresInPointer, "/expires_in")
	def(&c.RefreshTokenPointer, "/refresh_token")
	def(&c.RefreshMethod, http.MethodPost)
	c.RefreshMethod = strings.ToUpper(c.RefreshMethod)
	def(&c.RefreshBody, c.Body)
	def(&c.RefreshTokenField, "refresh_token")
	def(&c.RefreshResponseTokenPointer, c.TokenPointer)
	def(&c.RefreshResponseExpiresInPointer, c.ExpiresInPointer)
	def(&c.RefreshResponseRefreshTokenPointer, c.RefreshTokenPointer)
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = 1 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("upstream login: "+format, args...))
	}
	checkEndpoint := func(name, method, path, body string) {
		switch method {
		case http.MethodPost, http.MethodPut, http.MethodPatch:
		default:
			bad("%s method %q must be POST, PUT or PATCH (the credentials travel in the body)", name, method)
		}
		if body != "json" && body != "form" {
			bad("%s body %q must be json or form", name, body)
		}
		abs, err := absoluteURL(path)
		switch {
		case err != nil:
			bad("%s path %q: %v", name, path, err)
		case !abs && c.BaseURL == nil:
			bad("%s path %q is relative but no API base URL is available", name, path)
		}
	}
	if c.Path == "" {
		bad("the login path is required (e.g. /auth/login)")
	} else {
		checkEndpoint("login", c.Method, c.Path, c.Body)
	}
	if c.RefreshPath != "" {
		checkEndpoint("refresh", c.RefreshMethod, c.RefreshPath, c.RefreshBody)
	}
	if c.UsernameField == c.PasswordField {
		bad("username and password fields must differ (both %q)", c.UsernameField)
	}
	for k := range c.ExtraFields {
		if k == "" || k == c.UsernameField || k == c.PasswordField {
			bad("login extra field %q is empty or collides with a credential field", k)
		}
	}
	for k := range c.RefreshExtraFields {
		if k == "" || k == c.RefreshTokenField {
			bad("refresh extra field %q is empty or collides with the refresh token field", k)
		}
	}
	for _, s := range c.InvalidCredentialStatuses {
		if s < 400 || s > 499 {
			bad("invalid-credential status %d is not a 4xx status", s)
		}
	}
	for _, p := range []struct{ name, value string }{
		{"token", c.TokenPointer}, {"expires_in", c.ExpiresInPointer}, {"refresh token", c.RefreshTokenPointer},
		{"subject", c.SubjectPointer}, {"scopes", c.ScopesPointer}, {"refresh response token", c.RefreshResponseTokenPointer},
		{"refresh response expires_in", c.RefreshResponseExpiresInPointer},
		{"refresh response refresh token", c.RefreshResponseRefreshTokenPointer},
	} {
		if p.value != "" {
			if _, err := parsePointer(p.value); err != nil {
				bad("%s pointer: %v", p.name, err)
			}
		}
	}
	if c.Timeout < 0 || c.MaxResponseBytes < 1024 {
		bad("timeout %v must not be negative and max response bytes %d at least 1024", c.Timeout, c.MaxResponseBytes)
	}
	return errors.Join(errs...)
}

// absoluteURL reports whether p is an absolute http(s) URL (else it must be a
// plain path).
func absoluteURL(p string) (bool, error) {
	u, err := url.Parse(p)
	if err != nil {
		return false, err
	}
	if u.Scheme == "" && u.Host == "" {
		if u.RawQuery != "" || u.Fragment != "" {
			return false, errors.New("must be a path without query or fragment")
		}
		return false, nil
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return false, errors.New("must be a path or an http(s) URL without user info or fragment")
	}
	return true, nil
}

// endpointURL resolves path against the API base known at call time.
func (c Config) endpointURL(path string) (string, error) {
	if abs, _ := absoluteURL(path); abs {
		return path, nil
	}
	base := strings.TrimSpace(c.BaseURL())
	if base == "" {
		return "", errors.New("the API base URL is not known yet (the spec has not loaded)")
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("the API base URL %q is not an absolute http(s) URL", base)
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/") + "/" + strings.TrimLeft(path, "/"), nil
}
