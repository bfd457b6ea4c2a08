package convert

import (
	"reflect"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func TestArgCollisions(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /items/{id}:
    post:
      operationId: op
      parameters:
        - {name: id, in: cookie, schema: {type: string}}
        - {name: id, in: header, schema: {type: string}}
        - {name: id, in: query, schema: {type: string}}
        - {name: query_id, in: header, schema: {type: string}}
        - {name: id, in: path, required: true, schema: {type: integer}}
        - {name: body, in: query, schema: {type: string}}
        - {name: 'include[]', in: query, schema: {type: array, items: {type: string}}}
        - {name: '$filter', in: query, schema: {type: string}}
        - {name: Authorization, in: header, schema: {type: string}}
        - {name: content-type, in: header, schema: {type: string}}
        - {name: Accept, in: header, schema: {type: string}}
        - {name: Cookie, in: header, schema: {type: string}}
        - {name: X-Request-Id, in: header, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema: {type: object}
      responses: {'204': {description: ok}}
`
	cat := convertYAML(t, spec, Options{})
	op := mustOp(t, cat, "POST", "/items/{id}")
	var got [][3]string
	for _, p := range op.Params {
		got = append(got, [3]string{string(p.In), p.Name, p.Arg})
	}
	want := [][3]string{
		{"path", "id", "id"},
		{"query", "id", "query_id"},
		{"query", "body", "body"},
		{"query", "include[]", "include"},
		{"query", "$filter", "filter"},
		{"header", "id", "header_id"},
		{"header", "query_id", "header_query_id"},
		{"header", "X-Request-Id", "X-Request-Id"},
		{"cookie", "id", "cookie_id"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("params\n got %v\nwant %v", got, want)
	}
	if op.Body == nil || op.Body.Arg != "request_body" {
		t.Errorf("body: %+v, want arg request_body", op.Body)
	}
	for _, h := range []string{`"Authorization"`, `"content-type"`, `"Accept"`, `"Cookie"`} {
		if !hasWarning(cat, "header parameter "+h) {
			t.Errorf("no warning for skipped header %s", h)
		}
	}
	in := decode(t, op.InputSchema)
	jsonEq(t, at(t, in, "required"), `["id"]`)
	jsonEq(t, at(t, in, "properties", "id"), `{"type":"integer"}`)
}

func TestArgNumericSuffix(t *testing.T) {
	a := newArgNames()
	for _, tc := range []struct {
		name string
		in   catalog.Location
		want string
	}{
		{"id", catalog.InPath, "id"},
		{"query_id", catalog.InQuery, "query_id"},
		{"id", catalog.InQuery, "query_id_2"},
		{"id", catalog.InHeader, "header_id"},
		{"[]", catalog.InQuery, "query_param"},
	} {
		if got := a.claim(tc.name, tc.in); got != tc.want {
			t.Errorf("claim(%q, %s) = %q, want %q", tc.name, tc.in, got, tc.want)
		}
	}
	if got := a.claimBody(); got != "body" {
		t.Errorf("claimBody = %q", got)
	}
	if got := a.claimBody(); got != "request_body" {
		t.Errorf("second claimBody = %q", got)
	}
}

func TestPathLevelParams(t *testing.T) {
	spec := `openapi: 3.1.0
info: {title: t, version: '1'}
paths:
  /guilds/{guild_id}/members:
    parameters:
      - {name: guild_id, in: path, required: true, schema: {type: string}, description: path level}
      - {name: limit, in: query, schema: {type: integer}, description: path level}
    get:
      operationId: list
      parameters:
        - {name: after, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer, maximum: 1000}, description: operation level}
      responses: {'204': {description: ok}}
    delete:
      operationId: prune
      responses: {'204': {description: ok}}
`
	cat := convertYAML(t, spec, Options{})
	list := mustOp(t, cat, "GET", "/guilds/{guild_id}/members")
	var args []string
	for _, p := range list.Params {
		args = append(args, p.Arg)
	}
	if !reflect.DeepEqual(args, []string{"guild_id", "limit", "after"}) {
		t.Errorf("args %v", args)
	}
	in := decode(t, list.InputSchema)
	jsonEq(t, at(t, in, "properties", "limit"), `{"type":"integer","maximum":1000,"description":"operation level"}`)
	prune := mustOp(t, cat, "DELETE", "/guilds/{guild_id}/members")
	if len(prune.Params) != 2 {
		t.Errorf("prune params %+v, want the two path-level ones", prune.Params)
	}
}

func TestFixedQueryAndFragment(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /responses?beta=true&mode=a%20b:
    post: {operationId: beta, responses: {'204': {description: ok}}}
  /responses:
    post: {operationId: plain, responses: {'204': {description: ok}}}
  /oauth2/token#refresh:
    post: {responses: {'204': {description: ok}}}
`
	cat := convertYAML(t, spec, Options{})
	beta, _ := cat.Lookup("beta")
	if beta == nil || beta.Path != "/responses" || !reflect.DeepEqual(beta.FixedQuery, [][2]string{{"beta", "true"}, {"mode", "a b"}}) {
		t.Fatalf("beta: %+v", beta)
	}
	if want := "HTTP: POST /responses?beta=true&mode=a b"; !strings.Contains(beta.Description, want) {
		t.Errorf("description %q lacks %q", beta.Description, want)
	}
	frag, ok := cat.Lookup("post_oauth2_token_refresh")
	if !ok || frag.Path != "/oauth2/token" || frag.FixedQuery != nil {
		t.Errorf("fragment operation: %+v", frag)
	}
}

func TestPathParamConsistency(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /a/{x}/{y}:
    get:
      operationId: get
      parameters:
        - {name: x, in: path, required: true, schema: {type: integer}}
        - {name: z, in: path, required: true, schema: {type: integer}}
      responses: {'204': {description: ok}}
`
	cat := convertYAML(t, spec, Options{})
	op := mustOp(t, cat, "GET", "/a/{x}/{y}")
	if len(op.Params) != 2 || op.Params[0].Name != "y" && op.Params[1].Name != "y" {
		t.Errorf("params %+v", op.Params)
	}
	if !hasWarning(cat, `"y" is not declared`) || !hasWarning(cat, `"z" does not appear`) {
		t.Errorf("warnings %v", cat.Warnings)
	}
}

func TestParamSerialization(t *testing.T) {
	spec := `openapi: 3.0.3
info: {title: t, version: '1'}
paths:
  /s/{p}:
    get:
      operationId: get
      parameters:
        - {name: p, in: path, required: true, style: label, schema: {type: array, items: {type: string}}}
        - {name: q, in: query, schema: {type: string}, example: hello, deprecated: true}
        - {name: r, in: query, explode: false, allowReserved: true, schema: {type: array, items: {type: string}}}
        - {name: deep, in: query, style: deepObject, schema: {type: object}}
        - {name: h, in: header, schema: {type: string}, examples: {one: {value: v1}, two: {value: v2}}}
        - {name: c, in: cookie, schema: {type: string}}
        - {name: filter, in: query, content: {application/json: {schema: {type: object, properties: {a: {type: string}}}}}}
      responses: {'204': {description: ok}}
`
	cat := convertYAML(t, spec, Options{})
	op := mustOp(t, cat, "GET", "/s/{p}")
	want := []catalog.Param{
		{Arg: "p", Name: "p", In: "path", Required: true, Style: "label"},
		{Arg: "q", Name: "q", In: "query", Explode: true},
		{Arg: "r", Name: "r", In: "query", AllowReserved: true},
		{Arg: "deep", Name: "deep", In: "query", Style: "deepObject"},
		{Arg: "filter", Name: "filter", In: "query", Explode: true, ContentType: "application/json"},
		{Arg: "h", Name: "h", In: "header"},
		{Arg: "c", Name: "c", In: "cookie", Explode: true},
	}
	if !reflect.DeepEqual(op.Params, want) {
		t.Errorf("params\n got %+v\nwant %+v", op.Params, want)
	}
	in := decode(t, op.InputSchema)
	jsonEq(t, at(t, in, "properties", "q"), `{"type":"string","examples":["hello"],"deprecated":true}`)
	jsonEq(t, at(t, in, "properties", "h", "examples"), `["v1","v2"]`)
	jsonEq(t, at(t, in, "properties", "filter"), `{"type":"object","properties":{"a":{"type":"string"}}}`)
}
