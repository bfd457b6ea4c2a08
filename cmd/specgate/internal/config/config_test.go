package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func load(t *testing.T, args []string, env map[string]string, file string) (*Config, error) {
	t.Helper()
	fs := FlagSet("test")
	if file != "" {
		p := filepath.Join(t.TempDir(), "specgate.yaml")
		if err := os.WriteFile(p, []byte(file), 0o600); err != nil {
			t.Fatal(err)
		}
		args = append(args, "--config", p)
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	return Load(fs, func(k string) string { return env[k] })
}

func TestPrecedence(t *testing.T) {
	file := "listen: 127.0.0.1:7000\nrefresh: 1m\nupstream_timeout: 5s\nallowed_origins: [http://a.example, http://b.example]\n"
	env := map[string]string{"SPECGATE_REFRESH": "2m", "SPECGATE_UPSTREAM_TIMEOUT": "7s"}
	cfg, err := load(t, []string{"--upstream-timeout", "9s"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" {
		t.Errorf("listen from file: got %q", cfg.Listen)
	}
	if cfg.Refresh != 2*time.Minute {
		t.Errorf("env must beat file: refresh = %v", cfg.Refresh)
	}
	if cfg.UpstreamTimeout != 9*time.Second {
		t.Errorf("flag must beat env: upstream_timeout = %v", cfg.UpstreamTimeout)
	}
	if got := strings.Join(cfg.AllowedOrigins, " "); got != "http://a.example http://b.example" {
		t.Errorf("allowed_origins = %q", got)
	}
	if cfg.MaxRequestBytes != 4<<20 {
		t.Errorf("default max_request_bytes = %d", cfg.MaxRequestBytes)
	}
}

func TestErrorsNameTheKey(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		file string
		want string
	}{
		{"bad duration flag", []string{"--refresh", "soon"}, nil, "", "config: refresh (flag --refresh): invalid duration"},
		{"bad duration env", nil, map[string]string{"SPECGATE_UPSTREAM_TIMEOUT": "x"}, "", "upstream_timeout (env SPECGATE_UPSTREAM_TIMEOUT)"},
		{"unknown file key", nil, nil, "listen: 127.0.0.1:1\nlisten_adress: x\n", `:2: unknown key "listen_adress"`},
		{"bad enum", []string{"--auth", "basic"}, nil, "", "must be one of none, oauth"},
		{"bad bool in file", nil, nil, "insecure_allow_public_no_auth: maybe\n", "insecure_allow_public_no_auth (file"},
		{"mapping where value expected", nil, nil, "listen:\n  a: b\n", "expected a single value"},
		{"bad size", []string{"--max-request-bytes", "lots"}, nil, "", "invalid size"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := load(t, c.args, c.env, c.file)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string // empty: valid
	}{
		{"defaults", nil, ""},
		{"public no auth refused", []string{"--listen", "0.0.0.0:8080", "--auth", "none"}, "--insecure-allow-public-no-auth"},
		{"public no auth allowed", []string{"--listen", "0.0.0.0:8080", "--auth", "none", "--insecure-allow-public-no-auth"}, ""},
		{"oauth needs users file", []string{"--spec", "x.yaml"}, "needs a users file"},
		{"oauth with users file", []string{"--spec", "x.yaml", "--users-file", "u.yaml"}, ""},
		{"short secret", []string{"--oauth-secret", "short"}, "at least 32 characters"},
		{"demo password needs demo", []string{"--spec", "x.yaml", "--auth", "none", "--demo-password", "pw"}, "only applies to the built-in demo"},
		{"public with oauth", []string{"--listen", "0.0.0.0:8080", "--auth", "oauth"}, ""},
		{"name length", []string{"--tool-name-max-length", "80"}, "between 1 and 64"},
		{"public url path", []string{"--public-url", "https://x.example/base"}, "must not have a path"},
		{"base url scheme", []string{"--base-url", "ftp://x"}, "scheme must be http or https"},
		{"listen", []string{"--listen", "8080"}, "not host:port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := load(t, c.args, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			err = cfg.ValidateServe()
			if c.want == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("error = %v, want %q", err, c.want)
			}
		})
	}
}

func TestPublicURLDerived(t *testing.T) {
	cfg, _ := load(t, []string{"--listen", "0.0.0.0:9000", "--auth", "oauth"}, nil, "")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "http://127.0.0.1:9000" {
		t.Fatalf("public url = %q", cfg.PublicURL)
	}
	cfg, _ = load(t, []string{"--public-url", "HTTPS://MCP.Example.COM/"}, nil, "")
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://mcp.example.com" {
		t.Fatalf("public url not canonical: %q", cfg.PublicURL)
	}
}

