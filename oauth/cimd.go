package oauth

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/sync/singleflight"

	"github.com/specgate/specgate/oauth/store"
)

// cimdFetcher resolves client ID metadata documents: an https client_id is
// fetched, validated and cached. Fetching is SSRF-safe: the address check runs
// in the dialer's Control hook, i.e. on the address actually connected to
// after DNS resolution (no rebinding window), proxies are not used, and
// redirects may not leave the host.
type cimdFetcher struct {
	opts  CIMDOptions
	http  *http.Client
	cache *expirable.LRU[string, cimdEntry]
	group singleflight.Group
	now   func() time.Time
	log   *slog.Logger
}

type cimdEntry struct {
	client  *store.Client
	err     error
	expires time.Time
}

// failureTTL caches failed fetches briefly so a broken document is not
// fetched again for every request.
const failureTTL = 30 * time.Second

// cimdDocument holds the fields of a client ID metadata document we use.
type cimdDocument struct {
	ClientID                string   `json:"client_id"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
}

func newCIMDFetcher(opts CIMDOptions, log *slog.Logger) *cimdFetcher {
	dialer := &net.Dialer{
		Timeout: opts.Timeout,
		Control: func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			addr, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("dial %s: %w", address, err)
			}
			if !opts.AddressAllowed(addr.Unmap()) {
				return fmt.Errorf("address %s is not allowed (private, loopback or otherwise non-public)", addr)
			}
			return nil
		},
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		TLSClientConfig:       &tls.Config{RootCAs: opts.RootCAs, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:   opts.Timeout,
		ResponseHeaderTimeout: opts.Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &cimdFetcher{
		opts: opts,
		http: &http.Client{
			Transport: tr,
			Timeout:   opts.Timeout,
			CheckRedirect: func(req *http.Request, via []*http.Request) error {
				if len(via) >= 3 {
					return errors.New("too many redirects")
				}
				if req.URL.Scheme != "https" || !strings.EqualFold(req.URL.Host, via[0].URL.Host) {
					return fmt.Errorf("redirect to %s refused: it leaves %s", req.URL.Redacted(), via[0].URL.Host)
				}
				return nil
			},
		},
		cache: expirable.NewLRU[string, cimdEntry](opts.CacheSize, nil, opts.MaxCacheTTL),
		now:   time.Now,
		log:   log,
	}
}

// isMetadataURL reports whether a client_id is a client ID metadata
// document URL: https, with a host and a path, no fragment, user info or dot
// segments.
func isMetadataURL(id string) bool {
	if !strings.HasPrefix(id, "https://") || len(id) > maxURILength {
		return false
	}
	u, err := url.Parse(id)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" || strings.Contains(id, "#") {
		return false
	}
	if u.Path == "" || u.Path == "/" {
		return false
	}
	for _, seg := range strings.Split(u.Path, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// get returns the client described by the document at id, from the cache
// when fresh. Concurrent requests for the same document share one fetch.
func (f *cimdFetcher) get(ctx context.Context, id string) (*store.Client, error) {
	if e, ok := f.cache.Get(id); ok && f.now().Before(e.expires) {
		return e.result()
	}
	v, _, _ := f.group.Do(id, func() (any, error) {
		// The fetch outlives a caller that gives up: others may be waiting on it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.opts.Timeout)
		defer cancel()
		c, ttl, err := f.fetch(fctx, id)
		e := cimdEntry{client: c, err: err, expires: f.now().Add(ttl)}
		if err != nil {
			e.expires = f.now().Add(min(failureTTL, f.opts.MinCacheTTL))
			f.log.Warn("client metadata document refused", "client_id", id, "err", err)
		}
		f.cache.Add(id, e)
		return e, nil
	})
	return v.(cimdEntry).result()
}

func (e cimdEntry) result() (*store.Client, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.client.Clone(), nil
}

// fetch downloads and validates one document and says how long to cache it.
func (f *cimdFetcher) fetch(ctx context.Context, id string) (*store.Client, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, id, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("client metadata document %s: %w", id, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := f.http.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("fetch client metadata document %s: %w", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, 0, docError{fmt.Errorf("fetch client metadata document %s: HTTP status %d", id, resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, f.opts.MaxBytes+1))
	if err != nil {
		return nil, 0, fmt.Errorf("read client metadata document %s: %w", id, err)
	}
	if int64(len(body)) > f.opts.MaxBytes {
		return nil, 0, docError{fmt.Errorf("client metadata document %s is larger than %d bytes", id, f.opts.MaxBytes)}
	}
	c, err := clientFromDocument(id, body)
	if err != nil {
		return nil, 0, err
	}
	return c, f.cacheTTL(resp.Header.Get("Cache-Control")), nil
}

// clientFromDocument validates a document against its URL.
func clientFromDocument(id string, body []byte) (*store.Client, error) {
	var doc cimdDocument
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, docError{fmt.Errorf("client metadata document %s is not a valid JSON object: %w", id, err)}
	}
	if doc.ClientID != id {
		return nil, docError{fmt.Errorf("client metadata document %s: client_id %q does not equal the document URL", id, doc.ClientID)}
	}
	name := cleanText(doc.ClientName, 100)
	if name == "" {
		return nil, docError{fmt.Errorf("client metadata document %s: client_name is required", id)}
	}
	if len(doc.RedirectURIs) == 0 || len(doc.RedirectURIs) > maxRedirectURIs {
		return nil, docError{fmt.Errorf("client metadata document %s: 1..%d redirect_uris are required", id, maxRedirectURIs)}
	}
	for _, u := range doc.RedirectURIs {
		if err := validRedirectURI(u); err != nil {
			return nil, docError{fmt.Errorf("client metadata document %s: %w", id, err)}
		}
	}
	if m := doc.TokenEndpointAuthMethod; m != "" && m != "none" {
		return nil, docError{fmt.Errorf("client metadata document %s: token_endpoint_auth_method %q is not supported (only none)", id, m)}
	}
	return &store.Client{
		ID:                      id,
		RedirectURIs:            doc.RedirectURIs,
		Public:                  true,
		TokenEndpointAuthMethod: "none",
		Name:                    name,
		ClientURI:               cleanURI(doc.ClientURI),
		Kind:                    store.KindMetadataDocument,
	}, nil
}

// cacheTTL honours Cache-Control max-age within [MinCacheTTL, MaxCacheTTL].
func (f *cimdFetcher) cacheTTL(cacheControl string) time.Duration {
	ttl := f.opts.MinCacheTTL
	for _, d := range strings.Split(cacheControl, ",") {
		name, val, _ := strings.Cut(strings.TrimSpace(d), "=")
		if strings.EqualFold(name, "max-age") {
			if n, err := strconv.ParseInt(strings.Trim(val, `"`), 10, 64); err == nil && n >= 0 {
				ttl = time.Duration(min(n, int64(f.opts.MaxCacheTTL/time.Second))) * time.Second
			}
		}
	}
	return min(max(ttl, f.opts.MinCacheTTL), f.opts.MaxCacheTTL)
}

// blockedPrefixes are special-purpose ranges netip's predicates do not cover.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	// IPv4-compatible IPv6 (::a.b.c.d, deprecated; netip calls it global
	// unicast and Unmap leaves it alone, yet a host with an automatic tunnel
	// reaches the embedded IPv4 address) and deprecated site-local
	// addresses (still routed internally on some networks).
	netip.MustParsePrefix("::/96"),
	netip.MustParsePrefix("fec0::/10"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// publicAddress is the default CIMDOptions.AddressAllowed: public unicast only.
func publicAddress(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() ||
		a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// docError is a problem with a client metadata document's content or HTTP
// answer. Unlike network errors (DNS answers, dial and TLS failures) it is
// safe to show on the error page.
type docError struct{ err error }

func (e docError) Error() string { return e.err.Error() }
func (e docError) Unwrap() error { return e.err }
