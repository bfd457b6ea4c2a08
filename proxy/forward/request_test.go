package forward

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestPathArgumentsCannotChangeThePath(t *testing.T) {
	tests := []struct {
		id       string
		wantPath string // escaped; "" means BuildRequest must fail
	}{
		{`"42"`, "/api/items/42"},
		{`"a/b"`, "/api/items/a%2Fb"},
		{`"../admin"`, ""},
		{`"..\\admin"`, ""},
		{`"x/../../admin"`, ""},
		{`".."`, ""},
		{`"."`, ""},
		{`""`, ""},
		{`"..."`, "/api/items/..."},
		{`"a..b"`, "/api/items/a..b"},
		{`"%2e%2e"`, "/api/items/%252e%252e"},
		{`"?admin=1"`, "/api/items/%3Fadmin=1"},
		{`"#frag"`, "/api/items/%23frag"},
		{`"//evil.example/x"`, "/api/items/%2F%2Fevil.example%2Fx"},
		{`"http://evil.example/"`, "/api/items/http:%2F%2Fevil.example%2F"},
		{`"a b\u00e9"`, "/api/items/a%20b%C3%A9"},
		{`"\r\nHost: evil"`, "/api/items/%0D%0AHost:%20evil"},
		{`["..","x"]`, ""},
		{`["a/b","c"]`, "/api/items/a%2Fb,c"},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			req, err := BuildRequest(context.Background(), "https://api.example.com/api/", simpleOp(), args(t, `{"id":`+tc.id+`}`))
			if tc.wantPath == "" {
				if err == nil {
					t.Fatalf("want error, got URL %s", req.URL)
				}
				if !strings.Contains(err.Error(), `"id"`) {
					t.Errorf("error does not name the parameter: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.Host != "api.example.com" || req.URL.Scheme != "https" {
				t.Errorf("origin changed: %s", req.URL)
			}
			if got := req.URL.EscapedPath(); got != tc.wantPath {
				t.Errorf("path %q, want %q", got, tc.wantPath)
			}
			if req.URL.RawQuery != "" || req.URL.Fragment != "" {
				t.Errorf("argument leaked into query/fragment: %s", req.URL)
			}
		})
	}
}