func TestSpellingsAgree(t *testing.T) {
	for _, s := range Settings() {
		want := "SPECGATE_" + strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(s.Key, ".", "_"), "-", "_"))
		if s.Env != want || strings.ReplaceAll(s.Flag, "-", "_") != strings.ReplaceAll(s.Key, ".", "_") {
			t.Errorf("setting %s: env %s flag %s disagree", s.Key, s.Env, s.Flag)
		}
		if s.Help == "" {
			t.Errorf("setting %s has no help", s.Key)
		}
	}
}

// TestReadmeReference keeps the README's configuration table generated from
// the settings: run `go test ./cmd/specgate/internal/config -update-readme`
// after changing a setting.
func TestReadmeReference(t *testing.T) {
	path := filepath.Join("..", "..", "..", "..", "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	const begin, end = "<!-- BEGIN CONFIG REFERENCE -->\n", "<!-- END CONFIG REFERENCE -->"
	s := string(data)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("README has no %q ... %q block", begin, end)
	}
	want := s[:i+len(begin)] + Reference() + s[j:]
	if *updateReadme {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if want != s {
		t.Fatal("README configuration reference is out of date: run go test ./cmd/specgate/internal/config -update-readme")
	}
}

func TestNestedAndMapSettings(t *testing.T) {
	file := "oauth:\n  access_token_ttl: 15m\nscopes:\n  read: tasks:read\n  operations:\n    deleteTask: [tasks:admin, audit]\n    getTask: tasks:read\n"
	env := map[string]string{"SPECGATE_SCOPES_TAGS": "billing=billing:read billing:write,ops=ops"}
	cfg, err := load(t, []string{"--oauth-refresh-grace", "5s"}, env, file)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OAuth.AccessTokenTTL != 15*time.Minute || cfg.OAuth.RefreshGrace != 5*time.Second || cfg.OAuth.RefreshTokenTTL != 720*time.Hour {
		t.Errorf("oauth section: %+v", cfg.OAuth)
	}
	if cfg.Scopes.Read != "tasks:read" || cfg.Scopes.Write != "write" {
		t.Errorf("scope names: %+v", cfg.Scopes)
	}
	if got := strings.Join(cfg.Scopes.Operations["deleteTask"], " "); got != "tasks:admin audit" {
		t.Errorf("operations override = %q", got)
	}
	if got := strings.Join(cfg.Scopes.Tags["billing"], " "); got != "billing:read billing:write" || len(cfg.Scopes.Tags["ops"]) != 1 {
		t.Errorf("tags override = %v", cfg.Scopes.Tags)
	}
	if _, err := load(t, nil, nil, "oauth:\n  acces_token_ttl: 1h\n"); err == nil || !strings.Contains(err.Error(), `unknown key "oauth.acces_token_ttl"`) {
		t.Errorf("unknown nested key: %v", err)
	}
	if _, err := load(t, []string{"--scopes-operations", "noequals"}, nil, ""); err == nil || !strings.Contains(err.Error(), "name=scope1") {
		t.Errorf("bad map entry: %v", err)
	}
}

func TestOperationOverridesAndFilter(t *testing.T) {
	file := "operations:\n  createTask: {name: new_task, max_array_items: 10}\n  \"DELETE /tasks/{taskId}\":\n    hidden: true\nfilter:\n  exclude_paths: [\"/admin/**\"]\n"
	cfg, err := load(t, nil, nil, file)
	if err != nil {
		t.Fatal(err)
	}
	if o := cfg.Operations["createTask"]; o.Name != "new_task" || o.MaxArrayItems == nil || *o.MaxArrayItems != 10 {
		t.Fatalf("createTask override: %+v", o)
	}
	if o := cfg.Operations["DELETE /tasks/{taskId}"]; o.Hidden == nil || !*o.Hidden {
		t.Fatalf("hidden override: %+v", o)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if got := cfg.ConvertOverrides()["createTask"].MaxArrayItems; got != 10 {
		t.Fatalf("convert override = %d", got)
	}
	env := map[string]string{"SPECGATE_OPERATIONS": "{getTask: {description: Fetch one task}}"}
	cfg, err = load(t, nil, env, "")
	if err != nil || cfg.Operations["getTask"].Description != "Fetch one task" {
		t.Fatalf("operations from env: %+v %v", cfg, err)
	}
	if _, err := load(t, nil, nil, "operations:\n  x: {nmae: y}\n"); err == nil || !strings.Contains(err.Error(), "nmae") {
		t.Fatalf("unknown override field: %v", err)
	}
	cfg, _ = load(t, []string{"--filter-exclude-paths", "admin/**"}, nil, "")
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "config: filter") {
		t.Fatalf("bad glob: %v", err)
	}
}

func TestStaticClients(t *testing.T) {
	file := "oauth:\n  clients:\n    my-cli:\n      name: My CLI\n      redirect_uris: [\"http://127.0.0.1:7777/cb\"]\n"
	cfg, err := load(t, nil, nil, file)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.OAuth.Clients["my-cli"]
	if c.Name != "My CLI" || len(c.RedirectURIs) != 1 || c.SecretHash != "" {
		t.Fatalf("client: %+v", c)
	}
	if _, err := load(t, nil, nil, "oauth:\n  clients:\n    x: {redirect_uri: y}\n"); err == nil || !strings.Contains(err.Error(), "redirect_uri") {
		t.Fatalf("misspelt field: %v", err)
	}
}

func TestAPIList(t *testing.T) {
	file := `tools: all
responses: {max_array_items: 20}
apis:
  - name: tasks
    spec: https://tasks.example.com/openapi.json
    refresh: 1m
  - name: billing
    spec: ./billing.yaml
    base_url: https://billing.example.com/v2
    tools: search
    filter: {exclude_methods: [DELETE]}
    scopes: {read: billing:read}
`
	cfg, err := load(t, nil, nil, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	apis, err := cfg.APIList()
	if err != nil || len(apis) != 2 {
		t.Fatalf("apis: %v %v", apis, err)
	}
	tasks, billing := apis[0], apis[1]
	if tasks.Path != "/mcp/tasks" || tasks.Config.Spec != "https://tasks.example.com/openapi.json" || tasks.Config.Refresh != time.Minute ||
		tasks.Config.Tools != "all" || tasks.Config.Responses.MaxArrayItems != 20 {
		t.Errorf("tasks inherits wrongly: %+v", tasks.Config)
	}
	if billing.Config.Tools != "search" || billing.Config.BaseURL != "https://billing.example.com/v2" ||
		len(billing.Config.Filter.ExcludeMethods) != 1 || billing.Config.Scopes.Read != "billing:read" || billing.Config.Scopes.Write != "write" {
		t.Errorf("billing overrides: %+v", billing.Config)
	}
	if cfg.Refresh != 5*time.Minute {
		t.Error("an API's override changed the top-level config")
	}
	single, _ := load(t, []string{"--spec", "x.yaml"}, nil, "")
	if apis, _ := single.APIList(); len(apis) != 1 || apis[0].Path != "/mcp" || apis[0].Name != "default" {
		t.Errorf("single API: %+v", apis)
	}
	for _, bad := range []struct{ file, want string }{
		{"apis:\n  - {name: a, spec: x}\n  - {name: a, spec: y}\n", "used twice"},
		{"apis:\n  - {name: A B, spec: x}\n", "must match"},
		{"apis:\n  - {name: a}\n", "spec is required"},
		{"spec: x\napis:\n  - {name: a, spec: y}\n", "not at the top level"},
		{"apis:\n  - {name: a, spec: y, tools: many}\n", "must be one of all, search, auto"},
		{"apis:\n  - {name: a, spec: y, sepc: z}\n", "sepc"},
	} {
		cfg, err := load(t, nil, nil, bad.file)
		if err == nil {
			err = cfg.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%q: error %v, want %q", bad.file, err, bad.want)
		}
	}
}

func TestCheckEnv(t *testing.T) {
	if err := CheckEnv([]string{"PATH=/bin", "SPECGATE_LISTEN=127.0.0.1:1", "SPECGATE_OAUTH_SECRET=x"}); err != nil {
		t.Fatalf("known variables: %v", err)
	}
	err := CheckEnv([]string{"SPECGATE_REDIS_URL=redis://x", "SPECGATE_LISTEN=x"})
	if err == nil || !strings.Contains(err.Error(), "SPECGATE_REDIS_URL (did you mean SPECGATE_STORE?)") {
		t.Fatalf("unknown variable: %v", err)
	}
	if err := CheckEnv([]string{"SPECGATE_OAUTH_ACESS_TOKEN_TTL=1h"}); err == nil || !strings.Contains(err.Error(), "did you mean SPECGATE_OAUTH_") {
		t.Fatalf("misspelt nested variable: %v", err)
	}
}
