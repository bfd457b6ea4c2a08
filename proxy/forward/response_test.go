package forward

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

func respond(status int, contentType, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		switch contentType {
		case "":
		case "none": // keep net/http from sniffing one
			w.Header()["Content-Type"] = nil
		default:
			w.Header().Set("Content-Type", contentType)
		}
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Add(headers[i], headers[i+1])
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

func callWith(t *testing.T, opts Options, op *catalog.Operation, h http.HandlerFunc) *mcp.CallToolResult {
	t.Helper()
	up := newUpstream(t, h)
	if op == nil {
		op = &catalog.Operation{Name: "get", Method: "GET", Path: "/r"}
	}
	return New(opts).Call(context.Background(), up.URL, op, nil)
}

func TestResponseKinds(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
	tests := []struct {
		name      string
		h         http.HandlerFunc
		isError   bool
		wantText  []string // substrings of the joined text
		wantExact string   // exact first text item, if set
	}{
		{"json pretty", respond(200, "application/json", `{"b":[1,2,{}],"a":{"x":"y"},"e":[]}`), false, nil,
			"{\n  \"b\": [\n    1,\n    2,\n    {}\n  ],\n  \"a\": {\n    \"x\": \"y\"\n  },\n  \"e\": []\n}"},
		{"json exact numbers", respond(200, "application/json", `{"id":12345678901234567890,"f":1.0e3}`), false, nil,
			"{\n  \"id\": 12345678901234567890,\n  \"f\": 1.0e3\n}"},
		{"problem+json", respond(200, "application/problem+json; charset=utf-8", `[1]`), false, nil, "[\n  1\n]"},
		{"sniffed json", respond(200, "none", ` {"a":1}`), false, nil, "{\n  \"a\": 1\n}"},
		{"json with BOM", respond(200, "application/json", "\xef\xbb\xbf{\"a\":1}"), false, nil, "{\n  \"a\": 1\n}"},
		{"invalid json as text", respond(200, "application/json", `{"a":`), false, nil, `{"a":`},
		{"text", respond(200, "text/plain", "hello\nworld"), false, nil, "hello\nworld"},
		{"xml", respond(200, "application/xml", "<a>1</a>"), false, nil, "<a>1</a>"},
		{"latin1", respond(200, "text/plain; charset=iso-8859-1", "caf\xe9"), false, nil, "café"},
		{"invalid utf8", respond(200, "text/plain", "a\xffb"), false, nil, "a\uFFFDb"},
		{"204", respond(204, "", ""), false, nil, "HTTP 204 No Content"},
		{"201 empty with location", respond(201, "", "", "Location", "https://user:pw@api.test/items/9"), false, nil,
			"HTTP 201 Created (empty response body)\nLocation: https://api.test/items/9"},
		{"404 json", respond(404, "application/json", `{"error":"no such pet"}`), true,
			[]string{"Upstream API returned HTTP 404 Not Found for GET /r.", "Response body:\n{\n  \"error\": \"no such pet\"\n}"}, ""},
		{"500 text", respond(500, "text/html", "<h1>boom</h1>"), true, []string{"HTTP 500 Internal Server Error", "<h1>boom</h1>"}, ""},
		{"503 retry-after", respond(503, "", "", "Retry-After", "30"), true, []string{"HTTP 503 Service Unavailable", "Retry-After: 30", "(empty response body)"}, ""},
		{"custom reason", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(418) }, true, []string{"HTTP 418 I'm a teapot"}, ""},
		{"400 binary", respond(400, "application/octet-stream", "\x00\x01"), true, []string{"(response body: 2 bytes of application/octet-stream, not shown)"}, ""},
		{"large error body excerpt", respond(422, "text/plain", strings.Repeat("e", 10000)), true, []string{"…[truncated: the body is 10000 bytes]"}, ""},
		{"link header", respond(200, "application/json", `[]`, "Link", `<https://api.test/r?page=2>; rel="next"`, "X-Total-Count", "57"), false,
			[]string{"[]", `Link: <https://api.test/r?page=2>; rel="next"`, "X-Total-Count: 57"}, "[]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := callWith(t, Options{}, nil, tc.h)
			if res.IsError != tc.isError {
				t.Errorf("IsError = %v, want %v: %s", res.IsError, tc.isError, resultText(res))
			}
			text := resultText(res)
			for _, w := range tc.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("text %q does not contain %q", text, w)
				}
			}
			if tc.wantExact != "" {
				if got := firstText(t, res); got != tc.wantExact {
					t.Errorf("first text %q, want %q", got, tc.wantExact)
				}
			}
			if res.StructuredContent != nil {
				t.Errorf("unexpected structured content without an output schema")
			}
		})
	}
	t.Run("image", func(t *testing.T) {
		res := callWith(t, Options{}, nil, respond(200, "image/png", png))
		img, ok := res.Content[0].(mcp.ImageContent)
		if !ok || res.IsError {
			t.Fatalf("got %#v", res.Content)
		}
		if img.MIMEType != "image/png" || img.Data != base64.StdEncoding.EncodeToString([]byte(png)) || img.Type != "image" {
			t.Errorf("image %+v", img)
		}
	})
	t.Run("pdf as embedded resource", func(t *testing.T) {
		up := newUpstream(t, respond(200, "application/pdf", "%PDF-1.4 \x00\x01"))
		op := &catalog.Operation{Name: "get", Method: "GET", Path: "/docs/{id}", Params: []catalog.Param{{Arg: "id", Name: "id", In: catalog.InPath}}}
		res := New(Options{}).Call(context.Background(), up.URL, op, map[string]any{"id": "a b"})
		if len(res.Content) != 2 || res.IsError {
			t.Fatalf("got %#v", res.Content)
		}
		if !strings.Contains(firstText(t, res), "application/pdf, 11 bytes") {
			t.Errorf("text %q", firstText(t, res))
		}
		er, ok := res.Content[1].(mcp.EmbeddedResource)
		if !ok {
			t.Fatalf("second content %T", res.Content[1])
		}
		blob := er.Resource.(mcp.BlobResourceContents)
		data, _ := base64.StdEncoding.DecodeString(blob.Blob)
		if blob.URI != up.URL+"/docs/a%20b" || blob.MIMEType != "application/pdf" || string(data) != "%PDF-1.4 \x00\x01" {
			t.Errorf("resource %+v", blob)
		}
	})
	t.Run("sniffed binary", func(t *testing.T) {
		res := callWith(t, Options{}, nil, respond(200, "none", "GIF89a\x00\x01"))
		if img, ok := res.Content[0].(mcp.ImageContent); !ok || img.MIMEType != "image/gif" {
			t.Errorf("got %#v", res.Content)
		}
		res = callWith(t, Options{}, nil, respond(200, "none", "\x00\x01\x02"))
		if len(res.Content) != 2 || !strings.Contains(firstText(t, res), "application/octet-stream, 3 bytes") {
			t.Errorf("got %#v", res.Content)
		}
	})
	t.Run("binary over cap", func(t *testing.T) {
		res := callWith(t, Options{MaxBinaryBytes: 4}, nil, respond(200, "image/jpeg", "12345"))
		if res.IsError || len(res.Content) != 1 || !strings.Contains(resultText(res), "5 bytes of image/jpeg") {
			t.Errorf("got %v %q", res.IsError, resultText(res))
		}
	})
}

