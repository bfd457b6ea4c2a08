package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/users"
)

// syncBuffer is a bytes.Buffer safe for the server goroutines that log while
// the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is what one run of the CLI produced.
type result struct {
	code           int
	stdout, stderr string
}

// env is a getenv over a fixed map, so the host environment cannot leak in.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// runCLI runs the command line with stdin and a 30 s budget.
func runCLI(t *testing.T, stdin string, getenv func(string) string, args ...string) result {
	t.Helper()
	if getenv == nil {
		getenv = env(nil)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb syncBuffer
	code := run(ctx, args, strings.NewReader(stdin), &out, &errb, getenv)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// sharedSpec returns the path of a reference spec in /work/shared/specs.
func sharedSpec(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "..", "shared", "specs", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("reference spec not available: %v", err)
	}
	return p
}

func TestVersion(t *testing.T) {
	r := runCLI(t, "", nil, "version")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	for _, want := range []string{"specgate " + version, "commit " + commit, runtime.Version()} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("version output %q lacks %q", r.stdout, want)
		}
	}
	if strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("version output is not one line: %q", r.stdout)
	}
}

func TestHelpAndUnknownCommand(t *testing.T) {
	r := runCLI(t, "", nil, "help")
	if r.code != 0 || !strings.Contains(r.stdout, "Usage:") || r.stderr != "" {
		t.Errorf("help: exit %d, stdout %q, stderr %q; want usage on stdout", r.code, r.stdout, r.stderr)
	}
	r = runCLI(t, "", nil, "frobnicate", "--x")
	if r.code != 2 {
		t.Fatalf("unknown command: exit %d, want 2", r.code)
	}
	if !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "Usage:") {
		t.Fatalf("unknown command stderr = %q; want the command named and the usage", r.stderr)
	}
	if r.stdout != "" {
		t.Fatalf("unknown command wrote to stdout: %q", r.stdout)
	}
}

// TestTopLevelHelpFlag: run has a case for "-h"/"--help", but the dispatch
// treats any first argument starting with '-' as a serve flag, so that case
// is unreachable and `specgate --help` prints serve's flag dump with exit 2.
func TestTopLevelHelpFlag(t *testing.T) {
	for _, arg := range []string{"-h", "--help"} {
		r := runCLI(t, "", nil, arg)
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
			t.Fatalf("BUG: `specgate %s` exits %d with %d bytes of serve flags on stderr instead of the top-level usage on stdout "+
				"(the case \"-h\", \"--help\" in run is unreachable: args[0] starting with '-' selects serve)", arg, r.code, len(r.stderr))
		}
	}
}

func TestToolsDemoTable(t *testing.T) {
	r := runCLI(t, "", nil, "tools")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	header := strings.Fields(lines[0])
	if !slices.Equal(header[:4], []string{"NAME", "METHOD", "PATH", "SCOPES"}) {
		t.Fatalf("header = %q", lines[0])
	}
	want := map[string][]string{ // name -> method, path, scope
		"listTasks":          {"GET", "/tasks", "tasks:read"},
		"getTask":            {"GET", "/tasks/{taskId}", "tasks:read"},
		"createTask":         {"POST", "/tasks", "tasks:write"},
		"replaceTask":        {"PUT", "/tasks/{taskId}", "tasks:write"},
		"updateTask":         {"PATCH", "/tasks/{taskId}", "tasks:write"},
		"deleteTask":         {"DELETE", "/tasks/{taskId}", "tasks:delete"},
		"uploadAttachment":   {"POST", "/tasks/{taskId}/attachments", "tasks:write"},
		"downloadAttachment": {"GET", "/tasks/{taskId}/attachments/{attachmentId}", "tasks:read"},
	}
	got := map[string][]string{}
	var order []string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) == 0 {
			break // blank line before the summary
		}
		if len(f) < 4 {
			t.Fatalf("row %q has fewer than 4 columns", l)
		}
		got[f[0]] = f[1:4]
		order = append(order, f[0])
	}
	if len(got) != 8 {
		t.Fatalf("got %d tool rows, want 8:\n%s", len(got), r.stdout)
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s row = %v, want %v", name, got[name], w)
		}
	}
	if !slices.IsSorted(order) {
		t.Errorf("rows not sorted by name: %v", order)
	}
	if !strings.Contains(r.stdout, "8 tools from built-in demo API") {
		t.Errorf("summary missing:\n%s", r.stdout)
	}
	if strings.Contains(got["deleteTask"][0], "read-only") || !strings.Contains(r.stdout, "destructive") {
		t.Errorf("hints missing:\n%s", r.stdout)
	}
}

