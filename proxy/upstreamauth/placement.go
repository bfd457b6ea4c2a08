package upstreamauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/specgate/specgate/proxy/forward"
)

// The config keys errors refer to; the settings table should use them.
const (
	KeyAuth              = "upstream.auth"
	KeyHeader            = "upstream.header"
	KeyQuery             = "upstream.query"
	KeyCookie            = "upstream.cookie"
	KeyBasic             = "upstream.basic"
	KeyBasicUser         = "upstream.basic_user"
	KeyTemplate          = "upstream.template"
	KeySecretEnv         = "upstream.secret_env"
	KeySecretFile        = "upstream.secret_file"
	KeyForwardUserHeader = "upstream.forward_user_header"
)

// forbiddenHeaders cannot carry a credential or the user name: framing and
// hop-by-hop headers belong to the transport, Cookie has its own placement,
// and Proxy-Authorization is never sent.
var forbiddenHeaders = map[string]bool{
	"Host": true, "Content-Length": true, "Transfer-Encoding": true, "Connection": true,
	"Keep-Alive": true, "Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true,
	"Expect": true, "Content-Type": true, "Cookie": true, "Proxy-Authorization": true,
}

// ParsePlacement builds a Placement from the flat settings: at most one of
// header (a header name), query (a parameter name), cookie (a cookie name)
// and basic may be set; basicUser implies basic. template applies to all but
// basic. With none set the result has an empty In, which New treats as the
// Authorization header and Resolve may replace with the spec's scheme.
func ParsePlacement(header, query, cookie string, basic bool, basicUser, template string) (Placement, error) {
	var set []string
	p := Placement{Template: template, BasicUser: basicUser}
	if header != "" {
		set, p.In, p.Name = append(set, KeyHeader), InHeader, header
	}
	if query != "" {
		set, p.In, p.Name = append(set, KeyQuery), InQuery, query
	}
	if cookie != "" {
		set, p.In, p.Name = append(set, KeyCookie), InCookie, cookie
	}
	if basic || basicUser != "" {
		key := KeyBasic
		if !basic {
			key = KeyBasicUser
		}
		set, p.In, p.Name = append(set, key), InBasic, ""
	}
	if len(set) > 1 {
		return Placement{}, fmt.Errorf("%s: set only one of %s", set[1], strings.Join(set, ", "))
	}
	if p.In == InBasic && template != "" {
		return Placement{}, fmt.Errorf("%s: basic auth takes no template (the credential is the password, or user:password)", KeyTemplate)
	}
	return p, nil
}

// placement is a validated Placement.
type placement struct {
	in, name  string
	template  string // {token} already rewritten to {secret}
	basicUser string
}

// newPlacement validates p for mode and applies the defaults.
func newPlacement(p Placement, mode Mode) (placement, error) {
	out := placement{in: strings.ToLower(p.In), name: p.Name, template: p.Template, basicUser: p.BasicUser}
	if out.in == "" {
		out.in = InHeader
	}
	key := placementKey(Placement{In: out.in})
	switch out.in {
	case InHeader:
		if out.name == "" {
			out.name = "Authorization"
		}
		if err := checkHeaderName(out.name); err != nil {
			return out, fmt.Errorf("%s: %w", key, err)
		}
		out.name = http.CanonicalHeaderKey(out.name)
		if out.template == "" && out.name == "Authorization" {
			out.template = "Bearer {secret}"
		}
	case InQuery:
		if out.name == "" {
			return out, fmt.Errorf("%s: the query parameter name is empty", key)
		}
	case InCookie:
		if !isToken(out.name) {
			return out, fmt.Errorf("%s: %q is not a valid cookie name", key, out.name)
		}
	case InBasic:
		if out.name != "" || out.template != "" {
			return out, fmt.Errorf("%s: basic auth takes no name or template", KeyBasic)
		}
		if strings.IndexFunc(out.basicUser, isCtl) >= 0 || strings.Contains(out.basicUser, ":") {
			return out, fmt.Errorf("%s: the user name must not contain a colon or control characters", KeyBasicUser)
		}
		return out, nil
	default:
		return out, fmt.Errorf("%s: unknown credential location %q; use header, query, cookie or basic", KeyAuth, p.In)
	}
	if out.basicUser != "" {
		return out, fmt.Errorf("%s: only applies to basic auth, not to a %s", KeyBasicUser, out.in)
	}
	if out.template == "" {
		out.template = "{secret}"
	}
	t, err := compileTemplate(out.template, mode, out.in == InCookie)
	if err != nil {
		return out, fmt.Errorf("%s %q: %w", KeyTemplate, out.template, err)
	}
	out.template = t
	return out, nil
}

