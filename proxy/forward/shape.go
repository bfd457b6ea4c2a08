package forward

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"
)

// shapeLimits bound one shaping pass; a value <= 0 means no limit.
type shapeLimits struct {
	items    int // entries kept per array
	strBytes int // bytes kept per string value (decoded UTF-8)
}

// arrayCut records arrays that were shortened, grouped by their path with
// indices folded to "[]" ("data[].tags"), so that 50 shortened lists inside
// 50 items make one note, not 50.
type arrayCut struct {
	path    string
	arrays  int // how many arrays at this path were shortened
	longest int // the most entries any of them had
	kept    int
	depth   int // nesting depth of the path; 0 is the whole response
}

// shaped is the result of one shaping pass.
type shaped struct {
	out         []byte // compact JSON; the input itself when nothing was cut
	changed     bool
	arrays      []*arrayCut // in order of first appearance
	strings     int         // string values cut
	longestKept int         // most entries kept in any array
	longestStr  int         // longest string value kept, in bytes (before any marker)
}

// shapeJSON shortens valid JSON: every array keeps its first lim.items
// entries and every string value its first lim.strBytes bytes (on a rune
// boundary, then "…[N more bytes]"). Object keys, numbers and literals are
// copied unchanged, so the output is valid JSON with the same types. The
// input must be valid JSON (json.Valid), which also bounds its nesting.
func shapeJSON(src []byte, lim shapeLimits) shaped {
	s := &shaper{src: src, lim: lim, out: make([]byte, 0, min(len(src), 1<<20)), byPath: map[string]*arrayCut{}}
	s.value()
	res := shaped{out: s.out, changed: len(s.cuts) > 0 || s.strCut > 0, arrays: s.cuts, strings: s.strCut,
		longestKept: s.longestKept, longestStr: s.longestStr}
	if !res.changed {
		res.out = src
	}
	return res
}

// shaper walks valid JSON once, copying what it keeps.
type shaper struct {
	src         []byte
	pos         int
	out         []byte
	lim         shapeLimits
	path        []pathElem
	cuts        []*arrayCut
	byPath      map[string]*arrayCut
	strCut      int
	longestKept int
	longestStr  int
}

// pathElem is one step of the current path: an object key (raw, quoted as
// in the source) or, when key is nil, an array entry.
type pathElem struct{ key []byte }

func (s *shaper) ws() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *shaper) value() {
	s.ws()
	switch s.src[s.pos] {
	case '{':
		s.object()
	case '[':
		s.array()
	case '"':
		s.stringValue()
	default:
		start := s.pos
		s.literal()
		s.out = append(s.out, s.src[start:s.pos]...)
	}
}

func (s *shaper) object() {
	s.out = append(s.out, '{')
	s.pos++
	for first := true; ; first = false {
		s.ws()
		if s.src[s.pos] == '}' {
			s.pos++
			s.out = append(s.out, '}')
			return
		}
		if s.src[s.pos] == ',' {
			s.pos++
			s.ws()
		}
		if !first {
			s.out = append(s.out, ',')
		}
		key := s.src[s.pos:s.stringEnd()]
		s.out = append(s.out, key...)
		s.ws()
		s.pos++ // ':'
		s.out = append(s.out, ':')
		s.path = append(s.path, pathElem{key: key})
		s.value()
		s.path = s.path[:len(s.path)-1]
	}
}

func (s *shaper) array() {
	s.out = append(s.out, '[')
	s.pos++
	n := 0
	s.path = append(s.path, pathElem{})
	for {
		s.ws()
		if s.src[s.pos] == ']' {
			s.pos++
			break
		}
		if s.src[s.pos] == ',' {
			s.pos++
			s.ws()
		}
		if s.lim.items <= 0 || n < s.lim.items {
			if n > 0 {
				s.out = append(s.out, ',')
			}
			s.value()
		} else {
			s.skip()
		}
		n++
	}
	s.path = s.path[:len(s.path)-1]
	kept := n
	if s.lim.items > 0 && n > s.lim.items {
		kept = s.lim.items
		s.recordCut(n, kept)
	}
	s.longestKept = max(s.longestKept, kept)
	s.out = append(s.out, ']')
}

func (s *shaper) recordCut(n, kept int) {
	p := renderPath(s.path)
	c := s.byPath[p]
	if c == nil {
		c = &arrayCut{path: p, kept: kept, depth: len(s.path)}
		s.byPath[p] = c
		s.cuts = append(s.cuts, c)
	}
	c.arrays++
	c.longest = max(c.longest, n)
}

// stringEnd advances past the string starting at pos and returns its end.
func (s *shaper) stringEnd() int {
	i := s.pos + 1
	for {
		switch s.src[i] {
		case '\\':
			i += 2
			continue
		case '"':
			s.pos = i + 1
			return s.pos
		}
		i++
	}
}

func (s *shaper) stringValue() {
	start := s.pos
	raw := s.src[start:s.stringEnd()]
	// Decoding never lengthens valid UTF-8 (escapes only shrink), but each
	// invalid byte becomes a 3-byte U+FFFD.
	if s.lim.strBytes <= 0 || len(raw)-2 <= s.lim.strBytes && utf8.Valid(raw) {
		s.keepString(raw, len(raw)-2)
		return
	}
	var str string
	if err := json.Unmarshal(raw, &str); err != nil || len(str) <= s.lim.strBytes {
		s.keepString(raw, len(str))
		return
	}
	cut := cutUTF8(str, s.lim.strBytes)
	s.strCut++
	s.longestStr = max(s.longestStr, len(cut))
	s.out = appendJSONString(s.out, cut+"…["+strconv.Itoa(len(str)-len(cut))+" more bytes]")
}

func (s *shaper) keepString(raw []byte, n int) {
	s.out = append(s.out, raw...)
	s.longestStr = max(s.longestStr, n)
}

// literal advances past a number, true, false or null.
func (s *shaper) literal() {
	for s.pos < len(s.src) {
		switch s.src[s.pos] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
			return
		}
		s.pos++
	}
}

// skip advances past one value without copying it.
func (s *shaper) skip() {
	s.ws()
	switch s.src[s.pos] {
	case '"':
		s.stringEnd()
	case '{', '[':
		depth := 0
		for {
			switch s.src[s.pos] {
			case '"':
				s.stringEnd()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.pos++
			if depth == 0 {
				return
			}
		}
	default:
		s.literal()
	}
}

// appendJSONString appends s as a JSON string, without the HTML escaping
// of encoding/json (an agent should read "<a>", not "\u003ca\u003e").
func appendJSONString(dst []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a Go string always encodes
	return append(dst, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// renderPath names a place in the response for a note: "items",
// "data.items", "results[].tags", `["odd key"]`; "" is the whole response.
func renderPath(path []pathElem) string {
	var b []byte
	for _, e := range path {
		if e.key == nil {
			b = append(b, "[]"...)
			continue
		}
		var k string
		if json.Unmarshal(e.key, &k) != nil {
			k = string(e.key)
		}
		if plainKey(k) {
			if len(b) > 0 {
				b = append(b, '.')
			}
			b = append(b, k...)
		} else {
			b = append(b, '[')
			b = appendJSONString(b, k)
			b = append(b, ']')
		}
	}
	return string(b)
}

// plainKey reports whether k can be written after a dot.
func plainKey(k string) bool {
	if k == "" {
		return false
	}
	for i, r := range k {
		if !(r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return utf8.ValidString(k)
}
