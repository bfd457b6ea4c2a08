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
	"github.com/specgate/specgate/oauth/upstreamlogin"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/telemetry"
	"github.com/specgate/specgate/specs/demoapi"
)

// Version is stamped at build time (see cmd/specgate).
var Version = "dev"

// App is a running specgate instance.
type App struct {
	cfg        *config.Config
	log        *slog.Logger
	apis       []*apiServer
	mux        *http.ServeMux
	oauth      *oauth.Server
	httpClient *http.Client
	// bg lives as long as the App: background work (counter flushes) stops
	// with it.
	bg       context.Context
	bgCancel context.CancelFunc

	readyChecks   []readyCheck
	upstreamLogin *upstreamlogin.Authenticator
	rdb           *redis.Client
	hooks         telemetry.Hooks
	metrics       *telemetry.Metrics
	auditCloser   io.Closer
	getenv        func(string) string

	demo    *demoapi.API
	demoSrv *http.Server
	// SpecSource is the spec URL or path actually served (the demo's URL in
	// demo mode; the first API's with several).
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
	a := &App{cfg: cfg, log: log, mux: http.NewServeMux(), getenv: os.Getenv, httpClient: forward.NewHTTPClient()}
	a.bg, a.bgCancel = context.WithCancel(context.Background())
	for _, o := range opts {
		o(a)
	}
	if err := a.build(ctx); err != nil {
		a.stopDemo()
		a.closeStore()
		a.closeAudit()
		return nil, err
	}
	a.routes()
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	apis, err := a.cfg.APIList()
	if err != nil {
		return err
	}
	a.SpecSource = apis[0].Config.Spec
	if len(apis) == 1 && a.SpecSource == "" {
		if err := a.startDemo(); err != nil {
			return err
		}
	}
	if err := a.openRedis(); err != nil {
		return err
	}
	if err := a.setupTelemetry(); err != nil {
		return err
	}
	for _, api := range apis {
		source := api.Config.Spec
		if source == "" {
			source = a.SpecSource // the demo
		}
		s, err := a.newAPI(ctx, api, source)
		if err != nil {
			if len(apis) > 1 {
				return fmt.Errorf("api %s: %w", api.Name, err)
			}
			return err
		}
		a.apis = append(a.apis, s)
	}
	if a.cfg.Auth == "oauth" {
		if err := a.setupOAuth(); err != nil {
			return err
		}
	}
	for _, s := range a.apis {
		if err := s.serve(); err != nil {
			if len(apis) > 1 {
				return fmt.Errorf("api %s: %w", s.name, err)
			}
			return err
		}
	}
	return nil
}

func (a *App) routes() {
	for _, s := range a.apis {
		a.mux.Handle(s.path, s.handler())
	}
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	if a.oauth != nil {
		a.oauth.Register(a.mux)
	}
}

// Mode reports the tool surface in force for the first API (all or search).
func (a *App) Mode() string { return a.apis[0].mcp.Mode() }

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

// Catalog returns the catalog in force (of the first API).
func (a *App) Catalog() *catalog.Catalog { return a.apis[0].holder.Current() }

// CatalogOf returns the catalog of the named API, or nil.
func (a *App) CatalogOf(name string) *catalog.Catalog {
	for _, s := range a.apis {
		if s.name == name {
			return s.holder.Current()
		}
	}
	return nil
}

// APIs lists the served APIs as name and MCP path.
func (a *App) APIs() [][2]string {
	out := make([][2]string, len(a.apis))
	for i, s := range a.apis {
		out[i] = [2]string{s.name, s.path}
	}
	return out
}

// Reload asks every API for an immediate spec reload (SIGHUP).
func (a *App) Reload() {
	for _, s := range a.apis {
		s.refresher.Trigger()
	}
}

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
	for _, s := range a.apis {
		go s.refresher.Run(rctx)
		go s.followPeers(rctx)
	}
	if a.oauth != nil {
		go a.oauth.ListenRevocations(rctx)
	}
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
		a.closeAudit()
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
	closeStreams := func() {
		for _, s := range a.apis {
			_ = s.mcp.Close(sctx)
		}
	}
	time.AfterFunc(2*time.Second, closeStreams)
	err = <-shut
	closeStreams()
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
