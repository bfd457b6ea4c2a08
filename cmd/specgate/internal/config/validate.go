package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"
)

// Validate checks settings that depend on each other and fills derived
// defaults (PublicURL). Every error names the setting.
func (c *Config) Validate() error {
	if c.ToolNameMaxLen < 1 || c.ToolNameMaxLen > 64 {
		return c.errorf("tool_name_max_length", "must be between 1 and 64, got %d", c.ToolNameMaxLen)
	}
	if c.MaxRequestBytes < 1024 {
		return c.errorf("max_request_bytes", "must be at least 1024, got %d", c.MaxRequestBytes)
	}
	if c.MaxResponseBytes < 1024 {
		return c.errorf("max_response_bytes", "must be at least 1024, got %d", c.MaxResponseBytes)
	}
	if c.UpstreamTimeout <= 0 {
		return c.errorf("upstream_timeout", "must be positive")
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return c.errorf("listen", "%q is not host:port: %v", c.Listen, err)
	}
	if c.BaseURL != "" {
		if err := checkHTTPURL(c.BaseURL); err != nil {
			return c.errorf("base_url", "%v", err)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.PublicURL == "" {
		h := host
		if h == "" || h == "0.0.0.0" || h == "::" {
			h = "127.0.0.1"
		}
		_, port, _ := net.SplitHostPort(c.Listen)
		c.PublicURL = "http://" + net.JoinHostPort(h, port)
	}
	if err := checkHTTPURL(c.PublicURL); err != nil {
		return c.errorf("public_url", "%v", err)
	}
	u, _ := url.Parse(c.PublicURL)
	if u.Path != "" && u.Path != "/" {
		return c.errorf("public_url", "%q must not have a path (specgate serves at the root of its origin)", c.PublicURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return c.errorf("public_url", "%q must not have a query or fragment", c.PublicURL)
	}
	c.PublicURL = strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host)
	if err := c.resolveUpstream(); err != nil {
		return err
	}
	if c.Login.Source == "upstream" && c.Auth != "oauth" {
		return c.errorf("login.source", "upstream is the login page's password check, which needs --auth oauth")
	}
	if c.Login.Source == "upstream" && c.UsersFile != "" {
		return c.errorf("users_file", "not used with --login-source upstream (the API checks passwords)")
	}
	if c.Login.VaultKeysFile != "" {
		data, err := os.ReadFile(c.Login.VaultKeysFile)
		if err != nil {
			return c.errorf("login.vault_keys_file", "%v", err)
		}
		c.Login.VaultKeys = append(c.Login.VaultKeys, strings.Fields(string(data))...)
	}
	if c.Spec == "" && c.Login.Source == "upstream" {
		// The built-in demo API's login: roles map to the demo scopes.
		u := &c.Login.Upstream
		setIfEmpty(&u.RefreshPath, "/auth/refresh")
		setIfEmpty(&u.SubjectPointer, "/user/username")
		setIfEmpty(&u.ScopesPointer, "/user/roles")
		if len(u.ScopeMap) == 0 {
			u.ScopeMap = map[string][]string{
				"admin":  {"tasks:read", "tasks:write", "tasks:delete"},
				"editor": {"tasks:read", "tasks:write"},
				"viewer": {"tasks:read"},
			}
		}
	}
	if c.Store != "memory" && !strings.HasPrefix(c.Store, "redis://") && !strings.HasPrefix(c.Store, "rediss://") {
		return c.errorf("store", "must be memory or a redis:// or rediss:// URL")
	}
	if c.OAuth.TokenCacheTTL > time.Minute {
		return c.errorf("oauth.token_cache_ttl", "at most 1m, got %v", c.OAuth.TokenCacheTTL)
	}
	for _, cidr := range c.TrustedProxies {
		if _, err := netip.ParsePrefix(cidr); err != nil {
			if _, err2 := netip.ParseAddr(cidr); err2 != nil {
				return c.errorf("trusted_proxies", "%q is not a CIDR or IP address", cidr)
			}
		}
	}
	if c.Responses.MaxArrayItems < 0 {
		return c.errorf("responses.max_array_items", "must not be negative (0 keeps all)")
	}
	if c.Responses.MaxStringBytes < 0 {
		return c.errorf("responses.max_string_bytes", "must not be negative (0 keeps all)")
	}
	if err := c.FilterSpec().Validate(); err != nil {
		return c.errorf("filter", "%v", err)
	}
	if _, err := c.APIList(); err != nil {
		return err
	}
	if c.OAuth.Secret != "" && c.OAuth.SecretFile != "" {
		return c.errorf("oauth.secret", "set either oauth.secret or oauth.secret_file, not both")
	}
	if c.OAuth.SecretFile != "" {
		data, err := os.ReadFile(c.OAuth.SecretFile)
		if err != nil {
			return c.errorf("oauth.secret_file", "%v", err)
		}
		c.OAuth.Secret = strings.TrimSpace(string(data))
	}
	if c.OAuth.Secret != "" && len(c.OAuth.Secret) < 32 {
		return c.errorf("oauth.secret", "must be at least 32 characters, got %d", len(c.OAuth.Secret))
	}
	if c.DemoPassword != "" && c.Spec != "" {
		return c.errorf("demo_password", "only applies to the built-in demo (no --spec)")
	}
	for _, o := range c.AllowedOrigins {
		if o == "*" {
			continue
		}
		if err := checkHTTPURL(o); err != nil {
			return c.errorf("allowed_origins", "%q: %v", o, err)
		}
	}
	return nil
}

func (c *Config) errorf(key, format string, args ...any) error {
	for _, s := range Settings() {
		if s.Key == key {
			return &Error{Setting: s, Source: "value", Err: fmt.Errorf(format, args...)}
		}
	}
	return fmt.Errorf("config: %s: %s", key, fmt.Sprintf(format, args...))
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("invalid URL %q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return errors.New("invalid URL " + fmt.Sprintf("%q", raw) + ": missing host")
	}
	if u.User != nil {
		return fmt.Errorf("invalid URL %q: credentials in URLs are not allowed", raw)
	}
	return nil
}

// redactURL hides a password in a store URL.
func redactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return "(unparsable URL)"
}

// resolveUpstream turns upstream.auth "auto" into its meaning and checks
// that per-user credentials have an upstream login to come from.
func (c *Config) resolveUpstream() error {
	if c.Upstream.Auth == "auto" {
		c.Upstream.Auth = "none"
		if c.Login.Source == "upstream" {
			c.Upstream.Auth = "user"
		}
	}
	switch c.Upstream.Auth {
	case "none", "static", "user":
	default:
		return c.errorf("upstream.auth", "invalid value %q: must be one of auto, none, static, user", c.Upstream.Auth)
	}
	if c.Upstream.Auth == "user" && (c.Auth != "oauth" || c.Login.Source != "upstream") {
		return c.errorf("upstream.auth", "user sends each signed-in user's own API token, which needs --auth oauth and --login-source upstream")
	}
	return nil
}

func setIfEmpty(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// ValidateServe adds the checks that matter only when serving: Validate
// first, then authentication settings.
func (c *Config) ValidateServe() error {
	if err := c.Validate(); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(c.Listen)
	if c.Auth == "none" && !IsLoopbackHost(host) && !c.InsecureAllowPublicNoAuth {
		return c.errorf("auth", "--auth none on the non-loopback address %s would expose the API to anyone; listen on 127.0.0.1, use --auth oauth, or set --insecure-allow-public-no-auth", c.Listen)
	}
	if c.Store != "memory" && c.Auth == "oauth" && c.OAuth.Secret == "" {
		return c.errorf("oauth.secret", "a shared store (--store %s) needs the same secret on every replica: set SPECGATE_OAUTH_SECRET or oauth.secret_file (at least 32 characters)", redactURL(c.Store))
	}
	if c.Auth == "oauth" && c.Spec != "" && c.UsersFile == "" && c.Login.Source == "users_file" {
		return c.errorf("users_file", "--auth oauth needs a users file for the login page: create one with 'specgate users add NAME --users-file users.yaml' and pass --users-file")
	}
	return nil
}

// IsLoopbackHost reports whether host (no port) is localhost or a loopback IP.
func IsLoopbackHost(host string) bool {
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
