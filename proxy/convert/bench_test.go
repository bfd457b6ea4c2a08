package convert

import (
	"encoding/json"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// mcpTool is the shape of one tools/list entry, to measure its size.
type mcpTool struct {
	Name         string          `json:"name"`
	Title        string          `json:"title,omitempty"`
	Description  string          `json:"description"`
	InputSchema  json.RawMessage `json:"inputSchema"`
	OutputSchema json.RawMessage `json:"outputSchema,omitempty"`
	Annotations  struct {
		Title string `json:"title,omitempty"`
		catalog.Annotations
	} `json:"annotations"`
}

// toolsListBytes sums the marshalled size of every tool of a catalog.
func toolsListBytes(tb testing.TB, cat *catalog.Catalog) int {
	n := 0
	for _, op := range cat.Operations() {
		t := mcpTool{Name: op.Name, Title: op.Title, Description: op.Description, InputSchema: op.InputSchema, OutputSchema: op.OutputSchema}
		t.Annotations.Annotations = op.Annotations
		b, err := json.Marshal(t)
		if err != nil {
			tb.Fatal(err)
		}
		n += len(b)
	}
	return n
}

// BenchmarkConvert measures Convert alone (the document is loaded once,
// outside the timer) on the large specs of the corpus, and reports the
// total tools/list size.
func BenchmarkConvert(b *testing.B) {
	for _, name := range []string{
		"square-connect-v3.0.json", "openai-v3.1.yaml", "box-platform-v3.0.json",
		"discord-v3.1.json", "slack-web-api-v2.0.json", "temporal-v3.0.yaml", "temporal-v2.0.json",
	} {
		b.Run(name, func(b *testing.B) {
			doc := loadSpec(b, name)
			b.ReportAllocs()
			var cat *catalog.Catalog
			for b.Loop() {
				var err error
				if cat, err = Convert(doc, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(cat.Len()), "tools")
			b.ReportMetric(float64(toolsListBytes(b, cat)), "tools-list-bytes")
		})
	}
}
