package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

func testAuthorizeCodes(t *testing.T, h Harness) {
	st := h.Store
	req := request(h, "grant-code", nil)
	mustOK(t, st.CreateAuthorizeCodeSession(ctx, "code-sig", req), "create code")
	got, err := st.GetAuthorizeCodeSession(ctx, "code-sig", &store.Session{})
	mustOK(t, err, "get code")
	if got.GetID() != "grant-code" {
		t.Fatalf("code request id = %q", got.GetID())
	}
	mustOK(t, st.InvalidateAuthorizeCodeSession(ctx, "code-sig"), "invalidate")
	got, err = st.GetAuthorizeCodeSession(ctx, "code-sig", &store.Session{})
	if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("get invalidated code: err = %v, want ErrInvalidatedAuthorizeCode", err)
	}
	if got == nil || got.GetID() != "grant-code" {
		t.Fatal("an invalidated code must still return its requester (fosite revokes its tokens with it)")
	}
	// Of two redemptions that both read the code before either invalidated
	// it, only the first may win: the second invalidation must fail.
	if err := st.InvalidateAuthorizeCodeSession(ctx, "code-sig"); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		t.Fatalf("second invalidation: err = %v, want ErrInvalidatedAuthorizeCode (a code must be redeemable once)", err)
	}
	_, err = st.GetAuthorizeCodeSession(ctx, "other", &store.Session{})
	mustNotFound(t, err, "get unknown code")
	mustNotFound(t, st.InvalidateAuthorizeCodeSession(ctx, "other"), "invalidate unknown code")

	mustOK(t, st.CreateAuthorizeCodeSession(ctx, "code-2", request(h, "grant-2", nil)), "create code 2")
	h.Advance(11 * time.Minute)
	_, err = st.GetAuthorizeCodeSession(ctx, "code-2", &store.Session{})
	mustNotFound(t, err, "expired code")
	_, err = st.GetAuthorizeCodeSession(ctx, "code-sig", &store.Session{})
	mustNotFound(t, err, "expired invalidated code")
}

func testPKCE(t *testing.T, h Harness) {
	st := h.Store
	req := request(h, "grant-pkce", nil)
	req.Form.Set("code_challenge", "abc")
	mustOK(t, st.CreatePKCERequestSession(ctx, "code-sig", req), "create pkce")
	got, err := st.GetPKCERequestSession(ctx, "code-sig", &store.Session{})
	mustOK(t, err, "get pkce")
	if got.GetRequestForm().Get("code_challenge") != "abc" {
		t.Fatalf("pkce form = %v", got.GetRequestForm())
	}
	mustOK(t, st.DeletePKCERequestSession(ctx, "code-sig"), "delete pkce")
	_, err = st.GetPKCERequestSession(ctx, "code-sig", &store.Session{})
	mustNotFound(t, err, "deleted pkce")
	mustOK(t, st.CreatePKCERequestSession(ctx, "code-2", req), "create pkce 2")
	h.Advance(11 * time.Minute)
	_, err = st.GetPKCERequestSession(ctx, "code-2", &store.Session{})
	mustNotFound(t, err, "expired pkce")
}

func testAccessTokens(t *testing.T, h Harness) {
	st := h.Store
	a, b := request(h, "grant-a", nil), request(h, "grant-b", nil)
	mustOK(t, st.CreateAccessTokenSession(ctx, "at-a1", a), "create a1")
	mustOK(t, st.CreateAccessTokenSession(ctx, "at-a2", a), "create a2")
	mustOK(t, st.CreateAccessTokenSession(ctx, "at-b1", b), "create b1")
	mustOK(t, st.RevokeAccessToken(ctx, "grant-a"), "revoke grant a")
	for _, sig := range []string{"at-a1", "at-a2"} {
		_, err := st.GetAccessTokenSession(ctx, sig, &store.Session{})
		mustNotFound(t, err, "revoked "+sig)
	}
	_, err := st.GetAccessTokenSession(ctx, "at-b1", &store.Session{})
	mustOK(t, err, "other grant survives revocation")
	mustOK(t, st.RevokeAccessToken(ctx, "grant-unknown"), "revoke unknown grant")
	mustOK(t, st.DeleteAccessTokenSession(ctx, "at-b1"), "delete b1")
	_, err = st.GetAccessTokenSession(ctx, "at-b1", &store.Session{})
	mustNotFound(t, err, "deleted b1")
	mustOK(t, st.DeleteAccessTokenSession(ctx, "at-b1"), "delete twice")

	mustOK(t, st.CreateAccessTokenSession(ctx, "at-c", request(h, "grant-c", nil)), "create c")
	h.Advance(59 * time.Minute)
	_, err = st.GetAccessTokenSession(ctx, "at-c", &store.Session{})
	mustOK(t, err, "token before expiry")
	h.Advance(2 * time.Minute)
	_, err = st.GetAccessTokenSession(ctx, "at-c", &store.Session{})
	mustNotFound(t, err, "expired token")
}

