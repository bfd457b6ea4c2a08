package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/proxy/telemetry"
)

var errUsage = errors.New("usage")

// loadConfig parses flags and merges them with env and the config file.
// extra registers command-specific flags before parsing (may be nil).
// Only "serve" (and the demo) apply the serve-time checks (auth, users file).
func loadConfig(name string, args []string, stderr io.Writer, getenv func(string) string, extra func(*flag.FlagSet)) (*config.Config, error) {
	fs := config.FlagSet(name)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errUsage
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "specgate %s: unexpected argument %q\n", name, fs.Arg(0))
		return nil, errUsage
	}
	cfg, err := config.Load(fs, getenv)
	if err != nil {
		return nil, err
	}
	validate := cfg.Validate
	if name == "serve" || name == "config check" {
		validate = cfg.ValidateServe
	}
	if err := validate(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	cfg, err := loadConfig("serve", args, stderr, getenv, nil)
	if err != nil {
		return err
	}
	log, err := telemetry.NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	// go-redis logs connection trouble through its own process-wide logger;
	// send it to ours so it is structured like everything else.
	redis.SetLogger(redisLog{log})
	app.Version = version
	a, err := app.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			log.Info("SIGHUP: reloading spec")
			a.Reload()
		}
	}()
	cat := a.Catalog()
	var endpoints []string
	for _, api := range a.APIs() {
		endpoints = append(endpoints, cfg.PublicURL+api[1])
	}
	log.Info("specgate ready", "listen", ln.Addr().String(), "mcp", strings.Join(endpoints, " "),
		"spec", a.SpecSource, "tools", cat.Len(), "upstream", cat.BaseURL, "auth", cfg.Auth)
	printNextSteps(stdout, cfg, a)
	return a.Serve(ctx, ln)
}

func printNextSteps(w io.Writer, cfg *config.Config, a *app.App) {
	if apis := a.APIs(); len(apis) > 1 {
		fmt.Fprintf(w, "\nspecgate is serving %d APIs:\n", len(apis))
		for _, api := range apis {
			fmt.Fprintf(w, "  %-12s %d tools at %s%s\n", api[0], a.CatalogOf(api[0]).Len(), cfg.PublicURL, api[1])
		}
		fmt.Fprintf(w, "\nConnect Claude Code, one server per API:\n")
		for _, api := range apis {
			fmt.Fprintf(w, "  claude mcp add --transport http %s %s%s\n", api[0], cfg.PublicURL, api[1])
		}
		fmt.Fprintln(w)
	} else {
		what := "the API at " + a.SpecSource
		if a.Demo() != nil {
			what = "the built-in demo API (" + a.SpecSource + ")"
		}
		fmt.Fprintf(w, "\nspecgate is serving %d tools for %s\n", a.Catalog().Len(), what)
		fmt.Fprintf(w, "MCP endpoint: %s/mcp\n\n", cfg.PublicURL)
		fmt.Fprintf(w, "Connect Claude Code:\n  claude mcp add --transport http specgate %s/mcp\n\n", cfg.PublicURL)
	}
	switch {
	case cfg.Auth == "none":
		fmt.Fprintf(w, "Authentication is OFF (--auth none): anyone who can reach %s can call the API.\n\n", cfg.Listen)
	case len(a.DemoAccounts) > 0:
		fmt.Fprintf(w, "Your client will open a browser to log in with the demo API's own accounts:\n")
		for _, acc := range a.DemoAccounts {
			fmt.Fprintf(w, "  %s\n", acc)
		}
		fmt.Fprintln(w)
	case a.DemoPassword != "":
		fmt.Fprintf(w, "Your client will open a browser to log in. Demo user:\n  username: demo\n  password: %s\n", a.DemoPassword)
		if cfg.DemoPassword == "" {
			fmt.Fprintf(w, "  (random for this run; set SPECGATE_DEMO_PASSWORD to choose one)\n")
		}
		fmt.Fprintln(w)
	default:
		fmt.Fprintf(w, "Your client will open a browser to log in with a user from %s.\n\n", cfg.UsersFile)
	}
}

// redisLog adapts slog to go-redis's logger.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

func goVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.GoVersion != "" {
		return bi.GoVersion
	}
	return runtime.Version()
}
