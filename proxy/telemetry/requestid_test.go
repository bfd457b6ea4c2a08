package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRequestIDMiddleware(t *testing.T) {
	tests := []struct {
		name     string
		incoming []string // X-Request-Id values sent; nil sends none
		keep     bool     // the incoming value must be kept
	}{
		{"none", nil, false},
		{"uuid", []string{"0f8fad5b-d9cb-469f-a165-70867728950e"}, true},
		{"trace-like", []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}, true},
		{"base64", []string{"aGVsbG8/+=="}, true},
		{"max length", []string{strings.Repeat("a", MaxRequestIDLength)}, true},
		{"too long", []string{strings.Repeat("a", MaxRequestIDLength+1)}, false},
		{"empty", []string{""}, false},
		{"space", []string{"abc def"}, false},
		{"log injection", []string{"abc\" level=ERROR msg=\"forged"}, false},
		{"newline", []string{"abc\nX-Evil: 1"}, false},
		{"non-ascii", []string{"ïd"}, false},
		{"two headers: first wins", []string{"first-id", "second-id"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seenCtx, seenHeader string
			h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				seenCtx = RequestIDFromContext(r.Context())
				seenHeader = r.Header.Get(RequestIDHeader)
			}))
			req := httptest.NewRequest(http.MethodGet, "/mcp", nil)
			for _, v := range tt.incoming {
				req.Header[RequestIDHeader] = append(req.Header[RequestIDHeader], v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			got := rec.Header().Get(RequestIDHeader)
			if !ValidRequestID(got) {
				t.Fatalf("response X-Request-Id %q is not a valid ID", got)
			}
			if seenCtx != got || seenHeader != got {
				t.Errorf("context %q, request header %q, response header %q: want all equal", seenCtx, seenHeader, got)
			}
			if tt.keep && got != tt.incoming[0] {
				t.Errorf("valid incoming ID %q replaced by %q", tt.incoming[0], got)
			}
			if !tt.keep && len(tt.incoming) > 0 && got == tt.incoming[0] {
				t.Errorf("invalid incoming ID %q kept", got)
			}
		})
	}
}

func TestNewRequestIDsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := NewRequestID()
		if !ValidRequestID(id) || seen[id] {
			t.Fatalf("NewRequestID returned %q (valid %v, repeated %v)", id, ValidRequestID(id), seen[id])
		}
		seen[id] = true
	}
}

func TestPropagateRequestID(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "http://upstream.test/pets", nil)
	if err := PropagateRequestID(context.Background(), req); err != nil || req.Header.Get(RequestIDHeader) != "" {
		t.Fatalf("no ID in ctx: err %v, header %q; want nothing set", err, req.Header.Get(RequestIDHeader))
	}
	req.Header.Set(RequestIDHeader, "client-chosen")
	ctx := ContextWithRequestID(context.Background(), "req-123")
	if err := PropagateRequestID(ctx, req); err != nil {
		t.Fatal(err)
	}
	if got := req.Header.Values(RequestIDHeader); len(got) != 1 || got[0] != "req-123" {
		t.Errorf("upstream X-Request-Id = %q, want exactly [req-123]", got)
	}
}

// TestRequestIDEndToEnd checks the ID a client sends reaches the upstream
// through the middleware and the propagation hook.
func TestRequestIDEndToEnd(t *testing.T) {
	var upstreamSaw string
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		upstreamSaw = r.Header.Get(RequestIDHeader)
	}))
	defer upstream.Close()
	front := httptest.NewServer(RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		out, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, upstream.URL, nil)
		_ = PropagateRequestID(r.Context(), out)
		resp, err := upstream.Client().Do(out)
		if err != nil {
			t.Error(err)
			return
		}
		resp.Body.Close()
	})))
	defer front.Close()
	req, _ := http.NewRequest(http.MethodGet, front.URL, nil)
	req.Header.Set(RequestIDHeader, "trace-42")
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if upstreamSaw != "trace-42" || resp.Header.Get(RequestIDHeader) != "trace-42" {
		t.Errorf("upstream saw %q, client got back %q; want trace-42 both", upstreamSaw, resp.Header.Get(RequestIDHeader))
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(NewLogHandler(slog.NewJSONHandler(&buf, nil))).With("component", "test")
	ctx := ContextWithRequestID(context.Background(), "req-9")
	log.InfoContext(ctx, "with id")
	log.Info("without id")
	log.WithGroup("g").InfoContext(ctx, "grouped", "k", "v")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d log lines, want 3:\n%s", len(lines), buf.String())
	}
	var recs []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		recs = append(recs, m)
	}
	if recs[0]["request_id"] != "req-9" || recs[0]["component"] != "test" {
		t.Errorf("record with ctx = %v, want request_id req-9 and component test", recs[0])
	}
	if _, ok := recs[1]["request_id"]; ok {
		t.Errorf("record without ctx has a request_id: %v", recs[1])
	}
	if g, _ := recs[2]["g"].(map[string]any); g["request_id"] != "req-9" {
		t.Errorf("grouped record = %v, want request_id inside the group", recs[2])
	}
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		format, level string
		wantErr       bool
		wantJSON      bool
	}{
		{"json", "info", false, true},
		{"text", "debug", false, false},
		{"", "warn", false, false},
		{"xml", "info", true, false},
		{"json", "loud", true, false},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		log, err := NewLogger(&buf, tt.format, tt.level)
		if (err != nil) != tt.wantErr {
			t.Errorf("NewLogger(%q, %q) error = %v, want error %v", tt.format, tt.level, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		log.ErrorContext(ContextWithRequestID(context.Background(), "r1"), "boom")
		out := buf.String()
		if isJSON := strings.HasPrefix(out, "{"); isJSON != tt.wantJSON || !strings.Contains(out, "r1") {
			t.Errorf("NewLogger(%q, %q) wrote %q", tt.format, tt.level, out)
		}
	}
}

func FuzzValidRequestID(f *testing.F) {
	for _, s := range []string{"abc", "a b", "a\nb", "ïd", strings.Repeat("x", 200), "0f8fad5b-d9cb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if !ValidRequestID(id) {
			return
		}
		// A valid ID must be safe as a header value and as a bare log value.
		if len(id) > MaxRequestIDLength || strings.ContainsAny(id, " \t\r\n\"'\\<>;,") {
			t.Fatalf("ValidRequestID accepted %q", id)
		}
		h := http.Header{}
		h.Set(RequestIDHeader, id)
		if h.Get(RequestIDHeader) != id {
			t.Fatalf("%q does not survive as a header value", id)
		}
	})
}
