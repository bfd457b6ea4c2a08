package oauth

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/specgate/specgate/oauth/authn"
	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/web"
)

// Login session cookie values.
const (
	sessCSRF    = "csrf"
	sessSubject = "sub"
	sessName    = "name"
	sessAllowed = "allowed" // JSON: null (all scopes) or a list
	sessLoginAt = "login_at"
)

// sessUpstream is true when the login holds an upstream credential, kept
// server-side per authorization (see loginCovers).
const sessUpstream = "upstream"

const maxFormBytes = 16 << 10

// loginState is the signed-in user of a browser session.
type loginState struct {
	Subject, Name string
	Allowed       []string // nil: every scope
	// Upstream: the authenticator returned an upstream credential, so each
	// authorization needs a login of its own (see loginCovers).
	Upstream bool
}

func (s *Server) setupCookies() {
	secure := strings.HasPrefix(s.issuer, "https://")
	s.cookieName = "specgate_session"
	if secure {
		// __Host-: Secure, Path=/, no Domain — cannot be set by a sibling host.
		s.cookieName = "__Host-specgate_session"
	}
	s.cookies = sessions.NewCookieStore(s.cfg.CookieHashKey, s.cfg.CookieBlockKey)
	s.cookies.Options = &sessions.Options{
		Path:     "/",
		MaxAge:   int(s.cfg.Lifetimes.LoginSession / time.Second),
		Secure:   secure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	}
	s.cookies.MaxAge(s.cookies.Options.MaxAge)
}

// session returns the browser's session; an undecodable cookie (rotated
// keys, tampering, expiry) yields a fresh one.
func (s *Server) session(r *http.Request) *sessions.Session {
	sess, err := s.cookies.New(r, s.cookieName)
	if err != nil {
		sess.Values = map[any]any{}
	}
	return sess
}

// csrfToken returns the session's CSRF token, creating one if needed; the
// caller must save the session.
func csrfToken(sess *sessions.Session) string {
	if t, ok := sess.Values[sessCSRF].(string); ok && t != "" {
		return t
	}
	t := randomToken(32)
	sess.Values[sessCSRF] = t
	return t
}

// csrfValid compares the posted token with the session's in constant time.
func csrfValid(sess *sessions.Session, posted string) bool {
	want, ok := sess.Values[sessCSRF].(string)
	return ok && want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(posted)) == 1
}

// currentUser returns the signed-in user, or nil when nobody is signed in or
// the login is older than the session lifetime.
func (s *Server) currentUser(sess *sessions.Session) *loginState {
	sub, _ := sess.Values[sessSubject].(string)
	at, _ := sess.Values[sessLoginAt].(int64)
	if sub == "" || s.now().Sub(time.Unix(at, 0)) > s.cfg.Lifetimes.LoginSession {
		return nil
	}
	u := &loginState{Subject: sub}
	u.Name, _ = sess.Values[sessName].(string)
	u.Upstream, _ = sess.Values[sessUpstream].(bool)
	if raw, ok := sess.Values[sessAllowed].(string); ok {
		if err := json.Unmarshal([]byte(raw), &u.Allowed); err != nil {
			return nil
		}
	}
	return u
}

// setUser records a successful login and rotates the CSRF token.
func (s *Server) setUser(sess *sessions.Session, id *authn.Identity) {
	allowed, _ := json.Marshal(id.AllowedScopes) // nil -> "null"
	sess.Values[sessSubject] = id.Subject
	sess.Values[sessName] = id.DisplayName
	sess.Values[sessAllowed] = string(allowed)
	sess.Values[sessLoginAt] = s.now().Unix()
	sess.Values[sessUpstream] = id.Upstream != nil
	sess.Values[sessCSRF] = randomToken(32)
}

func (s *Server) saveSession(w http.ResponseWriter, r *http.Request, sess *sessions.Session) bool {
	if err := sess.Save(r, w); err != nil {
		s.log.Error("save login session failed", "err", err)
		s.errorPage(w, http.StatusInternalServerError, "Something went wrong", "The sign-in session could not be saved. Please try again.")
		return false
	}
	return true
}

