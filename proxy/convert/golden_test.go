package convert

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

var update = flag.Bool("update", false, "rewrite testdata/golden files")

// goldenDoc is what a golden file holds for one spec.
type goldenDoc struct {
	Title      string               `json:"title"`
	Version    string               `json:"version"`
	Warnings   []catalog.Warning    `json:"warnings,omitempty"`
	Operations []*catalog.Operation `json:"operations"`
}

// TestGolden compares the catalogs of the small specs with testdata/golden.
// Run `go test ./proxy/convert -run TestGolden -update` to accept changes.
func TestGolden(t *testing.T) {
	for _, name := range corpus(t) {
		if !strings.HasPrefix(name, "oai-") && name != "swagger-petstore-v3.0.yaml" && name != "redocly-museum-v3.1.yaml" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			cat, err := Convert(loadSpec(t, name), Options{})
			if err != nil {
				t.Fatalf("Convert: %v", err)
			}
			got, err := json.MarshalIndent(goldenDoc{cat.Title, cat.Version, cat.Warnings, cat.Operations()}, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			file := filepath.Join("testdata", "golden", strings.TrimSuffix(name, filepath.Ext(name))+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the converter output; run with -update and review the diff", file)
			}
		})
	}
}