func TestSizeCaps(t *testing.T) {
	big := `{"items":[` + strings.Repeat(`{"id":1,"name":"abcdefghij"},`, 2000) + `{"id":2}]}`
	t.Run("pretty JSON bounded by MaxTextBytes", func(t *testing.T) {
		// Without an array limit, the byte cap is the last resort.
		res := callWith(t, Options{MaxTextBytes: 1000, MaxArrayItems: -1}, nil, respond(200, "application/json", big))
		text := firstText(t, res)
		if res.IsError || !strings.HasPrefix(text, "{\n  \"items\": [\n    {\n      \"id\": 1,") {
			t.Fatalf("text starts %q", text[:min(80, len(text))])
		}
		if !strings.Contains(text, fmt.Sprintf("…[truncated: the response is %d bytes of JSON; the text above stops at 1000 bytes.", len(big))) {
			t.Errorf("no truncation note: %q", text[900:])
		}
		if len(text) > 1300 {
			t.Errorf("text is %d bytes", len(text))
		}
	})
	t.Run("body over MaxResponseBytes", func(t *testing.T) {
		res := callWith(t, Options{MaxResponseBytes: 100}, nil, respond(200, "application/json", big))
		text := firstText(t, res)
		if res.IsError || !strings.HasPrefix(text, big[:100]) || !strings.Contains(text, "exceeded the 100-byte read limit") {
			t.Errorf("got %v %q", res.IsError, text)
		}
	})
	t.Run("text bounded on a rune boundary", func(t *testing.T) {
		res := callWith(t, Options{MaxTextBytes: 5}, nil, respond(200, "text/plain", "ééééé"))
		if text := firstText(t, res); !strings.HasPrefix(text, "éé\n…[truncated: the text is 10 bytes; showing the first 5]") {
			t.Errorf("text %q", text)
		}
	})
}

func TestIndentJSON(t *testing.T) {
	for _, src := range []string{`{}`, `[]`, `{"a":[]}`, `[{"a":"x\"y\\"},{}]`, `"s"`, `12`, `{"k:":"{[,]}"}`, ` [ 1 , { "a" : null } ] `} {
		got, cut := indentJSON([]byte(src), 1<<20)
		var want bytes.Buffer
		json.Indent(&want, []byte(strings.TrimSpace(src)), "", "  ")
		if cut || string(got) != want.String() {
			t.Errorf("indentJSON(%s) = %q, want %q", src, got, want.String())
		}
	}
	deep := strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	got, cut := indentJSON([]byte(deep), 4096)
	if !cut || len(got) > 4096 {
		t.Errorf("deep nesting: %d bytes, cut=%v", len(got), cut)
	}
}

