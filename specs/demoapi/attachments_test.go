package demoapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image/png"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"reflect"
	"strings"
	"testing"
)

// part is one multipart part; filename "" makes a plain field.
type part struct {
	name, filename, contentType, body string
}

func multipartReq(taskID string, parts ...part) req {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := fmt.Sprintf(`form-data; name=%q`, p.name)
		switch {
		case strings.HasPrefix(p.filename, "*="): // RFC 2231 form, sent as given
			disp += "; filename" + p.filename
		case p.filename != "":
			disp += `; filename="` + p.filename + `"` // unescaped, to send odd names as they are
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		w, _ := mw.CreatePart(h)
		_, _ = w.Write([]byte(p.body))
	}
	_ = mw.Close()
	return req{method: http.MethodPost, target: "/api/v1/tasks/" + taskID + "/attachments", body: buf.String(),
		header: map[string]string{"Content-Type": mw.FormDataContentType()}}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

var allBytes = func() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}()

func TestUploadDownloadRoundTrip(t *testing.T) {
	a := newTestAPI(t, Options{})
	w := serve(t, a, multipartReq("t1", part{"file", "report.pdf", "application/pdf", allBytes}, part{"note", "", "", "Q2 numbers"}))
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: status %d, body %s", w.Code, w.Body)
	}
	want := Attachment{ID: "a3", Filename: "report.pdf", ContentType: "application/pdf", Size: 256,
		SHA256: sha([]byte(allBytes)), Note: "Q2 numbers"}
	if got := decode[Attachment](t, w); got != want {
		t.Fatalf("attachment = %+v\nwant %+v", got, want)
	}
	if loc := w.Header().Get("Location"); loc != "/api/v1/tasks/t1/attachments/a3" {
		t.Errorf("Location = %q", loc)
	}
	task := getTask(t, a, "t1")
	if !reflect.DeepEqual(task.Attachments, []Attachment{want}) || !task.UpdatedAt.Equal(testNow) {
		t.Errorf("task attachments = %+v, updatedAt %v", task.Attachments, task.UpdatedAt)
	}
	w = serve(t, a, req{method: "GET", target: "/api/v1/tasks/t1/attachments/a3"})
	if w.Code != http.StatusOK || w.Body.String() != allBytes {
		t.Fatalf("download: status %d, %d bytes", w.Code, w.Body.Len())
	}
	for k, v := range map[string]string{
		"Content-Type": "application/pdf", "Content-Length": "256", "X-Content-Type-Options": "nosniff",
		"Content-Disposition": `attachment; filename=report.pdf`,
	} {
		if got := w.Header().Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
}

func TestUploadAttachment(t *testing.T) {
	check := func(want Attachment) func(*testing.T, *API, *httptest.ResponseRecorder) {
		return func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
			if got := decode[Attachment](t, w); got != want {
				t.Errorf("attachment = %+v\nwant %+v", got, want)
			}
		}
	}
	file := part{"file", "a.txt", "text/plain", "hello"}
	runCases(t, []handlerCase{
		{name: "note first", req: multipartReq("t1", part{"note", "", "", "see file"}, file), status: 201,
			check: check(Attachment{ID: "a3", Filename: "a.txt", ContentType: "text/plain", Size: 5, SHA256: sha([]byte("hello")), Note: "see file"})},
		{name: "defaults", req: multipartReq("t1", part{"file", "", "", ""}), status: 201,
			check: check(Attachment{ID: "a3", Filename: "file", ContentType: "application/octet-stream", Size: 0, SHA256: sha(nil)})},
		{name: "path in filename", req: multipartReq("t1", part{"file", `../../etc/passwd`, "text/plain", "x"}), status: 201,
			check: check(Attachment{ID: "a3", Filename: "passwd", ContentType: "text/plain", Size: 1, SHA256: sha([]byte("x"))})},
		{name: "not multipart", req: jsonReq("POST", "/api/v1/tasks/t1/attachments", `{"file":"aGVsbG8="}`), status: 415,
			detail: []string{"Content-Type must be multipart/form-data"}},
		{name: "no boundary", req: multipartReq("t1", file).with("Content-Type", "multipart/form-data"), status: 400, detail: []string{"has no boundary"}},
		{name: "wrong boundary", req: multipartReq("t1", file).with("Content-Type", "multipart/form-data; boundary=nope"), status: 400,
			detail: []string{`the multipart body has no parts with boundary "nope"`}},
		{name: "no file", req: multipartReq("t1", part{"note", "", "", "x"}), status: 400, detail: []string{`multipart field "file" is required`}},
		{name: "two files", req: multipartReq("t1", file, file), status: 400, detail: []string{`multipart field "file" is given twice`}},
		{name: "unknown field", req: multipartReq("t1", part{"attachment", "a.txt", "", "x"}), status: 400,
			detail: []string{`unexpected multipart field "attachment"`}},
		{name: "long note", req: multipartReq("t1", file, part{"note", "", "", strings.Repeat("n", 1001)}), status: 400,
			detail: []string{"note must be at most 1000 characters, got 1001"}},
		{name: "binary note", req: multipartReq("t1", file, part{"note", "", "", "\xff\xfe"}), status: 400, detail: []string{"note must be UTF-8"}},
		{name: "bad part type", req: multipartReq("t1", part{"file", "a", "text/", "x"}), status: 400, detail: []string{"invalid Content-Type"}},
		{name: "control character in name", req: multipartReq("t1", part{"file", "*=utf-8''a%01b", "", "x"}), status: 400, detail: []string{"file name"}},
		{name: "missing task", req: multipartReq("t99", file), status: 404, detail: []string{`task "t99" not found`}},
	})
}

