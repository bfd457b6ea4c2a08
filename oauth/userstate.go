package oauth

import (
	"context"
	"errors"
	"slices"

	"github.com/specgate/specgate/oauth/authn"
)

// applyUserState applies the user's present state to a verified caller when
// the authenticator can look users up (the users file): a removed user's
// grant ends, and scopes the user may no longer have are dropped from the
// token's. It returns the adjusted caller, or a token error.
func (s *Server) applyUserState(ctx context.Context, p *Principal) (*Principal, *tokenError) {
	dir, ok := s.auth.(authn.Directory)
	if !ok || p.Subject == "" {
		return p, nil
	}
	id, err := dir.Lookup(ctx, p.Subject)
	switch {
	case errors.Is(err, authn.ErrUnknownUser):
		s.revokeGrant(ctx, p.GrantID, p.Subject, "the account no longer exists")
		return nil, &tokenError{description: "The account this token was issued to no longer exists."}
	case err != nil:
		s.log.Error("user lookup failed", "sub", p.Subject, "err", err)
		return nil, &tokenError{unavailable: true, description: "Sign-in is unavailable right now; retry shortly."}
	}
	if id.AllowedScopes != nil {
		kept := p.Scopes[:0:0]
		for _, sc := range p.Scopes {
			if sc == offlineAccess || slices.Contains(id.AllowedScopes, sc) {
				kept = append(kept, sc)
			}
		}
		p.Scopes = kept
	}
	p.AllowedScopes = id.AllowedScopes
	return p, nil
}

// userGone reports whether the subject of a grant was removed from the
// user directory (refresh requests of removed users are refused).
func (s *Server) userGone(ctx context.Context, subject string) bool {
	dir, ok := s.auth.(authn.Directory)
	if !ok || subject == "" {
		return false
	}
	_, err := dir.Lookup(ctx, subject)
	return errors.Is(err, authn.ErrUnknownUser)
}

// revokeGrant ends every token of a grant (through the fosite adapter, so
// the token cache and upstream credential go too); failures are logged.
func (s *Server) revokeGrant(ctx context.Context, grantID, subject, reason string) {
	fs := &fositeStore{Store: s.store, s: s}
	if err := errors.Join(fs.RevokeRefreshToken(ctx, grantID), fs.RevokeAccessToken(ctx, grantID)); err != nil {
		s.log.Error("revoking grant failed", "grant", grantID, "err", err)
		return
	}
	s.log.Info("grant revoked", "grant", grantID, "sub", subject, "reason", reason)
}
