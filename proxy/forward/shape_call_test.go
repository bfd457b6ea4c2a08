package forward

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/specgate/specgate/proxy/catalog"
)

// numbers returns a JSON array of 0..n-1.
func numbers(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i)
	}
	return "[" + strings.Join(s, ",") + "]"
}

// texts returns the text items of a result.
func texts(res *mcp.CallToolResult) []string {
	var out []string
	for _, c := range res.Content {
		if tc, ok := c.(mcp.TextContent); ok {
			out = append(out, tc.Text)
		}
	}
	return out
}

func listOp(p *catalog.Pagination, s *catalog.Shaping) *catalog.Operation {
	return &catalog.Operation{Name: "list", Method: "GET", Path: "/items", Pagination: p, Shaping: s}
}

func TestShapedResults(t *testing.T) {
	limitOffset := &catalog.Pagination{Size: []string{"limit"}, Position: []string{"offset"}}
	long := strings.Repeat("é", 3000) // 6000 bytes
	for _, tc := range []struct {
		name  string
		opts  Options
		op    *catalog.Operation
		body  string
		items int      // entries expected in .items (or the top-level array); -1 skips
		note  []string // substrings of the note item; nil means no note
	}{
		{"items with limit and offset", Options{}, listOp(limitOffset, nil), `{"items":` + numbers(1234) + `,"next":"c"}`, 50, []string{
			`"items" had 1234 entries; showing the first 50.`,
			"To see the rest, call again with limit of at most 50 and page with offset (this operation's parameters).",
			"A next page taken from this response would skip the 1184 entries not shown.",
		}},
		{"top-level array without paging", Options{}, listOp(nil, nil), numbers(60), 50, []string{
			"the response had 60 entries; showing the first 50.", "Narrow the request (filters) to see the rest.",
		}},
		{"cursor only", Options{MaxArrayItems: 10}, listOp(&catalog.Pagination{Position: []string{"cursor", "page_token"}}, nil), `{"items":` + numbers(11) + `}`, 10, []string{
			"This operation pages with cursor or page_token, but a next page taken from this response would skip the 1 entries not shown",
		}},
		{"nested only", Options{MaxArrayItems: 2}, listOp(limitOffset, nil), `{"items":[{"tags":[1,2,3]},{"tags":[4,5,6]}]}`, 2, []string{
			`"items[].tags": 2 arrays had more than 2 entries (up to 3); each shows its first 2.`,
			"Narrow the request (filters, fields) to see more of the shortened lists.",
		}},
		{"operation limit", Options{}, listOp(limitOffset, &catalog.Shaping{MaxArrayItems: 5}), `{"items":` + numbers(8) + `}`, 5, []string{
			`"items" had 8 entries; showing the first 5.`, "limit of at most 5",
		}},
		{"operation lifts the limit", Options{MaxArrayItems: 3}, listOp(nil, &catalog.Shaping{MaxArrayItems: -1}), `{"items":` + numbers(8) + `}`, 8, nil},
		{"server without limits", Options{MaxArrayItems: -1, MaxStringBytes: -1}, listOp(nil, nil), `{"items":` + numbers(100) + `,"s":"` + long + `"}`, 100, nil},
		{"long strings", Options{}, listOp(nil, nil), `{"items":[],"a":"` + long + `","b":"` + long + `"}`, 0, []string{
			`2 strings longer than 4096 bytes were cut; each ends with "…[N more bytes]".`,
		}},
		{"operation string limit", Options{}, listOp(nil, &catalog.Shaping{MaxStringBytes: 3}), `{"items":["abcd"]}`, 1, []string{
			`1 string longer than 3 bytes was cut`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := callWith(t, tc.opts, tc.op, respond(200, "application/json", tc.body, "X-Total-Count", "9999"))
			if res.IsError {
				t.Fatalf("error: %s", resultText(res))
			}
			items := texts(res)
			var doc any
			if err := json.Unmarshal([]byte(items[0]), &doc); err != nil {
				t.Fatalf("first text is not JSON: %v\n%s", err, items[0])
			}
			if tc.items >= 0 {
				list, ok := doc.([]any)
				if m, isObj := doc.(map[string]any); isObj {
					list, ok = m["items"].([]any)
				}
				if !ok || len(list) != tc.items {
					t.Errorf("%d entries, want %d", len(list), tc.items)
				}
			}
			// Items: JSON, then the note if any, then the headers.
			if last := items[len(items)-1]; last != "X-Total-Count: 9999" {
				t.Errorf("last item %q, want the headers", last)
			}
			if tc.note == nil {
				if len(items) != 2 {
					t.Errorf("unexpected note: %q", items[1:])
				}
				return
			}
			if len(items) != 3 || !strings.HasPrefix(items[1], "[specgate: the JSON above is shortened") || !strings.HasSuffix(items[1], "]") {
				t.Fatalf("no note item: %q", items[1:])
			}
			for _, w := range tc.note {
				if !strings.Contains(items[1], w) {
					t.Errorf("note %q\ndoes not contain %q", items[1], w)
				}
			}
			if strings.Contains(items[1], "structured") {
				t.Errorf("note mentions structured content that is not there: %q", items[1])
			}
		})
	}
}