// pendingFor loads the pending authorization a page refers to, answering
// with an error page when it is gone.
func (s *Server) pendingFor(w http.ResponseWriter, r *http.Request, id string) *store.PendingAuthorization {
	if id == "" {
		s.errorPage(w, http.StatusBadRequest, "Invalid sign-in request", "The sign-in request is missing. Go back to the application and start again.")
		return nil
	}
	p, err := s.store.GetPendingAuthorization(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, http.StatusBadRequest, "Sign-in request expired",
			"This sign-in request has expired or was already completed. Go back to the application and start again.")
		return nil
	}
	if err != nil {
		s.log.Error("load pending authorization failed", "request_id", id, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, "Sign-in is unavailable", "Sign-in is unavailable right now. Try again later.")
		return nil
	}
	return p
}

func (s *Server) errorPage(w http.ResponseWriter, status int, title, msg string) {
	if err := web.RenderError(w, status, web.ErrorPage{Title: title, Message: msg}); err != nil {
		s.log.Error("render error page failed", "err", err)
	}
}

func pageURL(path, requestID string) string {
	return path + "?" + url.Values{web.FieldRequest: {requestID}}.Encode()
}

// handleLogin shows (GET) and checks (POST) the sign-in form.
func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.showLogin(w, r)
	case http.MethodPost:
		s.postLogin(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "This page only accepts GET and POST.")
	}
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request) {
	p := s.pendingFor(w, r, r.URL.Query().Get(web.FieldRequest))
	if p == nil {
		return
	}
	sess := s.session(r)
	if u := s.currentUser(sess); u != nil && s.loginCovers(r.Context(), u, p.ID) {
		http.Redirect(w, r, pageURL("/consent", p.ID), http.StatusSeeOther)
		return
	}
	s.renderLogin(w, r, sess, p, http.StatusOK, "", "")
}

func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, sess *sessions.Session, p *store.PendingAuthorization, status int, username, msg string) {
	token := csrfToken(sess)
	if !s.saveSession(w, r, sess) {
		return
	}
	host, _ := redirectHost(firstValue(p.Form, "redirect_uri", p.Client.RedirectURIs))
	err := web.RenderLogin(w, status, web.LoginPage{
		Action: "/login", CSRFToken: token, RequestID: p.ID,
		ClientName: p.Client.Name, RedirectHost: host,
		Username: username, Error: msg, ProductName: s.cfg.ProductName,
	})
	if err != nil {
		s.log.Error("render login page failed", "err", err)
		s.errorPage(w, http.StatusInternalServerError, "Something went wrong", "The sign-in page could not be shown.")
	}
}

func (s *Server) postLogin(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, p := s.acceptForm(w, r, "sign-in")
	if p == nil {
		return
	}
	username := strings.TrimSpace(r.PostForm.Get(web.FieldUsername))
	password := r.PostForm.Get(web.FieldPassword)
	if username == "" || password == "" {
		s.renderLogin(w, r, sess, p, http.StatusBadRequest, username, "Enter your username and password.")
		return
	}
	ip := s.cfg.ClientIP(r)
	if status, msg := s.throttleLogin(r, ip, username); msg != "" {
		s.loginRefused(ctx, status, p.Client.ID)
		s.renderLogin(w, r, sess, p, status, username, msg)
		return
	}
	id, err := s.auth.Authenticate(ctx, username, password)
	switch {
	case errors.Is(err, authn.ErrInvalidCredentials):
		s.log.Info("login failed: wrong credentials", "ip", ip, "client_id", p.Client.ID)
		s.emit(ctx, Event{Kind: EventLoginFailed, ClientID: p.Client.ID})
		s.renderLogin(w, r, sess, p, http.StatusUnauthorized, username, "Wrong username or password.")
		return
	case errors.Is(err, authn.ErrUpstreamUnavailable):
		s.log.Error("login failed: the API's login is unavailable", "ip", ip, "err", err)
		s.emit(ctx, Event{Kind: EventLoginFailed, ClientID: p.Client.ID})
		s.renderLogin(w, r, sess, p, http.StatusServiceUnavailable, username, "The API's login is unavailable right now. Try again later.")
		return
	case err != nil:
		s.log.Error("login failed: authenticator unavailable", "ip", ip, "err", err)
		s.emit(ctx, Event{Kind: EventLoginFailed, ClientID: p.Client.ID})
		s.renderLogin(w, r, sess, p, http.StatusServiceUnavailable, username, "Login is unavailable right now. Try again later.")
		return
	case id == nil || id.Subject == "":
		s.log.Error("login failed: authenticator returned no subject", "ip", ip)
		s.emit(ctx, Event{Kind: EventLoginFailed, ClientID: p.Client.ID})
		s.renderLogin(w, r, sess, p, http.StatusServiceUnavailable, username, "Login is unavailable right now. Try again later.")
		return
	}
	if id.Upstream != nil {
		if err := s.holdUpstreamLogin(ctx, p, id); err != nil {
			s.log.Error("login failed: upstream credential could not be kept", "ip", ip, "err", err)
			s.emit(ctx, Event{Kind: EventLoginFailed, ClientID: p.Client.ID})
			s.renderLogin(w, r, sess, p, http.StatusServiceUnavailable, username, "Login is unavailable right now. Try again later.")
			return
		}
	}
	if err := s.cfg.Throttles.LoginPerUser.Reset(ctx, userKey(username)); err != nil {
		s.log.Warn("reset login throttle failed", "err", err)
	}
	s.setUser(sess, id)
	if !s.saveSession(w, r, sess) {
		return
	}
	s.log.Info("user logged in", "sub", id.Subject, "client_id", p.Client.ID, "ip", ip)
	s.emit(ctx, Event{Kind: EventLoginOK, Subject: id.Subject, ClientID: p.Client.ID})
	http.Redirect(w, r, pageURL("/consent", p.ID), http.StatusSeeOther)
}

