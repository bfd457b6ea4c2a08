// Package cluster lets replicas of specgate tell each other about spec
// changes over Redis pub/sub, so that when one replica loads a new spec
// version every replica reloads within seconds and notifies its own
// connected MCP clients (tools/list_changed).
//
// A replica that published a new catalog calls Publish with the spec's
// digest; every other replica's Listen callback receives the digest and, if
// it is not the one it serves, triggers a reload. The latest announcement is
// also kept in a key (with a TTL), so a replica that starts or reconnects
// after a missed announcement catches up.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"
)

// Options configures NewNotifier. Zero values get the defaults named on
// each field.
type Options struct {
	// Prefix starts the channel (Prefix+"spec") and key (Prefix+"spec:latest")
	// names; default "specgate:". Replicas of one deployment share it.
	Prefix string
	// InstanceID identifies this replica, so it ignores its own
	// announcements; default a random ID.
	InstanceID string
	// LatestTTL is how long the latest announcement is kept for replicas
	// that (re)connect; default 24h.
	LatestTTL time.Duration
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
}

// Notifier announces and receives spec versions. It is safe for concurrent use.
type Notifier struct {
	rdb     redis.UniversalClient
	channel string
	latest  string
	id      string
	ttl     time.Duration
	log     *slog.Logger
}

// announcement is the message on the channel and the value of the key.
type announcement struct {
	Instance string `json:"instance"`
	Digest   string `json:"digest"`
}

// NewNotifier returns a Notifier using rdb (a client with short timeouts,
// e.g. from redisstore.NewClient).
func NewNotifier(rdb redis.UniversalClient, opts Options) *Notifier {
	if opts.Prefix == "" {
		opts.Prefix = "specgate:"
	}
	if opts.InstanceID == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		opts.InstanceID = hex.EncodeToString(b)
	}
	if opts.LatestTTL <= 0 {
		opts.LatestTTL = 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{
		rdb: rdb, channel: opts.Prefix + "spec", latest: opts.Prefix + "spec:latest",
		id: opts.InstanceID, ttl: opts.LatestTTL, log: opts.Logger,
	}
}

// InstanceID returns the ID this replica announces under.
func (n *Notifier) InstanceID() string { return n.id }

// Publish announces that this replica now serves the spec with digest: it
// stores the announcement as the latest and publishes it, in one round trip.
func (n *Notifier) Publish(ctx context.Context, digest string) error {
	if digest == "" {
		return errors.New("cluster: publish: empty digest")
	}
	msg, err := json.Marshal(announcement{Instance: n.id, Digest: digest})
	if err != nil {
		return fmt.Errorf("cluster: publish digest %s: %w", digest, err)
	}
	_, err = n.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, n.latest, msg, n.ttl)
		p.Publish(ctx, n.channel, msg)
		return nil
	})
	if err != nil {
		return fmt.Errorf("cluster: publish digest %s on %s: %w", digest, n.channel, err)
	}
	return nil
}

// Listen calls fn with the digest of every announcement made by another
// replica, and — each time the subscription is (re)established — with the
// latest stored announcement if another replica made it, so announcements
// missed while disconnected are not lost. fn runs on Listen's goroutine and
// must be quick (e.g. refresh.Refresher.Trigger). Listen reconnects on its
// own (backoff up to 5s) and returns ctx.Err() when ctx ends.
func (n *Notifier) Listen(ctx context.Context, fn func(digest string)) error {
	deliver := func(payload, from string) {
		var a announcement
		if err := json.Unmarshal([]byte(payload), &a); err != nil || a.Digest == "" {
			n.log.Warn("ignoring malformed spec announcement", "channel", n.channel, "from", from)
			return
		}
		if a.Instance == n.id {
			return
		}
		n.log.Debug("spec announced by another replica", "digest", a.Digest, "instance", a.Instance, "from", from)
		fn(a.Digest)
	}
	subscribed := func() {
		v, err := n.rdb.Get(ctx, n.latest).Result()
		switch {
		case errors.Is(err, redis.Nil):
		case err != nil:
			n.log.Warn("read latest spec announcement failed", "key", n.latest, "err", err)
		default:
			deliver(v, "latest")
		}
	}
	backoff := 100 * time.Millisecond
	for {
		up, err := n.listenOnce(ctx, func(m *redis.Message) { deliver(m.Payload, "channel") }, subscribed)
		if up {
			backoff = 100 * time.Millisecond
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		n.log.Warn("spec announcement subscription lost; reconnecting", "channel", n.channel, "retry_in", backoff, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// healthInterval is how long a quiet subscription waits before it pings;
// a ping unanswered for another interval counts as a lost connection.
const healthInterval = 5 * time.Second

// listenOnce runs one subscription until it fails; up reports whether it
// was ever confirmed.
func (n *Notifier) listenOnce(ctx context.Context, onMessage func(*redis.Message), subscribed func()) (up bool, err error) {
	ps := n.rdb.Subscribe(ctx)
	defer ps.Close()
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	if err := ps.Subscribe(ctx, n.channel); err != nil {
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
			if m.Kind == "subscribe" && m.Channel == n.channel {
				up = true
				subscribed()
			}
		case *redis.Message:
			onMessage(m)
		}
	}
}
