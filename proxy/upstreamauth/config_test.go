package upstreamauth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	empty := write("empty", " \n")
	big := write("big", strings.Repeat("x", maxSecretFile+1))
	spacey := write("spacey", "has space")
	good := write("good", secret+"\n")
	missing := filepath.Join(dir, "missing")
	getenv := env(map[string]string{"API_KEY": secret, "BLANK": "  ", "NL": "abc\ndef", "SPACE": "a b", "NOCOLON": "justakey"})
	src := fixedUser("t", "u")

	for _, tc := range []struct {
		name string
		cfg  Config
		src  CredentialSource
		want string
	}{
		{"unknown mode", Config{Mode: "magic"}, nil, `upstream.auth: unknown mode "magic"; use none, static or user`},
		{"static without a source", Config{Mode: ModeStatic}, nil,
			"upstream.auth static needs the secret: set upstream.secret_env (an environment variable name) or upstream.secret_file (a file path)"},
		{"both sources", Config{Mode: ModeStatic, SecretEnv: "API_KEY", SecretFile: good}, nil,
			"upstream.secret_env and upstream.secret_file are both set; set only one"},
		{"env unset", Config{Mode: ModeStatic, SecretEnv: "NOPE"}, nil, "upstream.secret_env: environment variable NOPE is not set or empty"},
		{"env blank", Config{Mode: ModeStatic, SecretEnv: "BLANK"}, nil, "upstream.secret_env: environment variable BLANK is not set or empty"},
		{"env with a line break", Config{Mode: ModeStatic, SecretEnv: "NL"}, nil,
			"upstream.secret_env: the secret in $NL cannot be sent: it contains a control character at byte 3"},
		{"cookie secret with a space", Config{Mode: ModeStatic, SecretEnv: "SPACE", Placement: Placement{In: InCookie, Name: "k"}}, nil,
			"upstream.secret_env: the secret in $SPACE cannot be sent: it contains a character not allowed in a cookie value at byte 1"},
		{"basic without user or colon", Config{Mode: ModeStatic, SecretEnv: "NOCOLON", Placement: Placement{In: InBasic}}, nil,
			"with no upstream.basic_user it must have the form user:password"},
		{"file missing", Config{Mode: ModeStatic, SecretFile: missing}, nil, "upstream.secret_file: open " + missing + ": no such file or directory"},
		{"file empty", Config{Mode: ModeStatic, SecretFile: empty}, nil, "upstream.secret_file: " + empty + " is empty"},
		{"file is a directory", Config{Mode: ModeStatic, SecretFile: dir}, nil, "upstream.secret_file: " + dir + " is a directory, not a file"},
		{"file too big", Config{Mode: ModeStatic, SecretFile: big}, nil, "is larger than 64 KiB; is it the right file?"},
		{"file secret unusable", Config{Mode: ModeStatic, SecretFile: spacey, Placement: Placement{In: InCookie, Name: "k"}}, nil,
			"upstream.secret_file: the secret in " + spacey + " cannot be sent: it contains a character not allowed in a cookie value"},
		{"placement with mode none", Config{Placement: Placement{In: InQuery, Name: "k"}}, nil,
			`upstream.query: a credential placement (in "query", name "k") is set but upstream.auth is none`},
		{"template with mode none", Config{Placement: Placement{Template: "Token {secret}"}}, nil,
			`upstream.template: a credential placement (template "Token {secret}") is set but upstream.auth is none`},
		{"secret with mode user", Config{Mode: ModeUser, SecretEnv: "API_KEY"}, src,
			"upstream.secret_env: a static secret only applies with upstream.auth static (it is user)"},
		{"secret file with mode none", Config{SecretFile: good}, nil,
			"upstream.secret_file: a static secret only applies with upstream.auth static (it is none)"},
		{"unknown location", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: "body", Name: "k"}}, nil,
			`upstream.auth: unknown credential location "body"; use header, query, cookie or basic`},
		{"invalid header name", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Name: "X Key"}}, nil,
			`upstream.header: "X Key" is not a valid header name`},
		{"framing header", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Name: "content-length"}}, nil,
			"upstream.header: header Content-Length cannot carry a credential or user name"},
		{"cookie header", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Name: "Cookie"}}, nil,
			"upstream.header: header Cookie cannot carry a credential"},
		{"empty query name", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InQuery}}, nil,
			"upstream.query: the query parameter name is empty"},
		{"bad cookie name", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InCookie, Name: "a;b"}}, nil,
			`upstream.cookie: "a;b" is not a valid cookie name`},
		{"basic with a template", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InBasic, Template: "{secret}"}}, nil,
			"upstream.basic: basic auth takes no name or template"},
		{"basic user with a colon", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InBasic, BasicUser: "a:b"}}, nil,
			"upstream.basic_user: the user name must not contain a colon or control characters"},
		{"basic user with a header", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Name: "X-Key", BasicUser: "u"}}, nil,
			"upstream.basic_user: only applies to basic auth, not to a header"},
		{"template without placeholder", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Template: "Bearer"}}, nil,
			`upstream.template "Bearer": no {secret} placeholder, so the credential would not be sent`},
		{"token placeholder in static mode", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Template: "Bearer {token}"}}, nil,
			"{token} is the per-user credential (upstream.auth user); a static secret is {secret}"},
		{"unknown placeholder", Config{Mode: ModeUser, Placement: Placement{Template: "Bearer {Secret}"}}, src,
			"unknown placeholder {Secret}; use {secret}"},
		{"unbalanced brace", Config{Mode: ModeUser, Placement: Placement{Template: "Bearer {token"}}, src, "unbalanced brace"},
		{"template with a line break", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{Template: "{secret}\r\nX-Admin: 1"}}, nil,
			"contains a control character"},
		{"cookie template with a space", Config{Mode: ModeStatic, SecretEnv: "API_KEY", Placement: Placement{In: InCookie, Name: "k", Template: "a {secret}"}}, nil,
			"not allowed in a cookie value"},
		{"forward user header invalid", Config{ForwardUserHeader: "X User"}, src, `upstream.forward_user_header: "X User" is not a valid header name`},
		{"forward user header is Host", Config{ForwardUserHeader: "host"}, src, "upstream.forward_user_header: header Host cannot carry"},
		{"forward user header carries the credential", Config{Mode: ModeUser, ForwardUserHeader: "authorization"}, src,
			"upstream.forward_user_header: Authorization already carries the credential"},
		{"user mode without a source", Config{Mode: ModeUser}, nil, "no CredentialSource"},
		{"forwarded user without a source", Config{ForwardUserHeader: "X-Forwarded-User"}, nil, "no CredentialSource"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := New(tc.cfg, tc.src, getenv)
			if err == nil {
				t.Fatalf("New succeeded (%s), want error %q", in.Describe(), tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\nwant it to contain %q", err, tc.want)
			}
			for _, s := range []string{secret, "abc\ndef", "justakey", "has space"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q leaks the secret %q", err, s)
				}
			}
		})
	}
}

