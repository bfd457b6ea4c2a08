// Package config defines every specgate setting once and loads it from, in
// increasing precedence, built-in defaults, a YAML config file, SPECGATE_*
// environment variables and command-line flags.
//
// A setting is a field of Config with a `key` tag (its dotted YAML path) and a
// `help` tag. The environment variable and the flag are derived from the key
// (serve.max_request_bytes -> SPECGATE_SERVE_MAX_REQUEST_BYTES and
// --serve-max-request-bytes), so the three sources cannot drift apart, and the
// README reference is generated from the same table (see Reference).
package config

import (
	"time"
)

// Config is the whole specgate configuration.
type Config struct {
	// ConfigFile is the YAML file the rest was read from (flag/env only).
	ConfigFile string `key:"config" yaml:"config" help:"YAML config file to read settings from" file:"-"`

	Spec    string `key:"spec" yaml:"spec" help:"OpenAPI/Swagger document: http(s) URL or file path; empty runs the built-in demo API"`
	BaseURL string `key:"base_url" yaml:"base_url" help:"upstream API base URL; default: the spec's servers[0] (resolved against the spec URL)"`

	Listen    string `key:"listen" yaml:"listen" default:"127.0.0.1:8080" help:"address to listen on"`
	PublicURL string `key:"public_url" yaml:"public_url" help:"externally visible base URL of specgate (issuer and resource for OAuth); default http://<listen>"`
	Auth      string `key:"auth" yaml:"auth" default:"oauth" enum:"none,oauth" help:"how MCP clients authenticate: oauth (built-in authorization server and login page) or none"`

	InsecureAllowPublicNoAuth bool `key:"insecure_allow_public_no_auth" yaml:"insecure_allow_public_no_auth" help:"allow --auth none on a non-loopback listen address"`

	Refresh          time.Duration `key:"refresh" yaml:"refresh" default:"5m" help:"how often to re-fetch the spec (conditional GET; jittered ±10%); 0 disables"`
	SpecTimeout      time.Duration `key:"spec_timeout" yaml:"spec_timeout" default:"30s" help:"timeout for fetching the spec"`
	SpecMaxBytes     int64         `key:"spec_max_bytes" yaml:"spec_max_bytes" default:"67108864" help:"largest spec document accepted, in bytes"`
	ExternalRefs     []string      `key:"allow_external_ref_hosts" yaml:"allow_external_ref_hosts" help:"hosts whose external $refs may be fetched (comma-separated); default none"`
	Tools            string        `key:"tools" yaml:"tools" default:"auto" enum:"all,search,auto" help:"how operations become MCP tools: all (one tool each), search (3 tools: search_operations, describe_operation, call_operation) or auto (all while the full tools/list stays within tools_token_budget, else search)"`
	ToolsTokenBudget int           `key:"tools_token_budget" yaml:"tools_token_budget" default:"20000" help:"auto mode: largest estimated size of the full tools/list, in tokens (JSON bytes/4), before switching to search"`
	ToolNameMaxLen   int           `key:"tool_name_max_length" yaml:"tool_name_max_length" default:"64" help:"longest tool name (1-64); e.g. 48 keeps Claude Code's mcp__<server>__<tool> short"`

	UpstreamTimeout    time.Duration `key:"upstream_timeout" yaml:"upstream_timeout" default:"60s" help:"timeout for one upstream API call"`
	MaxResponseBytes   int64         `key:"max_response_bytes" yaml:"max_response_bytes" default:"10485760" help:"largest upstream response read, in bytes"`
	MaxRequestBytes    int64         `key:"max_request_bytes" yaml:"max_request_bytes" default:"4194304" help:"largest MCP request body accepted, in bytes"`
	TrustedProxies     []string      `key:"trusted_proxies" yaml:"trusted_proxies" help:"CIDRs of load balancers whose X-Forwarded-For names the real client (login and registration throttles are per client IP), e.g. 10.0.0.0/8"`
	ToolCallsPerMinute int           `key:"tool_calls_per_minute" yaml:"tool_calls_per_minute" default:"600" help:"most tool calls per minute per sign-in (per server with --auth none), shared by replicas with a Redis store; 0 disables"`
	AllowedOrigins     []string      `key:"allowed_origins" yaml:"allowed_origins" help:"browser Origins allowed to call /mcp (comma-separated); requests from other Origins get 403"`

	Store       string `key:"store" yaml:"store" default:"memory" help:"where OAuth and login state lives: memory (one replica) or a Redis URL redis://[user:pass@]host:6379/0 (rediss:// for TLS) shared by every replica"`
	RedisPrefix string `key:"redis_prefix" yaml:"redis_prefix" default:"specgate:" help:"prefix of every Redis key and pub/sub channel; replicas of one deployment share it, separate deployments on one Redis must differ"`

	UsersFile    string `key:"users_file" yaml:"users_file" help:"YAML users file for the login page (create it with 'specgate users add'); required with --auth oauth unless running the demo"`
	DemoPassword string `key:"demo_password" yaml:"demo_password" help:"password of the demo user 'demo' (built-in demo only); default: random, printed at start-up"`

	APIs []APIConfig `key:"apis" yaml:"apis" help:"several APIs in one server, each at /mcp/<name>: a YAML list of {name, spec, base_url, refresh, tools, filter, upstream, scopes, operations, responses}; unset fields inherit the top-level settings (see README)"`

	Filter     FilterConfig               `key:"filter" yaml:"filter"`
	Responses  ResponsesConfig            `key:"responses" yaml:"responses"`
	Operations map[string]OperationConfig `key:"operations" yaml:"operations" help:"per-operation overrides keyed by operationId, tool name or \"METHOD /path\": name, description, hidden, max_array_items, max_string_bytes (YAML mapping; env/flag: YAML flow text, e.g. {createTask: {hidden: true}})"`

	Login    LoginConfig    `key:"login" yaml:"login"`
	Upstream UpstreamConfig `key:"upstream" yaml:"upstream"`

	OAuth  OAuthConfig  `key:"oauth" yaml:"oauth"`
	Scopes ScopesConfig `key:"scopes" yaml:"scopes"`

	Metrics       bool   `key:"metrics" yaml:"metrics" default:"true" help:"expose Prometheus metrics at /metrics"`
	MetricsListen string `key:"metrics_listen" yaml:"metrics_listen" help:"separate address for /metrics, e.g. 0.0.0.0:9090; empty serves it on the main listener"`
	AuditLog      string `key:"audit_log" yaml:"audit_log" help:"audit log of tool calls and OAuth grants as JSON lines: a file path, - for stdout, empty for none"`

	LogLevel  string `key:"log_level" yaml:"log_level" default:"info" enum:"debug,info,warn,error" help:"log level"`
	LogFormat string `key:"log_format" yaml:"log_format" default:"text" enum:"text,json" help:"log format"`
}

