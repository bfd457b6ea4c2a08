package specload

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// aliasSpec is a small YAML spec whose extension repeats one anchored
// string of size bytes copies times through aliases.
func aliasSpec(size, copies int) string {
	var b strings.Builder
	b.WriteString("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n")
	fmt.Fprintf(&b, "x-big: &big %s\nx-copies:\n", strings.Repeat("a", size))
	for range copies {
		b.WriteString("  - *big\n")
	}
	return b.String()
}

// TestParseYAMLAliasExpansionBounded checks that a YAML document cannot
// use aliases to expand into far more JSON than a document may be large:
// yaml.v3 limits how many nodes aliases add, but one alias of a large
// scalar is a single node, and the re-encoding for kin-openapi would
// materialize every copy (200 KB of YAML -> 200 MB of JSON below).
func TestParseYAMLAliasExpansionBounded(t *testing.T) {
	tests := []struct {
		name         string
		size, copies int
		maxBytes     int64
		wantErr      bool
	}{
		{"few aliases", 1 << 10, 8, 1 << 20, false},
		{"aliases of a large string", 64 << 10, 200, 1 << 20, true},
		{"many aliases of a medium string", 1 << 10, 20000, 1 << 20, true},
		{"default limit", 1 << 20, 200, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(context.Background(), []byte(aliasSpec(tt.size, tt.copies)), "spec.yaml", Options{MaxBytes: tt.maxBytes})
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var pe *ParseError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), "expands") {
				t.Fatalf("Parse error = %v, want a *ParseError about the expansion", err)
			}
			if len(err.Error()) > 1000 {
				t.Fatalf("error is %d bytes long", len(err.Error()))
			}
		})
	}
}

// TestGzipBombIsCappedAfterDecompression checks that the transport's
// transparent gzip decoding does not get around MaxBytes: the cap counts
// decompressed bytes.
func TestGzipBombIsCappedAfterDecompression(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = zw.Write(specBody("bomb"))
	_, _ = zw.Write(bytes.Repeat([]byte(" "), 16<<20))
	_ = zw.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(buf.Bytes())
	}))
	defer srv.Close()
	_, err := NewLoader(Options{MaxBytes: 1 << 20}).Load(context.Background(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "exceeds the size limit of 1048576 bytes") {
		t.Fatalf("Load = %v, want the size limit error", err)
	}
}
