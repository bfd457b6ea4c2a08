package app

import "github.com/redis/go-redis/v9"

// RedisClient returns a's Redis client (nil with the memory store), so the
// tests in package app_test can count the round trips a request costs.
func RedisClient(a *App) *redis.Client { return a.rdb }
