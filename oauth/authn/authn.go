// Package authn defines how the authorization server checks a user's
// credentials, independently of where users are stored (a users file, an
// embedded demo user, later perhaps LDAP or an upstream identity provider).
package authn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Identity is a user who logged in.
type Identity struct {
	// Subject is the stable user id that tokens are issued to. For the users
	// file it is the user name exactly as written there.
	Subject string
	// DisplayName is a human name for pages such as the consent screen; it
	// falls back to Subject when the source has none.
	DisplayName string
	// AllowedScopes lists the scopes this user may ever be granted.
	//
	// Nil means no restriction: every scope the server offers. A non-nil slice
	// is an allow-list; an empty non-nil slice allows nothing. The
	// authorization server intersects requested scopes with this list.
	AllowedScopes []string
	// Upstream is the credential with which tool calls reach the upstream API
	// as this user, when the authenticator obtained one (the upstream-login
	// authenticator does; the users file does not). The authorization server
	// stores it encrypted with the grant and never puts it in a cookie, a
	// page or a log.
	Upstream *UpstreamCredential
}

// UpstreamCredential is a user's own credential for the upstream API, as
// issued by the API's login (or refresh) endpoint.
type UpstreamCredential struct {
	// AccessToken is sent to the upstream API (usually as a bearer token).
	AccessToken string `json:"access_token"`
	// RefreshToken obtains a new AccessToken from the upstream; empty when
	// the upstream issued none.
	RefreshToken string `json:"refresh_token,omitempty"`
	// Expiry is when AccessToken stops working; zero when unknown.
	Expiry time.Time `json:"expiry,omitzero"`
}

// Expired reports whether the access token expires within skew of now. A
// credential without a known expiry never counts as expired.
func (c *UpstreamCredential) Expired(now time.Time, skew time.Duration) bool {
	return !c.Expiry.IsZero() && !now.Add(skew).Before(c.Expiry)
}

// String hides the token values, so a credential printed by mistake (%v,
// a log attribute) leaks nothing.
func (c *UpstreamCredential) String() string {
	if c == nil {
		return "<nil>"
	}
	exp := "unknown expiry"
	if !c.Expiry.IsZero() {
		exp = "expires " + c.Expiry.UTC().Format(time.RFC3339)
	}
	refresh := "no refresh token"
	if c.RefreshToken != "" {
		refresh = "refresh token [redacted]"
	}
	return "upstream credential (access token [redacted], " + refresh + ", " + exp + ")"
}

// GoString hides the token values from %#v as well.
func (c *UpstreamCredential) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with the redacted String.
func (c *UpstreamCredential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ErrInvalidCredentials is returned (possibly wrapped) when the user name is
// unknown or the password does not match. Implementations must not reveal
// which of the two was wrong.
var ErrInvalidCredentials = errors.New("wrong username or password")

// ErrUnavailable wraps failures of the backing user source, e.g. a users file
// that became unreadable or invalid. The login page shows it as "login is
// unavailable"; the wrapped detail belongs in the server log only.
var ErrUnavailable = errors.New("login is unavailable")

// ErrUpstreamUnavailable wraps ErrUnavailable for an authenticator that
// delegates to the upstream API's own login: the login page then says that
// the API's login is unavailable rather than that sign-in is broken.
var ErrUpstreamUnavailable = fmt.Errorf("%w: the API's login is unavailable", ErrUnavailable)

// Authenticator checks a user name and password.
//
// Authenticate returns the user's Identity, or an error that wraps
// ErrInvalidCredentials or ErrUnavailable (use errors.Is), or ctx.Err().
// Implementations must be safe for concurrent use and should take about the
// same time whether or not the user exists, so timing does not reveal
// user names.
type Authenticator interface {
	Authenticate(ctx context.Context, username, password string) (*Identity, error)
}

// ErrUnknownUser is returned by Directory.Lookup for an account that no
// longer exists.
var ErrUnknownUser = errors.New("the account no longer exists")

// Directory is implemented by authenticators that can look a user up
// without a password (the users file). The authorization server uses it on
// every token use, so a removed user loses access at once and narrowed
// scopes apply to tokens already issued.
type Directory interface {
	// Lookup returns the user's current identity, ErrUnknownUser, or an
	// error wrapping ErrUnavailable.
	Lookup(ctx context.Context, subject string) (*Identity, error)
}
