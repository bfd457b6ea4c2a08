package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func bodyOp(b *catalog.Body) *catalog.Operation {
	return &catalog.Operation{Name: "send", Method: "POST", Path: "/send", Body: b}
}

// sendBody calls the operation through a Forwarder against a recording
// upstream and returns what the upstream received.
func sendBody(t *testing.T, b *catalog.Body, argsJSON string) recorded {
	t.Helper()
	up := newUpstream(t, nil)
	res := New(Options{}).Call(context.Background(), up.URL, bodyOp(b), args(t, argsJSON))
	if res.IsError {
		t.Fatalf("call failed: %s", resultText(res))
	}
	return up.last(t)
}

func TestJSONBody(t *testing.T) {
	tests := []struct {
		media, args, wantCT, wantBody string
	}{
		{"application/json", `{"body":{"name":"<b>","n":1,"big":12345678901234,"f":0.5,"tags":["a"],"nil":null}}`,
			"application/json", `{"big":12345678901234,"f":0.5,"n":1,"name":"<b>","nil":null,"tags":["a"]}`},
		{"application/merge-patch+json", `{"body":{"a":null}}`, "application/merge-patch+json", `{"a":null}`},
		{"*/*", `{"body":[1,2]}`, "application/json", `[1,2]`},
		{"application/json", `{"body":"just a string"}`, "application/json", `"just a string"`},
		{"application/json", `{"body":false}`, "application/json", `false`},
	}
	for _, tc := range tests {
		got := sendBody(t, &catalog.Body{Arg: "body", MediaType: tc.media, Kind: catalog.BodyJSON}, tc.args)
		if ct := got.Header.Get("Content-Type"); ct != tc.wantCT {
			t.Errorf("%s: Content-Type %q, want %q", tc.args, ct, tc.wantCT)
		}
		if string(got.Body) != tc.wantBody {
			t.Errorf("%s: body %s, want %s", tc.args, got.Body, tc.wantBody)
		}
	}
}

func TestJSONBodyKeepsRawAndExactNumbers(t *testing.T) {
	b := &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON}
	for _, tc := range []struct {
		v    any
		want string
	}{
		{json.RawMessage(`{ "z": 1, "a": [ 2 ] }`), `{"z":1,"a":[2]}`}, // order and form of raw JSON kept
		{map[string]any{"id": json.Number("123456789012345678901")}, `{"id":123456789012345678901}`},
	} {
		req := mustBuild(t, "http://h", bodyOp(b), map[string]any{"body": tc.v})
		got, _ := io.ReadAll(req.Body)
		if string(got) != tc.want {
			t.Errorf("body %s, want %s", got, tc.want)
		}
	}
}

func TestFormBody(t *testing.T) {
	b := &catalog.Body{Arg: "body", MediaType: "application/x-www-form-urlencoded", Kind: catalog.BodyForm,
		FileFields: []string{"doc"}, FieldContentTypes: map[string]string{"meta": "application/json"}}
	got := sendBody(t, b, `{"body":{"name":"a b&c=d","n":2,"ok":true,"ids":[1,2],
		"filter":{"status":"open","range":{"min":1}},"meta":{"k":"v"},"doc":"aGVsbG8=","skip":null}}`)
	if ct := got.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	vals, err := url.ParseQuery(string(got.Body))
	if err != nil {
		t.Fatal(err)
	}
	want := url.Values{
		"name": {"a b&c=d"}, "n": {"2"}, "ok": {"true"}, "ids": {"1", "2"},
		"filter[status]": {"open"}, "filter[range][min]": {"1"}, "meta": {`{"k":"v"}`}, "doc": {"hello"},
	}
	if len(vals) != len(want) {
		t.Errorf("form %v, want %v", vals, want)
	}
	for k, v := range want {
		if strings.Join(vals[k], "|") != strings.Join(v, "|") {
			t.Errorf("field %s = %q, want %q", k, vals[k], v)
		}
	}
}

