// Package web renders specgate's login, consent and error pages.
//
// The pages are server-rendered HTML with no JavaScript, styled by an
// embedded stylesheet that Assets serves. Every page is sent with a strict
// Content-Security-Policy and anti-framing headers; all values are escaped
// by html/template.
package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Form field names and decision values shared with the authorization server.
const (
	FieldUsername   = "username"
	FieldPassword   = "password"
	FieldCSRF       = "csrf_token"
	FieldRequest    = "request_id"
	FieldScope      = "scope"
	FieldDecision   = "decision"
	DecisionApprove = "approve"
	DecisionDeny    = "deny"
)

// DefaultProductName is shown when a page's ProductName is empty.
const DefaultProductName = "specgate"

// ContentSecurityPolicy is sent with every page. It has no form-action
// directive on purpose: browsers apply form-action to the redirect that
// follows a form POST, which would block the redirect back to the client.
const ContentSecurityPolicy = "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"

// LoginPage is the data of the sign-in page.
type LoginPage struct {
	// Action is the URL the form posts to.
	Action string
	// CSRFToken and RequestID are posted back as hidden fields; CSRFToken
	// must not be empty.
	CSRFToken, RequestID string
	// ClientName and RedirectHost describe the application asking for
	// access; both are optional on this page.
	ClientName, RedirectHost string
	// Username pre-fills the user name, e.g. after a failed attempt.
	Username string
	// Error is shown above the form, e.g. "Wrong username or password".
	Error string
	// ProductName defaults to DefaultProductName.
	ProductName string
}

// ScopeChoice is one scope on the consent page.
type ScopeChoice struct {
	// Name is the scope as posted back in FieldScope.
	Name string
	// Description is a one-line human text (see scopes.Describe).
	Description string
	// Checked pre-selects the box; set it for every requested scope, so the
	// user unchecks what they do not want to grant.
	Checked bool
}

// ConsentPage is the data of the consent page.
type ConsentPage struct {
	// Action is the URL the form posts to.
	Action string
	// CSRFToken and RequestID are posted back as hidden fields; CSRFToken
	// must not be empty.
	CSRFToken, RequestID string
	// ClientName is the application's self-declared name ("An unnamed
	// application" when empty).
	ClientName string
	// ClientURI is the application's self-declared website, shown as text.
	ClientURI string
	// RedirectHost is host[:port] of the redirect URI; it must not be empty.
	RedirectHost string
	// User is who is signed in (display name or user name).
	User string
	// LoopbackRedirect adds a warning that the application runs on the
	// user's computer (the redirect goes to localhost or a loopback IP).
	LoopbackRedirect bool
	// Scopes are the requested scopes, posted back as FieldScope values.
	Scopes []ScopeChoice
	// ResourceName names the API being authorized when the server hosts
	// several (e.g. "Team Tasks (tasks)"); empty means the whole product.
	ResourceName string
	// ProductName defaults to DefaultProductName.
	ProductName string
}

// ErrorPage is the data of the error page.
type ErrorPage struct {
	Title, Message string
}

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one parsed template set per page (layout + content).
var pages = map[string]*template.Template{
	"login":   parsePage("login"),
	"consent": parsePage("consent"),
	"error":   parsePage("error"),
}

func parsePage(name string) *template.Template {
	return template.Must(template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
}

var funcs = template.FuncMap{
	"initial":         initial,
	"fieldUsername":   func() string { return FieldUsername },
	"fieldPassword":   func() string { return FieldPassword },
	"fieldCSRF":       func() string { return FieldCSRF },
	"fieldRequest":    func() string { return FieldRequest },
	"fieldScope":      func() string { return FieldScope },
	"fieldDecision":   func() string { return FieldDecision },
	"decisionApprove": func() string { return DecisionApprove },
	"decisionDeny":    func() string { return DecisionDeny },
}

// initial returns the upper-case first letter or digit of name, for the
// avatar, or "?" if it has none.
func initial(name string) string {
	for _, r := range name {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return strings.ToUpper(string(r))
		}
	}
	return "?"
}

// view is what the layout template renders.
type view struct {
	Kind, Title, Product string
	Stylesheet, Favicon  string
	Page                 any
}

// RenderLogin writes the sign-in page with status (0 means 200).
func RenderLogin(w http.ResponseWriter, status int, p LoginPage) error {
	if p.CSRFToken == "" {
		return errors.New("web: login page needs a CSRF token")
	}
	p.ProductName = product(p.ProductName)
	return render(w, status, "login", "Sign in", p.ProductName, p)
}

// RenderConsent writes the consent page with status (0 means 200).
func RenderConsent(w http.ResponseWriter, status int, p ConsentPage) error {
	if p.CSRFToken == "" {
		return errors.New("web: consent page needs a CSRF token")
	}
	if p.RedirectHost == "" {
		return errors.New("web: consent page needs the redirect host")
	}
	p.ProductName = product(p.ProductName)
	if strings.TrimSpace(p.ClientName) == "" {
		p.ClientName = "An unnamed application"
	}
	return render(w, status, "consent", "Authorize "+truncate(p.ClientName, 60), p.ProductName, p)
}

// RenderError writes the error page with status (0 means 200).
func RenderError(w http.ResponseWriter, status int, p ErrorPage) error {
	if p.Title == "" {
		p.Title = http.StatusText(status)
		if p.Title == "" {
			p.Title = "Something went wrong"
		}
	}
	return render(w, status, "error", p.Title, DefaultProductName, p)
}

// render executes the page into memory first, so a template failure leaves
// w untouched and the caller can still answer.
func render(w http.ResponseWriter, status int, kind, title, productName string, page any) error {
	var buf bytes.Buffer
	v := view{Kind: kind, Title: title, Product: productName,
		Stylesheet: assetPrefix + stylesheet.name, Favicon: assetPrefix + favicon.name, Page: page}
	if err := pages[kind].ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s page: %w", kind, err)
	}
	h := w.Header()
	setSecurityHeaders(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("web: write %s page: %w", kind, err)
	}
	return nil
}

// setSecurityHeaders sets the headers every page carries.
func setSecurityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
}

func product(name string) string {
	if strings.TrimSpace(name) == "" {
		return DefaultProductName
	}
	return name
}

// truncate shortens s to at most n runes for the window title.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
