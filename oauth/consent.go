package oauth

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/ory/fosite"

	"github.com/specgate/specgate/oauth/store"
	"github.com/specgate/specgate/web"
)

// handleConsent shows (GET) and decides (POST) the consent page.
func (s *Server) handleConsent(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		s.showConsent(w, r)
	case http.MethodPost:
		s.postConsent(w, r)
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, "Method not allowed", "This page only accepts GET and POST.")
	}
}

// consentScopes splits the request's scopes into those the user can grant
// (requested ∩ the user's allowed scopes, offline_access excluded: it only
// decides refresh tokens, which every grant gets) and whether offline_access
// was requested.
func consentScopes(p *store.PendingAuthorization, u *loginState) (choices []string, offline bool) {
	for _, sc := range strings.Fields(firstValue(p.Form, "scope", nil)) {
		switch {
		case sc == offlineAccess:
			offline = true
		case u.Allowed == nil || slices.Contains(u.Allowed, sc):
			choices = append(choices, sc)
		}
	}
	return choices, offline
}

func (s *Server) showConsent(w http.ResponseWriter, r *http.Request) {
	p := s.pendingFor(w, r, r.URL.Query().Get(web.FieldRequest))
	if p == nil {
		return
	}
	sess := s.session(r)
	u := s.currentUser(sess)
	if u == nil || !s.loginCovers(r.Context(), u, p.ID) {
		http.Redirect(w, r, pageURL("/login", p.ID), http.StatusSeeOther)
		return
	}
	choices, offline := consentScopes(p, u)
	target, valid := s.pendingResource(p)
	if granted, ok := s.rememberedConsent(r, p, u, target, choices); ok && valid {
		if s.consume(w, r, p) {
			s.log.Info("consent remembered", "sub", u.Subject, "client_id", p.Client.ID, "request_id", p.ID)
			s.issueCode(w, r, p, u, withOffline(granted, offline))
		}
		return
	}
	token := csrfToken(sess)
	if !s.saveSession(w, r, sess) {
		return
	}
	host, loopback := redirectHost(firstValue(p.Form, "redirect_uri", p.Client.RedirectURIs))
	page := web.ConsentPage{
		Action: "/consent", CSRFToken: token, RequestID: p.ID,
		ClientName: p.Client.Name, ClientURI: p.Client.ClientURI,
		RedirectHost: host, LoopbackRedirect: loopback,
		User: u.Name, ProductName: s.cfg.ProductName,
	}
	if target.name != "" && target.name != s.cfg.ProductName {
		page.ResourceName = target.name // which API (the spec's title)
	}
	if page.User == "" {
		page.User = u.Subject
	}
	for _, sc := range choices {
		page.Scopes = append(page.Scopes, web.ScopeChoice{Name: sc, Description: describeScope(target, sc), Checked: true})
	}
	if err := web.RenderConsent(w, http.StatusOK, page); err != nil {
		s.log.Error("render consent page failed", "err", err)
		s.errorPage(w, http.StatusInternalServerError, "Something went wrong", "The consent page could not be shown.")
	}
}

func (s *Server) postConsent(w http.ResponseWriter, r *http.Request) {
	sess, p := s.acceptForm(w, r, "consent")
	if p == nil {
		return
	}
	u := s.currentUser(sess)
	if u == nil || !s.loginCovers(r.Context(), u, p.ID) {
		http.Redirect(w, r, pageURL("/login", p.ID), http.StatusSeeOther)
		return
	}
	decision := r.PostForm.Get(web.FieldDecision)
	if decision != web.DecisionApprove && decision != web.DecisionDeny {
		s.errorPage(w, http.StatusBadRequest, "Invalid form", "Choose Approve or Deny.")
		return
	}
	if !s.consume(w, r, p) {
		return
	}
	if decision == web.DecisionDeny {
		s.log.Info("consent denied", "sub", u.Subject, "client_id", p.Client.ID, "request_id", p.ID)
		ar, err := s.newAuthorizeRequest(r.Context(), p.Client, p.Form)
		if err == nil {
			err = fosite.ErrAccessDenied.WithHint("The user denied the request.")
		}
		s.authorizeError(w, r, ar, err)
		return
	}
	choices, offline := consentScopes(p, u)
	var granted []string
	for _, sc := range r.PostForm[web.FieldScope] {
		if slices.Contains(choices, sc) && !slices.Contains(granted, sc) {
			granted = append(granted, sc)
		}
	}
	s.log.Info("consent approved", "sub", u.Subject, "client_id", p.Client.ID, "request_id", p.ID, "scopes", granted)
	if target, valid := s.pendingResource(p); valid {
		s.saveConsent(r, p, u, target, granted)
	}
	s.issueCode(w, r, p, u, withOffline(granted, offline))
}

