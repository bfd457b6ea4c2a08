package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

const fuzzBase = "https://api.example.com/base/v1"

// fuzzOps cover every parameter location and style and every body kind.
var fuzzOps = []*catalog.Operation{
	{Name: "params", Method: "GET", Path: "/a/{s}/b/{l}/{m}.{x}",
		FixedQuery: [][2]string{{"fixed", "1"}},
		Params: []catalog.Param{
			{Arg: "s", Name: "s", In: catalog.InPath, Required: true},
			{Arg: "l", Name: "l", In: catalog.InPath, Required: true, Style: "label", Explode: true},
			{Arg: "m", Name: "m", In: catalog.InPath, Required: true, Style: "matrix"},
			{Arg: "x", Name: "x", In: catalog.InPath, Required: true, Style: "simple", Explode: true},
			{Arg: "f", Name: "f", In: catalog.InQuery, Explode: true},
			{Arg: "fn", Name: "fn", In: catalog.InQuery},
			{Arg: "sp", Name: "sp", In: catalog.InQuery, Style: "spaceDelimited"},
			{Arg: "pi", Name: "pi", In: catalog.InQuery, Style: "pipeDelimited"},
			{Arg: "d", Name: "filter", In: catalog.InQuery, Style: "deepObject", Explode: true},
			{Arg: "r", Name: "r", In: catalog.InQuery, AllowReserved: true, Explode: true},
			{Arg: "j", Name: "j", In: catalog.InQuery, ContentType: "application/json"},
			{Arg: "h", Name: "X-H", In: catalog.InHeader},
			{Arg: "he", Name: "X-He", In: catalog.InHeader, Explode: true},
			{Arg: "host", Name: "Host", In: catalog.InHeader},
			{Arg: "c", Name: "c", In: catalog.InCookie},
			{Arg: "ce", Name: "ce", In: catalog.InCookie, Explode: true},
		}},
	{Name: "json", Method: "POST", Path: "/j/{id}", Params: []catalog.Param{{Arg: "id", Name: "id", In: catalog.InPath, Required: true}},
		Body: &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON, Required: true}},
	{Name: "form", Method: "POST", Path: "/f",
		Body: &catalog.Body{Arg: "body", MediaType: "application/x-www-form-urlencoded", Kind: catalog.BodyForm, FileFields: []string{"file"}}},
	{Name: "multipart", Method: "POST", Path: "/m",
		Body: &catalog.Body{Arg: "body", MediaType: "multipart/form-data", Kind: catalog.BodyMultipart,
			FileFields: []string{"file", "files"}, FieldContentTypes: map[string]string{"meta": "application/json", "pic": "image/*"}}},
	{Name: "text", Method: "PUT", Path: "/t", Body: &catalog.Body{Arg: "body", MediaType: "text/plain", Kind: catalog.BodyText}},
	{Name: "binary", Method: "PUT", Path: "/b", Body: &catalog.Body{Arg: "body", MediaType: "*/*", Kind: catalog.BodyBinary}},
}

func FuzzBuildRequest(f *testing.F) {
	seeds := []string{
		`{"s":"1","l":["a","b"],"m":{"k":"v"},"x":"json","f":[1,2],"fn":{"a":1},"sp":["a b"],"pi":["x|y"],"d":{"a":{"b":[1,{"c":2}]}},"r":"a/b?c","j":{"k":[1]},"h":"v","he":{"a":"b"},"host":"evil","c":"v","ce":["a","b"]}`,
		`{"s":"../../etc","l":".","m":"","x":"..","c":"a;b=c"}`,
		`{"s":"/","l":"//evil.com","m":";","x":"?#","h":"a\r\nb"}`,
		`{"id":"x","body":{"a":[1,2,{"b":null}]}}`,
		`{"body":{"a":"b","file":"aGk=","n":[1,[2]],"o":{"p":{"q":true}}}}`,
		`{"body":{"file":{"filename":"f\"x","contentType":"text/plain","text":"t"},"files":["AA==",{"base64":"AQ=="}],"meta":{"x":1},"pic":"iVBORw==","k":1e300}}`,
		`{"body":"text"}`,
		`{"body":"data:image/png;base64,iVBORw=="}`,
		`{"s":1e21,"l":-0.0,"m":12345678901234567890,"x":true}`,
	}
	for i, s := range seeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		op := fuzzOps[int(which)%len(fuzzOps)]
		var a map[string]any
		dec := json.NewDecoder(bytes.NewReader(data))
		if which&0x80 != 0 {
			dec.UseNumber()
		}
		if dec.Decode(&a) != nil {
			return
		}
		req, err := BuildRequest(context.Background(), fuzzBase, op, a)
		if err != nil {
			return
		}
		checkFuzzRequest(t, req)
	})
}

func checkFuzzRequest(t *testing.T, r *http.Request) {
	t.Helper()
	for _, u := range []*url.URL{r.URL, mustParse(t, r.URL.String())} {
		if u.Scheme != "https" || u.Host != "api.example.com" || u.User != nil {
			t.Fatalf("origin changed: %s", u)
		}
		p := u.EscapedPath()
		if !strings.HasPrefix(p, "/base/v1/") {
			t.Fatalf("path escaped the base: %s", u)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("dot segment in %s", u)
			}
		}
		if u.Fragment != "" {
			t.Fatalf("fragment in %s", u)
		}
	}
	for k, vs := range r.Header {
		if !isToken(k) {
			t.Fatalf("invalid header name %q", k)
		}
		for _, v := range vs {
			if strings.IndexFunc(v, isCtl) >= 0 {
				t.Fatalf("control character in header %s: %q", k, v)
			}
		}
	}
	if r.Host != "" && r.Host != "api.example.com" {
		t.Fatalf("Host set to %q", r.Host)
	}
	if r.Body != nil {
		if _, err := io.ReadAll(r.Body); err != nil {
			t.Fatalf("read body: %v", err)
		}
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatalf("built URL does not parse: %q: %v", s, err)
	}
	return u
}
