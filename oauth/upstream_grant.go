package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
)

// UpstreamCredential returns the upstream credential of the caller's grant,
// renewing it at the API (Config.UpstreamRefresher) when it expires within
// 30 seconds. Concurrent calls of one grant renew it once. It fails with
// ErrUpstreamLoginRequired — after revoking the grant's tokens, so the MCP
// client re-authorizes — when the grant has no usable credential or the API
// refused to renew it, and with ErrUpstreamUnavailable when renewal failed
// for a reason that may pass. Other errors are store failures.
//
// The returned credential is the caller's own copy. Never log its values.
func (s *Server) UpstreamCredential(ctx context.Context, p *Principal) (*authn.UpstreamCredential, error) {
	if !s.upstreamOn() {
		return nil, errNoVault()
	}
	if p == nil || p.GrantID == "" {
		return nil, errors.New("oauth: UpstreamCredential needs the principal of a verified access token")
	}
	v, _, err := s.loadGrantUpstream(ctx, p)
	if err != nil {
		return nil, err
	}
	if !v.Cred.Expired(s.now(), upstreamSkew) {
		return &v.Cred, nil
	}
	return s.renewUpstream(ctx, p)
}

// UpstreamAccessToken is UpstreamCredential for the caller in ctx (the
// Principal RequireBearer stored): the upstream access token to send and the
// user it belongs to. It is the credential source of the forwarder.
func (s *Server) UpstreamAccessToken(ctx context.Context) (token, subject string, err error) {
	p, ok := PrincipalFromContext(ctx)
	if !ok {
		return "", "", errors.New("oauth: no authenticated caller in the request context")
	}
	cred, err := s.UpstreamCredential(ctx, p)
	if err != nil {
		return "", p.Subject, err
	}
	return cred.AccessToken, p.Subject, nil
}

// UpstreamCredentialRejected tells the server the API refused accessToken
// (401), e.g. an API that states no expiry revoked or expired it early. If
// it is still the grant's current token, the credential is marked expired
// so the next UpstreamCredential call renews it. It is safe to call
// concurrently and with a stale token.
func (s *Server) UpstreamCredentialRejected(ctx context.Context, p *Principal, accessToken string) error {
	if !s.upstreamOn() || p == nil || p.GrantID == "" {
		return nil
	}
	unlock := s.upstreamLocks.lock(p.GrantID)
	defer unlock()
	v, _, err := s.loadUpstream(ctx, p.GrantID, grantAD(p.GrantID))
	if err != nil && !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errUnreadableUpstream) {
		return fmt.Errorf("oauth: load upstream credential of grant %s: %w", p.GrantID, err)
	}
	if err != nil || v.Subject != p.Subject || v.Cred.AccessToken != accessToken {
		return nil // gone, unreadable, foreign or already renewed: the next use decides
	}
	v.Cred.Expiry = s.now().Add(-time.Second)
	return s.saveGrantUpstream(ctx, p.GrantID, v)
}

// loadGrantUpstream loads the grant's credential, ending the grant when it
// has none that is usable.
func (s *Server) loadGrantUpstream(ctx context.Context, p *Principal) (*sealedUpstream, []byte, error) {
	v, sealed, err := s.loadUpstream(ctx, p.GrantID, grantAD(p.GrantID))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil, s.endGrant(ctx, p, "the grant has no upstream credential")
	case errors.Is(err, errUnreadableUpstream):
		s.log.Error("upstream credential unreadable (was its vault key removed?)", "grant", p.GrantID, "err", err)
		return nil, nil, s.endGrant(ctx, p, "the upstream credential is unreadable")
	case err != nil:
		return nil, nil, fmt.Errorf("oauth: load upstream credential of grant %s: %w", p.GrantID, err)
	case v.Subject != p.Subject:
		s.log.Error("upstream credential belongs to another subject", "grant", p.GrantID, "sub", p.Subject)
		return nil, nil, s.endGrant(ctx, p, "the upstream credential belongs to another user")
	}
	return v, sealed, nil
}

// renewUpstream refreshes the grant's expired credential under the grant's
// lock; whoever waited behind a successful renewal gets its result.
func (s *Server) renewUpstream(ctx context.Context, p *Principal) (*authn.UpstreamCredential, error) {
	unlock := s.upstreamLocks.lock(p.GrantID)
	defer unlock()
	v, sealed, err := s.loadGrantUpstream(ctx, p)
	if err != nil {
		return nil, err
	}
	if !v.Cred.Expired(s.now(), upstreamSkew) {
		return &v.Cred, nil // renewed while we waited
	}
	if s.cfg.UpstreamRefresher == nil {
		return nil, s.endGrant(ctx, p, "the upstream token expired and cannot be renewed")
	}
	next, err := s.cfg.UpstreamRefresher.Refresh(ctx, &v.Cred)
	switch {
	case err == nil && (next == nil || next.AccessToken == ""):
		err = errors.New("the refresher returned no access token")
	case errors.Is(err, authn.ErrInvalidCredentials):
		// Another replica may have renewed it, rotating the refresh token we sent.
		if w, again, lerr := s.loadUpstream(ctx, p.GrantID, grantAD(p.GrantID)); lerr == nil && !bytes.Equal(again, sealed) &&
			w.Subject == p.Subject && !w.Cred.Expired(s.now(), upstreamSkew) {
			return &w.Cred, nil
		}
		s.log.Info("upstream refresh refused", "grant", p.GrantID, "sub", p.Subject, "err", err)
		return nil, s.endGrant(ctx, p, "the API refused to renew the upstream token")
	}
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		s.log.Warn("upstream refresh failed", "grant", p.GrantID, "sub", p.Subject, "err", err)
		return nil, ErrUpstreamUnavailable
	}
	v.Cred = *next
	if err := s.saveGrantUpstream(ctx, p.GrantID, v); err != nil {
		// The renewed token still serves this call; the next expiry will
		// need a new login if the API rotated its refresh token.
		s.log.Error("save renewed upstream credential failed", "grant", p.GrantID, "err", err)
	} else {
		s.log.Info("upstream credential renewed", "grant", p.GrantID, "sub", p.Subject)
	}
	out := *next
	return &out, nil
}

