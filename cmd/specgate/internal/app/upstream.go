package app

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/oauth/vault"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/mcpserver"
	"github.com/specgate/specgate/proxy/upstreamauth"
)

// upstreamLoginAuthenticator builds the authenticator that checks passwords
// at the API's own login endpoint.
func (a *App) upstreamLoginAuthenticator() (*upstreamlogin.Authenticator, error) {
	up := a.cfg.Login.Upstream
	extra, err := keyValues("login.upstream.extra_fields", up.ExtraFields)
	if err != nil {
		return nil, err
	}
	refreshExtra, err := keyValues("login.upstream.refresh_extra_fields", up.RefreshExtraFields)
	if err != nil {
		return nil, err
	}
	var statuses []int
	for _, s := range up.InvalidStatuses {
		n, err := strconv.Atoi(s)
		if err != nil || n < 400 || n > 599 {
			return nil, fmt.Errorf("config: login.upstream.invalid_statuses: %q is not an HTTP error status", s)
		}
		statuses = append(statuses, n)
	}
	var defaults []string
	if len(up.DefaultScopes) > 0 {
		defaults = up.DefaultScopes
	}
	return upstreamlogin.New(upstreamlogin.Config{
		// The login endpoint belongs to the first API (login.upstream.path
		// may also be an absolute URL).
		BaseURL: func() string {
			if c := a.apis[0].holder.Current(); c != nil {
				return c.BaseURL
			}
			return ""
		},
		Method: up.Method, Path: up.Path, Body: up.Body,
		UsernameField: up.UsernameField, PasswordField: up.PasswordField,
		ExtraFields: extra, InvalidCredentialStatuses: statuses,
		TokenPointer: up.TokenPointer, ExpiresInPointer: up.ExpiresInPointer,
		RefreshTokenPointer: up.RefreshTokenPointer, SubjectPointer: up.SubjectPointer,
		ScopesPointer: up.ScopesPointer, ScopeMap: up.ScopeMap, DefaultScopes: defaults,
		RefreshPath: up.RefreshPath, RefreshMethod: up.RefreshMethod, RefreshBody: up.RefreshBody,
		RefreshTokenField: up.RefreshTokenField, RefreshExtraFields: refreshExtra,
		Timeout: up.Timeout, Logger: a.log.With("component", "upstream-login"),
	})
}

// vaultKeys returns the keyring sealing users' API tokens.
func (a *App) vaultKeys(secret []byte) (*vault.Keyring, error) {
	if len(a.cfg.Login.VaultKeys) > 0 {
		k, err := vault.Parse(a.cfg.Login.VaultKeys...)
		if err != nil {
			return nil, fmt.Errorf("config: login.vault_keys: %w", err)
		}
		return k, nil
	}
	return vault.New(derive(secret, "specgate upstream credential vault", 32))
}

func keyValues(key string, items []string) (map[string]string, error) {
	if len(items) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(items))
	for _, it := range items {
		k, v, ok := strings.Cut(it, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("config: %s: %q is not key=value", key, it)
		}
		out[k] = v
	}
	return out, nil
}

// upstreamInjector builds the decorator that puts the upstream credential
// on every forwarded request.
func (a *App) upstreamInjector(api *apiServer) (*upstreamauth.Injector, error) {
	u := api.cfg.Upstream
	mode := upstreamauth.Mode(u.Auth)
	pl, err := upstreamauth.ParsePlacement(u.Header, u.Query, u.Cookie, u.Basic, u.BasicUser, u.Template)
	if err != nil {
		return nil, err
	}
	pl, scheme := upstreamauth.Resolve(mode, pl, api.holder.Current())
	var src upstreamauth.CredentialSource
	switch {
	case mode == upstreamauth.ModeUser:
		src = func(ctx context.Context) (string, string, error) {
			token, subject, err := a.oauth.UpstreamAccessToken(ctx)
			if u, ok := ctx.Value(usedCredentialKey{}).(*usedCredential); ok {
				u.token = token
			}
			return token, subject, err
		}
	case u.ForwardUserHeader != "":
		src = func(ctx context.Context) (string, string, error) {
			if p, ok := oauth.PrincipalFromContext(ctx); ok {
				return "", p.Subject, nil
			}
			return "", "", nil // --auth none: no user name to forward
		}
	}
	inj, err := upstreamauth.New(upstreamauth.Config{
		Mode: mode, Placement: pl, SecretEnv: u.SecretEnv, SecretFile: u.SecretFile,
		ForwardUserHeader: u.ForwardUserHeader, Logger: a.log,
	}, src, a.getenv)
	if err != nil {
		return nil, err
	}
	if mode != upstreamauth.ModeNone {
		a.log.Info("upstream credentials", "api", api.name, "how", inj.Describe(), "from_spec_scheme", scheme)
	}
	return inj, nil
}

// decorate composes the per-request decorations of upstream requests.
func decorate(fns ...func(context.Context, *http.Request) error) func(context.Context, *http.Request) error {
	return func(ctx context.Context, req *http.Request) error {
		for _, fn := range fns {
			if fn == nil {
				continue
			}
			if err := fn(ctx, req); err != nil {
				return err
			}
		}
		return nil
	}
}

// usedCredential records which user token a call sent, so a 401 from the
// API can be tied to it.
type usedCredential struct {
	token    string
	rejected bool
}

type usedCredentialKey struct{}

// noteRejection is the forwarder's OnUpstream hook in user mode: a 401 means
// the API no longer accepts the user's token before its stated expiry, so
// the server is told to renew it and the call is retried once.
func (a *App) noteRejection(ctx context.Context, status int) {
	if status != http.StatusUnauthorized {
		return
	}
	u, ok := ctx.Value(usedCredentialKey{}).(*usedCredential)
	p, signed := oauth.PrincipalFromContext(ctx)
	if !ok || !signed || u.token == "" {
		return
	}
	if err := a.oauth.UpstreamCredentialRejected(ctx, p, u.token); err != nil {
		a.log.WarnContext(ctx, "could not mark the rejected upstream credential for renewal", "err", err)
		return
	}
	u.rejected = true
}

// retryRejected runs a call again, once, when the API rejected the user's
// token: a 401 means the request was not carried out, so repeating it is
// safe, and the second attempt uses the renewed token.
type retryRejected struct{ next mcpserver.Caller }

func (c retryRejected) Call(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) *mcp.CallToolResult {
	u := &usedCredential{}
	res := c.next.Call(context.WithValue(ctx, usedCredentialKey{}, u), baseURL, op, args)
	if !u.rejected {
		return res
	}
	return c.next.Call(context.WithValue(ctx, usedCredentialKey{}, &usedCredential{}), baseURL, op, args)
}
