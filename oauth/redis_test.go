package oauth

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store/redisstore"
	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
	"github.com/specgate/specgate/oauth/store/storetest"
)

// newRedisEnv starts a server (one replica) on a Redis store, which is also
// its revocation feed when the token cache is on. publicURL is the
// deployment's URL shared by every replica; empty means this replica's.
func newRedisEnv(t *testing.T, rdb redis.UniversalClient, prefix, publicURL string, mutate func(*Config)) (*env, *redisstore.Store) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	e := &env{
		t: t, ts: ts, logs: &syncBuffer{}, clock: storetest.NewClock(time.Now()),
		auth: &fakeAuth{users: map[string]fakeUser{"alice": {password: "correct horse"}}},
	}
	st := redisstore.New(rdb, redisstore.Options{Prefix: prefix, Now: e.clock.Now})
	if publicURL == "" {
		publicURL = "http://" + ts.Listener.Addr().String()
	}
	cfg := testConfig(publicURL)
	cfg.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if mutate != nil {
		mutate(&cfg)
	}
	if cfg.TokenCacheTTL > 0 {
		cfg.RevocationFeed = st
	}
	srv, err := New(cfg, st, e.auth)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv.now = e.clock.Now
	e.srv, e.issuer = srv, srv.Issuer()
	mux := http.NewServeMux()
	srv.Register(mux)
	mux.Handle("/mcp", srv.RequireBearer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) })))
	ts.Config.Handler = mux
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(e.checkLogsHoldNoSecrets)
	return e, st
}

// codeFlow registers a client and runs login and consent; it returns the
// client, redirect URI, code and PKCE verifier.
func (e *env) codeFlow(t *testing.T) (clientID, redirect, code, verifier string) {
	t.Helper()
	redirect = "http://127.0.0.1:9/callback"
	clientID = e.publicClient(t, redirect)
	verifier, challenge := pkce("w")
	u := e.loginAndConsent(t, e.browser(), authParams(clientID, redirect, challenge), "alice", "correct horse", nil, "approve")
	return clientID, redirect, u.Query().Get("code"), verifier
}

// TestRedisHoldsNoRawTokens runs real flows against Redis and then reads
// every key and value under the prefix: no code, token or verifier (nor the
// secret half of one) may appear anywhere, and every key must expire.
func TestRedisHoldsNoRawTokens(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(t *testing.T) (*redis.Client, string)
	}{
		{"miniredis", func(t *testing.T) (*redis.Client, string) { _, rdb, p := redistest.Mini(t); return rdb, p }},
		{"redis", func(t *testing.T) (*redis.Client, string) { return redistest.Real(t) }},
	} {
		t.Run(b.name, func(t *testing.T) {
			rdb, prefix := b.open(t)
			e, _ := newRedisEnv(t, rdb, prefix, "", func(c *Config) { c.RememberConsent = time.Hour })
			clientID, redirect, code, verifier := e.codeFlow(t)
			tr := e.exchange(t, clientID, code, redirect, verifier, nil)
			if tr.status != http.StatusOK {
				t.Fatalf("exchange: %d %v", tr.status, tr.body)
			}
			rr := e.refresh(t, clientID, tr.str("refresh_token"))
			if rr.status != http.StatusOK {
				t.Fatalf("refresh: %d %v", rr.status, rr.body)
			}
			secrets := map[string]string{"code_verifier": verifier}
			for name, tok := range map[string]string{"code": code, "access": tr.str("access_token"), "refresh": tr.str("refresh_token"),
				"access2": rr.str("access_token"), "refresh2": rr.str("refresh_token")} {
				secrets[name] = tok
				// fosite's tokens are ory_<type>_<secret>.<signature>; the store
				// may key by the signature, never hold the secret.
				rest := tok[len("ory_at_"):]
				key, _, _ := strings.Cut(rest, ".")
				secrets[name+" secret half"] = key
			}
			dump := dumpPrefix(t, rdb, prefix)
			for name, s := range secrets {
				if len(s) < 16 {
					t.Fatalf("%s %q is too short to search for", name, s)
				}
				if strings.Contains(dump, s) {
					t.Errorf("Redis holds the %s", name)
				}
			}
		})
	}
}

