package throttle

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Limiter whose counts live in Redis, so every replica sharing
// the Redis (and prefix) enforces one limit per key. It has the semantics of
// Memory — at most limit attempts per key within a window that starts at the
// key's first attempt; refused attempts are not counted — with the window
// kept by Redis's clock as the counter key's TTL, so every key expires.
//
// Errors (Redis unreachable) are returned as such; callers refuse the
// attempt with 503 rather than letting it through unthrottled.
type Redis struct {
	rdb    redis.UniversalClient
	prefix string
	limit  int
	window time.Duration
}

// allowScript counts one attempt. Returns {1, 0} if allowed, else {0, ms
// until the window ends}. KEYS: counter. ARGV: limit, window ms.
var allowScript = redis.NewScript(`
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n == 0 then
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[2])
  return {1, 0}
end
if n < tonumber(ARGV[1]) then
  redis.call('INCR', KEYS[1])
  return {1, 0}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
return {0, ttl}
`)

// NewRedis returns a limiter allowing limit attempts per key per window,
// keeping its counters under prefix (e.g. "specgate:throttle:login-user:";
// limiters with different limits need different prefixes). Use a client
// with short timeouts (redisstore.NewClient). It panics if limit < 1 or
// window < 1ms; validate configuration first.
func NewRedis(rdb redis.UniversalClient, prefix string, limit int, window time.Duration) *Redis {
	if limit < 1 || window < time.Millisecond {
		panic(fmt.Sprintf("throttle: NewRedis(%d, %v): limit must be >= 1 and window >= 1ms", limit, window))
	}
	return &Redis{rdb: rdb, prefix: prefix, limit: limit, window: window}
}

// key keeps Redis keys short whatever the caller's key (user names can be
// long): long keys are replaced by their SHA-256.
func (r *Redis) key(k string) string { return r.prefix + hashKey(k) }

// hashKey replaces keys longer than 128 bytes by their SHA-256.
func hashKey(k string) string {
	if len(k) > 128 {
		sum := sha256.Sum256([]byte(k))
		k = "sha256:" + hex.EncodeToString(sum[:])
	}
	return k
}

// Allow implements Limiter with one round trip.
func (r *Redis) Allow(ctx context.Context, key string) (bool, time.Duration, error) {
	res, err := allowScript.Run(ctx, r.rdb, []string{r.key(key)}, r.limit, r.window.Milliseconds()).Int64Slice()
	if err != nil {
		return false, 0, fmt.Errorf("throttle %s: %w", r.prefix, err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("throttle %s: unexpected reply %v", r.prefix, res)
	}
	return res[0] == 1, time.Duration(res[1]) * time.Millisecond, nil
}

// Reset implements Limiter.
func (r *Redis) Reset(ctx context.Context, key string) error {
	if err := r.rdb.Del(ctx, r.key(key)).Err(); err != nil {
		return fmt.Errorf("throttle %s: reset: %w", r.prefix, err)
	}
	return nil
}

var _ Limiter = (*Redis)(nil)
