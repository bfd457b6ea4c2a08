// Package oauth is specgate's OAuth 2.1 authorization server and the bearer
// token check of its MCP endpoint (the protected resource).
//
// It builds on fosite (authorization code + PKCE S256, refresh with rotation,
// revocation, opaque HMAC tokens) and adds what MCP clients need and fosite
// lacks: protected resource metadata (RFC 9728), authorization server
// metadata (RFC 8414), dynamic client registration (RFC 7591), client ID
// metadata documents, resource indicators (RFC 8707), the iss response
// parameter (RFC 9207), port-agnostic loopback redirect URIs (RFC 8252), a
// grace window for rotated refresh tokens, and the login and consent pages.
//
// One server can guard several MCP endpoints, one per API (Config.Resources):
// each has its own protected resource metadata and scopes, one browser login
// serves them all, and every token is bound to the one API it was issued for.
// See /work/shared/notes/mcp-auth-clients-libraries.md for the why.
package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/web"
)

// Server is the authorization server. Create it with New and mount it with
// Register; protect the MCP endpoint with RequireBearer, or each of several
// with RequireBearerFor.
type Server struct {
	cfg       Config
	issuer    string // canonical PublicURL, byte-identical everywhere
	resource  string // the default resource's URL
	resources []*protectedResource
	store     store.Store
	auth      authn.Authenticator
	log       *slog.Logger
	now       func() time.Time

	provider fosite.OAuth2Provider
	strategy *oauth2.HMACSHAStrategy

	cookies    *sessions.CookieStore
	cookieName string
	static     map[string]*store.Client
	cimd       *cimdFetcher // nil when CIMD is disabled

	upstreamLocks grantLocks // serialise upstream credential updates per grant

	tokens *tokenCache // validated access tokens; nil when disabled
}

// New validates cfg and returns a server backed by st that checks passwords
// with auth.
func New(cfg Config, st store.Store, auth authn.Authenticator) (*Server, error) {
	if st == nil || auth == nil {
		return nil, fmt.Errorf("oauth: New needs a store and an authenticator")
	}
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	issuer, _ := canonicalPublicURL(cfg.PublicURL, cfg.AllowInsecureHTTP)
	s := &Server{
		cfg:       cfg,
		issuer:    issuer,
		resources: newResources(cfg, issuer),
		store:     st,
		auth:      auth,
		log:       cfg.Logger,
		now:       time.Now,
		static:    map[string]*store.Client{},
	}
	s.resource = s.resources[0].url
	for _, sc := range cfg.StaticClients {
		c := &store.Client{
			ID:           sc.ID,
			RedirectURIs: slices.Clone(sc.RedirectURIs),
			Name:         sc.Name,
			Kind:         store.KindStatic,
			Public:       sc.SecretHash == "",
		}
		if c.Public {
			c.TokenEndpointAuthMethod = "none"
		} else {
			c.SecretHash = []byte(sc.SecretHash)
			c.TokenEndpointAuthMethod = "client_secret_basic"
		}
		s.static[sc.ID] = c
	}
	if !cfg.CIMD.Disabled {
		s.cimd = newCIMDFetcher(cfg.CIMD, s.log)
	}
	s.tokens = newTokenCache(cfg.TokenCacheTTL, cfg.TokenCacheSize, cfg.RevocationFeed != nil)
	s.setupFosite()
	s.setupCookies()
	return s, nil
}

// Issuer returns the canonical issuer (the canonicalised PublicURL).
func (s *Server) Issuer() string { return s.issuer }

// Resource returns the canonical URL of the (default) protected MCP endpoint.
func (s *Server) Resource() string { return s.resource }

// ResourceMetadataURL returns the URL of the (default) MCP endpoint's
// protected resource metadata, as advertised in WWW-Authenticate challenges.
func (s *Server) ResourceMetadataURL() string { return s.defaultResource().metadataURL(s.issuer) }

// Register mounts every endpoint of the authorization server on mux: the
// well-known metadata documents (one per protected resource and the root
// one), /authorize, /login, /consent, /token, /register, /revoke and the
// page assets under /static/.
func (s *Server) Register(mux *http.ServeMux) {
	for _, r := range s.resources {
		mux.HandleFunc("/.well-known/oauth-protected-resource"+r.path, s.handleResourceMetadata(r.url, r.name, r.apiScopes))
	}
	mux.HandleFunc("/.well-known/oauth-protected-resource", s.handleResourceMetadata(s.issuer, s.cfg.ProductName, s.apiScopes))
	mux.HandleFunc("/.well-known/oauth-authorization-server", s.handleServerMetadata)
	mux.HandleFunc("/authorize", s.handleAuthorize)
	mux.HandleFunc("/login", s.handleLogin)
	mux.HandleFunc("/consent", s.handleConsent)
	mux.HandleFunc("/token", s.handleToken)
	mux.HandleFunc("/register", s.handleRegister)
	mux.HandleFunc("/revoke", s.handleRevoke)
	mux.Handle("/static/", web.Assets())
}

// apiScopes returns the supported scopes of every resource (in resource
// order) without offline_access, de-duplicated.
func (s *Server) apiScopes() []string {
	var out []string
	for _, r := range s.protected() {
		out = appendScopes(out, r.scopes())
	}
	return out
}

// allScopes returns the supported scopes of every resource plus offline_access.
func (s *Server) allScopes() []string { return append(s.apiScopes(), offlineAccess) }

// describeScope is the consent page text of a scope of resource r.
func describeScope(r *protectedResource, sc string) string {
	if sc == offlineAccess {
		return "Stay connected without signing in again"
	}
	if r.describe != nil {
		return r.describe(sc)
	}
	return ""
}

// methodNotAllowed answers 405 with the allowed methods.
func methodNotAllowed(w http.ResponseWriter, allowed ...string) {
	w.Header().Set("Allow", strings.Join(allowed, ", "))
	writeJSONError(w, http.StatusMethodNotAllowed, "invalid_request", "method not allowed")
}

// cors decorates the endpoints browser-based clients call directly
// (metadata, registration, token, revocation) and answers preflights.
func cors(methods string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", methods+", OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, MCP-Protocol-Version")
			h.Set("Access-Control-Max-Age", "86400")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next(w, r)
	}
}

// Principal is the caller of the MCP endpoint, established from a valid
// access token.
type Principal struct {
	Subject  string
	ClientID string
	// Scopes are the scopes granted to the token.
	Scopes []string
	// AllowedScopes are the user's own allowed scopes at grant time (nil = all).
	AllowedScopes []string
	// Audience is the token's audience (the MCP resource URL and/or issuer).
	Audience []string
	// Resource is the URL of the protected resource the token was accepted
	// for (one of Audience, or the single resource the issuer stands for).
	Resource string
	// GrantID is the fosite request ID shared by every token of the grant.
	GrantID string
}

type principalKey struct{}

// ContextWithPrincipal returns ctx carrying p.
func ContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal RequireBearer stored in ctx.
func PrincipalFromContext(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(*Principal)
	return p, ok && p != nil
}
