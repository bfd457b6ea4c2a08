package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// doc is a parsed page with small query helpers.
type doc struct {
	t    testing.TB
	root *html.Node
	raw  string
}

func parse(t testing.TB, body string) *doc {
	t.Helper()
	n, err := html.Parse(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return &doc{t: t, root: n, raw: body}
}

// walk calls f for n and every node below it, in document order.
func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// all returns the elements for which match is true, in document order.
func (d *doc) all(match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	walk(d.root, func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
	})
	return out
}

func (d *doc) tag(name string) []*html.Node {
	return d.all(func(n *html.Node) bool { return n.Data == name })
}

// byAttr returns the one element with tag and key=val, failing otherwise.
func (d *doc) byAttr(tag, key, val string) *html.Node {
	d.t.Helper()
	got := d.all(func(n *html.Node) bool {
		v, ok := attr(n, key)
		return n.Data == tag && ok && v == val
	})
	if len(got) != 1 {
		d.t.Fatalf("want exactly one <%s %s=%q>, found %d", tag, key, val, len(got))
	}
	return got[0]
}

func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// checkCommon verifies what every page must have: headers, status, CSP
// compatibility (no scripts, no inline styles or handlers), a labelled main.
func checkCommon(t *testing.T, rec *httptest.ResponseRecorder, wantStatus int) *doc {
	t.Helper()
	if rec.Code != wantStatus {
		t.Errorf("status = %d, want %d", rec.Code, wantStatus)
	}
	want := map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
		"X-Frame-Options":         "DENY",
		"Cache-Control":           "no-store",
		"Referrer-Policy":         "no-referrer",
		"X-Content-Type-Options":  "nosniff",
	}
	for k, v := range want {
		if got := rec.Header().Get(k); got != v {
			t.Errorf("header %s = %q, want %q", k, got, v)
		}
	}
	if strings.Contains(rec.Header().Get("Content-Security-Policy"), "form-action") {
		t.Error("CSP must not contain form-action")
	}
	d := parse(t, rec.Body.String())
	if n := len(d.tag("script")); n > 0 {
		t.Errorf("page has %d <script> elements; pages must work without JavaScript", n)
	}
	for _, n := range d.all(func(*html.Node) bool { return true }) {
		for _, a := range n.Attr {
			if a.Key == "style" || strings.HasPrefix(a.Key, "on") {
				t.Errorf("<%s> has attribute %s, which the CSP blocks", n.Data, a.Key)
			}
		}
	}
	if h := d.tag("html"); len(h) != 1 {
		t.Fatal("no <html>")
	} else if lang, _ := attr(h[0], "lang"); lang != "en" {
		t.Errorf("html lang = %q", lang)
	}
	main := d.byAttr("main", "aria-labelledby", "page-title")
	if d.byAttr("h1", "id", "page-title") == nil || main == nil {
		t.Fatal("missing labelled main/h1")
	}
	link := d.byAttr("link", "rel", "stylesheet")
	if href, _ := attr(link, "href"); !strings.HasPrefix(href, "/static/specgate.") || !strings.HasSuffix(href, ".css") {
		t.Errorf("stylesheet href = %q", href)
	}
	return d
}

// checkHidden verifies the hidden CSRF and request fields of the form.
func checkHidden(t *testing.T, d *doc, csrf, req string) {
	t.Helper()
	for name, want := range map[string]string{FieldCSRF: csrf, FieldRequest: req} {
		in := d.byAttr("input", "name", name)
		if typ, _ := attr(in, "type"); typ != "hidden" {
			t.Errorf("%s type = %q, want hidden", name, typ)
		}
		if v, _ := attr(in, "value"); v != want {
			t.Errorf("%s value = %q, want %q", name, v, want)
		}
	}
	form := d.tag("form")
	if len(form) != 1 {
		t.Fatalf("want one form, found %d", len(form))
	}
	if m, _ := attr(form[0], "method"); m != "post" {
		t.Errorf("form method = %q", m)
	}
}

