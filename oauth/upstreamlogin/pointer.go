package upstreamlogin

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// parsePointer splits an RFC 6901 JSON pointer into its unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("%q is not a JSON pointer (it must start with /, e.g. /access_token)", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, part := range parts {
		for j := 0; j < len(part); j++ {
			if part[j] == '~' && (j+1 == len(part) || (part[j+1] != '0' && part[j+1] != '1')) {
				return nil, fmt.Errorf("%q: ~ must be followed by 0 or 1", p)
			}
		}
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

// lookup resolves pointer p in doc (decoded with UseNumber). found is false
// when the location does not exist or holds null.
func lookup(doc any, p string) (v any, found bool) {
	tokens, err := parsePointer(p)
	if err != nil {
		return nil, false // validated at New
	}
	v = doc
	for _, tok := range tokens {
		switch node := v.(type) {
		case map[string]any:
			if v, found = node[tok]; !found {
				return nil, false
			}
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(node) || (len(tok) > 1 && tok[0] == '0') {
				return nil, false
			}
			v = node[i]
		default:
			return nil, false
		}
	}
	return v, v != nil
}

// stringAt returns the string at p; numbers are accepted as their decimal
// text (user ids are often numbers). Absent or null is ("", false, nil).
func stringAt(doc any, p string) (string, bool, error) {
	v, ok := lookup(doc, p)
	if !ok {
		return "", false, nil
	}
	switch x := v.(type) {
	case string:
		return x, true, nil
	case json.Number:
		return x.String(), true, nil
	default:
		return "", false, fmt.Errorf("the value at %s is a %s, want a string", p, kind(v))
	}
}

// maxLifetime bounds expires_in so a bogus value cannot overflow time math.
const maxLifetime = 10 * 365 * 24 * time.Hour

// secondsAt returns the positive number of seconds at p (a number or a
// numeric string). Absent or null is (0, false, nil).
func secondsAt(doc any, p string) (time.Duration, bool, error) {
	v, ok := lookup(doc, p)
	if !ok {
		return 0, false, nil
	}
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = strings.TrimSpace(x)
	default:
		return 0, false, fmt.Errorf("the value at %s is a %s, want a number of seconds", p, kind(v))
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(f) || f <= 0 || f > maxLifetime.Seconds() {
		return 0, false, fmt.Errorf("the value at %s is not a positive number of seconds", p)
	}
	return time.Duration(f * float64(time.Second)), true, nil
}

// listAt returns the strings at p: a list of strings or one space-separated
// string. Absent or null is (nil, false, nil).
func listAt(doc any, p string) ([]string, bool, error) {
	v, ok := lookup(doc, p)
	if !ok {
		return nil, false, nil
	}
	switch x := v.(type) {
	case string:
		return strings.Fields(x), true, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false, fmt.Errorf("item %d of the list at %s is a %s, want a string", i, p, kind(e))
			}
			out = append(out, s)
		}
		return out, true, nil
	default:
		return nil, false, fmt.Errorf("the value at %s is a %s, want a list of strings", p, kind(v))
	}
}

func kind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "object"
	case []any:
		return "list"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	default:
		return "null"
	}
}

// jwtExpiry reads the exp claim of a JWT without verifying it: only to know
// when to refresh, never to trust anything. ok is false for other tokens.
func jwtExpiry(token string) (time.Time, bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || len(parts[1]) > 8<<10 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}, false
	}
	var claims struct {
		Exp json.Number `json:"exp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return time.Time{}, false
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 || exp > float64(math.MaxInt32)*4 {
		return time.Time{}, false
	}
	return time.Unix(int64(exp), 0), true
}

var errNotJSON = errors.New("the response is not a JSON document")
