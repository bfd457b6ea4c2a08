package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

const accessTokenPrefix = "ory_at_"

// tokenError is why a presented bearer token was refused.
type tokenError struct {
	description string
	unavailable bool // the store failed; not the client's fault
}

// RequireBearer protects the MCP endpoint — the default (first or only)
// protected resource; see RequireBearerFor. Every request without a valid
// access token in the Authorization header — any method — gets 401 with a
// WWW-Authenticate challenge pointing at the resource metadata and naming
// the scopes to request; bad, expired, revoked and wrong-audience tokens add
// error="invalid_token". A valid token puts its Principal in the request
// context. CORS preflights pass through untouched (they never carry
// credentials); the MCP layer's CORS handling answers them.
//
// Verification costs one store lookup (none when the token is in the
// validated-token cache, Config.TokenCacheTTL): the HMAC signature is
// checked first, so garbage never reaches the store.
func (s *Server) RequireBearer(next http.Handler) http.Handler {
	return s.requireBearer(s.defaultResource(), next)
}

// RequireBearerFor returns the middleware that protects the resource served
// at path (a Config.Resources Path, or MCPPath): like RequireBearer, with
// that resource's metadata URL and scopes in challenges, and accepting only
// tokens whose audience is that resource — a token issued for another API
// of this server gets 401 invalid_token. It panics when path is not a
// configured resource (a wiring mistake, caught at startup).
func (s *Server) RequireBearerFor(path string) func(http.Handler) http.Handler {
	res := s.mustResource(path)
	return func(next http.Handler) http.Handler { return s.requireBearer(res, next) }
}

func (s *Server) requireBearer(res *protectedResource, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			next.ServeHTTP(w, r)
			return
		}
		token, problem, present := bearerToken(r)
		if !present {
			s.writeUnauthorized(w, res, "", "An OAuth access token is required (Authorization: Bearer).")
			return
		}
		if problem != "" {
			s.writeUnauthorized(w, res, "invalid_token", problem)
			return
		}
		p, terr := s.verifyAccessTokenFor(r.Context(), token, res)
		if terr == nil {
			p, terr = s.applyUserState(r.Context(), p)
		}
		if terr != nil {
			if terr.unavailable {
				writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", terr.description)
				return
			}
			s.writeUnauthorized(w, res, "invalid_token", terr.description)
			return
		}
		next.ServeHTTP(w, r.WithContext(ContextWithPrincipal(r.Context(), p)))
	})
}

