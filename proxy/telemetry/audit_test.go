package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

// decodeLines parses every line of an audit log, failing on anything that
// is not one JSON object per line.
func decodeLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(l))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil || dec.More() {
			t.Fatalf("audit line is not one JSON object: %q (%v)", l, err)
		}
		recs = append(recs, m)
	}
	return recs
}

func TestAuditRecordFields(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 8000, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		ctx  context.Context
		e    AuditEvent
		want map[string]any
	}{
		{
			name: "tool call",
			ctx:  ContextWithRequestID(context.Background(), "req-1"),
			e: AuditEvent{Time: at, Kind: AuditToolCall, User: "alice", Client: "client-1", API: "pets", Tool: "getPet",
				Scopes: []string{"read"}, UpstreamStatus: 404, Duration: 1500 * time.Microsecond, Outcome: OutcomeError},
			want: map[string]any{"time": "2026-03-04T04:06:07.000008Z", "event": "tool_call", "user": "alice", "client": "client-1",
				"api": "pets", "tool": "getPet", "scopes": []any{"read"}, "upstream_status": json.Number("404"),
				"duration_ms": json.Number("1.5"), "outcome": "error", "request_id": "req-1"},
		},
		{
			name: "tool call that sent nothing keeps duration",
			ctx:  context.Background(),
			e:    AuditEvent{Time: at, Kind: AuditToolCall, API: "pets", Tool: "getPet", Outcome: OutcomeError, RequestID: "explicit"},
			want: map[string]any{"time": "2026-03-04T04:06:07.000008Z", "event": "tool_call", "api": "pets", "tool": "getPet",
				"duration_ms": json.Number("0"), "outcome": "error", "request_id": "explicit"},
		},
		{
			name: "grant",
			ctx:  context.Background(),
			e:    AuditEvent{Time: at, Kind: AuditGrant, User: "bob", Client: "https://app.example/meta.json", Scopes: []string{"read", "offline_access"}, Outcome: "ok"},
			want: map[string]any{"time": "2026-03-04T04:06:07.000008Z", "event": "grant", "user": "bob",
				"client": "https://app.example/meta.json", "scopes": []any{"read", "offline_access"}, "outcome": "ok"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			NewAudit(&buf, nil).Record(tt.ctx, tt.e)
			recs := decodeLines(t, buf.String())
			if len(recs) != 1 || !reflect.DeepEqual(recs[0], tt.want) {
				t.Errorf("record =\n%v\nwant\n%v", recs, tt.want)
			}
		})
	}
}

func TestAuditClipsLongValues(t *testing.T) {
	var buf bytes.Buffer
	long := strings.Repeat("é", 300) // 600 bytes
	scopes := make([]string, 100)
	for i := range scopes {
		scopes[i] = "s"
	}
	NewAudit(&buf, nil).Record(context.Background(), AuditEvent{Kind: AuditLogin, User: long, Scopes: scopes})
	rec := decodeLines(t, buf.String())[0]
	user := rec["user"].(string)
	if len(user) > maxAuditString || !utf8.ValidString(user) || !strings.HasPrefix(long, user) {
		t.Errorf("user clipped to %d bytes (valid UTF-8 %v)", len(user), utf8.ValidString(user))
	}
	if n := len(rec["scopes"].([]any)); n != maxAuditScopes {
		t.Errorf("%d scopes kept, want %d", n, maxAuditScopes)
	}
}

func TestAuditConcurrentLinesStayWhole(t *testing.T) {
	var buf bytes.Buffer
	a := NewAudit(&buf, nil)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Record(context.Background(), AuditEvent{Kind: AuditToolCall, Tool: strings.Repeat("t", i+1)})
		}()
	}
	wg.Wait()
	if n := len(decodeLines(t, buf.String())); n != 50 {
		t.Errorf("%d records, want 50", n)
	}
}

type failingWriter struct{ fail bool }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestAuditWriteFailureIsLoggedOnce(t *testing.T) {
	var logs bytes.Buffer
	w := &failingWriter{fail: true}
	a := NewAudit(w, slog.New(slog.NewTextHandler(&logs, nil)))
	for range 3 {
		a.Record(context.Background(), AuditEvent{Kind: AuditLogin})
	}
	if n := strings.Count(logs.String(), "write audit log failed"); n != 1 {
		t.Errorf("failure logged %d times, want once:\n%s", n, logs.String())
	}
	w.fail = false
	a.Record(context.Background(), AuditEvent{Kind: AuditLogin})
	if !strings.Contains(logs.String(), "audit log writable again") {
		t.Errorf("recovery not logged:\n%s", logs.String())
	}
}

func TestOpenAudit(t *testing.T) {
	var stdout bytes.Buffer
	a, c, err := OpenAudit("", &stdout, nil)
	if err != nil || a != nil {
		t.Fatalf(`OpenAudit("") = %v, %v; want disabled`, a, err)
	}
	a.Record(context.Background(), AuditEvent{Kind: AuditLogin}) // nil Audit: no-op
	_ = c.Close()

	a, c, err = OpenAudit("-", &stdout, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Record(context.Background(), AuditEvent{Kind: AuditLogin})
	_ = c.Close()
	if len(decodeLines(t, stdout.String())) != 1 {
		t.Errorf(`OpenAudit("-") did not write to stdout: %q`, stdout.String())
	}

	path := filepath.Join(t.TempDir(), "audit.jsonl")
	for range 2 { // reopening appends
		a, c, err = OpenAudit(path, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.Record(context.Background(), AuditEvent{Kind: AuditRevoke})
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(path)
	if n := len(decodeLines(t, string(data))); n != 2 {
		t.Errorf("file has %d records, want 2", n)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, _, err := OpenAudit(filepath.Join(t.TempDir(), "missing", "audit.jsonl"), nil, nil); err == nil || !strings.Contains(err.Error(), "audit.jsonl") {
		t.Errorf("unopenable path: error %v, want one naming the file", err)
	}
}
