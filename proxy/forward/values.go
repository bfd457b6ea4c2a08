package forward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"mime"
	"slices"
	"strconv"
	"strings"
)

// Arguments arrive decoded by encoding/json, as float64 or json.Number for
// numbers, []any for arrays and map[string]any for objects. The helpers here
// turn them into wire strings without float noise: 1 is "1", never "1e+00".

// formatScalar formats a JSON scalar (string, number, bool or null) the way a
// query string or header expects it. It fails for arrays and objects.
func formatScalar(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case json.Number:
		return formatNumber(x)
	case int:
		return strconv.Itoa(x), nil
	case int8, int16, int32, int64:
		return fmt.Sprint(x), nil
	case uint, uint8, uint16, uint32, uint64:
		return fmt.Sprint(x), nil
	}
	return "", fmt.Errorf("a %s is not a single value", jsonKind(v))
}

// formatFloat prints integral values as integers and other values in the
// shortest form that round-trips, switching to an exponent only where
// encoding/json does (below 1e-6 or from 1e21 on).
func formatFloat(f float64) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", fmt.Errorf("number %v cannot be sent", f)
	}
	if f == 0 {
		return "0", nil // also -0
	}
	abs := math.Abs(f)
	if f == math.Trunc(f) && abs < 1e21 {
		return strconv.FormatFloat(f, 'f', 0, 64), nil
	}
	format := byte('f')
	if abs < 1e-6 || abs >= 1e21 {
		format = 'e'
	}
	s := strconv.FormatFloat(f, format, -1, 64)
	if format == 'e' {
		// 1e-07 -> 1e-7, as encoding/json prints it.
		if n := len(s); n >= 4 && s[n-4] == 'e' && s[n-3] == '-' && s[n-2] == '0' {
			s = s[:n-2] + s[n-1:]
		}
	}
	return s, nil
}

// formatNumber keeps the literal the client sent (so big integers stay
// exact) unless it is an integral value written with a fraction or exponent,
// like 1.0 or 1e2, which is normalized to an integer an upstream can parse.
func formatNumber(n json.Number) (string, error) {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil || isIntegerLiteral(s) {
			return s, nil
		}
		return "", fmt.Errorf("invalid number %q", s)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return "", fmt.Errorf("invalid number %q", s)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatFloat(f, 'f', 0, 64), nil
	}
	return s, nil
}

func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// jsonKind names the JSON type of v for error messages.
func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case float64, float32, json.Number, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

// normalize converts values of Go types that encoding/json would not
// produce (typed slices, structs, json.RawMessage) into the generic form by a
// JSON round trip, so the serializers handle one set of types.
func normalize(v any) (any, error) {
	switch v.(type) {
	case nil, string, bool, float64, float32, json.Number, []any, map[string]any,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return v, nil
	}
	return roundTrip(v)
}

// marshalJSON encodes v compactly without HTML escaping (an upstream gets
// "<" rather than "\u003c").
func marshalJSON(v any) ([]byte, error) {
	if raw, ok := v.(json.RawMessage); ok {
		if !json.Valid(raw) {
			return nil, fmt.Errorf("raw JSON value is not valid JSON")
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, raw); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// shapeKind is the JSON structure of a parameter value.
type shapeKind int

const (
	shapeScalar shapeKind = iota
	shapeArray
	shapeObject
)

// shape is a parameter value flattened for style serialization: a scalar,
// a list of element strings, or object key/value strings (keys sorted, since
// Go maps have no order and the wire form must be deterministic).
type shape struct {
	kind  shapeKind
	s     string
	items []string
	keys  []string
	vals  []string
}

// empty reports whether the value is an empty array or object, which RFC
// 6570 treats as undefined (the parameter is omitted).
func (s shape) empty() bool {
	return (s.kind == shapeArray && len(s.items) == 0) || (s.kind == shapeObject && len(s.keys) == 0)
}

// find returns the first of the value's strings (scalar, items, keys and
// values) for which match is true.
func (s shape) find(match func(string) bool) (string, bool) {
	if s.kind == shapeScalar {
		return s.s, match(s.s)
	}
	for _, list := range [][]string{s.items, s.keys, s.vals} {
		for _, v := range list {
			if match(v) {
				return v, true
			}
		}
	}
	return "", false
}

// toShape flattens an argument value. Elements that are themselves arrays or
// objects (which OpenAPI styles cannot express) are sent as compact JSON so
// nothing is lost. With a content type (the parameter uses `content`), a
// JSON media type JSON-encodes the whole value; any other type sends strings
// as they are and JSON-encodes the rest.
func toShape(v any, contentType string) (shape, error) {
	v, err := normalize(v)
	if err != nil {
		return shape{}, err
	}
	if contentType != "" {
		if s, ok := v.(string); ok && !isJSONMedia(contentType) {
			return shape{kind: shapeScalar, s: s}, nil
		}
		raw, err := marshalJSON(v)
		if err != nil {
			return shape{}, err
		}
		return shape{kind: shapeScalar, s: string(raw)}, nil
	}
	switch x := v.(type) {
	case []any:
		items := make([]string, len(x))
		for i, e := range x {
			if items[i], err = elementString(e); err != nil {
				return shape{}, fmt.Errorf("item %d: %w", i, err)
			}
		}
		return shape{kind: shapeArray, items: items}, nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		vals := make([]string, len(keys))
		for i, k := range keys {
			if vals[i], err = elementString(x[k]); err != nil {
				return shape{}, fmt.Errorf("property %q: %w", k, err)
			}
		}
		return shape{kind: shapeObject, keys: keys, vals: vals}, nil
	}
	s, err := formatScalar(v)
	return shape{kind: shapeScalar, s: s}, err
}

// elementString formats an array item or object property value.
func elementString(v any) (string, error) {
	switch v.(type) {
	case []any, map[string]any:
		raw, err := marshalJSON(v)
		return string(raw), err
	}
	return formatScalar(v)
}

// isJSONMedia reports whether a media type is JSON (application/json,
// text/json or any +json suffix type).
func isJSONMedia(mediaType string) bool {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(mediaType))
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}
