package redisstore

import (
	"context"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// RoundTripCounter is a redis.Hook that counts round trips to Redis: one
// per command, one per pipeline or MULTI/EXEC transaction. A new pooled
// connection's handshake (HELLO, CLIENT SETINFO) counts too, so warm the
// pool before measuring. Add it with client.AddHook to measure what a
// request costs, e.g. in a benchmark:
//
//	rdb.Ping(ctx) // dial first
//	var rt redisstore.RoundTripCounter
//	rdb.AddHook(&rt)
//	... run b.N requests ...
//	b.ReportMetric(float64(rt.Count())/float64(b.N), "redis-rt/op")
type RoundTripCounter struct{ n atomic.Int64 }

var _ redis.Hook = (*RoundTripCounter)(nil)

// Count returns the round trips counted so far.
func (c *RoundTripCounter) Count() int64 { return c.n.Load() }

// Reset sets the count to zero.
func (c *RoundTripCounter) Reset() { c.n.Store(0) }

// DialHook implements redis.Hook.
func (c *RoundTripCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

// ProcessHook implements redis.Hook.
func (c *RoundTripCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook implements redis.Hook.
func (c *RoundTripCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(1)
		return next(ctx, cmds)
	}
}