func userKey(username string) string { return "login-user:" + strings.ToLower(username) }

// ipKey is the throttle key of a client address. An IPv6 client is counted
// by its /64 — one subscriber usually holds a whole /64, so counting single
// addresses would give it 2^64 allowances — and an IPv4-mapped address
// counts as the IPv4 address it stands for. Anything unparsable is used as
// given.
func ipKey(kind, ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return kind + ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		return kind + netip.PrefixFrom(a, 64).Masked().String()
	}
	return kind + a.String()
}

// throttleLogin counts the attempt per IP and per user name; it returns a
// status and message when the attempt must be refused.
func (s *Server) throttleLogin(r *http.Request, ip, username string) (int, string) {
	ctx := r.Context()
	checks := []struct {
		key   string
		allow func() (bool, time.Duration, error)
	}{
		{"ip", func() (bool, time.Duration, error) {
			return s.cfg.Throttles.LoginPerIP.Allow(ctx, ipKey("login-ip:", ip))
		}},
		{"user", func() (bool, time.Duration, error) { return s.cfg.Throttles.LoginPerUser.Allow(ctx, userKey(username)) }},
	}
	for _, c := range checks {
		ok, retry, err := c.allow()
		if err != nil {
			s.log.Error("login throttle failed", "by", c.key, "err", err)
			return http.StatusServiceUnavailable, "Login is unavailable right now. Try again later."
		}
		if !ok {
			s.log.Warn("login throttled", "by", c.key, "ip", ip)
			minutes := max(1, int((retry+time.Minute-1)/time.Minute))
			unit := "minutes"
			if minutes == 1 {
				unit = "minute"
			}
			return http.StatusTooManyRequests, fmt.Sprintf("Too many attempts. Try again in %d %s.", minutes, unit)
		}
	}
	return 0, ""
}

// firstValue returns form[key][0], else the first fallback value.
func firstValue(form map[string][]string, key string, fallback []string) string {
	if v := form[key]; len(v) > 0 && v[0] != "" {
		return v[0]
	}
	if len(fallback) > 0 {
		return fallback[0]
	}
	return ""
}

// acceptForm reads a posted login or consent form (bounded), checks its CSRF
// token against the session and loads its pending authorization. On any
// failure it has answered the request and returns a nil authorization.
func (s *Server) acceptForm(w http.ResponseWriter, r *http.Request, what string) (*sessions.Session, *store.PendingAuthorization) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "Invalid form", "The "+what+" form could not be read.")
		return nil, nil
	}
	sess := s.session(r)
	if !csrfValid(sess, r.PostForm.Get(web.FieldCSRF)) {
		s.log.Warn(what+" refused: CSRF token mismatch", "ip", s.cfg.ClientIP(r))
		s.errorPage(w, http.StatusForbidden, "Session expired",
			"This form has expired or did not come from this site. Go back to the application and start again.")
		return nil, nil
	}
	return sess, s.pendingFor(w, r, r.PostForm.Get(web.FieldRequest))
}
