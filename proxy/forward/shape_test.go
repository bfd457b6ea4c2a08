package forward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestShapeJSON(t *testing.T) {
	type cut struct {
		path            string
		arrays, longest int
	}
	for _, tc := range []struct {
		name    string
		in      string
		lim     shapeLimits
		want    string // "" means unchanged
		cuts    []cut
		strings int
	}{
		{"unchanged", `{"a": [1, 2], "s": "x"}`, shapeLimits{2, 1}, "", nil, 0},
		{"no limits", `[1,2,3,"abcdef"]`, shapeLimits{}, "", nil, 0},
		{"top-level array", `[0,1,2,3,4,5,6,7,8,9]`, shapeLimits{3, 0}, `[0,1,2]`, []cut{{"", 1, 10}}, 0},
		{"whitespace is dropped once changed", "{ \"items\" : [ 1 ,\n 2 , 3 ] , \"n\" : null }", shapeLimits{2, 0},
			`{"items":[1,2],"n":null}`, []cut{{"items", 1, 3}}, 0},
		{"nested arrays grouped", `{"data":[{"tags":[1,2,3,4]},{"tags":[1,2,3,4,5]},{"tags":[1]}]}`, shapeLimits{2, 0},
			`{"data":[{"tags":[1,2]},{"tags":[1,2]}]}`, []cut{{"data[].tags", 2, 5}, {"data", 1, 3}}, 0},
		{"arrays of arrays", `[[1,2,3],[4,5,6],[7]]`, shapeLimits{2, 0}, `[[1,2],[4,5]]`, []cut{{"[]", 2, 3}, {"", 1, 3}}, 0},
		{"dropped entries are not inspected", `[1,{"x":"long long long","y":[1,2,3]}]`, shapeLimits{1, 2}, `[1]`, []cut{{"", 1, 2}}, 0},
		{"odd keys", `{"a b":{"y-z":[1,2]},"é":[1,2],"1x":[1,2]}`, shapeLimits{1, 0},
			`{"a b":{"y-z":[1]},"é":[1],"1x":[1]}`, []cut{{`["a b"].y-z`, 1, 2}, {`["é"]`, 1, 2}, {`["1x"]`, 1, 2}}, 0},
		{"escaped key path", `{"a\"b":[1,2]}`, shapeLimits{1, 0}, `{"a\"b":[1]}`, []cut{{`["a\"b"]`, 1, 2}}, 0},
		{"literals kept", `[1.5e10,-0,true,false,null,{}]`, shapeLimits{6, 1}, "", nil, 0},
		{"empty containers", `{"a":[],"b":{},"c":[[]]}`, shapeLimits{1, 1}, "", nil, 0},
		{"long string", `{"s":"abcdefghij"}`, shapeLimits{0, 4}, `{"s":"abcd…[6 more bytes]"}`, nil, 1},
		{"keys are never cut", `{"abcdefghij":"abc"}`, shapeLimits{0, 4}, "", nil, 0},
		{"rune boundary", `"ééé"`, shapeLimits{0, 3}, `"é…[4 more bytes]"`, nil, 1},
		{"escapes decoded before measuring", `"\u00e9\u00e9\u00e9"`, shapeLimits{0, 3}, `"é…[4 more bytes]"`, nil, 1},
		{"escaped but short enough", `"\n\n\n"`, shapeLimits{0, 3}, "", nil, 0},
		{"surrogate pair", `"\ud83d\ude00\ud83d\ude00"`, shapeLimits{0, 5}, `"😀…[4 more bytes]"`, nil, 1},
		{"no HTML escaping", `"<a href='x'>&amp;</a>"`, shapeLimits{0, 8}, `"<a href=…[13 more bytes]"`, nil, 1},
		{"quotes re-escaped", `"a\"b\\c\"d\"e"`, shapeLimits{0, 4}, `"a\"b\\…[5 more bytes]"`, nil, 1},
		{"strings in kept entries", `[["abcdef"],"x","abcdef"]`, shapeLimits{5, 3}, `[["abc…[3 more bytes]"],"x","abc…[3 more bytes]"]`, nil, 2},
		{"scalar document", `  42  `, shapeLimits{1, 1}, "", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sh := shapeJSON([]byte(tc.in), tc.lim)
			if tc.want == "" {
				if sh.changed || string(sh.out) != tc.in {
					t.Errorf("changed to %s", sh.out)
				}
			} else if string(sh.out) != tc.want {
				t.Errorf("got  %s\nwant %s", sh.out, tc.want)
			}
			if !json.Valid(sh.out) {
				t.Errorf("invalid JSON %s", sh.out)
			}
			var got []cut
			for _, c := range sh.arrays {
				got = append(got, cut{c.path, c.arrays, c.longest})
				if c.kept != tc.lim.items {
					t.Errorf("%s kept %d, limit %d", c.path, c.kept, tc.lim.items)
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.cuts) || sh.strings != tc.strings {
				t.Errorf("cuts %v strings %d, want %v %d", got, sh.strings, tc.cuts, tc.strings)
			}
		})
	}
}

