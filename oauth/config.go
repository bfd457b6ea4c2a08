package oauth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/specgate/specgate/oauth/throttle"
	"github.com/specgate/specgate/oauth/vault"
)

// Config configures the authorization server. Zero values get the defaults
// named on each field; New validates the result and reports every problem.
type Config struct {
	// PublicURL is the externally visible base URL, e.g. https://mcp.example.com.
	// It is canonicalised (lower-case scheme and host, default port and
	// trailing slash dropped) and becomes the issuer. Required; http only for
	// loopback hosts unless AllowInsecureHTTP.
	PublicURL string
	// MCPPath is the path of the MCP endpoint; default "/mcp". The protected
	// resource is PublicURL+MCPPath. Ignored when Resources is set.
	MCPPath string
	// ScopesSupported returns the scopes the server currently offers (it may
	// change when the spec is reloaded). "offline_access" is added where
	// clients need it. Required unless Resources is set (then ignored).
	ScopesSupported func() []string
	// Resources are the protected MCP endpoints when the server hosts
	// several APIs (each at its own path, e.g. /mcp/tasks); the first is
	// the default one (RequireBearer, WriteInsufficientScope). Empty means
	// one resource made of MCPPath and ScopesSupported.
	//
	// With two or more resources every authorization must name one of them
	// with the resource parameter (RFC 8707) and its tokens are valid for
	// that one only; the bare PublicURL is no resource then. With exactly
	// one, the resource parameter may be omitted and the PublicURL is
	// accepted as an alias of it (as with MCPPath).
	Resources []ResourceConfig
	// DescribeScope returns a one-line description of a scope for the consent
	// page; nil shows the bare scope names.
	DescribeScope func(scope string) string
	// ProductName is shown on pages and as PRM resource_name; default "specgate".
	ProductName string

	// Lifetimes of tokens, codes and sessions.
	Lifetimes Lifetimes
	// RefreshGraceWindow is how long a just-rotated refresh token may still be
	// redeemed (clients retry and race); default 30s, negative disables it.
	RefreshGraceWindow time.Duration
	// RememberConsent skips the consent page for this long after a user
	// approved the same (or a wider) set of scopes for the same client, unless
	// the request says prompt=consent; 0 always asks.
	RememberConsent time.Duration
	// TokenCacheTTL is how long a verified access token is remembered, so
	// most bearer checks cost no store round trip; 0 (the default) disables
	// the cache, at most 1m. Revocations drop entries at once on this
	// replica and, through RevocationFeed, on the others.
	TokenCacheTTL time.Duration
	// TokenCacheSize caps the cached tokens; default DefaultTokenCacheSize.
	TokenCacheSize int
	// RevocationFeed carries revocations between replicas sharing a store;
	// required for the cache when there are several replicas (nil: this
	// replica's own revocations only). See Server.ListenRevocations.
	RevocationFeed RevocationFeed

	// GlobalSecret signs tokens and codes (HMAC); at least 32 bytes, keep it
	// stable across restarts and replicas. RotatedGlobalSecrets still
	// validate tokens signed with an earlier secret.
	GlobalSecret         []byte
	RotatedGlobalSecrets [][]byte
	// CookieHashKey (32 or 64 bytes) authenticates and CookieBlockKey (16, 24
	// or 32 bytes, AES) encrypts the login session cookie.
	CookieHashKey, CookieBlockKey []byte

	// StaticClients are pre-registered clients from the configuration.
	StaticClients []StaticClient
	// MaxClients caps dynamically registered clients; default 10000.
	MaxClients int
	// MaxRegistrationBytes caps a registration request body; default 64 KiB.
	MaxRegistrationBytes int64

	// Throttles limit logins and registrations; nil members get in-memory
	// defaults (10 logins per user and 50 per IP per 15 minutes, 30
	// registrations per IP per hour).
	Throttles Throttles
	// CIMD configures client ID metadata documents.
	CIMD CIMDOptions
	// ClientIP extracts the caller's IP for throttling; default: the host of
	// r.RemoteAddr. Set it when running behind a trusted reverse proxy.
	ClientIP func(r *http.Request) string
	// Vault encrypts the users' upstream credentials at rest (see
	// authn.Identity.Upstream and Server.UpstreamCredential). Required when
	// the authenticator returns upstream credentials (upstream-login); nil
	// makes such logins fail.
	Vault *vault.Keyring
	// UpstreamRefresher renews expired upstream credentials; nil means an
	// expired one requires a new login. Needs Vault.
	UpstreamRefresher UpstreamRefresher
	// AllowInsecureHTTP permits an http PublicURL on a non-loopback host
	// (cookies then lose the Secure flag). Only for testing setups.
	AllowInsecureHTTP bool
	// Logger receives structured logs; nil discards them.
	Logger *slog.Logger
	// OnEvent, if set, is told about tokens issued, refreshed and revoked and
	// about logins and registrations (metrics, audit log). It runs on the
	// request path, so it must be quick. See Event.
	OnEvent func(ctx context.Context, e Event)
}

