package upstreamauth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/forward"
)

// echoUpstream answers every request by echoing it: its URL and headers in
// a JSON body, and a redirect to another origin that keeps the query (as
// an http->https upgrade does), which the forwarder does not follow.
func echoUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("q") == "redirect" {
			w.Header().Set("Location", "https://elsewhere.example"+r.URL.RequestURI())
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Link", "<http://"+r.Host+r.URL.RequestURI()+`&page=2>; rel="next"`)
		_ = json.NewEncoder(w).Encode(map[string]any{"url": r.URL.String(), "headers": r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestEchoedCredentialIsNotShown checks, for every placement, that the
// credential does not reach the agent when the upstream echoes the request,
// while the forwarded user name does.
func TestEchoedCredentialIsNotShown(t *testing.T) {
	up := echoUpstream(t)
	const token = "CANARY-user-t0ken/+="
	tests := []struct {
		name  string
		cfg   Config
		src   CredentialSource
		forms []string
	}{
		{"static header", Config{Mode: ModeStatic, SecretEnv: "KEY", Placement: Placement{In: InHeader, Name: "X-API-Key"}}, nil, leakForms(canary)},
		{"static bearer", Config{Mode: ModeStatic, SecretEnv: "KEY"}, nil, leakForms(canary)},
		{"static query", Config{Mode: ModeStatic, SecretEnv: "KEY", Placement: Placement{In: InQuery, Name: "api_key"}}, nil, leakForms(canary)},
		{"static query template", Config{Mode: ModeStatic, SecretEnv: "KEY", Placement: Placement{In: InQuery, Name: "auth", Template: "key-{secret}"}}, nil, leakForms(canary)},
		{"static basic user", Config{Mode: ModeStatic, SecretEnv: "KEY", Placement: Placement{In: InBasic, BasicUser: "svc"}}, nil, leakForms(canary)},
		{"user query", Config{Mode: ModeUser, Placement: Placement{In: InQuery, Name: "token"}, ForwardUserHeader: "X-Forwarded-User"},
			fixedUser(token, "alice.wonderland"), leakForms(token)},
		{"user header", Config{Mode: ModeUser, Placement: Placement{In: InHeader, Name: "X-Token", Template: "tok {token}"}},
			fixedUser(token, "alice.wonderland"), leakForms(token)},
	}
	cookieCfg := Config{Mode: ModeStatic, SecretEnv: "COOKIEKEY", Placement: Placement{In: InCookie, Name: "sid"}}
	tests = append(tests, struct {
		name  string
		cfg   Config
		src   CredentialSource
		forms []string
	}{"static cookie", cookieCfg, nil, []string{"CANARYcookie-s3cr3t"}})
	getenv := env(map[string]string{"KEY": canary, "COOKIEKEY": "CANARYcookie-s3cr3t"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := New(tt.cfg, tt.src, getenv)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			for _, q := range []string{"echo", "redirect"} {
				args := spoofArgs()
				args["q"] = q
				res := forwardCall(in, up.URL, args)
				shown := resultText(res)
				if res.StructuredContent != nil {
					b, _ := json.Marshal(res.StructuredContent)
					shown += string(b)
				}
				for _, f := range tt.forms {
					if strings.Contains(shown, f) {
						t.Errorf("%s: the result shows the credential as %q:\n%s", q, f, shown)
					}
				}
				if tt.cfg.ForwardUserHeader != "" && q == "echo" && !strings.Contains(shown, "alice.wonderland") {
					t.Errorf("the forwarded user name was hidden too:\n%s", shown)
				}
			}
		})
	}
}

// forwardCall sends one tool call with args through a real forwarder
// decorated by in.
func forwardCall(in *Injector, base string, args map[string]any) *mcp.CallToolResult {
	fwd := forward.New(forward.Options{Decorate: in.Decorate})
	return fwd.Call(context.Background(), base, spoofOp(), args)
}
