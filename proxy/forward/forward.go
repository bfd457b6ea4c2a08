// Package forward turns an MCP tools/call into an upstream HTTP request, sends
// it, and maps the upstream response to an MCP CallToolResult.
//
// The request is built only from the catalog.Operation and the tool
// arguments: the scheme and host always come from the base URL, never from an
// argument. Argument problems, transport failures and non-2xx statuses are all
// reported as tool errors (IsError: true) with text an agent can act on, never
// as Go errors, because MCP wants tool failures inside the result.
package forward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/mark3labs/mcp-go/mcp"
	"golang.org/x/text/message"

	"github.com/specgate/specgate/proxy/catalog"
)

// Defaults applied by New to zero Options fields.
const (
	DefaultTimeout          = 60 * time.Second
	DefaultMaxResponseBytes = 10 << 20
	DefaultMaxTextBytes     = 200 << 10
	DefaultMaxBinaryBytes   = 5 << 20
	DefaultMaxArrayItems    = 50
	DefaultMaxStringBytes   = 4096
	DefaultSchemaCacheSize  = 4096
	DefaultUserAgent        = "specgate"
)

// Options configures a Forwarder. The zero value is usable.
type Options struct {
	// Client sends upstream requests. Nil means a client from NewHTTPClient
	// whose response-header timeout follows Timeout.
	Client *http.Client
	// Timeout bounds one call (connect, send, wait, read). Default 60s.
	Timeout time.Duration
	// MaxResponseBytes caps how much of the upstream body is read. Default
	// 10 MiB; a longer body is cut and the result says so.
	MaxResponseBytes int64
	// MaxTextBytes caps the text content returned to the model. Default
	// 200 KiB. JSON is pretty-printed only up to this cap.
	MaxTextBytes int
	// MaxArrayItems is how many entries of each JSON array a successful
	// result keeps (0: default 50; negative: all). The result stays valid
	// JSON and a note says what was left out and which of the operation's
	// parameters page through the rest. catalog.Operation.Shaping overrides
	// it per operation. When the shortened JSON still exceeds MaxTextBytes,
	// arrays and then strings are shortened further rather than cut.
	MaxArrayItems int
	// MaxStringBytes is how many bytes of each JSON string value a
	// successful result keeps (0: default 4096; negative: all); a longer one
	// ends with "…[N more bytes]". Object keys are never cut.
	MaxStringBytes int
	// MaxBinaryBytes caps image and embedded-resource content. Default 5 MiB;
	// a larger body is replaced by a text note with its size and type.
	MaxBinaryBytes int64
	// UserAgent is sent on every request. Default "specgate".
	UserAgent string
	// AllowUnknownArgs makes the forwarder ignore top-level arguments that the
	// operation does not declare. By default they are rejected with an error
	// listing the valid names: agents make typos, and silently dropping an
	// argument loses what the agent meant to send.
	AllowUnknownArgs bool
	// SchemaCacheSize bounds how many operations keep compiled JSON Schemas.
	// Default 4096. Catalog refreshes create new operations, so the cache
	// must be bounded rather than grow forever.
	SchemaCacheSize int
	// Decorate is called on every outbound request after it is built, e.g.
	// to add upstream credentials or a request ID. An error aborts the call
	// with a tool error carrying the error's text. A credential it adds
	// should be named with MarkSecret(ctx, value), so that an upstream
	// echoing it (a redirect's Location, a Link, an error page) does not
	// show it to the agent.
	Decorate func(ctx context.Context, req *http.Request) error
	// OnUpstream, if set, is called after every request that was sent, with
	// the response status (0 when no response arrived) and the time taken to
	// send it and read the body (metrics). It runs on the call path.
	OnUpstream func(ctx context.Context, status int, d time.Duration)
	// Logger receives structured logs; nil discards them. URLs are logged
	// without their query (credentials often live there).
	Logger *slog.Logger
}

// Forwarder sends tool calls upstream. It is safe for concurrent use.
type Forwarder struct {
	client        *http.Client
	timeout       time.Duration
	maxResponse   int64
	maxText       int
	maxBinary     int64
	maxArray      int
	maxString     int
	userAgent     string
	allowUnknown  bool
	decorate      func(ctx context.Context, req *http.Request) error
	onUpstream    func(ctx context.Context, status int, d time.Duration)
	log           *slog.Logger
	schemas       *lru.Cache[*catalog.Operation, *opSchemas]
	errorExcerpt  int
	headerExcerpt int
	printer       *message.Printer
}