// ResourceConfig is one protected MCP endpoint (one API) of the server.
type ResourceConfig struct {
	// Path is the endpoint's path, e.g. "/mcp/tasks"; the resource is
	// PublicURL+Path and its protected resource metadata is served at
	// /.well-known/oauth-protected-resource+Path. Required, unique.
	Path string
	// Name is shown on the consent page and as PRM resource_name, e.g.
	// "Team Tasks (tasks)"; default Config.ProductName.
	Name string
	// Scopes returns the scopes this API currently offers, without
	// offline_access (it is added where clients need it). Required.
	Scopes func() []string
	// DescribeScope describes a scope of this API on the consent page; nil
	// means Config.DescribeScope.
	DescribeScope func(scope string) string
}

// Lifetimes are durations of the server's artefacts; zero means the default.
type Lifetimes struct {
	AccessToken          time.Duration // default 1h
	RefreshToken         time.Duration // default 30 days
	AuthorizeCode        time.Duration // default 10m
	PendingAuthorization time.Duration // login+consent must finish within; default 10m
	LoginSession         time.Duration // browser login session; default 12h
	// UnusedClient is how long a registered client that never obtained a
	// token is kept, and the minimum kept after its last token; default 30 days.
	UnusedClient time.Duration
}

// Throttles are the rate limiters the server consults.
type Throttles struct {
	LoginPerUser  throttle.Limiter
	LoginPerIP    throttle.Limiter
	RegisterPerIP throttle.Limiter
}

// StaticClient is a client defined in the configuration.
type StaticClient struct {
	ID string
	// SecretHash is the bcrypt hash of the client secret; empty makes the
	// client public (token_endpoint_auth_method "none").
	SecretHash   string
	RedirectURIs []string
	Name         string
}

// CIMDOptions configures fetching of client ID metadata documents: an https
// client_id with a path is the URL of a JSON document describing the client.
type CIMDOptions struct {
	// Disabled turns CIMD off (and stops advertising it).
	Disabled bool
	// Timeout bounds one fetch; default 5s.
	Timeout time.Duration
	// MaxBytes caps a document; default 64 KiB.
	MaxBytes int64
	// CacheSize is how many documents are cached; default 1000.
	CacheSize int
	// MinCacheTTL and MaxCacheTTL bound how long a document is cached
	// (Cache-Control max-age is honoured within them); defaults 5m and 24h.
	// Documents without max-age are cached for MinCacheTTL.
	MinCacheTTL, MaxCacheTTL time.Duration
	// AddressAllowed decides which resolved IP addresses may be dialled; nil
	// allows only public unicast addresses. Tests allow loopback here.
	AddressAllowed func(netip.Addr) bool
	// RootCAs verifies server certificates; nil uses the system roots.
	RootCAs *x509.CertPool
}

const offlineAccess = "offline_access"

