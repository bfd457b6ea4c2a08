package forward

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// encodeBody encodes the body argument per b.Kind and returns the bytes and
// the Content-Type. It returns a nil reader when there is no body to send.
func encodeBody(b *catalog.Body, args map[string]any) (*bytes.Reader, string, error) {
	if b == nil {
		return nil, "", nil
	}
	v, ok := args[b.Arg]
	if !ok || v == nil {
		if b.Required {
			return nil, "", fmt.Errorf("missing required request body (argument %q)", b.Arg)
		}
		return nil, "", nil
	}
	wrap := func(err error) error { return fmt.Errorf("request body (argument %q): %w", b.Arg, err) }
	switch b.Kind {
	case catalog.BodyJSON:
		raw, err := marshalJSON(v)
		if err != nil {
			return nil, "", wrap(err)
		}
		return bytes.NewReader(raw), mediaTypeOr(b.MediaType, "application/json"), nil
	case catalog.BodyText:
		s, err := textOf(v)
		if err != nil {
			return nil, "", wrap(err)
		}
		return bytes.NewReader([]byte(s)), mediaTypeOr(b.MediaType, "text/plain; charset=utf-8"), nil
	case catalog.BodyBinary:
		f, err := decodeFile(v)
		if err != nil {
			return nil, "", wrap(err)
		}
		ct := mediaTypeOr(b.MediaType, "")
		if ct == "" {
			ct = mediaTypeOr(f.contentType, "application/octet-stream")
		}
		return bytes.NewReader(f.data), ct, nil
	case catalog.BodyForm:
		obj, err := bodyObject(v)
		if err != nil {
			return nil, "", wrap(err)
		}
		s, err := encodeForm(b, obj)
		if err != nil {
			return nil, "", wrap(err)
		}
		return bytes.NewReader([]byte(s)), "application/x-www-form-urlencoded", nil
	case catalog.BodyMultipart:
		obj, err := bodyObject(v)
		if err != nil {
			return nil, "", wrap(err)
		}
		data, ct, err := encodeMultipart(b, obj)
		if err != nil {
			return nil, "", wrap(err)
		}
		return bytes.NewReader(data), ct, nil
	}
	return nil, "", fmt.Errorf("request body (argument %q): unsupported body kind %q", b.Arg, b.Kind)
}

// mediaTypeOr returns mt unless it is empty, a wildcard range (which cannot
// be sent as a Content-Type) or unparsable, in which case fallback.
func mediaTypeOr(mt, fallback string) string {
	mt = strings.TrimSpace(mt)
	if mt == "" || strings.Contains(mt, "*") {
		return fallback
	}
	if _, _, err := mime.ParseMediaType(mt); err != nil {
		return fallback
	}
	return mt
}

func bodyObject(v any) (map[string]any, error) {
	v, err := normalize(v)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be an object of form fields, got %s", jsonKind(v))
	}
	return obj, nil
}

// textOf sends strings as they are, other scalars formatted like query
// values, and arrays or objects as JSON.
func textOf(v any) (string, error) {
	v, err := normalize(v)
	if err != nil {
		return "", err
	}
	return elementString(v)
}

// encodeForm encodes an application/x-www-form-urlencoded body: top-level
// arrays of scalars repeat the field, nested objects use field[key] and
// deeper arrays field[key][] (see flatten), file fields send their
// decoded content, and fields whose encoding says JSON are sent as JSON.
func encodeForm(b *catalog.Body, obj map[string]any) (string, error) {
	var out strings.Builder
	add := func(k, v string) {
		if out.Len() > 0 {
			out.WriteByte('&')
		}
		out.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v))
	}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if v == nil {
			continue
		}
		switch {
		case slices.Contains(b.FileFields, k):
			for _, item := range fileItems(v) {
				f, err := decodeFile(item)
				if err != nil {
					return "", fmt.Errorf("field %q: %w", k, err)
				}
				add(k, string(f.data))
			}
		case isJSONMedia(b.FieldContentTypes[k]):
			raw, err := marshalJSON(v)
			if err != nil {
				return "", fmt.Errorf("field %q: %w", k, err)
			}
			add(k, string(raw))
		default:
			if err := flatten(k, v, true, 0, add); err != nil {
				return "", fmt.Errorf("field %q: %w", k, err)
			}
		}
	}
	return out.String(), nil
}

// maxFlattenDepth bounds deepObject-style nesting; deeper values are sent
// as JSON, so hostile nesting costs linear, not quadratic, work.
const maxFlattenDepth = 32

// flatten emits key/value pairs for v under prefix, deepObject-style: nested
// objects add [key], arrays of scalars repeat prefix[] (or prefix itself when
// repeat is set, for top-level form fields), arrays of compound values use
// indices prefix[0][x].
func flatten(prefix string, v any, repeat bool, depth int, emit func(k, v string)) error {
	v, err := normalize(v)
	if err != nil {
		return err
	}
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any, []any:
		if depth >= maxFlattenDepth {
			raw, err := marshalJSON(x)
			if err != nil {
				return err
			}
			emit(prefix, string(raw))
			return nil
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if err := flatten(prefix+"["+k+"]", x[k], false, depth+1, emit); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			switch e.(type) {
			case []any, map[string]any:
				err = flatten(prefix+"["+strconv.Itoa(i)+"]", e, false, depth+1, emit)
			default:
				key := prefix + "[]"
				if repeat {
					key = prefix
				}
				err = flatten(key, e, false, depth+1, emit)
			}
			if err != nil {
				return err
			}
		}
	default:
		s, err := formatScalar(x)
		if err != nil {
			return err
		}
		emit(prefix, s)
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