var cutMarker = regexp.MustCompile(`…\[(\d+) more bytes\]$`)

// checkShaped asserts that shaped is orig with arrays and strings cut to
// lim and nothing else changed.
func checkShaped(t *testing.T, orig, shaped any, lim shapeLimits, where string) {
	t.Helper()
	switch o := orig.(type) {
	case map[string]any:
		s, ok := shaped.(map[string]any)
		if !ok || len(s) != len(o) {
			t.Fatalf("%s: object became %T with %d keys (was %d)", where, shaped, len(s), len(o))
		}
		for k, v := range o {
			sv, ok := s[k]
			if !ok {
				t.Fatalf("%s: key %q lost", where, k)
			}
			checkShaped(t, v, sv, lim, where+"."+k)
		}
	case []any:
		s, ok := shaped.([]any)
		want := len(o)
		if lim.items > 0 {
			want = min(want, lim.items)
		}
		if !ok || len(s) != want {
			t.Fatalf("%s: array of %d became %T of %d, want %d", where, len(o), shaped, len(s), want)
		}
		for i := range s {
			checkShaped(t, o[i], s[i], lim, fmt.Sprintf("%s[%d]", where, i))
		}
	case string:
		s, ok := shaped.(string)
		if !ok {
			t.Fatalf("%s: string became %T", where, shaped)
		}
		if lim.strBytes <= 0 || len(o) <= lim.strBytes {
			if s != o {
				t.Fatalf("%s: short string %q changed to %q", where, o, s)
			}
			return
		}
		m := cutMarker.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("%s: %q cut to %q without a marker", where, o, s)
		}
		prefix := strings.TrimSuffix(s, m[0])
		if m[1] != strconv.Itoa(len(o)-len(prefix)) || !strings.HasPrefix(o, prefix) || len(prefix) > lim.strBytes ||
			len(prefix) <= lim.strBytes-utf8.UTFMax || !utf8.ValidString(prefix) {
			t.Fatalf("%s: %q cut to %q (limit %d)", where, o, s, lim.strBytes)
		}
	default:
		if fmt.Sprint(orig) != fmt.Sprint(shaped) {
			t.Fatalf("%s: %v became %v", where, orig, shaped)
		}
	}
}

func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

func FuzzShape(f *testing.F) {
	for _, s := range []string{
		`{"items":[1,2,3,4],"next":"abc"}`, `[[1,2,3],[4,5,6]]`, `"ééééé"`, `"\ud83d\ude00\ud83d\ude00x"`,
		`{"a":{"b":[{"c":"<&>\u2028"}]}}`, `[1.5e10,-0,true,false,null,{},[]]`, "\"a\xffb\xfe\"", `{"a":1,"a":[1,2,3]}`,
		` [ "x" , { "k" : [ 1 , 2 ] } ] `, `"…[1 more bytes]…["`,
	} {
		f.Add([]byte(s), 2, 3)
	}
	f.Fuzz(func(t *testing.T, in []byte, items, strBytes int) {
		if !json.Valid(in) {
			return
		}
		lim := shapeLimits{items: items % 20, strBytes: strBytes % 64}
		sh := shapeJSON(in, lim)
		if !json.Valid(sh.out) {
			t.Fatalf("shapeJSON(%q, %+v) = %q: invalid JSON", in, lim, sh.out)
		}
		if !sh.changed && !bytes.Equal(sh.out, in) {
			t.Fatalf("unchanged but different: %q", sh.out)
		}
		checkShaped(t, decodeNumbers(t, in), decodeNumbers(t, sh.out), shapeLimits{max(lim.items, 0), max(lim.strBytes, 0)}, "$")
		// The pretty text of shaped JSON is valid JSON too.
		if pretty, cut := indentJSON(sh.out, 1<<20); !cut && !json.Valid(pretty) {
			t.Fatalf("pretty form %q invalid", pretty)
		}
	})
}
