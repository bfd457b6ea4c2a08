package convert

import (
	"reflect"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestSecuritySchemes(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a:
    get: {operationId: a, responses: {'204': {description: ok}}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-API-Key}
    qkey: {type: apikey, in: Query, name: api_key}
    bearer: {type: http, scheme: Bearer, bearerFormat: JWT}
    basic: {type: http, scheme: basic}
    oauth:
      type: oauth2
      flows: {clientCredentials: {tokenUrl: 'https://x.test/token', scopes: {}}}
    oidc: {type: openIdConnect, openIdConnectUrl: 'https://x.test/.well-known/openid-configuration'}
    broken: {type: apiKey, in: body, name: k}
    nohttp: {type: http}
    weird: {type: magic}
`
	cat := convertYAML(t, spec, Options{})
	want := map[string]catalog.SecurityScheme{
		"key":    {Name: "key", Type: "apiKey", In: "header", ParamName: "X-API-Key"},
		"qkey":   {Name: "qkey", Type: "apiKey", In: "query", ParamName: "api_key"},
		"bearer": {Name: "bearer", Type: "http", Scheme: "bearer", BearerFormat: "JWT"},
		"basic":  {Name: "basic", Type: "http", Scheme: "basic"},
		"oauth":  {Name: "oauth", Type: "oauth2"},
		"oidc":   {Name: "oidc", Type: "openIdConnect"},
		"broken": {Name: "broken", Type: "apiKey", In: "body", ParamName: "k"},
		"nohttp": {Name: "nohttp", Type: "http"},
		"weird":  {Name: "weird", Type: "magic"},
	}
	if !reflect.DeepEqual(cat.SecuritySchemes, want) {
		t.Errorf("SecuritySchemes:\n got  %+v\n want %+v", cat.SecuritySchemes, want)
	}
	for _, w := range []string{
		`apiKey scheme needs a name and in: header, query or cookie; got name "k", in "body"`,
		"http scheme without a scheme",
		`unknown security scheme type "magic"`,
	} {
		if !hasWarning(cat, w) {
			t.Errorf("no warning %q in %v", w, cat.Warnings)
		}
	}
	if got := len(cat.Warnings); got != 3 {
		t.Errorf("%d warnings, want 3: %v", got, cat.Warnings)
	}
}

// TestSecuritySchemesCorpus checks the schemes of real specs, Swagger 2.0
// securityDefinitions included.
func TestSecuritySchemesCorpus(t *testing.T) {
	for _, tc := range []struct {
		spec string
		want map[string]catalog.SecurityScheme
	}{
		{"oai-uber-v2.0.yaml", map[string]catalog.SecurityScheme{
			"apikey": {Name: "apikey", Type: "apiKey", In: "query", ParamName: "server_token"}}},
		{"redocly-museum-v3.1.yaml", map[string]catalog.SecurityScheme{
			"MuseumPlaceholderAuth": {Name: "MuseumPlaceholderAuth", Type: "http", Scheme: "basic"}}},
		{"swagger-petstore-v3.0.yaml", map[string]catalog.SecurityScheme{
			"api_key":       {Name: "api_key", Type: "apiKey", In: "header", ParamName: "api_key"},
			"petstore_auth": {Name: "petstore_auth", Type: "oauth2"}}},
		{"oai-non-oauth-scopes-v3.1.yaml", map[string]catalog.SecurityScheme{
			"bearerAuth": {Name: "bearerAuth", Type: "http", Scheme: "bearer", BearerFormat: "jwt"}}},
		{"oai-petstore-v3.0.yaml", nil},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			cat, err := Convert(loadSpec(t, tc.spec), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cat.SecuritySchemes, tc.want) {
				t.Errorf("got  %+v\nwant %+v", cat.SecuritySchemes, tc.want)
			}
		})
	}
}

func TestSecuritySchemeString(t *testing.T) {
	for _, tc := range []struct {
		s    catalog.SecurityScheme
		want string
	}{
		{catalog.SecurityScheme{Type: "apiKey", In: "query", ParamName: "server_token"}, "apiKey in query server_token"},
		{catalog.SecurityScheme{Type: "http", Scheme: "bearer", BearerFormat: "JWT"}, "http bearer (JWT)"},
		{catalog.SecurityScheme{Type: "http", Scheme: "basic"}, "http basic"},
		{catalog.SecurityScheme{Type: "oauth2"}, "oauth2"},
	} {
		if got := tc.s.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.s, got, tc.want)
		}
	}
}
