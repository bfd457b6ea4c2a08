// Package redisstore is the Redis implementation of store.Store: the state of
// the authorization server shared by every replica behind a load balancer.
//
// Layout (P is Options.Prefix): every record is a hash with the encoded
// value in field "d" and its expiry in field "e" (Unix milliseconds, 0 =
// none), and every key carries a TTL, so nothing outlives its record:
//
//	P+"code:"<sig>     authorization code (+ "inv": which redemption invalidated it)
//	P+"pkce:"<sig>     PKCE request
//	P+"at:"<sig>       access token (+ "g": grant ID)
//	P+"rt:"<sig>       refresh token (+ "g", "a": its access token, "rot": rotation time)
//	P+"grant:"<id>     set of the grant's tokens ("a:<sig>", "r:<sig>"), for revocation
//	P+"client:"<id>    registered client
//	P+"clients"        sorted set of client IDs by expiry, for counting
//	P+"pa:"<id>        pending authorization
//	P+"consent:"...    remembered consent of a subject for a client
//	P+"jti:"<jti>      used client assertion ID (a string: its expiry)
//	P+"up:"<grant>     encrypted upstream credential
//	P+"revoked"        pub/sub channel: grant IDs whose access tokens were deleted
//
// Keys hold token SIGNATURES (fosite never passes raw tokens to a store) and
// values hold requests sanitised by fosite, so Redis never sees a usable
// token. Code redemption, refresh rotation and revocation are single Lua
// scripts, atomic across replicas. Expiry is decided on read against
// Options.Now (the Redis TTL only frees memory), so replicas and tests agree.
//
// Errors reaching Redis are *UnavailableError (its Unavailable method lets
// the HTTP layer answer 503 without importing this package). Redis Cluster is
// not supported (scripts touch keys of several slots); use a single primary,
// optionally with Sentinel.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store"
)

// Options configures New. Zero values get the defaults named on each field.
type Options struct {
	// Prefix starts every key and channel name; default "specgate:".
	// Replicas sharing state must use the same prefix; separate deployments
	// sharing one Redis must use different ones.
	Prefix string
	// Now is the clock; nil means time.Now. Tests inject a fake one.
	Now func() time.Time
	// FallbackTTL bounds tokens and codes whose fosite session carries no
	// expiry for their type; default 24h.
	FallbackTTL time.Duration
	// MaxTTL bounds every key's TTL, including records that never expire
	// (clients registered without ExpiresAt, upstream credentials without
	// expiry); default 400 days.
	MaxTTL time.Duration
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
}

// Store is a store.Store kept in Redis. It is safe for concurrent use, by
// any number of processes sharing one Redis and prefix.
type Store struct {
	rdb         redis.UniversalClient
	prefix      string
	now         func() time.Time
	fallbackTTL time.Duration
	maxTTL      time.Duration
	log         *slog.Logger
}

var _ store.Store = (*Store)(nil)

// New returns a store using rdb. Create rdb with NewClient (fail-fast
// timeouts) unless you have reasons not to.
func New(rdb redis.UniversalClient, opts Options) *Store {
	if opts.Prefix == "" {
		opts.Prefix = "specgate:"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FallbackTTL <= 0 {
		opts.FallbackTTL = 24 * time.Hour
	}
	if opts.MaxTTL <= 0 {
		opts.MaxTTL = 400 * 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Store{rdb: rdb, prefix: opts.Prefix, now: opts.Now, fallbackTTL: opts.FallbackTTL, maxTTL: opts.MaxTTL, log: opts.Logger}
}

// Fail-fast client defaults: a request that needs Redis while it is down
// must fail in about two seconds (and be answered 503), not hang.
const (
	defaultDialTimeout = time.Second
	defaultIOTimeout   = time.Second
)

// ClientOptions parses a redis:// or rediss:// URL (redis.ParseURL syntax,
// e.g. redis://user:pass@host:6379/0) and fills in fail-fast defaults for
// every timeout the URL does not set: 1s to dial (one attempt), 1s per read
// and write, 1s to wait for a pooled connection, one retry; context
// deadlines are honoured.
func ClientOptions(url string) (*redis.Options, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redis URL %q: %w", redactURL(url), err)
	}
	if opts.DialTimeout == 0 {
		opts.DialTimeout = defaultDialTimeout
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = defaultIOTimeout
	}
	if opts.WriteTimeout == 0 {
		opts.WriteTimeout = defaultIOTimeout
	}
	if opts.PoolTimeout == 0 {
		opts.PoolTimeout = defaultIOTimeout
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 1
	}
	if opts.DialerRetries == 0 {
		opts.DialerRetries = 1
	}
	opts.ContextTimeoutEnabled = true
	return opts, nil
}

// NewClient returns a client for url with ClientOptions. It does not
// connect; call Ready to check the server.
func NewClient(url string) (*redis.Client, error) {
	opts, err := ClientOptions(url)
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opts), nil
}

