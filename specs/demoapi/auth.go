package demoapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// The demo's own login, so specgate's upstream-login authenticator has a real
// API to log in to. These endpoints are deliberately NOT in openapi.json:
// they are not tools (an agent must never see a password tool), specgate's
// login page calls them.
const (
	// LoginPath takes {"username","password"} (JSON or form) and answers
	// {"access_token","token_type":"Bearer","expires_in","refresh_token",
	// "user":{"username","roles"}}; wrong credentials get 401 problem JSON.
	LoginPath = BasePath + "/auth/login"
	// RefreshPath takes {"refresh_token"} (JSON or form) and answers like
	// LoginPath with a new pair; the old refresh token stops working.
	RefreshPath = BasePath + "/auth/refresh"
)

const authPrefix = BasePath + "/auth/"

// User is a demo account for LoginPath.
type User struct {
	Name, Password string
	// Roles are returned at /user/roles of the login response, so the
	// upstream-login authenticator can map them to scopes.
	Roles []string
}

// DefaultUsers returns the accounts used when Options.Users is nil. The
// passwords are fixed and public — this is a demo:
//
//	demo  / demo-password  (roles: admin)   — also the owner of anonymous requests
//	alice / alice-password (roles: editor)
//	bob   / bob-password   (roles: viewer)
func DefaultUsers() []User {
	return []User{
		{Name: DefaultOwner, Password: "demo-password", Roles: []string{"admin"}},
		{Name: "alice", Password: "alice-password", Roles: []string{"editor"}},
		{Name: "bob", Password: "bob-password", Roles: []string{"viewer"}},
	}
}

// LoginResponse is the body of a successful LoginPath or RefreshPath answer.
type LoginResponse struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresIn    int       `json:"expires_in"`
	RefreshToken string    `json:"refresh_token"`
	User         LoginUser `json:"user"`
}

// LoginUser describes who logged in.
type LoginUser struct {
	Username string   `json:"username"`
	Roles    []string `json:"roles"`
}

// maxSessions bounds the live tokens, so an unattended demo cannot be made
// to grow without limit by logging in over and over.
const maxSessions = 10000

const maxAuthBody = 16 << 10

type tokenKind int

const (
	accessToken tokenKind = iota
	refreshToken
)

type session struct {
	user string
	kind tokenKind
	exp  time.Time
}

// sessions holds the issued tokens.
type sessions struct {
	mu     sync.Mutex
	tokens map[string]session
}

type userKey struct{}

// userFrom returns the user a valid bearer token established.
func userFrom(ctx context.Context) (string, bool) {
	u, ok := ctx.Value(userKey{}).(string)
	return u, ok
}

