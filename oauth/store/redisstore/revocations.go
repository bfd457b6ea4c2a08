package redisstore

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// ListenRevocations implements oauth.RevocationFeed. The store's scripts
// announce, atomically with the deletion, the grant ID of every access token
// they delete (revocation, rotation, deletion) on the channel P+"revoked";
// this subscribes to it and calls revoked for every announcement, from any
// replica including this one.
//
// subscribed(true) is called each time the subscription is (re)established
// and subscribed(false) when it is lost: announcements made in between were
// missed, so a cache must not trust entries older than the last
// subscribed(true). It reconnects on its own (backoff up to 5s) and returns
// only when ctx ends, with ctx.Err().
func (s *Store) ListenRevocations(ctx context.Context, revoked func(grantID string), subscribed func(up bool)) error {
	return listen(ctx, s.rdb, s.channel(), s.log, func(m *redis.Message) { revoked(m.Payload) }, subscribed)
}

// healthInterval is how long a quiet subscription waits before it pings;
// a ping unanswered for another interval counts as a lost connection.
const healthInterval = 5 * time.Second

// listen keeps a subscription to channel alive until ctx ends.
func listen(ctx context.Context, rdb redis.UniversalClient, channel string, log *slog.Logger,
	onMessage func(*redis.Message), subscribed func(bool)) error {
	backoff := 100 * time.Millisecond
	for {
		up, err := listenOnce(ctx, rdb, channel, onMessage, subscribed)
		if up {
			subscribed(false)
			backoff = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		log.Warn("redis subscription lost; reconnecting", "channel", channel, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// listenOnce runs one subscription until it fails; up reports whether it
// was ever confirmed.
func listenOnce(ctx context.Context, rdb redis.UniversalClient, channel string,
	onMessage func(*redis.Message), subscribed func(bool)) (up bool, err error) {
	ps := rdb.Subscribe(ctx)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	if err := ps.Subscribe(ctx, channel); err != nil {
		return false, err
	}
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, healthInterval)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() && !pinged && ctx.Err() == nil {
				pinged = true
				if err := ps.Ping(ctx); err != nil {
					return up, err
				}
				continue
			}
			return up, err
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == channel {
				up = true
				subscribed(true)
			}
		case *redis.Message:
			onMessage(m)
		}
	}
}