// redactURL drops the password from a URL for error messages.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// Ready reports whether Redis answers (PING), for a readiness probe. It
// waits at most 2s.
func (s *Store) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// UnavailableError reports that Redis could not be reached or did not
// answer in time. The operation may be retried once Redis is back.
type UnavailableError struct {
	Op  string
	Err error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	return "redis store " + e.Op + ": unavailable: " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Unavailable marks the error as "shared state unreachable, retry later",
// for callers that map it to 503 without importing this package.
func (e *UnavailableError) Unavailable() bool { return true }

// wrap classifies a Redis error: server replies other than transient ones
// (a script bug, WRONGTYPE) are plain errors; everything else (network,
// timeouts, a loading or read-only server) is an *UnavailableError.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var re redis.Error
	if errors.As(err, &re) && !transient(err) {
		return fmt.Errorf("redis store %s: %w", op, err)
	}
	return &UnavailableError{Op: op, Err: err}
}

func transient(err error) bool {
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN", "OOM"} {
		if redis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// --- keys, clocks and TTLs ---

func (s *Store) key(kind, id string) string { return s.prefix + kind + ":" + id }

// channel is the revocation pub/sub channel.
func (s *Store) channel() string { return s.prefix + "revoked" }

// ms is t in Unix milliseconds, 0 for the zero time.
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// live reports whether a record with expiry e (Unix ms, 0 = none) is alive at now.
func live(e, now int64) bool { return e == 0 || now < e }

// ttl is the Redis TTL in milliseconds of a record expiring at exp (zero:
// never), capped at MaxTTL; ok is false when it has already expired.
func (s *Store) ttl(exp, now time.Time) (ttlMS int64, ok bool) {
	if exp.IsZero() {
		return s.maxTTL.Milliseconds(), true
	}
	d := min(exp.Sub(now), s.maxTTL)
	if d <= 0 {
		return 0, false
	}
	return (d + time.Millisecond - 1).Milliseconds(), true
}

// tokenExpiry is when a fosite record of type tt expires: its session's
// expiry, or FallbackTTL from now.
func (s *Store) tokenExpiry(e time.Time, now time.Time) time.Time {
	if e.IsZero() {
		return now.Add(s.fallbackTTL)
	}
	return e
}

// fields reads the named hash fields of key in one round trip. found is
// false when the key (its "d" field) is absent or its "e" says expired.
func (s *Store) fields(ctx context.Context, op, key string, names ...string) (vals []string, found bool, err error) {
	all := append([]string{"d", "e"}, names...)
	res, err := s.rdb.HMGet(ctx, key, all...).Result()
	if err != nil {
		return nil, false, wrap(op, err)
	}
	vals = make([]string, len(res))
	for i, v := range res {
		if str, ok := v.(string); ok {
			vals[i] = str
		}
	}
	if res[0] == nil {
		return nil, false, nil
	}
	e, _ := strconv.ParseInt(vals[1], 10, 64)
	if !live(e, ms(s.now())) {
		return nil, false, nil
	}
	return vals, true, nil
}

// putRecord replaces key with the hash {d: data, e: exp} and its TTL in one
// atomic round trip; an already expired record is deleted instead.
func (s *Store) putRecord(ctx context.Context, op, key string, data []byte, exp time.Time) error {
	ttl, ok := s.ttl(exp, s.now())
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, key)
		if ok {
			p.HSet(ctx, key, "d", data, "e", ms(exp))
			p.PExpire(ctx, key, time.Duration(ttl)*time.Millisecond)
		}
		return nil
	})
	return wrap(op, err)
}
