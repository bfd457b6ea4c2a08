//go:build unix

// Package e2e runs specgate's OAuth flow end to end with real MCP clients: the
// official TypeScript SDK driven through headless Chromium (sdk-flow.mjs) and
// the Claude Code CLI (claude-code.sh). The clients live in this directory's
// node project; .ci/run installs them (npm ci) and Debian's chromium.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// demoPassword is the password of the demo user in every specgate started here.
const demoPassword = "e2e-demo-password"

// TestRealClients builds specgate, starts the built-in demo with OAuth and
// runs each real client against it. Missing prerequisites skip the test
// locally and fail it on CI (env CI set).
func TestRealClients(t *testing.T) {
	if testing.Short() {
		t.Skip("real-client end-to-end tests are skipped with -short")
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	requirePrerequisites(t, dir)
	start := time.Now()
	bin := buildSpecgate(t, filepath.Join(dir, "..", ".."))
	t.Logf("built specgate in %s", time.Since(start).Round(time.Millisecond))
	artifacts := os.Getenv("E2E_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(dir, "artifacts")
	}

	// The default configuration advertises CIMD; the SDK client has no
	// metadata URL, so it registers with DCR.
	defaults := startSpecgate(t, bin, nil)
	// Claude Code uses CIMD whenever the AS advertises it, with a client_id on
	// claude.ai that cannot be fetched offline, so its full flow runs against a
	// server without CIMD and falls back to DCR.
	noCIMD := startSpecgate(t, bin, []string{"SPECGATE_OAUTH_CIMD=false"})
	// The demo switched to its own accounts (login.source upstream): the
	// login page checks the password at the demo API's /auth/login and tool
	// calls carry that user's API token ("demo" is an admin there).
	upstream := startSpecgate(t, bin, []string{"SPECGATE_LOGIN_SOURCE=upstream"})
	t.Logf("built and started three specgate servers in %s", time.Since(start).Round(time.Millisecond))

	tests := []struct {
		name    string
		server  *server
		timeout time.Duration
		args    []string
		env     []string
	}{
		{"ts-sdk", defaults, 180 * time.Second, []string{"node", "sdk-flow.mjs"}, nil},
		{"ts-sdk-upstream-login", upstream, 180 * time.Second, []string{"node", "sdk-flow.mjs"},
			[]string{"E2E_ARTIFACTS=" + filepath.Join(artifacts, "upstream-login")}},
		{"claude-code", noCIMD, 240 * time.Second, []string{"bash", "claude-code.sh"}, nil},
		{"claude-code-no-browser", noCIMD, 240 * time.Second, []string{"bash", "claude-code.sh"},
			[]string{"E2E_CLAUDE_LOGIN=no-browser"}},
		{"claude-code-cimd-choice", defaults, 180 * time.Second, []string{"bash", "claude-code.sh"},
			[]string{"E2E_CLAUDE_MODE=cimd-probe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := append([]string{
				"E2E_MCP_URL=" + tc.server.mcpURL,
				"E2E_PASSWORD=" + demoPassword,
				"E2E_ARTIFACTS=" + artifacts,
			}, tc.env...)
			start := time.Now()
			out, err := runScript(t, dir, tc.timeout, env, tc.args...)
			if err != nil {
				t.Fatalf("%s: %v\n--- output\n%s\n--- specgate log\n%s", strings.Join(tc.args, " "), err, out, tc.server.log.String())
			}
			t.Logf("%s passed in %s\n%s", strings.Join(tc.args, " "), time.Since(start).Round(time.Millisecond), out)
		})
	}
}

// requirePrerequisites skips (locally) or fails (CI) when the node project,
// Chromium or util-linux script is missing.
func requirePrerequisites(t *testing.T, dir string) {
	t.Helper()
	chromium := os.Getenv("E2E_CHROMIUM")
	if chromium == "" {
		chromium = "/usr/bin/chromium"
	}
	var missing []string
	for _, tool := range []string{"node", "bash", "script", "setsid", "timeout"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool+" (on PATH)")
		}
	}
	if _, err := os.Stat(chromium); err != nil {
		missing = append(missing, "chromium at "+chromium)
	}
	for _, pkg := range []string{"@modelcontextprotocol/sdk", "playwright-core", "@anthropic-ai/claude-code"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, "node_modules/"+pkg)
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("real-client e2e prerequisites missing: %s; run .ci/run to install them "+
		"(apt-get install chromium; npm ci --prefix oauth/e2e --no-audit --no-fund)", strings.Join(missing, ", "))
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// buildSpecgate compiles cmd/specgate of the module at root into a temp dir.
func buildSpecgate(t *testing.T, root string) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "specgate")
	// Not -race even when the tests use it: bcrypt at cost 12 (login, demo
	// user set-up) is about ten times slower under the race detector.
	args := []string{"build", "-o", bin}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, append(args, "./cmd/specgate")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s in %s: %v\n%s", strings.Join(args, " "), root, err, out)
	}
	return bin
}

// server is one running specgate process.
type server struct {
	mcpURL string
	log    *syncBuffer
}

// startSpecgate runs bin on a free loopback port with the demo API and OAuth,
// waits for /healthz and stops it when the test ends.
func startSpecgate(t *testing.T, bin string, extraEnv []string) *server {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := tryStart(t, bin, extraEnv)
		if err == nil {
			return s
		}
		lastErr = err // most likely the free port was taken in between
	}
	t.Fatal(lastErr)
	return nil
}

func tryStart(t *testing.T, bin string, extraEnv []string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logs := &syncBuffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(withoutPrefix(os.Environ(), "SPECGATE_"),
		"SPECGATE_LISTEN="+addr,
		"SPECGATE_DEMO_PASSWORD="+demoPassword,
		"SPECGATE_REFRESH=0",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		select {
		case err := <-exited:
			return nil, fmt.Errorf("specgate on %s exited before it was ready: %v\n%s", addr, err, logs.String())
		default:
		}
		if healthy(client, base+"/healthz") {
			break
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("specgate on %s not healthy after 60s\n%s", addr, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(stop)
	return &server{mcpURL: base + "/mcp", log: logs}, nil
}

// healthy reports whether url answers 200 with a JSON object.
func healthy(client *http.Client, url string) bool {
	resp, err := client.Get(url)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var body map[string]any
	return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&body) == nil
}

// runScript runs args in dir with env added, killing its whole process group
// (browsers, claude, script) on timeout. It returns the combined output.
func runScript(t *testing.T, dir string, timeout time.Duration, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out syncBuffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = dir
	cmd.Env = append(withoutPrefix(os.Environ(), "E2E_MCP_URL", "E2E_PASSWORD", "E2E_CLAUDE_"), env...)
	cmd.Stdin = nil
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // stragglers of a finished script
	}
	if ctx.Err() != nil {
		err = fmt.Errorf("timed out after %s: %w", timeout, err)
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		err = fmt.Errorf("exit status %d", exitErr.ExitCode())
	}
	return out.String(), err
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// withoutPrefix drops the variables whose names start with any of prefixes.
func withoutPrefix(env []string, prefixes ...string) []string {
	var kept []string
	for _, kv := range env {
		drop := false
		for _, p := range prefixes {
			if strings.HasPrefix(kv, p) {
				drop = true
				break
			}
		}
		if !drop {
			kept = append(kept, kv)
		}
	}
	return kept
}

// syncBuffer is a bytes.Buffer safe for concurrent writers and readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
