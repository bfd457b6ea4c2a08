package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

// --- authorization codes and PKCE ---

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (s *Store) CreateAuthorizeCodeSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.putRequest(ctx, "create authorization code", s.key("code", sig), r, fosite.AuthorizeCode)
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage; an
// invalidated code yields its requester and fosite.ErrInvalidatedAuthorizeCode.
func (s *Store) GetAuthorizeCodeSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	vals, found, err := s.fields(ctx, "get authorization code", s.key("code", sig), "inv")
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fosite.ErrNotFound
	}
	r, err := store.DecodeRequest([]byte(vals[0]))
	if err != nil {
		return nil, err
	}
	if vals[2] != "" {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
// Exactly one of concurrent redemptions of a code, on any replica, succeeds;
// the others get an error matching fosite.ErrInvalidatedAuthorizeCode.
func (s *Store) InvalidateAuthorizeCodeSession(ctx context.Context, sig string) error {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	res, err := invalidateCode.Run(ctx, s.rdb, []string{s.key("code", sig)}, ms(s.now()), hex.EncodeToString(nonce)).Int()
	if err != nil {
		return wrap("invalidate authorization code", err)
	}
	switch res {
	case 0:
		return fosite.ErrNotFound
	case 2:
		return fmt.Errorf("authorization code was already redeemed: %w", fosite.ErrInvalidatedAuthorizeCode)
	}
	return nil
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) CreatePKCERequestSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.putRequest(ctx, "create PKCE request", s.key("pkce", sig), r, fosite.AuthorizeCode)
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) GetPKCERequestSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.getRequest(ctx, "get PKCE request", s.key("pkce", sig))
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage.
func (s *Store) DeletePKCERequestSession(ctx context.Context, sig string) error {
	return wrap("delete PKCE request", s.rdb.Del(ctx, s.key("pkce", sig)).Err())
}

// --- access and refresh tokens ---

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) CreateAccessTokenSession(ctx context.Context, sig string, r fosite.Requester) error {
	return s.putToken(ctx, "create access token", "a", sig, r, fosite.AccessToken)
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage with a single
// round trip (HMGET), which is all a bearer token check costs.
func (s *Store) GetAccessTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	return s.getRequest(ctx, "get access token", s.key("at", sig))
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (s *Store) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	return s.deleteToken(ctx, "delete access token", "a", sig)
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Store) CreateRefreshTokenSession(ctx context.Context, sig, accessSig string, r fosite.Requester) error {
	return s.putToken(ctx, "create refresh token", "r", sig, r, fosite.RefreshToken, "a", accessSig)
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage; a rotated
// token yields its requester and a *store.RotatedTokenError.
func (s *Store) GetRefreshTokenSession(ctx context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	vals, found, err := s.fields(ctx, "get refresh token", s.key("rt", sig), "rot")
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fosite.ErrNotFound
	}
	r, err := store.DecodeRequest([]byte(vals[0]))
	if err != nil {
		return nil, err
	}
	if vals[2] != "" {
		rot, err := strconv.ParseInt(vals[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("refresh token of grant %s: bad rotation time %q", r.GetID(), vals[2])
		}
		return r, &store.RotatedTokenError{RotatedAt: time.UnixMilli(rot)}
	}
	return r, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (s *Store) DeleteRefreshTokenSession(ctx context.Context, sig string) error {
	return s.deleteToken(ctx, "delete refresh token", "r", sig)
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage atomically: the
// token becomes inactive (its first rotation time is kept) and the access
// token issued with it is deleted.
func (s *Store) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	n, err := rotateRefresh.Run(ctx, s.rdb, []string{s.key("rt", sig)}, ms(s.now()), s.prefix, s.channel()).Int()
	if err != nil {
		return wrap("rotate refresh token of grant "+requestID, err)
	}
	if n == 0 {
		return fmt.Errorf("rotate refresh token of grant %s: %w", requestID, fosite.ErrNotFound)
	}
	return nil
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage: every
// refresh token of the grant goes, rotated ones included.
func (s *Store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	return s.revoke(ctx, "revoke refresh tokens of grant "+requestID, "r", requestID)
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage: every access
// token of the grant goes, and other replicas hear of it.
func (s *Store) RevokeAccessToken(ctx context.Context, requestID string) error {
	return s.revoke(ctx, "revoke access tokens of grant "+requestID, "a", requestID)
}

func (s *Store) revoke(ctx context.Context, op, kind, requestID string) error {
	err := revokeGrant.Run(ctx, s.rdb, []string{s.key("grant", requestID)}, s.prefix, kind, s.channel(), requestID).Err()
	return wrap(op, err)
}

// --- helpers ---

// putRequest stores a fosite request as a plain record expiring as type tt.
func (s *Store) putRequest(ctx context.Context, op, key string, r fosite.Requester, tt fosite.TokenType) error {
	data, err := store.EncodeRequest(r)
	if err != nil {
		return err
	}
	return s.putRecord(ctx, op, key, data, s.tokenExpiry(store.RequestExpiry(r, tt), s.now()))
}

// getRequest reads a fosite request record.
func (s *Store) getRequest(ctx context.Context, op, key string) (fosite.Requester, error) {
	vals, found, err := s.fields(ctx, op, key)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fosite.ErrNotFound
	}
	r, err := store.DecodeRequest([]byte(vals[0]))
	if err != nil {
		return nil, err
	}
	return r, nil
}

// putToken stores an access ("a") or refresh ("r") token and indexes it
// under its grant; extra are more hash field/value pairs.
func (s *Store) putToken(ctx context.Context, op, kind, sig string, r fosite.Requester, tt fosite.TokenType, extra ...any) error {
	data, err := store.EncodeRequest(r)
	if err != nil {
		return err
	}
	now := s.now()
	exp := s.tokenExpiry(store.RequestExpiry(r, tt), now)
	ttl, ok := s.ttl(exp, now)
	if !ok {
		return nil // born expired: invisible anyway
	}
	id := r.GetID()
	args := append([]any{ttl, kind + ":" + sig, "d", data, "e", ms(exp), "g", id}, extra...)
	err = putToken.Run(ctx, s.rdb, []string{s.key(tokenKind(kind), sig), s.key("grant", id)}, args...).Err()
	return wrap(op, err)
}

func (s *Store) deleteToken(ctx context.Context, op, kind, sig string) error {
	err := deleteToken.Run(ctx, s.rdb, []string{s.key(tokenKind(kind), sig)}, s.prefix, kind, s.channel(), sig).Err()
	return wrap(op, err)
}

// tokenKind maps a grant set member kind to its key kind.
func tokenKind(kind string) string {
	if kind == "a" {
		return "at"
	}
	return "rt"
}
