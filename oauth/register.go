package oauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/specgate/specgate/oauth/store"
)

// registrationRequest holds the RFC 7591 fields we use; any other field is
// accepted and ignored (clients send application_type, software_id, ...).
type registrationRequest struct {
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri"`
	Scope                   string   `json:"scope"`
}

// registrationResponse echoes the registered metadata (the TS SDK requires
// redirect_uris in it).
type registrationResponse struct {
	ClientID                string   `json:"client_id"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	RedirectURIs            []string `json:"redirect_uris"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	GrantTypes              []string `json:"grant_types"`
	ResponseTypes           []string `json:"response_types"`
	ClientName              string   `json:"client_name,omitempty"`
	ClientURI               string   `json:"client_uri,omitempty"`
	Scope                   string   `json:"scope,omitempty"`
}

const maxRedirectURIs = 20

// registrationError is an RFC 7591 §3.2.2 error.
type registrationError struct{ code, description string }

func (e *registrationError) Error() string { return e.code + ": " + e.description }

func invalidMetadata(format string, args ...any) *registrationError {
	return &registrationError{"invalid_client_metadata", fmt.Sprintf(format, args...)}
}

// handleRegister implements dynamic client registration (RFC 7591).
func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) {
	cors("POST", s.register)(w, r)
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		methodNotAllowed(w, "POST", "OPTIONS")
		return
	}
	ctx := r.Context()
	ip := s.cfg.ClientIP(r)
	ok, retry, err := s.cfg.Throttles.RegisterPerIP.Allow(ctx, ipKey("register-ip:", ip))
	if err != nil {
		s.log.Error("registration throttle failed", "ip", ip, "err", err)
		writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Registration is unavailable right now.")
		return
	}
	if !ok {
		s.emit(ctx, Event{Kind: EventRegisterThrottled})
		w.Header().Set("Retry-After", strconv.Itoa(retrySeconds(retry)))
		writeJSONError(w, http.StatusTooManyRequests, "too_many_requests",
			fmt.Sprintf("Too many registrations from this address; retry in %d seconds.", retrySeconds(retry)))
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeJSONError(w, http.StatusBadRequest, "invalid_client_metadata", "The request body must be application/json.")
		return
	}
	var req registrationRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxRegistrationBytes))
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "invalid_client_metadata",
				fmt.Sprintf("The registration request is larger than %d bytes.", s.cfg.MaxRegistrationBytes))
			return
		}
		writeJSONError(w, http.StatusBadRequest, "invalid_client_metadata", "The request body is not a valid client metadata JSON object: "+err.Error())
		return
	}
	client, secret, rerr := s.newRegisteredClient(req)
	if rerr != nil {
		writeJSONError(w, http.StatusBadRequest, rerr.code, rerr.description)
		return
	}
	if secret != "" {
		hash, err := s.hashSecret(secret)
		if err != nil {
			s.log.Error("hash client secret failed", "err", err)
			writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not register the client.")
			return
		}
		client.SecretHash = hash
	}
	if err := s.store.CreateClient(ctx, client, s.cfg.MaxClients); err != nil {
		if errors.Is(err, store.ErrClientLimit) {
			s.log.Warn("client registration refused: limit reached", "limit", s.cfg.MaxClients, "ip", ip)
			writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "The server cannot register more clients right now.")
			return
		}
		s.log.Error("store registered client failed", "client_id", client.ID, "err", err)
		if storeUnavailable(err) {
			writeJSONError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "Registration is unavailable right now; retry shortly.")
			return
		}
		writeJSONError(w, http.StatusInternalServerError, "server_error", "Could not register the client.")
		return
	}
	s.log.Info("client registered", "client_id", client.ID, "client_name", client.Name,
		"auth_method", client.TokenEndpointAuthMethod, "redirect_uris", client.RedirectURIs, "ip", ip)

	resp := registrationResponse{
		ClientID:                client.ID,
		ClientSecret:            secret,
		ClientIDIssuedAt:        client.CreatedAt.Unix(),
		RedirectURIs:            client.RedirectURIs,
		TokenEndpointAuthMethod: client.TokenEndpointAuthMethod,
		GrantTypes:              client.GrantTypes,
		ResponseTypes:           client.ResponseTypes,
		ClientName:              client.Name,
		ClientURI:               client.ClientURI,
		Scope:                   strings.Join(s.allScopes(), " "),
	}
	if secret != "" {
		never := int64(0)
		resp.ClientSecretExpiresAt = &never
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSONBody(w, http.StatusCreated, resp)
}

