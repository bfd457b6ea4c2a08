package forward

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// maxRedirects is how many same-origin redirects a call follows.
const maxRedirects = 5

// NewHTTPClient returns an HTTP client tuned for forwarding: pooled
// keep-alive connections (64 idle per host), bounded dial, TLS-handshake and
// response-header waits, and a redirect policy that follows at most 5
// redirects and only to the same scheme and host. A redirect elsewhere is not
// followed: the 3xx response itself becomes the result, so the agent sees
// where the upstream pointed. The client has no overall timeout; callers
// bound each request with its context. Nothing global is modified.
func NewHTTPClient() *http.Client {
	return newHTTPClient(DefaultTimeout)
}

func newHTTPClient(responseHeaderTimeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           256,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    10 * time.Second,
		ExpectContinueTimeout:  1 * time.Second,
		ResponseHeaderTimeout:  responseHeaderTimeout,
		MaxResponseHeaderBytes: 1 << 20,
	}
	return &http.Client{Transport: tr, CheckRedirect: sameOriginRedirects}
}

// errTooManyRedirects is wrapped in the *url.Error the client returns.
var errTooManyRedirects = errors.New("stopped after too many redirects")

// sameOriginRedirects follows redirects only within the origin of the first
// request, so credentials added by Decorate never travel to another host and
// an upstream cannot bounce the proxy to an internal address.
func sameOriginRedirects(req *http.Request, via []*http.Request) error {
	first := via[0].URL
	if req.URL.Scheme != first.Scheme || req.URL.Host != first.Host {
		return http.ErrUseLastResponse
	}
	if len(via) > maxRedirects {
		return fmt.Errorf("%w (%d)", errTooManyRedirects, maxRedirects)
	}
	return nil
}
