package forward

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/mcp"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/specgate/specgate/proxy/catalog"
)

// resultHeaders are response headers worth showing the agent: where a
// created resource lives, pagination, and when to retry.
var resultHeaders = []string{"Location", "Link", "X-Total-Count", "Retry-After"}

// response is an upstream response as read, with what the mapping needs.
type response struct {
	method, path string // request method and escaped path, for messages
	uri          string // request URL without userinfo, for resource URIs
	status       int
	statusText   string // e.g. "404 Not Found"
	header       http.Header
	mediaType    string
	params       map[string]string // media type parameters (charset)
	body         []byte
	truncated    bool      // body was cut at MaxResponseBytes
	redact       *redactor // credentials Decorate added; nil for none
}

// mapResponse turns an upstream response into a tool result.
func (f *Forwarder) mapResponse(op *catalog.Operation, r *response) *mcp.CallToolResult {
	r.mediaType, r.params = responseMediaType(r.header.Get("Content-Type"), r.body)
	r.body = r.redact.body(r.body, r.mediaType)
	if isJSONMedia(r.mediaType) || isTextMedia(r.mediaType) {
		r.body = bytes.TrimPrefix(r.body, []byte("\xef\xbb\xbf")) // a UTF-8 BOM is not JSON
	}
	meta := f.metaLines(r.header)
	if r.status < 200 || r.status > 299 {
		return f.errorResult(r, meta)
	}
	if len(op.OutputSchema) > 0 {
		return f.structuredResult(op, r, meta)
	}
	if len(r.body) == 0 && !r.truncated {
		msg := "HTTP " + r.statusText
		if r.status != http.StatusNoContent && r.status != http.StatusResetContent {
			msg += " (empty response body)"
		}
		return textResult(false, msg+meta)
	}
	switch {
	case isJSONMedia(r.mediaType) && !r.truncated && json.Valid(r.body):
		sb := f.shape(op, r.body)
		return textResult(false, sb.pretty, sb.note(op, false), meta)
	case isTextMedia(r.mediaType) || isJSONMedia(r.mediaType):
		return textResult(false, f.textBounded(r), meta)
	}
	return f.binaryResult(r, meta)
}

// structuredResult handles a 2xx response of an operation that declares an
// output schema: a JSON object that validates becomes StructuredContent;
// anything else is an error result that says the call succeeded, so the
// agent neither loses the data nor retries a request that was carried out.
func (f *Forwarder) structuredResult(op *catalog.Operation, r *response, meta string) *mcp.CallToolResult {
	mismatch := func(why string, problems []string, shown string) *mcp.CallToolResult {
		var b strings.Builder
		fmt.Fprintf(&b, "The upstream call SUCCEEDED (HTTP %s) and the request was carried out, but %s, "+
			"so the data is returned as text instead of structured content. Do not repeat the request because of this message.",
			r.statusText, why)
		for _, p := range problems {
			b.WriteString("\n- " + p)
		}
		if shown != "" {
			b.WriteString("\nResponse body:\n" + shown)
		}
		return textResult(true, b.String()+meta)
	}
	isText := isJSONMedia(r.mediaType) || isTextMedia(r.mediaType)
	switch {
	case len(r.body) == 0 && !r.truncated:
		return mismatch("the response has no body while the tool declares a JSON object result", nil, "")
	case !isText && !json.Valid(r.body):
		// Binary data keeps its own content item after the explanation.
		res := mismatch(fmt.Sprintf("the response is %s, not the JSON object the tool declares", r.mediaType), nil, "")
		bin := f.binaryResult(r, "")
		res.Content = append(res.Content, bin.Content...)
		return res
	case r.truncated:
		return mismatch(fmt.Sprintf("the response exceeded the %d-byte read limit and was cut", len(r.body)), nil, f.textBounded(r))
	case !isJSONMedia(r.mediaType) && !json.Valid(r.body):
		return mismatch(fmt.Sprintf("the response is %s, not the JSON object the tool declares", r.mediaType), nil, f.textBounded(r))
	case !json.Valid(r.body):
		return mismatch("the response is not valid JSON", nil, f.textBounded(r))
	}
	// The shaped JSON is both the text and the structured content: shaping
	// keeps every type, so it still matches the lenient output schema, and
	// the two never disagree.
	sb := f.shape(op, r.body)
	pretty := sb.pretty
	if note := sb.note(op, false); note != "" {
		pretty += "\n" + note // shown only by the mismatches below
	}
	dec := json.NewDecoder(bytes.NewReader(sb.json))
	dec.UseNumber() // exact big integers in structured content
	var v any
	if err := dec.Decode(&v); err != nil {
		return mismatch("the response is not valid JSON", nil, pretty)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return mismatch(fmt.Sprintf("the response is a JSON %s while the tool declares a JSON object", jsonKind(v)), nil, pretty)
	}
	if sch, err := f.schemasFor(op).output(f, op); err == nil {
		if problems := schemaProblems(sch.Validate(obj), f.printer, false); len(problems) > 0 {
			if len(problems) > maxProblems {
				problems = append(problems[:maxProblems], fmt.Sprintf("(and %d more)", len(problems)-maxProblems))
			}
			return mismatch("the response does not match the tool's declared output schema", problems, pretty)
		}
	}
	res := textResult(false, sb.pretty, sb.note(op, true), meta)
	res.StructuredContent = obj
	res.RawStructuredContent = json.RawMessage(sb.json)
	return res
}

