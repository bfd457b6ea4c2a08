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
	"github.com/specgate/specgate/proxy/refresh"
)

// openStore returns the configured OAuth store and, for Redis, sets the
// shared throttles, the revocation feed and the readiness check.
func (a *App) openStore(ocfg *oauth.Config) (store.Store, error) {
	if a.cfg.Store == "memory" {
		return store.NewMemory(store.MemoryOptions{}), nil
	}
	rdb := a.rdb
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

// openRedis connects to the shared Redis when --store names one.
func (a *App) openRedis() error {
	if a.cfg.Store == "memory" {
		return nil
	}
	rdb, err := redisstore.NewClient(a.cfg.Store)
	if err != nil {
		return fmt.Errorf("config: store: %w", err)
	}
	a.rdb = rdb
	return nil
}

// onRefresh announces a newly published spec to the other replicas.
func (s *apiServer) onRefresh(result string) {
	if s.notifier == nil || result != refresh.ResultOK || s.refresher == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := s.notifier.Publish(ctx, s.refresher.Status().Digest); err != nil {
		s.app.log.Warn("could not announce the new spec to other replicas", "api", s.name, "err", err)
	}
}

// followPeers reloads the spec when another replica announces a version
// this one does not have, so every replica notifies its clients in seconds.
func (s *apiServer) followPeers(ctx context.Context) {
	if s.notifier == nil {
		return
	}
	s.notifier.Listen(ctx, func(digest string) {
		if digest != s.refresher.Status().Digest {
			s.app.log.Info("another replica announced a new spec version; reloading", "api", s.name, "digest", short(digest))
			s.refresher.Trigger()
		}
	})
}

func short(d string) string {
	if len(d) > 12 {
		return d[:12]
	}
	return d
}

// closeStore releases the Redis connection pool, if any.
func (a *App) closeStore() {
	if a.bgCancel != nil {
		a.bgCancel()
	}
	if a.rdb != nil {
		_ = a.rdb.Close()
	}
}
