package upstreamauth

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
	"github.com/specgate/specgate/proxy/convert"
	"github.com/specgate/specgate/proxy/specload"
)

const specDir = "/work/shared/specs"

// loadCatalog loads and converts one spec of the shared corpus.
func loadCatalog(t testing.TB, name string) *catalog.Catalog {
	t.Helper()
	doc, err := specload.NewLoader(specload.Options{}).Load(context.Background(), filepath.Join(specDir, name))
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	cat, err := convert.Convert(doc.Spec, convert.Options{})
	if err != nil {
		t.Fatalf("convert %s: %v", name, err)
	}
	return cat
}

var (
	bearer = Placement{In: InHeader, Name: "Authorization", Template: "Bearer {secret}"}
	noneP  = Placement{}
)

func TestSuggestCorpus(t *testing.T) {
	for _, tc := range []struct {
		spec       string
		want       Placement
		scheme     string
		ok         bool
		userWant   Placement // Resolve in user mode
		userScheme string
	}{
		{"oai-uber-v2.0.yaml", Placement{In: InQuery, Name: "server_token", Template: "{secret}"}, "apikey", true,
			Placement{In: InQuery, Name: "server_token", Template: "{secret}"}, "apikey"},
		// api_key (2 operations) wins over the more common petstore_auth in
		// static mode; a per-user login token goes where OAuth wants it.
		{"swagger-petstore-v3.0.yaml", Placement{In: InHeader, Name: "api_key", Template: "{secret}"}, "api_key", true,
			bearer, "petstore_auth"},
		{"redocly-museum-v3.1.yaml", Placement{In: InBasic}, "MuseumPlaceholderAuth", true,
			Placement{In: InBasic}, "MuseumPlaceholderAuth"},
		{"oai-non-oauth-scopes-v3.1.yaml", bearer, "bearerAuth", true, bearer, "bearerAuth"},
		// Discord's bot token is an apiKey in Authorization: no Bearer prefix.
		{"discord-v3.1.json", Placement{In: InHeader, Name: "Authorization", Template: "{secret}"}, "BotToken", true, bearer, "OAuth2"},
		{"slack-web-api-v2.0.json", bearer, "slackAuth", true, bearer, "slackAuth"},
		// Square's apiKey scheme is declared but used by no operation; the
		// oauth2 scheme every operation uses wins.
		{"square-connect-v3.0.json", bearer, "oauth2", true, bearer, "oauth2"},
		{"oai-petstore-v3.0.yaml", noneP, "", false, noneP, ""},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			cat := loadCatalog(t, tc.spec)
			p, scheme, ok := Suggest(cat)
			if p != tc.want || scheme != tc.scheme || ok != tc.ok {
				t.Errorf("Suggest = %+v, %q, %v; want %+v, %q, %v", p, scheme, ok, tc.want, tc.scheme, tc.ok)
			}
			if p, scheme := Resolve(ModeStatic, Placement{}, cat); p != tc.want || scheme != tc.scheme {
				t.Errorf("Resolve(static) = %+v, %q; want %+v, %q", p, scheme, tc.want, tc.scheme)
			}
			if p, scheme := Resolve(ModeUser, Placement{}, cat); p != tc.userWant || scheme != tc.userScheme {
				t.Errorf("Resolve(user) = %+v, %q; want %+v, %q", p, scheme, tc.userWant, tc.userScheme)
			}
			// Every suggestion must be accepted by New.
			if ok {
				getenv := env(map[string]string{"K": "user:" + secret})
				if _, err := New(Config{Mode: ModeStatic, SecretEnv: "K", Placement: p}, nil, getenv); err != nil {
					t.Errorf("New rejects the suggestion: %v", err)
				}
			}
		})
	}
}

