package forward

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/specgate/specgate/proxy/catalog"
)

func petOp() *catalog.Operation {
	return &catalog.Operation{
		Name: "updatePet", Method: "PUT", Path: "/pets/{petId}",
		InputSchema: json.RawMessage(`{
			"type":"object",
			"properties":{
				"petId":{"type":"integer","minimum":1},
				"verbose":{"type":"boolean"},
				"body":{"type":"object","properties":{
					"name":{"type":"string","minLength":1},
					"tags":{"type":"array","items":{"type":"string"}},
					"code":{"type":"string","pattern":"^(?=x)[a-z]+$"},
					"status":{"enum":["available","sold"]}},
					"required":["name"]}},
			"required":["petId","body"]}`),
		Params: []catalog.Param{
			{Arg: "petId", Name: "petId", In: catalog.InPath, Required: true},
			{Arg: "verbose", Name: "verbose", In: catalog.InQuery},
		},
		Body: &catalog.Body{Arg: "body", MediaType: "application/json", Kind: catalog.BodyJSON, Required: true},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name, args string
		allow      bool
		want       []string // nil: valid
	}{
		{"valid", `{"petId":3,"body":{"name":"rex","tags":["a"]}}`, false, nil},
		{"valid big json number", `{"petId":3.0,"body":{"name":"rex"}}`, false, nil},
		{"wrong type", `{"petId":"three","body":{"name":"rex"}}`, false,
			[]string{`argument "petId": got string, want integer [type]`}},
		{"minimum", `{"petId":0,"body":{"name":"rex"}}`, false, []string{`argument "petId": minimum: got 0, want 1 [minimum]`}},
		{"missing required", `{"body":{"name":"rex"}}`, false, []string{`arguments: missing property 'petId' [required]`}},
		{"nested", `{"petId":1,"body":{"name":"","tags":[1],"status":"lost"}}`, false, []string{
			`argument "body" at /body/name: minLength: got 0, want 1 [minLength]`,
			`argument "body" at /body/tags/0: got number, want string [type]`,
			`argument "body" at /body/status: value must be one of 'available', 'sold' [enum]`}},
		{"unknown with suggestion", `{"petID":1,"body":{"name":"rex"}}`, false, []string{
			`unknown argument "petID" (did you mean "petId"?); valid arguments: body, petId, verbose`,
			`arguments: missing property 'petId' [required]`}},
		{"unknown allowed", `{"petId":1,"extra":true,"body":{"name":"rex"}}`, true, nil},
		{"unsupported pattern is not enforced", `{"petId":1,"body":{"name":"rex","code":"ABC"}}`, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := New(Options{AllowUnknownArgs: tc.allow})
			err := f.Validate(petOp(), args(t, tc.args))
			if tc.want == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			var ae *ArgumentError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v (%T), want *ArgumentError", err, err)
			}
			if ae.Tool != "updatePet" || !strings.HasPrefix(err.Error(), `Invalid arguments for tool "updatePet"; nothing was sent to the API:`) {
				t.Errorf("error header: %q", err)
			}
			for _, w := range tc.want {
				found := false
				for _, p := range ae.Problems {
					found = found || p == w
				}
				if !found {
					t.Errorf("problems %q lack %q", ae.Problems, w)
				}
			}
			if len(ae.Problems) != len(tc.want) {
				t.Errorf("problems %q, want %d", ae.Problems, len(tc.want))
			}
		})
	}
}

func TestValidationFailureSendsNothing(t *testing.T) {
	up := newUpstream(t, nil)
	res := New(Options{}).Call(context.Background(), up.URL, petOp(), args(t, `{"petId":"x","body":{"name":"rex"}}`))
	if !res.IsError || !strings.Contains(resultText(res), `argument "petId": got string, want integer`) {
		t.Errorf("got %v %q", res.IsError, resultText(res))
	}
	if len(up.requests()) != 0 {
		t.Error("request was sent despite invalid arguments")
	}
	res = New(Options{}).Call(context.Background(), up.URL, petOp(), args(t, `{"petId":7,"verbose":true,"body":{"name":"rex"}}`))
	if res.IsError {
		t.Fatalf("valid call failed: %s", resultText(res))
	}
	if got := up.last(t); got.Path != "/pets/7" || got.RawQuery != "verbose=true" || string(got.Body) != `{"name":"rex"}` {
		t.Errorf("upstream got %+v", got)
	}
}

