package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/ory/fosite"
	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store"
)

// --- fosite.ClientManager ---

// GetClient implements fosite.ClientManager for registered clients.
func (s *Store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	c, err := s.GetRegisteredClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// ClientAssertionJWTValid implements fosite.ClientManager.
func (s *Store) ClientAssertionJWTValid(ctx context.Context, jti string) error {
	v, err := s.rdb.Get(ctx, s.key("jti", jti)).Result()
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return wrap("check client assertion ID", err)
	}
	if e, _ := strconv.ParseInt(v, 10, 64); live(e, ms(s.now())) {
		return fosite.ErrJTIKnown
	}
	return nil
}

// SetClientAssertionJWT implements fosite.ClientManager.
func (s *Store) SetClientAssertionJWT(ctx context.Context, jti string, exp time.Time) error {
	now := s.now()
	ttl, ok := s.ttl(exp, now)
	if !ok {
		return nil
	}
	n, err := setJTI.Run(ctx, s.rdb, []string{s.key("jti", jti)}, ms(now), ms(exp), ttl).Int()
	if err != nil {
		return wrap("record client assertion ID", err)
	}
	if n == 0 {
		return fosite.ErrJTIKnown
	}
	return nil
}

// --- registered clients ---

// score is a client's expiry as a sorted set score ("+inf" for never).
func score(exp time.Time) string {
	if exp.IsZero() {
		return "+inf"
	}
	return strconv.FormatInt(exp.UnixMilli(), 10)
}

// CreateClient implements store.Store atomically: the existence check, the
// limit check and the write are one script.
func (s *Store) CreateClient(ctx context.Context, c *store.Client, limit int) error {
	if c == nil || c.ID == "" {
		return fmt.Errorf("create client: empty client id")
	}
	data, err := store.EncodeJSON(c)
	if err != nil {
		return err
	}
	now := s.now()
	ttl, ok := s.ttl(c.ExpiresAt, now)
	if !ok {
		return nil // born expired: invisible anyway
	}
	res, err := createClient.Run(ctx, s.rdb, []string{s.key("client", c.ID), s.prefix + "clients"},
		ms(now), limit, c.ID, data, ms(c.ExpiresAt), ttl, score(c.ExpiresAt)).Text()
	if err != nil {
		return wrap("create client "+c.ID, err)
	}
	switch res {
	case "exists":
		return fmt.Errorf("create client %s: %w", c.ID, store.ErrClientExists)
	case "limit":
		return fmt.Errorf("create client %s: %w (%d)", c.ID, store.ErrClientLimit, limit)
	}
	return nil
}

// GetRegisteredClient implements store.Store.
func (s *Store) GetRegisteredClient(ctx context.Context, id string) (*store.Client, error) {
	vals, found, err := s.fields(ctx, "get client "+id, s.key("client", id))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("client %q: %w", id, store.ErrNotFound)
	}
	var c store.Client
	if err := store.DecodeJSON([]byte(vals[0]), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// CountClients implements store.Store with one ZCOUNT.
func (s *Store) CountClients(ctx context.Context) (int, error) {
	n, err := s.rdb.ZCount(ctx, s.prefix+"clients", "("+strconv.FormatInt(ms(s.now()), 10), "+inf").Result()
	if err != nil {
		return 0, wrap("count clients", err)
	}
	return int(n), nil
}

// TouchClient implements store.Store as a compare-and-set, retried when a
// concurrent touch changed the client in between.
func (s *Store) TouchClient(ctx context.Context, id string, usedAt, expiresAt time.Time) error {
	op := "touch client " + id
	for range 5 {
		vals, found, err := s.fields(ctx, op, s.key("client", id))
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("touch client %q: %w", id, store.ErrNotFound)
		}
		var c store.Client
		if err := store.DecodeJSON([]byte(vals[0]), &c); err != nil {
			return err
		}
		c.LastUsedAt = usedAt
		if !c.ExpiresAt.IsZero() && (expiresAt.IsZero() || expiresAt.After(c.ExpiresAt)) {
			c.ExpiresAt = expiresAt
		}
		data, err := store.EncodeJSON(&c)
		if err != nil {
			return err
		}
		ttl, _ := s.ttl(c.ExpiresAt, s.now())
		n, err := replaceClient.Run(ctx, s.rdb, []string{s.key("client", id), s.prefix + "clients"},
			vals[0], data, ms(c.ExpiresAt), max(ttl, 1), id, score(c.ExpiresAt)).Int()
		if err != nil {
			return wrap(op, err)
		}
		if n == 1 {
			return nil
		}
	}
	return fmt.Errorf("touch client %q: too many concurrent changes", id)
}

