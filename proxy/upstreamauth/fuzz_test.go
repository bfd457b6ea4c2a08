package upstreamauth

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// FuzzSetQuery checks that the credential parameter appears exactly once,
// last, with its value, and that every other parameter is kept byte for
// byte and in order.
func FuzzSetQuery(f *testing.F) {
	f.Add("a=1&b=2", "api_key", "s3cr3t")
	f.Add("api_key=x&api%5Fkey=y&c", "api_key", "v/+=&")
	f.Add("&&=&a%ZZ=1", "a%ZZ", "")
	f.Add("", "k y", "v w")
	f.Fuzz(func(t *testing.T, raw, name, value string) {
		got := setQuery(raw, name, value)
		tail := url.QueryEscape(name) + "=" + url.QueryEscape(value)
		if !strings.HasSuffix(got, tail) {
			t.Fatalf("setQuery(%q, %q, %q) = %q: does not end in %q", raw, name, value, got, tail)
		}
		kept := strings.TrimSuffix(strings.TrimSuffix(got, tail), "&")
		var want []string
		for part := range strings.SplitSeq(raw, "&") {
			k, _, _ := strings.Cut(part, "=")
			if uk, err := url.QueryUnescape(k); err == nil {
				k = uk
			}
			if part != "" && k != name {
				want = append(want, part)
			}
		}
		if kept != strings.Join(want, "&") {
			t.Fatalf("setQuery(%q, %q, %q) kept %q, want %q", raw, name, value, kept, strings.Join(want, "&"))
		}
		if vals, err := url.ParseQuery(got); err == nil && (len(vals[name]) != 1 || vals[name][0] != value) {
			t.Fatalf("setQuery(%q, %q, %q) = %q parses to %q", raw, name, value, got, vals[name])
		}
	})
}

// FuzzDecorate checks that whatever template and credential New and
// Decorate accept, the request they produce is one Go's HTTP client sends
// as is: no header value with a control character, the credential where
// configured, and never an error that quotes the credential.
func FuzzDecorate(f *testing.F) {
	f.Add("header", "X-API-Key", "Bearer {token}", "tok", "alice")
	f.Add("query", "key", "{secret}", "a b&c", "bob")
	f.Add("cookie", "sid", "v{secret}", "abc;def", "x")
	f.Add("basic", "", "", "user:pa:ss", "\r\n")
	f.Add("header", "Authorization", "{token}{secret}", "t\x7f", "ü")
	f.Fuzz(func(t *testing.T, where, name, template, token, subject string) {
		p := Placement{In: where, Name: name, Template: template}
		if where == InBasic {
			p = Placement{In: InBasic}
		}
		in, err := New(Config{Mode: ModeUser, Placement: p, ForwardUserHeader: "X-Forwarded-User"}, fixedUser(token, subject), nil)
		if err != nil {
			return
		}
		req, _ := http.NewRequest("GET", "http://api.test/x?a=1", nil)
		req.Header.Set("Authorization", "client")
		err = in.Decorate(context.Background(), req)
		if err != nil {
			if len(token) > 3 && strings.Contains(err.Error(), token) {
				t.Fatalf("error %q quotes the token", err)
			}
			return
		}
		for k, vals := range req.Header {
			for _, v := range vals {
				if strings.IndexFunc(v, isCtl) >= 0 {
					t.Fatalf("header %s: %q has a control character", k, v)
				}
				if v == "client" {
					t.Fatalf("the client's Authorization survived in %s", k)
				}
			}
		}
		isQuery := strings.EqualFold(where, InQuery)
		if !strings.HasPrefix(req.URL.RawQuery, "a=1") && !(isQuery && name == "a") {
			t.Fatalf("query %q lost a=1", req.URL.RawQuery)
		}
		if isQuery {
			vals, err := url.ParseQuery(req.URL.RawQuery)
			if err != nil || len(vals[name]) != 1 || !strings.Contains(vals[name][0], token) {
				t.Fatalf("query %q: credential %q not found once", req.URL.RawQuery, name)
			}
		}
	})
}
