package forward

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

// The OpenAPI 3.0.4 "Style Examples" table uses color = "blue",
// ["blue","black","brown"] and {"R":100,"G":200,"B":150}. Object keys are
// serialized in sorted order here (B, G, R) because Go maps are unordered;
// otherwise the expectations are the table's cells.
const (
	styleString = `"blue"`
	styleArray  = `["blue","black","brown"]`
	styleObject = `{"R":100,"G":200,"B":150}`
)

func styleOp(in catalog.Location, style string, explode bool) *catalog.Operation {
	path := "/s"
	if in == catalog.InPath {
		path = "/s/{color}"
	}
	return &catalog.Operation{Name: "style", Method: "GET", Path: path,
		Params: []catalog.Param{{Arg: "color", Name: "color", In: in, Required: in == catalog.InPath, Style: style, Explode: explode}}}
}

func styleArgs(t *testing.T, value string) map[string]any {
	return args(t, `{"color":`+value+`}`)
}

func TestPathStyles(t *testing.T) {
	tests := []struct {
		style   string
		explode bool
		value   string
		want    string // escaped path after /base/s/
	}{
		{"simple", false, styleString, "blue"},
		{"simple", false, styleArray, "blue,black,brown"},
		{"simple", false, styleObject, "B,150,G,200,R,100"},
		{"simple", true, styleString, "blue"},
		{"simple", true, styleArray, "blue,black,brown"},
		{"simple", true, styleObject, "B=150,G=200,R=100"},
		{"", false, styleArray, "blue,black,brown"}, // default style is simple
		{"label", false, styleString, ".blue"},
		{"label", false, styleArray, ".blue,black,brown"},
		{"label", false, styleObject, ".B,150,G,200,R,100"},
		{"label", true, styleString, ".blue"},
		{"label", true, styleArray, ".blue.black.brown"},
		{"label", true, styleObject, ".B=150.G=200.R=100"},
		{"matrix", false, `""`, ";color"},
		{"matrix", false, styleString, ";color=blue"},
		{"matrix", false, styleArray, ";color=blue,black,brown"},
		{"matrix", false, styleObject, ";color=B,150,G,200,R,100"},
		{"matrix", true, `""`, ";color"},
		{"matrix", true, styleString, ";color=blue"},
		{"matrix", true, styleArray, ";color=blue;color=black;color=brown"},
		{"matrix", true, styleObject, ";B=150;G=200;R=100"},
		// Delimiters inside values are escaped so they cannot fake structure.
		{"simple", false, `["a,b","c/d"]`, "a%2Cb,c%2Fd"},
		{"matrix", true, `["x;y=z"]`, ";color=x%3By=z"},
		{"simple", false, `42`, "42"},
		{"simple", false, `true`, "true"},
	}
	for _, tc := range tests {
		t.Run(tc.style+"/"+tc.value, func(t *testing.T) {
			req := mustBuild(t, "http://api.test/base", styleOp(catalog.InPath, tc.style, tc.explode), styleArgs(t, tc.value))
			if got, want := req.URL.EscapedPath(), "/base/s/"+tc.want; got != want {
				t.Errorf("explode=%v: path %q, want %q", tc.explode, got, want)
			}
		})
	}
}

func TestQueryStyles(t *testing.T) {
	tests := []struct {
		style         string
		explode       bool
		allowReserved bool
		value         string
		want          string
	}{
		{"form", false, false, `""`, "color="},
		{"form", false, false, styleString, "color=blue"},
		{"form", false, false, styleArray, "color=blue,black,brown"},
		{"form", false, false, styleObject, "color=B,150,G,200,R,100"},
		{"form", true, false, `""`, "color="},
		{"form", true, false, styleString, "color=blue"},
		{"form", true, false, styleArray, "color=blue&color=black&color=brown"},
		{"form", true, false, styleObject, "B=150&G=200&R=100"},
		{"", true, false, styleArray, "color=blue&color=black&color=brown"}, // default form
		{"spaceDelimited", false, false, styleArray, "color=blue%20black%20brown"},
		{"spaceDelimited", false, false, styleObject, "color=B%20150%20G%20200%20R%20100"},
		{"pipeDelimited", false, false, styleArray, "color=blue%7Cblack%7Cbrown"},
		{"pipeDelimited", false, false, styleObject, "color=B%7C150%7CG%7C200%7CR%7C100"},
		{"deepObject", true, false, styleObject, "color%5BB%5D=150&color%5BG%5D=200&color%5BR%5D=100"},
		// Not in the table: nested deepObject (qs/Rails convention), and
		// styles applied to values they do not describe fall back to form.
		{"deepObject", true, false, `{"status":"open","tags":["a","b"],"range":{"min":1}}`,
			"color%5Brange%5D%5Bmin%5D=1&color%5Bstatus%5D=open&color%5Btags%5D%5B%5D=a&color%5Btags%5D%5B%5D=b"},
		{"deepObject", true, false, styleString, "color=blue"},
		{"spaceDelimited", false, false, styleString, "color=blue"},
		{"spaceDelimited", true, false, styleArray, "color=blue&color=black&color=brown"},
		// Escaping: query structure cannot be changed by a value...
		{"form", true, false, `"a&b=c#d+e f%"`, "color=a%26b%3Dc%23d%2Be%20f%25"},
		{"form", false, false, `["a,b","c"]`, "color=a%2Cb,c"},
		// ...unless allowReserved, which still encodes # and stray %.
		{"form", true, true, `"a/b?c=d&e#f%zz%41"`, "color=a/b?c=d&e%23f%25zz%41"},
		// Numbers without float noise, booleans, null omitted.
		{"form", true, false, `1`, "color=1"},
		{"form", true, false, `[1, 2.5, 1e21, 12345678901234, -0.000001]`, "color=1&color=2.5&color=1e%2B21&color=12345678901234&color=-0.000001"},
		{"form", true, false, `false`, "color=false"},
		{"form", true, false, `null`, ""},
		{"form", true, false, `[]`, ""},
		{"form", true, false, `{}`, ""},
		// Nested values inside arrays are sent as JSON rather than lost.
		{"form", true, false, `[{"a":1}]`, "color=%7B%22a%22%3A1%7D"},
	}
	for _, tc := range tests {
		t.Run(tc.style+"/"+tc.value, func(t *testing.T) {
			op := styleOp(catalog.InQuery, tc.style, tc.explode)
			op.Params[0].AllowReserved = tc.allowReserved
			req := mustBuild(t, "http://api.test/base", op, styleArgs(t, tc.value))
			if req.URL.RawQuery != tc.want {
				t.Errorf("explode=%v: query %q, want %q", tc.explode, req.URL.RawQuery, tc.want)
			}
		})
	}
}