// DeleteClient implements store.Store.
func (s *Store) DeleteClient(ctx context.Context, id string) error {
	n, err := deleteLive.Run(ctx, s.rdb, []string{s.key("client", id), s.prefix + "clients"}, ms(s.now()), id).Int()
	if err != nil {
		return wrap("delete client "+id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete client %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// --- pending authorizations ---

// CreatePendingAuthorization implements store.Store.
func (s *Store) CreatePendingAuthorization(ctx context.Context, p *store.PendingAuthorization) error {
	if p == nil || p.ID == "" {
		return fmt.Errorf("create pending authorization: empty id")
	}
	data, err := store.EncodeJSON(p)
	if err != nil {
		return err
	}
	return s.putRecord(ctx, "create pending authorization", s.key("pa", p.ID), data, p.ExpiresAt)
}

// GetPendingAuthorization implements store.Store.
func (s *Store) GetPendingAuthorization(ctx context.Context, id string) (*store.PendingAuthorization, error) {
	vals, found, err := s.fields(ctx, "get pending authorization", s.key("pa", id))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("pending authorization %q: %w", id, store.ErrNotFound)
	}
	var p store.PendingAuthorization
	if err := store.DecodeJSON([]byte(vals[0]), &p); err != nil {
		return nil, err
	}
	return &p, nil
}

// DeletePendingAuthorization implements store.Store: of concurrent deletes
// on any replicas exactly one succeeds.
func (s *Store) DeletePendingAuthorization(ctx context.Context, id string) error {
	n, err := deleteLive.Run(ctx, s.rdb, []string{s.key("pa", id)}, ms(s.now())).Int()
	if err != nil {
		return wrap("delete pending authorization", err)
	}
	if n == 0 {
		return fmt.Errorf("delete pending authorization %q: %w", id, store.ErrNotFound)
	}
	return nil
}

// --- consent ---

// consentKey is unambiguous for any subject and client ID.
func (s *Store) consentKey(subject, clientID string) string {
	return s.key("consent", strconv.Itoa(len(subject))+":"+subject+clientID)
}

// GetConsent implements store.Store.
func (s *Store) GetConsent(ctx context.Context, subject, clientID string) (*store.Consent, error) {
	vals, found, err := s.fields(ctx, "get consent", s.consentKey(subject, clientID))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("consent of %q for %q: %w", subject, clientID, store.ErrNotFound)
	}
	var c store.Consent
	if err := store.DecodeJSON([]byte(vals[0]), &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// SaveConsent implements store.Store.
func (s *Store) SaveConsent(ctx context.Context, c *store.Consent) error {
	if c == nil || c.Subject == "" || c.ClientID == "" {
		return fmt.Errorf("save consent: subject and client id are required")
	}
	data, err := store.EncodeJSON(c)
	if err != nil {
		return err
	}
	return s.putRecord(ctx, "save consent", s.consentKey(c.Subject, c.ClientID), data, c.ExpiresAt)
}

// --- encrypted upstream credentials ---

// SaveUpstreamCredential implements store.Store.
func (s *Store) SaveUpstreamCredential(ctx context.Context, grantID string, ciphertext []byte, expiresAt time.Time) error {
	if grantID == "" {
		return fmt.Errorf("save upstream credential: empty grant id")
	}
	if len(ciphertext) == 0 {
		return fmt.Errorf("save upstream credential of grant %s: empty ciphertext", grantID)
	}
	return s.putRecord(ctx, "save upstream credential of grant "+grantID, s.key("up", grantID), ciphertext, expiresAt)
}

// GetUpstreamCredential implements store.Store.
func (s *Store) GetUpstreamCredential(ctx context.Context, grantID string) ([]byte, error) {
	vals, found, err := s.fields(ctx, "get upstream credential of grant "+grantID, s.key("up", grantID))
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("upstream credential of grant %s: %w", grantID, store.ErrNotFound)
	}
	return []byte(vals[0]), nil
}

// DeleteUpstreamCredential implements store.Store.
func (s *Store) DeleteUpstreamCredential(ctx context.Context, grantID string) error {
	return wrap("delete upstream credential of grant "+grantID, s.rdb.Del(ctx, s.key("up", grantID)).Err())
}
