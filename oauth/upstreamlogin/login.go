package upstreamlogin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/specgate/specgate/oauth/authn"
)

// Authenticator checks passwords against the upstream API's login endpoint.
// It implements authn.Authenticator and the authorization server's upstream
// refresher. It is safe for concurrent use.
type Authenticator struct {
	cfg    Config
	client *http.Client
}

var _ authn.Authenticator = (*Authenticator)(nil)

// New validates cfg and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client := &http.Client{}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Authenticator{cfg: cfg, client: client}, nil
}

// Authenticate implements authn.Authenticator: it sends the user name and
// password to the API's login endpoint. A 2xx answer yields the Identity with
// its Upstream credential; an InvalidCredentialStatuses answer wraps
// authn.ErrInvalidCredentials; anything else wraps authn.ErrUpstreamUnavailable
// (and so authn.ErrUnavailable) with the detail for the log.
func (a *Authenticator) Authenticate(ctx context.Context, username, password string) (*authn.Identity, error) {
	c := a.cfg
	fields := map[string]string{}
	for k, v := range c.ExtraFields {
		fields[k] = v
	}
	fields[c.UsernameField] = username
	fields[c.PasswordField] = password
	doc, status, err := a.call(ctx, "login", c.Method, c.Path, c.Body, fields, []string{password})
	if err != nil {
		return nil, err
	}
	if slices.Contains(c.InvalidCredentialStatuses, status) {
		return nil, fmt.Errorf("%w (the API's login answered %d)", authn.ErrInvalidCredentials, status)
	}
	cred, err := a.credential(doc, c.TokenPointer, c.ExpiresInPointer, c.RefreshTokenPointer)
	if err != nil {
		return nil, a.unavailable("login", err)
	}
	id := &authn.Identity{Subject: username, DisplayName: username, Upstream: cred, AllowedScopes: c.DefaultScopes}
	if c.SubjectPointer != "" {
		sub, ok, err := stringAt(doc, c.SubjectPointer)
		if err == nil && (!ok || sub == "") {
			err = fmt.Errorf("the response has no user id at %s", c.SubjectPointer)
		}
		if err != nil {
			return nil, a.unavailable("login", err)
		}
		id.Subject = sub
	}
	if c.ScopesPointer != "" {
		values, ok, err := listAt(doc, c.ScopesPointer)
		if err != nil {
			return nil, a.unavailable("login", err)
		}
		if ok {
			id.AllowedScopes = mapScopes(values, c.ScopeMap)
		}
	}
	if id.AllowedScopes != nil {
		id.AllowedScopes = slices.Clone(id.AllowedScopes)
	}
	return id, nil
}

// Refresh renews an upstream credential at the API's refresh endpoint. It
// fails with authn.ErrInvalidCredentials (wrapped) when the credential
// cannot be renewed — no refresh endpoint or token, or the API refused the
// token (400, 401, 403 or an InvalidCredentialStatuses answer) — so the user
// must log in again, and with authn.ErrUpstreamUnavailable for failures
// worth retrying later.
func (a *Authenticator) Refresh(ctx context.Context, cred *authn.UpstreamCredential) (*authn.UpstreamCredential, error) {
	c := a.cfg
	switch {
	case cred == nil:
		return nil, fmt.Errorf("%w: no upstream credential to refresh", authn.ErrInvalidCredentials)
	case c.RefreshPath == "":
		return nil, fmt.Errorf("%w: the API's tokens cannot be refreshed (no refresh endpoint configured)", authn.ErrInvalidCredentials)
	case cred.RefreshToken == "":
		return nil, fmt.Errorf("%w: the API issued no refresh token", authn.ErrInvalidCredentials)
	}
	fields := map[string]string{}
	for k, v := range c.RefreshExtraFields {
		fields[k] = v
	}
	fields[c.RefreshTokenField] = cred.RefreshToken
	doc, status, err := a.call(ctx, "refresh", c.RefreshMethod, c.RefreshPath, c.RefreshBody, fields, []string{cred.RefreshToken})
	if err != nil {
		return nil, err
	}
	if status == http.StatusBadRequest || slices.Contains(c.InvalidCredentialStatuses, status) {
		return nil, fmt.Errorf("%w: the API refused the refresh token (status %d)", authn.ErrInvalidCredentials, status)
	}
	next, err := a.credential(doc, c.RefreshResponseTokenPointer, c.RefreshResponseExpiresInPointer, c.RefreshResponseRefreshTokenPointer)
	if err != nil {
		return nil, a.unavailable("refresh", err)
	}
	if next.RefreshToken == "" {
		next.RefreshToken = cred.RefreshToken
	}
	return next, nil
}

