// Package refresh keeps the catalog current: it reloads the spec every TTL
// (with jitter) or when triggered, rebuilds the catalog when the spec
// changed, and publishes it through a catalog.Holder. A failed reload or
// build keeps the last good catalog in force.
package refresh

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/specload"
)

// BuildFunc builds a catalog from a loaded spec. prev is the catalog in
// force (nil on the first build), so names can be kept stable.
type BuildFunc func(ctx context.Context, doc *specload.Document, prev *catalog.Catalog) (*catalog.Catalog, error)

// Defaults applied to zero Options fields.
const (
	DefaultTTL    = 5 * time.Minute
	DefaultJitter = 0.1
)

// maxLoggedWarnings bounds how many validation warnings one log line shows.
const maxLoggedWarnings = 5

// Options configure a Refresher. The zero value is usable.
type Options struct {
	// TTL is the time between reloads. Zero means DefaultTTL; negative
	// disables periodic reloads (Trigger still reloads).
	TTL time.Duration
	// Jitter spreads reloads by ±Jitter×TTL so replicas do not reload in
	// step. Zero means DefaultJitter; negative means none. At most 0.5.
	Jitter float64
	// Logger receives reload and validation logs. Nil discards them.
	Logger *slog.Logger
	// OnValidate, if set, receives the result of the background validation
	// of each new spec version (called from the validation goroutine).
	OnValidate func(doc *specload.Document, warnings []catalog.Warning)
	// OnRefresh, if set, is told the result of every load or reload:
	// ResultOK (a catalog was published), ResultNotModified or ResultFailed.
	OnRefresh func(result string)
}

// Results reported to Options.OnRefresh.
const (
	ResultOK          = "ok"
	ResultNotModified = "not_modified"
	ResultFailed      = "failed"
)

// report tells Options.OnRefresh the result of an attempt.
func (r *Refresher) report(result string) {
	if r.opts.OnRefresh != nil {
		r.opts.OnRefresh(result)
	}
}

// Status describes the refresher's last attempts.
type Status struct {
	// Source is the spec location.
	Source string
	// LastAttempt is when the last load or reload finished.
	LastAttempt time.Time
	// LastSuccess is when a load or reload last succeeded (changed or not).
	LastSuccess time.Time
	// LastChange is when a new catalog was last published.
	LastChange time.Time
	// LastError is why the last attempt failed; empty if it succeeded.
	LastError string
	// Digest identifies the spec behind the catalog in force.
	Digest string
	// Operations is the number of operations in the catalog in force.
	Operations int
	// Warnings is the number of load and build warnings of that catalog.
	Warnings int
}

// Refresher reloads one spec and publishes its catalog.
type Refresher struct {
	loader  *specload.Loader
	source  string
	build   BuildFunc
	holder  *catalog.Holder
	opts    Options
	log     *slog.Logger
	trigger chan struct{}

	mu             sync.Mutex
	doc            *specload.Document // last good document (its validators drive Reload)
	cat            *catalog.Catalog   // catalog in force, built from doc
	status         Status
	validated      string // digest of the last document sent to validation
	cancelValidate context.CancelFunc
}

// New returns a Refresher for source. Call Init once, then Run.
func New(loader *specload.Loader, source string, build BuildFunc, holder *catalog.Holder, opts Options) *Refresher {
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	switch {
	case opts.Jitter == 0:
		opts.Jitter = DefaultJitter
	case opts.Jitter < 0:
		opts.Jitter = 0
	case opts.Jitter > 0.5:
		opts.Jitter = 0.5
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Refresher{
		loader: loader, source: source, build: build, holder: holder, opts: opts,
		log:     log.With("source", redactSource(source)),
		trigger: make(chan struct{}, 1),
		status:  Status{Source: redactSource(source)},
	}
}

// Init loads the spec, builds the first catalog and publishes it, then
// starts validating the spec in the background. Its error names the source
// and is meant to be fatal: there is no catalog to serve.
func (r *Refresher) Init(ctx context.Context) error {
	doc, err := r.loader.Load(ctx, r.source)
	if err != nil {
		r.failed("initial spec load failed", err)
		return err
	}
	cat, err := r.buildCatalog(ctx, doc, nil)
	if err != nil {
		r.failed("initial catalog build failed", err)
		return err
	}
	r.publish(doc, cat)
	r.validate(context.WithoutCancel(ctx), doc)
	return nil
}

// Run reloads the spec every TTL±jitter and on Trigger until ctx is done.
// A validation still running then is abandoned (its result is dropped).
func (r *Refresher) Run(ctx context.Context) {
	defer func() {
		r.mu.Lock()
		if r.cancelValidate != nil {
			r.cancelValidate()
		}
		r.mu.Unlock()
	}()
	var tick <-chan time.Time
	var timer *time.Timer
	if r.opts.TTL > 0 {
		timer = time.NewTimer(r.nextDelay())
		defer timer.Stop()
		tick = timer.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-r.trigger:
		}
		r.reload(ctx)
		if timer != nil {
			timer.Reset(r.nextDelay())
		}
	}
}

