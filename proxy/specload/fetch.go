package specload

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
)

// fetcher reads specs and external documents under the Options' limits.
type fetcher struct {
	opts   Options
	once   sync.Once
	client *http.Client
}

func newFetcher(opts Options) *fetcher { return &fetcher{opts: opts} }

func (f *fetcher) httpClient() *http.Client {
	f.once.Do(func() {
		f.client = f.opts.HTTPClient
		if f.client == nil {
			f.client = &http.Client{Transport: &http.Transport{
				Proxy:                 http.ProxyFromEnvironment,
				DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
				TLSHandshakeTimeout:   10 * time.Second,
				ResponseHeaderTimeout: f.opts.Timeout,
				IdleConnTimeout:       90 * time.Second,
				MaxIdleConns:          4,
				ForceAttemptHTTP2:     true,
			}}
		}
	})
	return f.client
}

// response is the outcome of one GET.
type response struct {
	data         []byte
	etag         string
	lastModified string
	notModified  bool
}

// StatusError is a fetch answered with a status other than 2xx (or 304 to a
// conditional request).
type StatusError struct {
	StatusCode int
	Status     string
	// Excerpt is the start of the response body, cleaned for logs.
	Excerpt string
}

// Error formats the status and the excerpt.
func (e *StatusError) Error() string {
	if e.Excerpt == "" {
		return "HTTP " + e.Status
	}
	return fmt.Sprintf("HTTP %s: %q", e.Status, e.Excerpt)
}

// get fetches u. prev, if set, makes the request conditional. check, if
// set, vets every redirect target (external refs must stay on allowed hosts).
func (f *fetcher) get(ctx context.Context, u *url.URL, prev *Document, check func(*url.URL) string) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, application/yaml;q=0.9, text/yaml;q=0.9, */*;q=0.5")
	req.Header.Set("User-Agent", f.opts.UserAgent)
	conditional := false
	if prev != nil {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
			conditional = true
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
			conditional = true
		}
	}
	client := *f.httpClient()
	client.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		if check != nil {
			if why := check(r.URL); why != "" {
				return fmt.Errorf("redirect to %s refused: %s", redactURL(r.URL), why)
			}
		}
		return nil
	}
	resp, err := client.Do(req)
	if err != nil {
		// The client's *url.Error names the URL it failed on, query and all
		// (the spec's, or a redirect's), and the query may hold a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			ue.URL = RedactSource(ue.URL)
		}
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && conditional:
		r.notModified = true
		return r, nil
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, &StatusError{StatusCode: resp.StatusCode, Status: resp.Status, Excerpt: cleanExcerpt(excerpt)}
	case resp.ContentLength > f.opts.MaxBytes:
		return nil, f.tooBig()
	}
	r.data, err = f.readCapped(resp.Body)
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (f *fetcher) readCapped(rd io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(rd, f.opts.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	if int64(len(data)) > f.opts.MaxBytes {
		return nil, f.tooBig()
	}
	return data, nil
}

func (f *fetcher) tooBig() error {
	return fmt.Errorf("document exceeds the size limit of %d bytes (see Options.MaxBytes)", f.opts.MaxBytes)
}

// readFile reads a file under the size cap.
func (f *fetcher) readFile(path string) ([]byte, os.FileInfo, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer file.Close()
	fi, err := file.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Size() > f.opts.MaxBytes {
		return nil, nil, f.tooBig()
	}
	data, err := f.readCapped(file)
	return data, fi, err
}

// readExternal reads an external document that allowed has already vetted.
func (f *fetcher) readExternal(ctx context.Context, u *url.URL, allowed func(*url.URL) string) ([]byte, error) {
	if u.Scheme == "file" {
		data, _, err := f.readFile(filepath.FromSlash(u.Path))
		return data, err
	}
	r, err := f.get(ctx, u, nil, allowed)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", redactURL(u), err)
	}
	return r.data, nil
}

// allowed says why an external document may not be read, or "".
func (n *normalizer) allowed(u *url.URL) string {
	switch u.Scheme {
	case "http", "https":
		if len(n.opts.AllowExternalRefHosts) == 0 {
			return "external references are disabled (see AllowExternalRefHosts)"
		}
		for _, h := range n.opts.AllowExternalRefHosts {
			if strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname()) {
				return ""
			}
		}
		return fmt.Sprintf("host %s is not on the external reference allowlist", u.Host)
	case "file":
		if !n.opts.AllowExternalFileRefs {
			return "external file references are disabled (see AllowExternalFileRefs)"
		}
		if n.rootDir == "" {
			return "file references are allowed only from a spec loaded from a file"
		}
		rel, err := filepath.Rel(n.rootDir, filepath.FromSlash(u.Path))
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Sprintf("file %s is outside the spec's directory", u.Path)
		}
		return ""
	}
	return fmt.Sprintf("scheme %q is not allowed for external references", u.Scheme)
}

// cleanExcerpt makes a response body excerpt safe to log: valid UTF-8,
// no control characters, whitespace collapsed, at most 200 bytes.
func cleanExcerpt(b []byte) string {
	s := strings.ToValidUTF8(string(b), "?")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "..."
	}
	return s
}
