package convert

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestAnnotations(t *testing.T) {
	for method, want := range map[string]catalog.Annotations{
		"GET":     {ReadOnly: true, OpenWorld: true},
		"HEAD":    {ReadOnly: true, OpenWorld: true},
		"OPTIONS": {ReadOnly: true, OpenWorld: true},
		"POST":    {OpenWorld: true},
		"PATCH":   {OpenWorld: true},
		"PUT":     {Idempotent: true, OpenWorld: true},
		"DELETE":  {Destructive: true, Idempotent: true, OpenWorld: true},
	} {
		if got := annotations(method); got != want {
			t.Errorf("%s: %+v, want %+v", method, got, want)
		}
	}
}

func TestSecurity(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
security: [{oauth: [read]}]
paths:
  /inherit:
    get: {operationId: inherit, responses: {'204': {description: ok}}}
  /open:
    get: {operationId: open, security: [], responses: {'204': {description: ok}}}
  /alts:
    get:
      operationId: alts
      security: [{key: []}, {oauth: [write, read, write], oidc: [profile]}, {oauth: [admin]}]
      responses: {'204': {description: ok}}
  /apikeyscopes:
    get: {operationId: apikeyscopes, security: [{key: [ignored]}], responses: {'204': {description: ok}}}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://x/token', scopes: {read: r, write: w, admin: a}}}}
    oidc: {type: openIdConnect, openIdConnectUrl: 'https://x/.well-known/openid-configuration'}
`
	cat := convertYAML(t, spec, Options{})
	for _, tc := range []struct {
		name     string
		security []catalog.SecurityRequirement
		scopes   []string
	}{
		{"inherit", []catalog.SecurityRequirement{{Schemes: map[string][]string{"oauth": {"read"}}}}, []string{"read"}},
		{"open", []catalog.SecurityRequirement{}, nil},
		{"alts", []catalog.SecurityRequirement{
			{Schemes: map[string][]string{"key": {}}},
			{Schemes: map[string][]string{"oauth": {"write", "read", "write"}, "oidc": {"profile"}}},
			{Schemes: map[string][]string{"oauth": {"admin"}}},
		}, []string{"profile", "read", "write"}},
		{"apikeyscopes", []catalog.SecurityRequirement{{Schemes: map[string][]string{"key": {"ignored"}}}}, nil},
	} {
		op, _ := cat.Lookup(tc.name)
		if !reflect.DeepEqual(op.Security, tc.security) || !reflect.DeepEqual(op.Scopes, tc.scopes) {
			t.Errorf("%s: security %+v scopes %v, want %+v %v", tc.name, op.Security, op.Scopes, tc.security, tc.scopes)
		}
	}
	// No security anywhere: nil.
	none := convertYAML(t, opsSpec([]string{"/a"}, []string{"a"}), Options{})
	if op, _ := none.Lookup("a"); op.Security != nil {
		t.Errorf("undeclared security = %#v, want nil", op.Security)
	}
}

func TestNonOAuthScopes31(t *testing.T) {
	cat, err := Convert(loadSpec(t, "oai-non-oauth-scopes-v3.1.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	op := cat.Operations()[0]
	if !reflect.DeepEqual(op.Scopes, []string{"public", "read:users"}) {
		t.Errorf("scopes %v", op.Scopes)
	}
}

func TestSuccessResponse(t *testing.T) {
	obj := `{content: {application/json: {schema: {type: object, properties: {a: {type: string}}}}}, description: d}`
	arr := `{content: {application/json: {schema: {type: array, items: {type: string}}}}, description: d}`
	for _, tc := range []struct {
		name, responses, media string
		output                 bool
	}{
		{"200", `{'200': ` + obj + `, '201': ` + arr + `}`, "application/json", true},
		{"201 only", `{'201': ` + obj + `, '400': ` + obj + `}`, "application/json", true},
		{"lowest 2xx", `{'204': {description: d}, '202': ` + obj + `}`, "application/json", true},
		{"2XX", `{'2XX': ` + obj + `}`, "application/json", true},
		{"default without 2xx", `{default: ` + obj + `}`, "application/json", true},
		{"default with 2xx", `{'204': {description: d}, default: ` + obj + `}`, "", false},
		{"array", `{'200': ` + arr + `}`, "application/json", false},
		{"image", `{'200': {content: {image/png: {}}, description: d}}`, "image/png", false},
		{"problem json", `{'200': {content: {application/problem+json: {schema: {type: object}}}, description: d}}`, "application/problem+json", true},
	} {
		spec := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /x:\n    get:\n      operationId: op\n      responses: " + tc.responses + "\n"
		op := mustOp(t, convertYAML(t, spec, Options{}), "GET", "/x")
		if op.SuccessMedia != tc.media || (op.OutputSchema != nil) != tc.output {
			t.Errorf("%s: media %q output %s, want %q %v", tc.name, op.SuccessMedia, op.OutputSchema, tc.media, tc.output)
		}
	}
}

func TestDescription(t *testing.T) {
	long := strings.Repeat("Word ", 100) + "End. " + strings.Repeat("More text here. ", 100)
	for _, tc := range []struct {
		name, summary, desc string
		deprecated          bool
		max                 int
		want                string
	}{
		{"both", "List pets", "Returns all pets.\n\nSecond paragraph.", false, 1000, "List pets.\n\nReturns all pets.\n\nHTTP: GET /pets"},
		{"desc repeats summary", "List pets", "List pets in the store.", false, 1000, "List pets in the store.\n\nHTTP: GET /pets"},
		{"summary only", "List pets", "", false, 1000, "List pets\n\nHTTP: GET /pets"},
		{"none", "", "", false, 1000, "HTTP: GET /pets"},
		{"deprecated", "Old", "", true, 1000, "Old\n\nDeprecated: this operation may be removed; prefer an alternative.\nHTTP: GET /pets"},
		{"sentence cut", "", "First sentence is here. Second sentence is much longer and will not fit at all.", false, 60, "First sentence is here. …\n\nHTTP: GET /pets"},
		{"word cut", "", "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj", false, 50, "aaaa bbbb cccc dddd eeee ffff…\n\nHTTP: GET /pets"},
	} {
		got := description(tc.summary, tc.desc, "GET", "/pets", tc.deprecated, tc.max)
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
		if utf8.RuneCountInString(got) > tc.max {
			t.Errorf("%s: %d runes > %d", tc.name, utf8.RuneCountInString(got), tc.max)
		}
	}
	got := description("", long, "GET", "/pets", false, 300)
	if n := utf8.RuneCountInString(got); n > 300 || !strings.HasSuffix(got, "HTTP: GET /pets") || !strings.Contains(got, "…") {
		t.Errorf("long description (%d runes): %q", n, got)
	}
}

func TestTitle(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a: {get: {operationId: listAllPets, responses: {'204': {description: ok}}}}
  /b: {get: {operationId: b, summary: "  Get   the b.  ", responses: {'204': {description: ok}}}}
`
	cat := convertYAML(t, spec, Options{})
	if op, _ := cat.Lookup("listAllPets"); op.Title != "List all pets" {
		t.Errorf("title %q", op.Title)
	}
	if op, _ := cat.Lookup("b"); op.Title != "Get the b" {
		t.Errorf("title %q", op.Title)
	}
}

