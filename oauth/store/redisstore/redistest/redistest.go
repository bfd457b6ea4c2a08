// Package redistest gives tests a real Redis (at REDIS_URL, default
// redis://127.0.0.1:6379/0) or a miniredis, each with a key prefix unique to
// the test whose keys are deleted when the test ends. It never flushes a
// database: other programs may share the server.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// DefaultURL is used when REDIS_URL is unset.
const DefaultURL = "redis://127.0.0.1:6379/0"

// URL returns REDIS_URL or DefaultURL.
func URL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Real connects to the Redis at URL and fails the test with a clear message
// when it is not reachable: the suite must not silently skip it. It returns
// the client and a fresh key prefix; every key under the prefix is deleted
// (and the client closed) when the test ends.
func Real(t testing.TB) (*redis.Client, string) {
	t.Helper()
	url := URL()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatalf("REDIS_URL %q is not a redis URL: %v", url, err)
	}
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = 2*time.Second, 2*time.Second, 2*time.Second
	rdb := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		_ = rdb.Close()
		t.Fatalf("Redis at %s (REDIS_URL, default %s) is not reachable: %v\n"+
			"The Redis conformance tests need a running Redis; start one (e.g. `redis-server --port 6379`) or set REDIS_URL.",
			url, DefaultURL, err)
	}
	prefix := Prefix()
	t.Cleanup(func() {
		DeletePrefix(t, rdb, prefix)
		_ = rdb.Close()
	})
	return rdb, prefix
}

// Mini starts a miniredis for the test and returns it with a client
// connected to it and a fresh key prefix.
func Mini(t testing.TB) (*miniredis.Miniredis, *redis.Client, string) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return mr, rdb, Prefix()
}

// Prefix returns a fresh key prefix "specgate-test-<random>:".
func Prefix() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "specgate-test-" + hex.EncodeToString(b) + ":"
}

// Keys returns every key under prefix (SCAN, never KEYS).
func Keys(t testing.TB, rdb redis.UniversalClient, prefix string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var keys []string
	iter := rdb.Scan(ctx, 0, escapeGlob(prefix)+"*", 500).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		t.Fatalf("scan keys %s*: %v", prefix, err)
	}
	return keys
}

// DeletePrefix deletes every key under prefix.
func DeletePrefix(t testing.TB, rdb redis.UniversalClient, prefix string) {
	t.Helper()
	keys := Keys(t, rdb, prefix)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for len(keys) > 0 {
		n := min(len(keys), 500)
		if err := rdb.Del(ctx, keys[:n]...).Err(); err != nil {
			t.Errorf("delete test keys under %s: %v", prefix, err)
			return
		}
		keys = keys[n:]
	}
}

// escapeGlob escapes the SCAN MATCH metacharacters of s.
func escapeGlob(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			out = append(out, '\\')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// Another returns a second client of the server rdb talks to (as another
// replica would have), closed when the test ends.
func Another(t testing.TB, rdb *redis.Client) *redis.Client {
	t.Helper()
	o := rdb.Options()
	c := redis.NewClient(&redis.Options{Addr: o.Addr, Username: o.Username, Password: o.Password, DB: o.DB, TLSConfig: o.TLSConfig})
	t.Cleanup(func() { _ = c.Close() })
	return c
}