// errorResult reports a non-2xx status with a bounded excerpt of the body.
func (f *Forwarder) errorResult(r *response, meta string) *mcp.CallToolResult {
	var b strings.Builder
	fmt.Fprintf(&b, "Upstream API returned HTTP %s for %s %s.", r.statusText, r.method, r.path)
	b.WriteString(meta)
	switch {
	case len(r.body) == 0:
		b.WriteString("\n(empty response body)")
	case isJSONMedia(r.mediaType) && !r.truncated && json.Valid(r.body):
		out, cut := indentJSON(r.body, f.errorExcerpt)
		b.WriteString("\nResponse body:\n")
		b.Write(out)
		if cut {
			fmt.Fprintf(&b, "\n…[truncated: the body is %d bytes]", len(r.body))
		}
	case isTextMedia(r.mediaType) || isJSONMedia(r.mediaType):
		s := decodeText(r.body, r.params["charset"])
		b.WriteString("\nResponse body:\n")
		b.WriteString(cutUTF8(s, f.errorExcerpt))
		if len(s) > f.errorExcerpt || r.truncated {
			fmt.Fprintf(&b, "\n…[truncated: the body is %s]", sizeText(len(s), r.truncated))
		}
	default:
		fmt.Fprintf(&b, "\n(response body: %s of %s, not shown)", sizeText(len(r.body), r.truncated), r.mediaType)
	}
	return textResult(true, b.String())
}

// binaryResult returns images as image content and other binary data as an
// embedded resource, both only up to MaxBinaryBytes.
func (f *Forwarder) binaryResult(r *response, meta string) *mcp.CallToolResult {
	n := len(r.body)
	if r.truncated || int64(n) > f.maxBinary {
		return textResult(false, fmt.Sprintf("The upstream API returned %s of %s (HTTP %s); binary content above %d bytes is not returned.",
			sizeText(n, r.truncated), r.mediaType, r.statusText, f.maxBinary)+meta)
	}
	data := base64.StdEncoding.EncodeToString(r.body)
	if strings.HasPrefix(r.mediaType, "image/") {
		res := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewImageContent(data, r.mediaType)}}
		if meta != "" {
			res.Content = append(res.Content, mcp.NewTextContent(strings.TrimPrefix(meta, "\n")))
		}
		return res
	}
	res := textResult(false, fmt.Sprintf("Binary response: %s, %d bytes (embedded resource).", r.mediaType, n)+meta)
	res.Content = append(res.Content, mcp.NewEmbeddedResource(mcp.BlobResourceContents{URI: r.uri, MIMEType: r.mediaType, Blob: data}))
	return res
}

// textResult builds a result of text items, skipping empty ones. The
// header lines go into a separate item so that JSON text stays parseable.
func textResult(isError bool, texts ...string) *mcp.CallToolResult {
	res := &mcp.CallToolResult{IsError: isError, Content: make([]mcp.Content, 0, len(texts))}
	for i, t := range texts {
		if i > 0 {
			t = strings.TrimPrefix(t, "\n")
		}
		if t != "" || i == 0 {
			res.Content = append(res.Content, mcp.NewTextContent(t))
		}
	}
	return res
}

