package oauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
)

// handleAuthorize validates an authorization request, parks it as a pending
// authorization and sends the browser to the login or consent page.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "The authorization endpoint accepts GET and POST.")
		return
	}
	// Every parameter is kept with the pending authorization, which anyone
	// can create: without this cap one request could park the server's
	// whole header limit (1 MB) in the store. Real requests are ~1-3 KB.
	if len(r.URL.RawQuery) > maxFormBytes {
		s.errorPage(w, http.StatusRequestURITooLong, "Invalid authorization request", "The authorization request is too long.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, "Invalid authorization request", "The request parameters could not be read.")
		return
	}
	ctx := r.Context()
	form := cloneForm(r.Form)
	clientID := form.Get("client_id")
	client, err := s.lookupClient(ctx, clientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) && !isMetadataURL(clientID) {
		s.log.Error("authorize: client lookup failed", "client_id", clientID, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, "Sign-in is unavailable", "Sign-in is unavailable right now. Try again later.")
		return
	}
	if err != nil {
		s.log.Info("authorize: unknown client", "client_id", clientID, "err", err)
		msg := "The application is not registered with this server. Go back to the application and connect again."
		if isMetadataURL(clientID) && s.cimd != nil {
			// The detail (DNS answers, resolver and dial errors) stays in the
			// log: shown here it would make this page an internal-network oracle.
			msg = "The application's client metadata document at " + clientID + " could not be fetched. Check that the address is reachable from this server, or ask its administrator to register the application."
			var bad docError
			if errors.As(err, &bad) {
				msg = "The application's client metadata document could not be used: " + bad.Error()
			}
		}
		s.errorPage(w, http.StatusBadRequest, "Unknown application", msg)
		return
	}
	// A loopback redirect URI matching a registered one except for its port
	// is added to this request's copy of the client, so fosite's exact match
	// accepts it (RFC 8252 §7.3, also for "localhost").
	if ru := form.Get("redirect_uri"); ru != "" && !slices.Contains(client.RedirectURIs, ru) && matchRedirectURI(ru, client.RedirectURIs) {
		client.RedirectURIs = append(client.RedirectURIs, ru)
	}
	// The resource picks the API whose scopes may be requested; its error
	// waits until fosite has vetted the redirect URI it is reported to.
	target, _, targetErr := s.targetResource(form["resource"])
	offered := s.apiScopes()
	if target != nil {
		offered = target.apiScopes()
	}
	normalizeScopes(form, offered)
	ar, err := s.newAuthorizeRequest(ctx, client, form)
	if err != nil {
		s.refuseAuthorize(w, r, client, ar, err)
		return
	}
	if err := checkPKCE(form); err != nil {
		s.refuseAuthorize(w, r, client, ar, err)
		return
	}
	if targetErr != nil {
		s.refuseAuthorize(w, r, client, ar, targetErr)
		return
	}
	now := s.now()
	p := &store.PendingAuthorization{
		ID:        randomToken(24),
		Form:      form,
		Client:    client,
		CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.Lifetimes.PendingAuthorization),
	}
	if err := s.store.CreatePendingAuthorization(ctx, p); err != nil {
		s.log.Error("store pending authorization failed", "client_id", client.ID, "err", err)
		s.authorizeError(w, r, ar, fosite.ErrTemporarilyUnavailable.WithHint("The authorization request could not be stored."))
		return
	}
	s.log.Info("authorization request accepted", "client_id", client.ID, "request_id", p.ID,
		"scope", form.Get("scope"), "redirect_uri", ar.GetRedirectURI().String())
	next := "/login"
	if s.currentUser(s.session(r)) != nil {
		next = "/consent"
	}
	http.Redirect(w, r, pageURL(next, p.ID), http.StatusSeeOther)
}

// newAuthorizeRequest runs fosite's authorization request validation on form
// with client as the (already resolved) client.
func (s *Server) newAuthorizeRequest(ctx context.Context, client *store.Client, form url.Values) (fosite.AuthorizeRequester, error) {
	ctx = context.WithValue(ctx, resolvedClientKey{}, client)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.issuer+"/authorize", nil)
	if err != nil {
		return nil, err
	}
	req.Form = cloneForm(form)
	req.PostForm = url.Values{}
	// fosite insists on a state of at least 8 characters (no setting turns
	// that off); OAuth 2.1 with PKCE makes state optional, so a short or
	// missing state is swapped for a placeholder and restored afterwards.
	state := form.Get("state")
	short := len(state) < fosite.MinParameterEntropy
	if short {
		req.Form.Set("state", strings.Repeat("_", fosite.MinParameterEntropy))
	}
	ar, err := s.provider.NewAuthorizeRequest(ctx, req)
	if a, ok := ar.(*fosite.AuthorizeRequest); ok && short {
		a.State = state
		if _, had := form["state"]; had {
			a.Form.Set("state", state)
		} else {
			a.Form.Del("state")
		}
	}
	return ar, err
}