func TestParsePlacement(t *testing.T) {
	for _, tc := range []struct {
		header, query, cookie string
		basic                 bool
		basicUser, template   string
		want                  Placement
		err                   string
	}{
		{want: Placement{}},
		{template: "Token {secret}", want: Placement{Template: "Token {secret}"}},
		{header: "X-API-Key", want: Placement{In: InHeader, Name: "X-API-Key"}},
		{query: "server_token", template: "{secret}", want: Placement{In: InQuery, Name: "server_token", Template: "{secret}"}},
		{cookie: "sid", want: Placement{In: InCookie, Name: "sid"}},
		{basic: true, want: Placement{In: InBasic}},
		{basicUser: "svc", want: Placement{In: InBasic, BasicUser: "svc"}},
		{header: "X-Key", query: "k", err: "upstream.query: set only one of upstream.header, upstream.query"},
		{cookie: "c", basicUser: "u", err: "upstream.basic_user: set only one of upstream.cookie, upstream.basic_user"},
		{basic: true, template: "{secret}", err: "upstream.template: basic auth takes no template"},
	} {
		got, err := ParsePlacement(tc.header, tc.query, tc.cookie, tc.basic, tc.basicUser, tc.template)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: error %v, want %q", tc, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: got %+v, %v; want %+v", tc, got, err, tc.want)
		}
	}
}