// metaLines formats the interesting response headers, one per line, each
// starting with "\n"; "" if there are none.
func (f *Forwarder) metaLines(h http.Header) string {
	var b strings.Builder
	for _, name := range resultHeaders {
		vals := h.Values(name)
		if len(vals) == 0 {
			continue
		}
		v := strings.Join(vals, ", ")
		if name == "Location" {
			v = stripUserinfo(v)
		}
		v = strings.Map(func(r rune) rune {
			if isCtl(r) {
				return -1
			}
			return r
		}, v)
		if len(v) > f.headerExcerpt {
			v = cutUTF8(v, f.headerExcerpt) + "…"
		}
		b.WriteString("\n" + name + ": " + v)
	}
	return b.String()
}

// textBounded returns a text body decoded to UTF-8 and cut at MaxTextBytes,
// with a note when anything is missing.
func (f *Forwarder) textBounded(r *response) string {
	s := decodeText(r.body, r.params["charset"])
	var note []string
	if len(s) > f.maxText {
		note = append(note, fmt.Sprintf("the text is %d bytes; showing the first %d", len(s), f.maxText))
		s = cutUTF8(s, f.maxText)
	}
	if r.truncated {
		note = append(note, fmt.Sprintf("the upstream response exceeded the %d-byte read limit and was cut", len(r.body)))
	}
	if len(note) > 0 {
		s += "\n…[truncated: " + strings.Join(note, "; ") + "]"
	}
	return s
}

// responseMediaType parses Content-Type, or sniffs when it is missing.
func responseMediaType(contentType string, body []byte) (string, map[string]string) {
	if contentType != "" {
		if mt, params, err := mime.ParseMediaType(contentType); err == nil {
			return mt, params
		}
	}
	if len(body) == 0 {
		return "application/octet-stream", nil
	}
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) > 0 && (t[0] == '{' || t[0] == '[') && json.Valid(body) {
		return "application/json", nil
	}
	mt, params, _ := mime.ParseMediaType(http.DetectContentType(body))
	return mt, params
}

// isTextMedia reports media types shown to the model as text.
func isTextMedia(mt string) bool {
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") || strings.HasSuffix(mt, "+yaml") {
		return true
	}
	switch mt {
	case "application/xml", "application/javascript", "application/ecmascript", "application/yaml",
		"application/x-yaml", "application/x-www-form-urlencoded", "application/graphql", "application/sql",
		"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines",
		"application/csv", "application/x-sh", "application/toml":
		return true
	}
	return false
}

// decodeText converts a text body to valid UTF-8 using its charset.
func decodeText(body []byte, charset string) string {
	cs := strings.ToLower(strings.TrimSpace(charset))
	if cs != "" && cs != "utf-8" && cs != "utf8" && cs != "us-ascii" {
		if enc, err := htmlindex.Get(cs); err == nil {
			if out, err := enc.NewDecoder().Bytes(body); err == nil {
				body = out
			}
		}
	}
	if utf8.Valid(body) {
		return string(body)
	}
	return strings.ToValidUTF8(string(body), "\uFFFD")
}

// cutUTF8 cuts s to at most n bytes without splitting a UTF-8 sequence.
func cutUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func sizeText(n int, truncated bool) string {
	if truncated {
		return "more than " + strconv.Itoa(n) + " bytes"
	}
	return strconv.Itoa(n) + " bytes"
}

// indentJSON pretty-prints valid JSON with two-space indents, producing at
// most limit bytes; cut reports whether output stopped early. Unlike
// json.Indent it never materializes more than limit bytes, so a huge or
// deeply nested body costs only what is shown.
func indentJSON(src []byte, limit int) (out []byte, cut bool) {
	out = make([]byte, 0, min(limit, len(src)+len(src)/2)+16)
	depth, inStr, esc, open := 0, false, false, false
	newline := func() {
		out = append(out, '\n')
		n := min(2*depth, limit+1-len(out))
		for i := 0; i < n; i++ {
			out = append(out, ' ')
		}
	}
	for i := 0; i < len(src); i++ {
		if len(out) > limit {
			return []byte(cutUTF8(string(out), limit)), true
		}
		c := src[i]
		if inStr {
			out = append(out, c)
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		if open && c != '}' && c != ']' {
			newline()
		}
		wasOpen := open
		open = false
		switch c {
		case '"':
			inStr = true
			out = append(out, c)
		case '{', '[':
			out = append(out, c)
			depth++
			open = true
		case '}', ']':
			depth--
			if !wasOpen {
				newline()
			}
			out = append(out, c)
		case ',':
			out = append(out, c)
			newline()
		case ':':
			out = append(out, ':', ' ')
		default:
			out = append(out, c)
		}
	}
	if len(out) > limit {
		return []byte(cutUTF8(string(out), limit)), true
	}
	return out, false
}
