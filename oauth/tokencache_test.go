package oauth

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/store"
)

func principal(grant string) *Principal {
	return &Principal{Subject: "alice", ClientID: "c", Scopes: []string{"read"}, Audience: []string{"aud"}, GrantID: grant}
}

// TestTokenCache drives the cache through scripted steps on a fake clock.
func TestTokenCache(t *testing.T) {
	type step struct {
		advance time.Duration
		do      string // "put", "begin" (start a lookup), "finish" (put with the begun ticket), "drop", "reset", "online", "offline"
		sig     string
		grant   string
		want    bool // for "get": hit?
	}
	const ttl = 5 * time.Second
	tests := []struct {
		name  string
		feed  bool
		steps []step
	}{
		{"hit until the TTL ends", false, []step{
			{do: "get", sig: "a"},
			{do: "put", sig: "a", grant: "g"},
			{do: "get", sig: "a", want: true},
			{advance: ttl - time.Millisecond, do: "get", sig: "a", want: true},
			{advance: time.Millisecond, do: "get", sig: "a"},
		}},
		{"token expiry wins over the TTL", false, []step{
			{do: "put", sig: "short", grant: "g"}, // expires after 2s (see below)
			{advance: 2 * time.Second, do: "get", sig: "short"},
		}},
		{"revocation drops only its grant", false, []step{
			{do: "put", sig: "a1", grant: "ga"},
			{do: "put", sig: "a2", grant: "ga"},
			{do: "put", sig: "b", grant: "gb"},
			{do: "drop", grant: "ga"},
			{do: "get", sig: "a1"},
			{do: "get", sig: "a2"},
			{do: "get", sig: "b", want: true},
			{do: "put", sig: "a3", grant: "ga"}, // looked up after the revocation: fine
			{do: "get", sig: "a3", want: true},
		}},
		{"a lookup in flight during a revocation is not cached", false, []step{
			{do: "begin", sig: "a", grant: "g"},
			{do: "drop", grant: "g"},
			{do: "finish", sig: "a", grant: "g"},
			{do: "get", sig: "a"},
		}},
		{"a lookup in flight during a reset is not cached", false, []step{
			{do: "put", sig: "old", grant: "g1"},
			{do: "begin", sig: "a", grant: "g2"},
			{do: "reset"},
			{do: "finish", sig: "a", grant: "g2"},
			{do: "get", sig: "a"},
			{do: "get", sig: "old"},
		}},
		{"with a feed nothing is served until it is up", true, []step{
			{do: "put", sig: "a", grant: "g"},
			{do: "get", sig: "a"},
			{do: "online"},
			{do: "put", sig: "a", grant: "g"},
			{do: "get", sig: "a", want: true},
			{do: "offline"},
			{do: "get", sig: "a"},
			{do: "put", sig: "a", grant: "g"},
			{do: "online"},
			{do: "get", sig: "a"}, // cached before the outage: void
		}},
		{"a lookup in flight while the feed reconnects is not cached", true, []step{
			{do: "online"},
			{do: "begin", sig: "a", grant: "g"},
			{do: "offline"},
			{do: "online"},
			{do: "finish", sig: "a", grant: "g"},
			{do: "get", sig: "a"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
			c := newTokenCache(ttl, 100, tt.feed)
			var pending ticket
			for i, s := range tt.steps {
				now = now.Add(s.advance)
				exp := now.Add(time.Hour)
				if s.sig == "short" {
					exp = now.Add(2 * time.Second)
				}
				switch s.do {
				case "put":
					c.put(s.sig, c.begin(now), principal(s.grant), exp)
				case "begin":
					pending = c.begin(now)
				case "finish":
					c.put(s.sig, pending, principal(s.grant), exp)
				case "drop":
					c.dropGrant(s.grant, now)
				case "reset":
					c.reset()
				case "online", "offline":
					c.setOnline(s.do == "online")
				case "get":
					p, ok := c.get(s.sig, now)
					if ok != s.want {
						t.Fatalf("step %d: get(%s) hit = %v, want %v", i, s.sig, ok, s.want)
					}
					if ok && p.Subject != "alice" {
						t.Fatalf("step %d: got %+v", i, p)
					}
				default:
					t.Fatalf("step %d: unknown action %q", i, s.do)
				}
			}
		})
	}
}

func TestTokenCacheCopiesAndBounds(t *testing.T) {
	now := time.Now()
	c := newTokenCache(time.Minute, 10, false)
	p := principal("g")
	c.put("a", c.begin(now), p, time.Time{})
	p.Scopes[0] = "admin"
	got, _ := c.get("a", now)
	got.Audience[0] = "evil"
	again, _ := c.get("a", now)
	if again.Scopes[0] != "read" || again.Audience[0] != "aud" {
		t.Fatalf("cached principal shares state with callers: %+v", again)
	}
	for i := range 100 {
		c.put(fmt.Sprint(i), c.begin(now), principal("g"), time.Time{})
	}
	if n := c.entries.Len(); n != 10 {
		t.Fatalf("cache holds %d entries, want its size 10", n)
	}
	for i := range 50 {
		c.dropGrant(fmt.Sprint("g", i), now)
	}
	c.dropGrant("last", now.Add(2*time.Minute))
	if n := len(c.revoked); n != 1 {
		t.Fatalf("%d revocations remembered after the TTL, want 1", n)
	}
	var none *tokenCache // disabled
	none.put("a", none.begin(now), p, time.Time{})
	none.dropGrant("g", now)
	none.reset()
	none.setOnline(true)
	if _, ok := none.get("a", now); ok || newTokenCache(0, 10, false) != nil {
		t.Fatal("a disabled cache must cache nothing")
	}
}

// TestTokenCacheInServer checks the cache behind RequireBearer: a second
// call costs no store lookup, and revocation and refresh rotation take
// effect at once on this replica.
func TestTokenCacheInServer(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.TokenCacheTTL = 10 * time.Second })
	counting := &countingStore{Store: e.st}
	e.srv.store = counting
	clientID, tr := e.fullFlow(t)
	at := tr.str("access_token")
	for i := range 3 {
		if resp := e.callMCP(t, http.MethodPost, at); resp.StatusCode != http.StatusOK {
			t.Fatalf("call %d: %d", i, resp.StatusCode)
		}
	}
	if counting.lookups != 1 {
		t.Fatalf("%d store lookups for 3 calls with one token, want 1", counting.lookups)
	}
	e.clock.Advance(11 * time.Second)
	e.callMCP(t, http.MethodPost, at)
	if counting.lookups != 2 {
		t.Fatalf("%d store lookups after the cache TTL, want 2", counting.lookups)
	}

	// Refresh rotation deletes the old access token: refused at once.
	rr := e.refresh(t, clientID, tr.str("refresh_token"))
	if rr.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", rr.status, rr.body)
	}
	if resp := e.callMCP(t, http.MethodPost, at); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("access token of a rotated refresh token: %d, want 401", resp.StatusCode)
	}
	at2 := rr.str("access_token")
	if resp := e.callMCP(t, http.MethodPost, at2); resp.StatusCode != http.StatusOK {
		t.Fatalf("new access token: %d", resp.StatusCode)
	}
	// Revocation: refused at once, although the token was cached.
	if r := e.postForm(t, "/revoke", url.Values{"token": {at2}, "client_id": {clientID}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d", r.status)
	}
	if resp := e.callMCP(t, http.MethodPost, at2); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("revoked cached token: %d, want 401", resp.StatusCode)
	}
}

func TestTokenCacheConfig(t *testing.T) {
	for _, c := range []struct {
		ttl  time.Duration
		size int
		ok   bool
	}{{0, 0, true}, {5 * time.Second, 0, true}, {time.Minute, 5, true}, {-time.Second, 0, false}, {2 * time.Minute, 0, false}, {time.Second, -1, false}} {
		cfg := testConfig("https://mcp.example.com")
		cfg.TokenCacheTTL, cfg.TokenCacheSize = c.ttl, c.size
		_, err := New(cfg, store.NewMemory(store.MemoryOptions{}), &fakeAuth{})
		if (err == nil) != c.ok {
			t.Errorf("TTL %v size %d: err = %v, want ok=%v", c.ttl, c.size, err, c.ok)
		}
	}
}
