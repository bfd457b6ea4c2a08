// Package throttle limits how often something may be attempted per key, for
// example login attempts per client IP and per user name.
package throttle

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// Limiter counts attempts per key. Implementations are safe for concurrent use.
type Limiter interface {
	// Allow records one attempt for key and reports whether it is allowed;
	// when not, retryAfter says how long to wait.
	Allow(ctx context.Context, key string) (ok bool, retryAfter time.Duration, err error)
	// Reset forgets the attempts of key, e.g. after a successful login.
	Reset(ctx context.Context, key string) error
}

// DefaultCapacity is how many keys a Memory limiter tracks unless
// WithCapacity says otherwise.
const DefaultCapacity = 100_000

// Memory is an in-process Limiter: at most limit attempts per key within a
// window that starts at the key's first attempt. Refused attempts are not
// counted, so they do not extend the wait.
//
// Memory tracks at most a fixed number of keys (long keys are kept as their
// SHA-256) and forgets the least recently used one when full, so a flood of distinct keys cannot grow memory without
// bound. The price is that such a flood can evict (and so reset) a busy key;
// throttle by more than one key (IP and user name) to keep that useful.
// Each replica has its own counts; a shared store is needed across replicas.
type Memory struct {
	limit  int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	entries *simplelru.LRU[string, *entry]
}

// entry is the state of one key: when its window started and how many
// attempts were allowed in it.
type entry struct {
	start time.Time
	count int
}

// Option configures a Memory limiter.
type Option func(*Memory)

// WithCapacity sets how many keys are tracked (values below 1 mean 1).
func WithCapacity(n int) Option {
	return func(m *Memory) {
		m.entries, _ = simplelru.NewLRU[string, *entry](max(n, 1), nil)
	}
}

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option {
	return func(m *Memory) { m.now = now }
}

// NewMemory returns a limiter that allows limit attempts per key per window.
// It panics if limit < 1 or window <= 0; validate configuration first.
func NewMemory(limit int, window time.Duration, opts ...Option) *Memory {
	if limit < 1 || window <= 0 {
		panic(fmt.Sprintf("throttle: NewMemory(%d, %v): limit must be >= 1 and window > 0", limit, window))
	}
	m := &Memory{limit: limit, window: window, now: time.Now}
	WithCapacity(DefaultCapacity)(m)
	for _, o := range opts {
		o(m)
	}
	return m
}

// Allow implements Limiter. It never fails; err is always nil.
func (m *Memory) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	// The capacity bounds the number of keys; hashing long ones bounds their
	// size (a login form's user name alone can be 16 KiB), so a flood of
	// long keys cannot exhaust memory either.
	key = hashKey(key)
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries.Get(key)
	if !ok || !now.Before(e.start.Add(m.window)) {
		m.entries.Add(key, &entry{start: now, count: 1})
		return true, 0, nil
	}
	if e.count < m.limit {
		e.count++
		return true, 0, nil
	}
	return false, e.start.Add(m.window).Sub(now), nil
}

// Reset implements Limiter. It never fails; the result is always nil.
func (m *Memory) Reset(_ context.Context, key string) error {
	key = hashKey(key)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries.Remove(key)
	return nil
}

// Len reports how many keys are currently tracked (expired ones included
// until they are evicted or touched).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries.Len()
}

var _ Limiter = (*Memory)(nil)
