// Package authn defines how the authorization server checks a user's
// credentials, independently of where users are stored (a users file, an
// embedded demo user, later perhaps LDAP or an upstream identity provider).
package authn

import (
	"context"
	"errors"
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
}

// ErrInvalidCredentials is returned (possibly wrapped) when the user name is
// unknown or the password does not match. Implementations must not reveal
// which of the two was wrong.
var ErrInvalidCredentials = errors.New("wrong username or password")

// ErrUnavailable wraps failures of the backing user source, e.g. a users file
// that became unreadable or invalid. The login page shows it as "login is
// unavailable"; the wrapped detail belongs in the server log only.
var ErrUnavailable = errors.New("login is unavailable")

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
