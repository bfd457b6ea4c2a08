package app_test

import (
	"bytes"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/specgate/specgate/cmd/specgate/internal/config"
	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
	"github.com/specgate/specgate/specs/demoapi"
)

// composeDir is deploy/compose, seen from this package.
const composeDir = "../../../../deploy/compose"

// composeFile is the subset of the Compose file format that
// deploy/compose/docker-compose.yaml uses; decoding with KnownFields
// catches misspelt keys, which Compose would reject.
type composeFile struct {
	Name      string                    `yaml:"name"`
	XSpecgate yaml.Node                 `yaml:"x-specgate"`
	Services  map[string]composeService `yaml:"services"`
	Secrets   map[string]struct {
		File string `yaml:"file"`
	} `yaml:"secrets"`
	Volumes map[string]any `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Restart     string            `yaml:"restart"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	Ports       []string          `yaml:"ports"`
	Volumes     []string          `yaml:"volumes"`
	Secrets     []string          `yaml:"secrets"`
	DependsOn   yaml.Node         `yaml:"depends_on"`
	Healthcheck *struct {
		Test     []string `yaml:"test"`
		Interval string   `yaml:"interval"`
		Timeout  string   `yaml:"timeout"`
		Retries  int      `yaml:"retries"`
	} `yaml:"healthcheck"`
}

// dependsOn returns the services s waits for and the condition of each
// ("service_started" for the short list form).
func (s composeService) dependsOn(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	switch s.DependsOn.Kind {
	case 0:
	case yaml.SequenceNode:
		var names []string
		if err := s.DependsOn.Decode(&names); err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			out[n] = "service_started"
		}
	default:
		var m map[string]struct {
			Condition string `yaml:"condition"`
		}
		if err := s.DependsOn.Decode(&m); err != nil {
			t.Fatal(err)
		}
		for n, c := range m {
			out[n] = c.Condition
		}
	}
	return out
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(composeDir, "docker-compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f composeFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("docker-compose.yaml: %v", err)
	}
	return f
}

// TestComposeFile checks deploy/compose without a Docker engine: the
// services and how they connect, that every specgate setting exists and
// validates, the load balancer's configuration, and finally that specgate
// started with the replicas' exact settings (service hosts pointed at local
// stand-ins) lets a demo user log in and call a tool.
func TestComposeFile(t *testing.T) {
	f := loadCompose(t)
	var names []string
	for n := range f.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"demo-api", "lb", "redis", "specgate-a", "specgate-b"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v", names, want)
	}
	a, b, demo, redisSvc, lb := f.Services["specgate-a"], f.Services["specgate-b"], f.Services["demo-api"], f.Services["redis"], f.Services["lb"]
	if !reflect.DeepEqual(a, b) {
		t.Fatal("specgate-a and specgate-b must be identical replicas")
	}

	// One image, built from the repository's Dockerfile, runs specgate and
	// the demo API.
	for name, s := range map[string]composeService{"specgate-a": a, "demo-api": demo} {
		if s.Build == nil || s.Image != a.Image || s.Image == "" {
			t.Fatalf("%s: want build and the shared image %q, got %+v %q", name, a.Image, s.Build, s.Image)
		}
		df := filepath.Join(composeDir, s.Build.Context, s.Build.Dockerfile)
		data, err := os.ReadFile(df)
		if err != nil {
			t.Fatalf("%s: build: %v", name, err)
		}
		if !strings.Contains(string(data), `ENTRYPOINT ["/specgate"]`) {
			t.Fatalf("%s: %s does not run specgate", name, df)
		}
	}
	if !slices.Equal(demo.Command, []string{"demo-api", "--listen", "0.0.0.0:8081"}) || !slices.Equal(a.Command, []string{"serve"}) {
		t.Fatalf("commands: demo-api %q, specgate %q", demo.Command, a.Command)
	}

	env := a.Environment
	for k := range env {
		if !slices.ContainsFunc(config.Settings(), func(s config.Setting) bool { return s.Env == k }) {
			t.Errorf("%s is not a specgate setting (see specgate serve --help)", k)
		}
	}
	store, _ := url.Parse(env["SPECGATE_STORE"])
	spec, _ := url.Parse(env["SPECGATE_SPEC"])
	switch {
	case store == nil || store.Scheme != "redis" || store.Hostname() != "redis" || store.Port() != "6379":
		t.Errorf("SPECGATE_STORE %q must name the redis service", env["SPECGATE_STORE"])
	case spec == nil || spec.Host != "demo-api:8081" || spec.Path != demoapi.SpecPath:
		t.Errorf("SPECGATE_SPEC %q must be the demo-api service's document", env["SPECGATE_SPEC"])
	case env["SPECGATE_PUBLIC_URL"] != "http://localhost:8080" || !slices.Contains(lb.Ports, "8080:8080"):
		t.Errorf("the public URL %q must be the load balancer's published port %v", env["SPECGATE_PUBLIC_URL"], lb.Ports)
	case env["SPECGATE_LISTEN"] != "0.0.0.0:8080":
		t.Errorf("SPECGATE_LISTEN %q: the load balancer expects 0.0.0.0:8080", env["SPECGATE_LISTEN"])
	case env["SPECGATE_OAUTH_SECRET"] != "" || env["SPECGATE_OAUTH_SECRET_FILE"] != "/run/secrets/oauth_secret" ||
		!slices.Equal(a.Secrets, []string{"oauth_secret"}) || f.Secrets["oauth_secret"].File != "./oauth_secret":
		t.Errorf("the OAuth secret must come from the oauth_secret file secret: %v %+v", a.Secrets, f.Secrets)
	}
	if deps := a.dependsOn(t); deps["redis"] != "service_healthy" || deps["demo-api"] == "" {
		t.Errorf("specgate depends_on %v: want redis healthy and demo-api started", deps)
	}
	if redisSvc.Healthcheck == nil || !slices.Equal(redisSvc.Healthcheck.Test, []string{"CMD", "redis-cli", "ping"}) {
		t.Errorf("redis healthcheck %+v", redisSvc.Healthcheck)
	}
	if deps := lb.dependsOn(t); deps["specgate-a"] == "" || deps["specgate-b"] == "" {
		t.Errorf("lb depends_on %v", deps)
	}
	// The secret stays out of git and out of the image build context.
	if ig, err := os.ReadFile(filepath.Join(composeDir, ".gitignore")); err != nil || !regexp.MustCompile(`(?m)^oauth_secret$`).Match(ig) {
		t.Errorf("deploy/compose/.gitignore must list oauth_secret (%v)", err)
	}
	if di, err := os.ReadFile(filepath.Join(composeDir, "../../.dockerignore")); err != nil || !regexp.MustCompile(`(?m)^deploy/?$`).Match(di) {
		t.Errorf(".dockerignore must exclude deploy/, where the secret file lives (%v)", err)
	}

	checkNginx(t, lb)
	checkComposeSettings(t, env)
}

