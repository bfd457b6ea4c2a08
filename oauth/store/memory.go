package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ory/fosite"
)

// MemoryOptions configures NewMemory.
type MemoryOptions struct {
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// FallbackTTL bounds records whose fosite session carries no expiry for
	// their token type; 0 means 24h.
	FallbackTTL time.Duration
}

// Memory is a concurrency-safe in-process Store. Every record is held as its
// JSON encoding (the same codec a shared store uses), so callers always get
// deep copies and nothing they do to a returned value changes stored state.
// Expired records are invisible at once and swept from memory at most once a
// minute, on writes.
type Memory struct {
	mu          sync.Mutex
	now         func() time.Time
	fallbackTTL time.Duration
	lastSweep   time.Time

	codes        map[string]*codeRec
	pkces        map[string]*blob
	access       map[string]*accessRec
	refresh      map[string]*refreshRec
	grantAccess  map[string]map[string]struct{} // request ID -> access signatures
	grantRefresh map[string]map[string]struct{} // request ID -> refresh signatures
	clients      map[string]*blob
	pending      map[string]*blob
	consents     map[string]*blob
	upstream     map[string]*blob // grant ID -> encrypted upstream credential
	jtis         map[string]time.Time
}

type blob struct {
	data []byte
	exp  time.Time // zero: never
}

type codeRec struct {
	blob
	invalidated bool
}

type accessRec struct {
	blob
	requestID string
}

type refreshRec struct {
	blob
	requestID string
	accessSig string
	rotatedAt time.Time // zero: active
}

const sweepInterval = time.Minute

var _ Store = (*Memory)(nil)

// NewMemory returns an empty in-memory store.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FallbackTTL <= 0 {
		opts.FallbackTTL = 24 * time.Hour
	}
	return &Memory{
		now:          opts.Now,
		fallbackTTL:  opts.FallbackTTL,
		codes:        map[string]*codeRec{},
		pkces:        map[string]*blob{},
		access:       map[string]*accessRec{},
		refresh:      map[string]*refreshRec{},
		grantAccess:  map[string]map[string]struct{}{},
		grantRefresh: map[string]map[string]struct{}{},
		clients:      map[string]*blob{},
		pending:      map[string]*blob{},
		consents:     map[string]*blob{},
		upstream:     map[string]*blob{},
		jtis:         map[string]time.Time{},
	}
}

func live(exp, now time.Time) bool { return exp.IsZero() || now.Before(exp) }

// expiry returns the record expiry for r as token type tt, bounded by the fallback.
func (m *Memory) expiry(r fosite.Requester, tt fosite.TokenType, now time.Time) time.Time {
	if exp := RequestExpiry(r, tt); !exp.IsZero() {
		return exp
	}
	return now.Add(m.fallbackTTL)
}

// sweep drops expired records; callers hold m.mu.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < sweepInterval {
		return
	}
	m.lastSweep = now
	for k, v := range m.codes {
		if !live(v.exp, now) {
			delete(m.codes, k)
		}
	}
	for _, mp := range []map[string]*blob{m.pkces, m.clients, m.pending, m.consents, m.upstream} {
		for k, v := range mp {
			if !live(v.exp, now) {
				delete(mp, k)
			}
		}
	}
	for k, v := range m.access {
		if !live(v.exp, now) {
			m.deleteAccess(k, v)
		}
	}
	for k, v := range m.refresh {
		if !live(v.exp, now) {
			m.deleteRefresh(k, v)
		}
	}
	for k, exp := range m.jtis {
		if !live(exp, now) {
			delete(m.jtis, k)
		}
	}
}

func decodeRequester(data []byte) (fosite.Requester, error) {
	r, err := DecodeRequest(data)
	if err != nil {
		return nil, err
	}
	return r, nil
}

// --- fosite.ClientManager ---

// GetClient implements fosite.ClientManager for registered clients.
func (m *Memory) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := m.GetRegisteredClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ClientAssertionJWTValid implements fosite.ClientManager.
func (m *Memory) ClientAssertionJWTValid(_ context.Context, jti string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if exp, ok := m.jtis[jti]; ok && live(exp, m.now()) {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager.
func (m *Memory) SetClientAssertionJWT(_ context.Context, jti string, exp time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	if old, ok := m.jtis[jti]; ok && live(old, now) {
		return fosite.ErrJTIKnown
	}
	m.jtis[jti] = exp
	return nil
}

// --- authorization codes and PKCE ---

// CreateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (m *Memory) CreateAuthorizeCodeSession(_ context.Context, sig string, r fosite.Requester) error {
	data, err := EncodeRequest(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	m.codes[sig] = &codeRec{blob: blob{data: data, exp: m.expiry(r, fosite.AuthorizeCode, now)}}
	return nil
}

// GetAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
func (m *Memory) GetAuthorizeCodeSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	m.mu.Lock()
	rec, ok := m.codes[sig]
	if ok && !live(rec.exp, m.now()) {
		ok = false
	}
	var data []byte
	var invalid bool
	if ok {
		data, invalid = rec.data, rec.invalidated
	}
	m.mu.Unlock()
	if !ok {
		return nil, fosite.ErrNotFound
	}
	r, err := decodeRequester(data)
	if err != nil {
		return nil, err
	}
	if invalid {
		return r, fosite.ErrInvalidatedAuthorizeCode
	}
	return r, nil
}

// InvalidateAuthorizeCodeSession implements oauth2.AuthorizeCodeStorage.
// Of concurrent redemptions of a code exactly one succeeds: fosite reads
// the code (and its PKCE record) before it invalidates it, so two requests
// racing with the same code and verifier both get here, and letting the
// second pass too would issue two token pairs for one code.
func (m *Memory) InvalidateAuthorizeCodeSession(_ context.Context, sig string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, ok := m.codes[sig]
	if !ok || !live(rec.exp, m.now()) {
		return fosite.ErrNotFound
	}
	if rec.invalidated {
		return fmt.Errorf("authorization code was already redeemed: %w", fosite.ErrInvalidatedAuthorizeCode)
	}
	rec.invalidated = true
	return nil
}

// CreatePKCERequestSession implements pkce.PKCERequestStorage.
func (m *Memory) CreatePKCERequestSession(_ context.Context, sig string, r fosite.Requester) error {
	data, err := EncodeRequest(r)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sweep(now)
	m.pkces[sig] = &blob{data: data, exp: m.expiry(r, fosite.AuthorizeCode, now)}
	return nil
}

// GetPKCERequestSession implements pkce.PKCERequestStorage.
func (m *Memory) GetPKCERequestSession(_ context.Context, sig string, _ fosite.Session) (fosite.Requester, error) {
	data, ok := m.liveBlob(m.pkces, sig)
	if !ok {
		return nil, fosite.ErrNotFound
	}
	return decodeRequester(data)
}

// DeletePKCERequestSession implements pkce.PKCERequestStorage.
func (m *Memory) DeletePKCERequestSession(_ context.Context, sig string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.pkces, sig)
	return nil
}
