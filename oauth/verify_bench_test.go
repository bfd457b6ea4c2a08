package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/oauth/store/redisstore"
	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
)

// BenchmarkVerifyToken measures the bearer check of an authenticated MCP
// request (RequireBearer with a valid token) on each store, with and
// without the validated-token cache, and reports Redis round trips per
// request (redis-rt/op): 1 without the cache, 0 with it.
//
//	go test -run '^$' -bench VerifyToken -benchtime 2s ./oauth/
func BenchmarkVerifyToken(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) (store.Store, *redisstore.Store, *redisstore.RoundTripCounter)
	}{
		{"memory", func(*testing.B) (store.Store, *redisstore.Store, *redisstore.RoundTripCounter) {
			return store.NewMemory(store.MemoryOptions{}), nil, nil
		}},
		{"miniredis", func(b *testing.B) (store.Store, *redisstore.Store, *redisstore.RoundTripCounter) {
			_, rdb, prefix := redistest.Mini(b)
			var rt redisstore.RoundTripCounter
			rdb.AddHook(&rt)
			st := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
			return st, st, &rt
		}},
		{"redis", func(b *testing.B) (store.Store, *redisstore.Store, *redisstore.RoundTripCounter) {
			rdb, prefix := redistest.Real(b)
			var rt redisstore.RoundTripCounter
			rdb.AddHook(&rt)
			st := redisstore.New(rdb, redisstore.Options{Prefix: prefix})
			return st, st, &rt
		}},
	}
	for _, s := range stores {
		for _, cacheTTL := range []time.Duration{0, 5 * time.Second} {
			name := s.name + "/nocache"
			if cacheTTL > 0 {
				name = s.name + "/cache"
			}
			b.Run(name, func(b *testing.B) {
				st, feed, rt := s.open(b)
				cfg := testConfig("https://mcp.example.com")
				cfg.TokenCacheTTL = cacheTTL
				if feed != nil && cacheTTL > 0 {
					cfg.RevocationFeed = feed
				}
				srv, err := New(cfg, st, &fakeAuth{})
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				go func() { _ = srv.ListenRevocations(ctx) }()
				if srv.tokens != nil {
					waitOnline(b, srv.tokens)
				}
				token := benchToken(b, srv, st)
				h := srv.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if _, ok := PrincipalFromContext(r.Context()); !ok {
						w.WriteHeader(http.StatusInternalServerError)
					}
				}))
				call := func() {
					req := httptest.NewRequest(http.MethodPost, "/mcp", nil)
					req.Header.Set("Authorization", "Bearer "+token)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Errorf("status %d: %s", rec.Code, rec.Body)
					}
				}
				// Warm up: dial the pool's connections (handshakes are round
				// trips too) and load the scripts.
				var wg sync.WaitGroup
				for range 2 * runtime.GOMAXPROCS(0) {
					wg.Go(call)
				}
				wg.Wait()
				if rt != nil {
					rt.Reset()
				}
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						call()
					}
				})
				b.StopTimer()
				if rt != nil {
					b.ReportMetric(float64(rt.Count())/float64(b.N), "redis-rt/op")
				}
			})
		}
	}
}

// benchToken stores a valid access token for srv and returns it.
func benchToken(b *testing.B, srv *Server, st store.Store) string {
	ctx := context.Background()
	sess := &store.Session{Subject: "alice", AllowedScopes: []string{"read"}}
	sess.SetExpiresAt(fosite.AccessToken, time.Now().Add(time.Hour))
	req := &fosite.Request{ID: "bench-grant", Client: &store.Client{ID: "c"}, Form: url.Values{},
		GrantedScope: fosite.Arguments{"read"}, GrantedAudience: fosite.Arguments{srv.Resource()}, Session: sess}
	token, sig, err := srv.strategy.GenerateAccessToken(ctx, req)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.CreateAccessTokenSession(ctx, sig, req); err != nil {
		b.Fatal(err)
	}
	return token
}