// compileTemplate checks the template's placeholders and literal text and
// returns it with {token} rewritten to {secret}.
func compileTemplate(t string, mode Mode, cookie bool) (string, error) {
	var b strings.Builder
	found := false
	rest := t
	for rest != "" {
		open := strings.IndexAny(rest, "{}")
		if open < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:open])
		end := strings.IndexByte(rest[open:], '}')
		if rest[open] == '}' || end < 0 {
			return "", errors.New("unbalanced brace; the placeholder is {secret}")
		}
		switch name := rest[open+1 : open+end]; {
		case name == "secret", name == "token" && mode == ModeUser:
			b.WriteString("{secret}")
			found = true
		case name == "token":
			return "", errors.New("{token} is the per-user credential (upstream.auth user); a static secret is {secret}")
		default:
			return "", fmt.Errorf("unknown placeholder {%s}; use {secret}", name)
		}
		rest = rest[open+end+1:]
	}
	if !found {
		return "", errors.New("no {secret} placeholder, so the credential would not be sent")
	}
	literal := strings.ReplaceAll(b.String(), "{secret}", "")
	if strings.IndexFunc(literal, isCtl) >= 0 {
		return "", errors.New("contains a control character")
	}
	if cookie && strings.IndexFunc(literal, func(r rune) bool { return !isCookieOctet(r) }) >= 0 {
		return "", errors.New("contains a character not allowed in a cookie value (space, quote, comma, semicolon, backslash or non-ASCII)")
	}
	return b.String(), nil
}

// check reports whether a credential can be sent with this placement. The
// error never quotes the credential.
func (p placement) check(v string) error {
	if v == "" {
		return errors.New("it is empty")
	}
	if i := strings.IndexFunc(v, isCtl); i >= 0 {
		return fmt.Errorf("it contains a control character at byte %d (line breaks and tabs are not allowed)", i)
	}
	if p.in == InCookie {
		if i := strings.IndexFunc(v, func(r rune) bool { return !isCookieOctet(r) }); i >= 0 {
			return fmt.Errorf("it contains a character not allowed in a cookie value at byte %d", i)
		}
	}
	if p.in == InBasic && p.basicUser == "" && !strings.Contains(v, ":") {
		return fmt.Errorf("with no %s it must have the form user:password (for a key with an empty password, append a colon)", KeyBasicUser)
	}
	return nil
}

// apply sets the (checked) credential v on req, replacing any value of the
// same name.
func (p placement) apply(req *http.Request, v string) {
	switch p.in {
	case InHeader:
		req.Header.Set(p.name, strings.ReplaceAll(p.template, "{secret}", v))
	case InQuery:
		req.URL.RawQuery = setQuery(req.URL.RawQuery, p.name, strings.ReplaceAll(p.template, "{secret}", v))
		req.URL.ForceQuery = false
	case InCookie:
		setCookie(req.Header, p.name, strings.ReplaceAll(p.template, "{secret}", v))
	case InBasic:
		user, pass := p.basicUser, v
		if user == "" {
			user, pass, _ = strings.Cut(v, ":")
		}
		req.SetBasicAuth(user, pass)
	}
}

