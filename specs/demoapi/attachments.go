package demoapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

const (
	maxNote     = 1000
	maxFilename = 255
)

func (a *API) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	meta, data, err := readUpload(r)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	taskID := r.PathValue("taskId")
	att, err := a.store.attach(a.owner(r), taskID, meta, data)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	w.Header().Set("Location", BasePath+"/tasks/"+url.PathEscape(taskID)+"/attachments/"+url.PathEscape(att.ID))
	writeJSON(w, a.log, http.StatusCreated, att)
}

// readUpload parses the multipart/form-data body: a required "file" part and
// an optional "note" part. Any other part is refused so that a client
// sending a wrong field name learns about it.
func readUpload(r *http.Request) (Attachment, []byte, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "multipart/form-data" {
		return Attachment{}, nil, problemf(http.StatusUnsupportedMediaType,
			"Content-Type must be multipart/form-data, got %q", ct)
	}
	if params["boundary"] == "" {
		return Attachment{}, nil, badRequest("the multipart/form-data Content-Type has no boundary")
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var meta Attachment
	var data []byte
	seen := map[string]bool{}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Attachment{}, nil, badRequest("malformed multipart body: %v", err)
		}
		name := part.FormName()
		if seen[name] {
			return Attachment{}, nil, badRequest("multipart field %q is given twice", name)
		}
		seen[name] = true
		content, err := io.ReadAll(part)
		if err != nil {
			return Attachment{}, nil, badRequest("malformed multipart body in field %q: %v", name, err)
		}
		switch name {
		case "file":
			if err := fileMeta(&meta, part, content); err != nil {
				return Attachment{}, nil, err
			}
			data = content
		case "note":
			if !utf8.Valid(content) {
				return Attachment{}, nil, badRequest("note must be UTF-8 text")
			}
			if n := utf8.RuneCount(content); n > maxNote {
				return Attachment{}, nil, badRequest("note must be at most %d characters, got %d", maxNote, n)
			}
			meta.Note = string(content)
		default:
			return Attachment{}, nil, badRequest("unexpected multipart field %q; expected file and note", name)
		}
	}
	if len(seen) == 0 {
		return Attachment{}, nil, badRequest("the multipart body has no parts with boundary %q", params["boundary"])
	}
	if data == nil {
		return Attachment{}, nil, badRequest(`multipart field "file" is required`)
	}
	return meta, data, nil
}

// fileMeta fills in the file part's fields of meta, keeping the note that may
// already have been read, as parts can come in any order.
func fileMeta(meta *Attachment, part *multipart.Part, content []byte) error {
	ct := part.Header.Get("Content-Type")
	if ct == "" {
		ct = "application/octet-stream"
	}
	if _, _, err := mime.ParseMediaType(ct); err != nil {
		return badRequest("the file part has an invalid Content-Type %q: %v", ct, err)
	}
	name := part.FileName() // already reduced to a base name by mime/multipart
	if name == "" {
		name = "file"
	}
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > maxFilename || strings.ContainsFunc(name, isControl) {
		return badRequest("the file name must be UTF-8 text of at most %d characters without control characters", maxFilename)
	}
	sum := sha256.Sum256(content)
	meta.Filename, meta.ContentType = name, ct
	meta.Size, meta.SHA256 = int64(len(content)), hex.EncodeToString(sum[:])
	return nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func (a *API) downloadAttachment(w http.ResponseWriter, r *http.Request) {
	meta, data, err := a.store.file(a.owner(r), r.PathValue("taskId"), r.PathValue("attachmentId"))
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", meta.ContentType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": meta.Filename}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+meta.SHA256+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
}
