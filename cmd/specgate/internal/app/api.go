package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth/scopes"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/cluster"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/mcpserver"
	"github.com/specgate/specgate/proxy/refresh"
	"github.com/specgate/specgate/proxy/specload"
	"github.com/specgate/specgate/proxy/telemetry"
)

// apiServer is one API's pipeline: spec -> catalog -> MCP endpoint ->
// forwarder, served at its own path.
type apiServer struct {
	app       *App
	name      string
	path      string
	cfg       *config.Config // the top-level settings with this API's overrides
	source    string         // spec URL or path actually loaded
	holder    *catalog.Holder
	refresher *refresh.Refresher
	policy    scopes.Policy
	hooks     telemetry.Hooks
	notifier  *cluster.Notifier
	mcp       *mcpserver.Server
}

// newAPI loads an API's spec (an error names the source and the problem).
func (a *App) newAPI(ctx context.Context, api config.API, source string) (*apiServer, error) {
	cfg := api.Config
	s := &apiServer{app: a, name: api.Name, path: api.Path, cfg: cfg, source: source, holder: &catalog.Holder{}}
	s.policy = scopes.Policy{
		Read: cfg.Scopes.Read, Write: cfg.Scopes.Write, Admin: cfg.Scopes.Admin,
		OperationOverrides: cfg.Scopes.Operations, TagOverrides: cfg.Scopes.Tags,
	}
	s.hooks = a.hooks
	s.hooks.API = api.Name
	s.holder.Subscribe(s.hooks.SpecChanged)
	if a.rdb != nil {
		s.notifier = cluster.NewNotifier(a.rdb, cluster.Options{Prefix: a.cfg.RedisPrefix + "api:" + api.Name + ":", Logger: a.log})
	}
	loader := specload.NewLoader(specload.Options{
		Timeout:               cfg.SpecTimeout,
		MaxBytes:              cfg.SpecMaxBytes,
		AllowExternalRefHosts: cfg.ExternalRefs,
		UserAgent:             "specgate/" + Version,
		Logger:                a.log,
	})
	s.refresher = refresh.New(loader, source, s.build, s.holder, refresh.Options{
		TTL: refreshTTL(cfg.Refresh), Logger: a.log.With("api", api.Name),
		OnRefresh: func(result string) { s.hooks.Refresh(result); s.onRefresh(result) },
	})
	if err := s.refresher.Init(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// build converts a loaded document into a catalog bound to its upstream.
func (s *apiServer) build(ctx context.Context, doc *specload.Document, prev *catalog.Catalog) (*catalog.Catalog, error) {
	cat, excluded, err := BuildCatalog(s.cfg, doc, prev, s.app.log, true)
	if err != nil {
		return nil, err
	}
	// The upstream comes from the spec unless --base-url pins it: a
	// refreshed spec must not move every call (and its credentials) to
	// another host. Moving needs a restart or --base-url.
	if prev != nil && s.cfg.BaseURL == "" && origin(prev.BaseURL) != origin(cat.BaseURL) {
		return nil, fmt.Errorf("the refreshed spec moves the upstream from %s to %s; keeping the previous spec (restart specgate or set base_url to accept the new upstream)",
			origin(prev.BaseURL), origin(cat.BaseURL))
	}
	if len(excluded) > 0 {
		s.app.log.Info("operations excluded by the filter", "api", s.name, "count", len(excluded))
		s.app.log.Debug("excluded operations", "api", s.name, "tools", excluded)
	}
	return cat, nil
}

// origin is a URL's scheme and host, the part a refresh may not change.
func origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
}

// serve builds the forwarder and the MCP endpoint once authentication is set up.
func (s *apiServer) serve() error {
	a := s.app
	inj, err := a.upstreamInjector(s)
	if err != nil {
		return err
	}
	maxArray, maxString := s.cfg.ResponseLimits()
	fwd := forward.New(forward.Options{
		MaxArrayItems:    maxArray,
		MaxStringBytes:   maxString,
		Client:           a.httpClient,
		Timeout:          s.cfg.UpstreamTimeout,
		MaxResponseBytes: s.cfg.MaxResponseBytes,
		UserAgent:        "specgate/" + Version,
		Decorate:         decorate(telemetry.PropagateRequestID, inj.Decorate),
		OnUpstream:       s.onUpstream(),
		Logger:           a.log.With("api", s.name),
	})
	opts := mcpserver.Options{
		Name:            "specgate",
		Version:         Version,
		Holder:          s.holder,
		Caller:          a.rateLimit(s.caller(fwd)),
		PublicURL:       a.cfg.PublicURL,
		AllowedOrigins:  a.cfg.AllowedOrigins,
		OnToolCall:      s.hooks.ToolCall,
		Mode:            s.cfg.Tools,
		TokenBudget:     s.cfg.ToolsTokenBudget,
		MaxRequestBytes: a.cfg.MaxRequestBytes,
		Logger:          a.log.With("api", s.name),
	}
	if a.oauth != nil {
		opts.Access = scopeAccess{policy: s.policy, srv: a.oauth, path: s.path}
		opts.Authenticate = a.oauth.RequireBearerFor(s.path)
		opts.RequiredScopes = s.policy.Required
	}
	s.mcp = mcpserver.New(opts)
	return nil
}

// handler is the API's MCP endpoint.
func (s *apiServer) handler() http.Handler { return s.mcp.Handler() }

// supportedScopes are the scopes this API's operations need.
func (s *apiServer) supportedScopes() []string {
	out := s.policy.Supported(s.holder.Current())
	// The resource's own list leaves out offline_access (the AS adds it).
	filtered := out[:0:0]
	for _, sc := range out {
		if sc != scopes.OfflineAccess {
			filtered = append(filtered, sc)
		}
	}
	return filtered
}

// caller retries calls whose user token the API rejected (user mode).
func (s *apiServer) caller(fwd mcpserver.Caller) mcpserver.Caller {
	if s.cfg.Upstream.Auth == "user" && s.app.oauth != nil {
		return retryRejected{next: fwd}
	}
	return fwd
}

// onUpstream reports upstream answers to telemetry and, in user mode,
// rejected user tokens to the authorization server.
func (s *apiServer) onUpstream() func(ctx context.Context, status int, d time.Duration) {
	if s.cfg.Upstream.Auth != "user" || s.app.oauth == nil {
		return s.hooks.Upstream
	}
	return func(ctx context.Context, status int, d time.Duration) {
		s.hooks.Upstream(ctx, status, d)
		s.app.noteRejection(ctx, status)
	}
}