// newRegisteredClient validates a registration request and builds the client
// (and its plain secret for confidential clients).
func (s *Server) newRegisteredClient(req registrationRequest) (*store.Client, string, *registrationError) {
	if len(req.RedirectURIs) == 0 {
		return nil, "", &registrationError{"invalid_redirect_uri", "At least one redirect URI is required."}
	}
	if len(req.RedirectURIs) > maxRedirectURIs {
		return nil, "", &registrationError{"invalid_redirect_uri", fmt.Sprintf("At most %d redirect URIs are allowed.", maxRedirectURIs)}
	}
	var uris []string
	for _, u := range req.RedirectURIs {
		if err := validRedirectURI(u); err != nil {
			return nil, "", &registrationError{"invalid_redirect_uri", err.Error()}
		}
		if !slices.Contains(uris, u) {
			uris = append(uris, u)
		}
	}
	method := req.TokenEndpointAuthMethod
	if method == "" {
		method = "client_secret_basic" // RFC 7591 §2 default
	}
	if !slices.Contains(clientAuthMethods, method) {
		return nil, "", invalidMetadata("token_endpoint_auth_method %q is not supported; use one of %s.", method, strings.Join(clientAuthMethods, ", "))
	}
	if len(req.GrantTypes) > 0 && !slices.Contains(req.GrantTypes, "authorization_code") {
		return nil, "", invalidMetadata("grant_types must include authorization_code (this server supports authorization_code and refresh_token).")
	}
	if len(req.ResponseTypes) > 0 && !slices.Contains(req.ResponseTypes, "code") {
		return nil, "", invalidMetadata("response_types must include code.")
	}
	now := s.now()
	c := &store.Client{
		ID:                      randomToken(16),
		RedirectURIs:            uris,
		GrantTypes:              []string{"authorization_code", "refresh_token"},
		ResponseTypes:           []string{"code"},
		Public:                  method == "none",
		TokenEndpointAuthMethod: method,
		Name:                    cleanText(req.ClientName, 100),
		ClientURI:               cleanURI(req.ClientURI),
		RegisteredScope:         cleanText(req.Scope, 1000),
		Kind:                    store.KindRegistered,
		CreatedAt:               now,
		ExpiresAt:               now.Add(s.cfg.Lifetimes.UnusedClient),
	}
	var secret string
	if !c.Public {
		secret = randomToken(32)
	}
	return c, secret, nil
}

// hashSecret hashes a generated client secret the way fosite compares it.
func (s *Server) hashSecret(secret string) ([]byte, error) {
	return secretHasher{}.Hash(context.Background(), []byte(secret))
}

// randomToken returns n random bytes, base64url without padding (URL-safe, so
// fosite's unescaping of Basic credentials leaves it intact).
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand, Go >= 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// cleanText trims, drops control and format characters and caps the length
// in runes. Format characters (Cf: bidi overrides and isolates, zero-width
// characters) are invisible but would reorder or hide the text of the
// consent page around a self-declared client name.
func cleanText(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > max {
		s = string(r[:max])
	}
	return strings.TrimSpace(s)
}

// cleanURI keeps an informational http(s) URL, dropping anything else.
func cleanURI(raw string) string {
	if raw == "" || len(raw) > maxURILength {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return ""
	}
	return u.String()
}

func retrySeconds(d time.Duration) int {
	return max(1, int((d+time.Second-1)/time.Second))
}
