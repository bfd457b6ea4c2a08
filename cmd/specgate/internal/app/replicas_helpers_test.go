package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// This file runs specgate as separate processes, the way replicas run
// behind a load balancer: buildSpecgate compiles the binary once per test,
// startReplica runs `specgate serve`, and replicaRouter is the load
// balancer, with one public URL for every replica (tokens are bound to it).

// buildSpecgate compiles cmd/specgate into a temporary directory. It is
// built without -race even when the tests use it: the processes are the
// system under test, not the test, and bcrypt is ten times slower with it.
func buildSpecgate(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "specgate")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	start := time.Now()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	// The test runs in cmd/specgate/internal/app; ../.. is cmd/specgate.
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "../..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build -o %s ./cmd/specgate: %v\n%s", bin, err, out)
	}
	t.Logf("built specgate in %s", time.Since(start).Round(time.Millisecond))
	return bin
}

// replica is one running `specgate serve` process.
type replica struct {
	name string
	addr string // host:port it listens on
	cmd  *exec.Cmd
	logs *logBuffer
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

// URL returns the replica's own base URL (bypassing the router).
func (r *replica) URL() string { return "http://" + r.addr }

// replicaEnv is the environment every replica process gets besides env: no
// SPECGATE_* setting of the test's own environment leaks in.
func replicaEnv(env []string) []string {
	base := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"SPECGATE_LISTEN=127.0.0.1:0",
		"SPECGATE_LOG_FORMAT=json",
	}
	return append(base, env...)
}

// startReplica starts `specgate serve` with env on a free loopback port and
// waits until it is ready. It is stopped (SIGTERM) when the test ends, and
// its log is shown if the test failed.
func startReplica(t *testing.T, bin, name string, env []string) *replica {
	t.Helper()
	r := &replica{name: name, logs: &logBuffer{}, done: make(chan struct{})}
	r.cmd = exec.Command(bin, "serve")
	r.cmd.Env = replicaEnv(env)
	r.cmd.Stdout = io.Discard
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", name, err)
	}
	ready := make(chan string, 1)
	go r.readLog(stderr, ready)
	go func() {
		r.err = r.cmd.Wait()
		close(r.done)
	}()
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("replica %s log (last 6 KB):\n%s", name, r.logs.tail(6<<10))
		}
	})
	select {
	case r.addr = <-ready:
	case <-r.done:
		t.Fatalf("replica %s exited before it was ready (%v):\n%s", name, r.err, r.logs.tail(6<<10))
	case <-time.After(30 * time.Second):
		t.Fatalf("replica %s not ready after 30s:\n%s", name, r.logs.tail(6<<10))
	}
	return r
}

// readLog copies the JSON log into r.logs and sends the listen address of
// the "specgate ready" line.
func (r *replica) readLog(stderr io.Reader, ready chan<- string) {
	sc := bufio.NewScanner(stderr)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		r.logs.add(line)
		var rec struct {
			Msg    string `json:"msg"`
			Listen string `json:"listen"`
		}
		if json.Unmarshal(line, &rec) == nil && rec.Msg == "specgate ready" && rec.Listen != "" {
			select {
			case ready <- rec.Listen:
			default:
			}
		}
	}
}

// signal sends sig to the process.
func (r *replica) signal(t *testing.T, sig os.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signal %v to replica %s: %v", sig, r.name, err)
	}
}

// stop ends the process with SIGTERM (graceful shutdown) and wants a clean
// exit; after 20 s it is killed. Stopping twice is harmless.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	select {
	case <-r.done:
		return
	default:
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
		if r.err != nil {
			t.Errorf("replica %s did not exit cleanly on SIGTERM: %v", r.name, r.err)
		}
	case <-time.After(20 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
		t.Errorf("replica %s did not stop within 20s of SIGTERM", r.name)
	}
}

// logBuffer keeps a process's log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *logBuffer) add(line []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(append(b.buf, line...), '\n')
}

func (b *logBuffer) tail(n int) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) > n {
		return "..." + string(b.buf[len(b.buf)-n:])
	}
	return string(b.buf)
}

// contains reports whether any log line contains s.
func (b *logBuffer) contains(s string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Contains(string(b.buf), s)
}

// replicaHeader lets a test choose the replica of one request; without it
// the router alternates between replicas, like a round-robin load balancer
// without sticky sessions. servedByHeader in the response names the
// replica that answered.
const (
	replicaHeader  = "X-Test-Replica"
	servedByHeader = "X-Test-Served-By"
)

// replicaRouter is the load balancer in front of the replicas: one fixed
// public URL, kept across replica restarts (which change the ports).
type replicaRouter struct {
	srv      *httptest.Server
	mu       sync.Mutex
	backends map[string]*url.URL
	names    []string
	next     atomic.Uint64
	served   sync.Map // replica name -> *atomic.Int64 requests
}

func newReplicaRouter(t *testing.T) *replicaRouter {
	rr := &replicaRouter{backends: map[string]*url.URL{}}
	rr.srv = httptest.NewServer(rr)
	t.Cleanup(rr.srv.Close)
	return rr
}

// URL is the public URL every replica is configured with.
func (rr *replicaRouter) URL() string { return rr.srv.URL }

// set points name at the replica (replacing an earlier one of that name).
func (rr *replicaRouter) set(r *replica) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	if _, ok := rr.backends[r.name]; !ok {
		rr.names = append(rr.names, r.name)
	}
	rr.backends[r.name] = &url.URL{Scheme: "http", Host: r.addr}
}

// count returns how many requests name has answered.
func (rr *replicaRouter) count(name string) int64 {
	if n, ok := rr.served.Load(name); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (rr *replicaRouter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rr.mu.Lock()
	name := r.Header.Get(replicaHeader)
	if name == "" && len(rr.names) > 0 {
		name = rr.names[int(rr.next.Add(1)-1)%len(rr.names)]
	}
	target := rr.backends[name]
	rr.mu.Unlock()
	if target == nil {
		http.Error(w, "no replica "+name, http.StatusBadGateway)
		return
	}
	n, _ := rr.served.LoadOrStore(name, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	w.Header().Set(servedByHeader, name)
	p := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // like proxy_set_header Host $host
			pr.Out.Header.Del(replicaHeader)
		},
		FlushInterval: -1, // SSE streams pass through unbuffered
	}
	p.ServeHTTP(w, r)
}

// pinned is an http.RoundTripper that sends every request to one replica
// through the router, and checks that it answered.
type pinned string

func (p pinned) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set(replicaHeader, string(p))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && resp.Header.Get(servedByHeader) != string(p) {
		resp.Body.Close()
		return nil, fmt.Errorf("request for replica %s was answered by %q", p, resp.Header.Get(servedByHeader))
	}
	return resp, err
}

// waitUntil polls cond every 20ms until it holds and returns how long that
// took; it fails the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}
