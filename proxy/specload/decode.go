package specload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// decoded is a document in generic form: maps are map[string]any, arrays
// []any, numbers json.Number (JSON) or int/uint64/float64 (YAML).
type decoded struct {
	root   any
	isJSON bool
}

// decode reads a JSON or YAML document into generic form. A document whose
// first significant byte is '{' is JSON, so its syntax errors are reported
// as JSON errors rather than as YAML's. maxBytes is the document size cap
// (Options.MaxBytes); a YAML document's aliases may not expand it into more
// than twice that much JSON (see decodeYAML).
func decode(data []byte, maxBytes int64) (*decoded, *ParseError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, &ParseError{Err: errors.New("document is empty")}
	}
	if trimmed[0] == '{' {
		v, perr := decodeJSON(data)
		if perr != nil {
			return nil, perr
		}
		return &decoded{root: v, isJSON: true}, nil
	}
	v, perr := decodeYAML(data, 2*maxBytes)
	if perr != nil {
		return nil, perr
	}
	return &decoded{root: v}, nil
}

func decodeJSON(data []byte) (any, *ParseError) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var syn *json.SyntaxError
		switch {
		case errors.As(err, &syn):
			line, col := position(data, syn.Offset-1)
			return nil, &ParseError{Line: line, Column: col, Err: fmt.Errorf("JSON syntax error: %s", syn.Error())}
		case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			line, col := position(data, int64(len(data)))
			return nil, &ParseError{Line: line, Column: col, Err: errors.New("JSON syntax error: unexpected end of input")}
		default:
			return nil, &ParseError{Err: fmt.Errorf("JSON: %w", err)}
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		line, col := position(data, dec.InputOffset())
		return nil, &ParseError{Line: line, Column: col, Err: errors.New("JSON syntax error: unexpected data after the top-level value")}
	}
	return v, nil
}

// position turns a byte offset into a 1-based line and column (in runes).
func position(data []byte, off int64) (line, col int) {
	off = max(0, min(off, int64(len(data))))
	prefix := data[:off]
	line = bytes.Count(prefix, []byte("\n")) + 1
	start := bytes.LastIndexByte(prefix, '\n') + 1
	return line, utf8.RuneCount(prefix[start:]) + 1
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// decodeYAML decodes a YAML document. yaml.v3 bounds how many nodes aliases
// add, but an alias of a large scalar is one node, so a small document can
// still stand for gigabytes once every alias is written out (as the JSON
// re-encoding for kin-openapi does). The expanded JSON size is therefore
// counted while walking the result and capped at maxJSON.
func decodeYAML(data []byte, maxJSON int64) (v any, perr *ParseError) {
	defer func() {
		// yaml.v3 has panicked on hostile input before; a spec is outside
		// input, so turn that into an error rather than a crash.
		if r := recover(); r != nil {
			v, perr = nil, &ParseError{Err: fmt.Errorf("YAML: decoder failed: %v", r)}
		}
	}()
	if err := yaml.Unmarshal(data, &v); err != nil {
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ := strconv.Atoi(m[1])
			if isYAMLParserProblem(m[2]) {
				// yaml.v3 prints a parser (not scanner) error's line 0-based:
				// the line before the construct it was parsing.
				line++
			}
			return nil, &ParseError{Line: line, Err: fmt.Errorf("YAML syntax error: %s", m[2])}
		}
		return nil, &ParseError{Err: fmt.Errorf("YAML: %w", err)}
	}
	budget := maxJSON
	v, err := jsonCompatible(v, nil, &budget)
	if err != nil {
		return nil, &ParseError{Pointer: err.ptr, Err: err.err}
	}
	return v, nil
}

// spend charges n bytes of expanded JSON to budget and fails once the
// document is larger than the budget allowed.
func spend(budget *int64, n int, path []string) *pointerError {
	*budget -= int64(n)
	if *budget >= 0 {
		return nil
	}
	return &pointerError{ptr: pointer(path), err: errors.New(
		"the YAML document expands to too much JSON (are aliases repeating a large value?); see Options.MaxBytes")}
}

// isYAMLParserProblem reports whether a yaml.v3 problem comes from its
// parser (parserc.go) rather than its scanner.
func isYAMLParserProblem(problem string) bool {
	switch problem {
	case "found duplicate %TAG directive", "found duplicate %YAML directive",
		"found incompatible YAML document", "found undefined tag handle":
		return true
	}
	return strings.HasPrefix(problem, "did not find expected")
}

type pointerError struct {
	ptr string
	err error
}

// jsonCompatible rewrites what YAML allows and JSON does not: maps with
// non-string keys (`200:` response codes) become map[string]any, and
// non-finite numbers are rejected. It rewrites in place where it can.
func jsonCompatible(v any, path []string, budget *int64) (any, *pointerError) {
	switch t := v.(type) {
	case map[string]any:
		if err := spend(budget, 2, path); err != nil {
			return nil, err
		}
		for k, c := range t {
			if err := spend(budget, len(k)+4, path); err != nil {
				return nil, err
			}
			nc, err := jsonCompatible(c, append(path, k), budget)
			if err != nil {
				return nil, err
			}
			if _, isMap := c.(map[any]any); isMap {
				t[k] = nc
			}
		}
		return t, nil
	case map[any]any:
		if err := spend(budget, 2, path); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(t))
		for k, c := range t {
			var key string
			switch kk := k.(type) {
			case string:
				key = kk
			case nil:
				key = "null"
			default:
				key = fmt.Sprint(kk)
			}
			if err := spend(budget, len(key)+4, path); err != nil {
				return nil, err
			}
			nc, err := jsonCompatible(c, append(path, key), budget)
			if err != nil {
				return nil, err
			}
			m[key] = nc
		}
		return m, nil
	case []any:
		if err := spend(budget, 2, path); err != nil {
			return nil, err
		}
		for i, c := range t {
			nc, err := jsonCompatible(c, append(path, strconv.Itoa(i)), budget)
			if err != nil {
				return nil, err
			}
			t[i] = nc
		}
		return t, nil
	case string:
		// Escapes can make it longer; the raw length bounds what matters.
		if err := spend(budget, len(t)+3, path); err != nil {
			return nil, err
		}
	case float64:
		if math.IsInf(t, 0) || math.IsNaN(t) {
			return nil, &pointerError{ptr: pointer(path), err: fmt.Errorf("number %v cannot be represented in JSON", t)}
		}
		if err := spend(budget, 8, path); err != nil {
			return nil, err
		}
	default:
		if err := spend(budget, 8, path); err != nil {
			return nil, err
		}
	}
	return v, nil
}

// encodeJSON marshals a generic document for kin-openapi.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
