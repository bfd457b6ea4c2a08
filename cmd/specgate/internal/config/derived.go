package config

import (
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/filter"
)

// FilterSpec returns the operation filter the settings describe.
func (c *Config) FilterSpec() filter.Filter {
	f := c.Filter
	return filter.Filter{
		IncludeTags: f.IncludeTags, ExcludeTags: f.ExcludeTags,
		IncludeMethods: f.IncludeMethods, ExcludeMethods: f.ExcludeMethods,
		IncludePaths: f.IncludePaths, ExcludePaths: f.ExcludePaths,
		IncludeOperations: f.IncludeOperations, ExcludeOperations: f.ExcludeOperations,
	}
}

// ConvertOverrides returns the per-operation overrides for the converter.
func (c *Config) ConvertOverrides() map[string]convert.OperationOverride {
	if len(c.Operations) == 0 {
		return nil
	}
	out := make(map[string]convert.OperationOverride, len(c.Operations))
	for k, o := range c.Operations {
		out[k] = convert.OperationOverride{
			Name: o.Name, Description: o.Description, Hidden: o.Hidden,
			MaxArrayItems: opLimit(o.MaxArrayItems), MaxStringBytes: opLimit(o.MaxStringBytes),
		}
	}
	return out
}

// opLimit maps "unset" to the forwarder's 0 (server setting) and the
// config's 0 ("keep all") to the forwarder's negative value.
func opLimit(p *int) int {
	if p == nil {
		return 0
	}
	if *p == 0 {
		return -1
	}
	return *p
}

// ResponseLimits returns the forwarder's MaxArrayItems and MaxStringBytes.
func (c *Config) ResponseLimits() (arrays, strings int) {
	arrays, strings = c.Responses.MaxArrayItems, int(c.Responses.MaxStringBytes)
	if arrays == 0 {
		arrays = -1
	}
	if strings == 0 {
		strings = -1
	}
	return arrays, strings
}
