// Package demoapi is the built-in demo upstream of specgate: a small
// in-memory team task tracker with a hand-written OpenAPI 3.0.3 document.
//
// specgate serves it in front of itself when started without a spec, and
// end-to-end tests use it as an upstream whose received requests they can
// inspect (API.Requests).
//
// The API lives under BasePath and its document at SpecPath. The document
// declares OAuth scopes per operation, but the demo does not enforce them:
// specgate does. Data is kept per owner (a user name). The demo has its own
// accounts and login (LoginPath, RefreshPath; see DefaultUsers): a request
// with "Authorization: Bearer <token from LoginPath>" belongs to that user,
// a request with an unknown or expired token gets 401, and a request without
// Authorization belongs to DefaultOwner unless Options.Owner names someone
// else — so the anonymous demo keeps working.
package demoapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

// BasePath is the prefix of every API route; the document's server URL.
const BasePath = "/api/v1"

// SpecPath is where the API serves its OpenAPI document.
const SpecPath = "/openapi.json"

//go:embed openapi.json
var specJSON []byte

// Options configure an API. Zero values take the documented defaults.
type Options struct {
	// Logger receives request and error logs; nil discards them.
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body (default 8 MiB); larger ones get 413.
	MaxBodyBytes int64
	// MaxTasks bounds the tasks of one owner (default 1000).
	MaxTasks int
	// MaxAttachmentBytes bounds the attachment bytes of one owner (default 64 MiB).
	MaxAttachmentBytes int64
	// RecordLimit is how many requests Requests keeps (default 100).
	RecordLimit int
	// RecordBodyBytes is how much of each body Requests keeps (default 256 KiB).
	RecordBodyBytes int
	// Now is the clock for createdAt and updatedAt (default time.Now).
	Now func() time.Time
	// Owner names the user a request without Authorization acts for; nil or
	// "" means DefaultOwner. A valid bearer token always wins.
	Owner func(*http.Request) string
	// Users are the accounts LoginPath accepts; nil means DefaultUsers().
	Users []User
	// TokenLifetime is how long an access token from LoginPath or
	// RefreshPath is valid (default 15m); RefreshTokenLifetime is the same
	// for refresh tokens (default 24h). Short values let tests see expiry.
	TokenLifetime, RefreshTokenLifetime time.Duration
}

// API is the demo task tracker. It is safe for concurrent use.
type API struct {
	opts     Options
	log      *slog.Logger
	store    *store
	rec      *recorder
	sessions *sessions
	handler  http.Handler
	specTag  string
}

// New returns an API holding the seed tasks.
func New(opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.MaxBodyBytes = orDefault(opts.MaxBodyBytes, 8<<20)
	opts.MaxTasks = orDefault(opts.MaxTasks, 1000)
	opts.MaxAttachmentBytes = orDefault(opts.MaxAttachmentBytes, 64<<20)
	opts.RecordLimit = orDefault(opts.RecordLimit, 100)
	opts.RecordBodyBytes = orDefault(opts.RecordBodyBytes, 256<<10)
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Users == nil {
		opts.Users = DefaultUsers()
	}
	opts.TokenLifetime = orDefault(opts.TokenLifetime, 15*time.Minute)
	opts.RefreshTokenLifetime = orDefault(opts.RefreshTokenLifetime, 24*time.Hour)
	sum := sha256.Sum256(specJSON)
	a := &API{
		opts:     opts,
		log:      opts.Logger,
		store:    newStore(opts.Now, opts.MaxTasks, opts.MaxAttachmentBytes),
		rec:      &recorder{limit: opts.RecordLimit, bodyLimit: opts.RecordBodyBytes},
		sessions: &sessions{tokens: map[string]session{}},
		specTag:  `"` + hex.EncodeToString(sum[:8]) + `"`,
	}
	a.handler = a.newHandler()
	return a
}

