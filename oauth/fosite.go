package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"

	"github.com/specgate/specgate/oauth/store"
)

// setupFosite composes the fosite provider with exactly the handlers we use
// (never ComposeAllEnabled, which would enable implicit and password grants).
func (s *Server) setupFosite() {
	lt := s.cfg.Lifetimes
	fc := &fosite.Config{
		AccessTokenLifespan:   lt.AccessToken,
		RefreshTokenLifespan:  lt.RefreshToken,
		AuthorizeCodeLifespan: lt.AuthorizeCode,
		GlobalSecret:          s.cfg.GlobalSecret,
		RotatedGlobalSecrets:  s.cfg.RotatedGlobalSecrets,
		AccessTokenIssuer:     s.issuer,
		IDTokenIssuer:         s.issuer,
		TokenURL:              s.issuer + "/token",
		// PKCE with S256 only.
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		// A refresh token with every code exchange, not only for offline_access.
		RefreshTokenScopes:         []string{},
		SendDebugMessagesToClients: false,
		RedirectSecureChecker:      fosite.IsRedirectURISecureStrict,
		// Set explicitly: fosite initialises these lazily, which races.
		ScopeStrategy:            fosite.ExactScopeStrategy,
		AudienceMatchingStrategy: fosite.ExactAudienceMatchingStrategy,
	}
	fc.ClientSecretsHasher = secretHasher{}
	s.strategy = compose.NewOAuth2HMACStrategy(fc)
	adapter := &fositeStore{Store: s.store, s: s}
	provider := compose.Compose(fc, adapter, s.strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OAuth2PKCEFactory,
		compose.OAuth2TokenRevocationFactory,
		func(fosite.Configurator, any, any) any { return resourceHandler{s: s} },
	)
	f := provider.(*fosite.Fosite)
	// Only client_secret_basic, client_secret_post and none: refuse JWT
	// assertions up front (their JWKS fetcher would be one more outbound client).
	fc.ClientAuthenticationStrategy = func(ctx context.Context, r *http.Request, form url.Values) (fosite.Client, error) {
		if form.Get("client_assertion") != "" || form.Get("client_assertion_type") != "" {
			return nil, fosite.ErrInvalidClient.WithHint("Client assertions are not supported; use client_secret_basic, client_secret_post or none.")
		}
		return f.DefaultClientAuthenticationStrategy(ctx, r, form)
	}
	s.provider = provider
}

// fositeStore adapts store.Store to what fosite sees: clients come from the
// server's resolution (static, metadata document, registered) and rotated
// refresh tokens are honoured within the grace window.
type fositeStore struct {
	store.Store
	s *Server
}

// resolvedClientKey carries a client already resolved for this request (with
// a matched loopback redirect URI added) so fosite sees exactly that client.
type resolvedClientKey struct{}

// GetClient implements fosite.ClientManager.
func (f *fositeStore) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	if c, ok := ctx.Value(resolvedClientKey{}).(*store.Client); ok && c.ID == id {
		return c, nil
	}
	c, err := f.s.lookupClient(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// GetRefreshTokenSession implements oauth2.RefreshTokenStorage with the
// grace window: a token rotated less than RefreshGraceWindow ago still
// redeems (yielding a fresh pair of the same grant) instead of triggering
// fosite's reuse detection, which would revoke the whole grant.
func (f *fositeStore) GetRefreshTokenSession(ctx context.Context, sig string, sess fosite.Session) (fosite.Requester, error) {
	req, err := f.Store.GetRefreshTokenSession(ctx, sig, sess)
	var rot *store.RotatedTokenError
	if err != nil && req != nil && errors.As(err, &rot) {
		if grace := f.s.cfg.RefreshGraceWindow; grace > 0 && f.s.now().Sub(rot.RotatedAt) <= grace {
			f.s.log.Info("rotated refresh token replayed within grace window",
				"grant", req.GetID(), "client_id", req.GetClient().GetID())
			return req, nil
		}
		f.s.log.Warn("rotated refresh token replayed after grace window; revoking grant",
			"grant", req.GetID(), "client_id", req.GetClient().GetID())
	}
	return req, err
}

// lookupClient resolves a client ID — static clients first, then client ID
// metadata documents (https URLs), then registered clients — and fills in
// what the server decides rather than the registration: every client may
// request every scope the server offers and may be granted every protected
// resource (and, with a single one, the issuer) as audience; fosite
// re-checks a grant's audience against the client's on refresh.
func (s *Server) lookupClient(ctx context.Context, id string) (*store.Client, error) {
	var c *store.Client
	var err error
	switch {
	case id == "":
		return nil, fmt.Errorf("client_id is missing: %w", store.ErrNotFound)
	case s.static[id] != nil:
		c = s.static[id].Clone()
	case s.cimd != nil && isMetadataURL(id):
		c, err = s.cimd.get(ctx, id)
	default:
		c, err = s.store.GetRegisteredClient(ctx, id)
	}
	if err != nil {
		return nil, err
	}
	c.Scopes = s.allScopes()
	c.Audience = s.clientAudience()
	c.GrantTypes = []string{"authorization_code", "refresh_token"}
	c.ResponseTypes = []string{"code"}
	return c, nil
}

// resourceHandler enforces RFC 8707 at the token endpoint: a `resource` sent
// with a code exchange or refresh must name the resource the grant was bound
// to at /authorize (fosite ignores the parameter).
type resourceHandler struct{ s *Server }

var _ fosite.TokenEndpointHandler = resourceHandler{}

// HandleTokenEndpointRequest implements fosite.TokenEndpointHandler. It runs
// after the code and refresh handlers copied the grant's requested audience.
func (h resourceHandler) HandleTokenEndpointRequest(ctx context.Context, req fosite.AccessRequester) error {
	if !h.CanHandleTokenEndpointRequest(ctx, req) {
		return fosite.ErrUnknownRequest
	}
	bound := req.GetRequestedAudience()
	for _, raw := range req.GetRequestForm()["resource"] {
		aud, ok := h.s.canonicalResource(raw)
		if !ok || !bound.Has(aud) {
			return invalidTarget(fmt.Sprintf("The resource %q is not the resource this grant was issued for (%s).", raw, strings.Join(bound, ", ")))
		}
	}
	return nil
}

// PopulateTokenEndpointResponse implements fosite.TokenEndpointHandler.
func (resourceHandler) PopulateTokenEndpointResponse(context.Context, fosite.AccessRequester, fosite.AccessResponder) error {
	return fosite.ErrUnknownRequest
}

// CanSkipClientAuth implements fosite.TokenEndpointHandler.
func (resourceHandler) CanSkipClientAuth(context.Context, fosite.AccessRequester) bool { return false }

// CanHandleTokenEndpointRequest implements fosite.TokenEndpointHandler.
func (resourceHandler) CanHandleTokenEndpointRequest(_ context.Context, req fosite.AccessRequester) bool {
	gt := req.GetGrantTypes()
	return gt.ExactOne("authorization_code") || gt.ExactOne("refresh_token")
}

// invalidTarget is RFC 8707's invalid_target error.
func invalidTarget(hint string) *fosite.RFC6749Error {
	return (&fosite.RFC6749Error{
		ErrorField:       errInvalidTarget.Error(),
		DescriptionField: "The requested resource is invalid, unknown, or malformed.",
		CodeField:        http.StatusBadRequest,
	}).WithHint(hint)
}