// dumpPrefix renders every key under prefix with its value (and checks
// that it expires).
func dumpPrefix(t *testing.T, rdb *redis.Client, prefix string) string {
	t.Helper()
	ctx := context.Background()
	var sb strings.Builder
	for _, k := range redistest.Keys(t, rdb, prefix) {
		if ttl := rdb.PTTL(ctx, k).Val(); ttl <= 0 {
			t.Errorf("key %s has no TTL", k)
		}
		sb.WriteString(k + " = ")
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			for f, v := range rdb.HGetAll(ctx, k).Val() {
				sb.WriteString(f + ":" + v + " ")
			}
		case "set":
			sb.WriteString(strings.Join(rdb.SMembers(ctx, k).Val(), " "))
		case "zset":
			sb.WriteString(strings.Join(rdb.ZRange(ctx, k, 0, -1).Val(), " "))
		case "string":
			sb.WriteString(rdb.Get(ctx, k).Val())
		default:
			t.Errorf("key %s has unexpected type %s", k, typ)
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

// replicas starts two servers sharing one Redis store and public URL.
func replicas(t *testing.T, mutate func(*Config)) (a, b *env, rdbA, rdbB *redis.Client) {
	t.Helper()
	_, rdbA, prefix := redistest.Mini(t)
	rdbB = redistest.Another(t, rdbA)
	a, _ = newRedisEnv(t, rdbA, prefix, "", mutate)
	b, _ = newRedisEnv(t, rdbB, prefix, a.issuer, mutate)
	for _, e := range []*env{a, b} {
		if e.srv.tokens == nil {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = e.srv.ListenRevocations(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		waitOnline(t, e.srv.tokens)
	}
	return a, b, rdbA, rdbB
}

func waitOnline(t testing.TB, c *tokenCache) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		c.mu.Lock()
		up := c.online
		c.mu.Unlock()
		if up {
			return
		}
	}
	t.Fatal("revocation feed never came up")
}

// eventually401 polls until the replica refuses the token; the cache TTL
// is far longer than the wait, so only the revocation feed can explain it.
func eventually401(t *testing.T, e *env, token, what string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if e.callMCP(t, http.MethodPost, token).StatusCode == http.StatusUnauthorized {
			return
		}
	}
	t.Fatalf("%s: the other replica still accepts the token", what)
}

// TestTokenCacheAcrossReplicas: replica B caches a token (zero Redis round
// trips per call), and revocation or rotation on replica A reaches B's cache
// through the revocation feed well within B's cache TTL.
func TestTokenCacheAcrossReplicas(t *testing.T) {
	a, b, _, rdbB := replicas(t, func(c *Config) { c.TokenCacheTTL = time.Minute })
	if err := rdbB.Ping(context.Background()).Err(); err != nil { // dial now: handshakes count as round trips
		t.Fatal(err)
	}
	var rt redisstore.RoundTripCounter
	rdbB.AddHook(&rt)

	clientID, tr := a.fullFlow(t)
	at := tr.str("access_token")
	if resp := b.callMCP(t, http.MethodPost, at); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica B refused a token from replica A: %d", resp.StatusCode)
	}
	if n := rt.Count(); n != 1 {
		t.Fatalf("first check on B cost %d Redis round trips, want 1", n)
	}
	for range 5 {
		b.callMCP(t, http.MethodPost, at)
	}
	if n := rt.Count(); n != 1 {
		t.Fatalf("cached checks on B cost %d more Redis round trips, want 0", n-1)
	}

	rr := a.refresh(t, clientID, tr.str("refresh_token"))
	if rr.status != http.StatusOK {
		t.Fatalf("refresh on A: %d %v", rr.status, rr.body)
	}
	eventually401(t, b, at, "rotation on A")

	at2 := rr.str("access_token")
	if resp := b.callMCP(t, http.MethodPost, at2); resp.StatusCode != http.StatusOK {
		t.Fatalf("new token on B: %d", resp.StatusCode)
	}
	if r := a.postForm(t, "/revoke", url.Values{"token": {at2}, "client_id": {clientID}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("revoke on A: %d", r.status)
	}
	eventually401(t, b, at2, "revocation on A")
}

// TestCodeRedeemedOnceAcrossReplicas exchanges one code on two replicas at
// once: exactly one gets tokens, the other invalid_grant (not a 500).
func TestCodeRedeemedOnceAcrossReplicas(t *testing.T) {
	a, b, _, _ := replicas(t, nil)
	for i := range 5 {
		clientID, redirect, code, verifier := a.codeFlow(t)
		var wg sync.WaitGroup
		results := make([]tokenResponse, 2)
		for j, e := range []*env{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[j] = e.exchange(t, clientID, code, redirect, verifier, nil)
			}()
		}
		wg.Wait()
		ok := 0
		for _, r := range results {
			switch {
			case r.status == http.StatusOK:
				ok++
			case r.status != http.StatusBadRequest || r.str("error") != "invalid_grant":
				t.Fatalf("round %d: losing exchange answered %d %v, want 400 invalid_grant", i, r.status, r.body)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d exchanges of one code succeeded, want exactly 1", i, ok)
		}
	}
}

// TestRedisOutage: with Redis down every endpoint needing state answers 503
// with a JSON error, quickly; when Redis is back the same grant refreshes.
func TestRedisOutage(t *testing.T) {
	mr, _, prefix := redistest.Mini(t)
	rdb, err := redisstore.NewClient("redis://" + mr.Addr() + "/0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rdb.Close() })
	e, st := newRedisEnv(t, rdb, prefix, "", nil)
	clientID, tr := e.fullFlow(t)

	mr.Close()
	checks := []struct {
		name string
		do   func() (int, string)
	}{
		{"bearer check", func() (int, string) {
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/mcp", nil)
			req.Header.Set("Authorization", "Bearer "+tr.str("access_token"))
			return do(t, req)
		}},
		{"refresh", func() (int, string) {
			r := e.refresh(t, clientID, tr.str("refresh_token"))
			return r.status, r.str("error")
		}},
		{"revoke", func() (int, string) {
			r := e.postForm(t, "/revoke", url.Values{"token": {tr.str("access_token")}, "client_id": {clientID}}, "", "")
			return r.status, r.str("error")
		}},
		{"register", func() (int, string) {
			req, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/register",
				strings.NewReader(`{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"none"}`))
			req.Header.Set("Content-Type", "application/json")
			return do(t, req)
		}},
	}
	for _, c := range checks {
		began := time.Now()
		status, code := c.do()
		if status != http.StatusServiceUnavailable || code != "temporarily_unavailable" {
			t.Errorf("%s with Redis down: %d %q, want 503 temporarily_unavailable", c.name, status, code)
		}
		if took := time.Since(began); took > 3*time.Second {
			t.Errorf("%s with Redis down took %v (must fail fast)", c.name, took)
		}
	}

	if err := mr.Restart(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); st.Ready(context.Background()) != nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("store not ready after Redis came back")
		}
	}
	rr := e.refresh(t, clientID, tr.str("refresh_token"))
	if rr.status != http.StatusOK {
		t.Fatalf("refresh after Redis came back: %d %v (grant lost?)", rr.status, rr.body)
	}
	if resp := e.callMCP(t, http.MethodPost, rr.str("access_token")); resp.StatusCode != http.StatusOK {
		t.Fatalf("new token after recovery: %d", resp.StatusCode)
	}
}

// do sends req and returns the status and the JSON error code.
func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want a JSON error", req.Method, req.URL.Path, ct)
	}
	var body struct {
		Error string `json:"error"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body.Error
}
