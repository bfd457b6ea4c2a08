package store

import (
	"context"
	"fmt"
	"time"
)

// liveBlob returns a copy-safe view of a live record's bytes (stored bytes are
// never modified in place, only replaced).
func (m *Memory) liveBlob(mp map[string]*blob, key string) ([]byte, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := mp[key]
	if !ok || !live(b.exp, m.now()) {
		return nil, false
	}
	return b.data, true
}

// --- registered clients ---

// CreateClient implements Store.
func (m *Memory) CreateClient(_ context.Context, c *Client, limit int) error {
	if c == nil || c.ID == "" {
		return fmt.Errorf("create client: empty client id")
	}
	data, err := EncodeJSON(c)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	if old, ok := m.clients[c.ID]; ok && live(old.exp, now) {
		return fmt.Errorf("create client %s: %w", c.ID, ErrClientExists)
	}
	if limit > 0 && m.countClients(now) >= limit {
		return fmt.Errorf("create client %s: %w (%d)", c.ID, ErrClientLimit, limit)
	}
	m.clients[c.ID] = &blob{data: data, exp: c.ExpiresAt}
	return nil
}

// GetRegisteredClient implements Store.
func (m *Memory) GetRegisteredClient(_ context.Context, id string) (*Client, error) {
	data, ok := m.liveBlob(m.clients, id)
	if !ok {
		return nil, fmt.Errorf("client %q: %w", id, ErrNotFound)
	}
	var c Client
	if err := DecodeJSON(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// CountClients implements Store.
func (m *Memory) CountClients(context.Context) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.countClients(m.now()), nil
}

func (m *Memory) countClients(now time.Time) int {
	n := 0
	for _, b := range m.clients {
		if live(b.exp, now) {
			n++
		}
	}
	return n
}

// TouchClient implements Store.
func (m *Memory) TouchClient(_ context.Context, id string, usedAt, expiresAt time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.clients[id]
	if !ok || !live(b.exp, m.now()) {
		return fmt.Errorf("touch client %q: %w", id, ErrNotFound)
	}
	var c Client
	if err := DecodeJSON(b.data, &c); err != nil {
		return err
	}
	c.LastUsedAt = usedAt
	if !c.ExpiresAt.IsZero() && (expiresAt.IsZero() || expiresAt.After(c.ExpiresAt)) {
		c.ExpiresAt = expiresAt
	}
	data, err := EncodeJSON(&c)
	if err != nil {
		return err
	}
	m.clients[id] = &blob{data: data, exp: c.ExpiresAt}
	return nil
}

// DeleteClient implements Store.
func (m *Memory) DeleteClient(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.clients[id]
	if !ok || !live(b.exp, m.now()) {
		return fmt.Errorf("delete client %q: %w", id, ErrNotFound)
	}
	delete(m.clients, id)
	return nil
}

// --- pending authorizations ---

// CreatePendingAuthorization implements Store.
func (m *Memory) CreatePendingAuthorization(_ context.Context, p *PendingAuthorization) error {
	if p == nil || p.ID == "" {
		return fmt.Errorf("create pending authorization: empty id")
	}
	data, err := EncodeJSON(p)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(m.now())
	m.pending[p.ID] = &blob{data: data, exp: p.ExpiresAt}
	return nil
}

// GetPendingAuthorization implements Store.
func (m *Memory) GetPendingAuthorization(_ context.Context, id string) (*PendingAuthorization, error) {
	data, ok := m.liveBlob(m.pending, id)
	if !ok {
		return nil, fmt.Errorf("pending authorization %q: %w", id, ErrNotFound)
	}
	var p PendingAuthorization
	if err := DecodeJSON(data, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeletePendingAuthorization implements Store.
func (m *Memory) DeletePendingAuthorization(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.pending[id]
	if !ok || !live(b.exp, m.now()) {
		return fmt.Errorf("delete pending authorization %q: %w", id, ErrNotFound)
	}
	delete(m.pending, id)
	return nil
}

// --- consent ---

func consentKey(subject, clientID string) string { return subject + "\x00" + clientID }

// GetConsent implements Store.
func (m *Memory) GetConsent(_ context.Context, subject, clientID string) (*Consent, error) {
	data, ok := m.liveBlob(m.consents, consentKey(subject, clientID))
	if !ok {
		return nil, fmt.Errorf("consent of %q for %q: %w", subject, clientID, ErrNotFound)
	}
	var c Consent
	if err := DecodeJSON(data, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// SaveConsent implements Store.
func (m *Memory) SaveConsent(_ context.Context, c *Consent) error {
	if c == nil || c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("save consent: subject and client id are required")
	}
	data, err := EncodeJSON(c)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(m.now())
	m.consents[consentKey(c.Subject, c.ClientID)] = &blob{data: data, exp: c.ExpiresAt}
	return nil
}
