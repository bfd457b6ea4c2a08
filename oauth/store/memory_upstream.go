package store

import (
	"context"
	"fmt"
	"time"
)

// --- encrypted upstream credentials ---

// SaveUpstreamCredential implements Store.
func (m *Memory) SaveUpstreamCredential(_ context.Context, grantID string, ciphertext []byte, expiresAt time.Time) error {
	if grantID == "" {
		return fmt.Errorf("save upstream credential: empty grant id")
	}
	if len(ciphertext) == 0 {
		return fmt.Errorf("save upstream credential of grant %s: empty ciphertext", grantID)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(m.now())
	m.upstream[grantID] = &blob{data: cloneBytes(ciphertext), exp: expiresAt}
	return nil
}

// GetUpstreamCredential implements Store.
func (m *Memory) GetUpstreamCredential(_ context.Context, grantID string) ([]byte, error) {
	data, ok := m.liveBlob(m.upstream, grantID)
	if !ok {
		return nil, fmt.Errorf("upstream credential of grant %s: %w", grantID, ErrNotFound)
	}
	return cloneBytes(data), nil
}

// DeleteUpstreamCredential implements Store.
func (m *Memory) DeleteUpstreamCredential(_ context.Context, grantID string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.upstream, grantID)
	return nil
}
