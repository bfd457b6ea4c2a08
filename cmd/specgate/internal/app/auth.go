package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/scopes"
	"github.com/specgate/specgate/oauth/users"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/mcpserver"
)

// setupOAuth builds the authorization server and the scope-based access
// decisions for the MCP endpoint.
func (a *App) setupOAuth() error {
	auth, err := a.authenticator()
	if err != nil {
		return err
	}
	secret := []byte(a.cfg.OAuth.Secret)
	if len(secret) == 0 {
		secret = make([]byte, 32)
		_, _ = rand.Read(secret)
		a.log.Warn("no oauth.secret set: using a random one, so tokens and logins end when specgate restarts; set SPECGATE_OAUTH_SECRET (the same on every replica)")
	}
	var resources []oauth.ResourceConfig
	for _, s := range a.apis {
		name := s.name
		if cat := s.holder.Current(); cat != nil && cat.Title != "" {
			name = cat.Title
			if len(a.apis) > 1 {
				name += " (" + s.name + ")"
			}
		}
		resources = append(resources, oauth.ResourceConfig{Path: s.path, Name: name, Scopes: s.supportedScopes})
	}
	ocfg := oauth.Config{
		PublicURL: a.cfg.PublicURL,
		Resources: resources,
		DescribeScope: func(scope string) string {
			for _, s := range a.apis {
				if d, ok := s.holder.Current().ScopeDescriptions[scope]; ok {
					return scopes.Describe(scope, map[string]string{scope: d})
				}
			}
			return scopes.Describe(scope, nil)
		},
		Lifetimes: oauth.Lifetimes{
			AccessToken:  a.cfg.OAuth.AccessTokenTTL,
			RefreshToken: a.cfg.OAuth.RefreshTokenTTL,
			LoginSession: a.cfg.OAuth.LoginSession,
		},
		RefreshGraceWindow: graceOrOff(a.cfg.OAuth.RefreshGrace),
		RememberConsent:    a.cfg.OAuth.RememberConsent,
		GlobalSecret:       derive(secret, "specgate token signing", 32),
		CookieHashKey:      derive(secret, "specgate cookie authentication", 64),
		CookieBlockKey:     derive(secret, "specgate cookie encryption", 32),
		MaxClients:         a.cfg.OAuth.MaxClients,
		CIMD:               oauth.CIMDOptions{Disabled: !a.cfg.OAuth.CIMD},
		Logger:             a.log,
		OnEvent:            a.oauthEvent,
		StaticClients:      staticClients(a.cfg.OAuth.Clients),
		ClientIP:           clientIP(a.cfg.TrustedProxies),
	}
	if a.upstreamLogin != nil {
		keys, err := a.vaultKeys(secret)
		if err != nil {
			return err
		}
		ocfg.Vault, ocfg.UpstreamRefresher = keys, a.upstreamLogin
	}
	ocfg.TokenCacheTTL = a.cfg.OAuth.TokenCacheTTL
	st, err := a.openStore(&ocfg)
	if err != nil {
		return err
	}
	srv, err := oauth.New(ocfg, st, auth)
	if err != nil {
		return fmt.Errorf("oauth: %w", err)
	}
	a.oauth = srv
	return nil
}

// graceOrOff maps the config's 0 ("no grace window") to the oauth package's
// negative value, since its 0 means "default".
func graceOrOff(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// authenticator returns the users file, or the demo user in demo mode.
func (a *App) authenticator() (authn.Authenticator, error) {
	if a.cfg.Login.Source == "upstream" {
		ul, err := a.upstreamLoginAuthenticator()
		if err != nil {
			return nil, err
		}
		a.upstreamLogin = ul
		return ul, nil
	}
	if a.cfg.UsersFile != "" {
		f, err := users.Load(a.cfg.UsersFile)
		if err != nil {
			return nil, err
		}
		return f, nil
	}
	if a.demo == nil {
		return nil, fmt.Errorf("--auth oauth needs --users-file")
	}
	pw := a.cfg.DemoPassword
	if pw == "" {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		pw = base64.RawURLEncoding.EncodeToString(b)
	}
	hash, err := users.HashPassword(pw)
	if err != nil {
		return nil, fmt.Errorf("demo password: %w", err)
	}
	a.DemoPassword = pw
	return users.NewStatic(users.User{Name: "demo", PasswordHash: hash, DisplayName: "Demo User"}), nil
}

// derive expands the configured secret into an independent key per purpose.
func derive(secret []byte, label string, n int) []byte {
	var out []byte
	for i := byte(1); len(out) < n; i++ {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(label))
		m.Write([]byte{i})
		out = m.Sum(out)
	}
	return out[:n]
}

// scopeAccess implements mcpserver.Access from the caller's token scopes
// for the API served at path.
type scopeAccess struct {
	policy scopes.Policy
	srv    *oauth.Server
	path   string
}

func (s scopeAccess) Visible(ctx context.Context, op *catalog.Operation) bool {
	p, ok := oauth.PrincipalFromContext(ctx)
	return ok && scopes.Satisfied(p.Scopes, s.policy.Required(op))
}

func (s scopeAccess) Decide(ctx context.Context, op *catalog.Operation) (mcpserver.Decision, string) {
	p, ok := oauth.PrincipalFromContext(ctx)
	if !ok {
		return mcpserver.Deny, "not authenticated"
	}
	need := s.policy.Required(op)
	if scopes.Satisfied(p.Scopes, need) {
		return mcpserver.Allow, ""
	}
	if p.AllowedScopes != nil {
		var missing []string
		for _, sc := range need {
			if !slices.Contains(p.AllowedScopes, sc) {
				missing = append(missing, sc)
			}
		}
		if len(missing) > 0 {
			return mcpserver.Deny, fmt.Sprintf("Your account (%s) is not allowed the scope %s that %s needs; ask an administrator to grant it. Nothing was sent to the API.",
				p.Subject, strings.Join(missing, " "), op.Name)
		}
	}
	return mcpserver.StepUp, ""
}

func (s scopeAccess) Challenge(w http.ResponseWriter, r *http.Request, op *catalog.Operation) {
	s.srv.WriteInsufficientScopeFor(s.path, w, r, s.policy.Required(op))
}

// scopeDescriptions collects the descriptions of the spec's OAuth scopes.
func scopeDescriptions(doc *openapi3.T) map[string]string {
	out := map[string]string{}
	if doc == nil || doc.Components == nil {
		return out
	}
	for _, ref := range doc.Components.SecuritySchemes {
		if ref == nil || ref.Value == nil || ref.Value.Flows == nil {
			continue
		}
		f := ref.Value.Flows
		for _, flow := range []*openapi3.OAuthFlow{f.AuthorizationCode, f.Implicit, f.ClientCredentials, f.Password} {
			if flow == nil {
				continue
			}
			for name, desc := range flow.Scopes {
				if _, seen := out[name]; !seen && desc != "" {
					out[name] = desc
				}
			}
		}
	}
	return out
}

// staticClients converts the configured clients, in a stable order.
func staticClients(m map[string]config.StaticClient) []oauth.StaticClient {
	ids := make([]string, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]oauth.StaticClient, 0, len(ids))
	for _, id := range ids {
		c := m[id]
		out = append(out, oauth.StaticClient{ID: id, Name: c.Name, RedirectURIs: c.RedirectURIs, SecretHash: c.SecretHash})
	}
	return out
}
