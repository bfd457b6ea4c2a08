package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strings"
	"time"
)

// assetPrefix is where the pages expect Assets to be mounted.
const assetPrefix = "/static/"

//go:embed static
var staticFS embed.FS

// asset is one embedded file. It is served under its fingerprinted name
// (content hash in the name, cached for a year) and under its plain name
// (cached for an hour), so a new release never serves stale CSS.
type asset struct {
	name        string // fingerprinted name, e.g. specgate.1a2b3c4d5e.css
	plain       string // file name in static/
	contentType string
	data        []byte
	etag        string
}

var (
	stylesheet = loadAsset("specgate.css", "text/css; charset=utf-8")
	favicon    = loadAsset("favicon.svg", "image/svg+xml")
	assets     = map[string]*asset{}
)

func init() {
	for _, a := range []*asset{stylesheet, favicon} {
		assets[a.name] = a
		assets[a.plain] = a
	}
}

func loadAsset(plain, contentType string) *asset {
	data, err := staticFS.ReadFile("static/" + plain)
	if err != nil {
		panic("web: missing embedded asset " + plain) // a build defect, caught by every test
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:5])
	ext := path.Ext(plain)
	return &asset{
		name:        strings.TrimSuffix(plain, ext) + "." + hash + ext,
		plain:       plain,
		contentType: contentType,
		data:        data,
		etag:        `"` + hash + `"`,
	}
}

// Assets serves the embedded stylesheet and icon. Mount it at "/static/"
// (the pages link there); it serves files by their last path element, so
// it works behind http.StripPrefix too. Only GET and HEAD are allowed.
func Assets() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		a, ok := assets[path.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.contentType)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'")
		h.Set("ETag", a.etag)
		if path.Base(r.URL.Path) == a.name {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		http.ServeContent(w, r, a.plain, time.Time{}, bytes.NewReader(a.data))
	})
}