// authenticate resolves "Authorization: Bearer <demo token>" to the user
// whose data the request sees. No Authorization header keeps the anonymous
// demo working (DefaultOwner, or Options.Owner); any other credential that
// is not a live demo access token gets 401.
func (a *API) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Values("Authorization")
		if len(h) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		scheme, token, _ := strings.Cut(strings.TrimSpace(h[0]), " ")
		user, ok := "", false
		if len(h) == 1 && strings.EqualFold(scheme, "Bearer") {
			user, ok = a.sessions.lookup(strings.TrimSpace(token), accessToken, a.opts.Now())
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="demo", error="invalid_token"`)
			writeError(w, a.log, problemf(http.StatusUnauthorized,
				"the access token is unknown or expired; log in at %s or refresh it at %s", LoginPath, RefreshPath))
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
	})
}

func (a *API) login(w http.ResponseWriter, r *http.Request) {
	form, err := readAuthForm(r)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	name, password := form["username"], form["password"]
	if name == "" || password == "" {
		writeError(w, a.log, badRequest("username and password are required"))
		return
	}
	u, ok := a.checkPassword(name, password)
	if !ok {
		writeError(w, a.log, problemf(http.StatusUnauthorized, "wrong username or password"))
		return
	}
	a.issue(w, u)
}

func (a *API) refresh(w http.ResponseWriter, r *http.Request) {
	form, err := readAuthForm(r)
	if err != nil {
		writeError(w, a.log, err)
		return
	}
	if form["refresh_token"] == "" {
		writeError(w, a.log, badRequest("refresh_token is required"))
		return
	}
	name, ok := a.sessions.take(form["refresh_token"], a.opts.Now())
	var u User
	if ok {
		u, ok = a.userNamed(name)
	}
	if !ok {
		writeError(w, a.log, problemf(http.StatusUnauthorized, "the refresh token is unknown, expired or already used; log in again"))
		return
	}
	a.issue(w, u)
}

// issue answers with a new token pair for u.
func (a *API) issue(w http.ResponseWriter, u User) {
	now := a.opts.Now()
	at, rt := newToken("demo_at_"), newToken("demo_rt_")
	if !a.sessions.add(now, map[string]session{
		at: {user: u.Name, kind: accessToken, exp: now.Add(a.opts.TokenLifetime)},
		rt: {user: u.Name, kind: refreshToken, exp: now.Add(a.opts.RefreshTokenLifetime)},
	}) {
		writeError(w, a.log, problemf(http.StatusServiceUnavailable, "too many active sessions; try again later"))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	roles := append([]string{}, u.Roles...)
	writeJSON(w, a.log, http.StatusOK, LoginResponse{
		AccessToken: at, TokenType: "Bearer", ExpiresIn: int(a.opts.TokenLifetime / time.Second),
		RefreshToken: rt, User: LoginUser{Username: u.Name, Roles: roles},
	})
}

// checkPassword compares in constant time and does the same work for
// unknown users, so timing does not reveal which names exist.
func (a *API) checkPassword(name, password string) (User, bool) {
	u, found := a.userNamed(name)
	want := u.Password
	if !found {
		want = "\x00no such user\x00"
	}
	match := subtle.ConstantTimeCompare([]byte(want), []byte(password)) == 1
	return u, found && match
}

func (a *API) userNamed(name string) (User, bool) {
	for _, u := range a.opts.Users {
		if u.Name == name {
			return u, true
		}
	}
	return User{}, false
}

// readAuthForm reads a small JSON object of strings or a urlencoded form.
func readAuthForm(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAuthBody+1))
	if err != nil {
		return nil, badRequest("read request body: %v", err)
	}
	if len(body) > maxAuthBody {
		return nil, problemf(http.StatusRequestEntityTooLarge, "the request body exceeds %d bytes", maxAuthBody)
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	out := map[string]string{}
	switch mt {
	case "application/json":
		if err := json.Unmarshal(body, &out); err != nil {
			return nil, badRequest("the body must be a JSON object of strings: %v", err)
		}
	case "application/x-www-form-urlencoded":
		vals, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, badRequest("invalid form body: %v", err)
		}
		for k := range vals {
			out[k] = vals.Get(k)
		}
	default:
		return nil, problemf(http.StatusUnsupportedMediaType, "send application/json or application/x-www-form-urlencoded, not %q", mt)
	}
	return out, nil
}

func newToken(prefix string) string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// lookup returns the user of a live token of kind.
func (s *sessions) lookup(token string, kind tokenKind, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.tokens[token]
	if !ok || sess.kind != kind || !now.Before(sess.exp) {
		return "", false
	}
	return sess.user, true
}

// take consumes a live refresh token (rotation: each works once).
func (s *sessions) take(token string, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.tokens[token]
	if !ok || sess.kind != refreshToken || !now.Before(sess.exp) {
		return "", false
	}
	delete(s.tokens, token)
	return sess.user, true
}

// add stores new tokens after dropping expired ones; false when full.
func (s *sessions) add(now time.Time, tokens map[string]session) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.tokens)+len(tokens) > maxSessions {
		for k, v := range s.tokens {
			if !now.Before(v.exp) {
				delete(s.tokens, k)
			}
		}
		if len(s.tokens)+len(tokens) > maxSessions {
			return false
		}
	}
	for k, v := range tokens {
		s.tokens[k] = v
	}
	return true
}

// RevokeTokens ends every session of user (a password change on a real
// API), so tests can make an upstream refresh fail.
func (a *API) RevokeTokens(user string) {
	a.sessions.mu.Lock()
	defer a.sessions.mu.Unlock()
	for k, v := range a.sessions.tokens {
		if v.user == user {
			delete(a.sessions.tokens, k)
		}
	}
}

// RevokeAccessTokens ends user's access tokens but keeps the refresh tokens
// (an API that expires tokens before their stated lifetime), so tests can
// see a rejected token renewed.
func (a *API) RevokeAccessTokens(user string) {
	a.sessions.mu.Lock()
	defer a.sessions.mu.Unlock()
	for k, v := range a.sessions.tokens {
		if v.user == user && v.kind != refreshToken {
			delete(a.sessions.tokens, k)
		}
	}
}
