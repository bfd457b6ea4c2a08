package oauth

import (
	"context"
	"net/http"
	"net/url"

	"github.com/ory/fosite"
)

// EventKind names something the authorization server reports to
// Config.OnEvent.
type EventKind string

// Event kinds. The token kinds follow a successful token or revocation
// request; the login kinds follow a submitted sign-in form.
const (
	EventTokenIssued       EventKind = "token_issued"    // an authorization code was exchanged: a new grant
	EventTokenRefreshed    EventKind = "token_refreshed" // a refresh token was redeemed (and rotated)
	EventTokenRevoked      EventKind = "token_revoked"   // a revocation request succeeded (RFC 7009: also for unknown tokens)
	EventLoginOK           EventKind = "login_ok"
	EventLoginFailed       EventKind = "login_failed" // wrong credentials or the user source failed
	EventLoginThrottled    EventKind = "login_throttled"
	EventRegisterThrottled EventKind = "register_throttled"
)

// Event describes what happened and to whom. By construction it never
// carries a token, code, password or client secret: only identifiers.
type Event struct {
	Kind EventKind
	// Subject is the user (empty when not known, e.g. failed logins and
	// revocations: the attempted user name is deliberately not reported,
	// since users sometimes type their password into it).
	Subject string
	// ClientID is the OAuth client, when known.
	ClientID string
	// Scopes are the scopes granted (token events only).
	Scopes []string
	// Audience is the granted audience (token events only): the URL of the
	// API the grant is for (several APIs: exactly one).
	Audience []string
}

// emit reports e to Config.OnEvent, if set.
func (s *Server) emit(ctx context.Context, e Event) {
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(ctx, e)
	}
}

// tokenEvent describes a granted access request.
func tokenEvent(ar fosite.AccessRequester) Event {
	e := Event{Kind: EventTokenIssued, Scopes: []string(ar.GetGrantedScopes()), Audience: []string(ar.GetGrantedAudience())}
	if ar.GetGrantTypes().Has("refresh_token") {
		e.Kind = EventTokenRefreshed
	}
	if c := ar.GetClient(); c != nil {
		e.ClientID = c.GetID()
	}
	if sess := ar.GetSession(); sess != nil {
		e.Subject = sess.GetSubject()
	}
	return e
}

// revokeEvent describes a successful revocation request; the client comes
// from the form or from HTTP Basic authentication (RFC 6749 2.3.1 encodes it).
func revokeEvent(r *http.Request) Event {
	id := r.PostForm.Get("client_id")
	if user, _, ok := r.BasicAuth(); ok && id == "" {
		if u, err := url.QueryUnescape(user); err == nil {
			id = u
		}
	}
	return Event{Kind: EventTokenRevoked, ClientID: id}
}

// loginRefused reports a sign-in refused before the password was checked:
// throttled (429) or the throttle itself failed.
func (s *Server) loginRefused(ctx context.Context, status int, clientID string) {
	kind := EventLoginFailed
	if status == http.StatusTooManyRequests {
		kind = EventLoginThrottled
	}
	s.emit(ctx, Event{Kind: kind, ClientID: clientID})
}
