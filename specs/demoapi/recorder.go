package demoapi

import (
	"net/http"
	"slices"
	"sync"
)

// RecordedRequest is one API request as the demo received it, for tests that
// check exactly what an upstream client sent.
type RecordedRequest struct {
	Method string
	// Path is the decoded URL path; EscapedPath is it as sent on the wire.
	Path        string
	EscapedPath string
	RawQuery    string
	Host        string
	Header      http.Header
	ContentType string
	// Body holds the first Options.RecordBodyBytes of the body; BodyTruncated
	// tells whether more was sent.
	Body          []byte
	BodyTruncated bool
}

// recorder keeps the last limit requests.
type recorder struct {
	mu        sync.Mutex
	reqs      []RecordedRequest
	limit     int
	bodyLimit int
}

func (rc *recorder) add(r *http.Request, body []byte, truncated bool) {
	if len(body) > rc.bodyLimit {
		body, truncated = body[:rc.bodyLimit], true
	}
	rr := RecordedRequest{
		Method: r.Method, Path: r.URL.Path, EscapedPath: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
		Host: r.Host, Header: r.Header.Clone(), ContentType: r.Header.Get("Content-Type"),
		Body: slices.Clone(body), BodyTruncated: truncated,
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.reqs) >= rc.limit {
		// A shift of at most a few hundred entries is cheaper to read than a ring index.
		rc.reqs = append(rc.reqs[:0], rc.reqs[len(rc.reqs)-rc.limit+1:]...)
	}
	rc.reqs = append(rc.reqs, rr)
}

// all returns copies of the recorded requests, oldest first.
func (rc *recorder) all() []RecordedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]RecordedRequest, len(rc.reqs))
	for i, r := range rc.reqs {
		r.Header = r.Header.Clone()
		r.Body = slices.Clone(r.Body)
		out[i] = r
	}
	return out
}

func (rc *recorder) clear() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.reqs = nil
}