// APIConfig is one API of a multi-API server (Config.APIs). Every field
// left out inherits the top-level setting; a block that is given (filter,
// upstream, scopes, responses, operations) replaces the top-level block.
type APIConfig struct {
	Name       string                     `yaml:"name"`
	Spec       string                     `yaml:"spec"`
	BaseURL    string                     `yaml:"base_url"`
	Refresh    *time.Duration             `yaml:"refresh"`
	Tools      string                     `yaml:"tools"`
	Filter     *FilterConfig              `yaml:"filter"`
	Upstream   *UpstreamConfig            `yaml:"upstream"`
	Scopes     *ScopesConfig              `yaml:"scopes"`
	Responses  *ResponsesConfig           `yaml:"responses"`
	Operations map[string]OperationConfig `yaml:"operations"`
}

// OAuthConfig configures the built-in authorization server.
type OAuthConfig struct {
	Secret          string                  `key:"secret" yaml:"secret" help:"secret (at least 32 characters) from which token-signing and cookie keys are derived; must be the same on every replica; default: random per process (tokens do not survive a restart)"`
	SecretFile      string                  `key:"secret_file" yaml:"secret_file" help:"file holding the secret (instead of oauth.secret)"`
	AccessTokenTTL  time.Duration           `key:"access_token_ttl" yaml:"access_token_ttl" default:"1h" help:"lifetime of access tokens"`
	RefreshTokenTTL time.Duration           `key:"refresh_token_ttl" yaml:"refresh_token_ttl" default:"720h" help:"lifetime of refresh tokens"`
	RefreshGrace    time.Duration           `key:"refresh_grace" yaml:"refresh_grace" default:"30s" help:"how long a just-rotated refresh token still works (clients retry)"`
	LoginSession    time.Duration           `key:"login_session" yaml:"login_session" default:"12h" help:"how long a browser login lasts"`
	RememberConsent time.Duration           `key:"remember_consent" yaml:"remember_consent" default:"0s" help:"skip the consent page this long after a user approved the same scopes for the same client; 0 always asks"`
	TokenCacheTTL   time.Duration           `key:"token_cache_ttl" yaml:"token_cache_ttl" default:"5s" help:"how long a verified access token is trusted without a store lookup (revocations still apply at once on every replica through Redis pub/sub); 0 disables; at most 1m"`
	MaxClients      int                     `key:"max_clients" yaml:"max_clients" default:"10000" help:"most dynamically registered clients kept"`
	Clients         map[string]StaticClient `key:"clients" yaml:"clients" help:"pre-registered clients keyed by client_id: {name, redirect_uris, secret_hash (bcrypt; omit for a public client)} (YAML mapping; env/flag: YAML flow text)"`
	CIMD            bool                    `key:"cimd" yaml:"cimd" default:"true" help:"accept client ID metadata documents (https client_id URLs, used by Claude Code)"`
}