// saveGrantUpstream seals v for the grant with the current vault key.
func (s *Server) saveGrantUpstream(ctx context.Context, grantID string, v *sealedUpstream) error {
	exp := v.GrantExpiry
	if exp.IsZero() {
		exp = s.now().Add(s.cfg.Lifetimes.RefreshToken)
	}
	sealed, err := s.seal(v, grantAD(grantID))
	if err != nil {
		return err
	}
	return s.store.SaveUpstreamCredential(ctx, grantID, sealed, exp)
}

// endGrant revokes every token of the grant and deletes its upstream
// credential, then returns ErrUpstreamLoginRequired (or the store failure).
// It goes through the fosite adapter, as a revocation request does, so every
// hook of a revocation (credential deletion, token cache) applies.
func (s *Server) endGrant(ctx context.Context, p *Principal, reason string) error {
	fs := &fositeStore{Store: s.store, s: s}
	errs := []error{
		fs.RevokeRefreshToken(ctx, p.GrantID),
		fs.RevokeAccessToken(ctx, p.GrantID),
		s.store.DeleteUpstreamCredential(ctx, p.GrantID),
	}
	if err := errors.Join(errs...); err != nil {
		s.log.Error("ending grant after upstream login loss failed", "grant", p.GrantID, "err", err)
		return fmt.Errorf("oauth: end grant %s: %w", p.GrantID, err)
	}
	s.log.Info("upstream login ended; grant revoked", "grant", p.GrantID, "sub", p.Subject, "client_id", p.ClientID, "reason", reason)
	return ErrUpstreamLoginRequired
}

// extendUpstream keeps the grant's credential as long as its newest refresh
// token (and re-seals it with the current vault key). A grant without one
// is left alone.
func (s *Server) extendUpstream(ctx context.Context, grantID, subject string, exp time.Time) {
	unlock := s.upstreamLocks.lock(grantID)
	defer unlock()
	v, _, err := s.loadUpstream(ctx, grantID, grantAD(grantID))
	if errors.Is(err, store.ErrNotFound) {
		return
	}
	if err == nil && v.Subject != subject {
		err = errors.New("credential belongs to another subject")
	}
	if err == nil {
		v.GrantExpiry = exp
		err = s.saveGrantUpstream(ctx, grantID, v)
	}
	if err != nil {
		s.log.Warn("extend upstream credential failed", "grant", grantID, "err", err)
	}
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage; fosite calls
// it whenever a grant ends (revocation, refresh token or code reuse), so the
// grant's upstream credential goes too.
func (f *fositeStore) RevokeRefreshToken(ctx context.Context, requestID string) error {
	err := f.Store.RevokeRefreshToken(ctx, requestID)
	if f.s.upstreamOn() {
		if derr := f.Store.DeleteUpstreamCredential(ctx, requestID); derr != nil {
			f.s.log.Error("delete upstream credential of revoked grant failed", "grant", requestID, "err", derr)
			err = errors.Join(err, derr)
		}
	}
	return err
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage and keeps
// the grant's upstream credential alive as long as the new refresh token.
func (f *fositeStore) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, r fosite.Requester) error {
	if err := f.Store.CreateRefreshTokenSession(ctx, sig, accessSig, r); err != nil {
		return err
	}
	if f.s.upstreamOn() {
		exp := store.RequestExpiry(r, fosite.RefreshToken)
		if exp.IsZero() {
			exp = f.s.now().Add(f.s.cfg.Lifetimes.RefreshToken)
		}
		f.s.extendUpstream(ctx, r.GetID(), r.GetSession().GetSubject(), exp)
	}
	return nil
}

// grantLocks serialises upstream credential updates per grant.
type grantLocks struct {
	mu sync.Mutex
	m  map[string]*grantLock
}

type grantLock struct {
	mu   sync.Mutex
	refs int
}

// lock locks grantID and returns the unlock function.
func (g *grantLocks) lock(grantID string) func() {
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*grantLock{}
	}
	l := g.m[grantID]
	if l == nil {
		l = &grantLock{}
		g.m[grantID] = l
	}
	l.refs++
	g.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		g.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(g.m, grantID)
		}
		g.mu.Unlock()
	}
}
