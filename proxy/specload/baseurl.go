package specload

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// BaseURL returns the upstream base URL: the first server's URL with its
// variables set to their defaults, resolved against the spec's URL when it
// is relative, without a trailing slash. A spec without servers has the
// OpenAPI default server "/" (for Swagger 2.0 without host, openapi2conv
// emits basePath alone, which is relative too). A relative server URL in a
// spec read from a file has nothing to resolve against: that is an error
// asking for --base-url.
func (d *Document) BaseURL() (string, error) {
	if d == nil || d.Spec == nil {
		return "", errors.New("base URL: no document")
	}
	raw := "/"
	if s := d.Spec.Servers; len(s) > 0 && s[0] != nil && strings.TrimSpace(s[0].URL) != "" {
		var err error
		if raw, err = substituteVariables(s[0].URL, func(name string) (string, bool) {
			v := s[0].Variables[name]
			if v == nil {
				return "", false
			}
			return v.Default, true
		}); err != nil {
			return "", fmt.Errorf("base URL of spec %s: %w", redact(d.Source), err)
		}
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("base URL of spec %s: invalid server URL %q: %w", redact(d.Source), raw, err)
	}
	if !u.IsAbs() {
		src, _ := parseSource(d.Source)
		if src == nil || src.url == nil {
			return "", fmt.Errorf("base URL of spec %s: the server URL %q is relative and the spec was not loaded from a URL: set --base-url", redact(d.Source), raw)
		}
		base := *src.url
		base.User = nil
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("base URL of spec %s: server URL %q is not http or https: set --base-url", redact(d.Source), u.Redacted())
	}
	if u.Host == "" {
		return "", fmt.Errorf("base URL of spec %s: server URL %q has no host: set --base-url", redact(d.Source), raw)
	}
	u.Fragment, u.RawFragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// substituteVariables replaces every {name} in a server URL.
func substituteVariables(raw string, value func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for {
		open := strings.IndexByte(raw, '{')
		if open < 0 {
			b.WriteString(raw)
			return b.String(), nil
		}
		end := strings.IndexByte(raw[open:], '}')
		if end < 0 {
			return "", fmt.Errorf("server URL %q has an unclosed {", raw)
		}
		name := raw[open+1 : open+end]
		v, ok := value(name)
		if !ok {
			return "", fmt.Errorf("server URL variable {%s} is not defined", name)
		}
		b.WriteString(raw[:open])
		b.WriteString(v)
		raw = raw[open+end+1:]
	}
}