// markSecret names the credential v, in every form apply sends it, to the
// forwarder (forward.MarkSecret), which then keeps an upstream that echoes
// the request (a redirect's Location, a Link, an error page quoting the URL,
// an endpoint returning the request headers) from showing it to the agent.
func (p placement) markSecret(ctx context.Context, v string) {
	forward.MarkSecret(ctx, v)
	if p.in != InBasic {
		return
	}
	user, pass := p.basicUser, v
	if user == "" {
		user, pass, _ = strings.Cut(v, ":")
		forward.MarkSecret(ctx, user) // a key sent as the user name ("sk_live_...:")
	}
	forward.MarkSecret(ctx, pass)
	forward.MarkSecret(ctx, base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
}

// setQuery drops every name parameter from the raw query and appends
// name=value, leaving the other parameters byte for byte as they were.
func setQuery(raw, name, value string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(raw, "&") {
		if part == "" {
			continue
		}
		k, _, _ := strings.Cut(part, "=")
		if uk, err := url.QueryUnescape(k); err == nil {
			k = uk
		}
		if k == name {
			continue
		}
		b.WriteString(part)
		b.WriteByte('&')
	}
	b.WriteString(url.QueryEscape(name) + "=" + url.QueryEscape(value))
	return b.String()
}

// setCookie drops every cookie called name from the Cookie header and adds
// name=value.
func setCookie(h http.Header, name, value string) {
	var pairs []string
	for _, line := range h.Values("Cookie") {
		for pair := range strings.SplitSeq(line, ";") {
			pair = strings.TrimSpace(pair)
			if k, _, _ := strings.Cut(pair, "="); pair == "" || strings.TrimSpace(k) == name {
				continue
			}
			pairs = append(pairs, pair)
		}
	}
	h.Set("Cookie", strings.Join(append(pairs, name+"="+value), "; "))
}

// String describes the placement for Describe, e.g. "in header X-API-Key:
// {secret}" (templates hold no secret).
func (p placement) String() string {
	switch p.in {
	case InHeader:
		return fmt.Sprintf("in header %s: %s", p.name, p.template)
	case InQuery:
		return fmt.Sprintf("in query parameter %s=%s", p.name, p.template)
	case InCookie:
		return fmt.Sprintf("in cookie %s=%s", p.name, p.template)
	case InBasic:
		if p.basicUser == "" {
			return "as HTTP basic auth (user:password)"
		}
		return fmt.Sprintf("as HTTP basic auth password of user %q", p.basicUser)
	}
	return ""
}

// placementKey names the setting a Placement came from.
func placementKey(p Placement) string {
	switch strings.ToLower(p.In) {
	case InQuery:
		return KeyQuery
	case InCookie:
		return KeyCookie
	case InBasic:
		return KeyBasic
	}
	if p.In == "" && p.Name == "" && p.BasicUser != "" {
		return KeyBasicUser
	}
	if p.In == "" && p.Name == "" && p.Template != "" {
		return KeyTemplate
	}
	return KeyHeader
}

// describePlacementInput shows a raw Placement in an error message.
func describePlacementInput(p Placement) string {
	var parts []string
	for _, kv := range [][2]string{{"in", p.In}, {"name", p.Name}, {"template", p.Template}, {"basic user", p.BasicUser}} {
		if kv[1] != "" {
			parts = append(parts, fmt.Sprintf("%s %q", kv[0], kv[1]))
		}
	}
	return strings.Join(parts, ", ")
}

// checkHeaderName rejects names that are not tokens or that the transport
// or another setting owns.
func checkHeaderName(name string) error {
	if !isToken(name) {
		return fmt.Errorf("%q is not a valid header name", name)
	}
	if forbiddenHeaders[http.CanonicalHeaderKey(name)] {
		return fmt.Errorf("header %s cannot carry a credential or user name", http.CanonicalHeaderKey(name))
	}
	return nil
}

// isToken reports whether s is a non-empty RFC 9110 token (header or cookie
// name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// isCookieOctet reports the characters RFC 6265 allows in a cookie value.
func isCookieOctet(r rune) bool {
	return r == 0x21 || (r >= 0x23 && r <= 0x2b) || (r >= 0x2d && r <= 0x3a) ||
		(r >= 0x3c && r <= 0x5b) || (r >= 0x5d && r <= 0x7e)
}
