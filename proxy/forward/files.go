package forward

import (
	"encoding/base64"
	"fmt"
	"mime"
	"strings"
)

// file is a decoded file argument.
type file struct {
	filename, contentType string
	data                  []byte
}

// decodeFile accepts a base64 string (or a data: URL) or an object
// {"filename", "contentType", "base64" | "text"}.
func decodeFile(v any) (file, error) {
	switch x := v.(type) {
	case string:
		return decodeBase64String(x)
	case map[string]any:
		var f file
		for k, val := range x {
			switch k {
			case "filename", "contentType", "base64", "text":
				if _, ok := val.(string); !ok {
					return file{}, fmt.Errorf("file property %q must be a string, got %s", k, jsonKind(val))
				}
			default:
				return file{}, fmt.Errorf("unknown file property %q (use filename, contentType, and base64 or text)", k)
			}
		}
		f.filename, _ = x["filename"].(string)
		f.contentType, _ = x["contentType"].(string)
		b64, hasB64 := x["base64"].(string)
		text, hasText := x["text"].(string)
		switch {
		case hasB64 && hasText:
			return file{}, fmt.Errorf("file object has both base64 and text; give one")
		case hasText:
			f.data = []byte(text)
		case hasB64:
			d, err := decodeBase64String(b64)
			if err != nil {
				return file{}, err
			}
			f.data = d.data
			if f.contentType == "" {
				f.contentType = d.contentType
			}
		default:
			return file{}, fmt.Errorf("file object needs base64 or text content")
		}
		if strings.IndexFunc(f.filename, isCtl) >= 0 || strings.IndexFunc(f.contentType, isCtl) >= 0 {
			return file{}, fmt.Errorf("file name and content type must not contain control characters")
		}
		if f.contentType != "" {
			if _, _, err := mime.ParseMediaType(f.contentType); err != nil {
				return file{}, fmt.Errorf("file contentType %q is not a media type", f.contentType)
			}
		}
		return f, nil
	}
	return file{}, fmt.Errorf("file content must be a base64 string or an object {filename, contentType, base64|text}, got %s", jsonKind(v))
}

// decodeBase64String decodes standard or URL-safe base64, padded or not,
// ignoring line breaks and spaces; a "data:<type>;base64," prefix is
// accepted and gives the content type.
func decodeBase64String(s string) (file, error) {
	var f file
	if rest, ok := strings.CutPrefix(s, "data:"); ok {
		meta, data, found := strings.Cut(rest, ",")
		if !found || !strings.HasSuffix(meta, ";base64") {
			return file{}, fmt.Errorf("data: URL must be base64-encoded (data:<type>;base64,<data>)")
		}
		f.contentType = strings.TrimSuffix(meta, ";base64")
		s = data
	}
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
			return -1
		}
		return r
	}, s)
	enc := base64.StdEncoding
	if strings.ContainsAny(s, "-_") {
		enc = base64.URLEncoding
	}
	if !strings.HasSuffix(s, "=") && len(s)%4 != 0 {
		enc = enc.WithPadding(base64.NoPadding)
	}
	data, err := enc.DecodeString(s)
	if err != nil {
		return file{}, fmt.Errorf("invalid base64: %v", err)
	}
	f.data = data
	return f, nil
}

// fileItems returns the files of a file field: an array holds several.
func fileItems(v any) []any {
	if arr, ok := v.([]any); ok {
		return arr
	}
	return []any{v}
}
