package store

import (
	"context"
	"fmt"
	"time"

	"github.com/ory/fosite"
)

// --- access and refresh tokens ---

// CreateAccessTokenSession implements oauth2.AccessTokenStorage.
func (m *Memory) CreateAccessTokenSession(_ context.Context, sig string, r fosite.Requester) error {
	data, err := EncodeRequest(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	id := r.GetID()
	m.access[sig] = &accessRec{blob: blob{data: data, exp: m.expiry(r, fosite.AccessToken, now)}, requestID: id}
	addIndex(m.grantAccess, id, sig)
	return nil
}

// GetAccessTokenSession implements oauth2.AccessTokenStorage.
func (m *Memory) GetAccessTokenSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	m.mu.Lock()
	var data []byte
	rec, ok := m.access[sig]
	if ok = ok && live(rec.exp, m.now()); ok {
		data = rec.data
	}
	m.mu.Unlock()
	if !ok {
		return nil, fosite.ErrNotFound
	}
	return decodeRequester(data)
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage.
func (m *Memory) DeleteAccessTokenSession(_ context.Context, sig string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec, ok := m.access[sig]; ok {
		m.deleteAccess(sig, rec)
	}
	return nil
}

// CreateRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (m *Memory) CreateRefreshTokenSession(_ context.Context, sig, accessSig string, r fosite.Requester) error {
	data, err := EncodeRequest(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	id := r.GetID()
	m.refresh[sig] = &refreshRec{
		blob:      blob{data: data, exp: m.expiry(r, fosite.RefreshToken, now)},
		requestID: id,
		accessSig: accessSig,
	}
	addIndex(m.grantRefresh, id, sig)
	return nil
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage; a rotated
// token yields the requester and a *RotatedTokenError.
func (m *Memory) GetRefreshTokenSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	m.mu.Lock()
	var data []byte
	var rotatedAt time.Time
	rec, ok := m.refresh[sig]
	if ok = ok && live(rec.exp, m.now()); ok {
		data, rotatedAt = rec.data, rec.rotatedAt
	}
	m.mu.Unlock()
	if !ok {
		return nil, fosite.ErrNotFound
	}
	r, err := decodeRequester(data)
	if err != nil {
		return nil, err
	}
	if !rotatedAt.IsZero() {
		return r, &RotatedTokenError{RotatedAt: rotatedAt}
	}
	return r, nil
}

// DeleteRefreshTokenSession implements oauth2.RefreshTokenStorage.
func (m *Memory) DeleteRefreshTokenSession(_ context.Context, sig string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if rec, ok := m.refresh[sig]; ok {
		m.deleteRefresh(sig, rec)
	}
	return nil
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage: the token becomes
// inactive (its first rotation time is kept) and its access token is deleted.
func (m *Memory) RotateRefreshToken(_ context.Context, requestID, sig string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	rec, ok := m.refresh[sig]
	if !ok || !live(rec.exp, now) {
		return fmt.Errorf("rotate refresh token of grant %s: %w", requestID, fosite.ErrNotFound)
	}
	if rec.rotatedAt.IsZero() {
		rec.rotatedAt = now
	}
	if at, ok := m.access[rec.accessSig]; ok {
		m.deleteAccess(rec.accessSig, at)
	}
	return nil
}

// RevokeRefreshToken implements oauth2.TokenRevocationStorage.
func (m *Memory) RevokeRefreshToken(_ context.Context, requestID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sig := range m.grantRefresh[requestID] {
		if rec, ok := m.refresh[sig]; ok {
			m.deleteRefresh(sig, rec)
		}
	}
	delete(m.grantRefresh, requestID)
	return nil
}

// RevokeAccessToken implements oauth2.TokenRevocationStorage.
func (m *Memory) RevokeAccessToken(_ context.Context, requestID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sig := range m.grantAccess[requestID] {
		if rec, ok := m.access[sig]; ok {
			m.deleteAccess(sig, rec)
		}
	}
	delete(m.grantAccess, requestID)
	return nil
}

func (m *Memory) deleteAccess(sig string, rec *accessRec) {
	delete(m.access, sig)
	removeIndex(m.grantAccess, rec.requestID, sig)
}

func (m *Memory) deleteRefresh(sig string, rec *refreshRec) {
	delete(m.refresh, sig)
	removeIndex(m.grantRefresh, rec.requestID, sig)
}

func addIndex(idx map[string]map[string]struct{}, id, sig string) {
	set, ok := idx[id]
	if !ok {
		set = map[string]struct{}{}
		idx[id] = set
	}
	set[sig] = struct{}{}
}

func removeIndex(idx map[string]map[string]struct{}, id, sig string) {
	if set, ok := idx[id]; ok {
		delete(set, sig)
		if len(set) == 0 {
			delete(idx, id)
		}
	}
}
