package store

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/ory/fosite"
)

// TestMemorySweepFreesExpiredRecords checks that expired records leave memory
// (not only become invisible), so an unattended server does not grow forever.
func TestMemorySweepFreesExpiredRecords(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMemory(MemoryOptions{Now: func() time.Time { return now }})
	ctx := context.Background()
	sess := &Session{Subject: "u"}
	sess.SetExpiresAt(fosite.AccessToken, now.Add(time.Hour))
	sess.SetExpiresAt(fosite.RefreshToken, now.Add(time.Hour))
	sess.SetExpiresAt(fosite.AuthorizeCode, now.Add(time.Hour))
	req := &fosite.Request{ID: "g", Client: &Client{ID: "c"}, Form: url.Values{}, Session: sess}
	for _, err := range []error{
		m.CreateAccessTokenSession(ctx, "at", req),
		m.CreateRefreshTokenSession(ctx, "rt", "at", req),
		m.CreateAuthorizeCodeSession(ctx, "code", req),
		m.CreatePKCERequestSession(ctx, "code", req),
		m.CreateClient(ctx, &Client{ID: "c", ExpiresAt: now.Add(time.Hour)}, 0),
		m.CreatePendingAuthorization(ctx, &PendingAuthorization{ID: "p", ExpiresAt: now.Add(time.Hour)}),
		m.SaveConsent(ctx, &Consent{Subject: "u", ClientID: "c", ExpiresAt: now.Add(time.Hour)}),
		m.SetClientAssertionJWT(ctx, "j", now.Add(time.Hour)),
		m.SaveUpstreamCredential(ctx, "g", []byte("sealed"), now.Add(time.Hour)),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	now = now.Add(2 * time.Hour)
	if err := m.CreateClient(ctx, &Client{ID: "trigger"}, 0); err != nil { // any write sweeps
		t.Fatal(err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	sizes := map[string]int{
		"codes": len(m.codes), "pkces": len(m.pkces), "access": len(m.access), "refresh": len(m.refresh),
		"grantAccess": len(m.grantAccess), "grantRefresh": len(m.grantRefresh), "clients": len(m.clients) - 1,
		"pending": len(m.pending), "consents": len(m.consents), "jtis": len(m.jtis),
		"upstream": len(m.upstream),
	}
	for name, n := range sizes {
		if n != 0 {
			t.Errorf("%s still holds %d expired records", name, n)
		}
	}
}
