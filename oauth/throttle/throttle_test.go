package throttle

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a manually advanced clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestMemoryAllow(t *testing.T) {
	type step struct {
		advance   time.Duration
		key       string
		reset     bool // call Reset(key) instead of Allow
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
				{advance: time.Second, key: "a", wantOK: true}, // new window starts here
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
				{key: "other", reset: true}, // unknown key: no effect, no error
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
			clk := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
			m := NewMemory(tt.limit, tt.window, WithClock(clk.Now))
			ctx := context.Background()
			for i, s := range tt.steps {
				clk.Advance(s.advance)
				if s.reset {
					if err := m.Reset(ctx, s.key); err != nil {
						t.Fatalf("step %d: Reset: %v", i, err)
					}
					continue
				}
				ok, retry, err := m.Allow(ctx, s.key)
				if err != nil || ok != s.wantOK || retry != s.wantRetry {
					t.Fatalf("step %d: Allow(%q) = %v, %v, %v; want %v, %v, nil",
						i, s.key, ok, retry, err, s.wantOK, s.wantRetry)
				}
			}
		})
	}
}

func TestMemoryBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(0, 0)}
	m := NewMemory(1, time.Hour, WithCapacity(100), WithClock(clk.Now))
	ctx := context.Background()
	for i := range 10_000 {
		if ok, _, _ := m.Allow(ctx, fmt.Sprintf("flood-%d", i)); !ok {
			t.Fatalf("first attempt of a fresh key refused")
		}
	}
	if n := m.Len(); n != 100 {
		t.Fatalf("Len = %d after a flood, want capacity 100", n)
	}
	// The most recent keys are still tracked; the oldest were evicted.
	if ok, _, _ := m.Allow(ctx, "flood-9999"); ok {
		t.Error("recent key was forgotten")
	}
	if ok, _, _ := m.Allow(ctx, "flood-0"); !ok {
		t.Error("oldest key was not evicted")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	const limit = 50
	m := NewMemory(limit, time.Hour)
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 40 {
				if ok, _, _ := m.Allow(context.Background(), "shared"); ok {
					allowed.Add(1)
				}
				m.Allow(context.Background(), fmt.Sprintf("own-%d", g))
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != limit {
		t.Fatalf("allowed %d attempts on a shared key, want exactly %d", got, limit)
	}
}

func TestNewMemoryPanics(t *testing.T) {
	tests := []struct {
		limit  int
		window time.Duration
	}{{0, time.Second}, {-1, time.Second}, {1, 0}, {1, -time.Second}}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewMemory(%d, %v) did not panic", tt.limit, tt.window)
				}
			}()
			NewMemory(tt.limit, tt.window)
		}()
	}
}

func BenchmarkMemoryAllow(b *testing.B) {
	m := NewMemory(5, time.Minute)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Allow(ctx, fmt.Sprintf("k%d", i%1000))
			i++
		}
	})
}

// TestMemoryKeySizeBounded: the capacity bounds the number of keys, so the
// size of each key must be bounded too, or a flood of long user names (a
// login form carries up to 16 KiB) would still exhaust memory.
func TestMemoryKeySizeBounded(t *testing.T) {
	m := NewMemory(1, time.Hour, WithCapacity(10))
	ctx := context.Background()
	long := func(c byte) string { return "login-user:" + string(make([]byte, 16<<10)) + string(c) }
	tests := []struct {
		key    string
		wantOK bool
	}{
		{long('a'), true},
		{long('a'), false}, // the same long key is still throttled
		{long('b'), true},  // a different long key is a different key
		{"short", true},
	}
	for i, tc := range tests {
		if ok, _, _ := m.Allow(ctx, tc.key); ok != tc.wantOK {
			t.Fatalf("step %d: Allow = %v, want %v", i, ok, tc.wantOK)
		}
	}
	m.mu.Lock()
	keys := m.entries.Keys()
	m.mu.Unlock()
	for _, k := range keys {
		if len(k) > 200 {
			t.Fatalf("a %d-byte key is kept as is; long keys must be stored hashed", len(k))
		}
	}
	if err := m.Reset(ctx, long('a')); err != nil {
		t.Fatal(err)
	}
	if ok, _, _ := m.Allow(ctx, long('a')); !ok {
		t.Fatal("Reset of a long key did not forget it")
	}
}
