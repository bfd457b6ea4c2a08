package forward

import (
	"bytes"
	"fmt"
	"mime"
	"mime/multipart"
	"net/textproto"
	"slices"
	"strings"

	"github.com/specgate/specgate/proxy/catalog"
)

// encodeMultipart encodes a multipart body. Fields are written in name
// order. File fields become file parts; fields with an encoding content
// type are sent with it (JSON-encoded for JSON types); objects become JSON
// parts; arrays become one part per item; scalars plain text parts.
func encodeMultipart(b *catalog.Body, obj map[string]any) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		if v == nil {
			continue
		}
		if strings.IndexFunc(k, isCtl) >= 0 {
			return nil, "", fmt.Errorf("field name %q contains control characters", k)
		}
		fieldCT := firstMediaType(b.FieldContentTypes[k])
		var err error
		switch {
		case slices.Contains(b.FileFields, k):
			for _, item := range fileItems(v) {
				var f file
				if f, err = decodeFile(item); err != nil {
					break
				}
				err = writeFilePart(w, k, f, fieldCT)
			}
		case fieldCT != "":
			var s string
			if isJSONMedia(fieldCT) {
				var raw []byte
				raw, err = marshalJSON(v)
				s = string(raw)
			} else {
				s, err = textOf(v)
			}
			if err == nil {
				err = writePart(w, k, fieldCT, s)
			}
		default:
			items := []any{v}
			if arr, ok := v.([]any); ok {
				items = arr
			}
			for _, item := range items {
				if err != nil {
					break
				}
				switch item.(type) {
				case map[string]any, []any:
					raw, jerr := marshalJSON(item)
					if err = jerr; err == nil {
						err = writePart(w, k, "application/json", string(raw))
					}
				default:
					var s string
					if s, err = textOf(item); err == nil {
						err = writePart(w, k, "", s)
					}
				}
			}
		}
		if err != nil {
			return nil, "", fmt.Errorf("field %q: %w", k, err)
		}
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	ct := w.FormDataContentType()
	if mt := mediaTypeOr(b.MediaType, ""); strings.HasPrefix(mt, "multipart/") {
		base, _, _ := mime.ParseMediaType(mt)
		ct = mime.FormatMediaType(base, map[string]string{"boundary": w.Boundary()})
	}
	return buf.Bytes(), ct, nil
}

// quoteEscaper escapes Content-Disposition parameter values the way
// mime/multipart and browsers do: raw UTF-8 in quotes, since RFC 7578 forbids
// the RFC 5987 filename* form. Control characters are rejected earlier.
var quoteEscaper = strings.NewReplacer("\\", "\\\\", `"`, "\\\"")

func writePart(w *multipart.Writer, name, contentType, value string) error {
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="`+quoteEscaper.Replace(name)+`"`)
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = pw.Write([]byte(value))
	return err
}

func writeFilePart(w *multipart.Writer, name string, f file, fieldCT string) error {
	filename := f.filename
	if filename == "" {
		filename = name
	}
	ct := mediaTypeOr(f.contentType, "")
	if ct == "" {
		ct = mediaTypeOr(fieldCT, "application/octet-stream")
	}
	h := make(textproto.MIMEHeader)
	h.Set("Content-Disposition", `form-data; name="`+quoteEscaper.Replace(name)+`"; filename="`+quoteEscaper.Replace(filename)+`"`)
	h.Set("Content-Type", ct)
	pw, err := w.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = pw.Write(f.data)
	return err
}

// firstMediaType picks the first concrete type of an encoding contentType
// list such as "image/png, image/jpeg"; wildcards give "".
func firstMediaType(list string) string {
	for _, mt := range strings.Split(list, ",") {
		if mt = mediaTypeOr(mt, ""); mt != "" {
			return mt
		}
	}
	return ""
}
