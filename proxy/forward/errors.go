package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// readCapped reads at most max bytes of the body; truncated reports that the
// body was longer. A Content-Length lets it allocate once.
func readCapped(resp *http.Response, max int64) (body []byte, truncated bool, err error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n, max) + 1))
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, max+1))
	body = buf.Bytes()
	if int64(len(body)) > max {
		return body[:max], true, nil
	}
	return body, false, err
}

// statusText is "404 Not Found": the upstream's reason phrase when it sent
// a sane one, else the standard one.
func statusText(resp *http.Response) string {
	code := strconv.Itoa(resp.StatusCode)
	s := strings.TrimSpace(resp.Status)
	if strings.HasPrefix(s, code+" ") && len(s) <= 80 && strings.IndexFunc(s, isCtl) < 0 {
		return s
	}
	if t := http.StatusText(resp.StatusCode); t != "" {
		return code + " " + t
	}
	return code
}

var (
	userinfoRe = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@`)
	queryRe    = regexp.MustCompile(`([a-zA-Z][a-zA-Z0-9+.-]*://[^\s?#"]*)\?[^\s"]*`)
)

// sanitizeErr returns an error whose text has no URL userinfo and no URL
// query (credentials are often there), dropping *url.Error's URL entirely.
func sanitizeErr(err error) error {
	if err == nil {
		return nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	s := userinfoRe.ReplaceAllString(err.Error(), "$1")
	s = queryRe.ReplaceAllString(s, "$1?…")
	return errors.New(s)
}

// stripUserinfo removes credentials from a URL in a header value.
func stripUserinfo(s string) string {
	return userinfoRe.ReplaceAllString(s, "$1")
}

// describeTransportError explains a failed round trip without leaking the
// request URL's query or userinfo, and says whether the request may have
// been carried out, so the agent can decide about retrying.
func describeTransportError(ctx context.Context, err error, req *http.Request, timeout time.Duration) string {
	target := req.Method + " " + req.URL.Host + req.URL.EscapedPath()
	host := req.URL.Host
	var (
		dnsErr  *net.DNSError
		netErr  net.Error
		unkAuth x509.UnknownAuthorityError
		hostErr x509.HostnameError
		certErr x509.CertificateInvalidError
		recErr  tls.RecordHeaderError
		tlsErr  *tls.CertificateVerificationError
	)
	switch {
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		return fmt.Sprintf("The tool call was cancelled before the upstream API answered (%s); the request may or may not have reached it.", target)
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return fmt.Sprintf("Timed out after %s waiting for the upstream API (%s); the request may or may not have been carried out.", timeout, target)
	case errors.Is(err, errTooManyRedirects):
		return fmt.Sprintf("The upstream API redirected more than %d times (%s); stopped following.", maxRedirects, target)
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("Could not resolve the upstream host %s (%s); nothing was sent.", host, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("Connection refused by the upstream host %s; nothing was sent. The API may be down.", host)
	case errors.As(err, &tlsErr), errors.As(err, &unkAuth), errors.As(err, &hostErr), errors.As(err, &certErr), errors.As(err, &recErr):
		return fmt.Sprintf("TLS connection to the upstream host %s failed: %v; nothing was sent.", host, sanitizeErr(err))
	case errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("Timed out talking to the upstream host %s (%s); the request may or may not have been carried out.", host, target)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("The upstream host %s closed the connection before answering (%s); the request may or may not have been carried out.", host, target)
	}
	return fmt.Sprintf("The upstream request failed (%s): %v", target, sanitizeErr(err))
}

// describeReadError explains a failure while reading a response body: the
// upstream did answer, so the request was carried out.
func describeReadError(ctx context.Context, err error, r *response, timeout time.Duration) string {
	what := "the connection failed: " + sanitizeErr(err).Error()
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		what = "the tool call was cancelled"
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		what = "the call timed out after " + timeout.String()
	}
	return fmt.Sprintf("The upstream API answered HTTP %s for %s %s, but reading the response failed after %d bytes: %s. The request was carried out; do not blindly repeat it.",
		r.statusText, r.method, r.path, len(r.body), what)
}
