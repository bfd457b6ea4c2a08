package app

import (
	"net/http"
	"testing"
)

func TestClientIP(t *testing.T) {
	ip := clientIP([]string{"10.0.0.0/8", "192.168.1.5"})
	cases := []struct {
		remote, xff, want string
	}{
		{"203.0.113.9:5000", "", "203.0.113.9"},
		{"203.0.113.9:5000", "1.2.3.4", "203.0.113.9"},                      // untrusted peer: header ignored
		{"10.1.2.3:443", "198.51.100.7", "198.51.100.7"},                    // one proxy
		{"10.1.2.3:443", "6.6.6.6, 198.51.100.7, 10.9.9.9", "198.51.100.7"}, // forged left entry skipped
		{"192.168.1.5:80", "198.51.100.7", "198.51.100.7"},                  // single trusted address
		{"10.1.2.3:443", "not-an-ip", "10.1.2.3"},                           // malformed header
		{"10.1.2.3:443", "", "10.1.2.3"},                                    // no header
		{"[::ffff:10.0.0.1]:443", "2001:db8::1", "2001:db8::1"},             // mapped IPv4 peer
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := ip(r); got != c.want {
			t.Errorf("remote %s xff %q: got %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
	if got := clientIP(nil)(&http.Request{RemoteAddr: "10.1.2.3:1", Header: http.Header{"X-Forwarded-For": {"1.1.1.1"}}}); got != "10.1.2.3" {
		t.Errorf("without trusted proxies the header must be ignored, got %s", got)
	}
}
