package throttle

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Shared is a Limiter for hot paths (tool calls): it decides locally, with
// no Redis round trip per attempt, and shares counts between replicas by
// flushing them to Redis in the background. Each window is a fixed period
// (aligned to the clock); a replica allows an attempt while its own
// unflushed attempts plus the last total Redis reported stay under the
// limit. Replicas can overshoot the limit by what they admit between two
// flushes (FlushEvery), a trade the login throttles (Redis) do not make.
//
// When Redis is unreachable the limiter keeps deciding on what it knows
// (per replica), so an outage never fails calls on its account.
type Shared struct {
	rdb    redis.UniversalClient
	prefix string
	limit  int
	window time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu      sync.Mutex
	buckets map[string]*bucket
	max     int
}

type bucket struct {
	start   time.Time // window start
	pending int       // admitted here, not yet flushed
	global  int       // total across replicas at the last flush
}

// SharedOptions configure NewShared.
type SharedOptions struct {
	// FlushEvery is how often counts are exchanged with Redis; default 500ms.
	FlushEvery time.Duration
	// MaxKeys bounds the keys tracked per window; default 100000.
	MaxKeys int
	Now     func() time.Time
	Logger  *slog.Logger
}

// NewShared returns a Shared limiter and starts its flusher, which runs
// until ctx is done. It panics if limit < 1 or window < 1s.
func NewShared(ctx context.Context, rdb redis.UniversalClient, prefix string, limit int, window time.Duration, opts SharedOptions) *Shared {
	if limit < 1 || window < time.Second {
		panic("throttle: NewShared: limit must be >= 1 and window >= 1s")
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 500 * time.Millisecond
	}
	if opts.MaxKeys <= 0 {
		opts.MaxKeys = 100000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Shared{rdb: rdb, prefix: prefix, limit: limit, window: window, now: opts.Now, log: opts.Logger,
		buckets: map[string]*bucket{}, max: opts.MaxKeys}
	go func() {
		t := time.NewTicker(opts.FlushEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Flush(ctx)
			}
		}
	}()
	return s
}

// Allow implements Limiter without contacting Redis.
func (s *Shared) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := s.now()
	start := now.Truncate(s.window)
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil || !b.start.Equal(start) {
		if b == nil && len(s.buckets) >= s.max {
			s.pruneLocked(start)
		}
		b = &bucket{start: start}
		s.buckets[key] = b
	}
	if b.global+b.pending >= s.limit {
		return false, start.Add(s.window).Sub(now), nil
	}
	b.pending++
	return true, 0, nil
}

// Reset implements Limiter for this replica's view (tool-call limits are
// never reset by a success, unlike logins).
func (s *Shared) Reset(_ context.Context, key string) error {
	s.mu.Lock()
	delete(s.buckets, key)
	s.mu.Unlock()
	return nil
}

// Flush sends the pending counts to Redis in one pipeline and takes back the
// totals. It is called periodically; tests call it directly.
func (s *Shared) Flush(ctx context.Context) {
	type sent struct {
		key string
		b   *bucket
		n   int
		cmd *redis.IntCmd
	}
	start := s.now().Truncate(s.window)
	s.mu.Lock()
	s.pruneLocked(start)
	var batch []sent
	for k, b := range s.buckets {
		batch = append(batch, sent{key: k, b: b, n: b.pending})
	}
	s.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	pipe := s.rdb.Pipeline()
	for i := range batch {
		rk := s.prefix + hashKey(batch[i].key) + ":" + batch[i].b.start.UTC().Format("20060102T150405")
		batch[i].cmd = pipe.IncrBy(ctx, rk, int64(batch[i].n))
		pipe.PExpire(ctx, rk, 2*s.window)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		s.log.Debug("rate-limit counters not shared this round", "err", err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range batch {
		x.b.pending -= x.n
		if total, err := x.cmd.Result(); err == nil {
			x.b.global = int(total)
		}
	}
}

// pruneLocked forgets buckets of past windows.
func (s *Shared) pruneLocked(current time.Time) {
	for k, b := range s.buckets {
		if b.start.Before(current) && b.pending == 0 {
			delete(s.buckets, k)
		}
	}
}