func TestDownloadAttachment(t *testing.T) {
	get := func(target string) req { return req{method: http.MethodGet, target: "/api/v1/tasks/" + target} }
	wantFile := func(ct string, body []byte) func(*testing.T, *API, *httptest.ResponseRecorder) {
		return func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
			if got := w.Header().Get("Content-Type"); got != ct {
				t.Errorf("Content-Type = %q, want %q", got, ct)
			}
			if !bytes.Equal(w.Body.Bytes(), body) {
				t.Errorf("body = %q, want %q", w.Body, body)
			}
		}
	}
	runCases(t, []handlerCase{
		{name: "seed image", req: get("t5/attachments/a2"), status: 200,
			check: func(t *testing.T, a *API, w *httptest.ResponseRecorder) {
				wantFile("image/png", boardSketchPNG)(t, a, w)
				if _, err := png.Decode(bytes.NewReader(w.Body.Bytes())); err != nil {
					t.Errorf("seed image is not a PNG: %v", err)
				}
			}},
		{name: "seed text", req: get("t2/attachments/a1"), status: 200, check: wantFile("text/plain; charset=utf-8", []byte(ciFailureLog))},
		{name: "range", req: get("t5/attachments/a2").with("Range", "bytes=0-7"), status: 206, check: wantFile("image/png", boardSketchPNG[:8])},
		{name: "not modified", req: get("t5/attachments/a2").with("If-None-Match", `"`+sha(boardSketchPNG)+`"`), status: 304},
		{name: "attachment of another task", req: get("t1/attachments/a2"), status: 404, detail: []string{`task "t1" has no attachment "a2"`}},
		{name: "missing attachment", req: get("t5/attachments/a9"), status: 404, detail: []string{`task "t5" has no attachment "a9"`}},
		{name: "missing task", req: get("t9/attachments/a1"), status: 404, detail: []string{`task "t9" not found`}},
	})
}

func TestNonASCIIFilename(t *testing.T) {
	a := newTestAPI(t, Options{})
	w := serve(t, a, multipartReq("t1", part{"file", "Übersicht 2025.txt", "text/plain", "x"}))
	if w.Code != http.StatusCreated {
		t.Fatalf("upload: %d %s", w.Code, w.Body)
	}
	w = serve(t, a, req{method: "GET", target: "/api/v1/tasks/t1/attachments/a3"})
	if got, want := w.Header().Get("Content-Disposition"), `attachment; filename*=utf-8''%C3%9Cbersicht%202025.txt`; got != want {
		t.Errorf("Content-Disposition = %q, want %q", got, want)
	}
}

func TestAttachmentQuota(t *testing.T) {
	seedBytes := int64(len(ciFailureLog) + len(boardSketchPNG))
	a := newTestAPI(t, Options{MaxAttachmentBytes: seedBytes + 10})
	upload := func(n int) *httptest.ResponseRecorder {
		return serve(t, a, multipartReq("t1", part{"file", "f", "", strings.Repeat("x", n)}))
	}
	wantProblem(t, upload(11), http.StatusConflict, fmt.Sprintf("at most %d bytes of attachments", seedBytes+10))
	if w := upload(10); w.Code != http.StatusCreated {
		t.Fatalf("upload within quota: %d %s", w.Code, w.Body)
	}
	wantProblem(t, upload(1), http.StatusConflict)
	if w := serve(t, a, req{method: "DELETE", target: "/api/v1/tasks/t5"}); w.Code != http.StatusNoContent {
		t.Fatalf("delete: %d", w.Code)
	}
	if w := upload(len(boardSketchPNG)); w.Code != http.StatusCreated {
		t.Fatalf("upload after freeing space: %d %s", w.Code, w.Body)
	}
}