// LoginConfig says where the login page checks passwords.
type LoginConfig struct {
	Source        string              `key:"source" yaml:"source" default:"users_file" enum:"users_file,upstream" help:"where the login page checks passwords: the users file, or the API's own login endpoint (login.upstream.*), whose token then calls the API as that user"`
	VaultKeys     []string            `key:"vault_keys" yaml:"vault_keys" help:"base64 32-byte keys encrypting users' API tokens at rest, newest first (openssl rand -base64 32); keep old keys until their sessions end; default: derived from oauth.secret"`
	VaultKeysFile string              `key:"vault_keys_file" yaml:"vault_keys_file" help:"file holding login.vault_keys, one per line"`
	Upstream      UpstreamLoginConfig `key:"upstream" yaml:"upstream"`
}

// UpstreamLoginConfig describes the API's own login and refresh endpoints.
type UpstreamLoginConfig struct {
	Method              string              `key:"method" yaml:"method" default:"POST" enum:"POST,PUT,PATCH" help:"HTTP method of the API's login request"`
	Path                string              `key:"path" yaml:"path" default:"/auth/login" help:"login endpoint, relative to the API base URL (or an absolute http(s) URL)"`
	Body                string              `key:"body" yaml:"body" default:"json" enum:"json,form" help:"how username and password are sent"`
	UsernameField       string              `key:"username_field" yaml:"username_field" default:"username" help:"body field carrying the username"`
	PasswordField       string              `key:"password_field" yaml:"password_field" default:"password" help:"body field carrying the password"`
	ExtraFields         []string            `key:"extra_fields" yaml:"extra_fields" help:"fixed extra login fields as key=value, e.g. grant_type=password"`
	InvalidStatuses     []string            `key:"invalid_statuses" yaml:"invalid_statuses" default:"401,403" help:"login answers meaning 'wrong username or password' (add 400 for OAuth-style APIs); other non-2xx answers mean the login is unavailable"`
	TokenPointer        string              `key:"token_pointer" yaml:"token_pointer" default:"/access_token" help:"JSON pointer of the API token in the login response"`
	ExpiresInPointer    string              `key:"expires_in_pointer" yaml:"expires_in_pointer" default:"/expires_in" help:"JSON pointer of the token's lifetime in seconds (optional in the response)"`
	RefreshTokenPointer string              `key:"refresh_token_pointer" yaml:"refresh_token_pointer" default:"/refresh_token" help:"JSON pointer of the API refresh token (optional in the response)"`
	SubjectPointer      string              `key:"subject_pointer" yaml:"subject_pointer" help:"JSON pointer of a stable user id; default: the username as typed"`
	ScopesPointer       string              `key:"scopes_pointer" yaml:"scopes_pointer" help:"JSON pointer of the user's roles or scopes (a list or a space-separated string)"`
	ScopeMap            map[string][]string `key:"scope_map" yaml:"scope_map" help:"maps each role at scopes_pointer to the scopes it allows (YAML map of lists; env/flag: role=scope1 scope2,role2=scope3); empty: values are scopes"`
	DefaultScopes       []string            `key:"default_scopes" yaml:"default_scopes" help:"scopes of users whose response carries none; default: every scope"`
	RefreshPath         string              `key:"refresh_path" yaml:"refresh_path" help:"API token refresh endpoint (relative or absolute); empty: users log in again when the API token expires"`
	RefreshMethod       string              `key:"refresh_method" yaml:"refresh_method" default:"POST" help:"HTTP method of the refresh request"`
	RefreshBody         string              `key:"refresh_body" yaml:"refresh_body" enum:",json,form" help:"refresh body encoding; default: login.upstream.body"`
	RefreshTokenField   string              `key:"refresh_token_field" yaml:"refresh_token_field" default:"refresh_token" help:"body field carrying the refresh token"`
	RefreshExtraFields  []string            `key:"refresh_extra_fields" yaml:"refresh_extra_fields" help:"fixed extra refresh fields as key=value, e.g. grant_type=refresh_token"`
	Timeout             time.Duration       `key:"timeout" yaml:"timeout" default:"10s" help:"timeout of one login or refresh request"`
}

