package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
)

// Upstream identity: an authenticator such as upstream-login returns the
// user's own credential for the upstream API with the Identity. The server
// keeps it, encrypted with Config.Vault, in two places:
//
//   - from login until consent, keyed by the pending authorization
//     ("login:<id>"), so it never travels in the session cookie; an
//     authorization whose browser session has no such credential shows the
//     login page again, so every grant holds its own upstream login;
//   - from code issue on, keyed by the grant ID (the fosite request ID every
//     token of the grant shares, which the MCP refresh keeps), so it
//     survives MCP token refreshes. Its store expiry follows the grant's
//     refresh token, and fosite ending the grant (revocation, token reuse)
//     deletes it.
//
// The associated data of each ciphertext names its record, so a ciphertext
// copied to another grant does not decrypt.

// UpstreamRefresher renews an expired upstream credential (the
// upstream-login authenticator implements it). An error wrapping
// authn.ErrInvalidCredentials means the credential can never be renewed and
// the user must log in again; any other error is treated as temporary.
type UpstreamRefresher interface {
	Refresh(ctx context.Context, cred *authn.UpstreamCredential) (*authn.UpstreamCredential, error)
}

// ErrUpstreamLoginRequired is returned by UpstreamCredential when the grant's
// upstream login has ended for good (the API refused to renew it, or there
// is none). The grant's tokens have been revoked, so the MCP client's next
// request gets 401 and its refresh gets invalid_grant: it must authorize
// again. The message is written for the user of a tool call.
var ErrUpstreamLoginRequired = errors.New("your login to the API has ended; sign in again by re-authenticating (reconnecting) this MCP server in your client")

// ErrUpstreamUnavailable is returned by UpstreamCredential when an expired
// upstream credential could not be renewed for a reason that may pass (the
// API's refresh endpoint is down); the grant stays valid.
var ErrUpstreamUnavailable = errors.New("the API's login service is unavailable right now; try again in a moment")

// upstreamSkew renews upstream tokens this long before they expire, so a
// token does not expire between the check and the upstream's own check.
const upstreamSkew = 30 * time.Second

// errUnreadableUpstream marks a stored credential that exists but cannot be
// decrypted or decoded (its vault key was removed, or it was altered).
var errUnreadableUpstream = errors.New("upstream credential unreadable")

// loginHoldPrefix keys a credential held between login and consent; grant
// IDs are UUIDs, so the namespaces cannot collide.
const loginHoldPrefix = "login:"

// sealedUpstream is the plaintext of a stored upstream credential.
type sealedUpstream struct {
	// Subject is the user the credential belongs to, checked on every use.
	Subject string                   `json:"sub"`
	Cred    authn.UpstreamCredential `json:"cred"`
	// GrantExpiry is the expiry of the grant's newest refresh token: the
	// store expiry to keep when the credential is re-saved.
	GrantExpiry time.Time `json:"grant_exp,omitzero"`
}

func grantAD(grantID string) []byte {
	return []byte("specgate upstream credential\x00grant\x00" + grantID)
}
func loginAD(pendingID string) []byte {
	return []byte("specgate upstream credential\x00login\x00" + pendingID)
}
func errNoVault() error            { return errors.New("oauth: upstream credentials need Config.Vault") }
func (s *Server) upstreamOn() bool { return s.cfg.Vault != nil }

func (s *Server) seal(v *sealedUpstream, ad []byte) ([]byte, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode upstream credential: %w", err)
	}
	return s.cfg.Vault.Seal(plain, ad)
}

// loadUpstream reads and decrypts a stored credential; store.ErrNotFound when absent.
func (s *Server) loadUpstream(ctx context.Context, key string, ad []byte) (*sealedUpstream, []byte, error) {
	sealed, err := s.store.GetUpstreamCredential(ctx, key)
	if err != nil {
		return nil, nil, err
	}
	plain, err := s.cfg.Vault.Open(sealed, ad)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", errUnreadableUpstream, err)
	}
	var v sealedUpstream
	if err := json.Unmarshal(plain, &v); err != nil {
		return nil, nil, fmt.Errorf("%w: decode: %w", errUnreadableUpstream, err)
	}
	return &v, sealed, nil
}

// holdUpstreamLogin keeps a login's upstream credential for the pending
// authorization until consent turns it into a grant.
func (s *Server) holdUpstreamLogin(ctx context.Context, p *store.PendingAuthorization, id *authn.Identity) error {
	if !s.upstreamOn() {
		return errNoVault()
	}
	if id.Upstream.AccessToken == "" {
		return errors.New("the authenticator returned an empty upstream access token")
	}
	sealed, err := s.seal(&sealedUpstream{Subject: id.Subject, Cred: *id.Upstream}, loginAD(p.ID))
	if err != nil {
		return err
	}
	return s.store.SaveUpstreamCredential(ctx, loginHoldPrefix+p.ID, sealed, p.ExpiresAt)
}

// loginCovers reports whether the signed-in user may go on to consent for
// pending authorization pendingID: always for logins without an upstream
// credential, else only when this authorization holds the user's own.
func (s *Server) loginCovers(ctx context.Context, u *loginState, pendingID string) bool {
	if !u.Upstream {
		return true
	}
	if !s.upstreamOn() {
		return false
	}
	v, _, err := s.loadUpstream(ctx, loginHoldPrefix+pendingID, loginAD(pendingID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("load upstream login failed; asking to sign in again", "request_id", pendingID, "err", err)
	}
	return err == nil && v.Subject == u.Subject
}

// bindUpstreamLogin moves the credential held for pendingID to the grant.
// Its store expiry is the authorization code's (plus a margin); the code
// exchange extends it to the refresh token's (CreateRefreshTokenSession).
func (s *Server) bindUpstreamLogin(ctx context.Context, pendingID, grantID, subject string) error {
	if !s.upstreamOn() {
		return errNoVault()
	}
	key := loginHoldPrefix + pendingID
	v, _, err := s.loadUpstream(ctx, key, loginAD(pendingID))
	if err != nil {
		return fmt.Errorf("load upstream login of request %s: %w", pendingID, err)
	}
	if v.Subject != subject {
		return fmt.Errorf("upstream login of request %s belongs to another user", pendingID)
	}
	v.GrantExpiry = s.now().Add(s.cfg.Lifetimes.AuthorizeCode + time.Minute)
	sealed, err := s.seal(v, grantAD(grantID))
	if err != nil {
		return err
	}
	if err := s.store.SaveUpstreamCredential(ctx, grantID, sealed, v.GrantExpiry); err != nil {
		return fmt.Errorf("save upstream credential of grant %s: %w", grantID, err)
	}
	if err := s.store.DeleteUpstreamCredential(ctx, key); err != nil {
		s.log.Warn("delete held upstream login failed", "request_id", pendingID, "err", err)
	}
	return nil
}
