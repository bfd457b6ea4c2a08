package forward

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"testing"
)

// gzipZeros is n zero bytes, gzip-compressed (about n/1000 bytes).
func gzipZeros(t testing.TB, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for n > 0 {
		k := min(n, len(chunk))
		if _, err := zw.Write(chunk[:k]); err != nil {
			t.Fatal(err)
		}
		n -= k
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestGzipBombIsCappedAfterDecompression checks that the transport's
// transparent gzip decoding does not get around MaxResponseBytes: the cap
// counts decompressed bytes, so 32 MiB of zeros in a 32 KB body cost at
// most the cap.
func TestGzipBombIsCappedAfterDecompression(t *testing.T) {
	bomb := gzipZeros(t, 32<<20)
	up := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(bomb)
	})
	f := New(Options{MaxResponseBytes: 1 << 20})
	var text string
	n := allocated(func() {
		text = resultText(f.Call(context.Background(), up.URL, simpleOp(), args(t, `{"id":"1"}`)))
	})
	if !strings.Contains(text, "exceeded the 1048576-byte read limit") {
		t.Errorf("result does not say the body was cut: %.200q", text)
	}
	if n > 24<<20 {
		t.Errorf("the call allocated %d MiB for a 1 MiB cap", n>>20)
	}
}
