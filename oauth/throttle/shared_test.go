package throttle

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

func TestSharedLimiterAcrossReplicas(t *testing.T) {
	mr := miniredis.RunT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	now := func() time.Time { return clock }
	newReplica := func() *Shared {
		rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
		t.Cleanup(func() { _ = rdb.Close() })
		return NewShared(ctx, rdb, "t:tools:", 10, time.Minute, SharedOptions{FlushEvery: time.Hour, Now: now})
	}
	a, b := newReplica(), newReplica()
	allowed := func(s *Shared, n int) int {
		got := 0
		for i := 0; i < n; i++ {
			if ok, _, err := s.Allow(ctx, "grant:1"); err != nil {
				t.Fatal(err)
			} else if ok {
				got++
			}
		}
		return got
	}
	if got := allowed(a, 6); got != 6 {
		t.Fatalf("replica A allowed %d of 6", got)
	}
	a.Flush(ctx)
	b.Flush(ctx) // B learns nothing yet: it has no bucket for the key
	if got := allowed(b, 6); got != 6 {
		t.Fatalf("replica B (unsynced) allowed %d of 6", got)
	}
	b.Flush(ctx) // total 12 now known to B
	if ok, retry, _ := b.Allow(ctx, "grant:1"); ok || retry != 55*time.Second {
		t.Fatalf("B after sync: ok=%v retry=%v, want refusal until the window ends", ok, retry)
	}
	a.Flush(ctx)
	if ok, _, _ := a.Allow(ctx, "grant:1"); ok {
		t.Fatal("A after sync should refuse: 12 calls this window across replicas")
	}
	if ok, _, _ := a.Allow(ctx, "grant:2"); !ok {
		t.Fatal("another grant has its own count")
	}
	clock = clock.Add(time.Minute) // next window
	if got := allowed(a, 10); got != 10 {
		t.Fatalf("new window allowed %d of 10", got)
	}
	for _, k := range mr.Keys() {
		if mr.TTL(k) <= 0 {
			t.Errorf("key %s has no TTL", k)
		}
	}
}

func TestSharedLimiterSurvivesRedisOutage(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	defer rdb.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := NewShared(ctx, rdb, "t:", 3, time.Minute, SharedOptions{FlushEvery: time.Hour})
	mr.Close()
	for i := 0; i < 3; i++ {
		if ok, _, err := s.Allow(ctx, "k"); !ok || err != nil {
			t.Fatalf("attempt %d during an outage: ok=%v err=%v", i+1, ok, err)
		}
	}
	s.Flush(ctx) // fails quietly; the local count stays
	if ok, _, _ := s.Allow(ctx, "k"); ok {
		t.Fatal("the local limit must still hold during an outage")
	}
}
