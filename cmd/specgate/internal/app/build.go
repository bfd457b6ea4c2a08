package app

import (
	"fmt"
	"log/slog"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

// BuildCatalog turns a loaded document into the catalog specgate serves:
// conversion with the configured overrides, the upstream base URL, and the
// operation filter. excluded lists the tools the filter left out. A missing
// base URL is an error only when requireBase is set (serving); the tools
// command just shows what it would be.
func BuildCatalog(cfg *config.Config, doc *specload.Document, prev *catalog.Catalog, log *slog.Logger, requireBase bool) (cat *catalog.Catalog, excluded []string, err error) {
	base := cfg.BaseURL
	if base == "" {
		b, err := doc.BaseURL()
		if err != nil && requireBase {
			return nil, nil, fmt.Errorf("upstream base URL: %w", err)
		}
		base = b
	}
	cat, err = convert.Convert(doc.Spec, convert.Options{
		MaxNameLength: cfg.ToolNameMaxLen,
		Previous:      prev,
		Overrides:     cfg.ConvertOverrides(),
		Logger:        log,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("convert %s: %w", doc.Source, err)
	}
	cat.BaseURL = base
	cat.Digest = doc.Digest
	cat.SpecVersion = doc.SourceVersion
	cat.Warnings = append(append([]catalog.Warning(nil), doc.Warnings...), cat.Warnings...)
	cat.ScopeDescriptions = scopeDescriptions(doc.Spec)
	if f := cfg.FilterSpec(); !f.IsZero() {
		cat, excluded, err = f.Apply(cat)
		if err != nil {
			return nil, nil, fmt.Errorf("filter: %w", err)
		}
	}
	return cat, excluded, nil
}
