package specload

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"
)

// Loader loads specs from URLs and files. It is safe for concurrent use.
type Loader struct {
	opts   Options
	fetch  *fetcher
	parses atomic.Int64
}

// NewLoader returns a Loader with opts (zero fields take their defaults).
func NewLoader(opts Options) *Loader {
	opts = opts.withDefaults()
	return &Loader{opts: opts, fetch: newFetcher(opts)}
}

// Parses reports how many documents the Loader has parsed. A reload that
// finds the spec unchanged does not parse it.
func (l *Loader) Parses() int64 { return l.parses.Load() }

// Load reads and parses the spec at source: an http(s) URL, a file:// URL
// or a file path.
func (l *Loader) Load(ctx context.Context, source string) (*Document, error) {
	src, err := parseSource(source)
	if err != nil {
		return nil, err
	}
	if src == nil {
		return nil, errors.New("load spec: no source given")
	}
	if src.url != nil {
		r, err := l.get(ctx, src, nil)
		if err != nil {
			return nil, err
		}
		return l.parseFetched(ctx, source, r)
	}
	data, fi, err := l.fetch.readFile(src.path)
	if err != nil {
		return nil, fmt.Errorf("read spec %s: %w", source, err)
	}
	return l.parseFile(ctx, source, data, fi)
}

// Reload loads prev.Source again unless it is unchanged. For a URL it sends
// prev's ETag and Last-Modified: a 304 answer returns prev without reading
// or parsing anything, and so does a body whose digest equals prev.Digest
// (then with the new validators). For a file, an unchanged size and
// modification time, then an unchanged digest, mean unchanged. changed is
// true only when a new document was parsed; doc is never nil without error.
func (l *Loader) Reload(ctx context.Context, prev *Document) (doc *Document, changed bool, err error) {
	if prev == nil {
		return nil, false, errors.New("reload spec: no previous document")
	}
	src, err := parseSource(prev.Source)
	if err != nil {
		return nil, false, err
	}
	if src == nil {
		return nil, false, errors.New("reload spec: the previous document has no source")
	}
	if src.url != nil {
		r, err := l.get(ctx, src, prev)
		if err != nil {
			return nil, false, err
		}
		if r.notModified {
			l.opts.Logger.DebugContext(ctx, "spec not modified", "source", redact(prev.Source))
			return prev, false, nil
		}
		if digest(r.data) == prev.Digest {
			same := *prev
			same.ETag, same.LastModified = r.etag, r.lastModified
			return &same, false, nil
		}
		doc, err := l.parseFetched(ctx, prev.Source, r)
		return doc, err == nil, err
	}
	fi, err := os.Stat(src.path)
	if err != nil {
		return nil, false, fmt.Errorf("read spec %s: %w", prev.Source, err)
	}
	if fi.Size() == prev.Size && fi.ModTime().Equal(prev.ModTime) {
		return prev, false, nil
	}
	data, fi, err := l.fetch.readFile(src.path)
	if err != nil {
		return nil, false, fmt.Errorf("read spec %s: %w", prev.Source, err)
	}
	if digest(data) == prev.Digest {
		same := *prev
		same.ModTime, same.Size = fi.ModTime(), fi.Size()
		return &same, false, nil
	}
	doc, err = l.parseFile(ctx, prev.Source, data, fi)
	return doc, err == nil, err
}

func (l *Loader) get(ctx context.Context, src *source, prev *Document) (*response, error) {
	start := time.Now()
	r, err := l.fetch.get(ctx, src.url, prev, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch spec %s: %w", redactURL(src.url), err)
	}
	l.opts.Logger.DebugContext(ctx, "spec fetched", "source", redactURL(src.url),
		"bytes", len(r.data), "not_modified", r.notModified, "duration", time.Since(start))
	return r, nil
}

func (l *Loader) parseFetched(ctx context.Context, source string, r *response) (*Document, error) {
	doc, err := l.parse(ctx, source, r.data)
	if err != nil {
		return nil, err
	}
	doc.ETag, doc.LastModified = r.etag, r.lastModified
	return doc, nil
}

func (l *Loader) parseFile(ctx context.Context, source string, data []byte, fi os.FileInfo) (*Document, error) {
	doc, err := l.parse(ctx, source, data)
	if err != nil {
		return nil, err
	}
	doc.ModTime, doc.Size = fi.ModTime(), fi.Size()
	return doc, nil
}

func (l *Loader) parse(ctx context.Context, source string, data []byte) (*Document, error) {
	l.parses.Add(1)
	start := time.Now()
	doc, err := parse(ctx, data, source, l.opts, l.fetch)
	if err != nil {
		return nil, err
	}
	l.opts.Logger.DebugContext(ctx, "spec parsed", "source", redact(source), "version", doc.SourceVersion,
		"bytes", len(data), "warnings", len(doc.Warnings), "duration", time.Since(start))
	return doc, nil
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
