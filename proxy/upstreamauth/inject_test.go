package upstreamauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	secret    = "s3cr3t-Static_Key.42"
	userToken = "user-Token_7.xyz"
	// agentQuery is the query the spoof arguments produce; cleanQuery lacks
	// the agent's api_key.
	agentQuery = "q=hello%20world&api_key=agent-qkey&tags=a&tags=b"
	cleanQuery = "q=hello%20world&tags=a&tags=b"
)

func basic(userpass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userpass))
}

// watched are the headers where a credential, a cookie or the user name
// can appear; each case lists exactly what the upstream must see in them.
var watched = []string{"Authorization", "Proxy-Authorization", "X-Api-Key", "X-Forwarded-User", "Cookie"}

func TestPlacements(t *testing.T) {
	agentHeaders := map[string]string{"X-Api-Key": "agent-key", "X-Forwarded-User": "agent-user", "Cookie": "pref=dark; session=agent-cookie"}
	with := func(extra map[string]string, drop ...string) map[string]string {
		m := map[string]string{}
		for k, v := range agentHeaders {
			m[k] = v
		}
		for _, k := range drop {
			delete(m, k)
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	for _, tc := range []struct {
		name      string
		cfg       Config
		src       CredentialSource
		wantHdr   map[string]string
		wantQuery string
	}{
		{"none", Config{}, nil, agentHeaders, agentQuery},
		{"static default bearer", Config{Mode: ModeStatic, SecretEnv: "API_KEY"}, nil,
			with(map[string]string{"Authorization": "Bearer " + secret}), agentQuery},
		{"static header X-API-Key replaces the argument", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{In: InHeader, Name: "x-api-key"}}, nil,
			with(map[string]string{"X-Api-Key": secret}), agentQuery},
		{"static Authorization with a template", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{Name: "Authorization", Template: "Token {secret}"}}, nil,
			with(map[string]string{"Authorization": "Token " + secret}), agentQuery},
		{"static query replaces the argument", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{In: InQuery, Name: "api_key"}}, nil,
			agentHeaders, cleanQuery + "&api_key=" + secret},
		{"static query with a template", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{In: InQuery, Name: "auth", Template: "key {secret}"}}, nil,
			agentHeaders, agentQuery + "&auth=key+" + secret},
		{"static cookie replaces the argument", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{In: InCookie, Name: "session"}}, nil,
			with(map[string]string{"Cookie": "pref=dark; session=" + secret}), agentQuery},
		{"static basic with a user", Config{Mode: ModeStatic, SecretEnv: "API_KEY",
			Placement: Placement{In: InBasic, BasicUser: "svc"}}, nil,
			with(map[string]string{"Authorization": basic("svc:" + secret)}), agentQuery},
		{"static basic user:password in the secret", Config{Mode: ModeStatic, SecretEnv: "USERPASS",
			Placement: Placement{In: InBasic}}, nil,
			with(map[string]string{"Authorization": basic("alice:pa:ss")}), agentQuery},
		{"static basic key with empty password", Config{Mode: ModeStatic, SecretEnv: "STRIPE",
			Placement: Placement{In: InBasic}}, nil,
			with(map[string]string{"Authorization": basic("sk_test_123:")}), agentQuery},
		{"static with forwarded user", Config{Mode: ModeStatic, SecretEnv: "API_KEY", ForwardUserHeader: "x-forwarded-user"},
			fixedUser("ignored-token", "alice"),
			with(map[string]string{"Authorization": "Bearer " + secret, "X-Forwarded-User": "alice"}), agentQuery},
		{"none with forwarded user", Config{ForwardUserHeader: "X-Forwarded-User"}, fixedUser("ignored-token", "bob"),
			with(map[string]string{"X-Forwarded-User": "bob"}), agentQuery},
		{"forwarded user header dropped when there is no user", Config{ForwardUserHeader: "X-Forwarded-User"}, fixedUser("", ""),
			with(nil, "X-Forwarded-User"), agentQuery},
		{"user default bearer", Config{Mode: ModeUser}, fixedUser(userToken, "alice"),
			with(map[string]string{"Authorization": "Bearer " + userToken}), agentQuery},
		{"user header {token}", Config{Mode: ModeUser, Placement: Placement{In: InHeader, Name: "X-API-Key", Template: "{token}"}},
			fixedUser(userToken, "alice"), with(map[string]string{"X-Api-Key": userToken}), agentQuery},
		{"user query {secret} alias", Config{Mode: ModeUser, Placement: Placement{In: InQuery, Name: "api_key", Template: "{secret}"}},
			fixedUser(userToken, "alice"), agentHeaders, cleanQuery + "&api_key=" + userToken},
		{"user cookie", Config{Mode: ModeUser, Placement: Placement{In: InCookie, Name: "session"}},
			fixedUser(userToken, "alice"), with(map[string]string{"Cookie": "pref=dark; session=" + userToken}), agentQuery},
		{"user basic", Config{Mode: ModeUser, Placement: Placement{In: InBasic, BasicUser: "alice"}},
			fixedUser(userToken, "alice"), with(map[string]string{"Authorization": basic("alice:" + userToken)}), agentQuery},
		{"user with forwarded user", Config{Mode: ModeUser, ForwardUserHeader: "X-Forwarded-User"},
			fixedUser(userToken, "alice@example.com"),
			with(map[string]string{"Authorization": "Bearer " + userToken, "X-Forwarded-User": "alice@example.com"}), agentQuery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			getenv := env(map[string]string{"API_KEY": secret, "USERPASS": "alice:pa:ss", "STRIPE": "sk_test_123:"})
			in, err := New(tc.cfg, tc.src, getenv)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			up := newUpstream(t)
			if res := call(t, in, up.URL, context.Background()); res.IsError {
				t.Fatalf("call failed: %s", resultText(res))
			}
			got := up.last(t)
			for _, h := range watched {
				want, ok := tc.wantHdr[h]
				if vals := got.Header.Values(h); ok && !reflect.DeepEqual(vals, []string{want}) || !ok && len(vals) > 0 {
					t.Errorf("upstream got %s %q, want %q", h, vals, want)
				}
			}
			if got.RawQuery != tc.wantQuery {
				t.Errorf("upstream got query %q, want %q", got.RawQuery, tc.wantQuery)
			}
			if got.Header.Get("X-Trace") != "" || got.Path != "/things" {
				t.Errorf("unexpected request %+v", got)
			}
		})
	}
}

