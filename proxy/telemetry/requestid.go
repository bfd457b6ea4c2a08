package telemetry

import (
	"context"
	"crypto/rand"
	"net/http"
	"sync/atomic"
)

// RequestIDHeader is the header that carries request IDs in and out of
// specgate and on to the upstream API.
const RequestIDHeader = "X-Request-Id"

// MaxRequestIDLength bounds an incoming request ID; a longer one is
// replaced, so a client cannot bloat every log line and audit record.
const MaxRequestIDLength = 128

// requestInfo is the per-request state RequestID puts in the context. The
// upstream status is written by the forwarder's hook and read by the tool
// call hook of the same request (one tools/call per HTTP request: MCP has
// no batches since 2025-06-18; with an older batch, the last status wins).
type requestInfo struct {
	id       string
	upstream atomic.Int64
}

type requestInfoKey struct{}

// ValidRequestID reports whether id may be taken over from a client: 1 to
// MaxRequestIDLength characters from A-Z a-z 0-9 and - _ . : / + = @ (UUIDs,
// ULIDs, base64, W3C trace IDs), nothing that could forge a log field or a
// header.
func ValidRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '/' || c == '+' || c == '=' || c == '@':
		default:
			return false
		}
	}
	return true
}

// NewRequestID returns a fresh random request ID (26 base32 characters,
// 128 bits).
func NewRequestID() string { return rand.Text() }

// RequestID is middleware that gives every request an ID: a valid incoming
// X-Request-Id is kept, anything else is replaced by a new one. The ID is
// set on the request header (for handlers that read it), on the response
// header, and in the context (RequestIDFromContext, the log handler, the
// audit log and PropagateRequestID).
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !ValidRequestID(id) {
			id = NewRequestID()
		}
		r.Header.Set(RequestIDHeader, id)
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(ContextWithRequestID(r.Context(), id)))
	})
}

// ContextWithRequestID returns ctx carrying request ID id (for work that
// does not start with an HTTP request, e.g. tests or background jobs).
func ContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestInfoKey{}, &requestInfo{id: id})
}

func infoFrom(ctx context.Context) *requestInfo {
	if ctx == nil {
		return nil
	}
	ri, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return ri
}

// RequestIDFromContext returns the request ID in ctx, or "".
func RequestIDFromContext(ctx context.Context) string {
	if ri := infoFrom(ctx); ri != nil {
		return ri.id
	}
	return ""
}

// PropagateRequestID sets X-Request-Id on an outbound request from the ID
// in ctx (it does nothing without one). Its signature fits
// forward.Options.Decorate, so it can be used alone or in a chain.
func PropagateRequestID(ctx context.Context, req *http.Request) error {
	if id := RequestIDFromContext(ctx); id != "" {
		req.Header.Set(RequestIDHeader, id)
	}
	return nil
}

// noteUpstream remembers the status of the request's upstream exchange.
func noteUpstream(ctx context.Context, status int) {
	if ri := infoFrom(ctx); ri != nil {
		ri.upstream.Store(int64(status))
	}
}

// upstreamStatus returns the status noteUpstream saw in this request, or 0.
func upstreamStatus(ctx context.Context) int {
	if ri := infoFrom(ctx); ri != nil {
		return int(ri.upstream.Load())
	}
	return 0
}