func outputOp(schema string) *catalog.Operation {
	return &catalog.Operation{Name: "getPet", Method: "GET", Path: "/pet", OutputSchema: json.RawMessage(schema)}
}

func TestStructuredOutput(t *testing.T) {
	schema := `{"type":"object","properties":{"id":{"type":"integer"},"name":{"type":"string"}},"required":["id"]}`
	t.Run("valid object", func(t *testing.T) {
		res := callWith(t, Options{}, outputOp(schema), respond(200, "application/json", `{"id":12345678901234567890,"name":"rex"}`))
		if res.IsError {
			t.Fatalf("error: %s", resultText(res))
		}
		obj, ok := res.StructuredContent.(map[string]any)
		if !ok || obj["id"] != json.Number("12345678901234567890") || obj["name"] != "rex" {
			t.Errorf("structured %#v", res.StructuredContent)
		}
		wire, _ := json.Marshal(res)
		if !bytes.Contains(wire, []byte(`"structuredContent":{"id":12345678901234567890,"name":"rex"}`)) {
			t.Errorf("wire form %s", wire)
		}
		if firstText(t, res) != "{\n  \"id\": 12345678901234567890,\n  \"name\": \"rex\"\n}" {
			t.Errorf("text %q", firstText(t, res))
		}
	})
	mismatches := []struct {
		name, ct, body string
		status         int
		want           []string
	}{
		{"schema violation", "application/json", `{"id":"seven","name":3}`, 200,
			[]string{"response at /id: got string, want integer [type]", "response at /name: got number, want string [type]", `"id": "seven"`}},
		{"missing required", "application/json", `{"name":"rex"}`, 200, []string{"response: missing property 'id' [required]"}},
		{"array", "application/json", `[{"id":1}]`, 200, []string{"the response is a JSON array while the tool declares a JSON object", `"id": 1`}},
		{"not json", "text/plain", `just text`, 200, []string{"the response is text/plain, not the JSON object", "just text"}},
		{"invalid json", "application/json", `{"id":`, 200, []string{"not valid JSON", `{"id":`}},
		{"empty", "", ``, 204, []string{"HTTP 204 No Content", "no body"}},
	}
	for _, tc := range mismatches {
		t.Run(tc.name, func(t *testing.T) {
			res := callWith(t, Options{}, outputOp(schema), respond(tc.status, tc.ct, tc.body))
			text := resultText(res)
			if !res.IsError || res.StructuredContent != nil {
				t.Errorf("IsError=%v structured=%v", res.IsError, res.StructuredContent)
			}
			if !strings.HasPrefix(text, "The upstream call SUCCEEDED (HTTP "+fmt.Sprint(tc.status)) ||
				!strings.Contains(text, "Do not repeat the request") {
				t.Errorf("text does not say the call succeeded: %q", text)
			}
			for _, w := range tc.want {
				if !strings.Contains(text, w) {
					t.Errorf("text %q does not contain %q", text, w)
				}
			}
		})
	}
	t.Run("binary keeps its content", func(t *testing.T) {
		res := callWith(t, Options{}, outputOp(schema), respond(200, "image/png", "\x89PNG\r\n\x1a\n"))
		if !res.IsError || len(res.Content) != 2 || !strings.Contains(firstText(t, res), "the response is image/png, not the JSON object") {
			t.Fatalf("got %#v", res.Content)
		}
		if _, ok := res.Content[1].(mcp.ImageContent); !ok {
			t.Errorf("second content %T", res.Content[1])
		}
	})
	t.Run("non-2xx is a plain error", func(t *testing.T) {
		res := callWith(t, Options{}, outputOp(schema), respond(404, "application/json", `{"error":"x"}`))
		if !res.IsError || !strings.HasPrefix(resultText(res), "Upstream API returned HTTP 404") {
			t.Errorf("got %q", resultText(res))
		}
	})
}

func TestRedirects(t *testing.T) {
	other := newUpstream(t, respond(200, "application/json", `{"other":true}`))
	var up *upstream
	up = newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/same":
			http.Redirect(w, r, "/final", http.StatusFound)
		case "/final":
			respond(200, "application/json", `{"final":true}`)(w, r)
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		}
	})
	f := New(Options{})
	call := func(path string) *mcp.CallToolResult {
		return f.Call(context.Background(), up.URL, &catalog.Operation{Name: "r", Method: "GET", Path: path}, nil)
	}
	if res := call("/same"); res.IsError || firstText(t, res) != "{\n  \"final\": true\n}" {
		t.Errorf("same-host redirect: %q", resultText(res))
	}
	res := call("/away")
	if !res.IsError || !strings.Contains(resultText(res), "HTTP 307 Temporary Redirect") || !strings.Contains(resultText(res), "Location: "+other.URL+"/x") {
		t.Errorf("cross-host redirect: %q", resultText(res))
	}
	if len(other.requests()) != 0 {
		t.Errorf("cross-host redirect was followed")
	}
	if res := call("/loop"); !res.IsError || !strings.Contains(resultText(res), "redirected more than 5 times") {
		t.Errorf("redirect loop: %q", resultText(res))
	}
}
