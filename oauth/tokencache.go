package oauth

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// RevocationFeed tells a replica about access tokens deleted by any replica,
// so its validated-token cache forgets them. redisstore.Store implements it:
// its scripts announce the grant ID of every deleted access token atomically
// with the deletion.
type RevocationFeed interface {
	// ListenRevocations calls revoked with the grant ID of every announced
	// deletion and subscribed(true/false) when the subscription is
	// established or lost (announcements in between are missed). It
	// reconnects on its own and returns when ctx ends.
	ListenRevocations(ctx context.Context, revoked func(grantID string), subscribed func(up bool)) error
}

// ListenRevocations keeps the validated-token cache (Config.TokenCacheTTL)
// in step with revocations on other replicas through Config.RevocationFeed.
// Run it in its own goroutine for the server's lifetime; it returns when ctx
// ends, or at once when there is no cache or no feed. Until its subscription
// is up (and while it is down) the cache serves nothing, so a missing or
// broken feed costs speed, never correctness.
func (s *Server) ListenRevocations(ctx context.Context) error {
	if s.tokens == nil || s.cfg.RevocationFeed == nil {
		return nil
	}
	return s.cfg.RevocationFeed.ListenRevocations(ctx,
		func(grantID string) { s.tokens.dropGrant(grantID, s.now()) },
		func(up bool) {
			s.tokens.setOnline(up)
			if !up {
				s.log.Warn("revocation feed lost; validated-token cache suspended until it is back")
			}
		})
}

// tokenCache remembers verified access tokens for a short TTL, so most
// bearer checks cost no store round trip. A nil *tokenCache caches nothing.
//
// Revocation must never be missed, including by a lookup that is in flight
// while the revocation happens: every lookup takes a ticket (a sequence
// number) before reading the store, every revocation of a grant records the
// sequence number at which it happened, and an entry whose ticket is older
// than its grant's revocation (or than the last reset) is void.
type tokenCache struct {
	ttl time.Duration

	mu      sync.Mutex
	entries *simplelru.LRU[string, cachedToken] // by access token signature
	seq     uint64                              // bumped by every revocation and reset
	floor   uint64                              // entries with older tickets are void
	revoked map[string]revocation               // by grant ID
	online  bool                                // false while the revocation feed is down
}

// ticket identifies a store lookup: the cache's sequence number and the
// time when it began.
type ticket struct {
	seq uint64
	at  time.Time
}

type cachedToken struct {
	p   *Principal
	exp time.Time // the token's expiry; zero: none
	t   ticket
}

type revocation struct {
	seq uint64
	at  time.Time
}

// DefaultTokenCacheSize is Config.TokenCacheSize's default.
const DefaultTokenCacheSize = 10000

// newTokenCache returns a cache, or nil when ttl <= 0 (disabled). With a
// feed the cache starts offline until the feed's subscription is up.
func newTokenCache(ttl time.Duration, size int, feed bool) *tokenCache {
	if ttl <= 0 {
		return nil
	}
	entries, _ := simplelru.NewLRU[string, cachedToken](max(size, 1), nil)
	return &tokenCache{ttl: ttl, entries: entries, revoked: map[string]revocation{}, online: !feed}
}

// begin returns the ticket of a store lookup about to start.
func (c *tokenCache) begin(now time.Time) ticket {
	if c == nil {
		return ticket{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return ticket{seq: c.seq, at: now}
}

// void reports whether an entry of grantID with ticket t may not be used;
// callers hold c.mu.
func (c *tokenCache) void(grantID string, t ticket) bool {
	if t.seq < c.floor {
		return true
	}
	r, ok := c.revoked[grantID]
	return ok && t.seq < r.seq
}

// get returns a copy of the cached principal of the token with signature
// sig, if it is cached, fresh, unexpired and not revoked.
func (c *tokenCache) get(sig string, now time.Time) (*Principal, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.online {
		return nil, false
	}
	e, ok := c.entries.Get(sig)
	if !ok {
		return nil, false
	}
	if now.Sub(e.t.at) >= c.ttl || (!e.exp.IsZero() && !now.Before(e.exp)) || c.void(e.p.GrantID, e.t) {
		c.entries.Remove(sig)
		return nil, false
	}
	return clonePrincipal(e.p), true
}

// put caches the outcome of the lookup with ticket t, unless a revocation
// or reset happened since it began.
func (c *tokenCache) put(sig string, t ticket, p *Principal, exp time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.online || c.void(p.GrantID, t) {
		return
	}
	c.entries.Add(sig, cachedToken{p: clonePrincipal(p), exp: exp, t: t})
}

// dropGrant voids every cached token of grantID, including those of
// lookups still in flight.
func (c *tokenCache) dropGrant(grantID string, now time.Time) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	c.revoked[grantID] = revocation{seq: c.seq, at: now}
	// A revocation older than the TTL can no longer void anything: every
	// lookup that began before it is older than the TTL too.
	for g, r := range c.revoked {
		if now.Sub(r.at) > c.ttl {
			delete(c.revoked, g)
		}
	}
}

// reset voids everything cached or in flight.
func (c *tokenCache) reset() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetLocked()
}

func (c *tokenCache) resetLocked() {
	c.seq++
	c.floor = c.seq
	c.entries.Purge()
	clear(c.revoked)
}

// setOnline records the state of the revocation feed. Announcements may
// have been missed while it was down, so everything older is void.
func (c *tokenCache) setOnline(up bool) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.resetLocked()
	c.online = up
}

func clonePrincipal(p *Principal) *Principal {
	d := *p
	d.Scopes = slices.Clone(p.Scopes)
	d.AllowedScopes = slices.Clone(p.AllowedScopes)
	d.Audience = slices.Clone(p.Audience)
	return &d
}

// The fosite adapter drops cached tokens after every store change that
// deletes access tokens (on this replica; the store's revocation feed
// tells the others). It must come after the store change: a lookup
// beginning in between would otherwise read and cache the old record.

// RevokeAccessToken implements oauth2.TokenRevocationStorage.
func (f *fositeStore) RevokeAccessToken(ctx context.Context, requestID string) error {
	err := f.Store.RevokeAccessToken(ctx, requestID)
	f.s.tokens.dropGrant(requestID, f.s.now())
	return err
}

// RotateRefreshToken implements oauth2.RefreshTokenStorage; rotation
// deletes the access token issued with the refresh token.
func (f *fositeStore) RotateRefreshToken(ctx context.Context, requestID, sig string) error {
	err := f.Store.RotateRefreshToken(ctx, requestID, sig)
	f.s.tokens.dropGrant(requestID, f.s.now())
	return err
}

// DeleteAccessTokenSession implements oauth2.AccessTokenStorage. Only the
// signature is known here, so the whole cache goes (fosite's handlers in
// use never call it).
func (f *fositeStore) DeleteAccessTokenSession(ctx context.Context, sig string) error {
	err := f.Store.DeleteAccessTokenSession(ctx, sig)
	f.s.tokens.reset()
	return err
}