func TestPathTraversalReachesUpstreamEscaped(t *testing.T) {
	up := newUpstream(t, nil)
	req := mustBuild(t, up.URL+"/api", simpleOp(), args(t, `{"id":"a/b?c"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := up.last(t)
	if got.Path != "/api/items/a/b?c" || got.RawPath != "/api/items/a%2Fb%3Fc" || got.RawQuery != "" {
		t.Errorf("upstream saw path %q raw %q query %q", got.Path, got.RawPath, got.RawQuery)
	}
}

func TestBuildRequestErrors(t *testing.T) {
	op := simpleOp()
	tests := []struct {
		name, base, args, want string
		op                     *catalog.Operation
	}{
		{"missing path param", "http://h", `{}`, `missing required path parameter "id"`, op},
		{"null path param", "http://h", `{"id":null}`, `missing required path parameter "id"`, op},
		{"header CRLF", "http://h", `{"id":"1","trace":"a\r\nX-Evil: 1"}`, `header parameter "trace" (sent as "X-Trace"): value contains a control character`, op},
		{"header LF", "http://h", `{"id":"1","trace":"a\nb"}`, `control character`, op},
		{"header NUL", "http://h", `{"id":"1","trace":"a\u0000b"}`, `control character`, op},
		{"header DEL", "http://h", `{"id":"1","trace":"a\u007fb"}`, `control character`, op},
		{"header array CR", "http://h", `{"id":"1","trace":["a","b\rc"]}`, `control character`, op},
		{"base not http", "ftp://h", `{"id":"1"}`, `must be http or https`, op},
		{"base no host", "http:///x", `{"id":"1"}`, `no host`, op},
		{"template without param", "http://h", `{}`, `no parameter for {other}`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x/{other}"}},
		{"required query", "http://h", `{}`, `missing required query parameter "q"`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x", Params: []catalog.Param{{Arg: "q", Name: "q", In: catalog.InQuery, Required: true}}}},
		{"required header", "http://h", `{}`, `missing required header parameter "h" (sent as "X-H")`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x", Params: []catalog.Param{{Arg: "h", Name: "X-H", In: catalog.InHeader, Required: true}}}},
		{"cookie CRLF", "http://h", `{"s":"a\r\nb"}`, `cookie parameter "s": value "a\r\nb" contains a control character`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x", Params: []catalog.Param{{Arg: "s", Name: "s", In: catalog.InCookie}}}},
		{"cookie bad name", "http://h", `{"s":"v"}`, `not a valid cookie name`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x", Params: []catalog.Param{{Arg: "s", Name: "a=b", In: catalog.InCookie}}}},
		{"bad header name", "http://h", `{"s":"v"}`, `not a valid header name`,
			&catalog.Operation{Name: "x", Method: "GET", Path: "/x", Params: []catalog.Param{{Arg: "s", Name: "X Bad", In: catalog.InHeader}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a map[string]any
			if tc.args != "" {
				a = args(t, tc.args)
			}
			req, err := BuildRequest(context.Background(), tc.base, tc.op, a)
			if err == nil {
				t.Fatalf("want error containing %q, got request %s", tc.want, req.URL)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestForbiddenHeadersAreNeverSetFromArguments(t *testing.T) {
	var params []catalog.Param
	a := map[string]any{}
	for _, name := range []string{"Host", "authorization", "Cookie", "Content-Length", "Transfer-Encoding",
		"Connection", "Content-Type", "Accept", "Proxy-Authorization", "Upgrade", "TE"} {
		params = append(params, catalog.Param{Arg: name, Name: name, In: catalog.InHeader})
		a[name] = "evil"
	}
	op := &catalog.Operation{Name: "h", Method: "POST", Path: "/h", Params: params,
		Body: &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON}}
	a["body"] = map[string]any{"x": 1.0}
	up := newUpstream(t, nil)
	res := New(Options{AllowUnknownArgs: true}).Call(context.Background(), up.URL, op, a)
	if res.IsError {
		t.Fatalf("call failed: %s", resultText(res))
	}
	got := up.last(t)
	for name, vals := range got.Header {
		for _, v := range vals {
			if strings.Contains(v, "evil") {
				t.Errorf("header %s = %q was set from an argument", name, v)
			}
		}
	}
	if ct := got.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if string(got.Body) != `{"x":1}` {
		t.Errorf("body %q", got.Body)
	}
}

func TestBuildRequestURLAssembly(t *testing.T) {
	op := &catalog.Operation{Name: "x", Method: "GET", Path: "/v2/things/{id}/sub item",
		FixedQuery: [][2]string{{"beta", "true"}, {"mode", "a b&c"}},
		Params: []catalog.Param{
			{Arg: "id", Name: "id", In: catalog.InPath, Required: true},
			{Arg: "limit", Name: "limit", In: catalog.InQuery},
		}}
	tests := []struct{ base, wantURL string }{
		{"https://api.test", "https://api.test/v2/things/7/sub%20item?beta=true&mode=a%20b%26c&limit=10"},
		{"https://api.test/", "https://api.test/v2/things/7/sub%20item?beta=true&mode=a%20b%26c&limit=10"},
		{"https://api.test/base/", "https://api.test/base/v2/things/7/sub%20item?beta=true&mode=a%20b%26c&limit=10"},
		{"https://api.test:8443/base?key=k#frag", "https://api.test:8443/base/v2/things/7/sub%20item?key=k&beta=true&mode=a%20b%26c&limit=10"},
	}
	for _, tc := range tests {
		req := mustBuild(t, tc.base, op, args(t, `{"id":7,"limit":10}`))
		if got := req.URL.String(); got != tc.wantURL {
			t.Errorf("base %s: URL %s, want %s", tc.base, got, tc.wantURL)
		}
	}
}

func TestAcceptHeader(t *testing.T) {
	for media, want := range map[string]string{
		"":                "application/json, */*;q=0.5",
		"*/*":             "application/json, */*;q=0.5",
		"application/xml": "application/xml, */*;q=0.5",
		"image/png":       "image/png, */*;q=0.5",
	} {
		op := &catalog.Operation{Name: "a", Method: "GET", Path: "/a", SuccessMedia: media}
		if got := mustBuild(t, "http://h", op, nil).Header.Get("Accept"); got != want {
			t.Errorf("SuccessMedia %q: Accept %q, want %q", media, got, want)
		}
	}
}

func TestCheckOrigin(t *testing.T) {
	base := "https://api.test/v1"
	for raw, ok := range map[string]bool{
		"https://api.test/v1":         true,
		"https://api.test/v1/x":       true,
		"https://api.test/v10":        false,
		"https://api.test/v2/x":       false,
		"http://api.test/v1/x":        false,
		"https://evil.test/v1/x":      false,
		"https://api.test:444/v1/x":   false,
		"https://u:p@api.test/v1/x":   false,
		"https://api.test/v1/../x":    false,
		"https://api.test/v1/./x":     false,
		"https://api.test/v1/a%2Fb/c": true,
	} {
		req, _ := http.NewRequest("GET", raw, nil)
		if err := checkOrigin(base, req.URL); (err == nil) != ok {
			t.Errorf("checkOrigin(%s) = %v, want ok=%v", raw, err, ok)
		}
	}
}
