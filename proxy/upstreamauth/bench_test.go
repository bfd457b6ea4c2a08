package upstreamauth

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkDecorate measures the per-call cost of adding the credential
// (the file case includes the stat that notices rotation).
func BenchmarkDecorate(b *testing.B) {
	file := filepath.Join(b.TempDir(), "key")
	if err := os.WriteFile(file, []byte(secret), 0o600); err != nil {
		b.Fatal(err)
	}
	getenv := env(map[string]string{"K": secret})
	for _, bc := range []struct {
		name string
		cfg  Config
	}{
		{"env-header", Config{Mode: ModeStatic, SecretEnv: "K"}},
		{"file-header", Config{Mode: ModeStatic, SecretFile: file}},
		{"env-query", Config{Mode: ModeStatic, SecretEnv: "K", Placement: Placement{In: InQuery, Name: "api_key"}}},
		{"user-header+forwarded-user", Config{Mode: ModeUser, ForwardUserHeader: "X-Forwarded-User"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			in, err := New(bc.cfg, fixedUser(userToken, "alice"), getenv)
			if err != nil {
				b.Fatal(err)
			}
			req, _ := http.NewRequest("GET", "http://api.test/things?q=a&tags=b", nil)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				req.URL.RawQuery = "q=a&tags=b"
				if err := in.Decorate(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