// credential reads the token, its lifetime and the refresh token.
func (a *Authenticator) credential(doc any, tokenPtr, expiresPtr, refreshPtr string) (*authn.UpstreamCredential, error) {
	token, ok, err := stringAt(doc, tokenPtr)
	if err != nil {
		return nil, err
	}
	if !ok || token == "" {
		return nil, fmt.Errorf("the response has no token at %s", tokenPtr)
	}
	cred := &authn.UpstreamCredential{AccessToken: token}
	if life, ok, err := secondsAt(doc, expiresPtr); err != nil {
		return nil, err
	} else if ok {
		cred.Expiry = a.cfg.Now().Add(life)
	} else if exp, ok := jwtExpiry(token); ok {
		cred.Expiry = exp
	}
	if cred.RefreshToken, _, err = stringAt(doc, refreshPtr); err != nil {
		return nil, err
	}
	return cred, nil
}

// mapScopes turns upstream roles or scopes into allowed MCP scopes.
func mapScopes(values []string, table map[string][]string) []string {
	out := []string{}
	add := func(sc string) {
		if sc != "" && !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	for _, v := range values {
		if len(table) == 0 {
			add(v)
			continue
		}
		for _, sc := range table[v] {
			add(sc)
		}
	}
	return out
}

// call sends one login or refresh request and decodes a 2xx JSON answer. It
// returns the status for answers that are credential refusals (the caller
// decides) and an ErrUpstreamUnavailable error for everything else that is
// not a 2xx. secrets are values that must never appear in the log.
func (a *Authenticator) call(ctx context.Context, what, method, path, body string, fields map[string]string, secrets []string) (any, int, error) {
	c := a.cfg
	target, err := c.endpointURL(path)
	if err != nil {
		return nil, 0, a.unavailable(what, err)
	}
	shown := stripQuery(target) // for messages: no user info
	payload, contentType, err := encodeBody(body, fields)
	if err != nil {
		return nil, 0, a.unavailable(what, err)
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(payload))
	if err != nil {
		return nil, 0, a.unavailable(what, fmt.Errorf("build %s %s: %w", method, shown, err))
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		if perr := parent.Err(); perr != nil {
			return nil, 0, perr // the caller went away; not the API's fault
		}
		return nil, 0, a.unavailable(what, fmt.Errorf("%s %s: %w", method, shown, scrubURLError(err)))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.MaxResponseBytes+1))
	elapsed := time.Since(start).Round(time.Millisecond)
	switch {
	case err != nil:
		return nil, 0, a.unavailable(what, fmt.Errorf("%s %s: read response: %w", method, shown, err))
	case int64(len(raw)) > c.MaxResponseBytes:
		return nil, 0, a.unavailable(what, fmt.Errorf("%s %s: response exceeds %d bytes", method, shown, c.MaxResponseBytes))
	}
	status := resp.StatusCode
	if status < 200 || status > 299 {
		refused := slices.Contains(c.InvalidCredentialStatuses, status) || (what == "refresh" && status == http.StatusBadRequest)
		if refused {
			c.Logger.Info("upstream "+what+" refused", "method", method, "url", shown, "status", status, "elapsed", elapsed)
			return nil, status, nil
		}
		detail := errorDetail(raw, secrets)
		if loc := resp.Header.Get("Location"); status >= 300 && status < 400 && loc != "" {
			detail = "redirects to " + stripQuery(loc) + "; configure the final URL"
		}
		return nil, 0, a.unavailable(what, fmt.Errorf("%s %s answered %d after %v%s", method, shown, status, elapsed, detail))
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil || dec.More() {
		return nil, 0, a.unavailable(what, fmt.Errorf("%s %s answered %d with %s: %w", method, shown, status,
			orUnknown(resp.Header.Get("Content-Type")), errNotJSON))
	}
	return doc, status, nil
}

// unavailable logs err and wraps it in authn.ErrUpstreamUnavailable.
func (a *Authenticator) unavailable(what string, err error) error {
	a.cfg.Logger.Warn("upstream "+what+" failed", "err", err)
	return fmt.Errorf("%w: %s: %w", authn.ErrUpstreamUnavailable, what, err)
}

func encodeBody(kind string, fields map[string]string) ([]byte, string, error) {
	if kind == "form" {
		v := url.Values{}
		for k, f := range fields {
			v.Set(k, f)
		}
		return []byte(v.Encode()), "application/x-www-form-urlencoded", nil
	}
	b, err := json.Marshal(fields)
	if err != nil {
		return nil, "", fmt.Errorf("encode request body: %w", err)
	}
	return b, "application/json", nil
}

// errorDetail extracts a short human explanation from a JSON error body
// (problem details, OAuth errors, {"message": ...}); it never returns text
// containing one of secrets.
func errorDetail(raw []byte, secrets []string) string {
	var body map[string]any
	if json.Unmarshal(raw, &body) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"error", "title", "message", "error_description", "detail"} {
		if s, ok := body[k].(string); ok && s != "" {
			parts = append(parts, s)
		}
	}
	out := strings.Join(parts, ": ")
	if len(out) > 200 {
		out = out[:200]
		for !utf8.ValidString(out) {
			out = out[:len(out)-1]
		}
		out += "…"
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(out, s) {
			return ""
		}
	}
	if out == "" {
		return ""
	}
	return " (" + out + ")"
}

// scrubURLError drops the URL from a *url.Error (the caller names it).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func stripQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "no content type"
	}
	return s
}
