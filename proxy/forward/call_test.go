package forward

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// waitOrFail waits for ch so a broken test fails instead of hanging.
func waitOrFail(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("gave up waiting: %s", what)
	}
}

func TestTimeout(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	res := New(Options{Timeout: 50 * time.Millisecond}).Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1"}`))
	if text := resultText(res); !res.IsError || !strings.Contains(text, "Timed out after 50ms waiting for the upstream API (GET 127.0.0.1:") ||
		!strings.Contains(text, "may or may not have been carried out") {
		t.Errorf("got %v %q", res.IsError, text)
	}
}

func TestTimeoutWhileReadingBody(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"partial":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	res := New(Options{Timeout: 50 * time.Millisecond}).Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1"}`))
	want := "The upstream API answered HTTP 200 OK for GET /items/1, but reading the response failed after 11 bytes: the call timed out after 50ms. The request was carried out"
	if text := resultText(res); !res.IsError || !strings.Contains(text, want) {
		t.Errorf("got %v %q", res.IsError, text)
	}
}

func TestShortBody(t *testing.T) {
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		io.WriteString(w, "0123456789")
	})
	res := New(Options{}).Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1"}`))
	if text := resultText(res); !res.IsError || !strings.Contains(text, "reading the response failed after 10 bytes: the connection failed: unexpected EOF") {
		t.Errorf("got %v %q", res.IsError, text)
	}
}

func TestCancellationCancelsUpstream(t *testing.T) {
	started, sawCancel := make(chan struct{}), make(chan struct{})
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(sawCancel)
	})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	res := New(Options{}).Call(ctx, up.URL, simpleOp(), args(t, `{"id":"1"}`))
	if !res.IsError || !strings.Contains(resultText(res), "cancelled before the upstream API answered") {
		t.Errorf("got %v %q", res.IsError, resultText(res))
	}
	waitOrFail(t, sawCancel, "upstream to see the cancellation")
}

func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestConnectionRefusedLeaksNoSecrets(t *testing.T) {
	addr := closedAddr(t)
	f := New(Options{Decorate: func(ctx context.Context, req *http.Request) error {
		q := req.URL.Query()
		q.Set("api_key", "SECRET-QUERY")
		req.URL.RawQuery = q.Encode()
		req.Header.Set("Authorization", "Bearer SECRET-TOKEN")
		return nil
	}})
	res := f.Call(context.Background(), "http://user:SECRET-PASS@"+addr+"/v1", simpleOp(), args(t, `{"id":"1","q":"x"}`))
	text := resultText(res)
	if !res.IsError || !strings.Contains(text, "Connection refused by the upstream host "+addr+"; nothing was sent") {
		t.Errorf("got %v %q", res.IsError, text)
	}
	if strings.Contains(text, "SECRET") {
		t.Errorf("error leaks a secret: %q", text)
	}
}

func TestSanitizeErr(t *testing.T) {
	err := &url.Error{Op: "Get", URL: "https://u:p@h/x?key=SECRET", Err: errors.New(`dial https://a:SECRET@h/y?token=SECRET: boom`)}
	if got := sanitizeErr(err).Error(); strings.Contains(got, "SECRET") || got != "dial https://h/y?… boom" {
		t.Errorf("sanitizeErr = %q", got)
	}
}

func TestDecorate(t *testing.T) {
	up := newUpstream(t, nil)
	f := New(Options{UserAgent: "agent/1", Decorate: func(ctx context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer upstream-token")
		req.Header.Set("X-Request-Id", "rid-1")
		return nil
	}})
	res := f.Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1","trace":"t"}`))
	if res.IsError {
		t.Fatal(resultText(res))
	}
	got := up.last(t)
	if got.Header.Get("Authorization") != "Bearer upstream-token" || got.Header.Get("X-Request-Id") != "rid-1" ||
		got.Header.Get("User-Agent") != "agent/1" || got.Header.Get("X-Trace") != "t" {
		t.Errorf("headers %v", got.Header)
	}

	failing := New(Options{Decorate: func(ctx context.Context, req *http.Request) error {
		return errors.New("no upstream credentials for user")
	}})
	res = failing.Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"2"}`))
	if !res.IsError || !strings.Contains(resultText(res), "nothing was sent: no upstream credentials for user") {
		t.Errorf("got %q", resultText(res))
	}
	moving := New(Options{Decorate: func(ctx context.Context, req *http.Request) error {
		req.URL.Host = "evil.example"
		return nil
	}})
	res = moving.Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"3"}`))
	if !res.IsError || !strings.Contains(resultText(res), "nothing was sent") {
		t.Errorf("got %q", resultText(res))
	}
	if n := len(up.requests()); n != 1 {
		t.Errorf("upstream got %d requests, want 1", n)
	}
}

func TestDefaultUserAgentAndNilOp(t *testing.T) {
	up := newUpstream(t, nil)
	f := New(Options{})
	f.Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1"}`))
	if ua := up.last(t).Header.Get("User-Agent"); ua != "specgate" {
		t.Errorf("User-Agent %q", ua)
	}
	if res := f.Call(context.Background(), up.URL, nil, nil); !res.IsError {
		t.Error("nil operation did not fail")
	}
	if err := f.Validate(nil, nil); err == nil {
		t.Error("Validate(nil) did not fail")
	}
}

func TestBadBaseURLIsAToolError(t *testing.T) {
	res := New(Options{}).Call(context.Background(), "not a url", simpleOp(), args(t, `{"id":"1"}`))
	if !res.IsError || !strings.Contains(resultText(res), "base URL") {
		t.Errorf("got %q", resultText(res))
	}
}

func TestConcurrentCalls(t *testing.T) {
	up := newUpstream(t, nil)
	f := New(Options{})
	op := petOp()
	done := make(chan string, 16)
	for i := 0; i < 16; i++ {
		go func() {
			res := f.Call(context.Background(), up.URL, op, args(t, `{"petId":1,"body":{"name":"x"}}`))
			done <- resultText(res)
		}()
	}
	for i := 0; i < 16; i++ {
		if got := <-done; got != "{\n  \"ok\": true\n}" {
			t.Errorf("call %d: %q", i, got)
		}
	}
}