func orDefault[T int | int64 | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Spec returns the embedded OpenAPI document (JSON). Callers must not modify it.
func (a *API) Spec() []byte { return specJSON }

// Handler returns the HTTP handler serving SpecPath and the API.
func (a *API) Handler() http.Handler { return a.handler }

// Requests returns the most recent API requests (not spec fetches), oldest first.
func (a *API) Requests() []RecordedRequest { return a.rec.all() }

// ClearRequests forgets the recorded requests.
func (a *API) ClearRequests() { a.rec.clear() }

// Reset restores every owner's tasks to the seed data.
func (a *API) Reset() { a.store.reset() }

func (a *API) owner(r *http.Request) string {
	if user, ok := userFrom(r.Context()); ok {
		return user
	}
	if a.opts.Owner != nil {
		if name := a.opts.Owner(r); name != "" {
			return name
		}
	}
	return DefaultOwner
}

// route is one operation of openapi.json; path is relative to BasePath.
type route struct {
	method, path, operationID string
	handle                    http.HandlerFunc
}

func (a *API) routes() []route {
	return []route{
		{http.MethodGet, "/tasks", "listTasks", a.listTasks},
		{http.MethodPost, "/tasks", "createTask", a.createTask},
		{http.MethodGet, "/tasks/{taskId}", "getTask", a.getTask},
		{http.MethodPut, "/tasks/{taskId}", "replaceTask", a.replaceTask},
		{http.MethodPatch, "/tasks/{taskId}", "updateTask", a.updateTask},
		{http.MethodDelete, "/tasks/{taskId}", "deleteTask", a.deleteTask},
		{http.MethodPost, "/tasks/{taskId}/attachments", "uploadAttachment", a.uploadAttachment},
		{http.MethodGet, "/tasks/{taskId}/attachments/{attachmentId}", "downloadAttachment", a.downloadAttachment},
	}
}

const fallbackPattern = BasePath + "/"

func (a *API) newHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+SpecPath, a.serveSpec)
	mux.HandleFunc("POST "+LoginPath, a.login)
	mux.HandleFunc("POST "+RefreshPath, a.refresh)
	for _, rt := range a.routes() {
		mux.Handle(rt.method+" "+BasePath+rt.path, a.authenticate(rt.handle))
	}
	mux.HandleFunc(fallbackPattern, func(w http.ResponseWriter, r *http.Request) { a.noRoute(mux, w, r) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, a.log, problemf(http.StatusNotFound, "no such path %q; the API is under %s and its document at %s",
			r.URL.Path, BasePath, SpecPath))
	})
	return a.logRequests(a.recordRequests(mux))
}

// noRoute answers API paths that match no route: 405 with Allow when the
// path exists for other methods, else 404, both as problem JSON.
func (a *API) noRoute(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != fallbackPattern && strings.HasPrefix(pattern, m+" ") {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		writeError(w, a.log, problemf(http.StatusNotFound, "no route for %s %s", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	writeError(w, a.log, problemf(http.StatusMethodNotAllowed, "%s is not allowed on %s; allowed: %s",
		r.Method, r.URL.Path, strings.Join(allow, ", ")))
}

// serveSpec serves the document with an ETag, so conditional GETs get 304.
func (a *API) serveSpec(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", a.specTag)
	w.Header().Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(specJSON))
}

// recordRequests reads each API request body whole (within MaxBodyBytes),
// records the request and hands the handler the buffered body. Login and
// refresh requests are not recorded: they carry passwords and tokens.
func (a *API) recordRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.URL.Path != BasePath && !strings.HasPrefix(r.URL.Path, BasePath+"/")) || strings.HasPrefix(r.URL.Path, authPrefix) {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opts.MaxBodyBytes))
		var tooLarge *http.MaxBytesError
		a.rec.add(r, body, errors.As(err, &tooLarge))
		switch {
		case tooLarge != nil:
			writeError(w, a.log, problemf(http.StatusRequestEntityTooLarge,
				"the request body exceeds %d bytes", a.opts.MaxBodyBytes))
			return
		case err != nil:
			writeError(w, a.log, badRequest("read request body: %v", err))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func (a *API) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		a.log.Debug("demo api request", "method", r.Method, "path", r.URL.Path, "status", sw.status)
	})
}

// ListenAndServe serves a new API with default options on addr until ctx is
// cancelled; see API.ListenAndServe.
func ListenAndServe(ctx context.Context, addr string, logger *slog.Logger) error {
	return New(Options{Logger: logger}).ListenAndServe(ctx, addr)
}

// ListenAndServe listens on addr and serves the API until ctx is cancelled.
func (a *API) ListenAndServe(ctx context.Context, addr string) error {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("demo api: listen on %s: %w", addr, err)
	}
	return a.Serve(ctx, ln)
}

// Serve serves the API on ln until ctx is cancelled, then shuts down
// gracefully, giving open requests up to 5 seconds. It closes ln and
// returns nil after a clean shutdown.
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		WriteTimeout:      time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.log.Info("demo api listening", "addr", ln.Addr().String(), "spec", SpecPath)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("demo api: serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("demo api: shut down on %s: %w", ln.Addr(), err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("demo api: serve on %s: %w", ln.Addr(), err)
	}
	return nil
}