// Trigger asks Run to reload now (e.g. on SIGHUP). It never blocks; calls
// made while a reload is pending or running are coalesced into one.
func (r *Refresher) Trigger() {
	select {
	case r.trigger <- struct{}{}:
	default:
	}
}

// Status returns a snapshot of the refresher's state.
func (r *Refresher) Status() Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

func (r *Refresher) nextDelay() time.Duration {
	j := r.opts.Jitter * (2*rand.Float64() - 1)
	return time.Duration(float64(r.opts.TTL) * (1 + j))
}

func (r *Refresher) reload(ctx context.Context) {
	r.mu.Lock()
	prev, prevCat := r.doc, r.cat
	r.mu.Unlock()

	var doc *specload.Document
	changed := true
	var err error
	if prev == nil { // Init failed or was not called: try from scratch
		doc, err = r.loader.Load(ctx, r.source)
	} else {
		doc, changed, err = r.loader.Reload(ctx, prev)
	}
	if err != nil {
		if ctx.Err() == nil {
			r.failed("spec reload failed", err)
		}
		return
	}
	if !changed {
		r.mu.Lock()
		r.doc = doc // may carry fresh validators
		r.status.LastAttempt = time.Now()
		r.status.LastSuccess = r.status.LastAttempt
		r.status.LastError = ""
		r.mu.Unlock()
		r.log.DebugContext(ctx, "spec unchanged")
		r.report(ResultNotModified)
		return
	}
	cat, err := r.buildCatalog(ctx, doc, prevCat)
	if err != nil {
		if ctx.Err() == nil {
			r.failed("catalog build failed", err)
		}
		return
	}
	r.publish(doc, cat)
	r.validate(ctx, doc)
}

// buildCatalog runs the BuildFunc. A panic in it (a converter bug meeting a
// strange spec) becomes an error, so the last good catalog stays in force.
func (r *Refresher) buildCatalog(ctx context.Context, doc *specload.Document, prev *catalog.Catalog) (cat *catalog.Catalog, err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.ErrorContext(ctx, "catalog build panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			cat, err = nil, fmt.Errorf("build catalog from spec %s: panic: %v", redactSource(r.source), p)
		}
	}()
	cat, err = r.build(ctx, doc, prev)
	if err == nil && cat == nil {
		err = errors.New("the builder returned no catalog")
	}
	if err != nil {
		return nil, fmt.Errorf("build catalog from spec %s: %w", redactSource(r.source), err)
	}
	return cat, nil
}

func (r *Refresher) publish(doc *specload.Document, cat *catalog.Catalog) {
	r.holder.Set(cat)
	now := time.Now()
	r.mu.Lock()
	r.doc, r.cat = doc, cat
	r.status.LastAttempt, r.status.LastSuccess, r.status.LastChange = now, now, now
	r.status.LastError = ""
	r.status.Digest = doc.Digest
	r.status.Operations = cat.Len()
	r.status.Warnings = len(cat.Warnings)
	r.mu.Unlock()
	r.log.Info("catalog published", "digest", doc.Digest, "version", doc.SourceVersion,
		"operations", cat.Len(), "warnings", len(cat.Warnings))
	r.report(ResultOK)
}

func (r *Refresher) failed(msg string, err error) {
	r.mu.Lock()
	r.status.LastAttempt = time.Now()
	r.status.LastError = err.Error()
	kept := r.cat != nil
	r.mu.Unlock()
	r.log.Warn(msg, "error", err.Error(), "kept_last_good", kept)
	r.report(ResultFailed)
}

// validate runs specload.Validate on doc in the background, once per
// digest. A newer document supersedes a running validation: its result is
// dropped (kin-openapi cannot be interrupted).
func (r *Refresher) validate(ctx context.Context, doc *specload.Document) {
	r.mu.Lock()
	if doc.Digest == r.validated {
		r.mu.Unlock()
		return
	}
	r.validated = doc.Digest
	if r.cancelValidate != nil {
		r.cancelValidate()
	}
	vctx, cancel := context.WithCancel(ctx)
	r.cancelValidate = cancel
	r.mu.Unlock()

	go func() {
		defer cancel()
		start := time.Now()
		warns := specload.Validate(vctx, doc)
		if vctx.Err() != nil {
			return
		}
		log := r.log.With("digest", doc.Digest, "duration", time.Since(start))
		if len(warns) == 0 {
			log.Info("spec validated")
		} else {
			first := make([]string, 0, maxLoggedWarnings)
			for _, w := range warns[:min(len(warns), maxLoggedWarnings)] {
				first = append(first, w.String())
			}
			log.Warn("spec has validation problems", "count", len(warns), "first", first)
		}
		if r.opts.OnValidate != nil {
			r.opts.OnValidate(doc, warns)
		}
	}()
}
