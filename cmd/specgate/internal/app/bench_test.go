package app_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

// BenchmarkLoadAndConvert measures what a spec (re)load costs end to end:
// parse (JSON/YAML, Swagger 2.0 conversion, ref repair, kin-openapi load)
// plus conversion into tools, on the biggest documents of the shared corpus.
// Besides ns/op and B/op it reports the live heap the resulting catalog keeps
// (heap-MB) and the tool count.
//
//	go test -run '^$' -bench LoadAndConvert -benchmem ./cmd/specgate/internal/app
func BenchmarkLoadAndConvert(b *testing.B) {
	dir := filepath.Join("..", "..", "..", "..", "..", "shared", "specs")
	for _, name := range []string{
		"square-connect-v3.0.json", "openai-v3.1.yaml", "box-platform-v3.0.json",
		"slack-web-api-v2.0.json", "discord-v3.1.json", "temporal-v2.0.json",
	} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			b.Skipf("corpus not available: %v", err)
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			var tools int
			var heap float64
			for i := 0; i < b.N; i++ {
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				doc, err := specload.Parse(context.Background(), data, name, specload.Options{})
				if err != nil {
					b.Fatal(err)
				}
				cat, err := convert.Convert(doc.Spec, convert.Options{})
				if err != nil {
					b.Fatal(err)
				}
				doc = nil
				runtime.GC()
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				heap = float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc)) / (1 << 20)
				tools = cat.Len()
				runtime.KeepAlive(cat)
			}
			b.ReportMetric(float64(tools), "tools")
			b.ReportMetric(heap, "heap-MB")
		})
	}
}
