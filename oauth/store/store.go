// Package store defines the one persistence interface the authorization server
// needs — everything fosite stores (clients, authorization codes, PKCE
// requests, access and refresh tokens, revocation) plus specgate's own records
// (dynamically registered clients, pending authorizations, remembered
// consent) — together with the JSON codec every implementation uses and an
// in-memory implementation.
//
// Implementations persist token SIGNATURES as keys (fosite passes signatures,
// never raw tokens) and every record expires: tokens and codes with the expiry
// their fosite session carries, the other records with their ExpiresAt.
// The conformance suite in oauth/store/storetest states the exact semantics;
// every implementation must pass it.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/pkce"
)

// ErrNotFound is returned (possibly wrapped) for a record that does not exist
// or has expired. It is fosite's own sentinel so fosite's handlers recognise it.
var ErrNotFound = fosite.ErrNotFound

// ErrClientLimit is returned by CreateClient when the store already holds the
// maximum number of registered clients.
var ErrClientLimit = errors.New("registered client limit reached")

// ErrClientExists is returned by CreateClient when the client ID is taken.
var ErrClientExists = errors.New("client id already registered")

// Store is everything the authorization server persists.
//
// The fosite interfaces have these specgate-specific semantics:
//   - GetAuthorizeCodeSession returns the requester together with
//     fosite.ErrInvalidatedAuthorizeCode for an invalidated code (fosite then
//     revokes every token issued from it).
//   - RotateRefreshToken(requestID, signature) marks that one refresh token
//     inactive (remembering when, the first time only) and deletes the access
//     token issued with it. Other tokens of the grant stay valid.
//   - GetRefreshTokenSession returns, for a rotated token, the requester
//     together with a *RotatedTokenError (which matches fosite.ErrInactiveToken
//     under errors.Is), so the server can apply a grace window.
//   - RevokeRefreshToken / RevokeAccessToken(requestID) delete every refresh /
//     access token of the grant (request ID), rotated ones included.
//
// GetClient serves only clients created with CreateClient; static and
// metadata-document clients are resolved by the server before it asks the store.
type Store interface {
	fosite.ClientManager
	oauth2.AuthorizeCodeStorage
	oauth2.AccessTokenStorage
	oauth2.RefreshTokenStorage
	oauth2.TokenRevocationStorage
	pkce.PKCERequestStorage

	// CreateClient stores a newly registered client. It fails with
	// ErrClientLimit when limit > 0 and the store already holds limit live
	// clients, and with ErrClientExists when the ID is taken.
	CreateClient(ctx context.Context, c *Client, limit int) error
	// GetRegisteredClient returns a copy of a registered client or ErrNotFound.
	GetRegisteredClient(ctx context.Context, id string) (*Client, error)
	// CountClients returns the number of live (unexpired) registered clients.
	CountClients(ctx context.Context) (int, error)
	// TouchClient records that the client obtained tokens at usedAt and moves
	// its expiry to expiresAt unless it is already later. ErrNotFound if absent.
	TouchClient(ctx context.Context, id string, usedAt, expiresAt time.Time) error
	// DeleteClient removes a registered client. ErrNotFound if absent.
	DeleteClient(ctx context.Context, id string) error

	// CreatePendingAuthorization stores an authorization request waiting for
	// login and consent until p.ExpiresAt.
	CreatePendingAuthorization(ctx context.Context, p *PendingAuthorization) error
	// GetPendingAuthorization returns a copy of a pending authorization or ErrNotFound.
	GetPendingAuthorization(ctx context.Context, id string) (*PendingAuthorization, error)
	// DeletePendingAuthorization removes a pending authorization and returns
	// ErrNotFound if it was already gone, so a caller can use it to consume the
	// authorization exactly once.
	DeletePendingAuthorization(ctx context.Context, id string) error

	// GetConsent returns the remembered consent of subject for clientID or ErrNotFound.
	GetConsent(ctx context.Context, subject, clientID string) (*Consent, error)
	// SaveConsent stores (replaces) a remembered consent until c.ExpiresAt.
	SaveConsent(ctx context.Context, c *Consent) error

	// SaveUpstreamCredential stores (replaces) the encrypted upstream
	// credential of a grant (the fosite request ID shared by all its tokens)
	// until expiresAt; a zero expiresAt means it never expires. The store
	// treats ciphertext as opaque bytes (any byte values) and keeps its own
	// copy; an empty grantID or ciphertext is an error.
	SaveUpstreamCredential(ctx context.Context, grantID string, ciphertext []byte, expiresAt time.Time) error
	// GetUpstreamCredential returns a copy of the grant's encrypted upstream
	// credential, or ErrNotFound when there is none or it expired.
	GetUpstreamCredential(ctx context.Context, grantID string) ([]byte, error)
	// DeleteUpstreamCredential removes the grant's upstream credential; it is
	// not an error when there is none.
	DeleteUpstreamCredential(ctx context.Context, grantID string) error
}

// RotatedTokenError is returned by GetRefreshTokenSession for a refresh token
// that was rotated. It matches fosite.ErrInactiveToken under errors.Is.
type RotatedTokenError struct {
	// RotatedAt is when the token was first rotated.
	RotatedAt time.Time
}

// Error implements error.
func (e *RotatedTokenError) Error() string {
	return fmt.Sprintf("refresh token was rotated at %s", e.RotatedAt.UTC().Format(time.RFC3339))
}

// Unwrap makes errors.Is(err, fosite.ErrInactiveToken) true.
func (e *RotatedTokenError) Unwrap() error { return fosite.ErrInactiveToken }

// ClientKind says where a client comes from.
type ClientKind string

