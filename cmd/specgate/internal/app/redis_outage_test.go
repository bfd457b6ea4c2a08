package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/specgate/specgate/oauth/store/redisstore/redistest"
)

// ownRedis is a redis-server started for one test, so the test can stop,
// pause and restart it without touching the shared Redis. It keeps its data
// in an append-only file (fsync on every write), so a restart loses nothing.
type ownRedis struct {
	t    *testing.T
	bin  string
	dir  string
	port int
	cmd  *exec.Cmd
	done chan struct{}
}

// startOwnRedis starts redis-server on a free loopback port.
func startOwnRedis(t *testing.T) *ownRedis {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("this test starts its own Redis to take it down and needs redis-server on PATH (apt-get install redis-server): %v", err)
	}
	r := &ownRedis{t: t, bin: bin, dir: t.TempDir()}
	for attempt := 0; ; attempt++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		r.port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if err = r.start(); err == nil {
			break
		}
		if attempt == 2 { // the free port was most likely taken in between
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		r.kill()
	})
	return r
}

// URL is the redis:// URL of the server.
func (r *ownRedis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// start runs redis-server on r.port and waits until it answers PING.
func (r *ownRedis) start() error {
	r.cmd = exec.Command(r.bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--dir", r.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no")
	var out strings.Builder
	r.cmd.Stdout, r.cmd.Stderr = &out, &out
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	r.done = make(chan struct{})
	go func() { _ = r.cmd.Wait(); close(r.done) }()
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-r.done:
			return fmt.Errorf("redis-server on port %d exited: %s", r.port, out.String())
		default:
		}
		if time.Now().After(deadline) {
			r.kill()
			return fmt.Errorf("redis-server on port %d does not answer: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the server at once (SIGKILL): a crash.
func (r *ownRedis) kill() {
	_ = r.cmd.Process.Kill()
	<-r.done
}

// restart starts the server again on the same port, with the same data.
func (r *ownRedis) restart() {
	r.t.Helper()
	if err := r.start(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *ownRedis) signal(sig syscall.Signal) {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatalf("signal %v to redis-server: %v", sig, err)
	}
}

// outageAnswerLimit bounds how long any request may take while Redis is
// down: the store's client gives up after about 2 s (1 s read timeout, one
// retry), and requests must get a 503 then, not hang.
const outageAnswerLimit = 4 * time.Second

// TestRedisOutage takes specgate's Redis away — paused (SIGSTOP: it accepts
// nothing and answers nothing, like a hung server) and crashed (SIGKILL,
// then restarted on the same port) — and checks that requests needing it
// answer 503 quickly, /readyz says why, and once Redis is back the same
// tokens work again and refresh works: no grant is lost.
func TestRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and stops its own redis-server; skipped with -short")
	}
	rs := startOwnRedis(t)
	cfg := defaults(t)
	cfg.Auth = "oauth"
	cfg.Store = rs.URL()
	cfg.RedisPrefix = redistest.Prefix()
	cfg.OAuth.Secret = replicaSecret
	cfg.UsersFile = writeUsersFile(t, "alice")
	// A validated token stays trusted this long without Redis; short, so
	// the outage shows quickly.
	cfg.OAuth.TokenCacheTTL = time.Second
	_, mcpURL := startApp(t, cfg)
	base := strings.TrimSuffix(mcpURL, "/mcp")
	direct := http.DefaultTransport

	g := obtainGrant(t, base, direct, "alice", allScopes)
	if status, body := callTool(t, mcpURL, direct, g.Access); !callOK(status, body) {
		t.Fatalf("tools/call before the outage: %d %s", status, body)
	}

	for _, outage := range []struct {
		name     string
		down, up func()
	}{
		{"paused", func() { rs.signal(syscall.SIGSTOP) }, func() { rs.signal(syscall.SIGCONT) }},
		{"crashed and restarted", rs.kill, rs.restart},
	} {
		t.Run(outage.name, func(t *testing.T) {
			outage.down()
			// The token's cache entry expires within the cache TTL; from
			// then on every call needs Redis and must get a quick 503.
			var status int
			var body string
			seen := map[string]int{}
			waitUntil(t, cfg.OAuth.TokenCacheTTL+3*outageAnswerLimit, "tools/call answers 503 while Redis is down", func() bool {
				status, body = timed(t, "tools/call", func() (int, string) { return callTool(t, mcpURL, direct, g.Access) })
				seen[outcome(status, body)]++
				return status != http.StatusOK
			})
			t.Logf("tools/call answers until the 503: %v", seen)
			var e struct {
				Error string `json:"error"`
			}
			if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &e) != nil || e.Error != "temporarily_unavailable" {
				t.Fatalf("tools/call while Redis is down: %d %s; want 503 temporarily_unavailable", status, body)
			}
			status, body = timed(t, "/readyz", func() (int, string) { return get(t, base+"/readyz") })
			var ready struct {
				Ready  bool              `json:"ready"`
				Checks map[string]string `json:"checks"`
			}
			if status != http.StatusServiceUnavailable || json.Unmarshal([]byte(body), &ready) != nil || ready.Ready ||
				ready.Checks["spec"] != "ok" || !strings.Contains(ready.Checks["store"], "unavailable") {
				t.Fatalf("/readyz while Redis is down: %d %s", status, body)
			}
			status, body = timed(t, "refresh", func() (int, string) {
				status, _, body := refresh(t, base, direct, g)
				return status, body
			})
			if status != http.StatusServiceUnavailable || !strings.Contains(body, "temporarily_unavailable") {
				t.Fatalf("refresh while Redis is down: %d %s; want 503 temporarily_unavailable", status, body)
			}
			status, body = timed(t, "register", func() (int, string) {
				resp, err := http.Post(base+"/register", "application/json", strings.NewReader(
					`{"client_name":"outage","redirect_uris":["`+flowRedirect+`"],"token_endpoint_auth_method":"none"}`))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				data, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(data)
			})
			if status != http.StatusServiceUnavailable {
				t.Fatalf("register while Redis is down: %d %s; want 503", status, body)
			}

			outage.up()
			waitUntil(t, 15*time.Second, "the same token works again once Redis is back", func() bool {
				return callOK(callTool(t, mcpURL, direct, g.Access))
			})
			if status, body := get(t, base+"/readyz"); status != http.StatusOK {
				t.Fatalf("/readyz once Redis is back: %d %s", status, body)
			}
			status, g2, body := refresh(t, base, direct, g)
			if status != http.StatusOK {
				t.Fatalf("refresh once Redis is back: %d %s", status, body)
			}
			if status, body := callTool(t, mcpURL, direct, g2.Access); !callOK(status, body) {
				t.Fatalf("refreshed token: %d %s", status, body)
			}
			if status, body := callTool(t, mcpURL, direct, g.Access); status != http.StatusUnauthorized {
				t.Fatalf("the access token replaced by the refresh: %d %s; want 401", status, body)
			}
			g = g2
		})
	}
}

// timed runs one request and fails the test if it took longer than
// outageAnswerLimit.
func timed(t *testing.T, what string, do func() (int, string)) (int, string) {
	t.Helper()
	start := time.Now()
	status, body := do()
	d := time.Since(start)
	if d > outageAnswerLimit {
		t.Fatalf("%s took %v while Redis was down (answered %d); want an answer within %v", what, d.Round(time.Millisecond), status, outageAnswerLimit)
	}
	if status != http.StatusOK { // 200s come from the validated-token cache
		t.Logf("%s answered %d in %v", what, status, d.Round(time.Millisecond))
	}
	return status, body
}

// outcome summarises a tools/call answer.
func outcome(status int, body string) string {
	switch {
	case callOK(status, body):
		return "ok"
	case status == http.StatusOK:
		var r struct {
			Result struct {
				Content []struct{ Text string } `json:"content"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(body), &r) == nil && len(r.Result.Content) > 0 {
			return "tool error: " + r.Result.Content[0].Text
		}
		return "tool error"
	}
	return strconv.Itoa(status)
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, body := send(t, &http.Client{Timeout: 15 * time.Second}, "GET", u, nil)
	return resp.StatusCode, body
}