// checkNginx checks the load balancer: both replicas, round-robin without
// stickiness, and SSE-friendly proxying.
func checkNginx(t *testing.T, lb composeService) {
	t.Helper()
	if !slices.Contains(lb.Volumes, "./nginx.conf:/etc/nginx/conf.d/default.conf:ro") {
		t.Fatalf("lb volumes %v: want nginx.conf mounted as the default server", lb.Volumes)
	}
	data, err := os.ReadFile(filepath.Join(composeDir, "nginx.conf"))
	if err != nil {
		t.Fatal(err)
	}
	// Directives only, comments dropped.
	var lines []string
	for _, l := range strings.Split(string(data), "\n") {
		l, _, _ = strings.Cut(l, "#")
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			lines = append(lines, l)
		}
	}
	conf := strings.Join(lines, "\n")
	for _, want := range []string{
		"server specgate-a:8080;", "server specgate-b:8080;", "listen 8080;",
		"proxy_pass http://specgate;", "proxy_http_version 1.1;", "proxy_buffering off;",
		"proxy_read_timeout 1h;", "proxy_set_header Host $http_host;",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	for _, sticky := range []string{"ip_hash", "hash ", "sticky", "least_conn"} {
		if strings.Contains(conf, sticky) {
			t.Errorf("nginx.conf must balance round-robin without stickiness, found %q", sticky)
		}
	}
	if strings.Count(conf, "{") != strings.Count(conf, "}") {
		t.Error("nginx.conf: unbalanced braces")
	}
}

// checkComposeSettings validates the replicas' settings as specgate reads
// them, then runs specgate with them, with the redis and demo-api hosts
// pointed at the test's Redis and an in-test demo API.
func checkComposeSettings(t *testing.T, env map[string]string) {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "oauth_secret")
	if err := os.WriteFile(secret, []byte("compose-test-secret-0123456789abcdefghijklmn\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	local := map[string]string{"SPECGATE_OAUTH_SECRET_FILE": secret}
	getenv := func(k string) string {
		if v, ok := local[k]; ok {
			return v
		}
		return env[k]
	}
	cfg, err := config.Load(nil, getenv)
	if err == nil {
		err = cfg.ValidateServe()
	}
	if err != nil {
		t.Fatalf("specgate refuses the compose settings: %v", err)
	}

	_, prefix := redistest.Real(t)
	upstream := httptest.NewServer(demoapi.New(demoapi.Options{}).Handler())
	t.Cleanup(upstream.Close)
	local["SPECGATE_STORE"] = redistest.URL()
	local["SPECGATE_REDIS_PREFIX"] = prefix
	local["SPECGATE_SPEC"] = upstream.URL + demoapi.SpecPath
	cfg, err = config.Load(nil, getenv)
	if err != nil {
		t.Fatal(err)
	}
	_, mcpURL := startApp(t, cfg) // on a loopback port, with its own public URL
	base := strings.TrimSuffix(mcpURL, "/mcp")
	for _, u := range []struct{ name, password, tools string }{
		{"alice", "alice-password", "createTask downloadAttachment getTask listTasks replaceTask updateTask uploadAttachment"},
		{"bob", "bob-password", "downloadAttachment getTask listTasks"},
	} {
		g := obtainGrantAs(t, base, nil, u.name, u.password, allScopes)
		c := bearerClient(t, mcpURL, g.Access)
		if names := toolNames(t, c); names != u.tools {
			t.Errorf("%s's tools with the compose settings: %s; want %s", u.name, names, u.tools)
		}
		if res := call(t, c, "listTasks", nil); res.IsError {
			t.Errorf("%s listTasks: %s", u.name, text(res))
		}
	}
}
