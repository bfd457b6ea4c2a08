package oauth

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/throttle"
)

// eventLog records the events a server emits.
type eventLog struct {
	mu     sync.Mutex
	events []Event
}

func (l *eventLog) record(_ context.Context, e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *eventLog) kinds() []EventKind {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []EventKind
	for _, e := range l.events {
		out = append(out, e.Kind)
	}
	return out
}

func (l *eventLog) last() Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.events[len(l.events)-1]
}

func TestEventsOfAGrant(t *testing.T) {
	var log eventLog
	e := newEnv(t, func(c *Config) { c.OnEvent = log.record })
	clientID, tr := e.fullFlow(t)
	if got := log.last(); got.Kind != EventTokenIssued || got.Subject != "alice" || got.ClientID != clientID ||
		!slices.Equal(got.Scopes, strings.Fields(tr.str("scope"))) {
		t.Errorf("issued event = %+v, want alice, %s, scopes %q", got, clientID, tr.str("scope"))
	}
	rt := tr.str("refresh_token")
	if rt == "" {
		t.Fatalf("no refresh token: %v", tr.body)
	}
	if r := e.refresh(t, clientID, rt); r.status != http.StatusOK {
		t.Fatalf("refresh: %d %v", r.status, r.body)
	} else {
		rt = r.str("refresh_token")
	}
	if got := log.last(); got.Kind != EventTokenRefreshed || got.Subject != "alice" || got.ClientID != clientID {
		t.Errorf("refreshed event = %+v", got)
	}
	if r := e.postForm(t, "/revoke", url.Values{"token": {rt}, "client_id": {clientID}}, "", ""); r.status != http.StatusOK {
		t.Fatalf("revoke: %d %v", r.status, r.body)
	}
	if got := log.last(); got.Kind != EventTokenRevoked || got.ClientID != clientID {
		t.Errorf("revoked event = %+v", got)
	}
	want := []EventKind{EventLoginOK, EventTokenIssued, EventTokenRefreshed, EventTokenRevoked}
	if got := log.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	// A refused token request is no event.
	e.refresh(t, clientID, "not-a-token")
	if got := log.kinds(); len(got) != len(want) {
		t.Errorf("refused refresh emitted %v", got[len(want):])
	}
}

func TestEventsOfLogins(t *testing.T) {
	var log eventLog
	e := newEnv(t, func(c *Config) {
		c.OnEvent = log.record
		c.Throttles.LoginPerUser = throttle.NewMemory(2, time.Hour)
		c.Throttles.RegisterPerIP = throttle.NewMemory(1, time.Hour)
	})
	redirect := "http://127.0.0.1:9/callback"
	clientID := e.publicClient(t, redirect)
	_, challenge := pkce("w")
	b := e.browser()
	p := b.get(t, e.ts.URL+"/authorize?"+authParams(clientID, redirect, challenge).Encode())
	lp := b.get(t, e.abs(p.location))
	for _, pw := range []string{"wrong-1", "wrong-2", "correct horse"} { // the third is over the limit
		fields, _ := inputs(t, lp.body)
		lp = b.post(t, e.ts.URL+"/login", url.Values{"csrf_token": {fields["csrf_token"]}, "request_id": {fields["request_id"]},
			"username": {"alice"}, "password": {pw}})
	}
	if lp.status != http.StatusTooManyRequests {
		t.Fatalf("third login: status %d, want 429", lp.status)
	}
	want := []EventKind{EventLoginFailed, EventLoginFailed, EventLoginThrottled}
	if got := log.kinds(); !slices.Equal(got, want) {
		t.Errorf("events = %v, want %v", got, want)
	}
	for _, ev := range log.events {
		if ev.Subject != "" || ev.ClientID != clientID {
			t.Errorf("refused login event %+v: want no subject and client %s", ev, clientID)
		}
	}
	// The registration limit (1) was used by publicClient.
	resp, err := http.Post(e.ts.URL+"/register", "application/json",
		strings.NewReader(`{"redirect_uris":["`+redirect+`"],"token_endpoint_auth_method":"none"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || log.last().Kind != EventRegisterThrottled {
		t.Errorf("second registration: status %d, last event %v; want 429 and %s", resp.StatusCode, log.last().Kind, EventRegisterThrottled)
	}
}
