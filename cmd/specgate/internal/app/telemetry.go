package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/specgate/specgate/oauth"
	"github.com/specgate/specgate/proxy/telemetry"
)

// setupTelemetry builds the metrics registry, the audit log and the hooks
// the other parts report to.
func (a *App) setupTelemetry() error {
	if a.cfg.Metrics {
		a.metrics = telemetry.NewMetrics(Version)
	}
	audit, closer, err := telemetry.OpenAudit(a.cfg.AuditLog, os.Stdout, a.log)
	if err != nil {
		return fmt.Errorf("config: audit_log: %w", err)
	}
	a.auditCloser = closer
	a.hooks = telemetry.Hooks{Audit: audit, Identify: identify}
	if a.metrics != nil {
		a.hooks.Metrics = a.metrics
		if a.cfg.MetricsListen == "" {
			a.mux.Handle("GET /metrics", a.metrics.Handler())
		}
	}
	return nil
}

// identify names the caller of a request for the audit log.
func identify(ctx context.Context) telemetry.Identity {
	p, ok := oauth.PrincipalFromContext(ctx)
	if !ok {
		return telemetry.Identity{}
	}
	return telemetry.Identity{User: p.Subject, Client: p.ClientID, Scopes: p.Scopes}
}

// oauthEvent reports authorization-server events to metrics and the audit log.
func (a *App) oauthEvent(ctx context.Context, e oauth.Event) {
	a.hooks.OAuth(ctx, string(e.Kind), e.Subject, e.ClientID, e.Scopes)
}

// serveMetrics serves /metrics on its own listener when metrics_listen is set.
func (a *App) serveMetrics(errc chan<- error) (*http.Server, error) {
	if a.metrics == nil || a.cfg.MetricsListen == "" {
		return nil, nil
	}
	ln, err := net.Listen("tcp", a.cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", a.cfg.MetricsListen, err)
	}
	srv := &http.Server{Handler: a.metrics.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			errc <- fmt.Errorf("metrics server: %w", err)
		}
	}()
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	return srv, nil
}

func (a *App) closeAudit() {
	if a.auditCloser != nil {
		_ = a.auditCloser.Close()
	}
}
