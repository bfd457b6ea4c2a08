package oauth

import (
	"encoding/json"
	"net/http"
)

// resourceMetadata is RFC 9728 protected resource metadata.
type resourceMetadata struct {
	Resource               string   `json:"resource"`
	AuthorizationServers   []string `json:"authorization_servers"`
	ScopesSupported        []string `json:"scopes_supported"`
	BearerMethodsSupported []string `json:"bearer_methods_supported"`
	ResourceName           string   `json:"resource_name,omitempty"`
}

// serverMetadata is RFC 8414 authorization server metadata.
type serverMetadata struct {
	Issuer                                     string   `json:"issuer"`
	AuthorizationEndpoint                      string   `json:"authorization_endpoint"`
	TokenEndpoint                              string   `json:"token_endpoint"`
	RegistrationEndpoint                       string   `json:"registration_endpoint"`
	RevocationEndpoint                         string   `json:"revocation_endpoint"`
	ScopesSupported                            []string `json:"scopes_supported"`
	ResponseTypesSupported                     []string `json:"response_types_supported"`
	ResponseModesSupported                     []string `json:"response_modes_supported"`
	GrantTypesSupported                        []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported          []string `json:"token_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported     []string `json:"revocation_endpoint_auth_methods_supported"`
	CodeChallengeMethodsSupported              []string `json:"code_challenge_methods_supported"`
	AuthorizationResponseIssParameterSupported bool     `json:"authorization_response_iss_parameter_supported"`
	ClientIDMetadataDocumentSupported          bool     `json:"client_id_metadata_document_supported"`
}

var clientAuthMethods = []string{"none", "client_secret_post", "client_secret_basic"}

// handleResourceMetadata serves the PRM document for resource (an MCP URL
// on its path-suffixed location with that API's scopes, the issuer on the
// root one with every scope). RFC 9728 §3.3 wants `resource` identical to
// the URL the location was derived from.
func (s *Server) handleResourceMetadata(resource, name string, scopes func() []string) http.HandlerFunc {
	return cors("GET", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET", "HEAD", "OPTIONS")
			return
		}
		writeMetadata(w, resourceMetadata{
			Resource:               resource,
			AuthorizationServers:   []string{s.issuer},
			ScopesSupported:        nonNilStrings(scopes()),
			BearerMethodsSupported: []string{"header"},
			ResourceName:           name,
		})
	})
}

// handleServerMetadata serves RFC 8414 metadata for the issuer.
func (s *Server) handleServerMetadata(w http.ResponseWriter, r *http.Request) {
	cors("GET", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET", "HEAD", "OPTIONS")
			return
		}
		writeMetadata(w, serverMetadata{
			Issuer:                                     s.issuer,
			AuthorizationEndpoint:                      s.issuer + "/authorize",
			TokenEndpoint:                              s.issuer + "/token",
			RegistrationEndpoint:                       s.issuer + "/register",
			RevocationEndpoint:                         s.issuer + "/revoke",
			ScopesSupported:                            s.allScopes(),
			ResponseTypesSupported:                     []string{"code"},
			ResponseModesSupported:                     []string{"query"},
			GrantTypesSupported:                        []string{"authorization_code", "refresh_token"},
			TokenEndpointAuthMethodsSupported:          clientAuthMethods,
			RevocationEndpointAuthMethodsSupported:     clientAuthMethods,
			CodeChallengeMethodsSupported:              []string{"S256"},
			AuthorizationResponseIssParameterSupported: true,
			ClientIDMetadataDocumentSupported:          s.cimd != nil,
		})
	})(w, r)
}

// writeMetadata writes a metadata document. Scopes change when the spec is
// reloaded, so caches must not keep it.
func writeMetadata(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

// writeJSONError writes an OAuth-style JSON error body.
func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
