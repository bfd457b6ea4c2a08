package search

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

// specDir holds the shared corpus; CI checks ../shared out beside the repo.
var specDir = filepath.Join("..", "..", "..", "shared", "specs")

var (
	catMu    sync.Mutex
	catCache = map[string]*catalog.Catalog{}
)

// loadCatalog loads a corpus spec the way specgate does (specload, then
// convert), once per test binary.
func loadCatalog(tb testing.TB, name string) *catalog.Catalog {
	tb.Helper()
	catMu.Lock()
	defer catMu.Unlock()
	if c, ok := catCache[name]; ok {
		return c
	}
	data, err := os.ReadFile(filepath.Join(specDir, name))
	if err != nil {
		tb.Fatalf("read spec: %v", err)
	}
	doc, err := specload.Parse(context.Background(), data, name, specload.Options{})
	if err != nil {
		tb.Fatalf("parse %s: %v", name, err)
	}
	cat, err := convert.Convert(doc.Spec, convert.Options{})
	if err != nil {
		tb.Fatalf("convert %s: %v", name, err)
	}
	catCache[name] = cat
	return cat
}
