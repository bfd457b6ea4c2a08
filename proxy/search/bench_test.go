package search

import (
	"slices"
	"testing"
	"time"

	"github.com/specgate/specgate/proxy/catalog"
)

// bigCatalog merges real specs into one catalog of exactly n operations
// (names prefixed to stay unique), the size of a GitHub-class API.
func bigCatalog(b *testing.B, n int) *catalog.Catalog {
	b.Helper()
	var ops []*catalog.Operation
	for _, spec := range []string{"slack-web-api-v2.0.json", "square-connect-v3.0.json", "box-platform-v3.0.json", "discord-v3.1.json", "openai-v3.1.yaml"} {
		for _, op := range loadCatalog(b, spec).Operations() {
			cp := *op
			cp.Name = spec[:4] + "_" + op.Name
			ops = append(ops, &cp)
		}
	}
	if len(ops) < n {
		b.Fatalf("only %d operations in the corpus, want %d", len(ops), n)
	}
	return catalog.New(ops[:n])
}

func evalQueries(b *testing.B) []string {
	b.Helper()
	var qs []string
	for _, task := range loadEvalFile(b) {
		qs = append(qs, task.Task)
	}
	return qs
}

// BenchmarkSearch measures one search over 1,000 operations and reports the
// latency distribution (p50, p99) across the eval queries.
func BenchmarkSearch(b *testing.B) {
	idx := Build(bigCatalog(b, 1000))
	qs := evalQueries(b)
	visible := func(op *catalog.Operation) bool { return op.Method != "DELETE" }
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		res := idx.Search(Query{Text: qs[i%len(qs)], Limit: 10}, visible)
		lat = append(lat, time.Since(start))
		if res.Total < 0 {
			b.Fatal("negative total")
		}
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)].Nanoseconds()) / 1e3
	}
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
}

// BenchmarkBuild measures indexing a 300- and a 1,000-operation catalog.
func BenchmarkBuild(b *testing.B) {
	for _, tc := range []struct {
		name string
		cat  func() *catalog.Catalog
	}{
		{"square-316", func() *catalog.Catalog { return loadCatalog(b, "square-connect-v3.0.json") }},
		{"merged-1000", func() *catalog.Catalog { return bigCatalog(b, 1000) }},
	} {
		cat := tc.cat()
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Build(cat)
			}
		})
	}
}