// toolOut mirrors what `tools --format json` promises per tool.
type toolOut struct {
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Method       string          `json:"method"`
	Path         string          `json:"path"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema"`
	Annotations  *struct {
		ReadOnly    *bool `json:"readOnlyHint"`
		Destructive *bool `json:"destructiveHint"`
	} `json:"annotations"`
	Scopes []string `json:"scopes"`
}

func TestToolsJSONPetstore(t *testing.T) {
	spec := sharedSpec(t, "oai-petstore-v3.0.yaml")
	r := runCLI(t, "", nil, "tools", "--format", "json", "--spec", spec)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	var tools []toolOut
	if err := json.Unmarshal([]byte(r.stdout), &tools); err != nil {
		t.Fatalf("stdout is not a JSON array of tools: %v\n%s", err, r.stdout)
	}
	byName := map[string]toolOut{}
	for _, tl := range tools {
		byName[tl.Name] = tl
	}
	want := map[string][2]string{
		"listPets":    {"GET", "/pets"},
		"createPets":  {"POST", "/pets"},
		"showPetById": {"GET", "/pets/{petId}"},
	}
	if len(tools) != len(want) {
		t.Fatalf("got %d tools, want %d: %s", len(tools), len(want), r.stdout)
	}
	for name, mp := range want {
		tl, ok := byName[name]
		if !ok {
			t.Fatalf("tool %s missing", name)
		}
		if tl.Method != mp[0] || tl.Path != mp[1] || tl.Description == "" {
			t.Errorf("%s = %s %s %q", name, tl.Method, tl.Path, tl.Description)
		}
		var schema map[string]any
		if err := json.Unmarshal(tl.InputSchema, &schema); err != nil || schema["type"] != "object" {
			t.Errorf("%s inputSchema = %s (%v), want an object schema", name, tl.InputSchema, err)
		}
		if tl.Annotations == nil || tl.Annotations.ReadOnly == nil || tl.Annotations.Destructive == nil {
			t.Errorf("%s annotations = %+v, want explicit hints", name, tl.Annotations)
		}
	}
	if ro := byName["listPets"].Annotations.ReadOnly; !*ro {
		t.Error("listPets should be read-only")
	}
	if ro := byName["createPets"].Annotations.ReadOnly; *ro {
		t.Error("createPets should not be read-only")
	}
	// showPetById answers a Pet object, so it has an output schema.
	var out map[string]any
	if err := json.Unmarshal(byName["showPetById"].OutputSchema, &out); err != nil || out["type"] != "object" {
		t.Errorf("showPetById outputSchema = %s, want an object schema", byName["showPetById"].OutputSchema)
	}
	var in map[string]any
	_ = json.Unmarshal(byName["showPetById"].InputSchema, &in)
	if props, _ := in["properties"].(map[string]any); props["petId"] == nil {
		t.Errorf("showPetById inputSchema lacks petId: %s", byName["showPetById"].InputSchema)
	}
}

// TestToolsNeedsNoServeSettings: `tools` only converts a spec, so it must not
// demand settings that only matter when serving (a users file for OAuth, a
// loopback address for --auth none).
func TestToolsNeedsNoServeSettings(t *testing.T) {
	spec := sharedSpec(t, "oai-petstore-v3.0.yaml")
	for _, args := range [][]string{
		{"tools", "--spec", spec},
		{"tools", "--spec", spec, "--listen", "0.0.0.0:0", "--auth", "none"},
	} {
		r := runCLI(t, "", nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, "listPets") {
			t.Fatalf("%q: exit %d, stderr %s; want the tools listed (serve-only checks must not apply to tools)", args, r.code, r.stderr)
		}
	}
}

func TestToolsErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.yaml")
	if err := os.WriteFile(bad, []byte("openapi: 3.0.0\ninfo:\n  title: x\n   version: 1\npaths: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.yaml")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string // substrings of stderr
	}{
		{"missing spec file", []string{"--spec", missing}, 1, []string{missing, "no such file"}},
		{"YAML syntax error", []string{"--spec", bad}, 1, []string{bad, "line 4"}},
		{"unknown format", []string{"--format", "xml"}, 1, []string{`"xml"`, "table or json"}},
		{"unknown flag", []string{"--no-such-flag"}, 2, []string{"no-such-flag"}},
		{"stray argument", []string{"extra"}, 2, []string{`unexpected argument "extra"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", nil, append([]string{"tools"}, tt.args...)...)
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", r.code, tt.wantCode, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
				}
			}
			if tt.wantCode == 1 && strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not one line:\n%s", r.stderr)
			}
		})
	}
}

func TestServeConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want []string
	}{
		{"bad duration flag", []string{"--refresh", "soon"}, nil, []string{"config: refresh (flag --refresh)", `"soon"`}},
		{"bad duration env", nil, map[string]string{"SPECGATE_REFRESH": "soon"}, []string{"config: refresh (env SPECGATE_REFRESH)"}},
		{"public no-auth refused", []string{"--listen", "0.0.0.0:0", "--auth", "none"}, nil,
			[]string{"config: auth", "0.0.0.0:0", "--insecure-allow-public-no-auth"}},
		{"bad auth value", []string{"--auth", "basic"}, nil, []string{"config: auth (flag --auth)", "none, oauth"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "", env(tt.env), append([]string{"serve"}, tt.args...)...)
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr %s", r.code, r.stderr)
			}
			if strings.Count(r.stderr, "\n") != 1 {
				t.Errorf("stderr is not exactly one line:\n%s", r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr lacks %q: %s", w, r.stderr)
				}
			}
			if r.stdout != "" {
				t.Errorf("stdout = %q, want nothing", r.stdout)
			}
		})
	}
}

func TestUsersAdd(t *testing.T) {
	if raceEnabled {
		// Four bcrypt operations at cost 12 take ~10 s under the race
		// detector, and this path has no concurrency to check.
		t.Skip("bcrypt at cost 12 is too slow under -race; runs without it")
	}
	file := filepath.Join(t.TempDir(), "users.yaml")
	r := runCLI(t, "s3cret-pass\n", nil, "users", "add", "alice", "--users-file", file, "--scopes", "tasks:read, tasks:write")
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, `"alice"`) || !strings.Contains(r.stdout, file) {
		t.Errorf("stdout = %q, want the user and the file named", r.stdout)
	}
	if strings.Contains(r.stdout+r.stderr, "s3cret-pass") {
		t.Fatal("the password was echoed")
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("users file: %v, mode %v; want 0600", err, info.Mode().Perm())
	}
	f, err := users.Load(file)
	if err != nil {
		t.Fatalf("load users file written by the CLI: %v", err)
	}
	id, err := f.Authenticate(context.Background(), "alice", "s3cret-pass")
	if err != nil {
		t.Fatalf("authenticate alice: %v", err)
	}
	if id.Subject != "alice" || !slices.Equal(id.AllowedScopes, []string{"tasks:read", "tasks:write"}) {
		t.Fatalf("identity = %+v", id)
	}
	if _, err := f.Authenticate(context.Background(), "alice", "wrong"); !errors.Is(err, authn.ErrInvalidCredentials) {
		t.Fatalf("wrong password: err = %v, want ErrInvalidCredentials", err)
	}
}

func TestUsersUsage(t *testing.T) {
	file := filepath.Join(t.TempDir(), "users.yaml")
	tests := []struct {
		name     string
		stdin    string
		env      map[string]string
		args     []string
		wantCode int
		want     string
	}{
		{"no subcommand", "", nil, []string{"users"}, 2, "usage: specgate users add"},
		{"other subcommand", "", nil, []string{"users", "remove", "bob"}, 2, "usage: specgate users add"},
		{"no name", "pw\n", nil, []string{"users", "add", "--users-file", file}, 2, "usage: specgate users add NAME"},
		{"no file", "pw\n", nil, []string{"users", "add", "alice"}, 2, "--users-file"},
		{"no password", "", nil, []string{"users", "add", "alice", "--users-file", file}, 1, "no password"},
		{"invalid name", "pw\n", nil, []string{"users", "add", "al ice", "--users-file", file}, 1, "al ice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.stdin, env(tt.env), tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.want) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", r.code, tt.wantCode, r.stderr, tt.want)
			}
			if _, err := os.Stat(file); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a failed users add touched %s (%v)", file, err)
			}
		})
	}
}

func TestHealthcheckCommand(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	}))
	defer ts.Close()
	listen := strings.TrimPrefix(ts.URL, "http://")
	var out, errb bytes.Buffer
	env := func(k string) string {
		if k == "SPECGATE_LISTEN" {
			return listen
		}
		return ""
	}
	if code := run(context.Background(), []string{"healthcheck"}, strings.NewReader(""), &out, &errb, env); code != 0 {
		t.Fatalf("healthcheck against a healthy server: exit %d, %s", code, errb.String())
	}
	errb.Reset()
	if code := run(context.Background(), []string{"healthcheck", "--url", ts.URL + "/nope"}, strings.NewReader(""), &out, &errb, env); code != 1 || !strings.Contains(errb.String(), "404") {
		t.Fatalf("healthcheck against a 404: exit %d, %s", code, errb.String())
	}
}
