package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth/users"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/forward"
	"github.com/specgate/specgate/proxy/specload"
)

// cmdCall invokes one tool from the command line, for testing an API mapping
// without an MCP client: specgate call --spec URL|FILE TOOL '{"arg": 1}'.
func cmdCall(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	// Flags may come before or after TOOL and JSON; pull the positionals out.
	var flagArgs, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if strings.HasPrefix(a, "-") {
			flagArgs = append(flagArgs, a)
			if !strings.Contains(a, "=") && i+1 < len(args) && !isBoolFlag(a) {
				flagArgs = append(flagArgs, args[i+1])
				i++
			}
			continue
		}
		pos = append(pos, a)
	}
	var apiName *string
	cfg, err := loadConfig("call", flagArgs, stderr, getenv, func(fs *flag.FlagSet) {
		apiName = fs.String("api", "", "which API of an apis: config to call")
	})
	if err != nil {
		return err
	}
	if cfg, err = selectAPI(cfg, *apiName); err != nil {
		return err
	}
	if len(pos) < 1 || len(pos) > 2 {
		fmt.Fprintln(stderr, "usage: specgate call --spec URL|FILE [--base-url URL] TOOL ['{\"argument\": \"value\"}']")
		return errUsage
	}
	toolArgs := map[string]any{}
	if len(pos) == 2 {
		dec := json.NewDecoder(strings.NewReader(pos[1]))
		dec.UseNumber()
		if err := dec.Decode(&toolArgs); err != nil {
			return fmt.Errorf("arguments must be a JSON object: %v", err)
		}
	}
	cat, err := loadCatalog(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	op, ok := cat.Lookup(pos[0])
	if !ok {
		return fmt.Errorf("no tool %q in %s (run 'specgate tools' to list them)", pos[0], cfg.Spec)
	}
	if cat.BaseURL == "" {
		return fmt.Errorf("no upstream base URL: the spec has no absolute servers[0]; pass --base-url")
	}
	maxArray, maxString := cfg.ResponseLimits()
	fwd := forward.New(forward.Options{Timeout: cfg.UpstreamTimeout, MaxResponseBytes: cfg.MaxResponseBytes,
		MaxArrayItems: maxArray, MaxStringBytes: maxString, UserAgent: "specgate/" + version})
	res := fwd.Call(ctx, cat.BaseURL, op, toolArgs)
	printResult(stdout, res)
	if res.IsError {
		return fmt.Errorf("%s returned an error", op.Name)
	}
	return nil
}

func isBoolFlag(a string) bool {
	name := strings.TrimLeft(a, "-")
	for _, s := range config.Settings() {
		if s.Flag == name {
			return s.Type == "bool"
		}
	}
	return false
}

// selectAPI returns the settings of the named API of a multi-API config, or
// of its only API.
func selectAPI(cfg *config.Config, name string) (*config.Config, error) {
	apis, err := cfg.APIList()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range apis {
		if a.Name == name || (name == "" && len(apis) == 1) {
			return a.Config, nil
		}
		names = append(names, a.Name)
	}
	if name == "" {
		return nil, fmt.Errorf("this configuration serves several APIs (%s): choose one with --api", strings.Join(names, ", "))
	}
	return nil, fmt.Errorf("no API %q in this configuration (it has %s)", name, strings.Join(names, ", "))
}

// loadCatalog loads and converts the configured spec, warnings to stderr.
func loadCatalog(ctx context.Context, cfg *config.Config, stderr io.Writer) (*catalog.Catalog, error) {
	if cfg.Spec == "" {
		return nil, fmt.Errorf("--spec is required")
	}
	doc, err := specload.NewLoader(specload.Options{
		Timeout: cfg.SpecTimeout, MaxBytes: cfg.SpecMaxBytes, AllowExternalRefHosts: cfg.ExternalRefs,
		UserAgent: "specgate/" + version,
	}).Load(ctx, cfg.Spec)
	if err != nil {
		return nil, err
	}
	cat, excluded, err := app.BuildCatalog(cfg, doc, nil, slog.New(slog.DiscardHandler), false)
	if err != nil {
		return nil, err
	}
	for _, w := range cat.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	if len(excluded) > 0 {
		fmt.Fprintf(stderr, "%d operations excluded by the filter: %s\n", len(excluded), strings.Join(excluded, ", "))
	}
	return cat, nil
}

// printResult writes a tool result the way a person wants to read it.
func printResult(w io.Writer, res *mcp.CallToolResult) {
	for _, c := range res.Content {
		switch c := c.(type) {
		case mcp.TextContent:
			fmt.Fprintln(w, c.Text)
		case mcp.ImageContent:
			fmt.Fprintf(w, "[image %s, %d bytes base64]\n", c.MIMEType, len(c.Data))
		case mcp.EmbeddedResource:
			if b, ok := c.Resource.(mcp.BlobResourceContents); ok {
				fmt.Fprintf(w, "[resource %s %s, %d bytes base64]\n", b.URI, b.MIMEType, len(b.Blob))
			} else {
				fmt.Fprintf(w, "[resource]\n")
			}
		default:
			fmt.Fprintf(w, "[%T]\n", c)
		}
	}
}

// cmdConfig handles `specgate config check [--config FILE] [flags]`: it
// validates the settings, loads the spec and prints what would be served.
func cmdConfig(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprintln(stderr, "usage: specgate config check [FILE] [flags]")
		return errUsage
	}
	args = args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"--config", args[0]}, args[1:]...)
	}
	cfg, err := loadConfig("config check", args, stderr, getenv, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "config: ok%s\n", map[bool]string{true: " (" + cfg.ConfigFile + ")", false: ""}[cfg.ConfigFile != ""])
	fmt.Fprintf(stdout, "listen: %s  public URL: %s  auth: %s\n", cfg.Listen, cfg.PublicURL, cfg.Auth)
	if cfg.Auth == "oauth" && cfg.Login.Source == "users_file" && cfg.UsersFile != "" {
		if _, err := users.Load(cfg.UsersFile); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "users file: %s (ok)\n", cfg.UsersFile)
	}
	apis, err := cfg.APIList()
	if err != nil {
		return err
	}
	for _, api := range apis {
		if api.Config.Spec == "" {
			fmt.Fprintf(stdout, "%s: the built-in demo API\n", api.Path)
			continue
		}
		cat, err := loadCatalog(ctx, api.Config, stderr)
		if err != nil {
			return fmt.Errorf("api %s: %w", api.Name, err)
		}
		if cat.BaseURL == "" {
			return fmt.Errorf("api %s: no upstream base URL: set base_url", api.Name)
		}
		fmt.Fprintf(stdout, "%s: %s — %q %s, %d tools, upstream %s\n", api.Path, api.Config.Spec, cat.Title, cat.Version, cat.Len(), cat.BaseURL)
	}
	return nil
}
