package throttle

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
)

// TestRedisAllow runs Memory's scenarios against a Redis limiter on
// miniredis, whose clock (the window) moves with FastForward.
func TestRedisAllow(t *testing.T) {
	type step struct {
		advance   time.Duration
		key       string
		reset     bool
		wantOK    bool
		wantRetry time.Duration
	}
	tests := []struct {
		name   string
		limit  int
		window time.Duration
		steps  []step
	}{
		{
			name: "limit then refuse until window ends", limit: 3, window: time.Minute,
			steps: []step{
				{key: "a", wantOK: true},
				{advance: 10 * time.Second, key: "a", wantOK: true},
				{advance: 10 * time.Second, key: "a", wantOK: true},
				{advance: 10 * time.Second, key: "a", wantOK: false, wantRetry: 30 * time.Second},
				{advance: 29 * time.Second, key: "a", wantOK: false, wantRetry: time.Second},
				{advance: time.Second, key: "a", wantOK: true},
				{key: "a", wantOK: true},
				{key: "a", wantOK: true},
				{key: "a", wantOK: false, wantRetry: time.Minute},
			},
		},
		{
			name: "keys are independent", limit: 1, window: time.Minute,
			steps: []step{
				{key: "ip:1", wantOK: true},
				{key: "ip:1", wantOK: false, wantRetry: time.Minute},
				{key: "ip:2", wantOK: true},
				{key: "", wantOK: true},
				{key: "", wantOK: false, wantRetry: time.Minute},
				{key: strings.Repeat("x", 500), wantOK: true},
				{key: strings.Repeat("x", 500), wantOK: false, wantRetry: time.Minute},
				{key: strings.Repeat("x", 499) + "y", wantOK: true},
			},
		},
		{
			name: "reset forgets attempts", limit: 2, window: time.Hour,
			steps: []step{
				{key: "u", wantOK: true},
				{key: "u", wantOK: true},
				{key: "u", wantOK: false, wantRetry: time.Hour},
				{key: "u", reset: true},
				{key: "u", wantOK: true},
				{key: "other", reset: true},
			},
		},
		{
			name: "refused attempts do not extend the window", limit: 1, window: 10 * time.Second,
			steps: []step{
				{key: "k", wantOK: true},
				{advance: 5 * time.Second, key: "k", wantOK: false, wantRetry: 5 * time.Second},
				{advance: 4 * time.Second, key: "k", wantOK: false, wantRetry: time.Second},
				{advance: time.Second, key: "k", wantOK: true},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mr, rdb, prefix := redistest.Mini(t)
			l := NewRedis(rdb, prefix, tt.limit, tt.window)
			ctx := context.Background()
			for i, s := range tt.steps {
				mr.FastForward(s.advance)
				if s.reset {
					if err := l.Reset(ctx, s.key); err != nil {
						t.Fatalf("step %d: Reset: %v", i, err)
					}
					continue
				}
				ok, retry, err := l.Allow(ctx, s.key)
				if err != nil || ok != s.wantOK || retry != s.wantRetry {
					t.Fatalf("step %d: Allow(%.20q) = %v, %v, %v; want %v, %v, nil", i, s.key, ok, retry, err, s.wantOK, s.wantRetry)
				}
			}
			for _, k := range redistest.Keys(t, rdb, prefix) {
				if len(k) > len(prefix)+128+len("sha256:") {
					t.Errorf("key %.40q... is %d bytes long", k, len(k))
				}
				if ttl := mr.TTL(k); ttl <= 0 {
					t.Errorf("key %s has no TTL", k)
				}
			}
		})
	}
}

// TestRedisSharedAcrossReplicas has two "replicas" (separate clients and
// limiters) hammer one key on the real Redis: the limit holds in total.
func TestRedisSharedAcrossReplicas(t *testing.T) {
	const limit = 50
	rdb, prefix := redistest.Real(t)
	limiters := []*Redis{NewRedis(rdb, prefix, limit, time.Hour), NewRedis(redistest.Another(t, rdb), prefix, limit, time.Hour)}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				ok, _, err := limiters[g%2].Allow(context.Background(), "shared")
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != limit {
		t.Fatalf("allowed %d attempts across replicas, want exactly %d", got, limit)
	}
	ok, retry, err := limiters[0].Allow(context.Background(), "shared")
	if ok || err != nil || retry <= 59*time.Minute || retry > time.Hour {
		t.Fatalf("after the limit: Allow = %v, %v, %v; want refused with about an hour to wait", ok, retry, err)
	}
}

func TestRedisUnreachable(t *testing.T) {
	mr, _, prefix := redistest.Mini(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1})
	t.Cleanup(func() { _ = rdb.Close() })
	l := NewRedis(rdb, prefix, 5, time.Minute)
	mr.Close()
	if ok, _, err := l.Allow(context.Background(), "k"); ok || err == nil {
		t.Fatalf("Allow with Redis down = %v, %v; want refused with an error", ok, err)
	}
	if err := l.Reset(context.Background(), "k"); err == nil {
		t.Fatal("Reset with Redis down succeeded")
	}
}

func TestNewRedisPanics(t *testing.T) {
	for _, tt := range []struct {
		limit  int
		window time.Duration
	}{{0, time.Second}, {1, 0}, {1, time.Microsecond}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRedis(%d, %v) did not panic", tt.limit, tt.window)
				}
			}()
			NewRedis(nil, "p:", tt.limit, tt.window)
		}()
	}
}

func BenchmarkRedisAllow(b *testing.B) {
	rdb, prefix := redistest.Real(b)
	l := NewRedis(rdb, prefix, 5, time.Minute)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, _, err := l.Allow(ctx, fmt.Sprintf("k%d", i%1000)); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