func TestSuggestRules(t *testing.T) {
	op := func(name string, alts ...map[string][]string) *catalog.Operation {
		o := &catalog.Operation{Name: name, Method: "GET", Path: "/" + name}
		for _, a := range alts {
			o.Security = append(o.Security, catalog.SecurityRequirement{Schemes: a})
		}
		return o
	}
	schemes := map[string]catalog.SecurityScheme{
		"a_key":  {Name: "a_key", Type: "apiKey", In: "header", ParamName: "X-A"},
		"b_key":  {Name: "b_key", Type: "apiKey", In: "cookie", ParamName: "sid"},
		"digest": {Name: "digest", Type: "http", Scheme: "digest"},
		"mtls":   {Name: "mtls", Type: "mutualTLS"},
		"bad":    {Name: "bad", Type: "apiKey", In: "header", ParamName: "Content-Length"},
		"oidc":   {Name: "oidc", Type: "openIdConnect"},
	}
	for _, tc := range []struct {
		name   string
		ops    []*catalog.Operation
		want   Placement
		scheme string
		ok     bool
	}{
		// b_key is named 4 times but by 2 operations; a_key by 3.
		{"most operations win", []*catalog.Operation{op("x", map[string][]string{"a_key": nil}), op("w", map[string][]string{"a_key": nil}),
			op("y", map[string][]string{"b_key": nil}, map[string][]string{"a_key": nil}),
			op("z", map[string][]string{"b_key": nil}, map[string][]string{"b_key": nil, "mtls": nil}, map[string][]string{"b_key": nil})},
			Placement{In: InHeader, Name: "X-A", Template: "{secret}"}, "a_key", true},
		{"most operations win (2)", []*catalog.Operation{op("x", map[string][]string{"a_key": nil}),
			op("y", map[string][]string{"b_key": nil}), op("z", map[string][]string{"b_key": nil})},
			Placement{In: InCookie, Name: "sid", Template: "{secret}"}, "b_key", true},
		{"tie goes to the first name", []*catalog.Operation{op("x", map[string][]string{"b_key": nil}), op("y", map[string][]string{"a_key": nil})},
			Placement{In: InHeader, Name: "X-A", Template: "{secret}"}, "a_key", true},
		{"unplaceable schemes are skipped", []*catalog.Operation{op("x", map[string][]string{"digest": nil, "mtls": nil, "bad": nil}),
			op("y", map[string][]string{"oidc": nil})}, bearer, "oidc", true},
		{"declared but unused", []*catalog.Operation{op("x")}, Placement{In: InHeader, Name: "X-A", Template: "{secret}"}, "a_key", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat := catalog.New(tc.ops)
			cat.SecuritySchemes = schemes
			p, scheme, ok := Suggest(cat)
			if p != tc.want || scheme != tc.scheme || ok != tc.ok {
				t.Errorf("Suggest = %+v, %q, %v; want %+v, %q, %v", p, scheme, ok, tc.want, tc.scheme, tc.ok)
			}
		})
	}
	if _, _, ok := Suggest(nil); ok {
		t.Error("Suggest(nil) ok")
	}
	only := catalog.New(nil)
	only.SecuritySchemes = map[string]catalog.SecurityScheme{"mtls": schemes["mtls"], "digest": schemes["digest"]}
	if p, s, ok := Suggest(only); ok {
		t.Errorf("Suggest with only mutualTLS and digest = %+v, %q", p, s)
	}
}

func TestResolveKeepsConfiguredPlacement(t *testing.T) {
	cat := catalog.New(nil)
	cat.SecuritySchemes = map[string]catalog.SecurityScheme{"k": {Name: "k", Type: "apiKey", In: "query", ParamName: "key"}}
	for _, p := range []Placement{{In: InHeader, Name: "X-Mine"}, {Template: "Token {secret}"}, {In: InBasic, BasicUser: "u"}} {
		if got, scheme := Resolve(ModeStatic, p, cat); got != p || scheme != "" {
			t.Errorf("Resolve(%+v) = %+v, %q", p, got, scheme)
		}
	}
	if got, scheme := Resolve(ModeNone, Placement{}, cat); got != (Placement{}) || scheme != "" {
		t.Errorf("Resolve(none) = %+v, %q", got, scheme)
	}
	if got, scheme := Resolve(ModeStatic, Placement{}, cat); got != (Placement{In: InQuery, Name: "key", Template: "{secret}"}) || scheme != "k" {
		t.Errorf("Resolve(static) = %+v, %q", got, scheme)
	}
}

func TestDescribeSecurity(t *testing.T) {
	cat := loadCatalog(t, "swagger-petstore-v3.0.yaml")
	for _, tc := range []struct{ tool, want string }{
		{"getPetById", "api_key (apiKey in header api_key) | petstore_auth (oauth2)"},
		{"addPet", "petstore_auth (oauth2)"},
		{"getInventory", "api_key (apiKey in header api_key)"},
		{"loginUser", ""},
	} {
		op, ok := cat.Lookup(tc.tool)
		if !ok {
			t.Fatalf("no tool %s", tc.tool)
		}
		if got := DescribeSecurity(cat, op); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.tool, got, tc.want)
		}
	}
	synthetic := &catalog.Operation{Security: []catalog.SecurityRequirement{
		{Schemes: map[string][]string{"b": nil, "a": {"read"}}}, {Schemes: map[string][]string{}}}}
	c := catalog.New(nil)
	c.SecuritySchemes = map[string]catalog.SecurityScheme{"a": {Type: "http", Scheme: "bearer", BearerFormat: "JWT"}}
	if got, want := DescribeSecurity(c, synthetic), "a (http bearer (JWT)) + b (undeclared) | none"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := DescribeSecurity(c, &catalog.Operation{Security: []catalog.SecurityRequirement{}}); got != "none" {
		t.Errorf("explicitly open: %q", got)
	}
}
