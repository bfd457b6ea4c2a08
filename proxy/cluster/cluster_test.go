package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
)

// listener runs n.Listen in the background and collects the digests.
type listener struct {
	digests chan string
	done    chan error
	cancel  context.CancelFunc
}

func listen(t *testing.T, n *Notifier) *listener {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	l := &listener{digests: make(chan string, 16), done: make(chan error, 1), cancel: cancel}
	go func() { l.done <- n.Listen(ctx, func(d string) { l.digests <- d }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-l.done; !errors.Is(err, context.Canceled) {
			t.Errorf("Listen returned %v, want context.Canceled", err)
		}
	})
	return l
}

func (l *listener) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case d := <-l.digests:
		if d != want {
			t.Fatalf("got digest %q, want %q", d, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("digest %q never arrived", want)
	}
}

func (l *listener) expectNothing(t *testing.T) {
	t.Helper()
	select {
	case d := <-l.digests:
		t.Fatalf("unexpected digest %q", d)
	case <-time.After(100 * time.Millisecond):
	}
}

// waitSubscribers waits until channel has n subscribers, so a publish
// after it cannot be missed.
func waitSubscribers(t *testing.T, rdb *redis.Client, channel string, n int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m, err := rdb.PubSubNumSub(context.Background(), channel).Result()
		if err == nil && m[channel] >= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("channel %s never had %d subscribers", channel, n)
}

func TestNotifier(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T) (*redis.Client, string)
	}{
		{"miniredis", func(t *testing.T) (*redis.Client, string) { _, rdb, p := redistest.Mini(t); return rdb, p }},
		{"redis", func(t *testing.T) (*redis.Client, string) { return redistest.Real(t) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			rdb, prefix := b.open(t)
			ctx := context.Background()
			a := NewNotifier(rdb, Options{Prefix: prefix, InstanceID: "a"})
			bn := NewNotifier(redistest.Another(t, rdb), Options{Prefix: prefix, InstanceID: "b"})

			// A replica starting after an announcement catches up from the key.
			if err := a.Publish(ctx, "d1"); err != nil {
				t.Fatal(err)
			}
			lb := listen(t, bn)
			lb.expect(t, "d1")
			la := listen(t, a) // its own latest announcement is not delivered
			waitSubscribers(t, rdb, prefix+"spec", 2)
			la.expectNothing(t)

			if err := bn.Publish(ctx, "d2"); err != nil {
				t.Fatal(err)
			}
			la.expect(t, "d2")
			lb.expectNothing(t) // own announcement

			if err := rdb.Publish(ctx, prefix+"spec", "not json").Err(); err != nil {
				t.Fatal(err)
			}
			if err := a.Publish(ctx, "d3"); err != nil {
				t.Fatal(err)
			}
			lb.expect(t, "d3") // the malformed message was skipped

			if ttl := rdb.PTTL(ctx, prefix+"spec:latest").Val(); ttl <= 0 || ttl > 24*time.Hour {
				t.Fatalf("latest announcement TTL = %v, want (0, 24h]", ttl)
			}
			if err := a.Publish(ctx, ""); err == nil {
				t.Fatal("empty digest was published")
			}
		})
	}
}

// TestNotifierReconnects restarts Redis under a listener: it resubscribes
// on its own and catches up from the stored latest announcement.
func TestNotifierReconnects(t *testing.T) {
	mr, rdb, prefix := redistest.Mini(t)
	fast := redis.NewClient(&redis.Options{Addr: mr.Addr(), DialTimeout: time.Second, ReadTimeout: time.Second, MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = fast.Close() })
	pub := NewNotifier(rdb, Options{Prefix: prefix, InstanceID: "pub"})
	l := listen(t, NewNotifier(fast, Options{Prefix: prefix, InstanceID: "sub"}))
	waitSubscribers(t, rdb, prefix+"spec", 1)

	mr.Close()
	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	// Published possibly before the listener is back: the stored latest
	// announcement delivers it on resubscription either way.
	if err := pub.Publish(context.Background(), "after-restart"); err != nil {
		t.Fatal(err)
	}
	l.expect(t, "after-restart")
	waitSubscribers(t, rdb, prefix+"spec", 1)
	if err := pub.Publish(context.Background(), "live"); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case d := <-l.digests:
			if d == "live" {
				return
			}
			if d != "after-restart" {
				t.Fatalf("unexpected digest %q", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("announcement after reconnection never arrived")
		}
	}
}

func TestNotifierDefaults(t *testing.T) {
	n1, n2 := NewNotifier(nil, Options{}), NewNotifier(nil, Options{})
	if n1.InstanceID() == "" || n1.InstanceID() == n2.InstanceID() {
		t.Fatalf("instance IDs %q and %q must be set and distinct", n1.InstanceID(), n2.InstanceID())
	}
	if n1.channel != "specgate:spec" || n1.latest != "specgate:spec:latest" || n1.ttl != 24*time.Hour {
		t.Fatalf("defaults: %+v", n1)
	}
}
