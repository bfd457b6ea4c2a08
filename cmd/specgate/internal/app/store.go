package app

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/store/redisstore"
	"github.com/specgate/specgate/oauth/throttle"
)

// openStore returns the configured OAuth store and, for Redis, sets the
// shared throttles, the revocation feed and the readiness check.
func (a *App) openStore(ocfg *oauth.Config) (store.Store, error) {
	if a.cfg.Store == "memory" {
		return store.NewMemory(store.MemoryOptions{}), nil
	}
	rdb, err := redisstore.NewClient(a.cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("config: store: %w", err)
	}
	a.rdb = rdb
	rs := redisstore.New(rdb, redisstore.Options{Prefix: a.cfg.RedisPrefix, Logger: a.log})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rs.Ready(ctx); err != nil {
		// Start anyway: requests needing state answer 503 and /readyz says
		// why until Redis is back.
		a.log.Warn("redis is not reachable yet; requests that need state answer 503 until it is", "err", err)
	}
	a.readyChecks = append(a.readyChecks, readyCheck{name: "store", check: func(r *http.Request) error { return rs.Ready(r.Context()) }})
	ocfg.RevocationFeed = rs
	p := a.cfg.RedisPrefix + "throttle:"
	ocfg.Throttles = oauth.Throttles{
		LoginPerUser:  throttle.NewRedis(rdb, p+"login-user:", 10, 15*time.Minute),
		LoginPerIP:    throttle.NewRedis(rdb, p+"login-ip:", 50, 15*time.Minute),
		RegisterPerIP: throttle.NewRedis(rdb, p+"register-ip:", 30, time.Hour),
	}
	return rs, nil
}

// closeStore releases the Redis connection pool, if any.
func (a *App) closeStore() {
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
}
