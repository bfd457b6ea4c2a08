package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/specgate/specgate/cmd/specgate/internal/app"
	"github.com/specgate/specgate/oauth/scopes"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/mcpserver"
	"github.com/specgate/specgate/proxy/specload"
	"github.com/specgate/specgate/proxy/upstreamauth"
	"github.com/specgate/specgate/specs/demoapi"
)

// toolJSON is one tool as printed by `specgate tools --format json`.
type toolJSON struct {
	Name         string                        `json:"name"`
	Title        string                        `json:"title,omitempty"`
	Description  string                        `json:"description"`
	Method       string                        `json:"method"`
	Path         string                        `json:"path"`
	OperationID  string                        `json:"operationId,omitempty"`
	Tags         []string                      `json:"tags,omitempty"`
	Deprecated   bool                          `json:"deprecated,omitempty"`
	InputSchema  json.RawMessage               `json:"inputSchema"`
	OutputSchema json.RawMessage               `json:"outputSchema,omitempty"`
	Annotations  catalog.Annotations           `json:"annotations"`
	Scopes       []string                      `json:"scopes,omitempty"`
	Security     []catalog.SecurityRequirement `json:"security,omitempty"`
	Auth         string                        `json:"auth,omitempty"`
}

func cmdTools(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	var format, apiName *string
	cfg, err := loadConfig("tools", args, stderr, getenv, func(fs *flag.FlagSet) {
		format = fs.String("format", "table", "output format: table or json")
		apiName = fs.String("api", "", "which API of an apis: config to show")
	})
	if err != nil {
		return err
	}
	if cfg, err = selectAPI(cfg, *apiName); err != nil {
		return err
	}
	if *format != "table" && *format != "json" {
		return fmt.Errorf("--format %q: must be table or json", *format)
	}
	opts := specload.Options{
		Timeout:               cfg.SpecTimeout,
		MaxBytes:              cfg.SpecMaxBytes,
		AllowExternalRefHosts: cfg.ExternalRefs,
		UserAgent:             "specgate/" + version,
	}
	var doc *specload.Document
	if cfg.Spec == "" {
		doc, err = specload.Parse(ctx, demoapi.New(demoapi.Options{}).Spec(), "built-in demo API", opts)
	} else {
		doc, err = specload.NewLoader(opts).Load(ctx, cfg.Spec)
	}
	if err != nil {
		return err
	}
	cat, excluded, err := app.BuildCatalog(cfg, doc, nil, slog.New(slog.DiscardHandler), false)
	if err != nil {
		return err
	}
	for _, w := range cat.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w)
	}
	// The scopes shown are those the server enforces: the spec's, else the
	// default by method, with the configured overrides.
	policy := scopes.Policy{Read: cfg.Scopes.Read, Write: cfg.Scopes.Write, Admin: cfg.Scopes.Admin,
		OperationOverrides: cfg.Scopes.Operations, TagOverrides: cfg.Scopes.Tags}
	if *format == "json" {
		out := make([]toolJSON, 0, cat.Len())
		for _, op := range cat.Operations() {
			out = append(out, toolJSON{
				Name: op.Name, Title: op.Title, Description: op.Description, Method: op.Method, Path: op.Path,
				OperationID: op.OperationID, Tags: op.Tags, Deprecated: op.Deprecated,
				InputSchema: op.InputSchema, OutputSchema: op.OutputSchema, Annotations: op.Annotations,
				Scopes: policy.Required(op), Security: op.Security, Auth: upstreamauth.DescribeSecurity(cat, op),
			})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tMETHOD\tPATH\tSCOPES\tHINTS\tUPSTREAM AUTH (spec)")
	for _, op := range cat.Operations() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", op.Name, op.Method, op.Path, strings.Join(policy.Required(op), " "), hints(op.Annotations),
			upstreamauth.DescribeSecurity(cat, op))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d tools from %s (%s, spec %s)\n", cat.Len(), doc.Source, cat.Title, doc.SourceVersion)
	if len(cat.Hidden) > 0 {
		fmt.Fprintf(stdout, "%d operations hidden by x-mcp-hidden or overrides: %s\n", len(cat.Hidden), strings.Join(cat.Hidden, ", "))
	}
	if len(excluded) > 0 {
		fmt.Fprintf(stdout, "%d operations excluded by the filter: %s\n", len(excluded), firstN(excluded, 20))
	}
	if p, scheme, ok := upstreamauth.Suggest(cat); ok {
		fmt.Fprintf(stdout, "upstream credential per the spec: %s (%s) -> %s\n", scheme, cat.SecuritySchemes[scheme], placementFlags(p))
	}
	all, srch := mcpserver.ListSizes(cat)
	mode, why := mcpserver.ChooseMode(cfg.Tools, cfg.ToolsTokenBudget, cat)
	fmt.Fprintf(stdout, "tools/list: %d bytes (~%d tokens) with every tool, %d bytes (~%d tokens) in search mode; --tools %s serves %s (%s)\n",
		all, all/4, srch, srch/4, cfg.Tools, mode, why)
	return nil
}

// placementFlags spells a credential placement as the serve flags that set it.
func placementFlags(p upstreamauth.Placement) string {
	switch p.In {
	case upstreamauth.InQuery:
		return "--upstream-query " + p.Name
	case upstreamauth.InCookie:
		return "--upstream-cookie " + p.Name
	case upstreamauth.InBasic:
		return "--upstream-basic"
	default:
		out := "--upstream-header " + p.Name
		if p.Template != "" {
			out += " --upstream-template '" + p.Template + "'"
		}
		return out
	}
}

// firstN joins up to n names and says how many more there are.
func firstN(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:n], ", ") + fmt.Sprintf(", … (%d more; --format json lists only the kept tools)", len(names)-n)
}

func hints(a catalog.Annotations) string {
	var h []string
	if a.ReadOnly {
		h = append(h, "read-only")
	}
	if a.Destructive {
		h = append(h, "destructive")
	}
	if a.Idempotent {
		h = append(h, "idempotent")
	}
	return strings.Join(h, ",")
}