func TestCallbacksAndWebhooksAreNotTools(t *testing.T) {
	for name, want := range map[string]int{
		"oai-callback-example-v3.0.yaml": 1,
		"oai-webhook-example-v3.1.yaml":  0,
		"redocly-museum-v3.1.yaml":       8,
		"openai-v3.1.yaml":               288,
	} {
		cat, err := Convert(loadSpec(t, name), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if cat.Len() != want {
			t.Errorf("%s: %d tools, want %d", name, cat.Len(), want)
		}
	}
}

func TestOpenAIFixedQuery(t *testing.T) {
	cat, err := Convert(loadSpec(t, "openai-v3.1.yaml"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, op := range cat.Operations() {
		if len(op.FixedQuery) > 0 {
			n++
			if op.FixedQuery[0] != [2]string{"beta", "true"} {
				t.Errorf("%s: fixed query %v", op.Name, op.FixedQuery)
			}
		}
	}
	// Six path keys carry "?beta=true"; one of them has two methods.
	if n != 7 {
		t.Errorf("%d operations with a fixed query, want 7", n)
	}
}

func TestDeterministic(t *testing.T) {
	doc := loadSpec(t, "discord-v3.1.json")
	render := func() []byte {
		cat, err := Convert(doc, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(cat.Operations())
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	first := render()
	for range 2 {
		if !bytes.Equal(first, render()) {
			t.Fatal("two conversions of one document differ")
		}
	}
}