func TestShapedStructured(t *testing.T) {
	schema := `{"type":"object","properties":{"items":{"type":["array","null"],"items":{"type":["integer","null"]}},"name":{"type":["string","null"]}}}`
	op := &catalog.Operation{Name: "list", Method: "GET", Path: "/items", OutputSchema: json.RawMessage(schema),
		Pagination: &catalog.Pagination{Size: []string{"per_page"}, Position: []string{"page"}}}
	body := `{"items":` + numbers(100) + `,"name":"` + strings.Repeat("n", 5000) + `"}`
	res := callWith(t, Options{}, op, respond(200, "application/json", body))
	if res.IsError {
		t.Fatalf("error: %s", resultText(res))
	}
	obj, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("structured %T", res.StructuredContent)
	}
	if list, _ := obj["items"].([]any); len(list) != 50 {
		t.Errorf("structured items: %d", len(list))
	}
	if name, _ := obj["name"].(string); !strings.HasSuffix(name, "…[904 more bytes]") {
		t.Errorf("structured name ends %q", name[len(name)-30:])
	}
	// Text and structured content are the same shaped document.
	var fromText any
	if err := json.Unmarshal([]byte(firstText(t, res)), &fromText); err != nil {
		t.Fatal(err)
	}
	var fromRaw any
	if err := json.Unmarshal(res.RawStructuredContent, &fromRaw); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(fromText) != fmt.Sprint(fromRaw) {
		t.Error("text and structured content differ")
	}
	note := texts(res)[1]
	for _, w := range []string{"(the structured content is shortened the same way)", "per_page of at most 50 and page with page", "1 string longer than 4096 bytes was cut"} {
		if !strings.Contains(note, w) {
			t.Errorf("note %q does not contain %q", note, w)
		}
	}

	t.Run("mismatch shows the note, without structured content", func(t *testing.T) {
		res := callWith(t, Options{}, op, respond(200, "application/json", numbers(70)))
		text := resultText(res)
		if !res.IsError || res.StructuredContent != nil || !strings.Contains(text, "the response had 70 entries; showing the first 50.") ||
			strings.Contains(text, "structured content is shortened") {
			t.Errorf("got %v %q", res.IsError, text)
		}
	})
}

func TestShapeFitsMaxText(t *testing.T) {
	t.Run("arrays shortened further", func(t *testing.T) {
		big := `{"items":[` + strings.Repeat(`{"id":1,"name":"abcdefghij"},`, 2000) + `{"id":2}]}`
		res := callWith(t, Options{MaxTextBytes: 1000}, listOp(&catalog.Pagination{Size: []string{"limit"}}, nil), respond(200, "application/json", big))
		items := texts(res)
		var doc struct{ Items []any }
		if err := json.Unmarshal([]byte(items[0]), &doc); err != nil || len(items[0]) > 1000 {
			t.Fatalf("text (%d bytes) is not JSON within the cap: %v", len(items[0]), err)
		}
		n := len(doc.Items)
		if n < 3 || n >= 50 {
			t.Errorf("kept %d entries", n)
		}
		if want := fmt.Sprintf(`"items" had 2001 entries; showing the first %d.`, n); !strings.Contains(items[1], want) {
			t.Errorf("note %q does not contain %q", items[1], want)
		}
		if !strings.Contains(items[1], fmt.Sprintf("limit of at most %d", n)) {
			t.Errorf("note %q gives the wrong page size", items[1])
		}
	})
	t.Run("strings shortened further", func(t *testing.T) {
		s := strings.Repeat("x", 4000)
		body := `{"a":"` + s + `","b":"` + s + `","c":"` + s + `"}`
		res := callWith(t, Options{MaxTextBytes: 1200}, nil, respond(200, "application/json", body))
		items := texts(res)
		if !json.Valid([]byte(items[0])) || len(items[0]) > 1200 {
			t.Fatalf("text (%d bytes) is not JSON within the cap", len(items[0]))
		}
		if !strings.Contains(items[1], "3 strings longer than 256 bytes were cut") {
			t.Errorf("note %q", items[1])
		}
	})
	t.Run("byte cap as last resort", func(t *testing.T) {
		var fields []string
		for i := 0; i < 20; i++ {
			fields = append(fields, fmt.Sprintf(`"k%d":"%s"`, i, strings.Repeat("x", 300)))
		}
		body := "{" + strings.Join(fields, ",") + "}"
		res := callWith(t, Options{MaxTextBytes: 1000}, nil, respond(200, "application/json", body))
		if text := firstText(t, res); !strings.Contains(text, "…[truncated: the response is") {
			t.Errorf("no truncation marker: %q", text)
		}
	})
}

func BenchmarkShape(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"items":[`)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"id":%d,"name":"item number %d","tags":["a","b","c"],"text":"%s"}`, i, i, strings.Repeat("lorem ipsum ", 40))
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	f := New(Options{})
	op := listOp(nil, nil)
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f.shape(op, body)
	}
}
