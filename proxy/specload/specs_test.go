package specload

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// specsDir holds the shared corpus of real specs (/work/shared/specs; CI
// has ../shared beside the repository).
var specsDir = filepath.Join("..", "..", "..", "shared", "specs")

func corpusFile(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(specsDir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Skipf("spec corpus not available: %v", err)
	}
	return p
}

// countOps counts path operations the way MANIFEST.md does: the 8 HTTP
// methods of every path item.
func countOps(doc *openapi3.T) int {
	n := 0
	for _, item := range doc.Paths.Map() {
		for _, op := range []*openapi3.Operation{item.Get, item.Put, item.Post, item.Delete, item.Options, item.Head, item.Patch, item.Trace} {
			if op != nil {
				n++
			}
		}
	}
	return n
}

func TestLoadCorpus(t *testing.T) {
	tests := []struct {
		file       string
		version    string
		ops        int
		unresolved int // places where an unresolved reference was replaced
		targets    int // distinct unresolved references
	}{
		{"oai-petstore-v2.0.json", "2.0", 3, 0, 0},
		{"oai-petstore-expanded-v2.0.yaml", "2.0", 4, 0, 0},
		{"oai-uber-v2.0.yaml", "2.0", 5, 0, 0},
		{"oai-petstore-v3.0.yaml", "3.0.0", 3, 0, 0},
		{"oai-petstore-expanded-v3.0.yaml", "3.0.0", 4, 0, 0},
		{"oai-callback-example-v3.0.yaml", "3.0.0", 1, 0, 0},
		{"oai-link-example-v3.0.yaml", "3.0.0", 6, 0, 0},
		{"oai-uspto-v3.0.yaml", "3.0.1", 3, 0, 0},
		{"oai-webhook-example-v3.1.yaml", "3.1.0", 0, 0, 0},
		{"oai-non-oauth-scopes-v3.1.yaml", "3.1.0", 1, 0, 0},
		{"swagger-petstore-v3.0.yaml", "3.0.4", 19, 0, 0},
		{"redocly-museum-v3.1.yaml", "3.1.0", 8, 0, 0},
		{"slack-web-api-v2.0.json", "2.0", 174, 0, 0},
		{"square-connect-v3.0.json", "3.0.0", 316, 5, 1},
		{"box-platform-v3.0.json", "3.0.2", 296, 0, 0},
		{"openai-v3.1.yaml", "3.1.0", 288, 0, 0},
		{"discord-v3.1.json", "3.1.0", 242, 0, 0},
		{"temporal-v2.0.json", "2.0", 226, 10, 2},
		{"temporal-v3.0.yaml", "3.0.3", 226, 0, 0},
	}
	loader := NewLoader(Options{})
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			doc, err := loader.Load(context.Background(), corpusFile(t, tt.file))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if doc.SourceVersion != tt.version {
				t.Errorf("SourceVersion = %q, want %q", doc.SourceVersion, tt.version)
			}
			if got := countOps(doc.Spec); got != tt.ops {
				t.Errorf("operations = %d, want %d", got, tt.ops)
			}
			if !strings.HasPrefix(doc.Spec.OpenAPI, "3.") {
				t.Errorf("Spec.OpenAPI = %q, want 3.x", doc.Spec.OpenAPI)
			}
			unresolved, targets := 0, map[string]bool{}
			for _, w := range doc.Warnings {
				if ref, ok := strings.CutPrefix(w.Message, "unresolved reference "); ok {
					unresolved++
					targets[strings.Fields(ref)[0]] = true
				}
				// square's 60 squarecdn $refs sit inside `example` values:
				// instance data, not references.
				if strings.Contains(w.Message, "squarecdn") {
					t.Errorf("warning about a $ref inside example data: %v", w)
				}
			}
			if unresolved != tt.unresolved || len(targets) != tt.targets {
				t.Errorf("unresolved references: %d places, %d targets; want %d, %d: %v", unresolved, len(targets), tt.unresolved, tt.targets, doc.Warnings)
			}
			if len(doc.Digest) != 64 || doc.Size == 0 || doc.ModTime.IsZero() {
				t.Errorf("file metadata not set: digest %q size %d mtime %v", doc.Digest, doc.Size, doc.ModTime)
			}
		})
	}
}

// BenchmarkLoad measures Load (read + decode + repair + kin-openapi parse
// and reference resolution) of the biggest specs of the corpus.
func BenchmarkLoad(b *testing.B) {
	for _, name := range []string{"square-connect-v3.0.json", "openai-v3.1.yaml", "box-platform-v3.0.json", "slack-web-api-v2.0.json", "discord-v3.1.json", "temporal-v3.0.yaml"} {
		b.Run(name, func(b *testing.B) {
			path := corpusFile(b, name)
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			loader := NewLoader(Options{})
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			for b.Loop() {
				if _, err := loader.Load(context.Background(), path); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