// New returns a Forwarder with opts, applying defaults to zero fields.
func New(opts Options) *Forwarder {
	f := &Forwarder{
		client:        opts.Client,
		timeout:       opts.Timeout,
		maxResponse:   opts.MaxResponseBytes,
		maxText:       opts.MaxTextBytes,
		maxBinary:     opts.MaxBinaryBytes,
		maxArray:      opts.MaxArrayItems,
		maxString:     opts.MaxStringBytes,
		userAgent:     opts.UserAgent,
		allowUnknown:  opts.AllowUnknownArgs,
		decorate:      opts.Decorate,
		onUpstream:    opts.OnUpstream,
		log:           opts.Logger,
		errorExcerpt:  4 << 10,
		headerExcerpt: 2 << 10,
		printer:       newPrinter(),
	}
	if f.timeout <= 0 {
		f.timeout = DefaultTimeout
	}
	if f.maxResponse <= 0 {
		f.maxResponse = DefaultMaxResponseBytes
	}
	if f.maxText <= 0 {
		f.maxText = DefaultMaxTextBytes
	}
	if f.maxBinary <= 0 {
		f.maxBinary = DefaultMaxBinaryBytes
	}
	if f.maxArray == 0 {
		f.maxArray = DefaultMaxArrayItems
	}
	if f.maxString == 0 {
		f.maxString = DefaultMaxStringBytes
	}
	if f.userAgent == "" {
		f.userAgent = DefaultUserAgent
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.client == nil {
		f.client = newHTTPClient(f.timeout)
	}
	size := opts.SchemaCacheSize
	if size <= 0 {
		size = DefaultSchemaCacheSize
	}
	cache, err := lru.New[*catalog.Operation, *opSchemas](size)
	if err != nil { // only for size <= 0, excluded above
		panic(fmt.Sprintf("forward: schema cache: %v", err))
	}
	f.schemas = cache
	return f
}

// Call validates args against op's input schema, sends the request to
// baseURL, and maps the response. It never returns nil. Every failure is a
// result with IsError set; the text says whether anything reached the
// upstream, so an agent knows whether retrying is safe.
func (f *Forwarder) Call(ctx context.Context, baseURL string, op *catalog.Operation, args map[string]any) *mcp.CallToolResult {
	if op == nil {
		return mcp.NewToolResultError("internal error: no operation to call")
	}
	if err := f.Validate(op, args); err != nil {
		f.log.Debug("tool arguments rejected", "tool", op.Name, "err", err)
		return mcp.NewToolResultError(err.Error())
	}
	if _, err := parseBase(baseURL); err != nil {
		f.log.Error("bad upstream base URL", "tool", op.Name, "err", err)
		return mcp.NewToolResultError(fmt.Sprintf("The API base URL is misconfigured (%v); nothing was sent.", err))
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()

	req, err := BuildRequest(ctx, baseURL, op, args)
	if err != nil {
		return mcp.NewToolResultError(fmt.Sprintf("Invalid arguments for tool %q; nothing was sent to the API: %v", op.Name, err))
	}
	// The resource URI of binary results is the URL as built from the
	// arguments, before Decorate may add credentials to it.
	shown := displayURL(req.URL)
	req.Header.Set("User-Agent", f.userAgent)
	var red *redactor
	if f.decorate != nil {
		secrets := &secretSet{}
		if err := f.decorate(context.WithValue(ctx, secretsKey{}, secrets), req); err != nil {
			f.log.Warn("decorate upstream request", "tool", op.Name, "err", err)
			return mcp.NewToolResultError(fmt.Sprintf("Could not prepare the upstream request for tool %q; nothing was sent: %v", op.Name, err))
		}
		// Decorate is trusted code, but the origin guarantee is cheap to keep.
		if err := checkOrigin(baseURL, req.URL); err != nil {
			f.log.Error("decorate changed the request origin", "tool", op.Name, "err", err)
			return mcp.NewToolResultError("internal error: the upstream request was redirected away from the API base URL; nothing was sent")
		}
		// Keep the upstream from echoing a credential to the agent.
		red = newRedactor(secrets)
	}

	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		f.log.Info("upstream call failed", "tool", op.Name, "method", req.Method, "host", req.URL.Host,
			"path", op.Path, "duration", time.Since(start), "err", sanitizeErr(err))
		f.observe(ctx, 0, time.Since(start))
		return mcp.NewToolResultError(describeTransportError(ctx, err, req, f.timeout))
	}
	defer resp.Body.Close()
	body, truncated, readErr := readCapped(resp, f.maxResponse)
	f.observe(ctx, resp.StatusCode, time.Since(start))
	f.log.Debug("upstream call", "tool", op.Name, "method", req.Method, "host", req.URL.Host, "path", op.Path,
		"status", resp.StatusCode, "bytes", len(body), "truncated", truncated, "duration", time.Since(start))
	r := &response{
		method:     req.Method,
		path:       req.URL.EscapedPath(),
		uri:        shown,
		status:     resp.StatusCode,
		statusText: statusText(resp),
		header:     red.header(resp.Header),
		body:       body,
		truncated:  truncated,
		redact:     red,
	}
	if readErr != nil {
		return mcp.NewToolResultError(describeReadError(ctx, readErr, r, f.timeout))
	}
	return f.mapResponse(op, r)
}

// observe reports an upstream exchange to Options.OnUpstream.
func (f *Forwarder) observe(ctx context.Context, status int, d time.Duration) {
	if f.onUpstream != nil {
		f.onUpstream(ctx, status, d)
	}
}

// errNoOp is returned when BuildRequest or Validate get a nil operation.
var errNoOp = errors.New("no operation given")