func TestRenderLogin(t *testing.T) {
	xss := `<script>alert("x")</script>'&`
	tests := []struct {
		name        string
		status      int
		page        LoginPage
		wantStatus  int
		wantInTitle string
		check       func(t *testing.T, d *doc)
	}{
		{
			name:       "plain",
			page:       LoginPage{Action: "/login", CSRFToken: "tok-1", RequestID: "req-1"},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, d *doc) {
				if errRegion := d.byAttr("div", "id", "form-error"); text(errRegion) != "" {
					t.Errorf("error region not empty: %q", text(errRegion))
				}
				if !strings.Contains(d.raw, "Use your specgate account.") {
					t.Error("default product name missing")
				}
				if _, ok := attr(d.byAttr("input", "id", "username"), "autofocus"); !ok {
					t.Error("username not autofocused")
				}
			},
		},
		{
			name:   "error and client",
			status: http.StatusUnauthorized,
			page: LoginPage{Action: "/login?x=1&y=2", CSRFToken: "tok-2", RequestID: "req-2", ClientName: "Claude Code",
				RedirectHost: "localhost:53682", Username: "alice", Error: "Wrong username or password.", ProductName: "Acme API"},
			wantStatus: http.StatusUnauthorized,
			check: func(t *testing.T, d *doc) {
				region := d.byAttr("div", "id", "form-error")
				if got := text(region); got != "Wrong username or password." {
					t.Errorf("error region = %q", got)
				}
				if v, _ := attr(region, "aria-live"); v == "" {
					t.Error("error region has no aria-live")
				}
				u := d.byAttr("input", "id", "username")
				if v, _ := attr(u, "value"); v != "alice" {
					t.Errorf("username value = %q", v)
				}
				if v, _ := attr(u, "aria-invalid"); v != "true" {
					t.Error("username not marked invalid")
				}
				if _, ok := attr(d.byAttr("input", "id", "password"), "autofocus"); !ok {
					t.Error("password should get focus when the name is known")
				}
				if a, _ := attr(d.tag("form")[0], "action"); a != "/login?x=1&y=2" {
					t.Errorf("action = %q", a)
				}
				if !strings.Contains(text(d.root), "localhost:53682") || !strings.Contains(text(d.root), "Claude Code") {
					t.Error("client name or redirect host missing")
				}
				if !strings.Contains(text(d.tag("title")[0]), "Acme API") {
					t.Error("product name not in title")
				}
			},
		},
		{
			name: "escaping",
			page: LoginPage{Action: "javascript:alert(1)", CSRFToken: `"><b>`, RequestID: "r", ClientName: xss,
				Username: xss, Error: xss, RedirectHost: "<i>h</i>"},
			wantStatus: http.StatusOK,
			check: func(t *testing.T, d *doc) {
				if strings.Contains(d.raw, "<script>") || strings.Contains(d.raw, "<i>h</i>") || strings.Contains(d.raw, `"><b>`) {
					t.Error("unescaped input in page")
				}
				if a, _ := attr(d.tag("form")[0], "action"); strings.HasPrefix(a, "javascript:") {
					t.Errorf("javascript: action not neutralized: %q", a)
				}
				if got := text(d.byAttr("div", "id", "form-error")); got != strings.Join(strings.Fields(xss), " ") {
					t.Errorf("escaped error does not round-trip: %q", got)
				}
				if v, _ := attr(d.byAttr("input", "id", "username"), "value"); v != xss {
					t.Errorf("escaped username does not round-trip: %q", v)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			if err := RenderLogin(rec, tt.status, tt.page); err != nil {
				t.Fatal(err)
			}
			d := checkCommon(t, rec, tt.wantStatus)
			checkHidden(t, d, tt.page.CSRFToken, tt.page.RequestID)
			for id, ac := range map[string]string{"username": "username", "password": "current-password"} {
				d.byAttr("label", "for", id)
				in := d.byAttr("input", "id", id)
				if v, _ := attr(in, "autocomplete"); v != ac {
					t.Errorf("%s autocomplete = %q, want %q", id, v, ac)
				}
				if _, ok := attr(in, "required"); !ok {
					t.Errorf("%s not required", id)
				}
			}
			if n, _ := attr(d.byAttr("input", "id", "password"), "name"); n != FieldPassword {
				t.Errorf("password field name = %q", n)
			}
			if typ, _ := attr(d.byAttr("input", "id", "password"), "type"); typ != "password" {
				t.Errorf("password input type = %q", typ)
			}
			if v, ok := attr(d.byAttr("input", "id", "password"), "value"); ok {
				t.Errorf("password field pre-filled with %q", v)
			}
			tt.check(t, d)
		})
	}
}