// Client kinds.
const (
	// KindRegistered is a client created by dynamic client registration (RFC 7591).
	KindRegistered ClientKind = "registered"
	// KindStatic is a client from the configuration.
	KindStatic ClientKind = "static"
	// KindMetadataDocument is a client whose ID is the URL of its client ID
	// metadata document (CIMD).
	KindMetadataDocument ClientKind = "metadata_document"
)

// Client is an OAuth client. It implements fosite.Client.
//
// Scopes and Audience are not registration data: the server fills them in on
// every lookup from its current configuration.
type Client struct {
	ID string `json:"client_id"`
	// SecretHash is the bcrypt hash of the client secret; empty for public clients.
	SecretHash              []byte   `json:"secret_hash,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	GrantTypes              []string `json:"grant_types,omitempty"`
	ResponseTypes           []string `json:"response_types,omitempty"`
	Scopes                  []string `json:"scopes,omitempty"`
	Audience                []string `json:"audience,omitempty"`
	Public                  bool     `json:"public"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method,omitempty"`
	Name                    string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	// RegisteredScope is the `scope` the client sent at registration (a hint only).
	RegisteredScope string     `json:"scope,omitempty"`
	Kind            ClientKind `json:"kind,omitempty"`
	CreatedAt       time.Time  `json:"created_at"`
	LastUsedAt      time.Time  `json:"last_used_at"`
	// ExpiresAt is when the store may forget the client; zero means never.
	ExpiresAt time.Time `json:"expires_at"`
}

var _ fosite.Client = (*Client)(nil)

// GetID implements fosite.Client.
func (c *Client) GetID() string { return c.ID }

// GetHashedSecret implements fosite.Client.
func (c *Client) GetHashedSecret() []byte { return c.SecretHash }

// GetRedirectURIs implements fosite.Client.
func (c *Client) GetRedirectURIs() []string { return c.RedirectURIs }

// GetGrantTypes implements fosite.Client.
func (c *Client) GetGrantTypes() fosite.Arguments {
	if len(c.GrantTypes) == 0 {
		return fosite.Arguments{"authorization_code"}
	}
	return fosite.Arguments(c.GrantTypes)
}

// GetResponseTypes implements fosite.Client.
func (c *Client) GetResponseTypes() fosite.Arguments {
	if len(c.ResponseTypes) == 0 {
		return fosite.Arguments{"code"}
	}
	return fosite.Arguments(c.ResponseTypes)
}

// GetScopes implements fosite.Client.
func (c *Client) GetScopes() fosite.Arguments { return fosite.Arguments(c.Scopes) }

// IsPublic implements fosite.Client.
func (c *Client) IsPublic() bool { return c.Public }

// GetAudience implements fosite.Client.
func (c *Client) GetAudience() fosite.Arguments { return fosite.Arguments(c.Audience) }

// Clone returns a deep copy.
func (c *Client) Clone() *Client {
	if c == nil {
		return nil
	}
	d := *c
	d.SecretHash = cloneBytes(c.SecretHash)
	d.RedirectURIs = cloneStrings(c.RedirectURIs)
	d.GrantTypes = cloneStrings(c.GrantTypes)
	d.ResponseTypes = cloneStrings(c.ResponseTypes)
	d.Scopes = cloneStrings(c.Scopes)
	d.Audience = cloneStrings(c.Audience)
	return &d
}

// Session is the fosite session persisted with every code and token. It
// implements fosite.Session; stores accept no other session type.
type Session struct {
	// Subject is the user the grant belongs to.
	Subject string `json:"sub"`
	// Username is the user's display name.
	Username string `json:"username,omitempty"`
	// AllowedScopes are the user's own allowed scopes at grant time; nil means
	// every scope (JSON null), an empty slice means none.
	AllowedScopes []string                       `json:"allowed_scopes"`
	ExpiresAt     map[fosite.TokenType]time.Time `json:"expires_at,omitempty"`
}

var _ fosite.Session = (*Session)(nil)

// SetExpiresAt implements fosite.Session.
func (s *Session) SetExpiresAt(key fosite.TokenType, exp time.Time) {
	if s.ExpiresAt == nil {
		s.ExpiresAt = make(map[fosite.TokenType]time.Time)
	}
	s.ExpiresAt[key] = exp
}

// GetExpiresAt implements fosite.Session.
func (s *Session) GetExpiresAt(key fosite.TokenType) time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.ExpiresAt[key]
}

// GetUsername implements fosite.Session.
func (s *Session) GetUsername() string {
	if s == nil {
		return ""
	}
	return s.Username
}

// GetSubject implements fosite.Session.
func (s *Session) GetSubject() string {
	if s == nil {
		return ""
	}
	return s.Subject
}

// Clone implements fosite.Session with a deep copy.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	d := *s
	d.AllowedScopes = cloneStrings(s.AllowedScopes)
	if s.ExpiresAt != nil {
		d.ExpiresAt = make(map[fosite.TokenType]time.Time, len(s.ExpiresAt))
		for k, v := range s.ExpiresAt {
			d.ExpiresAt[k] = v
		}
	}
	return &d
}

// PendingAuthorization is an authorization request that passed validation and
// waits for the user to log in and consent.
type PendingAuthorization struct {
	ID string `json:"id"`
	// Form holds the authorization request parameters (after the server's
	// normalisation); the server replays them through fosite on consent.
	Form map[string][]string `json:"form"`
	// Client is the client as resolved at /authorize (for metadata-document
	// clients this saves a second fetch).
	Client    *Client   `json:"client"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Consent is a user's remembered approval of scopes for a client.
type Consent struct {
	Subject   string    `json:"sub"`
	ClientID  string    `json:"client_id"`
	Scopes    []string  `json:"scopes"`
	GrantedAt time.Time `json:"granted_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string{}, s...)
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}