func TestRecursiveSchemaWithDefs(t *testing.T) {
	op := &catalog.Operation{Name: "tree", Method: "POST", Path: "/t",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"body":{"$ref":"#/$defs/node"}},
			"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer"},
				"kids":{"type":"array","items":{"$ref":"#/$defs/node"}}}}}}`),
		Body: &catalog.Body{Arg: "body", Kind: catalog.BodyJSON}}
	f := New(Options{})
	if err := f.Validate(op, args(t, `{"body":{"v":1,"kids":[{"v":2,"kids":[]}]}}`)); err != nil {
		t.Errorf("valid tree rejected: %v", err)
	}
	err := f.Validate(op, args(t, `{"body":{"v":1,"kids":[{"v":"x"}]}}`))
	if err == nil || !strings.Contains(err.Error(), `argument "body" at /body/kids/0/v: got string, want integer [type]`) {
		t.Errorf("got %v", err)
	}
}

func TestUnknownArgsReportedOnce(t *testing.T) {
	op := &catalog.Operation{Name: "x", Method: "GET", Path: "/x",
		InputSchema: json.RawMessage(`{"type":"object","properties":{"q":{"type":"string"}},"additionalProperties":false}`),
		Params:      []catalog.Param{{Arg: "q", Name: "q", In: catalog.InQuery}}}
	var ae *ArgumentError
	if err := New(Options{}).Validate(op, map[string]any{"qq": "v"}); !errors.As(err, &ae) || len(ae.Problems) != 1 ||
		ae.Problems[0] != `unknown argument "qq" (did you mean "q"?); valid arguments: q` {
		t.Errorf("got %v", err)
	}
	// With unknown arguments allowed, a schema that forbids them still decides.
	if err := New(Options{AllowUnknownArgs: true}).Validate(op, map[string]any{"qq": "v"}); !errors.As(err, &ae) ||
		!strings.Contains(ae.Problems[0], "additional properties 'qq' not allowed") {
		t.Errorf("got %v", err)
	}
}

func TestUnknownArgsWithoutParams(t *testing.T) {
	op := &catalog.Operation{Name: "ping", Method: "GET", Path: "/ping", InputSchema: json.RawMessage(`{"type":"object"}`)}
	err := New(Options{}).Validate(op, map[string]any{"x": 1.0})
	if err == nil || !strings.Contains(err.Error(), `unknown argument "x": this tool takes no arguments`) {
		t.Errorf("got %v", err)
	}
}

func TestSchemaProblemsAreBounded(t *testing.T) {
	props := map[string]any{}
	a := map[string]any{}
	for i := 0; i < 30; i++ {
		k := string(rune('a'+i%26)) + strings.Repeat("x", i/26)
		props[k] = map[string]any{"type": "integer"}
		a[k] = "s"
	}
	schema, _ := json.Marshal(map[string]any{"type": "object", "properties": props})
	op := &catalog.Operation{Name: "many", Method: "GET", Path: "/m", InputSchema: schema}
	var ae *ArgumentError
	if err := New(Options{AllowUnknownArgs: true}).Validate(op, a); !errors.As(err, &ae) {
		t.Fatalf("got %v", err)
	}
	if len(ae.Problems) != maxProblems+1 || ae.Problems[maxProblems] != "(and 20 more problems)" {
		t.Errorf("problems %q", ae.Problems)
	}
}

func TestBrokenSchemasDoNotDisableTheTool(t *testing.T) {
	for name, schema := range map[string]string{
		"not json":     `{"type":`,
		"external ref": `{"$ref":"file:///etc/passwd"}`,
		"remote ref":   `{"$ref":"http://127.0.0.1:1/schema.json"}`,
		"bad type":     `{"type":"nonsense"}`,
	} {
		op := &catalog.Operation{Name: "x", Method: "GET", Path: "/x", InputSchema: json.RawMessage(schema),
			Params: []catalog.Param{{Arg: "q", Name: "q", In: catalog.InQuery}}}
		f := New(Options{})
		if err := f.Validate(op, map[string]any{"q": "v"}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if err := f.Validate(op, map[string]any{"typo": "v"}); err == nil {
			t.Errorf("%s: unknown argument accepted", name)
		}
		s := f.schemasFor(op)
		if s.inErr == nil {
			t.Errorf("%s: schema compiled", name)
		}
	}
}

func TestSchemaCompiledOncePerOperation(t *testing.T) {
	f := New(Options{SchemaCacheSize: 2})
	op := petOp()
	a := args(t, `{"petId":3,"body":{"name":"rex"}}`)
	if err := f.Validate(op, a); err != nil {
		t.Fatal(err)
	}
	first := f.schemasFor(op).in
	if err := f.Validate(op, a); err != nil || f.schemasFor(op).in != first {
		t.Errorf("schema recompiled or invalid: %v", err)
	}
	// The cache is bounded: other operations evict the first one.
	for i := 0; i < 3; i++ {
		f.Validate(petOp(), a)
	}
	if f.schemas.Len() != 2 || f.schemas.Contains(op) {
		t.Errorf("cache len %d, still holds the first op: %v", f.schemas.Len(), f.schemas.Contains(op))
	}
}

func TestValidateNormalizesGoTypes(t *testing.T) {
	a := map[string]any{"petId": 5, "body": map[string]any{"name": "rex", "tags": []string{"a", "b"}}}
	if err := New(Options{}).Validate(petOp(), a); err != nil {
		t.Errorf("Go-typed arguments rejected: %v", err)
	}
}
