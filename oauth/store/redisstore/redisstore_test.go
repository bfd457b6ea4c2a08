package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store/redisstore"
	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
	"github.com/specgate/specgate/oauth/store/storetest"
)

var start = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// TestMiniredisConformance runs the store conformance suite against
// miniredis, whose key TTLs move with the fake clock.
func TestMiniredisConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		mr, rdb, prefix := redistest.Mini(t)
		clock := storetest.NewClock(start)
		return storetest.Harness{
			Store: redisstore.New(rdb, redisstore.Options{Prefix: prefix, Now: clock.Now}),
			Now:   clock.Now,
			Advance: func(d time.Duration) {
				clock.Advance(d)
				mr.FastForward(d)
			},
		}
	})
}

// TestRedisConformance runs the suite against the real Redis at REDIS_URL
// (default redis://127.0.0.1:6379/0); it fails, never skips, when that Redis
// is unreachable. Its keys do not expire with the fake clock, so this also
// proves that expiry is decided by the store's clock, not by Redis TTLs.
func TestRedisConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Harness {
		rdb, prefix := redistest.Real(t)
		clock := storetest.NewClock(start)
		return storetest.Harness{
			Store:   redisstore.New(rdb, redisstore.Options{Prefix: prefix, Now: clock.Now}),
			Now:     clock.Now,
			Advance: clock.Advance,
		}
	})
}

// newMini returns a store on a fresh miniredis with a fake clock.
func newMini(t *testing.T) (*redisstore.Store, *redis.Client, string, *storetest.Clock) {
	t.Helper()
	_, rdb, prefix := redistest.Mini(t)
	clock := storetest.NewClock(start)
	return redisstore.New(rdb, redisstore.Options{Prefix: prefix, Now: clock.Now}), rdb, prefix, clock
}