// TestDecorateStripsClientCredentials covers a request that somehow already
// carries the client's credentials (the forwarder never copies them; this
// is the second line of defence).
func TestDecorateStripsClientCredentials(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InQuery, Name: "k"}},
		{Mode: ModeUser, Placement: Placement{In: InHeader, Name: "X-Token"}},
	} {
		in, err := New(cfg, fixedUser(userToken, "alice"), env(map[string]string{"API_KEY": secret}))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", "http://api.test/x?a=1", nil)
		req.Header.Set("Authorization", "Bearer mcp-access-token")
		req.Header.Set("Proxy-Authorization", "Basic cHJveHk6cHc=")
		if err := in.Decorate(context.Background(), req); err != nil {
			t.Fatalf("%s: %v", in.Describe(), err)
		}
		if v := req.Header.Values("Authorization"); len(v) > 0 {
			t.Errorf("%s: Authorization %q survived", in.Describe(), v)
		}
		if v := req.Header.Values("Proxy-Authorization"); len(v) > 0 {
			t.Errorf("%s: Proxy-Authorization %q survived", in.Describe(), v)
		}
	}
}

func TestDecorateErrors(t *testing.T) {
	errRelogin := errors.New("your upstream session expired; sign in again at https://specgate.test/upstream/login")
	for _, tc := range []struct {
		name    string
		cfg     Config
		src     CredentialSource
		want    string
		notWant string
		is      error
	}{
		{"source error verbatim", Config{Mode: ModeUser},
			func(context.Context) (string, string, error) { return "", "alice", errRelogin }, errRelogin.Error(), "", errRelogin},
		{"source error for the user name", Config{ForwardUserHeader: "X-Forwarded-User"},
			func(context.Context) (string, string, error) { return "", "", errRelogin }, errRelogin.Error(), "", errRelogin},
		{"empty token", Config{Mode: ModeUser}, fixedUser("", "alice"),
			`no upstream credential is available for user "alice"; sign in to the upstream API again`, "", nil},
		{"empty token, no subject", Config{Mode: ModeUser}, fixedUser("", ""),
			"no upstream credential is available for the signed-in user", "", nil},
		{"token with a line break", Config{Mode: ModeUser}, fixedUser("tok\r\nX-Evil: 1", "alice"),
			`the upstream credential of user "alice" cannot be sent: it contains a control character at byte 3`, "tok", nil},
		{"cookie token with a semicolon", Config{Mode: ModeUser, Placement: Placement{In: InCookie, Name: "s"}}, fixedUser("ab;admin=1", "alice"),
			"not allowed in a cookie value at byte 2", "admin", nil},
		{"basic token without colon", Config{Mode: ModeUser, Placement: Placement{In: InBasic}}, fixedUser("justatoken", "alice"),
			"must have the form user:password", "justatoken", nil},
		{"subject with a line break", Config{Mode: ModeUser, ForwardUserHeader: "X-Forwarded-User"}, fixedUser(userToken, "eve\r\nX-Admin: 1"),
			"the user name cannot be sent in X-Forwarded-User: it contains a control character at byte 3", userToken, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := New(tc.cfg, tc.src, nil)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			req, _ := http.NewRequest("GET", "http://api.test/x", nil)
			err = in.Decorate(context.Background(), req)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Decorate error %v, want %q", err, tc.want)
			}
			if tc.notWant != "" && strings.Contains(err.Error(), tc.notWant) {
				t.Errorf("error %q leaks %q", err, tc.notWant)
			}
			if tc.is != nil && err != tc.is {
				t.Errorf("error %v is not the source's error itself", err)
			}

			// Through the forwarder: a tool error, and nothing sent.
			up := newUpstream(t)
			res := call(t, in, up.URL, context.Background())
			if text := resultText(res); !res.IsError || !strings.Contains(text, "nothing was sent: ") || !strings.Contains(text, tc.want) {
				t.Errorf("tool result %v %q", res.IsError, text)
			}
			if n := len(up.requests()); n != 0 {
				t.Errorf("upstream got %d requests", n)
			}
		})
	}
}