func TestRenderRefusesMissingFields(t *testing.T) {
	tests := []struct {
		name   string
		render func(w http.ResponseWriter) error
	}{
		{"login without csrf", func(w http.ResponseWriter) error { return RenderLogin(w, 200, LoginPage{RequestID: "r"}) }},
		{"consent without csrf", func(w http.ResponseWriter) error {
			return RenderConsent(w, 200, ConsentPage{RedirectHost: "h", RequestID: "r"})
		}},
		{"consent without redirect host", func(w http.ResponseWriter) error {
			return RenderConsent(w, 200, ConsentPage{CSRFToken: "t"})
		}},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		if err := tt.render(rec); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 || rec.Code != 200 || rec.Flushed {
			t.Errorf("%s: response was written before the error", tt.name)
		}
	}
}

func TestRenderError(t *testing.T) {
	tests := []struct {
		status    int
		page      ErrorPage
		wantTitle string
	}{
		{http.StatusBadRequest, ErrorPage{Title: "This link has expired", Message: "Start again."}, "This link has expired"},
		{http.StatusForbidden, ErrorPage{Message: "No."}, "Forbidden"},
		{599, ErrorPage{Message: "?"}, "Something went wrong"},
		{0, ErrorPage{Title: "<b>t</b>", Message: "<img src=x onerror=alert(1)>"}, "<b>t</b>"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		if err := RenderError(rec, tt.status, tt.page); err != nil {
			t.Fatal(err)
		}
		want := tt.status
		if want == 0 {
			want = 200
		}
		d := checkCommon(t, rec, want)
		if got := text(d.byAttr("h1", "id", "page-title")); got != tt.wantTitle {
			t.Errorf("h1 = %q, want %q", got, tt.wantTitle)
		}
		if got := text(d.byAttr("p", "class", "message")); got != tt.page.Message {
			t.Errorf("message = %q, want %q", got, tt.page.Message)
		}
		if len(d.tag("img")) != 0 || len(d.tag("b")) != 0 {
			t.Error("markup in error page not escaped")
		}
		if len(d.tag("form")) != 0 {
			t.Error("error page has a form")
		}
	}
}

func TestInitial(t *testing.T) {
	tests := map[string]string{"claude": "C", "  ünicode": "Ü", "": "?", "--": "?", "9lives": "9", "<x>": "X"}
	for in, want := range tests {
		if got := initial(in); got != want {
			t.Errorf("initial(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkRenderConsent measures a typical consent page render.
func BenchmarkRenderConsent(b *testing.B) {
	p := ConsentPage{Action: "/consent", CSRFToken: "t", RequestID: "r", ClientName: "Claude Code",
		RedirectHost: "localhost:53682", User: "alice", LoopbackRedirect: true,
		Scopes: []ScopeChoice{{"read", "View data", true}, {"write", "Change data", true}, {"offline_access", "Stay signed in", true}}}
	for b.Loop() {
		rec := httptest.NewRecorder()
		if err := RenderConsent(rec, 200, p); err != nil {
			b.Fatal(err)
		}
	}
}