// normalizeScopes drops requested scopes other than offered (the target
// API's scopes) and offline_access — mcp-remote asks for "openid email
// profile" when it finds none, and another API's scopes are not grantable
// here — and asks for every offered scope when nothing usable remains.
func normalizeScopes(form url.Values, offered []string) {
	var keep []string
	for _, sc := range strings.Fields(form.Get("scope")) {
		if (sc == offlineAccess || slices.Contains(offered, sc)) && !slices.Contains(keep, sc) {
			keep = append(keep, sc)
		}
	}
	if len(keep) == 0 || (len(keep) == 1 && keep[0] == offlineAccess) {
		keep = append(slices.Clone(offered), keep...)
	}
	form.Set("scope", strings.Join(keep, " "))
}

var codeChallengeRE = regexp.MustCompile(`^[A-Za-z0-9._~-]{43,128}$`)

// checkPKCE fails fast (before login) on what fosite would only reject when
// issuing the code: PKCE is required and only S256 is accepted.
func checkPKCE(form url.Values) error {
	challenge, method := form.Get("code_challenge"), form.Get("code_challenge_method")
	switch {
	case challenge == "":
		return fosite.ErrInvalidRequest.WithHint("Clients must include a code_challenge (PKCE with S256).")
	case method != "S256":
		return fosite.ErrInvalidRequest.WithHint("Clients must use code_challenge_method=S256; plain is not allowed.")
	case !codeChallengeRE.MatchString(challenge):
		return fosite.ErrInvalidRequest.WithHint("The code_challenge is malformed.")
	}
	return nil
}

// refuseAuthorize reports an error found at /authorize, before the user saw
// any page. Anyone can register a client with any https redirect URI, so
// redirecting such errors at once would make /authorize an open redirector
// (RFC 9700 §4.11.2: a link to this trusted origin that lands on
// https://evil.example). The error is redirected only to URIs the operator
// configured (static clients) or that stay on the user's own computer
// (loopback, where native clients wait for it); other clients' users see
// the error page. Errors after login and consent still go back to every
// client: the user has seen who it is by then.
func (s *Server) refuseAuthorize(w http.ResponseWriter, r *http.Request, client *store.Client, ar fosite.AuthorizeRequester, err error) {
	if ar != nil && ar.GetRedirectURI() != nil && client.Kind != store.KindStatic && !loopbackURI(ar.GetRedirectURI()) {
		rfc := fosite.ErrorToRFC6749Error(err)
		s.log.Info("authorization request refused (error page, not redirected to an unvetted redirect URI)",
			"client_id", client.ID, "error", rfc.ErrorField, "hint", rfc.HintField)
		s.errorPage(w, http.StatusBadRequest, "Invalid authorization request", rfc.GetDescription())
		return
	}
	s.authorizeError(w, r, ar, err)
}

// loopbackURI reports whether u is an http URI on a loopback host.
func loopbackURI(u *url.URL) bool { return u.Scheme == "http" && isLoopbackHost(u.Hostname()) }

// authorizeError reports an authorization error: by redirect (with state and
// iss) when the redirect URI is trustworthy, else on an error page.
func (s *Server) authorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	rfc := fosite.ErrorToRFC6749Error(err)
	clientID := ""
	if ar != nil && ar.GetClient() != nil {
		clientID = ar.GetClient().GetID()
	}
	s.log.Info("authorization request refused", "client_id", clientID, "error", rfc.ErrorField, "hint", rfc.HintField)
	if ar != nil && ar.GetRedirectURI() != nil && ar.IsRedirectURIValid() {
		params := url.Values{"error": {rfc.ErrorField}, "error_description": {rfc.GetDescription()}}
		s.redirectToClient(w, ar.GetRedirectURI(), params, ar.GetState())
		return
	}
	status := rfc.CodeField
	if status < 400 || status >= 600 {
		status = http.StatusBadRequest
	}
	if errors.Is(err, fosite.ErrInvalidClient) {
		status = http.StatusBadRequest
	}
	s.errorPage(w, status, "Invalid authorization request", rfc.GetDescription())
}

// redirectToClient sends the browser back to the client with params, the
// state (only if the client sent one) and iss (RFC 9207).
func (s *Server) redirectToClient(w http.ResponseWriter, redirectURI *url.URL, params url.Values, state string) {
	u := *redirectURI
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	q.Del("state")
	if state != "" {
		q.Set("state", state)
	}
	q.Set("iss", s.issuer)
	u.RawQuery = q.Encode()
	u.Fragment = ""
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", u.String())
	w.WriteHeader(http.StatusSeeOther)
}

func cloneForm(f url.Values) url.Values {
	out := make(url.Values, len(f))
	for k, v := range f {
		out[k] = slices.Clone(v)
	}
	return out
}