func TestDescribe(t *testing.T) {
	getenv := env(map[string]string{"API_KEY": secret})
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "no upstream credential"},
		{Config{ForwardUserHeader: "x-forwarded-user"}, "no upstream credential; user name in header X-Forwarded-User"},
		{Config{Mode: ModeStatic, SecretEnv: "API_KEY"}, "static secret from $API_KEY in header Authorization: Bearer {secret}"},
		{Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InHeader, Name: "X-API-Key"}},
			"static secret from $API_KEY in header X-Api-Key: {secret}"},
		{Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InQuery, Name: "server_token"}},
			"static secret from $API_KEY in query parameter server_token={secret}"},
		{Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InBasic, BasicUser: "svc"}},
			`static secret from $API_KEY as HTTP basic auth password of user "svc"`},
		{Config{Mode: ModeUser, Placement: Placement{In: InCookie, Name: "sid", Template: "{token}"}, ForwardUserHeader: "X-User"},
			"per-user credential from the upstream login in cookie sid={secret}; user name in header X-User"},
		{Config{Mode: ModeUser, Placement: Placement{In: InBasic}},
			"per-user credential from the upstream login as HTTP basic auth (user:password)"},
	} {
		in, err := New(tc.cfg, fixedUser("", ""), getenv)
		if err != nil {
			t.Fatalf("%+v: %v", tc.cfg, err)
		}
		if got := in.Describe(); got != tc.want {
			t.Errorf("Describe() = %q, want %q", got, tc.want)
		}
		if strings.Contains(in.Describe(), secret) {
			t.Errorf("Describe leaks the secret: %q", in.Describe())
		}
	}
}
