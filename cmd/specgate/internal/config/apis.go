package config

import (
	"fmt"
	"regexp"
)

// API is one API specgate serves, with its effective settings.
type API struct {
	// Name labels the API in paths (/mcp/<name>), metrics and logs.
	Name string
	// Path is where its MCP endpoint is served: /mcp for a single API,
	// /mcp/<name> for each of several.
	Path string
	// Config is the top-level configuration with this API's overrides applied.
	Config *Config
}

var apiName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// APIList returns the APIs to serve: the top-level spec as the single API
// "default" at /mcp, or every entry of apis at /mcp/<name>.
func (c *Config) APIList() ([]API, error) {
	if len(c.APIs) == 0 {
		return []API{{Name: "default", Path: "/mcp", Config: c}}, nil
	}
	if c.Spec != "" || c.BaseURL != "" {
		return nil, c.errorf("apis", "set spec and base_url inside each apis entry, not at the top level as well")
	}
	seen := map[string]bool{}
	out := make([]API, 0, len(c.APIs))
	for i, a := range c.APIs {
		if !apiName.MatchString(a.Name) {
			return nil, c.errorf("apis", "entry %d: name %q must match %s (it becomes the path /mcp/<name>)", i+1, a.Name, apiName)
		}
		if seen[a.Name] {
			return nil, c.errorf("apis", "name %q is used twice", a.Name)
		}
		seen[a.Name] = true
		if a.Spec == "" {
			return nil, c.errorf("apis", "%s: spec is required", a.Name)
		}
		e := *c
		e.APIs = nil
		e.Spec, e.BaseURL = a.Spec, a.BaseURL
		if a.Refresh != nil {
			e.Refresh = *a.Refresh
		}
		if a.Tools != "" {
			e.Tools = a.Tools
		}
		if a.Filter != nil {
			e.Filter = *a.Filter
		}
		if a.Upstream != nil {
			e.Upstream = *a.Upstream
			if e.Upstream.Auth == "" {
				e.Upstream.Auth = "auto"
			}
		}
		if a.Scopes != nil {
			e.Scopes = *a.Scopes
			setIfEmpty(&e.Scopes.Read, "read")
			setIfEmpty(&e.Scopes.Write, "write")
			setIfEmpty(&e.Scopes.Admin, "admin")
		}
		if a.Responses != nil {
			e.Responses = *a.Responses
		}
		if a.Operations != nil {
			e.Operations = a.Operations
		}
		if err := e.validateAPI(); err != nil {
			return nil, fmt.Errorf("apis: %s: %w", a.Name, err)
		}
		out = append(out, API{Name: a.Name, Path: "/mcp/" + a.Name, Config: &e})
	}
	return out, nil
}

// validateAPI checks the settings an apis entry can change.
func (c *Config) validateAPI() error {
	if c.BaseURL != "" {
		if err := checkHTTPURL(c.BaseURL); err != nil {
			return c.errorf("base_url", "%v", err)
		}
	}
	switch c.Tools {
	case "all", "search", "auto":
	default:
		return c.errorf("tools", "invalid value %q: must be one of all, search, auto", c.Tools)
	}
	if err := c.FilterSpec().Validate(); err != nil {
		return c.errorf("filter", "%v", err)
	}
	return c.resolveUpstream()
}
