// Package app assembles specgate from its parts: spec loading and refresh,
// conversion, the MCP endpoint, the forwarder and (optionally) the built-in
// demo API, and serves them over HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/oauth/scopes"
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/cluster"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/mcpserver"
	"github.com/specgate/specgate/proxy/refresh"
	"github.com/specgate/specgate/proxy/specload"
	"github.com/specgate/specgate/proxy/telemetry"
	"github.com/specgate/specgate/specs/demoapi"
)

// Version is stamped at build time (see cmd/specgate).
var Version = "dev"

// App is a running specgate instance.
type App struct {
	cfg       *config.Config
	log       *slog.Logger
	holder    *catalog.Holder
	refresher *refresh.Refresher
	mcp       *mcpserver.Server
	mux       *http.ServeMux
	oauth     *oauth.Server
	policy    scopes.Policy

	readyChecks   []readyCheck
	upstreamLogin *upstreamlogin.Authenticator
	rdb           *redis.Client
	notifier      *cluster.Notifier
	hooks         telemetry.Hooks
	metrics       *telemetry.Metrics
	auditCloser   io.Closer
	getenv        func(string) string

	demo    *demoapi.API
	demoSrv *http.Server
	// SpecSource is the spec URL or path actually served (the demo's URL in demo mode).
	SpecSource string
	// DemoPassword is the demo user's password (demo mode with --auth oauth).
	DemoPassword string
	// DemoAccounts describes the demo API's own accounts (demo mode with
	// login.source upstream), as "name / password (roles)".
	DemoAccounts []string
}

// Option adjusts how New builds an App.
type Option func(*App)

// WithGetenv sets how secrets named by environment variable are read
// (default os.Getenv).
func WithGetenv(getenv func(string) string) Option { return func(a *App) { a.getenv = getenv } }

// New loads the spec and builds the server. A spec that cannot be loaded is
// an error naming the source and the problem.
func New(ctx context.Context, cfg *config.Config, log *slog.Logger, opts ...Option) (*App, error) {
	a := &App{cfg: cfg, log: log, holder: &catalog.Holder{}, mux: http.NewServeMux(), getenv: os.Getenv}
	for _, o := range opts {
		o(a)
	}
	a.SpecSource = cfg.Spec
	if cfg.Spec == "" {
		if err := a.startDemo(); err != nil {
			return nil, err
		}
	}
	loader := specload.NewLoader(specload.Options{
		Timeout:               cfg.SpecTimeout,
		MaxBytes:              cfg.SpecMaxBytes,
		AllowExternalRefHosts: cfg.ExternalRefs,
		UserAgent:             "specgate/" + Version,
		Logger:                log,
	})
	if err := a.openRedis(); err != nil {
		a.stopDemo()
		return nil, err
	}
	if err := a.setupTelemetry(); err != nil {
		a.stopDemo()
		return nil, err
	}
	a.refresher = refresh.New(loader, a.SpecSource, a.build, a.holder, refresh.Options{TTL: refreshTTL(cfg.Refresh), Logger: log,
		OnRefresh: func(result string) { a.hooks.Refresh(result); a.onRefresh(result) }})
	if err := a.refresher.Init(ctx); err != nil {
		a.stopDemo()
		return nil, err
	}
	var access mcpserver.Access
	var authenticate func(http.Handler) http.Handler
	if cfg.Auth == "oauth" {
		if err := a.setupOAuth(); err != nil {
			a.stopDemo()
			return nil, err
		}
		access = scopeAccess{policy: a.policy, srv: a.oauth}
		authenticate = a.oauth.RequireBearer
	}
	inj, err := a.upstreamInjector()
	if err != nil {
		a.stopDemo()
		return nil, err
	}
	maxArray, maxString := cfg.ResponseLimits()
	fwd := forward.New(forward.Options{
		MaxArrayItems:    maxArray,
		MaxStringBytes:   maxString,
		Client:           forward.NewHTTPClient(),
		Timeout:          cfg.UpstreamTimeout,
		MaxResponseBytes: cfg.MaxResponseBytes,
		UserAgent:        "specgate/" + Version,
		Decorate:         decorate(telemetry.PropagateRequestID, inj.Decorate),
		OnUpstream:       a.hooks.Upstream,
		Logger:           log,
	})
	a.mcp = mcpserver.New(mcpserver.Options{
		Name:            "specgate",
		Version:         Version,
		Holder:          a.holder,
		Caller:          a.rateLimit(fwd),
		PublicURL:       cfg.PublicURL,
		AllowedOrigins:  cfg.AllowedOrigins,
		Access:          access,
		OnToolCall:      a.hooks.ToolCall,
		Mode:            cfg.Tools,
		TokenBudget:     cfg.ToolsTokenBudget,
		RequiredScopes:  a.requiredScopes(),
		Authenticate:    authenticate,
		MaxRequestBytes: cfg.MaxRequestBytes,
		Logger:          log,
	})
	a.routes()
	return a, nil
}