// bearerToken extracts the token from the Authorization header only (never
// the query string). present is false when there is no Bearer credential at
// all; problem is set for a malformed one.
func bearerToken(r *http.Request) (token, problem string, present bool) {
	values := r.Header.Values("Authorization")
	if len(values) == 0 {
		return "", "", false
	}
	if len(values) > 1 {
		return "", "Send exactly one Authorization header.", true
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(values[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", "", false
	}
	token = strings.TrimSpace(rest)
	if token == "" || strings.ContainsAny(token, " \t") {
		return "", "The bearer token is malformed.", true
	}
	return token, "", true
}

// verifyAccessToken verifies a token for the default resource.
func (s *Server) verifyAccessToken(ctx context.Context, token string) (*Principal, *tokenError) {
	return s.verifyAccessTokenFor(ctx, token, s.defaultResource())
}

// verifyAccessTokenFor checks the token and that its audience names res,
// and returns the caller.
func (s *Server) verifyAccessTokenFor(ctx context.Context, token string, res *protectedResource) (*Principal, *tokenError) {
	p, terr := s.checkAccessToken(ctx, token)
	if terr != nil {
		return nil, terr
	}
	if !s.audienceAccepted(p.Audience, res) {
		desc := "The access token was issued for another resource."
		if s.multiResource() {
			desc = "The access token was issued for another API of this server; request one with resource=" + res.url + "."
		}
		return nil, &tokenError{description: desc}
	}
	p.Resource = res.url
	return p, nil
}

// checkAccessToken checks signature, existence (not revoked) and expiry,
// and returns the caller (audience not checked yet). The result is the
// caller's own copy.
func (s *Server) checkAccessToken(ctx context.Context, token string) (*Principal, *tokenError) {
	invalid := func(d string) (*Principal, *tokenError) { return nil, &tokenError{description: d} }
	raw, ok := strings.CutPrefix(token, accessTokenPrefix)
	if !ok {
		return invalid("The bearer token is not an access token issued by this server.")
	}
	if err := s.strategy.Enigma.Validate(ctx, raw); err != nil {
		return invalid("The access token is invalid.")
	}
	sig := s.strategy.AccessTokenSignature(ctx, token)
	if p, ok := s.tokens.get(sig, s.now()); ok {
		return p, nil
	}
	lookup := s.tokens.begin(s.now())
	req, err := s.store.GetAccessTokenSession(ctx, sig, &store.Session{})
	if errors.Is(err, fosite.ErrNotFound) {
		return invalid("The access token is unknown, expired or revoked.")
	}
	if err != nil {
		s.log.Error("access token lookup failed", "err", err)
		return nil, &tokenError{description: "Token verification is unavailable; retry later.", unavailable: true}
	}
	sess, ok := req.GetSession().(*store.Session)
	if !ok {
		return invalid("The access token is invalid.")
	}
	exp := sess.GetExpiresAt(fosite.AccessToken)
	if !exp.IsZero() && !s.now().Before(exp) {
		return invalid("The access token expired.")
	}
	// The token is cached whatever its audience: the audience is checked
	// on every use, per resource.
	p := &Principal{
		Subject:       sess.Subject,
		ClientID:      req.GetClient().GetID(),
		Scopes:        slices.Clone(req.GetGrantedScopes()),
		AllowedScopes: slices.Clone(sess.AllowedScopes),
		Audience:      slices.Clone(req.GetGrantedAudience()),
		GrantID:       req.GetID(),
	}
	s.tokens.put(sig, lookup, p, exp)
	return p, nil
}

// writeUnauthorized writes the 401 challenge of res. errCode is empty when
// the request carried no credentials (RFC 6750 §3.1: no error code then).
func (s *Server) writeUnauthorized(w http.ResponseWriter, res *protectedResource, errCode, description string) {
	parts := []string{`resource_metadata="` + res.metadataURL(s.issuer) + `"`}
	if sc := res.apiScopes(); len(sc) > 0 {
		parts = append(parts, `scope="`+quoteSafe(strings.Join(sc, " "))+`"`)
	}
	if errCode != "" {
		parts = append(parts, `error="`+errCode+`"`, `error_description="`+quoteSafe(description)+`"`)
	}
	w.Header().Set("WWW-Authenticate", "Bearer "+strings.Join(parts, ", "))
	body := errCode
	if body == "" {
		body = "invalid_token"
	}
	writeJSONBody(w, http.StatusUnauthorized, map[string]string{"error": body, "error_description": description})
}

// WriteInsufficientScope answers 403 with a step-up challenge: the scope
// parameter lists the needed scopes plus those the token already has (so the
// client does not lose them by re-authorizing), which is what makes Claude
// Code and the TS SDK start a new authorization. The challenge points at
// the metadata of the resource the request's Principal was accepted for
// (RequireBearerFor), else of the default resource.
func (s *Server) WriteInsufficientScope(w http.ResponseWriter, r *http.Request, needed []string) {
	res := s.defaultResource()
	if p, ok := PrincipalFromContext(r.Context()); ok {
		if pr, ok := s.resourceByURL(p.Resource); ok {
			res = pr
		}
	}
	s.writeInsufficientScope(res, w, r, needed)
}

// WriteInsufficientScopeFor is WriteInsufficientScope for the resource
// served at path; it panics when path is not a configured resource.
func (s *Server) WriteInsufficientScopeFor(path string, w http.ResponseWriter, r *http.Request, needed []string) {
	s.writeInsufficientScope(s.mustResource(path), w, r, needed)
}

func (s *Server) writeInsufficientScope(res *protectedResource, w http.ResponseWriter, r *http.Request, needed []string) {
	scopes := slices.Clone(needed)
	if p, ok := PrincipalFromContext(r.Context()); ok {
		for _, sc := range p.Scopes {
			if !slices.Contains(scopes, sc) {
				scopes = append(scopes, sc)
			}
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+quoteSafe(strings.Join(scopes, " "))+
		`", resource_metadata="`+res.metadataURL(s.issuer)+`"`)
	writeJSONBody(w, http.StatusForbidden, map[string]string{
		"error":             "insufficient_scope",
		"error_description": "This operation requires the scope(s): " + strings.Join(needed, " "),
	})
}

// quoteSafe drops characters that would break a quoted-string parameter.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func writeJSONBody(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