func TestMultipartBody(t *testing.T) {
	b := &catalog.Body{Arg: "body", MediaType: "multipart/form-data", Kind: catalog.BodyMultipart,
		FileFields:        []string{"file", "more", "raw"},
		FieldContentTypes: map[string]string{"meta": "application/json", "raw": "image/png, image/jpeg"}}
	got := sendBody(t, b, `{"body":{
		"title":"hello \"world\"","count":3,"price":1.5,"tags":["x","y"],"obj":{"a":1},
		"meta":{"k":[1,2]},
		"file":{"filename":"a\"b.txt","contentType":"text/plain","text":"file text"},
		"more":[{"base64":"AAEC","filename":"bin.dat"},{"text":"second"}],
		"raw":"iVBORw=="}}`)
	mt, params, err := mime.ParseMediaType(got.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		t.Fatalf("Content-Type %q: %v", got.Header.Get("Content-Type"), err)
	}
	type part struct{ name, filename, ct, body string }
	var parts []part
	mr := multipart.NewReader(bytes.NewReader(got.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(p)
		parts = append(parts, part{p.FormName(), p.FileName(), p.Header.Get("Content-Type"), string(data)})
	}
	want := []part{
		{"count", "", "", "3"},
		{"file", `a"b.txt`, "text/plain", "file text"},
		{"meta", "", "application/json", `{"k":[1,2]}`},
		{"more", "bin.dat", "application/octet-stream", "\x00\x01\x02"},
		{"more", "more", "application/octet-stream", "second"},
		{"obj", "", "application/json", `{"a":1}`},
		{"price", "", "", "1.5"},
		{"raw", "raw", "image/png", "\x89PNG"},
		{"tags", "", "", "x"},
		{"tags", "", "", "y"},
		{"title", "", "", `hello "world"`},
	}
	if len(parts) != len(want) {
		t.Fatalf("got %d parts %+v, want %d", len(parts), parts, len(want))
	}
	for i := range want {
		if parts[i] != want[i] {
			t.Errorf("part %d = %+v, want %+v", i, parts[i], want[i])
		}
	}
}

func TestTextAndBinaryBodies(t *testing.T) {
	tests := []struct {
		body             *catalog.Body
		args             string
		wantCT, wantBody string
	}{
		{&catalog.Body{Arg: "body", MediaType: "text/plain", Kind: catalog.BodyText}, `{"body":"line1\nline2"}`, "text/plain", "line1\nline2"},
		{&catalog.Body{Arg: "body", MediaType: "text/csv", Kind: catalog.BodyText}, `{"body":42}`, "text/csv", "42"},
		{&catalog.Body{Arg: "body", MediaType: "application/xml", Kind: catalog.BodyText}, `{"body":"<a/>"}`, "application/xml", "<a/>"},
		{&catalog.Body{Arg: "body", MediaType: "application/octet-stream", Kind: catalog.BodyBinary}, `{"body":"AAEC/w=="}`, "application/octet-stream", "\x00\x01\x02\xff"},
		{&catalog.Body{Arg: "body", MediaType: "application/octet-stream", Kind: catalog.BodyBinary}, `{"body":"AAEC_w"}`, "application/octet-stream", "\x00\x01\x02\xff"},
		{&catalog.Body{Arg: "body", MediaType: "application/octet-stream", Kind: catalog.BodyBinary}, `{"body":"AAEC\n/w=="}`, "application/octet-stream", "\x00\x01\x02\xff"},
		{&catalog.Body{Arg: "body", MediaType: "*/*", Kind: catalog.BodyBinary}, `{"body":"data:image/gif;base64,R0lG"}`, "image/gif", "GIF"},
		{&catalog.Body{Arg: "body", MediaType: "image/*", Kind: catalog.BodyBinary}, `{"body":{"contentType":"image/png","base64":"iVBORw=="}}`, "image/png", "\x89PNG"},
		{&catalog.Body{Arg: "payload", MediaType: "image/jpeg", Kind: catalog.BodyBinary}, `{"payload":{"text":"raw"}}`, "image/jpeg", "raw"},
	}
	for _, tc := range tests {
		got := sendBody(t, tc.body, tc.args)
		if ct := got.Header.Get("Content-Type"); ct != tc.wantCT {
			t.Errorf("%s: Content-Type %q, want %q", tc.args, ct, tc.wantCT)
		}
		if string(got.Body) != tc.wantBody {
			t.Errorf("%s: body %q, want %q", tc.args, got.Body, tc.wantBody)
		}
	}
}

func TestBodyErrors(t *testing.T) {
	tests := []struct {
		body      *catalog.Body
		args      string
		wantError string
	}{
		{&catalog.Body{Arg: "body", Kind: catalog.BodyJSON, Required: true}, `{}`, `missing required request body (argument "body")`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyBinary}, `{"body":"not base64!!"}`, `request body (argument "body"): invalid base64`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyBinary}, `{"body":{"base64":"AA==","text":"x"}}`, `both base64 and text`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyBinary}, `{"body":{"filename":"x"}}`, `needs base64 or text`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyBinary}, `{"body":{"data":"AA=="}}`, `unknown file property "data"`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyBinary}, `{"body":5}`, `must be a base64 string or an object`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyForm}, `{"body":[1]}`, `must be an object of form fields, got array`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyMultipart, FileFields: []string{"f"}}, `{"body":{"f":"%%%"}}`, `field "f": invalid base64`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyMultipart, FileFields: []string{"f"}}, `{"body":{"f":{"filename":"a\r\nb","text":"x"}}}`, `control characters`},
		{&catalog.Body{Arg: "body", Kind: catalog.BodyMultipart, FileFields: []string{"f"}}, `{"body":{"f":{"contentType":"not a type","text":"x"}}}`, `is not a media type`},
		{&catalog.Body{Arg: "body", Kind: "yaml"}, `{"body":"x"}`, `unsupported body kind`},
	}
	for _, tc := range tests {
		up := newUpstream(t, nil)
		res := New(Options{}).Call(context.Background(), up.URL, bodyOp(tc.body), args(t, tc.args))
		if !res.IsError || !strings.Contains(resultText(res), tc.wantError) {
			t.Errorf("%s: got error=%v %q, want error containing %q", tc.args, res.IsError, resultText(res), tc.wantError)
		}
		if !strings.Contains(resultText(res), "nothing was sent") {
			t.Errorf("%s: error does not say nothing was sent: %s", tc.args, resultText(res))
		}
		if n := len(up.requests()); n != 0 {
			t.Errorf("%s: upstream received %d requests", tc.args, n)
		}
	}
}

func TestOptionalBodyAbsentSendsNothing(t *testing.T) {
	got := sendBody(t, &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON}, `{}`)
	if len(got.Body) != 0 || got.Header.Get("Content-Type") != "" {
		t.Errorf("body %q, Content-Type %q", got.Body, got.Header.Get("Content-Type"))
	}
}