func testRefreshTokens(t *testing.T, h Harness) {
	st := h.Store
	req := request(h, "grant-r", nil)
	mustOK(t, st.CreateAccessTokenSession(ctx, "at-1", req), "create at-1")
	mustOK(t, st.CreateRefreshTokenSession(ctx, "rt-1", "at-1", req), "create rt-1")
	got, err := st.GetRefreshTokenSession(ctx, "rt-1", &store.Session{})
	mustOK(t, err, "get rt-1")
	if got.GetID() != "grant-r" {
		t.Fatalf("refresh request id = %q", got.GetID())
	}

	rotated := h.Now()
	mustOK(t, st.RotateRefreshToken(ctx, "grant-r", "rt-1"), "rotate rt-1")
	got, err = st.GetRefreshTokenSession(ctx, "rt-1", &store.Session{})
	if !errors.Is(err, fosite.ErrInactiveToken) {
		t.Fatalf("get rotated token: err = %v, want ErrInactiveToken", err)
	}
	var rte *store.RotatedTokenError
	if !errors.As(err, &rte) || !near(rte.RotatedAt, rotated) {
		t.Fatalf("get rotated token: err = %#v, want *RotatedTokenError at %v", err, rotated)
	}
	if got == nil || got.GetID() != "grant-r" {
		t.Fatal("a rotated token must still return its requester (reuse detection needs the grant id)")
	}
	_, err = st.GetAccessTokenSession(ctx, "at-1", &store.Session{})
	mustNotFound(t, err, "access token of the rotated refresh token")

	mustOK(t, st.CreateAccessTokenSession(ctx, "at-2", req), "create at-2")
	mustOK(t, st.CreateRefreshTokenSession(ctx, "rt-2", "at-2", req), "create rt-2")
	h.Advance(10 * time.Second)
	mustOK(t, st.RotateRefreshToken(ctx, "grant-r", "rt-1"), "rotate rt-1 again")
	_, err = st.GetRefreshTokenSession(ctx, "rt-1", &store.Session{})
	if !errors.As(err, &rte) || !near(rte.RotatedAt, rotated) {
		t.Fatalf("second rotation moved the rotation time: %v", err)
	}
	_, err = st.GetRefreshTokenSession(ctx, "rt-2", &store.Session{})
	mustOK(t, err, "rotating one token leaves the grant's other tokens active")
	_, err = st.GetAccessTokenSession(ctx, "at-2", &store.Session{})
	mustOK(t, err, "rotating rt-1 leaves at-2")
	mustNotFound(t, st.RotateRefreshToken(ctx, "grant-r", "rt-unknown"), "rotate unknown")

	other := request(h, "grant-other", nil)
	mustOK(t, st.CreateRefreshTokenSession(ctx, "rt-o", "", other), "create other grant")
	mustOK(t, st.RevokeRefreshToken(ctx, "grant-r"), "revoke grant")
	for _, sig := range []string{"rt-1", "rt-2"} {
		_, err = st.GetRefreshTokenSession(ctx, sig, &store.Session{})
		mustNotFound(t, err, "revoked "+sig)
	}
	_, err = st.GetRefreshTokenSession(ctx, "rt-o", &store.Session{})
	mustOK(t, err, "other grant survives")
	mustOK(t, st.DeleteRefreshTokenSession(ctx, "rt-o"), "delete")
	_, err = st.GetRefreshTokenSession(ctx, "rt-o", &store.Session{})
	mustNotFound(t, err, "deleted")

	mustOK(t, st.CreateRefreshTokenSession(ctx, "rt-x", "", request(h, "grant-x", nil)), "create x")
	h.Advance(25 * time.Hour)
	_, err = st.GetRefreshTokenSession(ctx, "rt-x", &store.Session{})
	mustNotFound(t, err, "expired refresh token")
}