// build converts a loaded document into a catalog bound to its upstream.
func (a *App) build(ctx context.Context, doc *specload.Document, prev *catalog.Catalog) (*catalog.Catalog, error) {
	cat, excluded, err := BuildCatalog(a.cfg, doc, prev, a.log, true)
	if err != nil {
		return nil, err
	}
	if len(excluded) > 0 {
		a.log.Info("operations excluded by the filter", "count", len(excluded))
		a.log.Debug("excluded operations", "tools", excluded)
	}
	return cat, nil
}

func (a *App) routes() {
	a.mux.Handle("/mcp", a.mcp.Handler())
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	if a.oauth != nil {
		a.oauth.Register(a.mux)
	}
}

// requiredScopes shows search results with the scopes the policy demands
// (with OAuth), else the spec's own.
func (a *App) requiredScopes() func(*catalog.Operation) []string {
	if a.oauth != nil {
		return a.policy.Required
	}
	return nil
}

// Mode reports the tool surface in force (all or search).
func (a *App) Mode() string { return a.mcp.Mode() }

// refreshTTL maps the config's 0 ("no periodic refresh") to the refresher's
// negative value, since its 0 means "default".
func refreshTTL(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// Handler returns the root HTTP handler (with request IDs).
func (a *App) Handler() http.Handler { return telemetry.RequestID(a.mux) }

// Catalog returns the catalog in force.
func (a *App) Catalog() *catalog.Catalog { return a.holder.Current() }

// Reload asks for an immediate spec reload (SIGHUP).
func (a *App) Reload() { a.refresher.Trigger() }

// Demo returns the built-in demo API, or nil when serving a configured spec.
func (a *App) Demo() *demoapi.API { return a.demo }

// Serve accepts connections on ln until ctx is done, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish for up to
// 15 s and closes streams.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		// No WriteTimeout: MCP GET streams stay open; heartbeats keep them alive.
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go a.refresher.Run(rctx)
	if a.oauth != nil {
		go a.oauth.ListenRevocations(rctx)
	}
	go a.followPeers(rctx)
	errc := make(chan error, 2)
	go func() { errc <- srv.Serve(ln) }()
	msrv, err := a.serveMetrics(errc)
	if err != nil {
		return err
	}
	select {
	case err := <-errc:
		a.stopDemo()
		a.closeStore()
		return err
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer scancel()
	// Stop accepting and let in-flight calls finish first, then end the
	// long-lived MCP streams (Shutdown does not wait for hijacked or
	// streaming responses beyond the deadline).
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(sctx) }()
	time.AfterFunc(2*time.Second, func() { _ = a.mcp.Close(sctx) })
	err = <-shut
	_ = a.mcp.Close(sctx)
	if msrv != nil {
		_ = msrv.Shutdown(sctx)
	}
	a.closeAudit()
	a.stopDemo()
	a.closeStore()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

func (a *App) startDemo() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start demo API: %w", err)
	}
	users := demoapi.DefaultUsers()
	if a.cfg.DemoPassword != "" {
		users[0].Password = a.cfg.DemoPassword // the "demo" account
	}
	a.demo = demoapi.New(demoapi.Options{Logger: a.log, Users: users})
	if a.cfg.Auth == "oauth" && a.cfg.Login.Source == "upstream" {
		for _, u := range users {
			a.DemoAccounts = append(a.DemoAccounts, fmt.Sprintf("%s / %s (%s)", u.Name, u.Password, strings.Join(u.Roles, ", ")))
		}
	}
	a.demoSrv = &http.Server{Handler: a.demo.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = a.demoSrv.Serve(ln) }()
	a.SpecSource = "http://" + ln.Addr().String() + "/openapi.json"
	a.log.Info("demo API started", "spec", a.SpecSource)
	return nil
}

func (a *App) stopDemo() {
	if a.demoSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.demoSrv.Shutdown(ctx)
	}
}