func TestHeaderAndCookieStyles(t *testing.T) {
	tests := []struct {
		in      catalog.Location
		explode bool
		value   string
		want    string
	}{
		{catalog.InHeader, false, styleString, "blue"},
		{catalog.InHeader, false, styleArray, "blue,black,brown"},
		{catalog.InHeader, false, styleObject, "B,150,G,200,R,100"},
		{catalog.InHeader, true, styleObject, "B=150,G=200,R=100"},
		{catalog.InHeader, false, `"a b; c=\"d\""`, `a b; c="d"`}, // headers are not percent-encoded
		{catalog.InCookie, false, styleString, "color=blue"},
		{catalog.InCookie, false, styleArray, "color=blue,black,brown"},
		{catalog.InCookie, false, styleObject, "color=B,150,G,200,R,100"},
		{catalog.InCookie, true, styleArray, "color=blue; color=black; color=brown"},
		{catalog.InCookie, true, styleObject, "B=150; G=200; R=100"},
		// A value cannot add a cookie: ; space , " \ % are encoded.
		{catalog.InCookie, false, `"x; admin=1"`, "color=x%3B%20admin=1"},
		{catalog.InCookie, false, `["a,b","c\\d\"%"]`, "color=a%2Cb,c%5Cd%22%25"},
	}
	for _, tc := range tests {
		t.Run(string(tc.in)+"/"+tc.value, func(t *testing.T) {
			op := styleOp(tc.in, "", tc.explode)
			if tc.in == catalog.InHeader {
				op.Params[0].Name = "X-Color"
			}
			req := mustBuild(t, "http://api.test/", op, styleArgs(t, tc.value))
			got := req.Header.Get("X-Color")
			if tc.in == catalog.InCookie {
				got = req.Header.Get("Cookie")
			}
			if got != tc.want {
				t.Errorf("explode=%v: got %q, want %q", tc.explode, got, tc.want)
			}
		})
	}
}

func TestContentParams(t *testing.T) {
	op := &catalog.Operation{Name: "c", Method: "GET", Path: "/c", Params: []catalog.Param{
		{Arg: "coords", Name: "coordinates", In: catalog.InQuery, ContentType: "application/json"},
		{Arg: "meta", Name: "X-Meta", In: catalog.InHeader, ContentType: "application/json"},
		{Arg: "note", Name: "note", In: catalog.InQuery, ContentType: "text/plain"},
	}}
	req := mustBuild(t, "http://api.test", op, args(t, `{"coords":{"lat":1.5,"long":-2},"meta":"x","note":"a b"}`))
	if got, want := req.URL.RawQuery, "coordinates=%7B%22lat%22%3A1.5%2C%22long%22%3A-2%7D&note=a%20b"; got != want {
		t.Errorf("query %q, want %q", got, want)
	}
	if got := req.Header.Get("X-Meta"); got != `"x"` {
		t.Errorf("header %q, want JSON string", got)
	}
}

func TestFormatScalar(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{float64(1), "1"},
		{float64(-3), "-3"},
		{math.Copysign(0, -1), "0"},
		{float64(1 << 53), "9007199254740992"},
		{1e20, "100000000000000000000"},
		{1e21, "1e+21"},
		{0.1, "0.1"},
		{1e-7, "1e-7"},
		{123.456, "123.456"},
		{json.Number("12345678901234567890123"), "12345678901234567890123"},
		{json.Number("1.0"), "1"},
		{json.Number("1e2"), "100"},
		{json.Number("1.5"), "1.5"},
		{json.Number("-7"), "-7"},
		{int64(-9), "-9"},
		{uint8(7), "7"},
		{true, "true"},
		{"s", "s"},
		{nil, ""},
	}
	for _, tc := range tests {
		got, err := formatScalar(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("formatScalar(%#v) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), json.Number("1e999"), json.Number("abc"), []any{1}, map[string]any{}} {
		if got, err := formatScalar(bad); err == nil {
			t.Errorf("formatScalar(%#v) = %q, want error", bad, got)
		}
	}
}

func TestEscapers(t *testing.T) {
	if got := escapeStrict("aZ09-._~ !*'();:@&=+$,/?#[]%é"); got != "aZ09-._~%20%21%2A%27%28%29%3B%3A%40%26%3D%2B%24%2C%2F%3F%23%5B%5D%25%C3%A9" {
		t.Errorf("escapeStrict: %s", got)
	}
	if got := escapePath("../a/b?c#d;e,f"); strings.ContainsAny(got, "/?#;,") {
		t.Errorf("escapePath left a delimiter: %s", got)
	}
	if got := escapeCookie("a b;c,d\"e\\f%g\x01h"); got != "a%20b%3Bc%2Cd%22e%5Cf%25g%01h" {
		t.Errorf("escapeCookie: %s", got)
	}
}
