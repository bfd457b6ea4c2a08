package oauth

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

// handleToken is the token endpoint: authorization_code (with PKCE) and
// refresh_token (with rotation and the grace window).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	cors("POST", s.token)(w, r)
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST", "OPTIONS")
		return
	}
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.provider.WriteAccessError(ctx, w, nil, fosite.ErrInvalidRequest.WithHint("The request body could not be read."))
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "" && gt != "authorization_code" && gt != "refresh_token" {
		s.provider.WriteAccessError(ctx, w, nil, fosite.ErrUnsupportedGrantType.WithHintf("Grant type %q is not supported.", gt))
		return
	}
	ar, err := s.provider.NewAccessRequest(ctx, r, &store.Session{})
	if err != nil {
		s.logTokenError(r, ar, err)
		s.writeAccessError(ctx, w, ar, err)
		return
	}
	if ar.GetGrantTypes().ExactOne("refresh_token") && s.userGone(ctx, ar.GetSession().GetSubject()) {
		s.revokeGrant(ctx, ar.GetID(), ar.GetSession().GetSubject(), "the account no longer exists")
		s.provider.WriteAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint("The account this grant was issued to no longer exists."))
		return
	}
	resp, err := s.provider.NewAccessResponse(ctx, ar)
	if err != nil {
		s.logTokenError(r, ar, err)
		s.writeAccessError(ctx, w, ar, err)
		return
	}
	resp.SetTokenType("Bearer")
	s.touchClient(ctx, ar.GetClient())
	s.log.Info("tokens issued", "grant_type", strings.Join(ar.GetGrantTypes(), " "), "client_id", ar.GetClient().GetID(),
		"sub", ar.GetSession().GetSubject(), "grant", ar.GetID(), "scopes", []string(ar.GetGrantedScopes()), "audience", []string(ar.GetGrantedAudience()))
	s.emit(ctx, tokenEvent(ar))
	s.provider.WriteAccessResponse(ctx, w, ar, resp)
}

// writeAccessError answers a refused token request. A store outage is 503
// temporarily_unavailable — not fosite's 500 server_error or, when the
// client lookup failed, 401 invalid_client, which makes clients discard
// their registration. Losing a concurrent redemption of a code (the store
// lets exactly one win) is invalid_grant.
func (s *Server) writeAccessError(ctx context.Context, w http.ResponseWriter, ar fosite.AccessRequester, err error) {
	switch {
	case storeUnavailable(err):
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable",
			"The authorization server cannot reach its storage right now; retry shortly.")
	case errors.Is(err, fosite.ErrInvalidatedAuthorizeCode):
		s.provider.WriteAccessError(ctx, w, ar, fosite.ErrInvalidGrant.WithHint("The authorization code has already been used."))
	default:
		s.provider.WriteAccessError(ctx, w, ar, err)
	}
}

// storeUnavailable reports whether err says the store could not be reached
// (stores mark such errors with an Unavailable method, as redisstore does).
func storeUnavailable(err error) bool {
	var u interface{ Unavailable() bool }
	return errors.As(err, &u) && u.Unavailable()
}

// logTokenError logs a refused token request without any credential.
func (s *Server) logTokenError(r *http.Request, ar fosite.AccessRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	clientID := r.PostForm.Get("client_id")
	if ar != nil && ar.GetClient() != nil && ar.GetClient().GetID() != "" {
		clientID = ar.GetClient().GetID()
	}
	level := s.log.Info
	if rfc.CodeField >= 500 {
		level = s.log.Error
	}
	level("token request refused", "grant_type", r.PostForm.Get("grant_type"), "client_id", clientID,
		"error", rfc.ErrorField, "hint", rfc.HintField, "debug", rfc.DebugField)
}

// touchClient keeps a registered client at least as long as the refresh
// token just issued, so clients are never pruned while they hold live grants.
func (s *Server) touchClient(ctx context.Context, c fosite.Client) {
	sc, ok := c.(*store.Client)
	if !ok || sc.Kind != store.KindRegistered {
		return
	}
	now := s.now()
	keep := max(s.cfg.Lifetimes.RefreshToken, s.cfg.Lifetimes.UnusedClient)
	if err := s.store.TouchClient(ctx, sc.ID, now, now.Add(keep)); err != nil {
		s.log.Warn("record client use failed", "client_id", sc.ID, "err", err)
	}
}

// handleRevoke is RFC 7009 token revocation; unknown tokens get 200.
func (s *Server) handleRevoke(w http.ResponseWriter, r *http.Request) {
	cors("POST", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			methodNotAllowed(w, "POST", "OPTIONS")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		err := s.provider.NewRevocationRequest(r.Context(), r)
		if err != nil {
			rfc := fosite.ErrorToRFC6749Error(err)
			s.log.Info("revocation request", "client_id", r.PostForm.Get("client_id"), "error", rfc.ErrorField, "hint", rfc.HintField)
		} else {
			s.log.Info("token revoked", "client_id", r.PostForm.Get("client_id"))
			s.emit(r.Context(), revokeEvent(r))
		}
		// fosite answers 200 to a storage failure (its temporarily_unavailable):
		// the client would believe a token revoked that may still be valid.
		if storeUnavailable(err) || errors.Is(err, fosite.ErrTemporarilyUnavailable) {
			writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable",
				"The token could not be revoked right now; retry shortly.")
			return
		}
		s.provider.WriteRevocationResponse(r.Context(), w, err)
	})(w, r)
}