// UpstreamConfig says which credential specgate sends to the upstream API.
type UpstreamConfig struct {
	Auth              string `key:"auth" yaml:"auth" default:"auto" enum:"auto,none,static,user" help:"credential sent to the upstream API: static (one secret from upstream.secret_env or upstream.secret_file), user (each user's own token from the upstream login), none; auto is user with login.source=upstream, else none"`
	Header            string `key:"header" yaml:"header" help:"send the credential in this header; default: where the spec's securitySchemes put it, else Authorization"`
	Query             string `key:"query" yaml:"query" help:"send the credential in this query parameter instead"`
	Cookie            string `key:"cookie" yaml:"cookie" help:"send the credential in this cookie instead"`
	Basic             bool   `key:"basic" yaml:"basic" help:"send the credential as HTTP basic auth: the password of upstream.basic_user, or user:password in the secret itself"`
	BasicUser         string `key:"basic_user" yaml:"basic_user" help:"HTTP basic auth user name (implies upstream.basic); the credential is the password"`
	Template          string `key:"template" yaml:"template" help:"value sent, with {secret} (user mode also {token}) for the credential, e.g. \"Token {secret}\"; default \"Bearer {secret}\" for Authorization, else \"{secret}\""`
	SecretEnv         string `key:"secret_env" yaml:"secret_env" help:"name of the environment variable holding the static secret (never the secret itself in the config)"`
	SecretFile        string `key:"secret_file" yaml:"secret_file" help:"file holding the static secret; re-read when it changes"`
	ForwardUserHeader string `key:"forward_user_header" yaml:"forward_user_header" help:"send the signed-in user's name upstream in this header (e.g. X-Forwarded-User), for APIs that trust specgate"`
}

// FilterConfig chooses which operations become tools.
type FilterConfig struct {
	IncludeTags       []string `key:"include_tags" yaml:"include_tags" help:"expose only operations with one of these OpenAPI tags (comma-separated; * wildcard; case-insensitive)"`
	ExcludeTags       []string `key:"exclude_tags" yaml:"exclude_tags" help:"hide operations with any of these tags"`
	IncludeMethods    []string `key:"include_methods" yaml:"include_methods" help:"expose only these HTTP methods"`
	ExcludeMethods    []string `key:"exclude_methods" yaml:"exclude_methods" help:"hide these HTTP methods, e.g. DELETE"`
	IncludePaths      []string `key:"include_paths" yaml:"include_paths" help:"expose only paths matching these globs (* within a segment, ** any segments, e.g. /pets/**)"`
	ExcludePaths      []string `key:"exclude_paths" yaml:"exclude_paths" help:"hide paths matching these globs, e.g. /admin/**"`
	IncludeOperations []string `key:"include_operations" yaml:"include_operations" help:"expose only these operationIds or tool names (* wildcard)"`
	ExcludeOperations []string `key:"exclude_operations" yaml:"exclude_operations" help:"hide these operationIds or tool names (* wildcard)"`
}

// ResponsesConfig bounds what a tool result shows the agent.
type ResponsesConfig struct {
	MaxArrayItems  int   `key:"max_array_items" yaml:"max_array_items" default:"50" help:"entries kept per JSON array in tool results (a note says how to page for the rest); 0 keeps all"`
	MaxStringBytes int64 `key:"max_string_bytes" yaml:"max_string_bytes" default:"4096" help:"bytes kept per JSON string value in tool results; 0 keeps all"`
}

// OperationConfig overrides one operation (see Config.Operations).
type OperationConfig struct {
	Name           string `yaml:"name"`
	Description    string `yaml:"description"`
	Hidden         *bool  `yaml:"hidden"`
	MaxArrayItems  *int   `yaml:"max_array_items"`  // unset: server setting; 0: all
	MaxStringBytes *int   `yaml:"max_string_bytes"` // unset: server setting; 0: all
}

// StaticClient is an OAuth client defined in the configuration.
type StaticClient struct {
	Name         string   `yaml:"name"`
	RedirectURIs []string `yaml:"redirect_uris"`
	SecretHash   string   `yaml:"secret_hash"`
}

// ScopesConfig names the OAuth scopes operations require when the spec
// declares none, and overrides them.
type ScopesConfig struct {
	Read       string              `key:"read" yaml:"read" default:"read" help:"scope required by GET/HEAD operations when the spec declares none"`
	Write      string              `key:"write" yaml:"write" default:"write" help:"scope required by POST/PUT/PATCH operations when the spec declares none"`
	Admin      string              `key:"admin" yaml:"admin" default:"admin" help:"scope required by DELETE operations when the spec declares none"`
	Operations map[string][]string `key:"operations" yaml:"operations" help:"scopes per tool name or operationId, overriding the spec (YAML map of lists; env/flag: name=scope1 scope2,name2=scope3)"`
	Tags       map[string][]string `key:"tags" yaml:"tags" help:"scopes per OpenAPI tag, overriding the spec (same format as scopes.operations)"`
}

// Duration is re-exported for callers that build Config values in tests.
type Duration = time.Duration
