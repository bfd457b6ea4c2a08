package upstreamlogin

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func decodeDoc(t testing.TB, s string) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// The examples of RFC 6901 §5.
func TestLookupRFC6901(t *testing.T) {
	doc := decodeDoc(t, `{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}`)
	tests := []struct {
		ptr   string
		want  string
		found bool
	}{
		{"/foo/0", "bar", true}, {"/foo/1", "baz", true}, {"/", "0", true}, {"/a~1b", "1", true},
		{"/c%d", "2", true}, {"/e^f", "3", true}, {"/g|h", "4", true}, {"/i\\j", "5", true},
		{"/k\"l", "6", true}, {"/ ", "7", true}, {"/m~0n", "8", true},
		{"/foo/2", "", false}, {"/foo/-1", "", false}, {"/foo/01", "", false}, {"/foo/x", "", false},
		{"/nope", "", false}, {"/foo/0/deeper", "", false},
	}
	for _, tc := range tests {
		got, found, err := stringAt(doc, tc.ptr)
		if err != nil || found != tc.found || got != tc.want {
			t.Errorf("stringAt(%q) = %q, %v, %v; want %q, %v", tc.ptr, got, found, err, tc.want, tc.found)
		}
	}
	if _, found := lookup(decodeDoc(t, `{"a":null}`), "/a"); found {
		t.Error("null counts as found")
	}
}

func TestSecondsAt(t *testing.T) {
	doc := decodeDoc(t, `{"n":3600,"s":" 90 ","f":1.5,"z":0,"neg":-1,"huge":1e30,"txt":"soon","b":true}`)
	for ptr, want := range map[string]time.Duration{"/n": time.Hour, "/s": 90 * time.Second, "/f": 1500 * time.Millisecond} {
		if got, ok, err := secondsAt(doc, ptr); err != nil || !ok || got != want {
			t.Errorf("secondsAt(%s) = %v, %v, %v", ptr, got, ok, err)
		}
	}
	for _, ptr := range []string{"/z", "/neg", "/huge", "/txt", "/b"} {
		if _, _, err := secondsAt(doc, ptr); err == nil {
			t.Errorf("secondsAt(%s) accepted a bad value", ptr)
		}
	}
	if _, ok, err := secondsAt(doc, "/missing"); ok || err != nil {
		t.Error("a missing lifetime is not 'unknown'")
	}
}

func TestJWTExpiry(t *testing.T) {
	for token, ok := range map[string]bool{
		"a.eyJleHAiOjEwMH0.c": true,  // {"exp":100}
		"a.eyJleHAiOiJ4In0.c": false, // {"exp":"x"}
		"opaque-token":        false,
		"a.!!!.c":             false,
		"a.e30.c":             false, // {}
	} {
		if _, got := jwtExpiry(token); got != ok {
			t.Errorf("jwtExpiry(%q) ok = %v, want %v", token, got, ok)
		}
	}
}

// FuzzPointer checks that no pointer or document panics the resolver and
// that valid pointers round-trip through escaping.
func FuzzPointer(f *testing.F) {
	f.Add("/a~1b/0", `{"a/b":["x"]}`)
	f.Add("/~", `[]`)
	f.Add("", `"s"`)
	f.Fuzz(func(t *testing.T, ptr, doc string) {
		var v any
		dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
		dec.UseNumber()
		if dec.Decode(&v) != nil {
			return
		}
		if _, err := parsePointer(ptr); err != nil {
			return
		}
		_, _, _ = stringAt(v, ptr)
		_, _, _ = listAt(v, ptr)
		_, _, _ = secondsAt(v, ptr)
	})
}
