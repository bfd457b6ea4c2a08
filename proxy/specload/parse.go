package specload

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/specgate/specgate/proxy/catalog"
)

// Parse parses a spec held in memory. source names it in errors and, when
// it is a URL or a file path, is where relative references and a relative
// server URL are resolved. Parse reads nothing else, except the external
// documents that opts allows.
func Parse(ctx context.Context, data []byte, source string, opts Options) (*Document, error) {
	opts = opts.withDefaults()
	return parse(ctx, data, source, opts, newFetcher(opts))
}

func parse(ctx context.Context, data []byte, source string, opts Options, f *fetcher) (*Document, error) {
	sum := sha256.Sum256(data)
	doc := &Document{Source: source, Digest: hex.EncodeToString(sum[:])}
	fail := func(pe *ParseError) error {
		pe.Source = source
		return pe
	}

	dec, perr := decode(data, opts.MaxBytes)
	if perr != nil {
		return nil, fail(perr)
	}
	root, ok := dec.root.(map[string]any)
	if !ok {
		return nil, fail(&ParseError{Err: fmt.Errorf("the top-level value must be an object, not %s", jsonKind(dec.root))})
	}

	n := &normalizer{ctx: ctx, opts: opts, fetch: f}
	src, _ := parseSource(source)
	var base *url.URL
	if src != nil {
		base = src.base
		n.rootDir = src.dir
	}
	version, err := n.version(root)
	if err != nil {
		return nil, fail(&ParseError{Err: err})
	}
	doc.SourceVersion = version
	if n.v2 {
		n.fixHost(root)
	}
	rootDoc := &genDoc{base: base, root: root}
	n.process(rootDoc)

	var body []byte
	if dec.isJSON && !rootDoc.changed && len(n.warns) == 0 {
		body = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	} else if body, err = encodeJSON(root); err != nil {
		return nil, fail(&ParseError{Err: fmt.Errorf("re-encode document: %w", err)})
	}
	external := make(map[string][]byte, len(n.ext))
	for _, k := range n.extKeys {
		if e := n.ext[k]; e.err == nil {
			if external[k], err = encodeJSON(e.root); err != nil {
				return nil, fail(&ParseError{Err: fmt.Errorf("re-encode %s: %w", redact(k), err)})
			}
		}
	}

	doc.Spec, err = loadKin(ctx, body, n.v2, external, root)
	if err != nil {
		return nil, fail(err.(*ParseError))
	}
	slices.SortStableFunc(n.warns, func(a, b catalog.Warning) int {
		return cmp.Or(strings.Compare(a.Where, b.Where), strings.Compare(a.Message, b.Message))
	})
	doc.Warnings = n.warns
	return doc, nil
}

// loadKin hands the repaired JSON to kin-openapi. It never lets kin-openapi
// read anything but the external documents fetched (and vetted) already.
func loadKin(ctx context.Context, body []byte, v2 bool, external map[string][]byte, generic any) (spec *openapi3.T, err error) {
	defer func() {
		// A spec is outside input: a kin-openapi panic on it must not crash us.
		if r := recover(); r != nil {
			spec, err = nil, &ParseError{Err: fmt.Errorf("OpenAPI loader failed: %v", r)}
		}
	}()
	loader := openapi3.NewLoader()
	loader.Context = ctx
	loader.IsExternalRefsAllowed = len(external) > 0
	loader.ReadFromURIFunc = func(_ *openapi3.Loader, u *url.URL) ([]byte, error) {
		if b, ok := external[withoutFragment(u)]; ok {
			return b, nil
		}
		return nil, fmt.Errorf("external reference %s is not allowed", redactURL(u))
	}
	if v2 {
		var d2 openapi2.T
		if err := json.Unmarshal(body, &d2); err != nil {
			return nil, structuralError(generic, reflect.TypeFor[openapi2.T](), err)
		}
		spec, err := openapi2conv.ToV3WithLoader(&d2, loader, nil)
		if err != nil {
			return nil, &ParseError{Err: fmt.Errorf("convert Swagger 2.0 to OpenAPI 3: %w", err)}
		}
		return spec, nil
	}
	spec = &openapi3.T{}
	if err := json.Unmarshal(body, spec); err != nil {
		return nil, structuralError(generic, reflect.TypeFor[openapi3.T](), err)
	}
	if err := loader.ResolveRefsIn(spec, nil); err != nil {
		return nil, &ParseError{Err: fmt.Errorf("resolve references: %w", err)}
	}
	return spec, nil
}

// source is a parsed spec location.
type source struct {
	url  *url.URL // set for http(s) sources
	path string   // set for file sources
	base *url.URL // where relative references resolve
	dir  string   // directory of a file source
}

// parseSource classifies a spec location: an http(s) URL, a file:// URL or
// a file path. An empty source has no location.
func parseSource(s string) (*source, error) {
	if s == "" {
		return nil, nil
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil {
			// url.Parse's error quotes the whole URL; keep only its reason.
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return nil, fmt.Errorf("invalid spec URL %s: %w", redact(s), err)
		}
		switch strings.ToLower(u.Scheme) {
		case "http", "https":
			if u.Host == "" {
				return nil, fmt.Errorf("invalid spec URL %s: no host", redact(s))
			}
			return &source{url: u, base: u}, nil
		case "file":
			if u.Host != "" && u.Host != "localhost" {
				return nil, fmt.Errorf("invalid spec URL %s: file URLs must name a local path", s)
			}
			s = filepath.FromSlash(u.Path)
		default:
			return nil, fmt.Errorf("unsupported spec URL scheme %q in %s: use http, https, file or a file path", u.Scheme, redact(s))
		}
	}
	abs, err := filepath.Abs(s)
	if err != nil {
		return nil, fmt.Errorf("spec path %s: %w", s, err)
	}
	return &source{path: s, base: &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, dir: filepath.Dir(abs)}, nil
}