// withDefaults returns cfg with defaults filled in.
func (cfg Config) withDefaults() Config {
	setDur := func(d *time.Duration, def time.Duration) {
		if *d == 0 {
			*d = def
		}
	}
	if cfg.MCPPath == "" {
		cfg.MCPPath = "/mcp"
	}
	if cfg.ProductName == "" {
		cfg.ProductName = "specgate"
	}
	lt := &cfg.Lifetimes
	setDur(&lt.AccessToken, time.Hour)
	setDur(&lt.RefreshToken, 30*24*time.Hour)
	setDur(&lt.AuthorizeCode, 10*time.Minute)
	setDur(&lt.PendingAuthorization, 10*time.Minute)
	setDur(&lt.LoginSession, 12*time.Hour)
	setDur(&lt.UnusedClient, 30*24*time.Hour)
	setDur(&cfg.RefreshGraceWindow, 30*time.Second)
	if cfg.MaxClients == 0 {
		cfg.MaxClients = 10000
	}
	if cfg.MaxRegistrationBytes == 0 {
		cfg.MaxRegistrationBytes = 64 << 10
	}
	if cfg.TokenCacheSize == 0 {
		cfg.TokenCacheSize = DefaultTokenCacheSize
	}
	c := &cfg.CIMD
	setDur(&c.Timeout, 5*time.Second)
	setDur(&c.MinCacheTTL, 5*time.Minute)
	setDur(&c.MaxCacheTTL, 24*time.Hour)
	if c.MaxBytes == 0 {
		c.MaxBytes = 64 << 10
	}
	if c.CacheSize == 0 {
		c.CacheSize = 1000
	}
	if c.AddressAllowed == nil {
		c.AddressAllowed = publicAddress
	}
	if cfg.Throttles.LoginPerUser == nil {
		cfg.Throttles.LoginPerUser = throttle.NewMemory(10, 15*time.Minute)
	}
	if cfg.Throttles.LoginPerIP == nil {
		cfg.Throttles.LoginPerIP = throttle.NewMemory(50, 15*time.Minute)
	}
	if cfg.Throttles.RegisterPerIP == nil {
		cfg.Throttles.RegisterPerIP = throttle.NewMemory(30, time.Hour)
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = remoteIP
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// validate reports every problem of a defaulted config at once.
func (cfg Config) validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if _, err := canonicalPublicURL(cfg.PublicURL, cfg.AllowInsecureHTTP); err != nil {
		errs = append(errs, err)
	}
	if len(cfg.Resources) == 0 {
		if err := validMCPPath("MCPPath", cfg.MCPPath); err != nil {
			errs = append(errs, err)
		}
		if cfg.ScopesSupported == nil {
			bad("oauth: ScopesSupported is required")
		}
	}
	paths := map[string]bool{}
	for i, rc := range cfg.Resources {
		where := fmt.Sprintf("Resources[%d].Path", i)
		if err := validMCPPath(where, rc.Path); err != nil {
			errs = append(errs, err)
		}
		if paths[rc.Path] {
			bad("oauth: %s %q is listed twice", where, rc.Path)
		}
		paths[rc.Path] = true
		if rc.Scopes == nil {
			bad("oauth: Resources[%d] (%s): Scopes is required", i, rc.Path)
		}
	}
	if len(cfg.GlobalSecret) < 32 {
		bad("oauth: GlobalSecret must be at least 32 bytes, got %d", len(cfg.GlobalSecret))
	}
	for i, s := range cfg.RotatedGlobalSecrets {
		if len(s) < 32 {
			bad("oauth: RotatedGlobalSecrets[%d] must be at least 32 bytes, got %d", i, len(s))
		}
	}
	if n := len(cfg.CookieHashKey); n != 32 && n != 64 {
		bad("oauth: CookieHashKey must be 32 or 64 bytes, got %d", n)
	}
	if n := len(cfg.CookieBlockKey); n != 16 && n != 24 && n != 32 {
		bad("oauth: CookieBlockKey must be 16, 24 or 32 bytes, got %d", n)
	}
	lt := cfg.Lifetimes
	for name, d := range map[string]time.Duration{
		"AccessToken": lt.AccessToken, "RefreshToken": lt.RefreshToken, "AuthorizeCode": lt.AuthorizeCode,
		"PendingAuthorization": lt.PendingAuthorization, "LoginSession": lt.LoginSession, "UnusedClient": lt.UnusedClient,
	} {
		if d < time.Second {
			bad("oauth: Lifetimes.%s must be at least 1s, got %v", name, d)
		}
	}
	if lt.AccessToken > lt.RefreshToken {
		bad("oauth: Lifetimes.AccessToken (%v) must not exceed Lifetimes.RefreshToken (%v)", lt.AccessToken, lt.RefreshToken)
	}
	if cfg.RefreshGraceWindow > 10*time.Minute {
		bad("oauth: RefreshGraceWindow %v is longer than 10m; it exists for retries and races only", cfg.RefreshGraceWindow)
	}
	if cfg.UpstreamRefresher != nil && cfg.Vault == nil {
		bad("oauth: UpstreamRefresher needs a Vault to keep upstream credentials in")
	}
	if cfg.RememberConsent < 0 {
		bad("oauth: RememberConsent must not be negative")
	}
	if cfg.TokenCacheTTL < 0 || cfg.TokenCacheTTL > time.Minute || cfg.TokenCacheSize < 1 {
		bad("oauth: TokenCacheTTL must be 0..1m and TokenCacheSize positive, got %v and %d", cfg.TokenCacheTTL, cfg.TokenCacheSize)
	}
	if cfg.MaxClients < 0 {
		bad("oauth: MaxClients must not be negative")
	}
	if cfg.MaxRegistrationBytes < 1024 {
		bad("oauth: MaxRegistrationBytes must be at least 1024, got %d", cfg.MaxRegistrationBytes)
	}
	c := cfg.CIMD
	if c.Timeout < 0 || c.MaxBytes < 1024 || c.CacheSize < 1 || c.MinCacheTTL <= 0 || c.MaxCacheTTL < c.MinCacheTTL {
		bad("oauth: CIMD options invalid (timeout %v, max bytes %d, cache size %d, cache TTL %v..%v)",
			c.Timeout, c.MaxBytes, c.CacheSize, c.MinCacheTTL, c.MaxCacheTTL)
	}
	seen := map[string]bool{}
	for i, sc := range cfg.StaticClients {
		where := fmt.Sprintf("oauth: StaticClients[%d] (%q)", i, sc.ID)
		switch {
		case strings.TrimSpace(sc.ID) == "" || sc.ID != strings.TrimSpace(sc.ID):
			bad("%s: ID must be non-empty without surrounding spaces", where)
		case strings.Contains(sc.ID, "://"):
			bad("%s: ID must not be a URL (URLs are client ID metadata documents)", where)
		case seen[sc.ID]:
			bad("%s: duplicate ID", where)
		}
		seen[sc.ID] = true
		if len(sc.RedirectURIs) == 0 {
			bad("%s: at least one redirect URI is required", where)
		}
		for _, u := range sc.RedirectURIs {
			if err := validRedirectURI(u); err != nil {
				bad("%s: %w", where, err)
			}
		}
		if sc.SecretHash != "" {
			if _, err := bcrypt.Cost([]byte(sc.SecretHash)); err != nil {
				bad("%s: SecretHash is not a bcrypt hash: %w", where, err)
			}
		}
	}
	return errors.Join(errs...)
}

// canonicalPublicURL validates and canonicalises the public base URL.
func canonicalPublicURL(raw string, allowInsecure bool) (string, error) {
	if raw == "" {
		return "", errors.New("oauth: PublicURL is required")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("oauth: PublicURL %q: %w", raw, err)
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return "", fmt.Errorf("oauth: PublicURL %q: scheme must be https or http", raw)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", fmt.Errorf("oauth: PublicURL %q must be scheme://host[:port] without user info, query or fragment", raw)
	}
	if u.Path != "" && u.Path != "/" {
		return "", fmt.Errorf("oauth: PublicURL %q must not have a path (the issuer is the origin)", raw)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if scheme == "http" && !allowInsecure && !isLoopbackHost(host) {
		return "", fmt.Errorf("oauth: PublicURL %q uses http on a non-loopback host; use https (or AllowInsecureHTTP for tests)", raw)
	}
	hostport := host
	if strings.Contains(host, ":") {
		hostport = "[" + host + "]"
	}
	if port != "" {
		hostport = net.JoinHostPort(host, port)
	}
	return scheme + "://" + hostport, nil
}

// isLoopbackHost reports whether host (no port, no brackets) is localhost or a
// loopback IP literal.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

// remoteIP is the default Config.ClientIP.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