// consume deletes the pending authorization so it completes at most once.
func (s *Server) consume(w http.ResponseWriter, r *http.Request, p *store.PendingAuthorization) bool {
	err := s.store.DeletePendingAuthorization(r.Context(), p.ID)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, http.StatusBadRequest, "Sign-in request expired",
			"This sign-in request has expired or was already completed. Go back to the application and start again.")
		return false
	}
	if err != nil {
		s.log.Error("delete pending authorization failed", "request_id", p.ID, "err", err)
		s.errorPage(w, http.StatusServiceUnavailable, "Sign-in is unavailable", "Sign-in is unavailable right now. Try again later.")
		return false
	}
	return true
}

// issueCode replays the pending request through fosite, grants scopes and
// audience, and redirects to the client with the code, state and iss.
func (s *Server) issueCode(w http.ResponseWriter, r *http.Request, p *store.PendingAuthorization, u *loginState, granted []string) {
	ctx := r.Context()
	ar, err := s.newAuthorizeRequest(ctx, p.Client, p.Form)
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	_, aud, err := s.targetResource(p.Form["resource"])
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	for _, sc := range granted {
		ar.GrantScope(sc)
	}
	ar.SetRequestedAudience(aud)
	for _, a := range aud {
		ar.GrantAudience(a)
	}
	if u.Upstream {
		if err := s.bindUpstreamLogin(ctx, p.ID, ar.GetID(), u.Subject); err != nil {
			s.log.Error("keep upstream credential with the grant failed", "sub", u.Subject, "request_id", p.ID, "err", err)
			s.authorizeError(w, r, ar, fosite.ErrServerError.WithHint("The API login could not be kept; sign in again."))
			return
		}
	}
	sess := &store.Session{Subject: u.Subject, Username: u.Name, AllowedScopes: u.Allowed}
	resp, err := s.provider.NewAuthorizeResponse(ctx, ar, sess)
	if err != nil {
		s.authorizeError(w, r, ar, err)
		return
	}
	s.log.Info("authorization code issued", "sub", u.Subject, "client_id", p.Client.ID, "grant", ar.GetID(), "scopes", granted)
	s.redirectToClient(w, ar.GetRedirectURI(), cloneForm(resp.GetParameters()), ar.GetState())
}

// pendingResource is the resource a pending authorization asks for. It was
// validated at /authorize; should the configuration have changed since
// (valid false), the default one stands in for display, no consent is
// remembered and issueCode refuses the request.
func (s *Server) pendingResource(p *store.PendingAuthorization) (r *protectedResource, valid bool) {
	if target, _, err := s.targetResource(p.Form["resource"]); err == nil {
		return target, true
	}
	return s.defaultResource(), false
}

// rememberedConsent reports whether a remembered consent covers every
// grantable scope of this request (never with prompt=consent).
func (s *Server) rememberedConsent(r *http.Request, p *store.PendingAuthorization, u *loginState, target *protectedResource, choices []string) ([]string, bool) {
	if s.cfg.RememberConsent <= 0 || slices.Contains(strings.Fields(firstValue(p.Form, "prompt", nil)), "consent") {
		return nil, false
	}
	c, err := s.store.GetConsent(r.Context(), u.Subject, s.consentClientKey(p.Client.ID, target))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("load remembered consent failed", "sub", u.Subject, "client_id", p.Client.ID, "err", err)
		}
		return nil, false
	}
	for _, sc := range choices {
		if !slices.Contains(c.Scopes, sc) {
			return nil, false
		}
	}
	return choices, true
}

func (s *Server) saveConsent(r *http.Request, p *store.PendingAuthorization, u *loginState, target *protectedResource, granted []string) {
	if s.cfg.RememberConsent <= 0 {
		return
	}
	now := s.now()
	err := s.store.SaveConsent(r.Context(), &store.Consent{
		Subject: u.Subject, ClientID: s.consentClientKey(p.Client.ID, target), Scopes: granted,
		GrantedAt: now, ExpiresAt: now.Add(s.cfg.RememberConsent),
	})
	if err != nil {
		s.log.Warn("remember consent failed", "sub", u.Subject, "client_id", p.Client.ID, "err", err)
	}
}

func withOffline(scopes []string, offline bool) []string {
	if offline {
		return append(slices.Clone(scopes), offlineAccess)
	}
	return scopes
}
