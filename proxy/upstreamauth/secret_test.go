package upstreamauth

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// decorated runs Decorate on a fresh request and returns its Authorization.
func decorated(t *testing.T, in *Injector) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http://api.test/x", nil)
	if err := in.Decorate(context.Background(), req); err != nil {
		t.Fatalf("Decorate: %v", err)
	}
	return req.Header.Get("Authorization")
}

func TestSecretFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "api-key")
	// Each version gets its own modification time: file systems with coarse
	// timestamps would otherwise hide a same-size rewrite.
	version := time.Now().Add(-time.Hour)
	put := func(content string) {
		t.Helper()
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		version = version.Add(time.Minute)
		if err := os.Chtimes(file, version, version); err != nil {
			t.Fatal(err)
		}
	}
	put("  first-secret\n")
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	in, err := New(Config{Mode: ModeStatic, SecretFile: file, Logger: log}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := "static secret from file " + file + " in header Authorization: Bearer {secret}"; in.Describe() != want {
		t.Errorf("Describe() = %q, want %q", in.Describe(), want)
	}

	steps := []struct {
		name, write string // write "" removes the file
		want        string
		warns       int // warnings logged so far
	}{
		{"initial, trimmed", "", "Bearer first-secret", 0},
		{"rotated", "second-secret", "Bearer second-secret", 0},
		{"same size rewrite", "second-secreT", "Bearer second-secreT", 0},
		{"emptied while rotating", "\n", "Bearer second-secreT", 1},
		{"unusable content", "bad\x00secret-value", "Bearer second-secreT", 2},
		{"repaired", "third-secret", "Bearer third-secret", 2},
		{"removed", "-", "Bearer third-secret", 3},
		{"back", "fourth-secret", "Bearer fourth-secret", 3},
	}
	for i, st := range steps {
		switch {
		case i == 0:
		case st.write == "-":
			if err := os.Remove(file); err != nil {
				t.Fatal(err)
			}
		default:
			put(st.write)
		}
		// Twice: a bad version is reported once, not on every call.
		for range 2 {
			if got := decorated(t, in); got != st.want {
				t.Errorf("%s: sent %q, want %q", st.name, got, st.want)
			}
		}
		if n := strings.Count(logs.String(), "level=WARN"); n != st.warns {
			t.Errorf("%s: %d warnings logged, want %d:\n%s", st.name, n, st.warns, logs.String())
		}
	}
	for _, s := range []string{"first-secret", "second-secre", "third-secret", "fourth-secret", "secret-value"} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("log leaks %q:\n%s", s, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "re-read the upstream secret file") {
		t.Errorf("no re-read logged:\n%s", logs.String())
	}
}

func TestSecretEnvTrimmed(t *testing.T) {
	in, err := New(Config{Mode: ModeStatic, SecretEnv: "K"}, nil, env(map[string]string{"K": " key-with-newline\n"}))
	if err != nil {
		t.Fatal(err)
	}
	if got := decorated(t, in); got != "Bearer key-with-newline" {
		t.Errorf("sent %q", got)
	}
}
